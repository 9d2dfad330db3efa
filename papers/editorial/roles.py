"""The editorial roles: which permissions the Editor and Publisher groups hold."""

EDITOR = [
    "view_topic", "view_fetchrun",
    "view_paper", "change_paper",
    "view_section", "change_section",
    "view_figure", "change_figure",
]
PUBLISHER = EDITOR + ["publish_paper"]
# What a request must have to review (and see what readers may not: PDFs, drafts' figures), and to publish.
REVIEW_PERM = "papers.change_section"
PUBLISH_PERM = "papers.publish_paper"
GROUPS = {"Editor": EDITOR, "Publisher": PUBLISHER}


def ensure_groups(Group, Permission):
    """Create or update the groups; takes the models so a migration can pass its historical ones."""
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(Permission.objects.filter(content_type__app_label="papers", codename__in=codenames))
