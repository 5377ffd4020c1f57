// What every part of the dashboard shares: its state, building elements, calling /_mock, formatting.
// Every value a client sent reaches the page as a text node (textContent), never as markup.

export const POLL_MS = 1000;
export const STATUSES = {
  batch: ["created", "pending", "running", "completed", "failed", "cancelled", "expired"],
  job: ["created", "pending", "running", "completed", "failed", "cancelled", "expired"],
  run: ["created", "running", "completed", "failed", "cancelled"],
};
export const NOUNS = { batch: ["batch", "batches"], run: ["run", "runs"], job: ["job", "jobs"] };

export const state = {
  tab: "batch",
  cursor: {},           // {after: id} or {before: id}; {} is the newest page
  detail: null,         // id shown in the side panel
  seen: {},             // what each view last rendered (JSON), to leave an unchanged view alone
  operations: [],
  refresh: null,        // the loop's refresh (app.js): views ask for one after a click
};

export const $ = (id) => document.getElementById(id);

export function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = String(value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// -- talking to the mock ------------------------------------------------------------------

export class ApiError extends Error {
  constructor(status, body) {
    super(describe(body) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export function describe(body) {
  if (!body) return "";
  if (typeof body.detail === "string") return body.detail;
  if (Array.isArray(body.detail)) return body.detail.map((v) => `${pointer(v.loc)}: ${v.msg}`).join("; ");
  return JSON.stringify(body);
}

export async function call(method, path, payload) {
  const init = { method, headers: {}, credentials: "same-origin", cache: "no-store" };
  if (payload !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = typeof payload === "string" ? payload : JSON.stringify(payload);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (_) { body = { detail: text }; }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== "" && value !== null && value !== undefined) search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export function notify(text, bad) {
  const box = $("notice");
  box.textContent = text;
  box.className = bad ? "bad" : "good";
  box.hidden = false;
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => { box.hidden = true; }, bad ? 8000 : 3000);
}

// -- formatting ---------------------------------------------------------------------------

export function pointer(loc) {
  return "/" + (loc || []).map((part) => String(part).replace(/~/g, "~0").replace(/\//g, "~1")).join("/");
}

export function clockTime(stamp) {
  if (!stamp) return "—";
  const date = new Date(stamp);
  if (Number.isNaN(date.getTime())) return String(stamp);
  return date.toISOString().slice(11, 23);
}

export function timeNode(stamp) {
  return el("time", { datetime: stamp || null, title: stamp || null, text: clockTime(stamp) });
}

export function badge(status) {
  return el("span", { class: `badge status-${String(status).replace(/[^a-z_]/g, "")}`, text: status });
}

export function json(value) {
  return el("pre", { class: "json", text: JSON.stringify(value, null, 2) });
}

export function unchanged(key, data) {
  const text = JSON.stringify(data);
  if (state.seen[key] === text) return true;
  state.seen[key] = text;
  return false;
}

export function timeline(steps) {
  return el("ol", { class: "timeline" },
    steps.map((step) => el("li", { class: step.done ? "done" : "ahead" },
      badge(step.status), " ", timeNode(step.at))));
}

export function callbackCell(record) {
  if (!record.callback_url) return el("span", { class: "muted", text: "none" });
  const outcome = record.callback_error
    ? el("span", { class: "bad", text: "error" })
    : record.callback_status_code !== null && record.callback_status_code !== undefined
      ? el("span", { class: record.callback_status_code < 300 ? "good" : "bad", text: record.callback_status_code })
      : el("span", { class: "muted", text: "not sent" });
  return el("div", { class: "callback" }, outcome, el("div", { class: "url", text: record.callback_url }));
}

// A number field sends a number when it reads as one, else the text as typed: the server's schema
// then refuses it with the same message the API gives.
export function numberOr(text) {
  const trimmed = text.trim();
  return trimmed !== "" && Number.isFinite(Number(trimmed)) ? Number(trimmed) : trimmed;
}

export function clearErrors(form) {
  for (const node of form.querySelectorAll(".field-error")) node.textContent = "";
  for (const node of form.querySelectorAll(".field.invalid")) node.classList.remove("invalid");
}

export function showErrors(form, error) {
  const problems = error.body && Array.isArray(error.body.detail) ? error.body.detail
    : [{ loc: ["body"], msg: error.message }];
  for (const problem of problems) {
    const path = (problem.loc || []).slice(1).map(String);
    let field = null;
    for (let n = path.length; n > 0 && !field; n -= 1) {
      field = [...form.querySelectorAll(".field")].find((node) => node.dataset.field === path.slice(0, n).join("."));
    }
    const target = field ? field.querySelector(".field-error") : form.querySelector(".form-error") || form.querySelector(".field-error");
    if (field) field.classList.add("invalid");
    const where = field && path.length <= 1 ? "" : `${pointer(problem.loc)}: `;
    target.textContent = (target.textContent ? `${target.textContent}; ` : "") + where + problem.msg;
  }
}
