"""Scenario 28: a report sent in error is withdrawn (取消): `withdraw`
signs a report of its own (phase WITHDRAWN, withdraw_reason) to every
recipient of the incident, and every surface, on both sides, shows the
incident as withdrawn, with the reason, before anything else about it.
The recipient's inbox shows 収束宣言 and 最終報告 as well."""
from nodeharness import REPORT_1, REPORT_2, fed  # noqa: F401 (fixture)

REASON = "誤送信: 訓練用の報告を実報告として送信したため取り消します"


def test_withdrawal_everywhere(fed):
    relay = fed.relay()
    routes = {"pref": relay}
    s = fed.node("452017", routes)
    a = fed.node("452025", routes)
    b = fed.node("450006", routes)

    inc, m1 = s.send(REPORT_1, "452025")
    _, m2 = s.update(inc, REPORT_2, to="450006")   # a second recipient
    a.wait_inbox(m2)
    # nothing follows a withdrawal without its reason
    p = s.run("withdraw", inc, expect=2)
    assert "--reason" in p.stderr
    _, w = s.withdraw(inc, REASON)
    # to every recipient of the incident
    sw = s.show(w)
    assert sw["phase"] == "WITHDRAWN"
    assert sw["withdrawn"]["reason"] == REASON and sw["withdrawn"]["message"] == w
    assert sorted(sw["recipients"]) == ["450006", "452025"]
    assert sw["report_no"] == 3
    for n in (a, b):
        n.wait_inbox(w)
    s.wait_delivered(w)

    # nothing follows a withdrawal, not even with --reopen
    for args in (["update", inc, "--report", REPORT_2, "--reopen"],
                 ["close", inc, "--reopen"], ["withdraw", inc, "--reason",
                                              "again"]):
        p = s.run(*args, expect=1)
        assert "withdrawn" in p.stderr, p.stderr

    # the sender's surfaces
    st = s.status(m1)
    assert st["withdrawn"]["reason"] == REASON
    assert st["withdrawn"]["message"] == w
    text = s.run("status", m1).stdout
    assert text.splitlines()[0].startswith("*** 取消 (withdrawn)")
    assert REASON in text.splitlines()[0]
    sent = s.sent()
    assert sent[0]["incident"] == inc and sent[0]["withdrawn"] is True
    assert sent[0]["withdraw_reason"] == REASON
    assert [r["report_no"] for r in sent[0]["reports"]] == [3, 2, 1]
    assert sent[0]["reports"][0]["phase"] == "WITHDRAWN"
    lines = s.run("sent").stdout.splitlines()
    assert lines[0].startswith("incident %s  *** 取消 (withdrawn): %s ***"
                               % (inc, REASON)), lines

    # the recipient's surfaces: the banner comes first
    box = a.run("inbox").stdout.splitlines()
    assert box[0].startswith("*** 取消 (withdrawn)") and REASON in box[0]
    assert "第3報 取消" in box[1], box
    assert all(REASON in box[i] for i in range(0, len(box), 2)), box
    for args in (["show", m1], ["show", m1, "--form"], ["show", inc],
                 ["show", inc, "--form"]):
        out = a.run(*args).stdout.splitlines()
        assert out[0].startswith("*** 取消 (withdrawn)"), (args, out[:3])
        assert REASON in out[0]
    form = a.run("show", w, "--form").stdout
    assert "報告区分: 取消" in form, form
    j = a.show(m1)
    assert j["withdrawn"]["reason"] == REASON
    assert j["withdrawn"]["message"] == w
    assert a.inbox()[0]["phase"] == "WITHDRAWN"


def test_inbox_shows_closed_and_final(fed):
    relay = fed.relay()
    routes = {"pref": relay}
    s = fed.node("452017", routes)
    a = fed.node("452025", routes)
    inc, _ = s.send(REPORT_1, "452025")
    _, c = s.close(inc)
    _, f = s.final(inc)
    a.wait_inbox(f)
    box = a.run("inbox").stdout.splitlines()
    assert box[0].startswith(f) and "第3報 最終報告" in box[0], box
    assert box[1].startswith(c) and "第2報 収束宣言" in box[1], box
    assert "第1報  " in box[2], box
    # with its daemon stopped, a recipient's `ack` (by id prefix) is
    # queued, and says so
    a.stop()
    p = a.run("ack", f[:8], "--by", "都城市 情報政策課 都城 一郎")
    assert p.stdout.startswith("acknowledged %s receipt " % f), p.stdout
    assert ("queued in the outbox; the daemon for %s is not running"
            % a.db) in p.stderr
    assert a.run("show", inc[:6]).returncode == 0
