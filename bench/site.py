"""Public-site benchmark: 10,000 and 100,000 published papers behind gunicorn. Prints figures; asserts nothing.

    .venv/bin/python bench/site.py [--papers 10000,100000] [--seconds 5] [--wrk-seconds 30] [--rounds 3]

Each size is seeded in a database of its own and served by its own gunicorn. Per size: requests per second
served warm (from the page cache) for home, topic, day, paper, search and feed, beside a static file of the same
size served by the same server (whitenoise); then wrk (Debian's package) loads home, paper and feed for 30 s
each (`--wrk-seconds`): requests per second, p50, p99 and errors.

Then what the targets are about, measured with the sizes in alternation, round after round (`--rounds`), as this
machine's speed drifts by up to a third from one minute to the next and would otherwise be taken for growth: each
page's median and p99 latency uncached (each request a distinct URL, so the cache misses) side by side with its
growth against the target (at most 1.5 times its figure at the smallest size); search over 200 different queries
a round; and wrk on distinct search queries, the median of the rounds' requests per second.
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
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(n) for n in args.papers.split(",")]
    if os.environ.get("DATABASE_URL") and len(sizes) > 1:
        parser.error("with DATABASE_URL, one size a run (--papers 10000): the sizes would share its database")
    with contextlib.ExitStack() as stack:
        sites = {papers: stack.enter_context(seeded_site(papers)) for papers in sizes}
        for papers, (port, pages, var) in sites.items():
            warm(port, pages, papers, args)
            wrk_load(port, pages, args.wrk_seconds)
        in_alternation(sites, args)


@contextlib.contextmanager
def seeded_site(papers):
    """`papers` papers seeded in a database of their own, served by gunicorn: yields (port, pages, var dir)."""
    var = Path(tempfile.mkdtemp(prefix="digest-bench-"))
    env = {**os.environ, "VAR_DIR": str(var), "DB_NAME": str(var / "site.sqlite3"), "CACHE_DIR": str(var / "cache"), "DEBUG": "False",
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
            yield port, {name: (path, sizes[name]) for name, path in pages.items()}, var
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


def warm(port, pages, papers, args):
    print(f"\n== {papers} papers, gunicorn 2 workers, 4 keep-alive clients, {args.seconds:.0f} s per row ==")
    print(f"{'page':<8}{'bytes':>9}{'warm req/s':>12}{'static same size':>18}{'ratio':>7}  errors")
    for name, (path, size) in pages.items():
        warm_rps, warm_errors, _ = load(port, [path], args.seconds)
        static_rps, static_errors, _ = load(port, [f"/static/same-size-{name}.html"], args.seconds)
        ratio = static_rps / warm_rps if warm_rps else float("inf")
        print(f"{name:<8}{size:>9}{warm_rps:>12.0f}{static_rps:>18.0f}{ratio:>6.1f}x  {warm_errors + static_errors}")


def in_alternation(sites, args):
    """Uncached latencies, 200 different queries and wrk on distinct queries, each size in turn every round."""
    latencies = {papers: {} for papers in sites}
    errors = {papers: {} for papers in sites}
    rps = {papers: [] for papers in sites}
    has_wrk = shutil.which("wrk") is not None
    rng = random.Random(1)
    words = "audio driven talking head avatar gaussian splatting diffusion portrait motion relighting 数字人 扩散模型".split()
    for round_ in range(args.rounds):
        queries = [f"/search/?q={quote(' '.join(rng.sample(words, 2)))}&n={round_}-{i}" for i in range(200)]
        # Each round in the other order, so that a steady drift weighs on every size alike.
        for papers, (port, pages, var) in sorted(sites.items(), reverse=round_ % 2 == 1):
            for name, (path, _) in pages.items():
                separator = "&" if "?" in path else "?"
                cold_paths = [f"{path}{separator}nocache={round_}-{i}" for i in range(100000)]
                _, failed, cold = load(port, cold_paths, args.seconds / args.rounds, threads=1)
                latencies[papers].setdefault(name, []).extend(cold)
                errors[papers][name] = errors[papers].get(name, 0) + failed
            conn = connect(port)
            for path in queries:
                started = time.perf_counter()
                status, _ = fetch(conn, path)
                latencies[papers].setdefault("queries", []).append(time.perf_counter() - started)
                errors[papers]["queries"] = errors[papers].get("queries", 0) + (status != 200)
            if has_wrk:
                rps[papers].append(wrk_search(port, var, args.wrk_seconds / args.rounds))
    sizes = list(sites)
    first, last = sizes[0], sizes[-1]
    print(f"\n== uncached p50 (p99), sizes in alternation, {args.rounds} rounds; target: at most 1.5x the figure at "
          f"{first:,} papers ==")
    print(f"{'page':<8}" + "".join(f"{n:>20,}" for n in sizes) + "  errors" + ("   growth" if len(sizes) > 1 else ""))
    for name in latencies[first]:
        cells = "".join(f"{ms(latencies[n][name], 50):>10.1f} ({ms(latencies[n][name], 99):.0f}) ms" for n in sizes)
        failed = sum(errors[n][name] for n in sizes)
        growth = ms(latencies[last][name], 50) / ms(latencies[first][name], 50)
        print(f"{name:<8}{cells}{failed:>8}"
              + (f"   {growth:.1f}x {'ok' if growth <= 1.5 else 'over'}" if len(sizes) > 1 else ""))
    print("(queries: 200 different searches a round)")
    if TARGET_PAPERS in latencies:
        found = latencies[TARGET_PAPERS]["queries"]
        median, p99 = statistics.median(found) * 1000, ms(found, 99)
        print(f"\nsearch at {TARGET_PAPERS:,} papers, different queries, uncached: median {median:.1f} ms, p99 {p99:.1f} ms"
              + verdict(median < 15 and p99 < 40, "median < 15 ms, p99 < 40 ms"))
    if has_wrk:
        print(f"\n== wrk on distinct search queries, 2 threads, 8 connections, {args.rounds} rounds of "
              f"{args.wrk_seconds / args.rounds:.0f} s: req/s ==")
        for papers in sizes:
            median = statistics.median(rps[papers])
            print(f"{papers:>8,}  rounds {', '.join(f'{r:.0f}' for r in rps[papers])}   median {median:.0f}"
                  + (verdict(median >= SEARCH_RPS_TARGET, f">= {SEARCH_RPS_TARGET} req/s") if papers == TARGET_PAPERS else ""))


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


def wrk(port, path, seconds, *extra):
    """wrk's figures for `path` (2 threads, 8 connections): {"rps", "p50", "p99", "requests", "errors"}, None for
    what it did not print; or a string saying why it failed."""
    done = subprocess.run([shutil.which("wrk"), "-t2", "-c8", f"-d{seconds:.0f}s", "--latency", *extra,
                           f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True)
    if done.returncode:
        return f"wrk failed ({done.returncode}): {(done.stderr or done.stdout).strip()[:200]}"
    out = done.stdout
    # wrk leaves out what it could not measure (no p99 when too few requests returned): say so, go on.
    latency = {q: float(v) * UNITS[u] for q, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)$", out, re.M)}
    requests = re.search(r"(\d+) requests in", out)
    socket_errors = sum(map(int, re.findall(r"(?:connect|read|write|timeout) (\d+)", out)))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)  # wrk prints it only when there are some
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return {"rps": float(rps.group(1)) if rps else None, "p50": latency.get("50"), "p99": latency.get("99"),
            "requests": requests.group(1) if requests else None,
            "errors": socket_errors + (int(non_2xx.group(1)) if non_2xx else 0)}


def wrk_search(port, var, seconds):
    """Requests per second on distinct search queries (0 where wrk failed)."""
    script = var / "search.lua"
    script.write_text(SEARCH_SCRIPT)
    found = wrk(port, "/search/", seconds, "-s", str(script))
    if isinstance(found, str):
        print(f"search: {found}")
        return 0
    return found["rps"] or 0


def wrk_load(port, pages, seconds):
    """wrk on home, paper and feed (search comes in alternation, in_alternation())."""
    if shutil.which("wrk") is None:
        print("\nwrk is not installed (apt-get install wrk): load rows skipped")
        return
    print(f"\n== wrk, 2 threads, 8 connections, {seconds} s each, gunicorn 2 workers ==")
    print(f"{'page':<12}{'req/s':>9}{'p50':>11}{'p99':>11}{'requests':>10}  errors")

    def shown(value, unit=" ms", width=8, digits=2):
        return f"{value:>{width}.{digits}f}{unit}" if value is not None else f"{'—':>{width}}{unit}"

    for name in ("home", "paper", "feed"):
        found = wrk(port, pages[name][0], seconds)
        if isinstance(found, str):
            print(f"{name:<12}{found}")
            continue
        print(f"{name:<12}{shown(found['rps'], '', 9, 0)}{shown(found['p50'])}{shown(found['p99'])}"
              f"{found['requests'] or '—':>10}  {found['errors']}")


def verdict(ok, target):
    return f"   {'ok' if ok else 'missed'} (target at {TARGET_PAPERS:,} papers: {target})"


if __name__ == "__main__":
    main()
