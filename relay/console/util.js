// The console's small helpers: building DOM nodes (text only through
// textContent, never innerHTML, so nothing from the relay is ever parsed as
// markup), times in JST, Japanese labels, and the calls of relay/API.md
// (JSON, the session's CSRF token on every POST).

const SVG_NS = "http://www.w3.org/2000/svg";

// h("td", {class: "x", data: {state: "ok"}}, "text", child, ...): an
// element; strings become text nodes; null/false children are skipped.
function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "data") {
      for (const [dk, dv] of Object.entries(v)) el.dataset[dk] = String(dv);
    } else if (k === "on") {
      for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    } else if (k === "text") {
      el.textContent = String(v);
    } else {
      el.setAttribute(k, v === true ? "" : String(v));
    }
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

export function svg(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function $(id) {
  return document.getElementById(id);
}

// Times: the API speaks milliseconds since the epoch (UTC); operators in
// Japan read JST whatever the machine's own zone is.
const fmtFull = new Intl.DateTimeFormat("ja-JP", {
  timeZone: "Asia/Tokyo", year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
});
const fmtShort = new Intl.DateTimeFormat("ja-JP", {
  timeZone: "Asia/Tokyo", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
});

export function jst(ms) {
  if (ms === null || ms === undefined) return "—";
  return fmtFull.format(new Date(ms));
}

export function jstShort(ms) {
  if (ms === null || ms === undefined) return "—";
  return fmtShort.format(new Date(ms));
}

export function seconds(s) {
  if (s === null || s === undefined) return "—";
  return s.toFixed(1) + " 秒";
}

export const CELL_STATE = {
  pending: "未配送",
  held: "保留",
  mailed: "メール送付（未確認）",
  delivered: "配送済",
  acknowledged: "受理確認",
  overdue: "期限超過",
  rejected: "拒否",
};

export const NODE_STATE = {
  connected: "接続中",
  offline: "未接続",
  never: "接続記録なし",
};

export const STATUS = { real: "実際", exercise: "訓練", test: "試験" };

export const MAIL_STATE = {
  pending: "送信待ち", sent: "送信済", failed: "送信失敗", cancelled: "取消",
};

// 訓練 and 試験 as a badge wherever an incident or report appears.
export function statusBadge(status) {
  if (status === "exercise") return h("span", { class: "badge drill-badge" }, "訓練");
  if (status === "test") return h("span", { class: "badge test-badge" }, "試験");
  return null;
}

// --- the API ---

export class ApiError extends Error {
  constructor(status, message, retryAfter) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

let csrf = null;

export function setCsrf(token) {
  csrf = token;
}

async function call(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
  let r;
  try {
    r = await fetch(path, {
      method, headers, credentials: "same-origin", cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, "リレーに接続できません");
  }
  let data = null;
  const type = r.headers.get("Content-Type") || "";
  if (type.startsWith("application/json")) {
    try {
      data = await r.json();
    } catch (e) {
      data = null;
    }
  }
  if (!r.ok) {
    const msg = data && typeof data.error === "string" ? data.error
      : `HTTP ${r.status}`;
    throw new ApiError(r.status, msg, r.headers.get("Retry-After"));
  }
  return data;
}

export const api = {
  get: (path) => call("GET", path),
  post: (path, body) => call("POST", path, body === undefined ? {} : body),
};
