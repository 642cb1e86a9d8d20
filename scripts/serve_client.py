"""A signed-in HTTP client of `winnow serve`, standard library only (scripts/bench's serve
section; usable from any check): starts the server on an ephemeral port, signs in through
the printed URL's form as a browser does, and keeps the session cookie and CSRF token."""
import json
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def start(winnow, db, *extra):
    """`winnow serve --port 0` on `db`; returns (process, base URL, sign-in token)."""
    proc = subprocess.Popen([winnow, "serve", "--port", "0", "--db", db, *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 60
    lines = []
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        m = re.search(r"(http://\S+)/\?token=(\S+)", line)
        if m:
            return proc, m.group(1), m.group(2)
    proc.kill()
    raise RuntimeError("winnow serve printed no URL:\n" + "".join(lines))


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Session:
    """One reviewer signed in: `get`, `post_json`; each returns (status, body text, seconds)."""

    def __init__(self, base, token, reviewer):
        self.base = base
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            opener.open(base + "/signin", urllib.parse.urlencode({"token": token, "reviewer": reviewer}).encode())
            raise RuntimeError("sign-in did not redirect")
        except urllib.error.HTTPError as e:
            if e.code != 303:
                raise RuntimeError(f"sign-in answered {e.code}") from None
            self.cookie = e.headers["Set-Cookie"].split(";")[0]
        status, page, _ = self.get("/")
        self.csrf = re.search(r'<meta name="csrf" content="([^"]+)"', page).group(1)

    def _send(self, request):
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request) as r:
                body = r.read().decode("utf-8", "replace")
                return r.status, body, time.perf_counter() - start
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace"), time.perf_counter() - start

    def get(self, path, **query):
        url = self.base + path + ("?" + urllib.parse.urlencode(query) if query else "")
        return self._send(urllib.request.Request(url, headers={"Cookie": self.cookie}))

    def post_json(self, path, obj):
        return self._send(urllib.request.Request(
            self.base + path, data=json.dumps(obj).encode(),
            headers={"Cookie": self.cookie, "X-CSRF-Token": self.csrf, "Content-Type": "application/json"}))
