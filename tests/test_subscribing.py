"""Subscribing by email: double opt-in over a real SMTP server, the same answer for every address, limits,
and leaving with one click."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_q.conf import Conf

from subscribers import delivery, subscribing
from subscribers.models import Subscriber

from .factories import SECRET_MARKERS

URL_RE = re.compile(r"http://testserver\S+")


@pytest.fixture(autouse=True)
def tasks_run_at_once(monkeypatch, settings):
    """The confirmation is a queued task; here it runs when it is enqueued, once the request has committed."""
    monkeypatch.setattr(Conf, "SYNC", True)
    settings.SITE_URL = "http://testserver"


def ask(client, email, topics, frequency="daily", language="en", **extra):
    return client.post(reverse("subscribers:subscribe"), {"email": email, "topics": [t.pk for t in topics],
                                                          "frequency": frequency, "language": language}, **extra)


def link_in(message):
    return URL_RE.search(message.get_body(("plain",)).get_content()).group(0)


def follow(client, url):
    """Open a mail's link as a person does: the page, then its button."""
    path = url.removeprefix("http://testserver")
    assert client.get(path).status_code == 200
    return client.post(path)


def subscribed(client, smtp, email, topics, django_capture_on_commit_callbacks, **choices):
    with django_capture_on_commit_callbacks(execute=True):
        ask(client, email, topics, **choices)
    [confirmation] = smtp.to(email)
    follow(client, link_in(confirmation))
    return Subscriber.objects.get(email=email)


@pytest.mark.django_db
def test_subscribe_confirm_receive_the_digest_and_leave_with_one_click(
        client, site, smtp, django_capture_on_commit_callbacks):
    topic = site["topic"]
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, "Reader@Example.org", [topic])
    assert "Check your inbox" in response.content.decode()
    [confirmation] = smtp.to("reader@example.org")
    assert confirmation["Subject"] == "Confirm your subscription to Paper Digest"
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING
    delivery.plan(timezone.now() + timedelta(days=2))
    assert delivery.send_due(timezone.now() + timedelta(days=2)) == {}, "nothing before the link is followed"

    link = link_in(confirmation)
    assert "Confirm your subscription" in client.get(link.removeprefix("http://testserver")).content.decode()
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING, "opening the link is not confirming"
    assert "gets a daily digest of" in follow(client, link).content.decode()
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.ACTIVE and list(subscriber.topics.all()) == [topic]

    tomorrow = timezone.now() + timedelta(days=1, hours=8)  # after tomorrow's send time: today's digest is due
    assert delivery.plan(tomorrow) == 1
    assert delivery.send_due(tomorrow) == {"sent": 1}
    [digest] = smtp.to("reader@example.org")[1:]
    text, html = digest.get_body(("plain",)).get_content(), digest.get_body(("html",)).get_content()
    for paper in (site["avatar"], site["belle"]):
        assert paper.publication.title in text and paper.publication.title in html
        assert f"http://testserver{paper.get_absolute_url()}" in html and paper.publication.abs_url in text
    assert "Key takeaways" in text and "<h4" in html
    assert not any(marker in text or marker in html for marker in SECRET_MARKERS)
    assert re.fullmatch(r"<http://testserver/unsubscribe/[^>]+/>", digest["List-Unsubscribe"].strip())
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert digest["Message-ID"].startswith("<digest-")

    # RFC 8058: the mail system POSTs, with no session and no CSRF token.
    one_click = Client(enforce_csrf_checks=True)
    leave = digest["List-Unsubscribe"].strip().strip("<>").removeprefix("http://testserver")
    response = one_click.post(leave, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and Subscriber.objects.get().status == Subscriber.Status.UNSUBSCRIBED
    later = tomorrow + timedelta(days=1)
    delivery.plan(later)
    assert delivery.send_due(later) == {} and len(smtp.to("reader@example.org")) == 2, "no mail after leaving"


@pytest.mark.django_db
def test_the_form_answers_the_same_for_a_new_a_subscribed_and_an_over_limit_address(
        client, site, smtp, django_capture_on_commit_callbacks, settings):
    settings.SUBSCRIBE_MAX_PER_ADDRESS = 2
    subscribed(client, smtp, "known@example.org", [site["topic"]], django_capture_on_commit_callbacks)
    answers = set()
    for email in ["new@example.org", "known@example.org", "known@example.org"]:
        response = ask(client, email, [site["topic"]])
        answers.add((response.status_code, response.content.decode().replace(email, "ADDRESS")))
    assert len(answers) == 1
    assert Subscriber.objects.get(email="known@example.org").status == Subscriber.Status.ACTIVE


@pytest.mark.django_db
def test_nobody_can_bomb_an_inbox_or_flood_the_form(client, site, smtp, django_capture_on_commit_callbacks,
                                                    settings):
    settings.SUBSCRIBE_MAX_PER_ADDRESS = 3
    settings.SUBSCRIBE_MAX_PER_CLIENT = 5
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            ask(client, "victim@example.org", [site["topic"]])
    assert len(smtp.to("victim@example.org")) == 3, "three confirmations a day, however often it is asked"
    response = ask(client, "other@example.org", [site["topic"]])
    assert response.status_code == 429 and "Too many subscriptions" in response.content.decode()
    elsewhere = ask(client, "other@example.org", [site["topic"]], REMOTE_ADDR="192.0.2.7")
    assert elsewhere.status_code == 200, "another client still may"


@pytest.mark.django_db
def test_a_link_for_a_known_address_changes_its_subscription_only_when_followed(
        client, site, smtp, django_capture_on_commit_callbacks):
    subscriber = subscribed(client, smtp, "known@example.org", [site["topic"]], django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        ask(client, "known@example.org", [site["topic"]], frequency="weekly", language="zh-hans")
    subscriber.refresh_from_db()
    assert (subscriber.frequency, subscriber.language) == ("daily", "en"), "someone else may have asked"
    second = smtp.to("known@example.org")[-1]
    assert second["Subject"] == "确认订阅 Paper Digest", "in the language asked for"
    follow(client, link_in(second))
    subscriber.refresh_from_db()
    assert (subscriber.frequency, subscriber.language) == ("weekly", "zh-hans")


@pytest.mark.django_db
def test_an_expired_or_altered_link_changes_nothing_and_says_so(client, site, smtp,
                                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ask(client, "late@example.org", [site["topic"]])
    link = link_in(smtp.to("late@example.org")[0]).removeprefix("http://testserver")
    altered = link.replace("/confirm/", "/confirm/x")
    assert client.post(altered).status_code == 400
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        response = client.post(link)
    assert response.status_code == 400 and "This link does not work" in response.content.decode()
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING
    assert client.post("/unsubscribe/not-a-token/", {"List-Unsubscribe": "One-Click"}).status_code == 400


@pytest.mark.django_db
def test_a_bad_address_or_no_topic_gets_a_clear_message_and_keeps_what_was_typed(client, site):
    response = ask(client, "not an address", [])
    page = response.content.decode()
    assert response.status_code == 200 and "Enter a valid email address." in page
    assert "Choose at least one topic." in page and 'value="not an address"' in page
    assert Subscriber.objects.count() == 0


@pytest.mark.django_db
def test_every_topic_page_and_the_home_page_lead_to_the_form_with_the_topic_ticked(client, site):
    topic = site["topic"]
    assert f'href="/subscribe/?topic={topic.slug}"' in client.get(reverse("papers:topic", args=[topic.slug])).content.decode()
    assert 'href="/subscribe/"' in client.get("/").content.decode()
    form = client.get(f"/subscribe/?topic={topic.slug}").content.decode()
    assert re.search(rf'<input type="checkbox" name="topics" value="{topic.pk}"[^>]*checked', form)


@pytest.mark.django_db
def test_a_subscriber_can_leave_by_the_link_in_the_mail_from_a_browser(client, site, smtp,
                                                                      django_capture_on_commit_callbacks):
    subscriber = subscribed(client, smtp, "reader@example.org", [site["topic"]], django_capture_on_commit_callbacks)
    link = reverse("subscribers:leave", args=[subscribing.tokens.leave(subscriber)])
    assert "Unsubscribe me" in client.get(link).content.decode()
    assert Subscriber.objects.get().status == Subscriber.Status.ACTIVE, "opening the page is not leaving"
    assert "No more digests" in client.post(link).content.decode()
    assert Subscriber.objects.get().status == Subscriber.Status.UNSUBSCRIBED
