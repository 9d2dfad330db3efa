"""`make demo` stops everything it started, however it is told to stop, and a second demo finds none of the first."""

import os
import signal
import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT, only_on_sqlite
from .processes import free_port, port_open, wait_for

pytestmark = only_on_sqlite  # the project's processes run on a throwaway SQLite file


def descendants(pid):
    """Every living process under `pid`, from /proc."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def living(pids):
    return [pid for pid in pids if Path(f"/proc/{pid}").exists() and
            "Z" != Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]]


def cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def start_demo(project, port):
    """`make demo` on a free port, once its server answers and its cluster's workers are there; with every process
    it started by then."""
    project.env["SLOW_SUMMARIZER_SECONDS"] = "0.2"
    log = (project.tmp_path / f"demo-{port}.log").open("w")
    demo = subprocess.Popen(["make", "-s", "demo", f"PORT={port}"], cwd=ROOT, env=project.env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)

    def up():
        clusters = [pid for pid in descendants(demo.pid) if "manage.py qcluster" in cmdline(pid)]
        return port_open(port) and clusters and len(descendants(clusters[0])) >= 2

    wait_for(up, 180, "the demo's web server and the cluster's workers")
    return demo, [demo.pid] + descendants(demo.pid)


# Ctrl-C and a closed terminal signal the whole foreground process group; `kill` or a service manager may signal
# make alone (GNU make passes SIGTERM on to its child; on SIGINT and SIGHUP it waits for the group to get them).
# make killed outright leaves the supervisor without its parent, which it notices.
@pytest.mark.parametrize("sig, to", [(signal.SIGINT, "group"), (signal.SIGHUP, "group"), (signal.SIGTERM, "make"),
                                     (signal.SIGKILL, "make")],
                         ids=["ctrl-c", "terminal-closed", "sigterm-to-make", "make-killed"])
def test_the_demo_stops_everything_it_started(bare_project, sig, to):
    project = bare_project
    demo, processes = start_demo(project, free_port())
    assert len(processes) >= 6, "make, the supervisor, the server, the cluster and its workers"
    if to == "make":
        os.kill(demo.pid, sig)
    else:
        os.killpg(demo.pid, sig)
    demo.wait(timeout=60)
    wait_for(lambda: not living(processes), 60, "every process of the demo to end")
    assert "Segmentation fault" not in next(project.tmp_path.glob("demo-*.log")).read_text()


def test_a_second_demo_stops_what_is_left_of_the_first(bare_project):
    project = bare_project
    first, processes = start_demo(project, free_port())
    supervisor = next(pid for pid in processes if "manage.py rundemo" in cmdline(pid))
    os.kill(supervisor, signal.SIGKILL)  # its children, each in its own session, live on
    first.wait(timeout=60)
    left = living(processes)
    assert left, "the first demo's server and cluster outlived it"
    second, _ = start_demo(project, free_port())
    assert not living(left), "the second demo stopped the first one's cluster and server before starting its own"
    os.kill(second.pid, signal.SIGTERM)
    second.wait(timeout=60)
