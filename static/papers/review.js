// Ctrl+Enter in a section saves and approves it; leaving with unsaved text asks first.
let dirty = false;
document.querySelectorAll(".section-form textarea").forEach(t => t.addEventListener("input", () => { dirty = true; }));
document.querySelectorAll("form").forEach(f => f.addEventListener("submit", () => { dirty = false; }));
window.addEventListener("beforeunload", e => { if (dirty) { e.preventDefault(); e.returnValue = ""; } });
document.addEventListener("keydown", e => {
  if ((e.ctrlKey || e.metaKey) && e.key === "Enter" && e.target.matches(".section-form textarea")) {
    e.preventDefault();
    e.target.form.querySelector('button[value="save_approve"]').click();
  }
});
