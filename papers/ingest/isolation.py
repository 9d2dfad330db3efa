"""Run untrusted work (reading a PDF) in a forked child with a memory limit and a wall-clock timeout.

MuPDF has no limits of its own, and a crafted or broken PDF can make it loop or eat
memory. A plain fork (django-q2's workers are daemonic processes, which multiprocessing
does not let have children) inherits the loaded libraries, so it costs milliseconds;
the child only computes and never touches the database. Its result comes back pickled
through a pipe; a child that is killed, crashes or runs out of memory becomes an
IsolatedError with a message that says which.
"""

import os
import pickle
import resource
import select
import signal
import time


class IsolatedError(Exception):
    pass


def current_address_space():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def run_isolated(func, *args, timeout, memory_bytes, expected=()):
    """`func(*args)` in a child. Exceptions of the `expected` types come back as they are."""
    read_end, write_end = os.pipe()
    limit = current_address_space() + memory_bytes
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            outcome = ("ok", func(*args))
        except expected as exc:
            outcome = ("expected", exc)
        except MemoryError:
            outcome = ("memory", None)
        except BaseException as exc:  # noqa: BLE001 - anything else is reported to the parent, not raised here
            outcome = ("crash", f"{type(exc).__name__}: {exc}")
        try:
            data = pickle.dumps(outcome)
        except Exception as exc:  # noqa: BLE001
            data = pickle.dumps(("crash", f"unpicklable result: {exc}"))
        with os.fdopen(write_end, "wb") as out:
            out.write(data)
        os._exit(0)
    os.close(write_end)
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                os.kill(pid, signal.SIGKILL)
                raise IsolatedError(f"took longer than {timeout:.0f} s and was stopped")
            ready, _, _ = select.select([read_end], [], [], remaining)
            if ready:
                chunk = os.read(read_end, 1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
    finally:
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
    if not chunks:
        signal_number = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        raise IsolatedError(f"crashed ({'signal ' + str(signal_number) if signal_number else 'no result'}); "
                            f"the memory limit is {memory_bytes // 2**20} MB")
    kind, value = pickle.loads(b"".join(chunks))
    if kind == "ok":
        return value
    if kind == "expected":
        raise value
    if kind == "memory":
        raise IsolatedError(f"ran out of memory (limit {memory_bytes // 2**20} MB)")
    raise IsolatedError(f"crashed: {value}")
