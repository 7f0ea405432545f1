// The receipt matrix of one incident (GET /api/incidents/ID): recipients ×
// reports (第1報, 第2報, …, 収束宣言), each cell what the signed receipts
// say, and beside it, never as a state, an operator's recorded phone
// confirmation (「電話で確認: NAME, T（運用者 OP・リレー relay-45 で記録）」).

import { h, jst, jstShort, CELL_STATE, STATUS, statusBadge } from "./util.js";

// The text of a confirmation, as everywhere in the console: who was
// reached, when, and where and by whom it was recorded (an operator of
// this relay). A sender node's own record (`kairan-node confirm`) stays
// in that node and never appears here.
export function confirmationText(c) {
  return `電話で確認: ${c.name}, ${jst(c.at)}（運用者 ${c.operator}・リレー ${c.relay} で記録）`;
}

export function confirmationEl(c) {
  return h("div", { class: "phone-confirm" },
    confirmationText(c),
    c.note ? h("span", { class: "phone-note" }, "　", c.note) : null);
}

function cell(c, report, recipient) {
  if (!c)  // not a recipient of that report
    return h("td", { class: "cell cell-none", title: `${recipient.name}・${report.label}: 宛先外`,
      data: { state: "none", report: report.id, recipient: recipient.id } }, "—");
  const label = CELL_STATE[c.state] || c.state;
  const parts = [h("span", { class: "state" }, label)];
  if (c.state === "acknowledged" && c.by) parts.push(h("span", { class: "by" }, `（${c.by}）`));
  if (c.state === "held" && c.held_by) parts.push(h("span", { class: "by" }, `（${c.held_by} で保留）`));
  if (c.state === "rejected" && c.detail) parts.push(h("span", { class: "detail" }, `: ${c.detail}`));
  if (c.overdue && c.state !== "overdue" && c.state !== "acknowledged")
    parts.push(h("span", { class: "late" }, "・期限超過"));
  parts.push(h("div", { class: "at" }, jstShort(c.at)));
  if (c.deadline && c.state !== "acknowledged" && c.state !== "rejected")
    parts.push(h("div", { class: "deadline" }, "期限 ", jstShort(c.deadline)));
  if (c.confirmation) parts.push(confirmationEl(c.confirmation));
  const state = c.overdue && c.state !== "acknowledged" ? "overdue" : c.state;
  return h("td", {
    class: "cell cell-" + state + (c.confirmation ? " confirmed" : ""),
    title: `${recipient.name}・${report.label}: ${label}`,
    data: { state: c.state, report: report.id, recipient: recipient.id },
  }, parts);
}

// The whole matrix box: heading (訓練 marked), the table, links to each
// report's 報告様式 and, for an exercise, to its 訓練の結果.
export function matrix(data) {
  const inc = data.incident;
  const drill = inc.status === "exercise";
  const head = h("tr", {},
    h("th", { scope: "col" }, drill ? "宛先【訓練】" : "宛先"),
    data.reports.map((r) => h("th", { scope: "col", data: { report: r.id } },
      h("a", { href: `#/report/${r.id}` }, (drill ? "【訓練】" : "") + r.label),
      h("div", { class: "at" }, jstShort(r.at)))));
  const rows = data.recipients.map((rc) => h("tr", { data: { recipient: rc.id } },
    h("th", { scope: "row" }, rc.name, h("div", { class: "id" }, rc.id)),
    rc.cells.map((c, i) => cell(c, data.reports[i] || { id: "", label: "" }, rc))));
  return h("div", { class: "matrix" + (drill ? " drill" : ""), id: "matrix", data: { incident: inc.id } },
    h("h3", {}, statusBadge(inc.status), " ", inc.title,
      h("span", { class: "sub" }, `（${inc.sender_name} ${inc.sender}・レベル ${inc.level}・${STATUS[inc.status] || inc.status}${inc.closed ? "・収束" : ""}）`)),
    drill ? h("p", { class: "drill-note" }, "訓練の報告です。",
      h("a", { href: `#/drill/${inc.id}` }, "訓練の結果を見る")) : null,
    h("table", { class: "matrix-table" }, h("thead", {}, head), h("tbody", {}, rows)),
    h("p", { class: "legend-note" },
      "受理確認は宛先の署名付きの確認、「電話で確認」はこのリレーの運用者が電話で確かめた記録です（署名はありません。差出人のノードで記録した電話確認はここには表示されません）。"));
}
