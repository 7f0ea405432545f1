"""Scenario 25: exercise traffic (訓練) keeps its mark end to end: signed
as EXERCISE by the sender, stored as such by the recipient, shown as 訓練
in `inbox`, as status EXERCISE in `show --json`, with the 訓練 banner at
the top and bottom of `show --form`; its 第2報 and receipts stay exercise
too, and real traffic next to it is not marked."""
from nodeharness import REPORT_1, REPORT_2, fed  # noqa: F401 (fixture)


def test_exercise_mark_end_to_end(fed):
    relay = fed.relay()
    routes = {"pref": relay}
    s = fed.node("452017", routes)
    r = fed.node("450006", routes)

    inc, m1 = s.send(REPORT_1, "@prefecture", exercise=True)
    st = s.wait_delivered(m1)
    assert st["status"] == "EXERCISE"
    assert "訓練" in s.run("status", m1).stdout.splitlines()[0]
    r.wait_log(r"inbox stored id=%s sender=452017 incident=%s report_no=1 "
               r"status=EXERCISE" % (m1, inc))

    # inbox: the 訓練 column, in text and JSON
    line = [x for x in r.inbox_text().splitlines() if x.startswith(m1)]
    assert len(line) == 1
    assert "  第1報  訓練  未確認  レベル3  " in line[0], line[0]
    box = r.inbox()
    assert box[0]["status"] == "EXERCISE" and box[0]["exercise"] is True

    # show: JSON status, text mark, form banner top and bottom
    shown = r.show(m1)
    assert shown["status"] == "EXERCISE" and shown["exercise"] is True
    assert shown["direction"] == "in"
    assert "*** 訓練 ***" in r.run("show", m1).stdout
    form = r.form(m1).strip()
    lines = form.splitlines()
    assert lines[0].startswith("【訓練】") and "訓練です" in lines[0]
    assert lines[-1].startswith("【訓練】") and "訓練です" in lines[-1]

    # 第2報 of an exercise is an exercise, without --exercise.
    _, m2 = s.update(inc, REPORT_2)
    s.wait_delivered(m2)
    assert s.status(m2)["status"] == "EXERCISE"
    r.wait_inbox(m2)
    assert r.show(m2)["status"] == "EXERCISE"
    parts = r.form(inc).split("情報セキュリティインシデント事案の発生について報告")
    assert len(parts) == 3, parts
    for part in parts[1:]:
        assert "第" in part
    assert r.form(inc).count("これは訓練です") == 4   # 2 reports x 2

    # A real report next to it carries no mark.
    _, real = s.send(REPORT_1, "@prefecture")
    s.wait_delivered(real)
    r.wait_inbox(real)
    line = [x for x in r.inbox_text().splitlines() if x.startswith(real)][0]
    assert "訓練" not in line and "  第1報  未確認  " in line, line
    assert r.show(real)["status"] == "ACTUAL"
    assert "【訓練】" not in r.form(real)

    # The acknowledgement of an exercise is shown as such to the sender.
    r.ack(m1, "訓練担当 日向")
    st = s.wait_acknowledged(m1, 1)
    assert st["status"] == "EXERCISE"
