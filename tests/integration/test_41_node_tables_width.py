"""Japanese in tables is aligned by display width (East Asian Width: a
kanji or kana takes two columns), not by bytes or characters: the inbox
(senders 宮崎市, 綾町, 総務省; 第1報 and 第10報 and 第3報 収束宣言; 訓練 and
確認済 NAME; the four categories) and kairan-dir show/expand (labels,
neighbour names)."""
import subprocess
import unicodedata

import pytest

from harness import BIN, DIRECTORY
from nodeharness import Node
import kairan_pb2 as pb
from planted import CATEGORY, PHASE, plant


def width(s):
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1
               for ch in s)


def col(line, needle):
    """Display column at which needle starts in line."""
    i = line.index(needle)
    return width(line[:i])


@pytest.fixture()
def node(tmp_path, pki):
    return Node(tmp_path, pki, "450006", {"r": "wss://127.0.0.1:9/"})


def test_inbox_columns_align_by_display_width(node):
    rows = [
        dict(sender="452017", title="標的型攻撃メール", report_no=1,
             category=CATEGORY.CYBER_ATTACK, level=3),
        dict(sender="453838", title="庁内LAN停止", report_no=10,
             phase=PHASE.UPDATE, category=CATEGORY.SYSTEM_OUTAGE, level=1,
             status=pb.EXERCISE),
        dict(sender="mic", title="USBメモリ紛失", report_no=3,
             phase=PHASE.CLOSED, category=CATEGORY.THEFT_LOSS, level=2),
        dict(sender="452025", title="other", category=CATEGORY.OTHER,
             level=0),
    ]
    ids = {}
    for i, r in enumerate(rows):
        mid, _ = plant(node, received_ms=1795307400000 + i * 60000, **r)
        ids[r["sender"]] = mid
    node.run("ack", ids["452017"], "--by", "県 日向太郎")

    lines = node.run("inbox", "--all").stdout.splitlines()
    assert len(lines) == 4, lines
    by = {s: next(x for x in lines if x.startswith(m))
          for s, m in ids.items()}
    assert "第3報 収束宣言" in by["mic"]
    assert "  訓練  未確認" in by["453838"]
    assert "確認済 県 日向太郎" in by["452017"]
    for needle in ("第", "レベル"):
        cols = {s: col(x, needle) for s, x in by.items()}
        assert len(set(cols.values())) == 1, (needle, cols, lines)
    # the state column: 未確認 / 確認済 / 訓練 start together
    cols = {s: col(x, {"453838": "訓練"}.get(s, "確認済" if s == "452017"
                                            else "未確認"))
            for s, x in by.items()}
    assert len(set(cols.values())) == 1, (cols, lines)
    # the category column, and the title after it
    cat = {"452017": "外部から", "453838": "情報システム", "mic": "重要情報",
           "452025": "その他"}
    assert len({col(by[s], c) for s, c in cat.items()}) == 1, lines
    titles = {s: col(by[s], r["title"]) for s, r in
              zip(ids, rows)}
    assert len(set(titles.values())) == 1, (titles, lines)
    # Padding is spaces only, and columns are two spaces apart at least.
    for x in lines:
        assert "\t" not in x and "  レベル" in x


def test_kairan_dir_columns_align_by_display_width():
    p = subprocess.run([BIN / "kairan-dir", "-d", DIRECTORY, "show",
                        "452017"], capture_output=True, text=True, check=True)
    lines = p.stdout.splitlines()
    values = {"担当": "宮崎市 情報政策課", "時間外": "0985-", "FAX": "0985-",
              "受付時間": "平日"}
    labelled = {k: next(x for x in lines if x.startswith("  " + k))
                for k in values}
    assert len({col(labelled[k], v) for k, v in values.items()}) == 1, lines
    # neighbours: id, name padded to the widest (綾町 is two characters
    # narrower than 都城市), kana
    i = lines.index("neighbours: 8")
    nb = lines[i + 1:i + 9]
    kana = {x: col(x, next(w for w in x.split() if w.endswith(("し", "ちょう"))))
            for x in nb}
    assert len(set(kana.values())) == 1, nb
    p = subprocess.run([BIN / "kairan-dir", "-d", DIRECTORY, "expand",
                        "452017", "@prefecture,@ministry,@neighbours"],
                       capture_output=True, text=True, check=True)
    lines = p.stdout.splitlines()
    assert len(lines) == 10
    starts = {col(x, x.split()[2]) for x in lines}
    assert len(starts) == 1, lines
