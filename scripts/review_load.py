"""Reviewers deciding in a loop while an import runs (SPEC section 10; RELIABILITY K3).

Used by scripts/bench (section review-during-import) and scripts/reliability (K3): each
reviewer is a thread running `winnow review next` then `winnow review decide` as separate
processes, timing the pair on the wall clock (process start included).
"""
import json
import subprocess
import threading
import time


def demo_queue(winnow, repo, db, overlap):
    """A store with the demo reviews and NLI pairs and a queue `all` over every sample."""
    for args in (["import", f"{repo}/demo/reviews.jsonl", "--on-error", "skip"], ["import", f"{repo}/demo/nli.csv"],
                 ["queue", "create", "all", "--overlap", str(overlap)]):
        subprocess.run([winnow, *args, "--db", db], check=True, capture_output=True)


def reviewer_loop(winnow, db, name, stop, out, lease="600"):
    """Claims and decides until `stop` is set or the queue is empty; appends
    (item, seconds of next + decide, ok, stderr)."""
    while not stop.is_set():
        t0 = time.time()
        r = subprocess.run([winnow, "review", "next", "all", "--reviewer", name, "--lease", lease, "--json", "--db", db],
                           capture_output=True, text=True)
        if r.returncode != 0:
            out.append((None, time.time() - t0, False, r.stderr.strip()))
            continue
        item = json.loads(r.stdout).get("item")
        if not item:
            return
        d = subprocess.run([winnow, "review", "decide", str(item["id"]), "--reviewer", name, "--action", "keep", "--db", db],
                           capture_output=True, text=True)
        out.append((item["id"], time.time() - t0, d.returncode == 0, d.stderr.strip()))


def during_import(winnow, db, corpus, reviewers=4, baseline_seconds=5):
    """Times reviewers alone for `baseline_seconds`, then during `winnow import corpus`.
    Returns a dict of figures."""
    base_stop, base = threading.Event(), []
    t = threading.Thread(target=reviewer_loop, args=(winnow, db, "baseline", base_stop, base))
    t.start(); time.sleep(baseline_seconds); base_stop.set(); t.join()
    t0 = time.time()
    imp = subprocess.Popen([winnow, "import", corpus, "--on-error", "skip", "--db", db],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stop = threading.Event()
    results = [[] for _ in range(reviewers)]
    threads = [threading.Thread(target=reviewer_loop, args=(winnow, db, f"r{i}", stop, results[i])) for i in range(reviewers)]
    for th in threads: th.start()
    _, err = imp.communicate()
    seconds = time.time() - t0
    stop.set()
    for th in threads: th.join()
    waits = sorted(w for r in results for (_, w, ok, _) in r if ok)
    failures = [e for r in results for (_, _, ok, e) in r if not ok]
    base_waits = sorted(w for (_, w, ok, _) in base if ok) or [0.0]
    q = lambda xs, f: xs[min(len(xs) - 1, int(len(xs) * f))] if xs else None
    return {"import_exit": imp.returncode, "import_seconds": seconds, "import_stderr": err[-2000:],
            "decisions": len(waits), "failures": len(failures), "failure_examples": failures[:3],
            "p50": q(waits, 0.5), "p99": q(waits, 0.99), "max": waits[-1] if waits else None,
            "baseline_p50": q(base_waits, 0.5)}
