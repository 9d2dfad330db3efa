"""The mails, from Django templates, as text and HTML; sections reach HTML through the site's one Markdown function
(the templates' `markdown` filter) and every paper comes from Paper.objects.published()."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from papers.models import Paper

from . import tokens

# Where the subscriber's own unsubscribe link goes: a digest is rendered once for everyone who gets the same one.
LEAVE_URL = "https://unsubscribe.invalid/link"
DIGEST_KINDS = ("summary", "key_takeaways")


def absolute(path):
    return settings.SITE_URL + path


@dataclass
class Rendered:
    subject: str
    text: str
    html: str
    papers: int


def confirmation(subscriber, token, language):
    with translation.override(language):
        context = {"confirm_url": absolute(reverse("subscribers:confirm", args=[token])),
                   "days": settings.SUBSCRIBE_CONFIRM_DAYS, "SITE_NAME": settings.SITE_NAME,
                   "SITE_URL": settings.SITE_URL}
        subject = _("Confirm your subscription to %(site)s") % {"site": settings.SITE_NAME}
        message = EmailMultiAlternatives(subject, render_to_string("subscribers/mail/confirm.txt", context),
                                         to=[subscriber.email])
        message.attach_alternative(render_to_string("subscribers/mail/confirm.html", context), "text/html")
    return message


def day_bounds(start, end):
    """When the days `start` to `end` begin and end in DIGEST_TIME_ZONE, the zone the digests' days are told in."""
    zone = ZoneInfo(settings.DIGEST_TIME_ZONE)
    return datetime.combine(start, time(), zone), datetime.combine(end + timedelta(days=1), time(), zone)


def papers_of(topics, start, end):
    """The papers of `topics` published here in the days `start` to `end`, under the first of the topics (by
    name) each belongs to, newest first."""
    topics = sorted(topics, key=lambda t: t.name)
    begins, ends = day_bounds(start, end)
    papers = (Paper.objects.published().with_public_parts().prefetch_related("topics")
              .filter(topics__in=topics, published_at__gte=begins, published_at__lt=ends).distinct()
              .order_by("-published_at", "-pk"))
    groups = {t.pk: [] for t in topics}
    papers = list(papers)
    for paper in papers:
        paper.digest_sections = [s for s in paper.public_sections if s.kind in DIGEST_KINDS]
        paper.lead_figure = paper.public_figures[0] if paper.public_figures else None
        own = {t.pk for t in paper.topics.all()}
        groups[next(t.pk for t in topics if t.pk in own)].append(paper)
    return [(t, groups[t.pk]) for t in topics if groups[t.pk]], len(papers)


def render_digest(topics, language, frequency, start, end, test=False):
    """The digest of the days `start` to `end` for whoever follows `topics`, or None when nothing was published
    in them."""
    groups, count = papers_of(topics, start, end)
    if not count:
        return None
    with translation.override(language):
        context = {"groups": groups, "start": start, "end": end, "weekly": frequency == "weekly",
                   "leave_url": LEAVE_URL, "SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL,
                   "MEDIA_URL": absolute(settings.MEDIA_URL)}
        papers = ngettext("%(count)d new paper", "%(count)d new papers", count) % {"count": count}
        period = f"{start:%Y-%m-%d}" if start == end else f"{start:%Y-%m-%d} – {end:%Y-%m-%d}"
        subject = f"{_('[test]') + ' ' if test else ''}{settings.SITE_NAME}: {papers}, {period}"
        return Rendered(subject, render_to_string("subscribers/mail/digest.txt", context),
                        render_to_string("subscribers/mail/digest.html", context), count)


def digest(subscriber, rendered, message_id, test_to=None):
    """The subscriber's copy: their unsubscribe link in the text, the HTML and RFC 8058's headers. A resent
    delivery has the same Message-ID, so a mail system that already has it can tell it is the same mail.
    An editor's test copy (`test_to`) links to the subscribe page instead: its unsubscribe would be the
    subscriber's."""
    if test_to:
        leave, headers = absolute(reverse("subscribers:subscribe")), {"Message-ID": message_id}
    else:
        leave = absolute(reverse("subscribers:leave", args=[tokens.leave(subscriber)]))
        headers = {"List-Unsubscribe": f"<{leave}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                   "Message-ID": message_id}
    message = EmailMultiAlternatives(rendered.subject, rendered.text.replace(LEAVE_URL, leave),
                                     to=[test_to or subscriber.email], headers=headers)
    message.attach_alternative(rendered.html.replace(LEAVE_URL, leave), "text/html")
    return message
