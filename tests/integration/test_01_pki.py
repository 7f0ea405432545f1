"""Scenario 01: the federation PKI (certs/kairan-pki) makes certificates to
the profile of certs/README.md, refuses what the identity rules forbid, and
revokes."""
import os
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PKI = ROOT / "certs" / "kairan-pki"


def pki(*args, check=True):
    return subprocess.run([str(PKI), *map(str, args)], capture_output=True,
                          text=True, check=check)


def verify(d, leaf, ca="45", crl=False):
    cmd = ["openssl", "verify", "-CAfile", d / "root" / "ca.pem",
           "-untrusted", d / f"ca-{ca}" / "ca.pem"]
    if crl:
        cmd += ["-crl_check_all", "-CRLfile", d / "crl.pem"]
    return subprocess.run([*map(str, cmd), str(leaf)], capture_output=True,
                          text=True)


def text(cert):
    return subprocess.run(["openssl", "x509", "-in", str(cert), "-noout",
                           "-text", "-nameopt", "RFC2253"],
                          capture_output=True, text=True, check=True).stdout


@pytest.fixture()
def fed(tmp_path):
    d = tmp_path / "pki"
    pki("init", d)
    pki("ca", d, "45")
    pki("ca", d, "national")
    return d


def test_keys_are_private_and_leaf_verifies(fed):
    pki("issue", fed, "452017", "--role", "node")
    e = fed / "entities" / "452017"
    for key in (e / "key.pem", fed / "root" / "ca.key", fed / "ca-45" / "ca.key"):
        assert stat.S_IMODE(os.stat(key).st_mode) == 0o600, key
    r = verify(fed, e / "cert.pem", crl=True)
    assert r.returncode == 0, r.stdout + r.stderr
    # chain.pem is the leaf, then the intermediate
    chain = (e / "chain.pem").read_text()
    assert chain.count("BEGIN CERTIFICATE") == 2
    assert chain.startswith((e / "cert.pem").read_text())


def test_leaf_profile(fed):
    pki("issue", fed, "452017", "--role", "node")
    t = text(fed / "entities" / "452017" / "cert.pem")
    assert "Subject: CN=452017,OU=node,O=kairan" in t
    assert "ASN1 OID: prime256v1" in t
    assert "ecdsa-with-SHA256" in t
    assert "CA:FALSE" in t
    assert "Digital Signature" in t
    assert "TLS Web Client Authentication" in t
    ca = text(fed / "ca-45" / "ca.pem")
    assert "Subject: CN=45,O=kairan" in ca
    assert "pathlen:0" in ca


def test_relay_certificate_names_loopback(fed):
    pki("issue", fed, "relay-45", "--role", "relay")
    t = text(fed / "entities" / "relay-45" / "cert.pem")
    assert "OU=relay" in t
    assert "IP Address:127.0.0.1" in t and "DNS:localhost" in t


def test_national_names_come_from_national_ca(fed):
    pki("issue", fed, "mic", "--role", "node")
    r = verify(fed, fed / "entities" / "mic" / "cert.pem", ca="national")
    assert r.returncode == 0, r.stdout + r.stderr


def test_code_needs_its_prefecture_ca(fed):
    r = pki("issue", fed, "131083", "--role", "node", check=False)
    assert r.returncode == 1
    assert "CA 13" in r.stderr and "kairan-pki ca" in r.stderr
    assert not (fed / "entities" / "131083" / "cert.pem").exists()


def test_bad_check_digit_refused(fed):
    r = pki("issue", fed, "452018", "--role", "node", check=False)
    assert r.returncode == 1
    assert "check digit" in r.stderr
    assert not (fed / "entities" / "452018").exists()


def test_bad_role_and_usage(fed):
    r = pki("issue", fed, "452017", "--role", "admin", check=False)
    assert r.returncode == 1 and "--role" in r.stderr
    r = pki("frobnicate", check=False)
    assert r.returncode == 2


def test_no_reissue_without_force(fed):
    pki("issue", fed, "452017", "--role", "node")
    r = pki("issue", fed, "452017", "--role", "node", check=False)
    assert r.returncode == 1 and "exists" in r.stderr


def test_revoke_lands_in_crl(fed):
    pki("issue", fed, "452017", "--role", "node")
    leaf = fed / "entities" / "452017" / "cert.pem"
    assert verify(fed, leaf, crl=True).returncode == 0
    pki("revoke", fed, "452017")
    r = verify(fed, leaf, crl=True)
    assert r.returncode != 0
    assert "error 23" in r.stdout + r.stderr  # certificate revoked
    # one CRL per CA, root included, all in crl.pem
    names = sorted(p.name for p in (fed / "crl").iterdir())
    assert names == ["45.crl.pem", "national.crl.pem", "root.crl.pem"]
    assert (fed / "crl.pem").read_text().count("BEGIN X509 CRL") == 3


def test_fixture_pki(tmp_path):
    out = tmp_path / "fx"
    subprocess.run(["bash", str(ROOT / "tests" / "unit" / "mkpki.sh"),
                    str(out)], check=True)
    for e in ["452017", "450006", "452025", "131083", "131024", "mic",
              "nisc", "relay-45", "relay-13", "ops-45"]:
        for f in ["key.pem", "cert.pem", "chain.pem"]:
            assert (out / "entities" / e / f).exists(), (e, f)
    cases = {"pref13-by-45", "expired", "notyet", "revoked", "unknown-root",
             "wrong-role", "no-ou", "two-cn", "bad-checkdigit", "handmade",
             "national-for-code", "relay-wrong-ca", "relay-role-code",
             "relay-role-national", "node-role-relay-name",
             "operator-role-code", "server-only"}
    assert {p.name for p in (out / "bad").iterdir()} == cases
    v = lambda c: verify(out, out / "bad" / c / "cert.pem", crl=True)
    assert "error 10" in v("expired").stdout + v("expired").stderr
    assert "error 9" in v("notyet").stdout + v("notyet").stderr
    assert "error 23" in v("revoked").stdout + v("revoked").stderr
    assert v("unknown-root").returncode != 0
    assert v("handmade").returncode == 0
