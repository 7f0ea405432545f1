"""Scenario 71: routes by policy. The sender's node.conf holds the contact
route as [policy NAME] rules; `send` without --to applies them to the
report's level, category and subtypes and lists on stderr who they
resolved to and which rule required each, --to adds to them, the
recipients get it through a real relay, and `status` (text and --json)
marks the ones the policy required; an `update` whose level grew reaches
whom the rules now require. A report no rule applies to needs
--to; without rules --to is required exactly as before; `-n` expands
every rule's recipients and names the key and line of one that does not."""
import json
import re
import subprocess

from harness import BIN, ROOT
from nodeharness import PREF, REPORT_1, SENDER, fed  # noqa: F401 (fixture)

MITAKO = "452025"   # 都城市, a neighbour of 宮崎市

POLICY = """
[policy level23-prefecture]
; 004: 脅威度がレベル2またはレベル3に該当する可能性が高い場合、県の…に通報
level = 2-3
notify = @prefecture

[policy targeted-ministry]
category = cyber_attack
subtype = 標的型攻撃, 不正アクセス
notify = @ministry

[policy theft]
category = theft_loss
notify = @prefecture
"""


def report(tmp_path, name, level, category, subtypes):
    r = json.loads(REPORT_1.read_text())
    r.pop("attachments")
    r.update(level=level, category=category, subtypes=subtypes)
    p = tmp_path / f"{name}.json"
    p.write_text(json.dumps(r, ensure_ascii=False))
    return p


def ids(out):
    w = out.split()
    assert len(w) == 4 and w[0] == "incident" and w[2] == "message", out
    return w[1], w[3]


def marks(st):
    return {r["entity"]: (r["required"], r["required_by"])
            for r in st["recipients"]}


def test_policy_chooses_recipients(fed, tmp_path):
    relay = fed.relay()
    routes = {"pref": relay}
    s = fed.node(SENDER, routes, start=False)
    s.conf.write_text(s.conf.read_text() + POLICY)
    s.start()
    pref = fed.node(PREF, routes)
    mic = fed.node("mic", routes)
    fed.node(MITAKO, routes)

    p = s.run("send", "--help")
    assert "[--to LIST]" in p.stdout and "[policy NAME]" in p.stdout

    # level 3 targeted attack, no --to: both rules, nobody else
    targeted = report(tmp_path, "targeted", 3, "cyber_attack",
                      ["標的型攻撃", "ウイルス"])
    p = s.run("send", "--report", targeted)
    _, m1 = ids(p.stdout)
    err = p.stderr.splitlines()
    assert ("kairan-node: send: recipients for level 3, cyber_attack: 2 "
            "(2 required by policy)") in err, p.stderr
    assert ("kairan-node: send:   450006 宮崎県: required by policy "
            "level23-prefecture") in err, p.stderr
    assert ("kairan-node: send:   mic 総務省: required by policy "
            "targeted-ministry") in err, p.stderr
    st = s.wait_delivered(m1)
    assert marks(st) == {PREF: (True, ["level23-prefecture"]),
                         "mic": (True, ["targeted-ministry"])}
    pref.wait_inbox(m1)
    mic.wait_inbox(m1)
    text = s.run("status", m1).stdout
    assert re.search(r"^recipient 450006 +宮崎県: +delivered \S+ "
                     r"\[required: level23-prefecture\]$", text, re.M), text
    assert re.search(r"^recipient mic +総務省: +delivered \S+ "
                     r"\[required: targeted-ministry\]$", text, re.M), text

    # level 1 targeted attack, --to adds a neighbour: only the ministry is
    # required, the neighbour is there by --to and not marked
    low = report(tmp_path, "low", 1, "cyber_attack", ["標的型攻撃"])
    p = s.run("send", "--report", low, "--to", MITAKO)
    inc2, m2 = ids(p.stdout)
    assert "kairan-node: send:   452025 都城市: --to" in p.stderr, p.stderr
    assert "450006" not in p.stderr
    st = s.wait_delivered(m2)
    assert marks(st) == {"mic": (True, ["targeted-ministry"]),
                         MITAKO: (False, [])}
    text = s.run("status", m2).stdout
    assert re.search(r"^recipient 452025 +都城市: +delivered \S+$", text,
                     re.M), text

    # its 第2報 says level 3: the prefecture is required now and gets it;
    # the neighbour stays, as a recipient of the earlier report
    p = s.run("update", inc2, "--report", targeted)
    _, m2b = ids(p.stdout)
    assert ("kairan-node: update:   450006 宮崎県: required by policy "
            "level23-prefecture") in p.stderr, p.stderr
    assert "kairan-node: update:   452025 都城市: earlier report" in \
        p.stderr, p.stderr
    st = s.wait_delivered(m2b)
    assert marks(st) == {PREF: (True, ["level23-prefecture"]),
                         "mic": (True, ["targeted-ministry"]),
                         MITAKO: (False, [])}
    pref.wait_inbox(m2b)

    # --to naming a required one too: required, listed once
    p = s.run("send", "--report", targeted, "--to", f"{PREF},{MITAKO}")
    _, m3 = ids(p.stdout)
    st = s.status(m3)
    assert marks(st) == {PREF: (True, ["level23-prefecture"]),
                         "mic": (True, ["targeted-ministry"]),
                         MITAKO: (False, [])}

    # theft at level 0: the prefecture by the theft rule alone
    theft = report(tmp_path, "theft", 0, "theft_loss", ["記録媒体の紛失"])
    _, m4 = ids(s.run("send", "--report", theft).stdout)
    assert marks(s.status(m4)) == {PREF: (True, ["theft"])}

    # no rule applies and no --to: a usage error, nothing written
    before = s.query("SELECT count(*) FROM outbox")[0][0]
    other = report(tmp_path, "other", 1, "other", [])
    p = s.run("send", "--report", other, expect=2)
    assert ("no [policy] rule applies to this report (level 1, category "
            "other) and --to is not given") in p.stderr, p.stderr
    assert s.query("SELECT count(*) FROM outbox")[0][0] == before
    # with --to it goes, nobody marked
    _, m5 = ids(s.run("send", "--report", other, "--to", MITAKO).stdout)
    assert marks(s.status(m5)) == {MITAKO: (False, [])}

    # a node without rules: --to is required exactly as before
    p = pref.run("send", "--report", targeted, expect=2)
    assert p.stderr.startswith("kairan-node: send: --to is required\n"), \
        p.stderr
    assert "usage: kairan-node" in p.stderr


def check(conf):
    return subprocess.run([str(BIN / "kairan-node"), "-f", str(conf), "-n"],
                          capture_output=True, text=True)


def test_check_expands_every_rule(fed, tmp_path):
    s = fed.node(SENDER, {"pref": "wss://127.0.0.1:1"}, start=False)
    base = s.conf.read_text()
    s.conf.write_text(base + POLICY)
    p = check(s.conf)
    assert p.returncode == 0 and p.stdout == "configuration OK\n", p.stderr
    # an entity the directory does not have: a rule may not name it
    bad = POLICY + "\n[policy crime]\ncategory = cyber_attack\n" \
        "notify = @prefecture,police-99\n"
    s.conf.write_text(base + bad)
    line = (base + bad).splitlines().index(
        "notify = @prefecture,police-99") + 1
    p = check(s.conf)
    assert p.returncode != 0
    assert p.stderr.count(f"{s.conf}:{line}: notify: [policy crime]: ") == 1,\
        p.stderr
    assert "police-99" in p.stderr
    # a syntax error names the key and its line, also for `send`
    s.conf.write_text(base + "[policy x]\nlevel = 2-4\nnotify = mic\n")
    line = len(base.splitlines()) + 2
    p = check(s.conf)
    assert f"{s.conf}:{line}: level: expected levels 0..3" in p.stderr, \
        p.stderr


EXAMPLE = (ROOT / "deploy" / "node.conf.example").read_text()


def test_example_policy_from_the_seeds(fed, tmp_path):
    """deploy/node.conf.example's rules: each quotes a seed, they pass -n
    for 宮崎市 (test_17 runs the whole example), and they route as their
    comments say, the police (@police: police-45) among them."""
    part = EXAMPLE[EXAMPLE.index("; ---- The contact route by policy"):]
    blocks = re.split(r"^(?=\[policy )", part, flags=re.M)
    assert len(blocks) >= 5
    for before, rule in zip(blocks, blocks[1:]):
        assert re.search(r"\d{3}_[0-9a-f]{16}\.txt", before), rule
        assert "「" in before, rule
    s = fed.node(SENDER, {"pref": "wss://127.0.0.1:1"}, start=False)
    base = s.conf.read_text()
    s.conf.write_text(base + part)
    p = check(s.conf)
    assert p.returncode == 0 and p.stdout == "configuration OK\n", p.stderr

    def to(level, category, subtypes):
        r = report(tmp_path, "r", level, category, subtypes)
        p = s.run("send", "--report", r, check=False)
        return p.returncode, {m.group(1): m.group(2) for m in re.finditer(
            r"^kairan-node: send:   (\S+) \S+: required by policy (\S+)$",
            p.stderr, re.M)}
    assert to(3, "cyber_attack", ["標的型攻撃"]) == (0, {
        PREF: "level23-prefecture,crime", "mic": "level23-ministry",
        "police-45": "crime"})
    assert to(1, "cyber_attack", ["不正アクセス"]) == (0, {
        PREF: "crime", "police-45": "crime"})
    rc, got = to(0, "system_outage", ["踏み台"])
    assert rc == 0 and got[PREF] == "stepping-stone" and len(got) == 10, got
    assert got["police-45"] == "stepping-stone"
    assert to(1, "other", [])[0] == 2          # stays inside: --to needed
