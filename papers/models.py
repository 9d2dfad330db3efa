from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import licences
from .identifiers import validate_arxiv_id, validate_categories, validate_query


class Language(models.TextChoices):
    ZH = "zh", "中文"
    EN = "en", "English"


class TopicQuerySet(models.QuerySet):
    def with_published(self):
        """Topics with at least one published paper: the ones readers can reach, fetching or not. Those with a
        TopicDay, published()'s stored count: asked per topic, EXISTS stops at its first row."""
        return self.filter(models.Exists(TopicDay.objects.filter(topic=models.OuterRef("pk"))))


class Topic(models.Model):
    class Cadence(models.TextChoices):
        HOURLY = "H", "Hourly"
        DAILY = "D", "Daily"
        WEEKLY = "W", "Weekly"

    name = models.CharField(max_length=200)
    # Unicode letters allowed: a topic named in Chinese keeps a readable slug that its URLs match.
    slug = models.SlugField(max_length=100, unique=True, allow_unicode=True)
    query = models.TextField(validators=[validate_query],
                             help_text="arXiv search syntax, e.g. abs:\"talking head\" OR ti:avatar")
    categories = models.CharField(
        max_length=300, blank=True, validators=[validate_categories],
        help_text="Space-separated arXiv categories, e.g. cs.CV cs.GR",
    )
    papers_per_run = models.PositiveIntegerField(default=20)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.ZH)
    active = models.BooleanField(default=True)
    cadence = models.CharField(max_length=1, choices=Cadence.choices, default=Cadence.DAILY)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TopicQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def category_list(self):
        return self.categories.split()

    def arxiv_query(self):
        """The topic's query narrowed to its categories, as arXiv search syntax."""
        query = f"({self.query})"
        if self.category_list():
            cats = " OR ".join(f"cat:{c}" for c in self.category_list())
            query += f" AND ({cats})"
        return query

    def schedule_name(self):
        return f"fetch-topic-{self.pk}"



class TopicDayQuerySet(models.QuerySet):
    def around(self, day):
        """The days before and after `day` (None where there is none): where a day digest's links lead."""
        return (self.filter(day__lt=day).order_by("-day").values_list("day", flat=True).first(),
                self.filter(day__gt=day).order_by("day").values_list("day", flat=True).first())


class TopicDay(models.Model):
    """How many papers of a topic readers can see from one day: what the home, topic and day pages list and
    count, so that no page counts every paper. papers.public.surfaces keeps it from published(), in the
    transaction that changes what is public; a day with nothing public has no row."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    papers = models.PositiveIntegerField()

    objects = TopicDayQuerySet.as_manager()

    class Meta:
        ordering = ["-day"]
        constraints = [
            # Its index also serves every page's question: a topic's days, newest first.
            models.UniqueConstraint(fields=["topic", "day"], name="one_count_per_topic_and_day"),
            models.CheckConstraint(condition=Q(papers__gt=0), name="a_listed_day_has_papers"),
        ]

    def __str__(self):
        return f"{self.topic} {self.day}: {self.papers}"


class FetchRun(models.Model):
    """One run of a topic's arXiv query, kept so failures are visible in admin."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        OK = "ok", "OK"
        FAILED = "failed", "Failed"

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="fetch_runs")
    source = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    found = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["topic", "-started_at"])]

    def __str__(self):
        return f"{self.topic} {self.started_at:%Y-%m-%d %H:%M} {self.status}"


class PaperQuerySet(models.QuerySet):
    def published(self):
        """The one definition of what readers may see.

        The editorial status is the public switch, not the pipeline's stage: a published
        paper whose new arXiv version is being processed or re-reviewed stays public with
        what a publisher published (its Publication, Section.published_body, Figure.public)
        until it is published again. Readers' pages show `paper.publication`, never the
        paper's working fields.
        """
        # Readers never see the extracted text, the largest field by far: no public page loads it.
        return (self.filter(status__in=Paper.PUBLIC, published_at__lte=timezone.now()).select_related("publication")
                .defer("extraction"))

    def with_public_parts(self, figures=True):
        """Each paper's public sections as `public_sections` (and its public figures as
        `public_figures`), in one more query each."""
        papers = self.prefetch_related(models.Prefetch(
            "sections", queryset=Section.objects.filter(public=True).with_credit().order_by("order"),
            to_attr="public_sections"))
        if figures:
            papers = papers.prefetch_related(models.Prefetch(
                "figures", queryset=Figure.objects.public().order_by("order"), to_attr="public_figures"))
        return papers

    def review_queue(self):
        """Papers with a section still to review, what most needs a human first: worst flags, then oldest."""
        drafts = Section.objects.filter(paper=models.OuterRef("pk"), is_current=True, status=Section.Status.DRAFT)
        return self.reviewable().filter(models.Exists(drafts)).order_by("-flag_score", "review_at", "pk")

    def ready_to_publish(self):
        drafts = Section.objects.filter(paper=models.OuterRef("pk"), is_current=True, status=Section.Status.DRAFT)
        return self.reviewable().filter(~models.Exists(drafts))

    def reviewable(self):
        """Papers whose drafts are written and that wait for a publisher: never published, or changed since."""
        return self.filter(stage=Paper.Stage.DRAFTED, status__in=(Paper.Status.UNPUBLISHED, Paper.Status.CHANGED))

    def needing_work(self):
        return self.filter(stage__in=Paper.WORK_STAGES)


class ArxivMetadata(models.Model):
    """What arXiv says of a paper, as editors may correct it: the working copy on Paper, and the
    copy readers see on its Publication."""

    version = models.PositiveIntegerField(default=1)
    title = models.TextField()
    authors = models.JSONField(default=list, help_text="Names in the paper's order")
    # One name a line, framed by newlines, for exact lookups (JSON text escapes non-ASCII names).
    authors_index = models.TextField(blank=True, editable=False)
    abstract = models.TextField(blank=True)
    comment = models.TextField(blank=True)
    journal_ref = models.TextField(blank=True)
    doi = models.CharField(max_length=200, blank=True)
    primary_category = models.CharField(max_length=40, blank=True)
    categories = models.JSONField(default=list)
    arxiv_published = models.DateTimeField(null=True, blank=True)
    arxiv_updated = models.DateTimeField(null=True, blank=True)
    abs_url = models.URLField(max_length=300)
    pdf_url = models.URLField(max_length=300)
    project_url = models.URLField(max_length=500, blank=True)
    code_url = models.URLField(max_length=500, blank=True)

    class Meta:
        abstract = True


class Paper(ArxivMetadata):
    # Two axes (papers.lifecycle owns both, and the README draws them): how far the pipeline got
    # with the current arXiv version, and what editors have made public.
    class Stage(models.TextChoices):
        FETCHED = "fetched", "Fetched"
        DOWNLOADED = "downloaded", "PDF downloaded"
        EXTRACTED = "extracted", "Text extracted"
        SUMMARIZED = "summarized", "Summarized"
        DRAFTED = "drafted", "Drafts written"
        FAILED = "failed", "Failed"

    class Status(models.TextChoices):
        UNPUBLISHED = "unpublished", "Not published"
        PUBLISHED = "published", "Published"
        CHANGED = "changed", "Published, changes waiting"
        REJECTED = "rejected", "Rejected"

    # Stages in which the pipeline still has a step to run.
    WORK_STAGES = (Stage.FETCHED, Stage.DOWNLOADED, Stage.EXTRACTED, Stage.SUMMARIZED)
    # Statuses in which readers see the paper (as its Publication has it).
    PUBLIC = (Status.PUBLISHED, Status.CHANGED)

    arxiv_id = models.CharField(max_length=40, unique=True, validators=[validate_arxiv_id],
                                help_text="Without the version")
    topics = models.ManyToManyField(Topic, related_name="papers", blank=True)

    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.FETCHED)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UNPUBLISHED)
    # Where a failed paper stopped, why, and how often that step was tried.
    failed_step = models.CharField(max_length=20, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # A worker owns the paper until this time; a killed worker's claim lapses.
    claimed_until = models.DateTimeField(null=True, blank=True)

    pdf_file = models.CharField(max_length=300, blank=True, help_text="Path under MEDIA_ROOT")
    pdf_bytes = models.PositiveIntegerField(null=True, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    language = models.CharField(max_length=2, choices=Language.choices, blank=True)
    # The extracted text by section, and how it was found (see papers.pdf).
    extraction = models.JSONField(default=dict, blank=True)
    # Paper-level quality flags, e.g. no extractable text.
    flags = models.JSONField(default=list, blank=True)
    flag_score = models.PositiveIntegerField(default=0, help_text="Sum of flag severities")

    fetched_at = models.DateTimeField(default=timezone.now)
    downloaded_at = models.DateTimeField(null=True, blank=True)
    extracted_at = models.DateTimeField(null=True, blank=True)
    summarized_at = models.DateTimeField(null=True, blank=True)
    review_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True, help_text="Set while the paper is public")
    # The day's digest the paper belongs to (the publication date in TIME_ZONE).
    published_on = models.DateField(null=True, blank=True)
    publish_at = models.DateTimeField(null=True, blank=True, help_text="Scheduled publication")
    failed_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    # A newer arXiv version of a published paper, waiting for an editor's go-ahead.
    new_version = models.JSONField(default=dict, blank=True)
    # The licence arXiv records (OAI-PMH, format "arXiv"); blank once checked: arXiv's default licence.
    license = models.CharField(max_length=200, blank=True)
    license_checked_at = models.DateTimeField(null=True, blank=True)
    # Figures of a paper whose licence does not allow reuse are shown only with an editor's recorded reason.
    figures_override_reason = models.TextField(blank=True)
    figures_override_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                            on_delete=models.SET_NULL, related_name="+")
    figures_override_at = models.DateTimeField(null=True, blank=True)
    # A soft lock, so two editors do not work the same paper: who has the review page open, since when, and
    # when it was last seen; it lapses REVIEW_HOLD_MINUTES after that (papers.lifecycle.hold_for_review).
    review_holder = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")
    review_since = models.DateTimeField(null=True, blank=True)
    review_seen = models.DateTimeField(null=True, blank=True)

    objects = PaperQuerySet.as_manager()

    class Meta:
        ordering = ["-arxiv_published"]
        indexes = [
            models.Index(fields=["stage", "status", "-flag_score", "review_at"], name="paper_queue_idx"),
            # The feeds' and listings' order: read newest first, stopping at a page's worth (an index led by the
            # status would make the database sort every public paper to find the latest 50).
            models.Index(fields=["-published_at"], name="paper_public_idx"),
            models.Index(fields=["publish_at"], name="paper_publish_at_idx"),
            models.Index(fields=["-published_on", "-published_at"], name="paper_day_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=["published", "changed"]) | Q(published_at__isnull=False),
                name="a_public_paper_has_a_publication_time"),
        ]
        permissions = [("publish_paper", "Can publish, unpublish and schedule papers")]

    def __str__(self):
        return f"{self.arxiv_id}v{self.version} {self.title[:60]}"

    def get_absolute_url(self):
        return reverse("papers:paper", args=[self.arxiv_id])

    @property
    def figures_allowed(self):
        return licences.is_open(self.license) or bool(self.figures_override_reason)

    @staticmethod
    def index_authors(authors):
        return "\n" + "\n".join(authors) + "\n"

    def save(self, *args, **kwargs):
        self.authors_index = self.index_authors(self.authors)
        if kwargs.get("update_fields"):
            kwargs["update_fields"] = {*kwargs["update_fields"], "authors_index"}
        super().save(*args, **kwargs)

    @property
    def versioned_id(self):
        return f"{self.arxiv_id}v{self.version}"

    def pdf_path(self):
        return settings.MEDIA_ROOT / self.pdf_file if self.pdf_file else None


# What readers see of a paper besides its sections and figures: copied into its Publication
# when a publisher publishes, so edits and new arXiv versions wait for the next publication.
PUBLIC_FIELDS = tuple(f.name for f in ArxivMetadata._meta.local_fields if f.name != "authors_index")


class Publication(ArxivMetadata):
    """The published snapshot of a paper's metadata: exists exactly while the paper is public."""

    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, primary_key=True, related_name="publication")
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.paper.arxiv_id}v{self.version} as published"

    @classmethod
    def snapshot(cls, paper):
        """The values readers will see, taken from the paper as editors left it."""
        values = {name: getattr(paper, name) for name in PUBLIC_FIELDS}
        return {**values, "authors_index": Paper.index_authors(paper.authors)}

    @property
    def versioned_id(self):
        return f"{self.paper.arxiv_id}v{self.version}"

    @property
    def figure_credit(self):
        """The attribution printed under each public figure."""
        authors = self.authors[0] + (" et al." if len(self.authors) > 1 else "") if self.authors else "The authors"
        return f"{authors}, arXiv:{self.paper.arxiv_id}, {licences.short_name(self.paper.license)}"

    def changes(self, paper):
        """(field, public value, value waiting for the next publication) for each field that differs."""
        return [(name, getattr(self, name), getattr(paper, name)) for name in PUBLIC_FIELDS
                if getattr(self, name) != getattr(paper, name)]


class Generation(models.Model):
    """What a summarizer returned for one paper version and prompt version.

    Kept apart from the editable sections so that a paid call is never repeated
    for the same (paper version, backend, model, prompt version).
    """

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="generations")
    paper_version = models.PositiveIntegerField()
    backend = models.CharField(max_length=40)
    model = models.CharField(max_length=100, blank=True)
    model_version = models.CharField(max_length=100, blank=True)
    # The language the sections are written in (extractive text keeps the paper's own).
    language = models.CharField(max_length=2, choices=Language.choices, blank=True)
    prompt_version = models.CharField(max_length=40)
    # 0 for the pipeline's own call; 1, 2… for each regeneration an editor asked for.
    round = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    sections = models.JSONField(help_text="kind -> {text, sources, note}")
    # Paper-level flags the backend raised: blocked, truncated, invalid_output, unexpected_link…
    flags = models.JSONField(default=list, blank=True)
    usage = models.JSONField(default=dict, blank=True, help_text="tokens: input, output, thinking")
    seconds = models.FloatField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["paper", "paper_version", "backend", "model", "prompt_version", "round"],
                name="one_generation_per_paper_version_and_prompt",
            )
        ]

    def __str__(self):
        return f"{self.paper.versioned_id} {self.backend}/{self.model} {self.prompt_version}"


class SectionQuerySet(models.QuerySet):
    def with_credit(self):
        """With the generation that wrote each section, for its credit (backend, model, language), not the whole
        text it returned."""
        return self.select_related("generation").defer("generation__sections", "generation__usage")


class Section(models.Model):
    class Kind(models.TextChoices):
        SUMMARY = "summary", _("One-line summary")
        KEY_TAKEAWAYS = "key_takeaways", _("Key takeaways")
        METHOD = "method", _("Method")
        CONCLUSION = "conclusion", _("Conclusion")
        # Imported posts only: the numbered items before the method (title, authors, affiliation,
        # keywords, links, background), kept so nothing in a post is dropped.
        DETAILS = "details", _("Details (imported)")
        # An LLM backend's translation of the abstract into the topic's language, reviewed like the rest and
        # shown beside the original.
        TRANSLATED_ABSTRACT = "translated_abstract", _("Abstract, translated")

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="sections")
    generation = models.ForeignKey(Generation, on_delete=models.PROTECT, related_name="drafts")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    order = models.PositiveSmallIntegerField(default=0)
    generated = models.TextField(help_text="What the backend wrote; never changed")
    body = models.TextField(help_text="What editors made of it (Markdown)")
    sources = models.JSONField(default=list, blank=True, help_text="Parts of the paper it came from")
    flags = models.JSONField(default=list, blank=True)
    flag_score = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # Optimistic locking: a save must name the version it was made from.
    version = models.PositiveIntegerField(default=1)
    # Characters changed between `generated` and `body` (Levenshtein distance).
    edit_distance = models.PositiveIntegerField(default=0)
    # The section editors work on; older ones (replaced by a regeneration or a
    # new arXiv version) stay as history.
    is_current = models.BooleanField(default=True)
    # What readers see: a copy of `body` taken when the paper was published.
    public = models.BooleanField(default=False)
    published_body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SectionQuerySet.as_manager()

    class Meta:
        ordering = ["paper", "order"]
        constraints = [
            models.UniqueConstraint(fields=["generation", "kind"], name="one_section_per_kind"),
            models.UniqueConstraint(fields=["paper", "kind"], condition=models.Q(is_current=True),
                                    name="one_current_section_per_kind"),
        ]
        indexes = [models.Index(fields=["paper", "is_current"]), models.Index(fields=["paper", "public"])]

    def __str__(self):
        return f"{self.paper.arxiv_id} {self.get_kind_display()}"

    @property
    def backend(self):
        return self.generation.backend


class FigureQuerySet(models.QuerySet):
    def public(self):
        """The figures readers see: those kept when the paper was last published, under a licence
        that allows it (or with an editor's recorded override). A licence counts at once;
        an editor's choice of figures waits for the next publication."""
        allowed = licences.open_q("paper__license") | ~Q(paper__figures_override_reason="")
        # EXISTS per figure, not IN (every published paper): a page's figures cost the same at any size.
        return self.filter(allowed, models.Exists(Paper.objects.published().filter(pk=models.OuterRef("paper_id"))),
                           public=True)

    def editable(self, paper):
        """The figures an editor chooses from: this version's, without those whose region was corrected."""
        return self.filter(paper=paper, paper_version=paper.version, replaced_by=None)


class Figure(models.Model):
    class Kind(models.TextChoices):
        FIGURE = "figure", "Figure"
        TABLE = "table", "Table"

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="figures")
    paper_version = models.PositiveIntegerField()
    order = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FIGURE)
    page = models.PositiveSmallIntegerField(help_text="1-based")
    bbox = models.JSONField(default=list, blank=True, help_text="x0, y0, x1, y1 on the page, in points")
    label = models.CharField(max_length=40, blank=True, help_text="e.g. Figure 3")
    caption = models.TextField(blank=True)
    image = models.CharField(max_length=300, help_text="WebP, path under MEDIA_ROOT")
    fallback = models.CharField(max_length=300, blank=True, help_text="PNG for browsers without WebP")
    thumbnail = models.CharField(max_length=300, help_text="Path under MEDIA_ROOT")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    kept = models.BooleanField(default=False, help_text="Shown to readers once published; the lead figure "
                               "is chosen when the paper is read")
    # Kept when the paper was last published: what readers see until it is published again.
    public = models.BooleanField(default=False)
    # An editor corrected the region: this is the figure as it was, kept for the history (and for readers, if
    # it was public, until the paper is published again).
    replaced_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = FigureQuerySet.as_manager()

    class Meta:
        ordering = ["paper", "order"]
        constraints = [
            # A replaced figure keeps its place, where readers may still see it until the next publication.
            models.UniqueConstraint(
                fields=["paper", "paper_version", "order"], name="one_figure_per_position",
                condition=Q(replaced_by=None),
            ),
        ]

    def __str__(self):
        return f"{self.paper.arxiv_id} {self.label or 'figure'} p.{self.page}"

    @property
    def thumbnail_width(self):
        """The thumbnail's width in pixels, as render() made it: the figure fitted in FIGURE_THUMBNAIL_WIDTH by
        twice that, never enlarged (a srcset must say the width it offers)."""
        box = settings.FIGURE_THUMBNAIL_WIDTH
        if self.width <= box and self.height <= 2 * box:
            return self.width
        return box if self.width * 2 >= self.height else max(round(2 * box * self.width / self.height), 1)


class SectionRevision(models.Model):
    """Every change to a section: who, when, before and after."""

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="revisions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=20)  # edited, approved, withdrawn, replaced
    before = models.TextField(blank=True)
    after = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.section} {self.action} by {self.user or 'the system'}"


class PaperEvent(models.Model):
    """The paper's history: every step's outcome and every change of stage or status."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="events")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    step = models.CharField(max_length=20)
    outcome = models.CharField(max_length=10)  # done, failed, retry, skipped
    message = models.TextField(blank=True)
    seconds = models.FloatField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["paper", "created_at"])]

    def __str__(self):
        return f"{self.paper.arxiv_id} {self.step} {self.outcome}"


class ServiceAlert(models.Model):
    """An external service that cannot be used as configured (bad key, retired model, zero quota).

    Papers wait instead of failing one by one; the admin shows this once until it works again.
    """

    name = models.CharField(max_length=40, primary_key=True)
    message = models.TextField()
    since = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.name}: {self.message}"


class RateLimit(models.Model):
    """A pacing point shared by every process that talks to one service."""

    name = models.CharField(max_length=40, primary_key=True)
    next_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.name} next at {self.next_at}"


class LoginFailures(models.Model):
    """Admin login attempts counted for one normalised user name from one client address (papers/auth.py)."""

    key = models.CharField(max_length=300, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.key}: {self.count}"
