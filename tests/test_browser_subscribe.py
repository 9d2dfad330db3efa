"""A reader subscribes in a real browser, confirms from the mail, and the page says what they get."""

import re
import shutil

import pytest
from django.utils import timezone
from django_q.conf import Conf

from subscribers import delivery
from subscribers.models import Subscriber

from .conftest import ROOT, needs_chromium

SHOTS = ROOT / "test-artifacts" / "subscribe"

pytestmark = needs_chromium


@pytest.mark.django_db(transaction=True)
def test_a_reader_subscribes_from_a_topic_page_and_confirms_from_the_mail(page, live_server, site, smtp,
                                                                          monkeypatch, settings):
    from playwright.sync_api import expect

    monkeypatch.setattr(Conf, "SYNC", True)  # the confirmation task runs when the request commits
    settings.SITE_URL = live_server.url
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    topic = site["topic"]
    page.goto(f"{live_server.url}/t/{topic.slug}/")
    page.click("text=By email")
    expect(page.locator("h1")).to_have_text("Subscribe by email")
    expect(page.get_by_label(topic.name)).to_be_checked()
    page.get_by_label("Email address").fill("reader@example.org")
    page.get_by_label("Weekly").check()
    page.screenshot(path=str(SHOTS / "1-form.png"), full_page=True)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Check your inbox")
    page.screenshot(path=str(SHOTS / "2-asked.png"), full_page=True)

    [confirmation] = smtp.to("reader@example.org")
    link = re.search(r"http://\S+", confirmation.get_body(("plain",)).get_content()).group(0)
    page.goto(link)
    page.click("text=Yes, send me the digests")
    expect(page.locator("main")).to_contain_text("reader@example.org gets a weekly digest of:")
    page.screenshot(path=str(SHOTS / "3-confirmed.png"), full_page=True)
    assert Subscriber.objects.get().status == Subscriber.Status.ACTIVE

    next_week = timezone.now() + timezone.timedelta(days=8)
    delivery.plan(next_week)
    assert delivery.send_due(next_week) == {"sent": 1}
    digest = smtp.to("reader@example.org")[-1]
    page.set_content(digest.get_body(("html",)).get_content())
    page.screenshot(path=str(SHOTS / "4-digest.png"), full_page=True)
    for paper in (site["avatar"], site["belle"]):
        expect(page.locator("body")).to_contain_text(paper.publication.title)
