// The advisories screen (注意喚起・情報提供・要請, PROTOCOL.md §6.3): the
// list apart from the incidents (GET /api/advisories) and one advisory's
// recipients (GET /api/advisories/ID): 配送済, 確認しました (by whom),
// 対応済 (by whom, with the note), past the asked-by time (対応期限).
// The sender follows up who has not acted: the relay does not chase
// advisories (no reminder mails).

import { h, jst, jstShort, STATUS, statusBadge } from "./util.js";

// An advisory's answers are not an incident's: 確認しました, not 受理確認.
export const ADVISORY_STATE = {
  pending: "未配送",
  held: "保留",
  mailed: "メール送付（未確認）",
  delivered: "配送済",
  acknowledged: "確認しました",
  done: "対応済",
  rejected: "拒否",
};

function kindBadge(a) {
  return h("span", { class: "badge kind-badge kind-" + a.kind }, a.kind_label);
}

// One row of the list; a click selects it.
export function advisoryRow(a, selected, go) {
  return h("tr", {
    class: "advisory-row" + (a.status === "exercise" ? " drill" : "") + (selected ? " selected" : ""),
    data: { advisory: a.id, status: a.status },
    on: { click: go },
  },
    h("td", {}, statusBadge(a.status) || STATUS[a.status] || a.status),
    h("td", {}, kindBadge(a)),
    h("td", {}, h("a", { href: `#/advisories/${a.id}` }, a.title)),
    h("td", {}, a.source || "—"),
    h("td", {}, `${a.sender_name}（${a.sender}）`),
    h("td", { class: a.past_due_time ? "late" : "" }, a.due_at ? jst(a.due_at) : "—"),
    h("td", { class: "num" }, String(a.recipients)),
    h("td", { class: "num count-delivered" }, String(a.delivered)),
    h("td", { class: "num count-acknowledged" }, String(a.acknowledged)),
    h("td", { class: "num count-done" }, String(a.done)),
    h("td", { class: "num count-past-due" + (a.past_due ? " late" : "") }, String(a.past_due)));
}

function answerCell(x, cls, withNote) {
  if (!x) return h("td", { class: cls + " none" }, "—");
  return h("td", { class: cls },
    h("span", { class: "by" }, x.by || "—"),
    h("div", { class: "at" }, jstShort(x.at)),
    withNote && x.note ? h("div", { class: "done-note" }, x.note) : null);
}

// The box of one advisory: heading (訓練 marked), what it asks, and its
// recipients with their answers.
export function advisoryBox(data) {
  const a = data.advisory;
  const drill = a.status === "exercise";
  const rows = data.recipients.map((r) => {
    const c = r.cell;
    const state = c.past_due && c.state !== "done" ? "past-due" : c.state;
    const word = ADVISORY_STATE[c.state] || c.state;
    return h("tr", { class: "adv-recipient adv-" + state, data: { recipient: r.id, state: c.state, pastDue: c.past_due } },
      h("th", { scope: "row" }, r.name, h("div", { class: "id" }, r.id)),
      h("td", { class: "adv-state cell-" + (c.state === "done" ? "acknowledged" : c.state) },
        h("span", { class: "state" }, word),
        c.state === "held" && c.held_by ? h("span", { class: "by" }, `（${c.held_by} で保留）`) : null,
        (c.state === "rejected" || c.state === "mailed") && c.detail ? h("span", { class: "detail" }, `: ${c.detail}`) : null,
        c.past_due ? h("div", { class: "late" }, "対応期限超過") : null,
        h("div", { class: "at" }, jstShort(c.at))),
      h("td", { class: "adv-delivered" }, jstShort(c.delivered_at)),
      answerCell(c.acknowledged, "adv-ack", false),
      answerCell(c.done, "adv-done", true));
  });
  const head = ["宛先", "状態", "配送", "確認しました", "対応済（内容）"];
  return h("div", { class: "advisory" + (drill ? " drill" : ""), id: "advisory", data: { advisory: a.id } },
    h("h3", {}, statusBadge(a.status), " ", kindBadge(a), " ", a.title,
      h("span", { class: "sub" }, `（${a.sender_name} ${a.sender}・${jst(a.at)}${a.source ? "・情報源 " + a.source : ""}）`)),
    drill ? h("p", { class: "drill-note" }, "訓練の注意喚起・要請です。") : null,
    h("p", { class: "advisory-due" + (a.past_due_time ? " late" : "") },
      a.due_at ? `対応期限: ${jst(a.due_at)}${a.past_due_time ? "（期限を過ぎました）" : ""}` : "対応期限: なし"),
    h("div", { class: "advisory-summary" }, a.summary || ""),
    a.actions && a.actions.length ? h("div", {}, h("h4", {}, "実施を求める対策"),
      h("ul", { class: "advisory-actions" }, a.actions.map((x) => h("li", {}, x)))) : null,
    a.references && a.references.length ? h("p", { class: "advisory-refs" }, "参考: ", a.references.join("、")) : null,
    h("p", { class: "advisory-counts" },
      `宛先 ${a.recipients}・配送済 ${a.delivered}・確認しました ${a.acknowledged}・対応済 ${a.done}・期限超過 ${a.past_due}`),
    h("table", { class: "advisory-table" },
      h("thead", {}, h("tr", {}, head.map((t) => h("th", { scope: "col" }, drill && t === "宛先" ? "宛先【訓練】" : t)))),
      h("tbody", {}, rows)),
    h("p", { class: "legend-note" },
      "「確認しました」「対応済」は宛先の署名付きの回答です。対応期限を過ぎても対応済でない宛先は、差出人が確認してください（リレーは督促しません）。"));
}
