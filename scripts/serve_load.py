"""Many reviewers in browsers at once, as HTTP clients of `winnow serve` (issue 15).

Used by scripts/check-serve-load (a quick run in scripts/test) and scripts/bench (section
serve-load, 20 sessions x 2,000 items): each session is a Python thread with its own
connection per request (urllib), signing in as its own reviewer (the printed URL's token, a
name, the session cookie, the CSRF token of its pages) and then emptying the queue through
the JSON API the pages' script uses: GET /api/queues/NAME/next, POST /api/decide. The
decision per item is a function of the item (every 5th dropped, the rest kept), so the two
reviewers of an item agree and every item resolves.

Afterwards the store is read with `winnow sql` and `winnow queue status --json`:
- no item has more live decisions than the overlap (none decided beyond it), and no reviewer
  decided one item twice;
- every decision a 200 answer reported is in the store as reported (item, reviewer, action):
  none lost, and the store holds no decision that no answer reported;
- no error: no 5xx, no 4xx (with leases of 600 s none may expire, so no lease_lost either);
- every item decided (resolved), the drops applied.
Latency: each POST /api/decide round trip, and each next + decide pair, on the wall clock.
"""
import http.cookies
import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def run(winnow, *args, db):
    r = subprocess.run([winnow, *args, "--db", db], capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError(f"winnow {' '.join(args)} failed ({r.returncode}): {r.stderr.strip()}")
    return r.stdout


def make_queue(winnow, db, folder, items, overlap, queue="load"):
    """A store of `items` distinct text samples and a queue over all of them."""
    path = os.path.join(folder, "load.jsonl")
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]
    with open(path, "w") as f:
        for i in range(items):
            text = f"load sample {i}: " + " ".join(words[(i // 10 ** k) % 10] for k in range(5))
            f.write(json.dumps({"id": f"load-{i:05d}", "text": text, "label": ["ham", "spam"][i % 2]}) + "\n")
    run(winnow, "import", path, db=db)
    run(winnow, "queue", "create", queue, "--overlap", str(overlap), "--priority", "oldest", db=db)


class Serve:
    """`winnow serve --port 0` on `db`; `url` is the printed sign-in URL."""

    def __init__(self, winnow, db, folder):
        self.out = open(os.path.join(folder, "serve.txt"), "w+")
        self.proc = subprocess.Popen([winnow, "serve", "--port", "0", "--db", db], stdout=self.out, stderr=subprocess.STDOUT)
        self.url = None
        for _ in range(100):
            self.out.seek(0)
            found = re.search(r"http://\S+", self.out.read())
            if found:
                self.url = found.group(0)
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        if not self.url:
            self.stop()
            self.out.seek(0)
            raise RuntimeError("winnow serve printed no URL:\n" + self.out.read()[-1000:])
        self.base, self.token = self.url.split("/?token=")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Session:
    """One reviewer signed in: the session cookie, and the CSRF token from a page's meta tag."""

    def __init__(self, base, token, reviewer):
        self.base, self.reviewer = base, reviewer
        body = urllib.parse.urlencode({"token": token, "reviewer": reviewer}).encode()
        try:
            OPENER.open(urllib.request.Request(base + "/signin", data=body), timeout=30)
            raise RuntimeError("POST /signin did not redirect")
        except urllib.error.HTTPError as e:
            if e.code != 303:
                raise RuntimeError(f"POST /signin as {reviewer}: HTTP {e.code}") from None
            cookie = http.cookies.SimpleCookie(e.headers["Set-Cookie"])
        self.cookie = f"winnow_session={cookie['winnow_session'].value}"
        page = self.request("GET", "/")[1]
        self.csrf = re.search(r'<meta name="csrf" content="([^"]+)"', page).group(1)

    def request(self, method, path, fields=None):
        """(status, body text) of one request; a JSON body for a POST."""
        headers = {"Cookie": self.cookie}
        data = None
        if fields is not None:
            data = json.dumps(fields).encode()
            headers.update({"Content-Type": "application/json", "X-CSRF-Token": self.csrf})
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with OPENER.open(req, timeout=60) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace")


def action_for(item):
    """The decision every reviewer takes on `item`: the same for all, so they agree."""
    return "drop" if item % 5 == 0 else "keep"


def reviewer(session, queue, log, deadline):
    """Claims and decides until the queue has nothing left for this reviewer (or `deadline`,
    a time.perf_counter() value, passes). Appends to `log`:
    ("decided", item, decision id, action, decide seconds, next + decide seconds),
    ("error", what, status, body), ("waits", n) for the times it found only others' leases."""
    waits = 0
    while True:
        if time.perf_counter() > deadline:
            log.append(("error", "deadline", 0, "still reviewing when the load test's time ran out"))
            return
        t0 = time.perf_counter()
        status, body = session.request("GET", f"/api/queues/{queue}/next")
        if status != 200:
            log.append(("error", "next", status, body[:300]))
            return
        answer = json.loads(body)
        item = answer["item"]
        if item is None:
            if answer["wait"] and answer["wait"]["leased_by_others"] > 0:
                waits += 1  # others hold what is left; their decisions free it, or it is theirs
                time.sleep(0.05)
                continue
            log.append(("waits", waits))
            return
        action = action_for(item["id"])
        t1 = time.perf_counter()
        status, body = session.request("POST", "/api/decide", {"item": item["id"], "action": action})
        t2 = time.perf_counter()
        if status != 200:
            log.append(("error", f"decide item {item['id']}", status, body[:300]))
            continue
        outcome = json.loads(body)
        log.append(("decided", item["id"], outcome["decision"], outcome["action"], t2 - t1, t2 - t0))


def quantile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * q))] if xs else None


def load(winnow, folder, sessions=20, items=2000, overlap=2, queue="load", seconds=600, during_import=None):
    """Runs the whole load test in `folder` (a store, a server, `sessions` reviewers); returns
    a dict of figures and `problems` (a list of sentences: empty when everything held).
    `during_import`: a file that `winnow import --on-error skip` reads into the same store
    while the reviewers work (another winnow process on the store, as the issue asks); its exit
    status must be 0."""
    db = os.path.join(folder, "load.db")
    make_queue(winnow, db, folder, items, overlap, queue)
    server = Serve(winnow, db, folder)
    importer = None
    try:
        if during_import:
            importer = subprocess.Popen([winnow, "import", during_import, "--on-error", "skip", "--db", db],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        clients = [Session(server.base, server.token, f"r{i:02d}") for i in range(sessions)]
        logs = [[] for _ in clients]
        t0 = time.perf_counter()
        threads = [threading.Thread(target=reviewer, args=(c, queue, log, t0 + seconds)) for c, log in zip(clients, logs)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - t0
        import_running = importer is not None and importer.poll() is None
        import_error = importer.communicate()[1] if importer else ""
    finally:
        server.stop()
        if importer and importer.poll() is None:
            importer.kill()
            importer.wait()

    problems = []
    if importer and importer.returncode != 0:
        problems.append(f"the import beside the reviewers failed ({importer.returncode}): {import_error.strip()[-300:]}")
    answered = {}  # decision id -> (item, reviewer, action)
    decide_s, pair_s, errors, waits = [], [], [], 0
    for client, log in zip(clients, logs):
        for entry in log:
            if entry[0] == "decided":
                _, item, decision, action, d, p = entry
                if decision in answered:
                    problems.append(f"decision {decision} reported twice")
                answered[decision] = (item, client.reviewer, action)
                decide_s.append(d)
                pair_s.append(p)
            elif entry[0] == "error":
                errors.append(f"{client.reviewer}: {entry[1]}: HTTP {entry[2]} {entry[3]}")
            else:
                waits += entry[1]
    if errors:
        problems.append(f"{len(errors)} error answers, e.g. " + "; ".join(errors[:3]))

    rows = json.loads(run(winnow, "sql", "SELECT id, item_id, reviewer, action, undone_at FROM decisions", "--json", db=db))["rows"]
    stored = {r["id"]: (r["item_id"], r["reviewer"], r["action"]) for r in rows if r["undone_at"] is None}
    lost = [d for d, want in answered.items() if stored.get(d) != want]
    unreported = [d for d in stored if d not in answered]
    if lost:
        problems.append(f"{len(lost)} decisions answered 200 but not in the store as answered, e.g. {lost[:5]}")
    if unreported:
        problems.append(f"{len(unreported)} decisions in the store that no answer reported, e.g. {unreported[:5]}")
    per_item, per_pair = {}, {}
    for item, who, _ in stored.values():
        per_item[item] = per_item.get(item, 0) + 1
        per_pair[(item, who)] = per_pair.get((item, who), 0) + 1
    beyond = [i for i, n in per_item.items() if n > overlap]
    twice = [p for p, n in per_pair.items() if n > 1]
    if beyond:
        problems.append(f"{len(beyond)} items decided beyond the overlap of {overlap}, e.g. {beyond[:5]}")
    if twice:
        problems.append(f"{len(twice)} (item, reviewer) pairs decided twice, e.g. {twice[:5]}")
    status = json.loads(run(winnow, "queue", "status", queue, "--json", db=db))
    if status["decided"] != items or status["items"] != items or status["disagreements"] != 0:
        problems.append(f"queue status: {status['decided']} of {status['items']} items decided, {status['disagreements']} disagreements (want all {items})")
    short = [i for i, n in per_item.items() if n < overlap]
    if len(per_item) != items or short:
        problems.append(f"{items - len(per_item)} items without a decision, {len(short)} with fewer than {overlap}")
    dropped = int(json.loads(run(winnow, "sql", "SELECT count(*) AS n FROM samples WHERE status = 'dropped'", "--json", db=db))["rows"][0]["n"])
    want_dropped = sum(1 for item in per_item if action_for(item) == "drop")
    if dropped != want_dropped:
        problems.append(f"{dropped} samples dropped, {want_dropped} items were decided drop")
    return {
        "sessions": sessions, "items": items, "overlap": overlap, "decisions": len(answered), "stored": len(stored),
        "errors": len(errors), "lost": len(lost), "beyond_overlap": len(beyond), "seconds": seconds,
        "decisions_per_second": len(answered) / seconds if seconds else None, "waits": waits,
        "decide_p50": quantile(decide_s, 0.5), "decide_p99": quantile(decide_s, 0.99), "decide_max": max(decide_s, default=None),
        "pair_p50": quantile(pair_s, 0.5), "pair_p99": quantile(pair_s, 0.99),
        "during_import": during_import, "import_outlasted_reviewers": import_running if importer else None,
        "problems": problems,
    }


def summary(r):
    """One paragraph of the figures."""
    ms = lambda s: "-" if s is None else f"{s * 1000:.1f} ms"
    return (f"{r['sessions']} sessions emptied a queue of {r['items']:,} items (overlap {r['overlap']}) in {r['seconds']:.1f} s: "
            f"{r['decisions']:,} decisions answered, {r['stored']:,} in the store, {r['errors']} errors, {r['lost']} lost, "
            f"{r['beyond_overlap']} items beyond the overlap; POST /api/decide p50 {ms(r['decide_p50'])}, p99 {ms(r['decide_p99'])}, "
            f"max {ms(r['decide_max'])}; next + decide p50 {ms(r['pair_p50'])}, p99 {ms(r['pair_p99'])}; "
            f"{r['decisions_per_second']:.0f} decisions/s"
            + ("" if not r["during_import"] else f"; an import of {os.path.basename(r['during_import'])} ran beside them"
               + (" throughout" if r["import_outlasted_reviewers"] else " (it ended first)")))
