"""Run the demo's django-q2 cluster and web server, and stop both, whole, however this process is told to stop.

Each child runs in its own session, so stopping is ours to do: SIGTERM to each (the cluster finishes its current
tasks), then SIGKILL to whatever of either process group is left after STOP_SECONDS. A cluster killed mid-paper
loses nothing (its claim lapses and the resume schedule takes the paper up). The supervisor also stops when its
parent goes (make killed alone), and a second demo stops what is left of a first one.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

STOP_SECONDS = 10


def started_at(pid):
    """The process's start time in clock ticks since boot (/proc/PID/stat field 22): with the pid, it names one
    process, where a pid alone may have been reused since."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def signal_process(pid, sig):
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def signal_group(pid, sig):
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def group_alive(pgid):
    """Whether a process of the group still runs. Zombies do not count: an orphan's may never be reaped where
    PID 1 is not an init that reaps (a container)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _, group = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, ValueError):
            continue
        if group == str(pgid) and state != "Z":
            return True
    return False


def stop_groups(leaders):
    """SIGTERM to each leader alone (a django-q2 cluster stops its own workers, and waits forever for workers
    signalled as well), then SIGKILL to what is left of their process groups after STOP_SECONDS."""
    for pid in leaders:
        signal_process(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    while any(group_alive(pid) for pid in leaders) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in leaders:
        if group_alive(pid):
            signal_group(pid, signal.SIGKILL)


def stop_left_over(entries):
    """Stop what is still running of an earlier demo, named by (pid, start time) with its supervisor first: the
    supervisor, which stops its children itself, then the process groups of those children still there."""
    alive = [pid for pid, start in entries if start and started_at(pid) == start]
    if entries and entries[0][0] in alive:
        signal_process(entries[0][0], signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS + 5
        while started_at(entries[0][0]) == entries[0][1] and time.monotonic() < deadline:
            time.sleep(0.1)
    stop_groups([pid for pid, _ in entries[1:] if pid in alive])
    return alive


class Command(BaseCommand):
    help = "Run the demo's django-q2 cluster and web server until Ctrl-C, SIGTERM or SIGHUP, then stop both."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, port, **options):
        parent = os.getppid()
        pidfile = settings.VAR_DIR / "demo.pids"
        self.stop_earlier(pidfile)
        stopping = []
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, lambda signum, frame: stopping.append(signum))
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        children = {
            "cluster": subprocess.Popen([*manage, "qcluster"], start_new_session=True),
            "server": subprocess.Popen([*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
                                       start_new_session=True),
        }
        mine = " ".join(f"{pid}:{started_at(pid)}" for pid in [os.getpid(), *(c.pid for c in children.values())])
        pidfile.write_text(mine)
        try:
            while not stopping and os.getppid() == parent and all(c.poll() is None for c in children.values()):
                time.sleep(0.2)
        finally:
            # Our children's pids cannot be reused before we reap them, so signalling by pid is safe.
            stop_groups([child.pid for child in children.values()])
            for child in children.values():
                child.wait()
            if pidfile.exists() and pidfile.read_text() == mine:
                pidfile.unlink()
        ended = next((name for name, child in children.items()
                      if child.returncode and not stopping and os.getppid() == parent), None)
        if ended:
            self.stderr.write(f"the {ended} stopped on its own (exit {children[ended].returncode}); stopped the demo")
            sys.exit(1)
        self.stdout.write("Stopped the cluster and the web server.")

    def stop_earlier(self, pidfile):
        """A demo still running from before (its terminal closed, say): stop all of it before starting."""
        if not pidfile.exists():
            return
        entries = [(int(pid), start) for pid, _, start in (e.partition(":") for e in pidfile.read_text().split())
                   if pid.isdigit()]
        stopped = stop_left_over(entries)
        if stopped:
            self.stdout.write(f"Stopped what was left of an earlier demo (processes {', '.join(map(str, stopped))}).")
        pidfile.unlink(missing_ok=True)
