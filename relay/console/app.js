// The console page: login, the screens (管内, 対応中のインシデント,
// 注意喚起・要請, 期限超過,
// 報告内容, 訓練の結果) as hash routes of one page, and the live feed
// (GET /api/events) that makes each screen re-fetch what it shows. Only the
// API of relay/API.md is used; everything from it reaches the DOM as text.

import {
  h, clear, $, jst, seconds, api, setCsrf, ApiError,
  CELL_STATE, NODE_STATE, STATUS, MAIL_STATE, statusBadge,
} from "./util.js";
import { features, nodeOf, draw } from "./map.js";
import { matrix, confirmationEl } from "./matrix.js";
import { advisoryRow, advisoryBox } from "./advisories.js";

const state = {
  session: null,     // GET /api/session
  topo: null,        // GET /api/geometry, once (null: not yet; false: none)
  feats: null,
  incident: null,    // the selected incident's id
  advisory: null,    // the selected advisory's id
  route: { screen: "region", arg: null },
  events: null,      // the EventSource
};

// --- messages ---

function showMessage(text) {
  const m = $("message");
  m.textContent = text;
  m.hidden = !text;
}

function failed(e) {
  if (e instanceof ApiError && e.status === 401) {
    // the session ended (expired, logged out elsewhere, relay restarted
    // with another store): back to the login
    showLogin("セッションが終了しました。もう一度ログインしてください。");
    return;
  }
  showMessage("エラー: " + (e && e.message ? e.message : String(e)));
}

function drillBanner(on) {
  $("drill-banner").hidden = !on;
  document.body.classList.toggle("drill-mode", !!on);
}

// --- login / logout ---

function showLogin(why) {
  stopLive();
  state.session = null;
  setCsrf(null);
  $("app").hidden = true;
  $("who").hidden = true;
  $("login").hidden = false;
  drillBanner(false);
  showMessage("");
  const err = $("login-error");
  err.textContent = why || "";
  err.hidden = !why;
  $("login-name").focus();
}

async function enter() {
  const s = await api.get("/api/session");
  state.session = s;
  setCsrf(s.csrf);
  $("login").hidden = true;
  $("app").hidden = false;
  $("who").hidden = false;
  $("operator-name").textContent = `運用者: ${s.operator}`;
  const r = s.relay || {};
  $("relay-name").textContent = r.name && r.name !== r.id ? `${r.name}（${r.id}）` : (r.id || "");
  startLive();
  route();
}

async function login(ev) {
  ev.preventDefault();
  const err = $("login-error");
  err.hidden = true;
  const btn = $("login-submit");
  btn.disabled = true;
  try {
    await api.post("/login", { name: $("login-name").value, password: $("login-password").value });
    $("login-password").value = "";
    await enter();
  } catch (e) {
    let text;
    if (e instanceof ApiError && e.status === 429) {
      const after = parseInt(e.retryAfter || "", 10);
      text = "ログインの失敗が続いたため、しばらくログインできません" +
        (after > 0 ? `（${after} 秒後に再度お試しください）` : "") + "。";
    } else if (e instanceof ApiError && e.status === 401) {
      text = "運用者名またはパスワードが違います。";
    } else {
      text = "ログインできません: " + e.message;
    }
    err.textContent = text;
    err.hidden = false;
    err.dataset.status = e instanceof ApiError ? String(e.status) : "0";
  } finally {
    btn.disabled = false;
  }
}

async function logout() {
  try {
    await api.post("/logout");
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) {
      failed(e);
      return;
    }
  }
  location.hash = "";
  showLogin("ログアウトしました。");
}

// --- routing ---

function parseHash() {
  const parts = location.hash.replace(/^#\/?/, "").split("/");
  const screen = ["region", "incidents", "advisories", "overdue", "report", "drill"].includes(parts[0]) ? parts[0] : "region";
  return { screen, arg: parts[1] && /^[0-9a-f]{1,64}$/.test(parts[1]) ? parts[1] : null };
}

function route() {
  if (!state.session) return;
  state.route = parseHash();
  if (state.route.screen === "incidents" && state.route.arg) state.incident = state.route.arg;
  if (state.route.screen === "advisories" && state.route.arg) state.advisory = state.route.arg;
  for (const s of document.querySelectorAll(".screen"))
    s.hidden = s.id !== "screen-" + state.route.screen;
  for (const a of document.querySelectorAll("#nav a"))
    a.classList.toggle("current", a.dataset.screen === state.route.screen);
  drillBanner(false);
  refresh();
}

let refreshing = null, again = false;

// Re-fetches what the current screen shows; one at a time (a change that
// comes while one runs makes one more afterwards).
async function refresh() {
  if (refreshing) {
    again = true;
    return refreshing;
  }
  refreshing = (async () => {
    try {
      do {
        again = false;
        await SCREENS[state.route.screen](state.route.arg);
        showMessage("");
        $("updated").textContent = "更新: " + jst(Date.now());
      } while (again);
    } catch (e) {
      failed(e);
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

// --- 管内 ---

async function geometry() {
  if (state.topo === null) {
    try {
      state.topo = await api.get("/api/geometry");
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) state.topo = false;
      else throw e;
    }
    state.feats = state.topo ? features(state.topo, state.session.relay.serves || []) : [];
  }
  return state.feats;
}

function nodeText(n) {
  if (n.state === "never") return NODE_STATE.never;
  return `${NODE_STATE[n.state] || n.state}（${jst(n.since)} から）`;
}

const RECEIPT_LEGEND = ["pending", "held", "mailed", "delivered", "acknowledged", "overdue", "rejected"];

function legend(mode) {
  const ul = clear($("legend"));
  const items = mode === "nodes"
    ? [["node-connected", NODE_STATE.connected], ["node-offline", NODE_STATE.offline + "（いつからかは地図の上の表示と一覧に）"], ["node-never", NODE_STATE.never], ["none", "ノードなし"]]
    : RECEIPT_LEGEND.map((s) => ["cell-" + s, CELL_STATE[s]]).concat([["confirmed", "電話で確認済（運用者の記録）"], ["none", "宛先ではない"]]);
  for (const [cls, text] of items)
    ul.appendChild(h("li", {}, h("span", { class: "swatch " + cls }), text));
}

async function incidentOptions(selected) {
  const list = await api.get("/api/incidents");
  const sel = clear($("map-incident"));
  sel.appendChild(h("option", { value: "" }, "ノードの接続状態"));
  for (const i of list.incidents)
    sel.appendChild(h("option", { value: i.id, selected: i.id === selected },
      (i.status === "exercise" ? "【訓練】" : i.status === "test" ? "【試験】" : "") +
      `受信状況: ${i.title}（${i.sender_name}）`));
  return list.incidents;
}

async function showRegion() {
  const [nodes, feats] = await Promise.all([api.get("/api/nodes"), geometry()]);
  const incidents = await incidentOptions(state.incident);
  const inc = state.incident && incidents.find((i) => i.id === state.incident);
  const detail = inc ? await api.get(`/api/incidents/${inc.id}`) : null;
  drillBanner(inc && inc.status === "exercise");

  const byCode = new Map(), byName = new Map(), byId = new Map();
  for (const n of nodes.nodes) {
    byId.set(n.id, n);
    if (/^\d{6}$/.test(n.id)) {
      byCode.set(n.id.slice(0, 5), n);
      byName.set(n.id.slice(0, 2) + n.name, n);
    }
  }
  const cells = new Map();
  if (detail) for (const rc of detail.recipients) {
    // the latest report's cell is the one to chase (null: that report
    // did not go to this recipient)
    const c = rc.cells.filter((x) => x).pop();
    if (c) cells.set(rc.id, c);
  }
  const colour = (f) => {
    const n = nodeOf(f, byCode, byName);
    const place = f.city && f.city.endsWith("市") && n && n.name !== f.name ? `${f.city} ${f.name}` : f.name;
    if (!n) return { cls: "none", state: "none", title: `${place}: ノードなし` };
    if (!detail) return { cls: "node-" + n.state, state: n.state, entity: n.id, title: `${place}（${n.id}）: ${nodeText(n)}` };
    const c = cells.get(n.id);
    if (!c) return { cls: "none", state: "none", entity: n.id, title: `${place}（${n.id}）: 宛先ではない` };
    const s = c.overdue && c.state !== "acknowledged" ? "overdue" : c.state;
    return {
      cls: "cell-" + s + (c.confirmation ? " confirmed" : ""), state: c.state, entity: n.id,
      title: `${place}（${n.id}）: ${CELL_STATE[c.state] || c.state}（${jst(c.at)}）` +
        (c.confirmation ? `・電話で確認: ${c.confirmation.name}` : ""),
    };
  };
  const mapEl = $("map");
  mapEl.dataset.mode = detail ? "incident" : "nodes";
  draw(mapEl, feats, colour, (f) => {
    const n = nodeOf(f, byCode, byName);
    const row = n && document.querySelector(`#nodes tr[data-node="${CSS.escape(n.id)}"]`);
    if (row) row.scrollIntoView({ block: "center" });
  });
  $("map-note").textContent = state.topo === false
    ? "地図データが設定されていません（[console] geometry）。"
    : detail ? `${detail.incident.status === "exercise" ? "【訓練】" : ""}「${detail.incident.title}」の受信状況（最新の報告）`
      : "各市区町村のノードの接続状態";
  legend(detail ? "incident" : "nodes");

  const tbody = clear($("nodes").tBodies[0]);
  for (const n of nodes.nodes) {
    const c = cells.get(n.id);
    tbody.appendChild(h("tr", { class: "node-row node-" + n.state, data: { node: n.id, state: n.state } },
      h("td", {}, n.id),
      h("td", {}, n.name),
      h("td", { class: "node-state" }, nodeText(n),
        c ? h("div", { class: "cell-" + c.state }, "受信状況: ", CELL_STATE[c.state] || c.state,
          c.confirmation ? "（電話で確認済）" : "") : null),
      h("td", {}, jst(n.last_seen)),
      h("td", {}, (n.connections || []).length
        ? n.connections.map((k) => h("div", {}, `${k.address}（${jst(k.since)} から）`))
        : "—")));
  }
}

// --- 対応中のインシデント ---

async function showIncidents(arg) {
  if (arg) state.incident = arg;
  const list = await api.get("/api/incidents");
  const tbody = clear($("incidents").tBodies[0]);
  $("incidents-empty").hidden = list.incidents.length > 0;
  for (const i of list.incidents) {
    const sel = i.id === state.incident;
    tbody.appendChild(h("tr", {
      class: "incident-row" + (i.status === "exercise" ? " drill" : "") + (sel ? " selected" : ""),
      data: { incident: i.id, status: i.status },
      on: { click: () => { location.hash = `#/incidents/${i.id}`; } },
    },
      h("td", {}, statusBadge(i.status) || STATUS[i.status] || i.status),
      h("td", {}, h("a", { href: `#/incidents/${i.id}` }, i.title), i.closed ? h("span", { class: "closed" }, "（収束）") : null),
      h("td", {}, `${i.sender_name}（${i.sender}）`),
      h("td", {}, String(i.level)),
      h("td", {}, String(i.reports)),
      h("td", {}, String(i.recipients)),
      h("td", {}, String(i.acknowledged)),
      h("td", { class: i.overdue ? "late" : "" }, String(i.overdue)),
      h("td", {}, jst(i.last_at))));
  }
  // the matrix is fetched before the old one is taken away, so that a
  // refresh replaces it in one step and never leaves the box empty
  const inc = state.incident && list.incidents.find((i) => i.id === state.incident);
  const detail = inc ? await api.get(`/api/incidents/${inc.id}`) : null;
  drillBanner(inc && inc.status === "exercise");
  $("matrix-box").replaceChildren(...(detail ? [matrix(detail)] : []));
}

// --- 注意喚起・要請 ---

// Both fetches first, then the list and the box are replaced at once: a
// live refresh never shows an empty table or box in between.
async function showAdvisories(arg) {
  if (arg) state.advisory = arg;
  const list = await api.get("/api/advisories");
  const sel = state.advisory && list.advisories.find((a) => a.id === state.advisory);
  const detail = sel ? await api.get(`/api/advisories/${sel.id}`) : null;
  $("advisories").tBodies[0].replaceChildren(...list.advisories.map((a) =>
    advisoryRow(a, a.id === state.advisory, () => { location.hash = `#/advisories/${a.id}`; })));
  $("advisories-empty").hidden = list.advisories.length > 0;
  drillBanner(sel && sel.status === "exercise");
  $("advisory-box").replaceChildren(...(detail ? [advisoryBox(detail)] : []));
}

// --- 期限超過 ---

function contactEl(c) {
  if (!c) return h("p", { class: "error" }, "名簿に窓口がありません。");
  const tel = (n) => n ? h("a", { href: "tel:" + n.replace(/[^0-9+]/g, ""), class: "phone" }, n) : "—";
  return h("dl", { class: "contact" },
    h("dt", {}, "窓口"), h("dd", {}, c.name || "—"),
    h("dt", {}, "電話"), h("dd", {}, tel(c.phone)),
    h("dt", {}, "時間外電話"), h("dd", {}, tel(c.after_hours_phone)),
    h("dt", {}, "FAX"), h("dd", {}, c.fax || "—"),
    h("dt", {}, "メール"), h("dd", {}, c.email ? h("a", { href: "mailto:" + c.email }, c.email) : "—"),
    h("dt", {}, "受付時間"), h("dd", {}, c.hours || "—"));
}

function confirmForm(o) {
  const name = h("input", { name: "name", required: true, maxlength: 64, class: "confirm-name", placeholder: "例: 山田（総務課）" });
  const note = h("textarea", { name: "note", maxlength: 500, rows: 2, class: "confirm-note" });
  const out = h("p", { class: "confirm-result", role: "status" });
  const btn = h("button", { type: "submit", class: "confirm-submit" }, "電話で確認を記録");
  const form = h("form", { class: "confirm-form", data: { report: o.report, recipient: o.recipient } },
    h("label", {}, "電話で話した相手 ", name),
    h("label", {}, "メモ ", note), btn, out);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    btn.disabled = true;
    try {
      await api.post("/api/confirm", { report: o.report, recipient: o.recipient, name: name.value, note: note.value });
      out.textContent = "記録しました。";
      refresh();
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) failed(e);
      else out.textContent = "記録できません: " + e.message;
    } finally {
      btn.disabled = false;
    }
  });
  return form;
}

async function showOverdue() {
  const data = await api.get("/api/overdue");
  const box = $("overdue");
  // an article whose data did not change is kept as it is (an operator
  // may be typing in it); a changed one is drawn again around the same
  // form, so that what is typed survives every refresh
  const old = new Map();
  for (const a of box.querySelectorAll("article.overdue-item"))
    old.set(a.dataset.report + "/" + a.dataset.recipient, a);
  const items = [];
  let drill = false;
  for (const o of data.overdue) {
    drill = drill || o.status === "exercise";
    const key = o.report + "/" + o.recipient;
    const sig = JSON.stringify(o);
    const prev = old.get(key);
    if (prev && prev.dataset.sig === sig) {
      items.push(prev);
      continue;
    }
    const form = prev ? prev.querySelector("form.confirm-form") : null;
    items.push(overdueItem(o, sig, form || confirmForm(o)));
  }
  for (const [, a] of old) if (!items.includes(a)) a.remove();
  // in the API's order, moving only what is out of place
  items.forEach((a, i) => {
    if (box.children[i] !== a) box.insertBefore(a, box.children[i] || null);
  });
  $("overdue-empty").hidden = data.overdue.length > 0;
  drillBanner(drill);
}

function overdueItem(o, sig, form) {
  const m = o.mail;
  return h("article", {
    class: "overdue-item" + (o.status === "exercise" ? " drill" : ""),
    data: { report: o.report, recipient: o.recipient, sig },
  },
    h("h3", {}, statusBadge(o.status), " ", `${o.recipient_name}（${o.recipient}）`),
    h("p", {}, h("a", { href: `#/incidents/${o.incident}` }, `${o.title}・${o.label}`),
      `（差出人 ${o.sender_name}・レベル ${o.level}・期限 ${jst(o.deadline)}）`),
    contactEl(o.contact),
    m ? h("p", { class: "mail mail-" + m.state },
      `メール: ${MAIL_STATE[m.state] || m.state}（${m.attempts} 回` +
      (m.code ? `・応答 ${m.code}` : "") + "）", m.reply ? h("span", { class: "reply" }, " ", m.reply) : null) : null,
    o.confirmation ? confirmationEl(o.confirmation) : null,
    form);
}

// --- 報告内容 ---

async function showReport(id) {
  const box = $("report-form");
  if (!id) {
    clear(box);
    return;
  }
  const data = await api.get(`/api/reports/${id}/form`);
  drillBanner(data.status === "exercise");
  box.classList.toggle("drill", data.status === "exercise");
  if (state.incident) $("report-back").setAttribute("href", `#/incidents/${state.incident}`);
  box.replaceChildren(...data.lines.map(formLine));
}

// One line of the 報告様式 (proto/form.c's kinds; the words are its
// labels, never ours). Depth and gap become classes: no inline style.
function formLine(l) {
  const cls = (k) => `form-${k} depth-${Math.min(Math.max(l.depth | 0, 0), 5)}${l.gap ? " gap" : ""}`;
  const words = (...xs) => xs.filter((x) => x).join("　");
  switch (l.kind) {
  case "banner": return h("div", { class: cls("banner") }, l.label || l.value);
  case "title": return h("h2", { class: cls("title") }, l.label || l.value);
  case "heading": return h("h3", { class: cls("heading") }, words(l.no, l.label));
  case "group": return h("h4", { class: cls("group") }, words(l.no, l.label));
  case "item": return h("div", { class: cls("item") },
    h("span", { class: "form-no" }, l.no || ""), h("span", { class: "form-label" }, l.label || ""),
    h("span", { class: "form-value" }, l.value || ""));
  case "block": return h("div", { class: cls("block") },
    h("div", { class: "form-label" }, words(l.no, l.label)), h("div", { class: "form-value" }, l.value || ""));
  case "attachment": return h("div", { class: cls("attachment") }, words(l.no, l.value));
  case "digest": return h("div", { class: cls("digest") }, words(l.label, l.value));
  case "end": return h("p", { class: cls("end") }, l.label || l.value || "以上");
  default: return h("p", { class: cls("text") }, l.value || l.label || "");
  }
}

// --- 訓練の結果 ---

async function showDrill(id) {
  const list = await api.get("/api/incidents");
  const drills = list.incidents.filter((i) => i.status === "exercise");
  const lb = clear($("drill-list"));
  if (!drills.length) lb.appendChild(h("p", { class: "empty" }, "訓練のインシデントはありません。"));
  else lb.appendChild(h("ul", { class: "drill-links" }, drills.map((i) =>
    h("li", { class: i.id === id ? "selected" : "" }, h("span", { class: "badge drill-badge" }, "訓練"), " ",
      h("a", { href: `#/drill/${i.id}` }, `${i.title}（${i.sender_name}・${jst(i.first_at)}）`)))));
  const box = $("drill-box");
  if (!id && drills.length === 1) id = drills[0].id;
  drillBanner(drills.length > 0);
  if (!id) {
    clear(box);
    return;
  }
  const d = await api.get(`/api/drill/${id}`);
  const never = d.recipients.filter((r) => !r.answered);
  box.replaceChildren(h("div", { class: "drill-result drill", id: "drill-result", data: { incident: id } },
    h("h3", {}, "【訓練】", d.incident.title, h("span", { class: "sub" }, `（${d.incident.sender_name}）`)),
    h("p", {}, "第1報をこのリレーが受け付けてからの時間です。 ",
      h("a", { href: `/api/drill/${id}.csv`, download: `drill-${id}.csv`, id: "drill-csv" }, "CSV で保存")),
    h("table", { class: "drill-table" },
      h("thead", {}, h("tr", {}, ["宛先ID", "宛先", "配送", "配送まで(秒)", "受理確認", "受理確認まで(秒)", "応答"].map((t) => h("th", {}, t)))),
      h("tbody", {}, d.recipients.map((r) => h("tr", { class: r.answered ? "" : "unanswered", data: { recipient: r.id } },
        h("td", {}, r.id), h("td", {}, r.name), h("td", {}, jst(r.delivered_at)), h("td", { class: "num" }, seconds(r.to_delivery_s)),
        h("td", {}, jst(r.acknowledged_at)), h("td", { class: "num" }, seconds(r.to_ack_s)),
        h("td", {}, r.answered ? "応答あり" : "未応答"))))),
    h("p", {}, never.length ? `未応答: ${never.map((r) => r.name).join("、")}` : "すべての宛先が受理確認しました。")));
}

const SCREENS = {
  region: showRegion, incidents: showIncidents, advisories: showAdvisories,
  overdue: showOverdue,
  report: showReport, drill: showDrill,
};

// --- live ---

let debounce = null, retry = null;

function liveLost(lost) {
  $("live-lost").hidden = !lost;
  document.body.dataset.live = lost ? "lost" : "up";
}

function startLive() {
  stopLive();
  const es = new EventSource("/api/events");
  state.events = es;
  es.addEventListener("open", () => {
    liveLost(false);
    // what changed while the feed was down
    refresh();
  });
  es.addEventListener("change", () => {
    clearTimeout(debounce);
    debounce = setTimeout(refresh, 200);
  });
  es.addEventListener("error", () => {
    liveLost(true);
    if (es.readyState === EventSource.CLOSED) {
      // the browser gives up on a non-200 answer: try again ourselves,
      // after checking the session still exists
      retry = setTimeout(async () => {
        try {
          await api.get("/api/session");
          if (state.session) startLive();
        } catch (e) {
          if (e instanceof ApiError && e.status === 401) failed(e);
          else if (state.session) startLive();
        }
      }, 3000);
    }
  });
}

function stopLive() {
  clearTimeout(retry);
  clearTimeout(debounce);
  if (state.events) state.events.close();
  state.events = null;
  $("live-lost").hidden = true;
}

// --- start ---

async function start() {
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", logout);
  $("print").addEventListener("click", () => window.print());
  $("map-incident").addEventListener("change", (ev) => {
    state.incident = ev.target.value || null;
    refresh();
  });
  window.addEventListener("hashchange", route);
  try {
    await enter();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) showLogin("");
    else showLogin("リレーに接続できません: " + e.message);
  }
}

start();
