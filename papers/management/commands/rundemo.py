"""Run the demo's django-q2 cluster and web server, and stop both, whole, however this process is told to stop.

Each child runs in its own session, so stopping is ours to do: SIGTERM to each (the cluster finishes its current
tasks), then SIGKILL to whatever of either process group is left after STOP_SECONDS. A cluster killed mid-paper loses
nothing (its claim lapses and the resume schedule takes the paper up). The supervisor's own parent dying (make
killed alone) stops it too (Linux's parent-death signal), and a second demo stops a first one still running.
"""

import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

STOP_SECONDS = 10
PR_SET_PDEATHSIG = 1


def die_with_parent(sig=signal.SIGTERM):
    """Have the kernel send `sig` to this process when its parent exits (Linux; elsewhere a no-op)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, sig)
    except (OSError, AttributeError):
        pass


def ours(pid):
    """Whether `pid` is still a process of this project's manage.py: a stale pidfile's numbers may be reused."""
    try:
        return str(settings.BASE_DIR / "manage.py").encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def group_alive(pid):
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_groups(pids, gone=lambda pid: not group_alive(pid)):
    """SIGTERM to each of `pids`, and SIGKILL to what is left of the process groups they lead after STOP_SECONDS.
    The first signal goes to the leader alone: a django-q2 cluster stops its own workers, and waits forever for
    workers that were signalled too."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + STOP_SECONDS
    while not all(gone(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Command(BaseCommand):
    help = "Run the demo's django-q2 cluster and web server until Ctrl-C, SIGTERM or SIGHUP, then stop both."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, port, **options):
        die_with_parent()
        pidfile = settings.VAR_DIR / "demo.pids"
        self.stop_earlier(pidfile)
        stopping = []

        def request_stop(signum, frame):
            stopping.append(signum)

        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, request_stop)
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        children = {
            "cluster": subprocess.Popen([*manage, "qcluster"], start_new_session=True),
            "server": subprocess.Popen([*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
                                       start_new_session=True),
        }
        pidfile.write_text(" ".join(str(p) for p in [os.getpid(), *(c.pid for c in children.values())]))
        try:
            while not stopping and all(child.poll() is None for child in children.values()):
                time.sleep(0.2)
        finally:
            by_pid = {child.pid: child for child in children.values()}
            # Our own children stay zombies, counted alive, until reaped: poll() reaps them.
            stop_groups(list(by_pid), gone=lambda pid: by_pid[pid].poll() is not None and not group_alive(pid))
            for child in children.values():
                child.wait()
            pidfile.unlink(missing_ok=True)
        ended = next((name for name, child in children.items() if child.returncode and not stopping), None)
        if ended:
            self.stderr.write(f"the {ended} stopped on its own (exit {children[ended].returncode}); stopped the demo")
            sys.exit(1)
        self.stdout.write("Stopped the cluster and the web server.")

    def stop_earlier(self, pidfile):
        """A demo still running from before (its terminal closed, say): stop all of it before starting."""
        if not pidfile.exists():
            return
        pids = [int(p) for p in pidfile.read_text().split() if p.isdigit()]
        if pids and pids[0] != os.getpid() and ours(pids[0]):
            self.stdout.write(f"Stopping the demo still running from before (process {pids[0]}).")
            os.kill(pids[0], signal.SIGTERM)
            deadline = time.monotonic() + STOP_SECONDS + 5
            while ours(pids[0]) and time.monotonic() < deadline:
                time.sleep(0.1)
        stop_groups([pid for pid in pids[1:] if ours(pid)])
        pidfile.unlink(missing_ok=True)
