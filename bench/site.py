"""Public-site benchmark: 10,000 and 100,000 published papers behind gunicorn. Prints figures; asserts nothing.

    .venv/bin/python bench/site.py [--papers 10000,100000] [--seconds 5] [--wrk-seconds 30]

For home, topic, day, paper, search and feed: requests per second served warm (from the page
cache) beside a static file of the same size served by the same server (whitenoise), and the
median and p99 latency of uncached renders (each request a distinct URL, so the cache misses).
Search latency is measured uncached over 200 different queries. Last, wrk (Debian's package) loads
home, paper, search and feed for 30 s each (`--wrk-seconds`): requests per second, p50, p99 and errors.
Each size runs on a database of its own; at the end the uncached latencies are printed side by side, with each
page's growth against the target (at most 1.5 times its figure at the smallest size).
"""

import argparse
import contextlib
import http.client
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(conn, path):
    conn.request("GET", path, headers={"Accept-Language": "en"})
    response = conn.getresponse()
    body = response.read()
    return response.status, body


def load(port, paths, seconds, threads=4):
    """Keep-alive clients hitting `paths` in turn for `seconds`; returns (req/s, errors, latencies)."""
    deadline = time.monotonic() + seconds
    latencies, errors = [], [0]
    lock = threading.Lock()

    def worker(offset):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i = offset
        local = []
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                status, _ = fetch(conn, paths[i % len(paths)])
            except (OSError, http.client.HTTPException):
                status = 0
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            local.append(time.perf_counter() - started)
            if status != 200:
                with lock:
                    errors[0] += 1
            i += 1
        with lock:
            latencies.extend(local)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    started = time.monotonic()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return len(latencies) / (time.monotonic() - started), errors[0], latencies


def ms(values, q):
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 2 else values[0] * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", default="10000,100000", help="sizes, comma-separated")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--wrk-seconds", type=int, default=30)
    args = parser.parse_args()
    sizes = [int(n) for n in args.papers.split(",")]
    results = {size: run_size(size, args) for size in sizes}
    if len(sizes) > 1:
        first, *others = sizes
        print(f"\n== uncached p50 (p99) by size; target: at most 1.5x the figure at {first} papers ==")
        print(f"{'page':<8}" + "".join(f"{n:>20}" for n in sizes) + "   growth")
        for name in results[first]:
            cells = "".join(f"{results[n][name][0]:>10.1f} ({results[n][name][1]:.0f}) ms" for n in sizes)
            growth = results[others[-1]][name][0] / results[first][name][0]
            print(f"{name:<8}{cells}   {growth:.1f}x {'ok' if growth <= 1.5 else 'over'}")


def run_size(papers, args):
    """Seed `papers` papers in a database of their own and measure; returns {page: (p50 ms, p99 ms)}."""
    var = Path(tempfile.mkdtemp(prefix="digest-bench-"))
    env = {**os.environ, "VAR_DIR": str(var), "DB_NAME": str(var / "site.sqlite3"), "DEBUG": "False",
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECRET_KEY": "bench-" + "x" * 50, "SECURE_SSL_REDIRECT": "False", "WHITENOISE_USE_FINDERS": "False",
           "LOG_LEVEL": "WARNING", "STATIC_ROOT": str(var / "static")}
    run = lambda *a: subprocess.run([PY, "manage.py", *a], cwd=ROOT, env=env, check=True, capture_output=True)  # noqa: E731
    try:
        run("migrate")
        started = time.monotonic()
        run("seed_papers", str(papers))
        print(f"\nseeded {papers} published papers in {time.monotonic() - started:.0f} s")
        # whitenoise indexes the static files when it starts: learn each page's size from a first
        # server, write a static file of the same size, then measure with a fresh server.
        with gunicorn(env) as port:
            pages = page_paths(port)
            sizes = {name: len(fetch(connect(port), path)[1]) for name, path in pages.items()}
        (var / "static").mkdir(exist_ok=True)
        for name, size in sizes.items():
            (var / "static" / f"same-size-{name}.html").write_bytes(b"x" * size)
        run("collectstatic", "--noinput")
        with gunicorn(env) as port:
            measured = bench(port, pages, sizes, papers, args)
            wrk_load(port, pages, args.wrk_seconds, var, papers)
        return measured
    finally:
        shutil.rmtree(var, ignore_errors=True)


@contextlib.contextmanager
def gunicorn(env):
    port = free_port()
    server = subprocess.Popen(
        [str(Path(PY).with_name("gunicorn")), "digest.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}",
         "--keep-alive", "5", "--log-level", "warning"], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                fetch(connect(port), "/static/site.css")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait()


def connect(port):
    return http.client.HTTPConnection("127.0.0.1", port, timeout=30)


def page_paths(port):
    _, home = fetch(connect(port), "/")
    paper = re.search(rb'href="(/paper/[^"]+)"', home).group(1).decode()
    day = re.search(rb'href="(/t/seeded/\d{4}-\d\d-\d\d/)"', home).group(1).decode()
    return {"home": "/", "topic": "/t/seeded/", "day": day, "paper": paper,
            "search": "/search/?q=gaussian+avatar", "feed": "/feed/rss/"}


def bench(port, pages, sizes, papers, args):
    measured = {}
    print(f"\n== {papers} papers, gunicorn 2 workers, 4 keep-alive clients, {args.seconds:.0f} s per row ==")
    print(f"{'page':<8}{'bytes':>9}{'warm req/s':>12}{'static same size':>18}{'ratio':>7}{'uncached p50':>14}{'p99':>9}  errors")
    for name, path in pages.items():
        warm_rps, warm_errors, _ = load(port, [path], args.seconds)
        static_rps, static_errors, _ = load(port, [f"/static/same-size-{name}.html"], args.seconds)
        separator = "&" if "?" in path else "?"
        cold_paths = [f"{path}{separator}nocache={i}" for i in range(100000)]
        _, cold_errors, cold = load(port, cold_paths, args.seconds, threads=1)
        ratio = static_rps / warm_rps if warm_rps else float("inf")
        measured[name] = (ms(cold, 50), ms(cold, 99))
        print(f"{name:<8}{sizes[name]:>9}{warm_rps:>12.0f}{static_rps:>18.0f}{ratio:>6.1f}x{ms(cold, 50):>11.1f} ms"
              f"{ms(cold, 99):>6.0f} ms  {warm_errors + static_errors + cold_errors}")
    conn = connect(port)
    rng = random.Random(1)
    words = "audio driven talking head avatar gaussian splatting diffusion portrait motion relighting 数字人 扩散模型".split()
    queries = [f"/search/?q={quote(' '.join(rng.sample(words, 2)))}&n={i}" for i in range(200)]
    latencies = []
    for path in queries:
        started = time.perf_counter()
        status, _ = fetch(conn, path)
        latencies.append(time.perf_counter() - started)
    median, p99 = statistics.median(latencies) * 1000, ms(latencies, 99)
    print(f"\nsearch, 200 different queries, uncached: median {median:.1f} ms, p99 {p99:.1f} ms"
          + (verdict(median < 15 and p99 < 40, "median < 15 ms, p99 < 40 ms") if papers == TARGET_PAPERS else ""))
    measured["queries"] = (median, p99)
    return measured


# Every request a query of its own: each wrk thread counts through the word pairs with its own id and this run's
# time in the URL (threads that share a sequence would serve each other's pages from the cache).
SEARCH_SCRIPT = """
local words = {"audio", "driven", "talking", "head", "avatar", "gaussian", "splatting", "diffusion", "portrait",
  "motion", "memory", "relighting", "gesture", "speech", "lip", "benchmark", "identity", "expression", "neural",
  "rendering", "video", "monocular", "reconstruction", "texture", "prior", "latent", "transformer"}
local threads, run = 0, os.time()
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
local n = 0
request = function()
  n = n + 1
  local q = words[n % #words + 1] .. "+" .. words[math.floor(n / #words) % #words + 1]
  return wrk.format("GET", "/search/?q=" .. q .. "&n=" .. run .. "-" .. id .. "-" .. n)
end
"""
# The targets for search, at 10,000 papers: median < 15 ms, p99 < 40 ms, 300 distinct queries a second.
SEARCH_RPS_TARGET, TARGET_PAPERS = 300, 10_000
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def wrk_load(port, pages, seconds, var, papers):
    """wrk, 2 threads and 8 connections, on home, paper, search (distinct queries, so uncached) and feed."""
    wrk = shutil.which("wrk")
    if wrk is None:
        print("\nwrk is not installed (apt-get install wrk): load rows skipped")
        return
    script = var / "search.lua"
    script.write_text(SEARCH_SCRIPT)
    print(f"\n== wrk, 2 threads, 8 connections, {seconds} s each, gunicorn 2 workers ==")
    print(f"{'page':<26}{'req/s':>9}{'p50':>11}{'p99':>11}{'requests':>10}  errors")
    rows = [("home", pages["home"], []), ("paper", pages["paper"], []),
            ("search (distinct queries)", "/search/", ["-s", str(script)]), ("feed (RSS)", pages["feed"], [])]
    for name, path, extra in rows:
        done = subprocess.run([wrk, "-t2", "-c8", f"-d{seconds}s", "--latency", *extra,
                               f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True)
        if done.returncode:
            print(f"{name:<26}wrk failed ({done.returncode}): {(done.stderr or done.stdout).strip()[:200]}")
            continue
        out = done.stdout
        # wrk leaves out what it could not measure (no p99 when too few requests returned): say so, go on.
        latency = {q: float(v) * UNITS[u] for q, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)$", out, re.M)}
        requests = re.search(r"(\d+) requests in", out)
        socket_errors = sum(map(int, re.findall(r"(?:connect|read|write|timeout) (\d+)", out)))
        non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)  # wrk prints it only when there are some
        bad_status = int(non_2xx.group(1)) if non_2xx else 0
        rps = re.search(r"Requests/sec:\s+([\d.]+)", out)

        def shown(value, unit=" ms", width=8, digits=2):
            return f"{value:>{width}.{digits}f}{unit}" if value is not None else f"{'—':>{width}}{unit}"

        print(f"{name:<26}{shown(float(rps.group(1)) if rps else None, '', 9, 0)}{shown(latency.get('50'))}"
              f"{shown(latency.get('99'))}{(requests.group(1) if requests else '—'):>10}  {socket_errors + bad_status}"
              + (verdict(float(rps.group(1)) >= SEARCH_RPS_TARGET, f">= {SEARCH_RPS_TARGET} req/s")
                 if extra and rps and papers == TARGET_PAPERS else ""))


def verdict(ok, target):
    return f"   {'ok' if ok else 'missed'} (target at {TARGET_PAPERS:,} papers: {target})"


if __name__ == "__main__":
    main()
