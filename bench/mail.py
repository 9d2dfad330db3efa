"""One day's digest to many subscribers through a local SMTP sink (aiosmtpd). Prints figures; asserts nothing.

    .venv/bin/python bench/mail.py [--subscribers 10000] [--papers 20]

Seeds a day of published papers of one topic and the subscribers, then runs what the schedule runs
(subscribers.delivery: plan, then send_due, one SMTP connection per DIGEST_BATCH_SIZE mails) against aiosmtpd's
Sink handler in a process of its own: wall time, mails per second, the queries per mail, and the peak memory of
the sending process (RSS high-water mark).
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=10000)
    parser.add_argument("--papers", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var_dir:
        os.environ.update({"VAR_DIR": var_dir, "DB_NAME": str(Path(var_dir) / "bench.sqlite3"),
                           "MEDIA_ROOT": str(Path(var_dir) / "media"), "LOG_LEVEL": "WARNING",
                           "DJANGO_SETTINGS_MODULE": "digest.settings", "DIGEST_CATCH_UP_DAYS": "1"})
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection
        from django.utils import timezone

        from papers.measurement.seeding import seed_papers
        from subscribers import delivery
        from subscribers.models import Subscriber
        from tests.processes import free_port, port_open, wait_for

        call_command("migrate", verbosity=0)
        yesterday = timezone.now() - timedelta(days=1)
        papers = seed_papers(args.papers, per_day=args.papers, start=yesterday.replace(hour=1, minute=0))
        topic = papers[0].topics.get()
        confirmed = yesterday - timedelta(days=1)
        Subscriber.objects.bulk_create(
            [Subscriber(email=f"reader{n:05d}@example.org", status=Subscriber.Status.ACTIVE, confirmed_at=confirmed)
             for n in range(args.subscribers)], batch_size=1000)
        Subscriber.topics.through.objects.bulk_create(
            [Subscriber.topics.through(subscriber_id=pk, topic_id=topic.pk)
             for pk in Subscriber.objects.values_list("pk", flat=True)], batch_size=1000)
        port = free_port()
        sink = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                                 "-c", "aiosmtpd.handlers.Sink"])
        wait_for(lambda: port_open(port), 30, "the SMTP sink")
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        queries = []

        def count(execute, sql, params, many, context):
            queries.append(1)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            planned = delivery.plan()
            planned_at = time.perf_counter()
            outcomes = delivery.send_due()
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        sink.terminate()
        sent = outcomes.get("sent", 0)
        print(f"== One day's digest ({args.papers} papers) to {args.subscribers} subscribers, "
              f"{settings.DIGEST_BATCH_SIZE} mails per SMTP connection ==")
        print(f"planned {planned} deliveries in {planned_at - started:.2f} s; sent {sent} in {seconds:.1f} s: "
              f"{sent / seconds:.0f} mails per second ({dict(outcomes)})")
        print(f"queries: {len(queries)} in all, {len(queries) / max(sent, 1):.1f} per mail")
        print(f"peak memory (RSS): {peak / 1024:.0f} MB, {max(peak - before, 0) / 1024:.0f} MB more than before "
              "sending")


if __name__ == "__main__":
    main()
