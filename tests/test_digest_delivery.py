"""Digests by mail arrive exactly once: one delivery per subscriber and period, claimed before it is sent; a
killed worker, a second worker, a refusing or busy mail server."""

import os
import signal
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from subscribers import delivery
from subscribers.models import Delivery, Subscriber

from .conftest import only_on_sqlite
from .processes import wait_for

TOMORROW = timedelta(days=1, hours=8)  # after tomorrow's send time, when today's daily digest is due


def active(email, topics, frequency="daily", language="en"):
    subscriber = Subscriber.objects.create(email=email, status=Subscriber.Status.ACTIVE, frequency=frequency,
                                           language=language, confirmed_at=timezone.now() - timedelta(days=1))
    subscriber.topics.set(topics)
    return subscriber


def send(at):
    delivery.plan(at)
    return delivery.send_due(at)


@pytest.mark.django_db
def test_each_subscriber_gets_one_digest_per_period_however_often_the_schedule_runs(site, smtp):
    for n in range(3):
        active(f"r{n}@example.org", [site["topic"]])
    at = timezone.now() + TOMORROW
    assert send(at) == {"sent": 3}
    assert send(at) == {} and send(at + timedelta(minutes=15)) == {}
    assert delivery.plan(at) == 0
    assert sorted(r for rcpts, _ in smtp.messages for r in rcpts) == [f"r{n}@example.org" for n in range(3)]
    assert Subscriber.objects.filter(last_sent_at__isnull=False).count() == 3


@pytest.mark.django_db
def test_a_period_with_nothing_published_sends_nothing(site, smtp, topic):
    quiet = type(topic).objects.create(name="Quiet", slug="quiet", query="all:x", active=False)
    subscriber = active("quiet@example.org", [quiet])
    assert send(timezone.now() + TOMORROW) == {"empty": 1}
    assert smtp.messages == [] and Delivery.objects.get(subscriber=subscriber).state == Delivery.State.EMPTY


@pytest.mark.django_db
def test_a_permanent_refusal_stops_mail_to_the_address_and_a_temporary_one_is_retried_later(site, smtp, settings):
    for email in ("ok@example.org", "gone@example.org", "busy@example.org"):
        active(email, [site["topic"]])
    smtp.refuse = {"gone@example.org": "550 5.1.1 No such user", "busy@example.org": "451 4.3.0 Try again later"}
    at = timezone.now() + TOMORROW
    assert send(at) == {"sent": 1, "rejected": 1, "retry": 1}
    gone = Subscriber.objects.get(email="gone@example.org")
    assert gone.status == Subscriber.Status.BOUNCED and gone.bounce_reason == "550 5.1.1 No such user"
    busy = Delivery.objects.get(subscriber__email="busy@example.org")
    assert (busy.state, busy.attempts, busy.error) == (Delivery.State.PENDING, 1, "451 4.3.0 Try again later")
    assert busy.next_attempt_at == at + timedelta(seconds=settings.DIGEST_RETRY_SECONDS)

    assert delivery.send_due(at) == {}, "not before its time"
    smtp.refuse = {"busy@example.org": "421 4.7.0 Still busy"}
    later = busy.next_attempt_at + timedelta(seconds=1)
    assert delivery.send_due(later) == {"retry": 1}
    assert Delivery.objects.get(pk=busy.pk).next_attempt_at == later + timedelta(
        seconds=2 * settings.DIGEST_RETRY_SECONDS), "the wait doubles"
    smtp.refuse = {}
    assert delivery.send_due(later + timedelta(days=1)) == {"sent": 1}
    assert [len(smtp.to(e)) for e in ("ok@example.org", "gone@example.org", "busy@example.org")] == [1, 0, 1]
    assert send(at + timedelta(days=1)) == {"empty": 2}, "nothing published the day after"
    assert not Delivery.objects.filter(subscriber=gone, period_start__gt=busy.period_start).exists(), \
        "no digest is even made for the refused address"


@pytest.mark.django_db
def test_a_mail_server_that_is_down_loses_no_digest(site, smtp, settings):
    active("reader@example.org", [site["topic"]])
    at = timezone.now() + TOMORROW
    settings.EMAIL_PORT = 9  # nothing listens
    assert send(at) == {"deferred": 1}
    waiting = Delivery.objects.get()
    assert "Connection refused" in waiting.error and waiting.attempts == 0 and waiting.state == Delivery.State.PENDING
    settings.EMAIL_PORT = smtp.port
    assert delivery.send_due(at + timedelta(hours=1)) == {"sent": 1}


@pytest.mark.django_db
def test_a_server_that_refuses_us_not_an_address_bounces_nobody(site, smtp):
    """A wrong sender or login is the operator's to fix: every digest waits, no address is marked."""
    for n in range(3):
        active(f"r{n}@example.org", [site["topic"]])
    smtp.refuse_sender = "550 5.7.1 Sender address rejected"
    at = timezone.now() + TOMORROW
    assert send(at) == {"deferred": 3}
    assert set(Subscriber.objects.values_list("status", flat=True)) == {Subscriber.Status.ACTIVE}
    assert "Sender address rejected" in Delivery.objects.first().error
    smtp.refuse_sender = None
    assert delivery.send_due(at + timedelta(hours=1)) == {"sent": 3}


@pytest.mark.django_db
def test_a_delivery_left_claimed_by_a_dead_worker_is_sent_later_with_the_same_message_id(site, smtp, settings):
    """The moment between the server's acceptance and the commit: the mail goes again, recognisably the same."""
    active("reader@example.org", [site["topic"]])
    at = timezone.now() + TOMORROW
    delivery.plan(at)
    pending = Delivery.objects.get()
    assert delivery.claim([pending.pk], "dead-worker", at) == [pending.pk]
    assert delivery.claim([pending.pk], "another-worker", at) == [], "a claim is one worker's"
    assert delivery.send_due(at) == {}, "a live claim is left alone"
    assert delivery.send_due(at + timedelta(seconds=settings.DIGEST_CLAIM_SECONDS + 1)) == {"sent": 1}
    [(_, message)] = smtp.messages
    assert message["Message-ID"] == delivery.message_id(pending) == f"<digest-{pending.pk}@localhost>"


@pytest.mark.django_db
def test_a_subscriber_who_moves_to_weekly_gets_no_daily_digest_that_waited(site, smtp, client):
    subscriber = active("reader@example.org", [site["topic"]])
    at = timezone.now() + TOMORROW
    delivery.plan(at)
    Subscriber.objects.filter(pk=subscriber.pk).update(frequency="weekly")
    assert delivery.send_due(at) == {"dropped": 1} and smtp.messages == []


@pytest.mark.django_db
def test_periods_missed_while_the_schedule_was_down_are_still_sent(site, smtp, settings):
    settings.DIGEST_CATCH_UP_DAYS, settings.DIGEST_TIME_ZONE, settings.DIGEST_SEND_TIME = 3, "UTC", "07:00"
    subscriber = active("reader@example.org", [site["topic"]])
    Subscriber.objects.filter(pk=subscriber.pk).update(confirmed_at=timezone.now() - timedelta(days=10))
    three_days_on = timezone.now().replace(hour=12) + timedelta(days=3)
    # Due at 07:00 on each of the last three days: the digests of today (sent), and of the two days after
    # (nothing published).
    assert send(three_days_on) == {"sent": 1, "empty": 2}
    assert sorted(str(d) for d in Delivery.objects.values_list("period_start", flat=True)) == [
        str(timezone.now().date() + timedelta(days=n)) for n in range(3)]


@pytest.mark.django_db
def test_leaving_drops_the_digest_that_waits(site, smtp):
    subscriber = active("reader@example.org", [site["topic"]])
    at = timezone.now() + TOMORROW
    delivery.plan(at)
    delivery.subscribing.leave(delivery.subscribing.tokens.leave(subscriber))
    assert delivery.send_due(at) == {} and Delivery.objects.get().state == Delivery.State.DROPPED


def test_periods_follow_the_digest_time_zone_and_the_weekly_day(settings):
    settings.DIGEST_TIME_ZONE, settings.DIGEST_SEND_TIME, settings.DIGEST_WEEKLY_DAY = "Asia/Shanghai", "07:00", 1
    utc = ZoneInfo("UTC")
    before = delivery.periods(datetime(2026, 12, 2, 22, 30, tzinfo=utc))  # 06:30 on Thursday in Shanghai
    after = delivery.periods(datetime(2026, 12, 2, 23, 30, tzinfo=utc))  # 07:30
    assert [(f, str(s), str(e)) for f, s, e, _ in before] == [("daily", "2026-12-01", "2026-12-01"),
                                                               ("weekly", "2026-11-23", "2026-11-29")]
    assert [(f, str(s), str(e)) for f, s, e, _ in after][0] == ("daily", "2026-12-02", "2026-12-02")
    assert after[0][3] == datetime(2026, 12, 3, 7, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.django_db
def test_weekly_subscribers_get_the_week_in_one_mail(site, smtp):
    active("weekly@example.org", [site["topic"]], frequency="weekly", language="zh-hans")
    next_week = timezone.now() + timedelta(days=8)
    assert send(next_week) == {"sent": 1}
    [(_, message)] = smtp.messages
    assert "这一周" in message.get_body(("plain",)).get_content() and "篇新论文" in message["Subject"]


@pytest.mark.django_db
def test_the_command_dry_run_says_what_would_go_and_records_nothing(site, smtp, capsys):
    active("reader@example.org", [site["topic"]])
    with time_machine.travel(timezone.now() + TOMORROW):
        call_command("send_digests", "--dry-run")
        assert "reader@example.org daily" in capsys.readouterr().out
        assert Delivery.objects.count() == 0 and smtp.messages == []
        with pytest.raises(CommandError, match="No topic with the slug 'nope'"):
            call_command("send_digests", "--topic", "nope")
        call_command("send_digests", "--topic", site["topic"].slug)
    assert "1 digests planned; 1 sent" in capsys.readouterr().out and len(smtp.messages) == 1


@pytest.mark.django_db
def test_an_editor_sends_themself_a_test_digest_from_the_admin(client, site, smtp, django_user_model):
    subscriber = active("reader@example.org", [site["topic"]])
    admin = django_user_model.objects.create_superuser("boss", "boss@example.org", "pw")
    client.force_login(admin)
    url = reverse("admin:subscribers_subscriber_changelist")
    response = client.post(url, {"action": "send_test_digest", "index": "0", "_selected_action": [subscriber.pk]}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["reader@example.org's digest sent to boss@example.org."]
    [message] = smtp.to("boss@example.org")
    assert message["Subject"].startswith("[test] Paper Digest: 2 new papers")
    assert message["List-Unsubscribe"] is None and "/unsubscribe/" not in message.as_string(), \
        "the editor's copy cannot unsubscribe the subscriber"
    assert Delivery.objects.count() == 0, "a test is no delivery"
    smtp.refuse = {"boss@example.org": "550 5.7.1 Relaying denied"}
    response = client.post(url, {"action": "send_test_digest", "index": "0", "_selected_action": [subscriber.pk]}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "reader@example.org: the mail server said no: {'boss@example.org': (550, b'5.7.1 Relaying denied')}"]


@pytest.mark.django_db
def test_the_subscriber_list_costs_the_same_queries_for_3_or_30(client, site, django_user_model):
    admin = django_user_model.objects.create_superuser("boss", "boss@example.org", "pw")
    client.force_login(admin)
    url = reverse("admin:subscribers_subscriber_changelist")

    def queries(count):
        for n in range(Subscriber.objects.count(), count):
            active(f"r{n}@example.org", [site["topic"]])
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url).content.decode()
        assert f"Active by topic: {site['topic'].name}: {count}" in page
        return len(captured)

    assert queries(3) == queries(30)


def run_senders(project, count):
    return [project.start("manage.py", "send_digests", name="send_digests") for _ in range(count)]


@pytest.fixture
def mail_project(project, smtp):
    """The project as its operator runs it, on a file database, with 50 subscribers of a topic with two
    papers published yesterday and a draft, and the local SMTP server."""
    project.env.update({"SUMMARIZER": "extractive", "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp.port),
                        "DIGEST_CLAIM_SECONDS": "1", "DIGEST_BATCH_SIZE": "50", "FEED_ID_AUTHORITY": "example.org",
                        # Due at midnight, yesterday's digest is due whenever the test runs (at 07:00, the default,
                        # a run before seven found the day before yesterday's, empty).
                        "DIGEST_CATCH_UP_DAYS": "1", "DIGEST_SEND_TIME": "00:00", "DIGEST_TIME_ZONE": "UTC"})
    project.manage("shell", "-c", """
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from papers.models import Paper, Topic
from subscribers.models import Subscriber
from tests.factories import paper_in_review, published_paper
topic = Topic.objects.create(name="Heads", slug="heads", query="all:x", active=False)
user = get_user_model().objects.create_user("publisher", is_staff=True, is_superuser=True)
for n in (1, 2):
    published_paper(topic, user, n)
paper_in_review(topic, 3, title="DRAFT-ONLY-TITLE")
yesterday = timezone.now() - timedelta(days=1)
Paper.objects.filter(published_at__isnull=False).update(published_at=yesterday, published_on=timezone.localdate(yesterday))
for n in range(50):
    s = Subscriber.objects.create(email=f"r{n:02d}@example.org", status="active", confirmed_at=yesterday - timedelta(days=1))
    s.topics.add(topic)
""")
    return project


def assert_each_got_exactly_one(project, smtp):
    per_address = {}
    for rcpts, message in smtp.messages:
        for address in rcpts:
            per_address.setdefault(address, []).append(message)
    assert sorted(per_address) == [f"r{n:02d}@example.org" for n in range(50)]
    assert {len(messages) for messages in per_address.values()} == {1}, "one digest each"
    assert not any("DRAFT-ONLY-TITLE" in m.as_string() for _, m in smtp.messages)
    assert project.query("SELECT state, count(*) FROM subscribers_delivery GROUP BY state") == [("sent", 50)]


@only_on_sqlite  # the project's processes run on a throwaway SQLite file
def test_a_worker_killed_in_the_middle_of_a_batch_of_50_leaves_each_subscriber_exactly_one_digest(mail_project, smtp):
    sender, = run_senders(mail_project, 1)
    smtp.pause = 0.02

    def kill_after_20(address, accepted):
        # The 21st mail's RCPT: the 20th is accepted and recorded, the 21st not yet accepted.
        if accepted == 20 and sender.poll() is None:
            os.killpg(sender.pid, signal.SIGKILL)

    smtp.on_rcpt = kill_after_20
    sender.wait(timeout=120)
    assert sender.returncode == -signal.SIGKILL, mail_project.log_of(sender)
    assert smtp.accepted == 20
    assert mail_project.query("SELECT state, count(*) FROM subscribers_delivery GROUP BY state ORDER BY state") == [
        ("sending", 30), ("sent", 20)], "killed with 30 of its 50 claims unsent"
    smtp.on_rcpt = None
    time.sleep(1.5)  # the dead worker's claims lapse (DIGEST_CLAIM_SECONDS=1)
    out = mail_project.manage("send_digests").stdout
    assert "0 digests planned; 30 sent" in out
    assert_each_got_exactly_one(mail_project, smtp)


@only_on_sqlite
def test_two_workers_at_once_send_each_digest_once(mail_project, smtp):
    mail_project.manage("shell", "-c", "from subscribers import delivery; delivery.plan()")
    smtp.pause = 0.01
    senders = run_senders(mail_project, 2)
    wait_for(lambda: all(s.poll() is not None for s in senders), 120, "both senders to finish")
    assert [s.returncode for s in senders] == [0, 0], mail_project.log_of()
    assert_each_got_exactly_one(mail_project, smtp)
