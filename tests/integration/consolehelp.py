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
