"""Scenario 50: `kairan-pki issue relay-PP --role relay --san DNS:...,IP:...`
gives a relay its real host names: they are in the leaf's subjectAltName
(instead of the loopback names), a client that checks the name by them is
served, one that expects another name is not, and the identity rules hold
as before (CN and OU decide who it is; the CA of the prefecture issues it;
--san is for relays only, and a bad entry is refused naming it, changing
nothing)."""
import shutil
import socket
import ssl
import subprocess

import pytest

import harness
from harness import ROOT
from kairan_client import Identity

PKI = ROOT / "certs" / "kairan-pki"
HOST = "relay-45.kairan.example.lg.jp"


def pki_run(*args):
    return subprocess.run([str(PKI), *map(str, args)], capture_output=True,
                          text=True)


def x509(cert, *what):
    return subprocess.run(["openssl", "x509", "-in", str(cert), "-noout",
                           *what], capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture()
def own_pki(tmp_path, pki):
    """A copy of the session's PKI: reissuing relay-45 here leaves the
    other scenarios' relay-45 as it was."""
    shutil.copytree(pki.path, tmp_path / "pki")
    return harness.Pki(tmp_path / "pki")


def test_san_in_leaf_and_identity_unchanged(own_pki):
    p = pki_run("issue", own_pki.path, "relay-45", "--role", "relay",
                "--force", "--san", f"DNS:{HOST},IP:192.0.2.10,IP:2001:db8::7")
    assert p.returncode == 0, p.stderr
    cert = own_pki.entity("relay-45") / "cert.pem"
    san = x509(cert, "-ext", "subjectAltName")
    assert f"DNS:relay-45, DNS:{HOST}, IP Address:192.0.2.10, " \
           f"IP Address:2001:DB8:0:0:0:0:0:7" in san, san
    assert "localhost" not in san and "127.0.0.1" not in san
    assert x509(cert, "-subject").strip() == \
        "subject=O = kairan, OU = relay, CN = relay-45"
    assert x509(cert, "-issuer").strip() == "issuer=O = kairan, CN = 45"
    # the relay accepts it as its own (identity checked by -n)
    r = harness.Relay(own_pki.path.parent, own_pki)
    out = r.run("-n")
    assert out.returncode == 0 and out.stdout == "configuration OK\n", \
        out.stdout + out.stderr


def test_client_checks_the_host_name(relays, own_pki):
    assert pki_run("issue", own_pki.path, "relay-45", "--role", "relay",
                   "--force", "--san", f"DNS:{HOST}").returncode == 0
    relay = relays(start=False)  # made with the session PKI: use our own
    relay.conf.write_text(relay.conf.read_text().replace(
        str(relay.pki.path), str(own_pki.path)))
    relay.start()
    me = Identity(own_pki.entity("452017"))

    def connect(name):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(str(own_pki.ca))
        ctx.load_cert_chain(me.chain_file, me.key_file)
        with socket_to(relay.port) as raw:
            with ctx.wrap_socket(raw, server_hostname=name) as tls:
                return tls.getpeercert()["subjectAltName"]
    assert ("DNS", HOST) in connect(HOST)
    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        connect("localhost")


def socket_to(port):
    return socket.create_connection(("127.0.0.1", port), timeout=10)


@pytest.mark.parametrize("san,what", [
    ("DNS:*.example.lg.jp", "'DNS:*.example.lg.jp': expected DNS:HOST"),
    ("IP:300.1.1.1", "'IP:300.1.1.1': expected IP:ADDR"),
    ("URI:https://x", "'URI:https://x': expected DNS:HOST or IP:ADDR"),
    ("DNS:a..b", "'DNS:a..b': expected DNS:HOST"),
    ("", "--san: expected DNS:HOST or IP:ADDR"),
])
def test_bad_san_refused_nothing_changed(own_pki, san, what):
    cert = own_pki.entity("relay-45") / "cert.pem"
    before = cert.read_bytes()
    p = pki_run("issue", own_pki.path, "relay-45", "--role", "relay",
                "--force", "--san", san)
    assert p.returncode == 1 and what in p.stderr, p.stderr
    assert p.stderr.startswith("kairan-pki: issue: --san: "), p.stderr
    assert cert.read_bytes() == before


def test_san_only_for_relays(own_pki):
    cert = own_pki.entity("452017") / "cert.pem"
    before = cert.read_bytes()
    p = pki_run("issue", own_pki.path, "452017", "--role", "node", "--force",
                "--san", f"DNS:{HOST}")
    assert p.returncode == 1
    assert "only a relay's certificate carries host names" in p.stderr
    assert cert.read_bytes() == before
    # nor does a host name make a node of another prefecture a relay of 45:
    # the issuing CA is still chosen by the entity id
    p = pki_run("issue", own_pki.path, "relay-13", "--role", "relay",
                "--force", "--san", f"DNS:{HOST}")
    assert p.returncode == 0, p.stderr
    assert x509(own_pki.entity("relay-13") / "cert.pem", "-issuer").strip() \
        == "issuer=O = kairan, CN = 13"
