"""Helpers for the console and /metrics scenarios (95-99): a relay with a
[console] and/or [metrics] section, the console's own certificate, and
HTTP(S) requests that return status, headers and body whatever the status;
for scenario 99 a real headless browser (Debian's chromium, driven by
python3-selenium through chromium-driver) as the `browser` fixture.
"""
import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import harness

ROOT = harness.ROOT


def console_cert(d):
    """A self-signed server certificate for localhost and 127.0.0.1 (what a
    browser checks), as (cert, key)."""
    cert, key = d / "console-cert.pem", d / "console-key.pem"
    if not cert.exists():
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
             "/CN=localhost", "-addext",
             "subjectAltName=DNS:localhost,IP:127.0.0.1",
             "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True)
    return cert, key


def with_sections(relay, console=False, metrics=None, geometry=None):
    """Appends [console] (port chosen by the kernel, the repository's
    relay/console/ folder; geometry = the TopoJSON file of /api/geometry if
    given) and [metrics] (listen = metrics) to the relay's configuration.
    The listen lines are written without spaces around '=' so that the
    harness's port rewrite of [relay] listen leaves them alone.
    """
    text = relay.conf.read_text()
    if console:
        cert, key = console_cert(relay.dir)
        text += ("[console]\nlisten=127.0.0.1:0\ncert = %s\nkey = %s\n"
                 "root = %s\n" % (cert, key, ROOT / "relay" / "console"))
        if geometry:
            text += "geometry = %s\n" % geometry
    if metrics is not None:
        text += "[metrics]\nlisten=%s\n" % metrics
    relay.conf.write_text(text)


def console_port(relay):
    m = relay.wait_log(r"console listening addr=127\.0\.0\.1:(\d+)\b")
    return int(m.group(1))


def keep_console_port(relay):
    """After the first start: the console's port written into the
    configuration, so that a restart listens there again (a browser's
    page keeps its origin)."""
    port = console_port(relay)
    text = relay.conf.read_text()
    relay.conf.write_text(text.replace("listen=127.0.0.1:0\n",
                                       f"listen=127.0.0.1:{port}\n", 1))
    return port


def metrics_port(relay):
    m = relay.wait_log(r"metrics listening addr=127\.0\.0\.1:(\d+)\b")
    return int(m.group(1))


def tls_context(relay):
    cert, _ = console_cert(relay.dir)
    ctx = ssl.create_default_context(cafile=str(cert))
    return ctx


def get(url, ctx=None, method="GET", data=None, headers=None):
    """(status, headers (lower-case names), body bytes), 4xx/5xx included."""
    req = urllib.request.Request(url, data=data, method=method,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, \
                r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def raw(port, ctx, request, host="localhost"):
    """Sends request (bytes, exactly as given: paths no client would
    normalise) over TLS; returns (status or None if closed, whole reply)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname=host) as t:
            t.sendall(request)
            reply = b""
            try:
                while True:
                    b = t.recv(65536)
                    if not b:
                        break
                    reply += b
                    if b"\r\n\r\n" in reply:
                        head, _, rest = reply.partition(b"\r\n\r\n")
                        m = re.search(rb"content-length:\s*(\d+)", head,
                                      re.I)
                        if m and len(rest) >= int(m.group(1)):
                            break
            except (ConnectionError, ssl.SSLError, socket.timeout):
                pass
    m = re.match(rb"HTTP/1\.[01] (\d{3})", reply)
    return (int(m.group(1)) if m else None), reply


def scrape(port, host="127.0.0.1", ctx=None, scheme="http"):
    """/metrics parsed: {(name, frozenset(labels.items())): value}."""
    status, headers, body = get(f"{scheme}://{host}:{port}/metrics", ctx)
    assert status == 200, (status, body)
    assert headers["content-type"].startswith("text/plain; version=0.0.4")
    out = {}
    for line in body.decode().splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
        assert m, line
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3)
                                 or ""))
        out[(m.group(1), frozenset(labels.items()))] = float(m.group(4))
    return out


def metric(scraped, name, **labels):
    return scraped.get((name, frozenset(labels.items())), 0.0)


def run_op(relay, *args, stdin=""):
    """kairan-relay -f CONF operator ARGS..., password lines on stdin."""
    return subprocess.run([str(harness.BIN / "kairan-relay"), "-f",
                           str(relay.conf), "operator", *args],
                          input=stdin, capture_output=True, text=True)


def add_operator(relay, name, password):
    res = run_op(relay, "add", name, stdin=password + "\n")
    assert res.returncode == 0, res.stderr


def issue_token(relay, name):
    """A new bearer token of operator name (64 hex digits)."""
    res = run_op(relay, "token", name)
    assert res.returncode == 0, res.stderr
    token = res.stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", token), res.stdout
    return token


class Console:
    """One browser-like client of a relay's console: keeps the session
    cookie and the CSRF token the way the page does, speaks HTTP/1.1 over
    TLS from a chosen source address (127.0.0.x: the login limiter counts
    per address)."""

    def __init__(self, relay, source="127.0.0.1", port=None):
        self.port = port or console_port(relay)
        self.ctx = tls_context(relay)
        self.source = source
        self.cookie = None
        self.csrf = None

    def request(self, method, path, body=None, headers=None, cookie=True):
        """(status, headers (lower-case names; set-cookie a list), parsed
        JSON or bytes)."""
        import json
        conn = http.client.HTTPSConnection(
            "localhost", self.port, context=self.ctx, timeout=30,
            source_address=(self.source, 0))
        h = dict(headers or {})
        if cookie and self.cookie is not None:
            h.setdefault("Cookie", self.cookie)
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else \
                json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            raw_body = r.read()
            hdrs = {}
            for k, v in r.getheaders():
                k = k.lower()
                if k == "set-cookie":
                    hdrs.setdefault(k, []).append(v)
                else:
                    hdrs[k] = v
        finally:
            conn.close()
        ctype = hdrs.get("content-type", "")
        out = raw_body
        if ctype.startswith("application/json"):
            out = json.loads(raw_body.decode("utf-8"))
        return r.status, hdrs, out

    def login(self, name, password):
        """POST /login; on 200 keeps the cookie and the CSRF token."""
        status, h, body = self.request("POST", "/login",
                                       {"name": name, "password": password},
                                       cookie=False)
        if status == 200:
            c = h["set-cookie"][0]
            self.cookie = c.split(";", 1)[0]
            self.csrf = body["csrf"]
        return status, h, body

    def post(self, path, body, csrf=True):
        h = {"X-CSRF-Token": self.csrf} if csrf and self.csrf else {}
        return self.request("POST", path, body if body is not None else b"",
                            headers=h)


# --- a real browser (scenario 99) ---

# The municipalities' outlines of ../shared/data (read in place, never
# copied into the repository).
GEOMETRY = harness.DATA / "geometry" / "smartnews_N03-21_210101_s0001.topojson"
ARTIFACTS = Path(os.environ.get("KAIRAN_ARTIFACTS",
                                ROOT / "tests" / "artifacts"))


def browser_missing():
    """What of chromium, chromium-driver and python3-selenium is missing
    (a list of Debian package names; empty when all are there)."""
    missing = []
    if not (shutil.which("chromium") or os.path.exists("/usr/bin/chromium")):
        missing.append("chromium")
    if not (shutil.which("chromedriver") or
            os.path.exists("/usr/bin/chromedriver")):
        missing.append("chromium-driver")
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("python3-selenium")
    return missing


def require_browser():
    """Fails (CI set: CI installs what deploy/deps.sh lists, so a missing
    browser there is a broken setup) or skips (locally, saying what to
    install) when the browser cannot run."""
    import pytest
    missing = browser_missing()
    if not missing:
        return
    why = ("the console's browser tests need Debian's " + ", ".join(missing)
           + " (bash deploy/deps.sh installs them)")
    if os.environ.get("CI"):
        pytest.fail(why + "; CI is set, so this is a failure, not a skip",
                    pytrace=False)
    pytest.skip(why)


class Browser:
    """A headless chromium for one test: its own profile, the console's
    self-signed certificate accepted, the browser's console kept. Waits
    poll the DOM (WebDriverWait), never sleep."""

    def __init__(self, workdir, name):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        # make check runs the scenarios against build/ and build-san/:
        # the artefacts of the second run do not overwrite the first's
        b = Path(harness.BUILD).name
        self.name = re.sub(r"[^A-Za-z0-9_.-]+", "_",
                           name if b == "build" else f"{b}-{name}")
        self.shots = []
        opts = webdriver.ChromeOptions()
        opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
                  "--disable-dev-shm-usage", "--window-size=1400,1000",
                  "--lang=ja-JP", "--no-first-run",
                  "--disable-background-networking",
                  f"--user-data-dir={workdir / 'chromium-profile'}"):
            opts.add_argument(a)
        opts.accept_insecure_certs = True
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(shutil.which("chromedriver") or
                          "/usr/bin/chromedriver",
                          log_path=str(workdir / "chromedriver.log"))
        self.driver = webdriver.Chrome(service=service, options=opts)
        self.driver.set_page_load_timeout(harness.TIMEOUT)
        self.driver.set_script_timeout(harness.TIMEOUT)
        self.log = []

    def wait(self, cond, what, timeout=harness.TIMEOUT):
        """Polls cond(driver) (on the DOM) until truthy; returns its value;
        on timeout an AssertionError that says what was awaited (and a
        screenshot of that moment)."""
        from selenium.common.exceptions import (
            StaleElementReferenceException, TimeoutException)
        from selenium.webdriver.support.ui import WebDriverWait
        try:
            return WebDriverWait(
                self.driver, timeout, poll_frequency=0.05,
                ignored_exceptions=(StaleElementReferenceException,)).until(
                    cond)
        except TimeoutException:
            self.shot("timeout")
            raise AssertionError(f"timed out after {timeout}s waiting for "
                                 f"{what}") from None

    def css(self, selector):
        from selenium.webdriver.common.by import By
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def wait_css(self, selector, what=None, text=None):
        """The first element matching selector that is displayed (and
        whose text contains text)."""
        def found(d):
            for e in self.css(selector):
                if e.is_displayed() and (text is None or text in e.text):
                    return e
            return None
        return self.wait(found, what or (selector + (f" with {text!r}"
                                                     if text else "")))

    def click(self, selector, what=None):
        """Clicks the first displayed element matching selector, found
        afresh until the click lands (a live refresh may redraw it between
        finding and clicking)."""
        from selenium.common.exceptions import (
            ElementNotInteractableException, StaleElementReferenceException)

        def clicked(d):
            for e in self.css(selector):
                try:
                    if e.is_displayed():
                        e.click()
                        return True
                except (StaleElementReferenceException,
                        ElementNotInteractableException):
                    return False
            return False
        self.wait(clicked, what or f"a click on {selector}")

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def fetch(self, method, path, headers=None, body=None):
        """A fetch() from inside the page (its cookie, its origin):
        {status, text}."""
        return self.driver.execute_async_script(
            "const [m, p, h, b, done] = arguments;"
            "fetch(p, {method: m, headers: h || {}, body: b,"
            " credentials: 'same-origin'})"
            ".then(async r => done({status: r.status, text: await r.text()}))"
            ".catch(e => done({status: 0, text: String(e)}));",
            method, path, headers, body)

    def shot(self, label):
        """Saves a screenshot as an artefact: $KAIRAN_ARTIFACTS (default
        tests/artifacts/) / NAME-N-LABEL.png."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.name}-{len(self.shots):02d}-{label}.png"
        try:
            self.driver.save_screenshot(str(path))
            self.shots.append(path)
        except Exception:  # a dead browser must not hide the real failure
            pass
        return path

    def console_log(self):
        """The browser's console since the last call (kept in self.log)."""
        try:
            entries = self.driver.get_log("browser")
        except Exception:
            entries = []
        self.log += entries
        return entries

    def errors(self):
        """Script errors and CSP violations so far (not the failed requests
        a test provokes on purpose: those are source 'network')."""
        self.console_log()
        return [e for e in self.log if e.get("level") == "SEVERE" and
                e.get("source") != "network"]

    def quit(self):
        self.console_log()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / f"{self.name}-console.log").write_text(
            "".join(f"{e.get('level')} {e.get('source')} "
                    f"{e.get('message')}\n" for e in self.log))
        self.driver.quit()


try:
    import pytest

    @pytest.fixture()
    def browser(request, tmp_path):
        """A Browser for one test (scenario 99: import it from consolehelp);
        a last screenshot and the browser's console are saved and the
        browser quits in the finaliser, also when the test failed."""
        require_browser()
        b = Browser(tmp_path, request.node.name)
        try:
            yield b
        finally:
            try:
                b.shot("end")
            finally:
                b.quit()
except ImportError:  # used outside pytest
    pass
