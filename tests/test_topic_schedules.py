"""Saving a topic keeps its django-q2 schedule in step."""

from django_q.models import Schedule

from papers import schedules, tasks
from papers.models import Paper, Topic

from .factories import SAMPLES


def test_a_new_topic_gets_a_daily_schedule_that_starts_a_day_later(topic):
    schedule = Schedule.objects.get(name=topic.schedule_name())
    assert (schedule.func, schedule.args, schedule.schedule_type) == ("papers.tasks.fetch_topic", f"({topic.pk},)", "D")
    assert (schedule.next_run - topic.created_at).total_seconds() > 23 * 3600


def test_changing_the_cadence_updates_the_schedule(topic):
    topic.cadence = Topic.Cadence.HOURLY
    topic.save()
    assert Schedule.objects.filter(name=topic.schedule_name()).values_list("schedule_type", flat=True).get() == "H"
    assert Schedule.objects.filter(func="papers.tasks.fetch_topic").count() == 1


def test_an_inactive_or_deleted_topic_has_no_schedule(topic):
    topic.active = False
    topic.save()
    assert not Schedule.objects.filter(name=topic.schedule_name()).exists()
    topic.active = True
    topic.save()
    topic.delete()
    assert not Schedule.objects.filter(func="papers.tasks.fetch_topic").exists()


def test_the_scheduled_task_fetches_only_active_topics(topic, fake_arxiv):
    fake_arxiv.reply(SAMPLES / "arxiv" / "avatars.xml")
    assert tasks.fetch_topic(topic.pk) == "ok: 6 found, 6 new, 0 new versions"
    Topic.objects.filter(pk=topic.pk).update(active=False)
    assert tasks.fetch_topic(topic.pk) is None


def test_resume_papers_queues_papers_with_work_and_no_live_claim(topic, fake_arxiv, broker):
    Paper.objects.create(arxiv_id="1", title="a", abs_url="https://arxiv.org/abs/1", pdf_url="https://x/1")
    Paper.objects.create(arxiv_id="2", title="b", abs_url="https://arxiv.org/abs/2", pdf_url="https://x/2",
                         stage=Paper.Stage.DRAFTED)
    assert tasks.resume_papers() == "1 papers, 0 topics"
    assert broker.queue_size() == 1


def test_migrating_creates_the_resume_publish_and_index_schedules(db):
    schedule = Schedule.objects.get(name=schedules.RESUME_SCHEDULE)
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == ("papers.tasks.resume_papers", "I", 10)
    schedule = Schedule.objects.get(name=schedules.PUBLISH_SCHEDULE)
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == ("papers.tasks.publish_due", "I", 1)
    schedule = Schedule.objects.get(name=schedules.OPTIMIZE_SCHEDULE)
    assert (schedule.func, schedule.schedule_type) == ("papers.tasks.optimize_search", "D")
