"""Scenario 17: deployment works as written. `make install` (DESTDIR,
PREFIX) puts the programs, units, system users, example configurations and
documentation where the units name them; `systemd-analyze verify` finds
nothing to say about the installed units and their hardening still rates
"OK"; deploy/relay.conf.example and deploy/node.conf.example pass `-n` once
their paths exist; and the node's files are usable by its group with the
unit's modes (setgid 2770 state directory, UMask 0007): a member of the
group who is not the daemon's user runs the command line."""
import os
import re
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

import harness
from harness import BIN, BUILD, DIRECTORY, ROOT, wait_for
from nodeharness import REPORT_1

ANALYZE = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"
UNITS = ("kairan-relay", "kairan-node")
PROGRAMS = ("kairan-relay", "kairan-node", "kairan-dir", "kairan-pki")
# what the units must keep (a change that drops one fails here)
HARDENING = ["NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
             "PrivateTmp=yes", "PrivateDevices=yes",
             "ProtectKernelTunables=yes", "ProtectKernelModules=yes",
             "ProtectKernelLogs=yes", "ProtectControlGroups=yes",
             "ProtectClock=yes", "ProtectHostname=yes",
             "ProtectProc=invisible",
             "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
             "RestrictNamespaces=yes", "RestrictRealtime=yes",
             "RestrictSUIDSGID=yes", "LockPersonality=yes",
             "MemoryDenyWriteExecute=yes", "SystemCallArchitectures=native",
             "SystemCallFilter=@system-service",
             "SystemCallFilter=~@privileged @resources",
             "CapabilityBoundingSet=", "AmbientCapabilities="]


def make_install(**vars):
    """`make install VAR=...` with the programs under test (KAIRAN_BIN):
    nothing is built, only installed."""
    args = ["make", "-s", "--no-print-directory", "-C", str(ROOT), "install",
            f"BIN={BIN}", f"BUILD={BUILD}"]
    args += [f"{k}={v}" for k, v in vars.items()]
    p = subprocess.run(args, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    assert not re.search(r"(^| )(cc|gcc|clang) ", p.stdout), p.stdout
    return p


def unit(path):
    """key -> [values] of a unit file (comments and sections dropped)."""
    d = {}
    for line in Path(path).read_text().splitlines():
        if line and line[0] not in "#;[" and "=" in line:
            k, v = line.split("=", 1)
            d.setdefault(k, []).append(v)
    return d


def conf_value(text, key):
    m = re.search(rf"^{key} = (.*)$", text, re.M)
    return m.group(1) if m else None


def test_install_into_destdir(tmp_path):
    dest = tmp_path / "dest"
    make_install(DESTDIR=dest)
    prefix = dest / "usr" / "local"
    for p in PROGRAMS:
        f = prefix / "bin" / p
        assert f.is_file() and stat.S_IMODE(f.stat().st_mode) == 0o755, f
    sysusers = (prefix / "lib" / "sysusers.d" / "kairan.conf").read_text()
    users = {l.split()[1] for l in sysusers.splitlines()
             if l.startswith("u ")}
    assert users == {"kairan-relay", "kairan-node"}
    for name in UNITS:
        f = prefix / "lib" / "systemd" / "system" / f"{name}.service"
        assert stat.S_IMODE(f.stat().st_mode) == 0o644
        u = unit(f)
        # every program a unit runs is an installed one, or the system's
        for key in ("ExecStartPre", "ExecStart", "ExecReload"):
            for cmd in u[key]:
                exe = cmd.split()[0]
                if exe.startswith("/usr/local/"):
                    assert (dest / exe.lstrip("/")).is_file(), (name, exe)
                else:
                    assert exe in ("/bin/kill", "/usr/bin/touch"), exe
                    assert os.access(exe, os.X_OK), exe
        for doc in u["Documentation"]:
            assert doc.startswith("file:/")
            assert (dest / doc[len("file:/"):]).is_file(), (name, doc)
        # the configuration it reads has its example beside it
        conf = u["ExecStart"][0].split()[2]
        assert conf == f"/etc/kairan/{name[len('kairan-'):]}.conf"
        ex = dest / (conf.lstrip("/") + ".example")
        assert ex.is_file(), ex
        # its user is one sysusers creates; its database is in its state
        # directory
        assert u["User"] == [name] and u["Group"] == [name]
        assert u["StateDirectory"] == [name]
        assert conf_value(ex.read_text(), "db").startswith(f"/var/lib/{name}/")
        for h in HARDENING:
            k, v = h.split("=", 1)
            assert v in u.get(k, []), (name, h)
        assert u["ReadOnlyPaths"] == ["/etc/kairan"]
    # the relay's files are its own; the node's are its group's too
    relay = unit(prefix / "lib/systemd/system/kairan-relay.service")
    assert relay["UMask"] == ["0077"] and relay["StateDirectoryMode"] == ["0700"]
    node = unit(prefix / "lib/systemd/system/kairan-node.service")
    assert node["UMask"] == ["0007"] and node["StateDirectoryMode"] == ["2770"]
    doc = prefix / "share" / "doc" / "kairan"
    for f in ("README.md", "deploy/README.md", "certs/README.md",
              "proto/PROTOCOL.md"):
        assert (doc / f).is_file(), f
    # nothing outside DESTDIR's tree: /etc/kairan and PREFIX only
    assert sorted(os.listdir(dest)) == ["etc", "usr"]
    assert sorted(os.listdir(dest / "etc" / "kairan")) == [
        "node.conf.example", "relay.conf.example"]


def test_systemd_analyze_verify_installed_units(tmp_path):
    assert os.access(ANALYZE, os.X_OK), \
        f"{ANALYZE} missing: make deps (Debian package systemd)"
    # installed under a PREFIX of its own, so that the programs the units
    # name exist on this machine, which verify checks
    prefix = tmp_path / "prefix"
    make_install(PREFIX=prefix, CONFDIR=prefix / "etc" / "kairan")
    for name in UNITS:
        f = prefix / "lib" / "systemd" / "system" / f"{name}.service"
        text = f.read_text()
        assert f"{prefix}/bin/{name} -f {prefix}/etc/kairan/" in text
        assert "/usr/local/" not in text
        p = subprocess.run([ANALYZE, "verify", str(f)], capture_output=True,
                           text=True)
        # verify exits 0 on unknown keys and bad values: it must say nothing
        assert p.returncode == 0 and p.stderr == "" and p.stdout == "", \
            (name, p.stdout, p.stderr)
        p = subprocess.run([ANALYZE, "security", "--offline=yes", str(f)],
                           capture_output=True, text=True)
        m = re.search(r"Overall exposure level for \S+: ([0-9.]+) (\w+)",
                      p.stdout)
        assert m and float(m.group(1)) <= 2.0 and m.group(2) == "OK", \
            (name, p.stdout[-2000:], p.stderr)
    # and the check can fail: a misspelt option is reported
    bad = tmp_path / "kairan-node.service"
    bad.write_text((prefix / "lib/systemd/system/kairan-node.service")
                   .read_text().replace("ProtectClock=", "ProtectClok="))
    p = subprocess.run([ANALYZE, "verify", str(bad)], capture_output=True,
                       text=True)
    assert "ProtectClok" in p.stderr


def instantiate(example, root):
    """The example with /etc/kairan and /var/lib moved under root in its
    settings (comments as they are), and nothing else changed."""
    out = []
    for line in (ROOT / "deploy" / example).read_text().splitlines():
        if not line.startswith(";"):
            line = line.replace("/etc/kairan/", f"{root}/etc/kairan/") \
                       .replace("/var/lib/", f"{root}/var/lib/")
        out.append(line)
    return "\n".join(out) + "\n"


def etc(root, pki, entity, sub):
    e = root / "etc" / "kairan"
    (e / sub).mkdir(parents=True)
    shutil.copy(pki.entity(entity) / "chain.pem", e / sub / "chain.pem")
    shutil.copy(pki.entity(entity) / "key.pem", e / sub / "key.pem")
    shutil.copy(pki.ca, e / "ca.pem")
    shutil.copy(pki.crl, e / "crl.pem")
    shutil.copy(DIRECTORY, e / "directory.json")
    return e


def test_relay_example_works_as_written(tmp_path, pki):
    etc(tmp_path, pki, "relay-45", "relay")
    (tmp_path / "var" / "lib" / "kairan-relay").mkdir(parents=True)
    conf = tmp_path / "relay.conf"
    conf.write_text(instantiate("relay.conf.example", tmp_path))
    p = subprocess.run([str(BIN / "kairan-relay"), "-f", str(conf), "-n"],
                       capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout == "configuration OK\n", \
        p.stdout + p.stderr


def test_node_example_works_as_written(tmp_path, pki):
    etc(tmp_path, pki, "452017", "node")
    (tmp_path / "var" / "lib" / "kairan-node").mkdir(parents=True)
    text = instantiate("node.conf.example", tmp_path)
    conf = tmp_path / "node.conf"
    conf.write_text(text)

    def check():
        return subprocess.run([str(BIN / "kairan-node"), "-f", str(conf),
                               "-n"], capture_output=True, text=True)
    p = check()
    assert p.returncode == 0 and p.stdout == "configuration OK\n", \
        p.stdout + p.stderr
    # the second route, to the national relay, is there with why
    assert re.search(r"^\[route national\]\nurl = wss://relay-national",
                     text, re.M)
    assert "連絡ルートの多重化" in text.split("[route national]")[0]


# A group id that no one on this machine has, standing for kairan-node,
# and the unprivileged user who is a member of it.
GID = 47017
NOBODY = 65534


def as_member():
    os.setgroups([GID])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


def unit_commands(name, root):
    """The ExecStartPre commands and the ExecStart command of deploy/NAME,
    with its paths moved under root and to the programs under test."""
    def moved(cmd):
        return [w.replace("/usr/local/bin/", f"{BIN}/")
                 .replace("/etc/kairan/", f"{root}/etc/kairan/")
                 .replace("/var/lib/", f"{root}/var/lib/")
                for w in cmd.split()]
    u = unit(ROOT / "deploy" / name)
    return [moved(c) for c in u["ExecStartPre"]], moved(u["ExecStart"][0])


@pytest.fixture()
def group_node(relays, pki):
    """A node laid out as deploy/ says (state directory root:GID 2770, key
    root:GID 0640), started as kairan-node.service starts it (its
    ExecStartPre commands, then ExecStart, under its UMask 0007), with a
    relay for it; in a folder others may traverse (the test's own is 0700).
    The daemon runs as root here; what matters is what it creates."""
    if os.geteuid() != 0:
        pytest.skip("needs root: runs the command line as another user")
    relay = relays()
    root = Path(tempfile.mkdtemp(prefix="kairan-grp."))
    daemon = None
    try:
        os.chmod(root, 0o711)
        e = etc(root, pki, "452017", "node")
        for dirpath, dirs, files in os.walk(root / "etc"):
            os.chmod(dirpath, 0o755)
            for f in files:
                os.chmod(os.path.join(dirpath, f), 0o644)
        os.chown(e / "node" / "key.pem", 0, GID)
        os.chmod(e / "node" / "key.pem", 0o640)
        state = root / "var" / "lib" / "kairan-node"
        state.mkdir(parents=True)
        os.chmod(root / "var", 0o755)
        os.chmod(root / "var" / "lib", 0o755)
        os.chown(state, 0, GID)       # StateDirectory=, StateDirectoryMode=
        os.chmod(state, 0o2770)
        text = instantiate("node.conf.example", root)
        text = re.sub(r"^url = .*$", f"url = {relay.url}", text, count=1,
                      flags=re.M).replace("log_level = info",
                                          "log_level = debug")
        conf = root / "etc" / "kairan" / "node.conf"
        conf.write_text(text)
        os.chmod(conf, 0o644)
        pre, start = unit_commands("kairan-node.service", root)
        assert start[-1] == "run" and str(conf) in start
        old = os.umask(0o007)         # UMask=
        try:
            for cmd in pre:
                p = subprocess.run(cmd, capture_output=True, text=True)
                assert p.returncode == 0, (cmd, p.stdout, p.stderr)
            daemon = harness.Process(start, root / "node.log").start()
        finally:
            os.umask(old)
        daemon.wait_log(r"route=pref ready")
        yield conf, state, daemon
    finally:
        try:
            if daemon is not None:
                assert daemon.stop() == 0, daemon.text()[-3000:]
        finally:
            shutil.rmtree(root)


def mode(p):
    st = os.stat(p)
    return stat.S_IMODE(st.st_mode), st.st_gid


def test_node_files_usable_by_its_group(group_node):
    conf, state, daemon = group_node
    db = state / "node.db"
    wait_for(lambda: db.exists() and Path(f"{db}-wal").exists(),
             what="the database and its WAL")
    # a member of the group (not root, not the daemon's user) sends
    p = subprocess.run([str(BIN / "kairan-node"), "-f", str(conf), "send",
                        "--report", str(REPORT_1), "--to", "452025"],
                       capture_output=True, text=True, preexec_fn=as_member,
                       cwd=REPORT_1.parent)
    assert p.returncode == 0, p.stdout + p.stderr + subprocess.run(
        ["ls", "-la", str(state)], capture_output=True, text=True).stdout
    mid = p.stdout.split()[3]
    daemon.wait_log(r"route=pref accepted id=%s" % mid)
    for f in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        assert mode(f) == (0o660, GID), (f, oct(mode(f)[0]), mode(f)[1])


def test_node_poke_socket_usable_by_its_group(group_node):
    conf, state, daemon = group_node
    sock = state / "node.db.sock"
    wait_for(sock.exists, what="the poke socket")
    m, gid = mode(sock)
    assert gid == GID and m & 0o060 == 0o060, (oct(m), gid)
