"""Scenario 20: the demo flow (deploy/demo/run.sh) with an assertion on
every receipt. One relay-45 serving 45 and mic, eleven nodes: 宮崎県,
宮崎市, its eight neighbours, 総務省. 宮崎市 sends a level-3 標的型攻撃 report
to @prefecture,@ministry,@neighbours; every recipient's node stores it once
and sends DELIVERED; five people acknowledge; 第2報 goes to the same ten."""
from nodeharness import (NEIGHBOURS, PREF, REPORT_1, REPORT_2, SENDER,
                         fed)  # noqa: F401 (fixture)

RECIPIENTS = sorted([PREF, "mic"] + NEIGHBOURS)
ACKS = {
    PREF: "宮崎県 情報政策課 日向 花子",
    "mic": "総務省 地域情報化企画室 霞 太郎",
    "452025": "都城市 情報政策課 都城 一郎",
    "452041": "日南市 総務課 日南 次郎",
    "453838": "綾町 総務課 綾 三郎",
}
NAMES = {PREF: "宮崎県", "452025": "都城市", "452041": "日南市",
         "452050": "小林市", "452084": "西都市", "453412": "三股町",
         "453820": "国富町", "453838": "綾町", "454028": "新富町"}


def test_demo_flow(fed):
    relay = fed.relay()
    routes = {"pref": relay}
    nodes = {nid: fed.node(nid, routes)
             for nid in [PREF, SENDER] + NEIGHBOURS + ["mic"]}
    s = nodes[SENDER]

    inc, m1 = s.send(REPORT_1, "@prefecture,@ministry,@neighbours")
    st = s.wait_delivered(m1)
    assert st["id"] == m1 and st["incident"] == inc
    assert st["report_no"] == 1 and st["status"] == "ACTUAL"
    assert st["total"] == 10 and st["delivered"] == 10
    assert st["acknowledged"] == 0
    assert [r["name"] for r in st["routes"]] == ["pref"]
    assert st["routes"][0]["accepted_at"].endswith("+09:00")
    assert sorted(r["entity"] for r in st["recipients"]) == RECIPIENTS
    for r in st["recipients"]:
        assert r["state"] == "delivered", r
        assert r["delivered_at"] and r["delivered_at"].endswith("+09:00"), r
        assert r["acknowledged_at"] is None and r["acknowledged_by"] is None
        if r["entity"] in NAMES:
            assert r["name"] == NAMES[r["entity"]], r
    # The relay saw a DELIVERED receipt from each recipient; every node
    # logged the report once and sent its receipt.
    for nid in RECIPIENTS:
        n = nodes[nid]
        n.wait_log(r"inbox stored id=%s sender=%s incident=%s report_no=1 "
                   r"status=ACTUAL" % (m1, SENDER, inc))
        assert n.count(r"inbox stored id=%s" % m1) == 1
        box = n.inbox()
        assert [x["id"] for x in box] == [m1]
        assert box[0]["sender"] == SENDER and box[0]["sender_name"] == "宮崎市"
        assert box[0]["acknowledged"] is False
        assert box[0]["report"]["level"] == 3
        assert box[0]["report"]["category"] == "cyber_attack"
        assert "標的型攻撃" in box[0]["report"]["subtypes"]
        assert "未確認" in n.inbox_text()
    # The sender received exactly one DELIVERED receipt per recipient.
    for nid in RECIPIENTS:
        assert s.count(r"receipt stored id=\S+ ref=%s state=DELIVERED "
                       r"signer=%s" % (m1, nid)) == 1, nid

    for nid, by in ACKS.items():
        out = nodes[nid].ack(m1, by)
        assert out.startswith(f"acknowledged {m1} receipt "), out
    st = s.wait_acknowledged(m1, len(ACKS))
    assert st["acknowledged"] == 5 and st["delivered"] == 10
    for r in st["recipients"]:
        if r["entity"] in ACKS:
            assert r["state"] == "acknowledged", r
            assert r["acknowledged_by"] == ACKS[r["entity"]], r
            assert r["acknowledged_at"].endswith("+09:00"), r
        else:
            assert r["state"] == "delivered", r
            assert r["acknowledged_by"] is None, r
    text = s.run("status", m1).stdout
    assert "delivered 10/10, acknowledged 5/10" in text
    assert ACKS[PREF] in text
    # Acknowledging again says so, and sends nothing new.
    again = nodes[PREF].ack(m1, "別の人")
    assert again.startswith(f"already acknowledged {m1} by {ACKS[PREF]}")
    assert nodes[PREF].inbox()[0]["acknowledged_by"] == ACKS[PREF]

    # 第2報: the same recipients.
    inc2, m2 = s.update(inc, REPORT_2)
    assert inc2 == inc and m2 != m1
    st = s.wait_delivered(m2)
    assert st["report_no"] == 2 and st["total"] == 10
    assert sorted(r["entity"] for r in st["recipients"]) == RECIPIENTS
    assert all(r["state"] == "delivered" for r in st["recipients"])
    # The acknowledgements of 第1報 stay where they were.
    assert s.status(m1)["acknowledged"] == 5
    for nid in RECIPIENTS:
        n = nodes[nid]
        box = n.inbox()
        assert [x["id"] for x in box] == [m2, m1]  # newest first
        assert box[0]["report_no"] == 2 and box[0]["phase"] == "UPDATE"
        assert box[0]["report"]["level"] == 2
        shown = n.show(inc)
        assert shown["incident"] == inc
        assert [r["report_no"] for r in shown["reports"]] == [1, 2]
    form = nodes["452025"].form(inc)
    assert "情報セキュリティインシデント事案の発生について報告（第1報）" in form
    assert "情報セキュリティインシデント事案の発生について報告（第2報）" in form
    assert "差出人: 宮崎市（452017）" in form
    assert "1. 事案の状況" in form and "9. その他" in form
    assert "受信メールのヘッダ.txt" in form
    assert "【訓練】" not in form and "これは訓練です" not in form
    # Nothing was refused anywhere.
    for n in nodes.values():
        assert n.count(r"warning: .*refused") == 0, n.log()[-2000:]
