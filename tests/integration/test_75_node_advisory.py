"""Scenario 75: an advisory (注意喚起・情報提供・要請, issue 11) from the
prefecture (450006) to @region, over a real relay to real nodes: it
travels and is receipted like a report; 宮崎市 acknowledges it
(確認しました), 都城市 acknowledges and then reports it done (対応済) with a
note, 日南市 reports it done at once, 小林市 never answers, and the
municipalities without a running node stay held at the relay. The sender's
`status` and `sent` (text and --json) show each one; a recipient's `inbox`
lists the advisory apart from the incident reports; `done` is refused for
an incident report, by the node and (a hand-made DONE receipt) by the
relay; bad advisory files get errors naming the field, and nothing is
queued for them."""
import json

import kairan_client as kc
from harness import ROOT
from kairan_client import REASON, Client, Identity, pb
from nodeharness import REPORT_1, fed  # noqa: F401 (fixture)

PREF = "450006"
ACKER, DONER, QUICK, SILENT = "452017", "452025", "452041", "452050"
NOTE = "全庁のVPN装置を修正版へ更新済み（12月3日）"

ADVISORY = {
    "kind": "request",
    "title": "VPN装置の脆弱性（CVE-2024-21887）に関する緊急措置の要請",
    "source": "JPCERT/CC",
    "severity": "critical",
    "summary": "VPN装置の脆弱性を悪用する攻撃が国内で確認されています。\n"
               "該当装置をお使いの団体は、下記の対策を期限までに"
               "実施してください。",
    "references": ["CVE-2024-21887",
                   "https://www.jpcert.or.jp/at/2024/at240002.html"],
    "actions": ["該当装置のファームウェアを修正版へ更新する",
                "管理画面への外部からのアクセスを遮断する"],
    "due_at": "2099-12-05T17:00:00+09:00",
    "contact": {"name": "宮崎県 情報政策課", "phone": "0985-26-7000"},
}


def write(tmp_path, name, obj):
    p = tmp_path / name
    p.write_text(obj if isinstance(obj, str) else
                 json.dumps(obj, ensure_ascii=False), encoding="utf-8")
    return p


def recipient(st, entity):
    return [r for r in st["recipients"] if r["entity"] == entity][0]


def test_advisory_to_region_ack_and_done(fed, tmp_path, pki):
    relay = fed.relay()
    routes = {"pref": relay}
    pref = fed.node(PREF, routes)
    nodes = {e: fed.node(e, routes) for e in (ACKER, DONER, QUICK, SILENT)}

    out = pref.run("advise", "--file", write(tmp_path, "a.json", ADVISORY),
                   "--to", "@region")
    w = out.stdout.split()
    assert w[0] == "message" and len(w[1]) == 32, out.stdout
    mid = w[1]
    assert "要請 to 26 recipients" in out.stderr, out.stderr

    # delivered to the four nodes that run, held at the relay for the rest
    st = pref.wait_status(mid, lambda s: all(
        recipient(s, e)["state"] == "delivered" for e in nodes),
        "advisory delivered to the four nodes")
    assert st["kind"] == "advisory" and st["total"] == 26
    assert st["advisory"]["kind"] == "REQUEST"
    assert st["advisory"]["title"] == ADVISORY["title"]
    assert st["advisory"]["due_at"] == ADVISORY["due_at"]
    assert st["incident"] is None and st["report_no"] is None
    held = [r for r in st["recipients"] if r["entity"] not in nodes]
    assert len(held) == 22 and all(r["state"] == "held" for r in held)
    for e, n in nodes.items():
        n.wait_log(r"inbox stored id=%s sender=450006 advisory=REQUEST "
                   r"status=ACTUAL" % mid)

    # a recipient sees it apart from its incident reports
    a = nodes[ACKER]
    _, rep = pref.send(REPORT_1, ACKER)
    a.wait_inbox(rep)
    text = a.inbox_text()
    lines = text.splitlines()
    head = [i for i, x in enumerate(lines)
            if x.startswith("注意喚起・情報提供・要請 (advisories): 1")]
    assert len(head) == 1, text
    rep_line = [i for i, x in enumerate(lines) if x.startswith(rep)]
    adv_line = [i for i, x in enumerate(lines) if x.startswith(mid)]
    assert rep_line[0] < head[0] < adv_line[0], text
    line = lines[adv_line[0]]
    assert "450006 宮崎県" in line and "  要請  未確認  期限 2099-12-05 17:00" \
        in line and "JPCERT/CC" in line and ADVISORY["title"] in line, line
    assert [m["id"] for m in a.inbox()] == [rep]    # --json: reports
    adv = a.json("inbox", "--advisories")
    assert [m["id"] for m in adv] == [mid]
    assert adv[0]["advisory"]["references"] == ADVISORY["references"]
    assert adv[0]["done"] is False
    only = a.run("inbox", "--advisories").stdout.splitlines()
    assert len(only) == 1 and only[0].startswith(mid), only
    shown = a.show(mid)
    assert shown["kind"] == "advisory" and shown["direction"] == "in"
    assert shown["advisory"]["actions"] == ADVISORY["actions"]
    assert shown["advisory"]["severity"] == "critical"
    body = a.run("show", mid).stdout
    for want in ("種別: 要請 (request)", "情報源: JPCERT/CC",
                 "参考[1]: CVE-2024-21887", "実施を求める対策[2]: 管理画面",
                 "対応期限: 2099-12-05T17:00:00+09:00", "対応済: 未報告"):
        assert want in body, (want, body)

    # 対応済 is for advisories only: refused for the incident report
    p = a.run("done", rep, "--by", "宮崎 太郎", "--note", "x", expect=1)
    assert "only for an advisory" in p.stderr and "ack" in p.stderr, p.stderr

    # the answers
    assert a.ack(mid, "宮崎市 CSIRT 宮崎 太郎").startswith("acknowledged ")
    d = nodes[DONER]
    d.ack(mid, "都城市 情報政策課 霧島")
    out = d.run("done", mid, "--by", "都城市 情報政策課 霧島", "--note",
                NOTE).stdout
    assert out.startswith("done %s receipt " % mid), out
    again = d.run("done", mid, "--by", "x", "--note", "y").stdout
    assert again.startswith("already done %s by 都城市" % mid), again
    q = nodes[QUICK]
    q.run("done", mid, "--by", "日南市 油津", "--note", "該当装置なし")
    assert "対応済 日南市 油津" in q.run("inbox", "--advisories").stdout
    assert q.show(mid)["done_note"] == "該当装置なし"

    st = pref.wait_status(mid, lambda s: s["done"] == 2 and
                          s["acknowledged"] == 3, "two done, three read")
    r = recipient(st, ACKER)
    assert r["state"] == "acknowledged"
    assert r["acknowledged_by"] == "宮崎市 CSIRT 宮崎 太郎"
    assert r["done_at"] is None and r["past_due"] is False
    r = recipient(st, DONER)
    assert r["state"] == "done" and r["done_by"] == "都城市 情報政策課 霧島"
    assert r["done_note"] == NOTE and r["acknowledged_by"] is not None
    r = recipient(st, QUICK)
    assert r["state"] == "done" and r["done_note"] == "該当装置なし"
    assert r["acknowledged_at"] is None
    assert recipient(st, SILENT)["state"] == "delivered"
    assert st["delivered"] == 4 and st["total"] == 26

    # the sender's text: who has and who has not
    text = pref.run("status", mid).stdout
    lines = text.splitlines()
    assert lines[0].startswith("message %s advisory 要請  " % mid), lines[0]
    assert "due 2099-12-05T17:00:00+09:00 (対応期限)" in text
    by = {x.split()[1]: x for x in lines if x.startswith("recipient ")}
    assert "acknowledged" in by[ACKER] and "(確認しました)" in by[ACKER]
    assert "done" in by[DONER] and NOTE in by[DONER] and "(対応済)" in \
        by[DONER]
    assert "by 日南市 油津" in by[QUICK]
    assert by[SILENT].rstrip().endswith("delivered " +
                                        by[SILENT].split("delivered ")[1])
    assert "held at relay-45" in by["452068"]
    assert lines[-1] == ("delivered 4/26, acknowledged 3/26, rejected 0/26, "
                         "done 2/26"), lines[-1]

    # `sent`: the advisory after the incidents, with its counts
    text = pref.run("sent").stdout
    i = text.index("注意喚起・情報提供・要請 (advisories): 1")
    assert text.index("incident ") < i, text
    assert "advisory %s  要請  " % mid in text[i:]
    assert "delivered 4/26, acknowledged 3/26, rejected 0/26, done 2/26" \
        in text[i:]
    assert [x["reports"][0]["id"] for x in pref.sent()] == [rep]
    full = pref.run("sent", "--advisories").stdout
    assert NOTE in full and "(確認しました)" in full, full
    js = pref.json("sent", "--advisories")
    assert len(js) == 1 and js[0]["id"] == mid and js[0]["done"] == 2
    assert recipient(js[0], DONER)["done_note"] == NOTE

    # a DONE receipt for an incident report, made by hand: the relay refuses
    c = Client(relay.url, pki, Identity(pki.entity(ACKER)))
    try:
        env = pb.Envelope()
        raw = a.query("SELECT envelope FROM inbox WHERE lower(hex(id)) = ?",
                      (rep,))[0][0]
        env.ParseFromString(raw)
        msg = pb.Message()
        msg.ParseFromString(env.message)
        done = kc.receipt(ACKER, msg, env, pb.Receipt.DONE, by="x",
                          note="y")
        _, ans = kc.submit(c, done)
        assert ans.WhichOneof("kind") == "refused", ans
        assert ans.refused.reason == REASON.INVALID_FIELD
        assert "DONE (対応済) is only for an advisory" in ans.refused.detail
    finally:
        c.close()


def test_bad_advisory_files(fed, tmp_path):
    relay = fed.relay()
    pref = fed.node(PREF, {"pref": relay})
    before = pref.rows().get("outbox", 0)

    def bad(name, obj, needle):
        p = pref.run("advise", "--file", write(tmp_path, name, obj), "--to",
                     "@region", expect=1)
        assert needle in p.stderr, (needle, p.stderr)

    def without(key, **kw):
        o = {k: v for k, v in ADVISORY.items() if k != key}
        o.update(kw)
        return o

    bad("kind.json", without("kind"), "advisory.kind: missing")
    bad("kind2.json", dict(ADVISORY, kind="warning"),
        'advisory.kind: must be one of "advisory" | "information" | '
        '"request", got "warning"')
    bad("title.json", without("title"), "advisory.title: missing")
    bad("summary.json", dict(ADVISORY, summary=""),
        "advisory.summary: must not be empty")
    bad("due.json", without("due_at"),
        "advisory.due_at: a request (要請) says by when")
    bad("due2.json", dict(ADVISORY, due_at="12月5日"),
        "advisory.due_at: must be an RFC 3339 time")
    bad("acts.json", dict(ADVISORY, actions=[]),
        "advisory.actions: a request (要請) names the measures")
    bad("cve.json", dict(ADVISORY, references=["CVE-2024-123"]),
        'advisory.references[0]: "CVE-2024-123" is not a CVE id')
    bad("url.json", dict(ADVISORY, references=["CVE-2024-21887",
                                               "ftp://example.jp/a"]),
        "advisory.references[1]: expected a CVE id (CVE-YYYY-NNNN) or an "
        "http:// or https:// URL")
    bad("space.json", dict(ADVISORY, references=["https://a.jp/a b"]),
        "advisory.references[0]: URL byte 14 is not printable ASCII")
    bad("esc.json", dict(ADVISORY, title="注意\u001b[2J"),
        "advisory.title: control character U+001B")
    bad("key.json", dict(ADVISORY, level=3), "advisory.level: unknown key")
    bad("sev.json", dict(ADVISORY, severity=5),
        'advisory.severity: must be one of "low"')
    bad("syntax.json", "{", "JSON syntax error")
    # the template is a starting point: kind is set, the rest to fill in
    tpl = json.loads(pref.run("template", "--advisory").stdout)
    assert list(tpl) == ["kind", "title", "source", "severity", "summary",
                         "references", "actions", "due_at", "contact"]
    bad("tpl.json", tpl, "advisory.title: must not be empty")
    # information needs no due time or actions; --to is required
    p = pref.run("advise", "--file", write(tmp_path, "i.json", without(
        "due_at", kind="information", actions=[])), expect=2)
    assert "--to" in p.stderr
    assert pref.rows().get("outbox", 0) == before   # nothing queued
    ok = pref.run("advise", "--file", tmp_path / "i.json", "--to",
                  "452017", "--exercise").stdout.split()[1]
    st = pref.status(ok)
    assert st["status"] == "EXERCISE" and st["advisory"]["due_at"] is None
    assert st["advisory"]["kind"] == "INFORMATION"
    # a request past its due time: whoever has not reported 対応済 is past due
    late = pref.run("advise", "--file", write(tmp_path, "late.json", dict(
        ADVISORY, due_at="2020-01-06T17:00:00+09:00")), "--to",
        "452017").stdout.split()[1]
    st = pref.status(late)
    assert st["advisory"]["past_due"] is True
    assert recipient(st, "452017")["past_due"] is True
    text = pref.run("status", late).stdout
    assert "due 2020-01-06T17:00:00+09:00 (対応期限): past" in text, text
    assert ", past due (対応期限超過)" in text, text
    # the example of deploy/ is a valid request
    ex = pref.run("advise", "--file", ROOT / "deploy" / "examples" /
                  "advisory-jpcert.json", "--to", "@region").stdout.split()[1]
    st = pref.status(ex)
    assert st["advisory"]["kind"] == "REQUEST" and st["total"] == 26
