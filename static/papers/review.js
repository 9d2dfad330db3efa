// The review page is one form: every button sends every box. This script keeps typed text through a
// reload or a crashed tab (localStorage, per section and version), warns before leaving with unsaved text,
// and gives the keyboard shortcuts listed in the "?" dialog.
const form = document.getElementById("review-form");
const boxes = [...document.querySelectorAll("#review-form textarea[data-section]")];
const key = box => `paper-digest:review:${box.dataset.section}:${box.dataset.version}`;
let dirty = false;

boxes.forEach(box => {
  // Older versions of this section were saved since: what was kept for them is done with.
  Object.keys(localStorage)
    .filter(k => k.startsWith(`paper-digest:review:${box.dataset.section}:`) && k !== key(box))
    .forEach(k => localStorage.removeItem(k));
  const kept = localStorage.getItem(key(box));
  if (kept !== null && kept !== box.value && box.value === box.dataset.saved) {
    box.value = kept;
    dirty = true;
    document.getElementById("restored").hidden = false;
  } else if (kept === box.dataset.saved) {
    localStorage.removeItem(key(box));
  }
  box.addEventListener("input", () => {
    dirty = true;
    localStorage.setItem(key(box), box.value);
  });
});
document.querySelectorAll("#review-form input").forEach(i => i.addEventListener("change", () => { dirty = true; }));
if (form) form.addEventListener("submit", () => { dirty = false; });
window.addEventListener("beforeunload", e => { if (dirty) { e.preventDefault(); e.returnValue = ""; } });

function press(value) {
  const button = form && form.querySelector(`button[value="${value}"]:not([disabled])`);
  if (button) form.requestSubmit(button);
}

function move(step) {
  const current = boxes.indexOf(document.activeElement);
  const sections = [...document.querySelectorAll(".review-section")];
  const here = current >= 0 ? current : sections.findIndex(s => s.getBoundingClientRect().top >= -10);
  const next = boxes[Math.min(Math.max((here < 0 ? -1 : here) + step, 0), boxes.length - 1)];
  if (next) {
    next.closest(".review-section").scrollIntoView({ block: "start" });
    next.focus({ preventScroll: true });
  }
}

document.addEventListener("keydown", e => {
  const inBox = e.target.matches("textarea, input, select");
  const section = e.target.dataset && e.target.dataset.section;
  if ((e.ctrlKey || e.metaKey) && e.key === "Enter" && section) {
    e.preventDefault();
    press(`save_approve:${section}`);
  } else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s") {
    e.preventDefault();
    press(section ? `save:${section}` : `save:${boxes[0] ? boxes[0].dataset.section : ""}`);
  } else if (e.key === "Escape" && inBox) {
    e.target.blur();
  } else if (!inBox && !e.ctrlKey && !e.metaKey && !e.altKey) {
    if (e.key === "j") move(1);
    else if (e.key === "k") move(-1);
    else if (e.key === "A") press("approve_all_next");
    else if (e.key === "P") press("approve_publish_next");
    else if (e.key === "?") document.getElementById("shortcuts-help").showModal();
    else return;
    e.preventDefault();
  }
});

// A figure's region, drawn on the page: the box follows the pointer and the typed edges (points on the PDF's
// page), and each follows the other.
document.querySelectorAll(".region-page").forEach(page => {
  const box = page.querySelector(".region-box");
  const input = document.getElementById(page.dataset.for);
  const width = Number(page.dataset.width), height = Number(page.dataset.height);
  const show = ([x0, y0, x1, y1]) => {
    Object.assign(box.style, { left: `${100 * x0 / width}%`, top: `${100 * y0 / height}%`,
                               width: `${100 * (x1 - x0) / width}%`, height: `${100 * (y1 - y0) / height}%` });
  };
  const point = e => {
    const r = page.getBoundingClientRect();
    const clamp = (v, max) => Math.min(Math.max(v, 0), max);
    return [clamp((e.clientX - r.left) / r.width * width, width), clamp((e.clientY - r.top) / r.height * height, height)];
  };
  let start = null;
  page.addEventListener("pointerdown", e => { start = point(e); page.setPointerCapture(e.pointerId); e.preventDefault(); });
  page.addEventListener("pointermove", e => {
    if (!start) return;
    const [x, y] = point(e);
    const edges = [Math.min(start[0], x), Math.min(start[1], y), Math.max(start[0], x), Math.max(start[1], y)];
    show(edges);
    input.value = edges.map(v => v.toFixed(1)).join(", ");
    dirty = true;
  });
  page.addEventListener("pointerup", () => { start = null; });
  input.addEventListener("input", () => {
    const edges = input.value.split(/[\s,]+/).filter(Boolean).map(Number);
    if (edges.length === 4 && edges.every(Number.isFinite)) show(edges);
  });
});
