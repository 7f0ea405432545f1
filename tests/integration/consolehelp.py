"""Helpers for the console and /metrics scenarios (95, 96): a relay with a
[console] and/or [metrics] section, the console's own certificate, and
HTTP(S) requests that return status, headers and body whatever the status.
"""
import http.client
import re
import socket
import ssl
import subprocess
import urllib.error
import urllib.request

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


def with_sections(relay, console=False, metrics=None):
    """Appends [console] (port chosen by the kernel, the repository's
    relay/console/ folder) and [metrics] (listen = metrics) to the relay's
    configuration. The listen lines are written without spaces around '='
    so that the harness's port rewrite of [relay] listen leaves them alone.
    """
    text = relay.conf.read_text()
    if console:
        cert, key = console_cert(relay.dir)
        text += ("[console]\nlisten=127.0.0.1:0\ncert = %s\nkey = %s\n"
                 "root = %s\n" % (cert, key, ROOT / "relay" / "console"))
    if metrics is not None:
        text += "[metrics]\nlisten=%s\n" % metrics
    relay.conf.write_text(text)


def console_port(relay):
    m = relay.wait_log(r"console listening addr=127\.0\.0\.1:(\d+)\b")
    return int(m.group(1))


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
