// The letta-mockserver dashboard: reads and steers the mock through /_mock, polling once a second.
// Every value a client sent (ids, inputs, URLs, headers, bodies) reaches the page as a text node:
// the DOM is built with createElement and textContent, never from markup.
"use strict";

const POLL_MS = 1000;
const STATUSES = {
  batch: ["created", "pending", "running", "completed", "failed", "cancelled", "expired"],
  job: ["created", "pending", "running", "completed", "failed", "cancelled", "expired"],
  run: ["created", "running", "completed", "failed", "cancelled"],
};
const NOUNS = { batch: "batches", run: "runs", job: "jobs" };

const state = {
  tab: "batch",
  cursor: {},           // {after: id} or {before: id}; {} is the newest page
  detail: null,         // id shown in the side panel
  seen: {},             // what each view last rendered (JSON), to leave an unchanged view alone
  operations: [],
};

const $ = (id) => document.getElementById(id);

function el(tag, props, ...children) {
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

class ApiError extends Error {
  constructor(status, body) {
    super(describe(body) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

function describe(body) {
  if (!body) return "";
  if (typeof body.detail === "string") return body.detail;
  if (Array.isArray(body.detail)) return body.detail.map((v) => `${pointer(v.loc)}: ${v.msg}`).join("; ");
  return JSON.stringify(body);
}

async function call(method, path, payload) {
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

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== "" && value !== null && value !== undefined) search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

function notify(text, bad) {
  const box = $("notice");
  box.textContent = text;
  box.className = bad ? "bad" : "good";
  box.hidden = false;
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => { box.hidden = true; }, bad ? 8000 : 3000);
}

// -- formatting ---------------------------------------------------------------------------

function pointer(loc) {
  return "/" + (loc || []).map((part) => String(part).replace(/~/g, "~0").replace(/\//g, "~1")).join("/");
}

function clockTime(stamp) {
  if (!stamp) return "—";
  const date = new Date(stamp);
  if (Number.isNaN(date.getTime())) return String(stamp);
  return date.toISOString().slice(11, 23);
}

function timeNode(stamp) {
  return el("time", { datetime: stamp || null, title: stamp || null, text: clockTime(stamp) });
}

function badge(status) {
  return el("span", { class: `badge status-${String(status).replace(/[^a-z_]/g, "")}`, text: status });
}

function json(value) {
  return el("pre", { class: "json", text: JSON.stringify(value, null, 2) });
}

function unchanged(key, data) {
  const text = JSON.stringify(data);
  if (state.seen[key] === text) return true;
  state.seen[key] = text;
  return false;
}

function timeline(steps) {
  return el("ol", { class: "timeline" },
    steps.map((step) => el("li", { class: step.done ? "done" : "ahead" },
      badge(step.status), " ", timeNode(step.at))));
}

function callbackCell(record) {
  if (!record.callback_url) return el("span", { class: "muted", text: "none" });
  const outcome = record.callback_error
    ? el("span", { class: "bad", text: "error" })
    : record.callback_status_code !== null && record.callback_status_code !== undefined
      ? el("span", { class: record.callback_status_code < 300 ? "good" : "bad", text: record.callback_status_code })
      : el("span", { class: "muted", text: "not sent" });
  return el("div", { class: "callback" }, outcome, el("div", { class: "url", text: record.callback_url }));
}

// -- the clock ----------------------------------------------------------------------------

async function refreshClock() {
  let clock;
  try {
    clock = await call("GET", "/_mock/clock");
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 400) throw error;
    // Stateless mode keeps no clock and no records: the journal, faults and callbacks still work.
    clock = { clock: "none (stateless)", now: "", pending_changes: 0 };
  }
  $("clock-kind").textContent = clock.clock;
  $("clock-kind").className = `badge clock-${clock.clock === "manual" ? "manual" : "system"}`;
  $("clock-now").textContent = clock.now;
  $("clock-now").setAttribute("datetime", clock.now);
  $("clock-pending").textContent = `${clock.pending_changes} pending change${clock.pending_changes === 1 ? "" : "s"}`;
  $("clock-controls").hidden = clock.clock !== "manual";
}

async function advance(seconds) {
  const form = $("clock-controls");
  clearErrors(form);
  try {
    const reply = await call("POST", "/_mock/clock/advance", { seconds });
    const fired = reply.callbacks ? `, ${reply.callbacks.triggered} callback(s)` : "";
    notify(`advanced ${seconds} s to ${reply.now}${fired}`);
  } catch (error) {
    showErrors(form, error);
  }
  await refresh();
}

// -- batches, runs and jobs ---------------------------------------------------------------

function statusOptions() {
  const select = $("filter-status");
  const kept = select.value;
  select.replaceChildren(el("option", { value: "", text: "any" }),
    ...STATUSES[state.tab].map((status) => el("option", { value: status, text: status })));
  select.value = STATUSES[state.tab].includes(kept) ? kept : "";
}

async function refreshRecords() {
  const params = { kind: state.tab, status: $("filter-status").value, agent_id: $("filter-agent").value.trim(),
    limit: 25, ...state.cursor };
  let page;
  try {
    page = await call("GET", `/_mock/records${query(params)}`);
    $("records-error").textContent = "";
  } catch (error) {
    $("records-error").textContent = error.message;
    return;
  }
  if (unchanged("records", page)) return;
  $("records-stored").textContent = `${page.stored} ${NOUNS[page.kind]} stored`;
  $("page-newer").disabled = !page.newer;
  $("page-older").disabled = !page.older;
  $("records-empty").hidden = page.records.length > 0;
  $("records").tBodies[0].replaceChildren(...page.records.map((record) => el("tr",
    { class: state.detail === record.id ? "selected" : null, dataset: { id: record.id } },
    el("td", {}, el("button", { type: "button", class: "link", onclick: () => openDetail(record.id),
      text: record.id }), record.items !== undefined ? el("div", { class: "muted", text: `${record.items} item(s)` }) : null),
    el("td", {}, badge(record.status), record.stop_reason ? el("div", { class: "muted", text: record.stop_reason }) : null),
    el("td", { class: "agents" }, record.agent_ids.slice(0, 3).map((agent) => el("div", { text: agent })),
      record.agent_ids.length > 3 ? el("div", { class: "muted", text: `+${record.agent_ids.length - 3} more` }) : null),
    el("td", {}, timeline(record.timeline)),
    el("td", {}, callbackCell(record)))));
}

function page(direction) {
  const rows = $("records").tBodies[0].rows;
  if (!rows.length) return;
  state.cursor = direction === "older" ? { after: rows[rows.length - 1].dataset.id } : { before: rows[0].dataset.id };
  refresh();
}

// -- the detail panel ---------------------------------------------------------------------

// The panel opens under the header, whose clock buttons stay in reach (the header wraps on narrow screens).
function placeDetail() {
  $("detail").style.top = `${document.querySelector("header").getBoundingClientRect().height}px`;
}

function openDetail(id) {
  placeDetail();
  state.detail = id;
  delete state.seen.detail;
  delete state.seen.records;
  $("detail").hidden = false;
  refresh();
}

function closeDetail() {
  state.detail = null;
  $("detail").hidden = true;
  delete state.seen.records;
  refresh();
}

function section(title, ...content) {
  const name = title.split(" ")[0].toLowerCase();
  return el("section", { class: "detail-section", dataset: { section: name } }, el("h3", { text: title }), ...content);
}

function messageList(messages, total) {
  if (!messages.length) return el("p", { class: "muted", text: "none yet" });
  return el("div", {},
    total > messages.length ? el("p", { class: "muted", text: `the first ${messages.length} of ${total}` }) : null,
    el("ol", { class: "messages" }, messages.map((message) => el("li", {},
      el("div", { class: "message-head" },
        el("span", { class: "badge", text: message.message_type || message.role || "message" }), " ",
        timeNode(message.date || message.created_at), " ",
        el("span", { class: "muted", text: message.id })),
      el("div", { class: "message-text", text: messageText(message) }),
      el("details", {}, el("summary", { text: "JSON" }), json(message))))));
}

function messageText(message) {
  const content = message.content;
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((part) => (part && part.text) || "").join(" ");
  return message.reasoning || message.stop_reason || (message.tool_call && message.tool_call.name) || "";
}

function attemptsTable(attempts) {
  if (!attempts.length) return el("p", { class: "muted", text: "no attempt" });
  return el("table", { class: "grid" },
    el("thead", {}, el("tr", {}, ["started", "URL", "attempt", "outcome", "duration"].map((h) => el("th", { text: h })))),
    el("tbody", {}, attempts.map(attemptRow)));
}

function attemptRow(attempt) {
  return el("tr", { class: attempt.error ? "failed" : null },
    el("td", {}, timeNode(attempt.started_at)),
    el("td", { class: "url", text: attempt.url }),
    el("td", { text: attempt.attempt }),
    el("td", {}, attempt.error ? el("span", { class: "bad", text: attempt.error })
      : el("span", { class: attempt.status_code < 300 ? "good" : "bad", text: attempt.status_code })),
    el("td", { text: `${attempt.duration_ms} ms` }));
}

async function refreshDetail() {
  if (state.detail === null) return;
  let record;
  try {
    record = await call("GET", `/_mock/record${query({ id: state.detail })}`);
  } catch (error) {
    $("detail-title").textContent = state.detail;
    $("detail-body").replaceChildren(el("p", { class: "bad", text: error.message }));
    state.seen.detail = null;
    return;
  }
  if (unchanged("detail", record)) return;
  $("detail-title").replaceChildren(el("span", { class: "muted", text: `${record.kind} ` }), record.id);
  const parts = [
    el("div", { class: "detail-status" }, badge(record.status), record.stop_reason ? ` ${record.stop_reason}` : ""),
    section("Timeline", timeline(record.timeline)),
  ];
  if (record.batch_items) {
    parts.push(section(`Items (${record.batch_items.length})`, el("table", { class: "grid" },
      el("thead", {}, el("tr", {}, ["item", "agent", "input", "done"].map((h) => el("th", { text: h })))),
      el("tbody", {}, record.batch_items.map((item) => el("tr", {},
        el("td", { class: "muted", text: item.id }), el("td", { text: item.agent_id }),
        el("td", { class: "input", text: item.input }), el("td", { text: item.done ? "yes" : "no" })))))));
  }
  if (record.kind !== "job") parts.push(section(`Messages (${record.message_count})`, messageList(record.messages, record.message_count)));
  if (record.steps) {
    parts.push(section(`Steps (${record.step_count})`, record.steps.length
      ? el("ol", { class: "messages" }, record.steps.map((step) => el("li", {},
        el("div", { class: "message-head" }, el("span", { class: "muted", text: step.id }), " ",
          el("span", { text: step.model || "" }), " ", el("span", { class: "muted", text: step.stop_reason || "" })),
        el("details", {}, el("summary", { text: "JSON" }), json(step)))))
      : el("p", { class: "muted", text: "none yet" })));
  }
  parts.push(section("Callbacks", attemptsTable(record.callbacks)));
  parts.push(section("Record", json(record.record)));
  $("detail-body").replaceChildren(...parts);
}

// -- callbacks ----------------------------------------------------------------------------

async function refreshCallbacks() {
  const data = await call("GET", "/_mock/callbacks?limit=200");
  if (unchanged("callbacks", data)) return;
  const attempts = data.callbacks.slice().reverse();
  $("callbacks-pending").textContent = `${data.pending} pending; newest first, the last 200 attempts`;
  $("callbacks-empty").hidden = attempts.length > 0;
  $("callbacks").tBodies[0].replaceChildren(...attempts.map((attempt) => {
    const row = attemptRow(attempt);
    const forCell = el("td", {}, el("span", { class: "muted", text: `${attempt.kind} ` }),
      el("button", { type: "button", class: "link", onclick: () => openDetail(attempt.id), text: attempt.id }));
    row.insertBefore(forCell, row.cells[1]);
    row.append(el("td", {}, el("details", {}, el("summary", { text: "payload" }), json(attempt.payload))));
    return row;
  }));
}

// -- the request journal ------------------------------------------------------------------

async function refreshRequests() {
  const code = $("filter-code").value.trim();
  let data;
  try {
    data = await call("GET", `/_mock/requests${query({ operation: $("filter-operation").value, status: code, limit: 200 })}`);
    $("requests-error").textContent = "";
  } catch (error) {
    $("requests-error").textContent = error.message;
    return;
  }
  if (unchanged("requests", data)) return;
  const entries = data.requests.slice().reverse();
  $("requests-empty").hidden = entries.length > 0;
  const rows = [];
  for (const entry of entries) {
    const broken = entry.violations.length > 0;
    rows.push(el("tr", { class: broken ? "violation" : null, dataset: { seq: entry.seq } },
      el("td", { class: "muted", text: entry.seq }),
      el("td", {}, timeNode(new Date(entry.at * 1000).toISOString())),
      el("td", { class: "request" },
        el("span", { class: "method", text: entry.method }), " ",
        el("span", { class: "path", text: entry.path + (entry.query ? `?${entry.query}` : "") }),
        el("details", {}, el("summary", { text: "headers and body" }),
          json(entry.headers), entry.body ? el("pre", { class: "json", text: entry.body }) : null)),
      el("td", { text: entry.operation_id || "" }),
      el("td", {}, el("span", { class: entry.status >= 400 ? "bad" : "good", text: entry.status }),
        entry.fault ? el("div", { class: "muted", text: `fault: ${entry.fault}` }) : null),
      el("td", { text: `${entry.duration_ms} ms` })));
    if (broken) {
      rows.push(el("tr", { class: "violation-detail" }, el("td", {}), el("td", { colspan: 5 },
        el("strong", { text: "contract violation" }),
        el("ul", {}, entry.violations.map((violation) => el("li", {},
          el("span", { class: "op", text: entry.operation_id || entry.path }), " ",
          el("code", { class: "pointer", text: pointer(violation.loc) }), " ",
          el("span", { class: "rule", text: violation.msg }),
          violation.source === "override" ? el("span", { class: "muted", text: " (an override's answer)" }) : null))))));
    }
  }
  $("requests").tBodies[0].replaceChildren(...rows);
}

async function refreshViolations() {
  const report = await call("GET", "/_mock/report");
  const count = report.violations.length;
  $("violation-count").hidden = count === 0;
  $("violation-count").textContent = String(count);
  const operations = [...Object.keys(report.exercised), ...report.not_exercised].sort();
  if (operations.join() !== state.operations.join()) {
    state.operations = operations;
    for (const [id, first] of [["filter-operation", ["", "any"]], ["fault-operation", ["*", "* (every operation)"]]]) {
      const select = id === "filter-operation" ? $(id) : $("fault-form").elements.operation;
      const kept = select.value;
      select.replaceChildren(el("option", { value: first[0], text: first[1] }),
        ...operations.map((op) => el("option", { value: op, text: op })));
      select.value = kept;
      if (select.value !== kept) select.value = first[0];
    }
  }
}

// -- scenarios and faults -----------------------------------------------------------------

function specItem(spec) {
  const { id, remaining, ...rest } = spec;
  return el("li", {}, el("span", { class: "spec-id", text: id }), " ",
    el("code", { text: JSON.stringify(rest) }),
    remaining !== null && remaining !== undefined ? el("span", { class: "muted", text: ` ${remaining} left` }) : null);
}

async function refreshControls() {
  const [scenarios, faults] = await Promise.all([call("GET", "/_mock/scenarios"), call("GET", "/_mock/faults")]);
  const total = scenarios.scenarios.length + faults.faults.length;
  $("controls-count").hidden = total === 0;
  $("controls-count").textContent = String(total);
  if (unchanged("controls", [scenarios, faults])) return;
  $("scenarios").replaceChildren(...(scenarios.scenarios.length ? scenarios.scenarios.map(specItem)
    : [el("li", { class: "muted", text: "none" })]));
  $("faults").replaceChildren(...(faults.faults.length ? faults.faults.map(specItem)
    : [el("li", { class: "muted", text: "none" })]));
}

// A number field sends a number when it reads as one, else the text as typed: the server's schema
// then refuses it with the same message the API gives.
function numberOr(text) {
  const trimmed = text.trim();
  return trimmed !== "" && Number.isFinite(Number(trimmed)) ? Number(trimmed) : trimmed;
}

function clearErrors(form) {
  for (const node of form.querySelectorAll(".field-error")) node.textContent = "";
  for (const node of form.querySelectorAll(".field.invalid")) node.classList.remove("invalid");
}

function showErrors(form, error) {
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

function scenarioPayload(form) {
  const values = form.elements;
  const key = values.match_key.value;
  const raw = values.match_value.value;
  const spec = { match: { [key]: key.startsWith("next_") ? numberOr(raw) : raw } };
  if (values.status.value) spec.status = values.status.value;
  if (values.stop_reason.value) spec.stop_reason = values.stop_reason.value;
  if (values.duration.value.trim()) spec.duration = numberOr(values.duration.value);
  if (values.reply.value) spec.reply = values.reply.value;
  return spec;
}

function faultPayload(form) {
  const values = form.elements;
  const spec = { operation: values.operation.value };
  if (values.latency.value.trim()) spec.latency = { seconds: numberOr(values.latency.value) };
  if (values.error_status.value.trim()) {
    spec.error = { status: numberOr(values.error_status.value) };
    if (values.retry_after.value.trim()) spec.error.retry_after = numberOr(values.retry_after.value);
  }
  if (values.drop.checked) spec.drop = true;
  if (values.times.value.trim()) spec.times = numberOr(values.times.value);
  return spec;
}

async function submitSpec(event, path, payload, noun) {
  event.preventDefault();
  const form = event.target;
  clearErrors(form);
  try {
    const added = await call("POST", path, payload(form));
    notify(`added ${noun} ${added.id}`);
    form.reset();
  } catch (error) {
    showErrors(form, error);
  }
  delete state.seen.controls;
  refresh();
}

async function clearAll(path, noun) {
  try {
    await call("DELETE", path);
    notify(`removed every ${noun}`);
  } catch (error) {
    notify(error.message, true);
  }
  refresh();
}

// -- reset and snapshots ------------------------------------------------------------------

async function reset() {
  try {
    await call("POST", "/_mock/reset");
    state.cursor = {};
    state.seen = {};
    notify("reset to the start-up state");
  } catch (error) {
    notify(error.message, true);
  }
  refresh();
}

async function downloadSnapshot() {
  try {
    const data = await call("GET", "/_mock/state");
    const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
    const link = el("a", { href: URL.createObjectURL(blob), download: "letta-mock-state.json" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  } catch (error) {
    notify(error.message, true);
  }
}

async function restoreSnapshot(event) {
  const file = event.target.files[0];
  event.target.value = "";
  if (!file) return;
  try {
    await call("PUT", "/_mock/state", await file.text());
    state.seen = {};
    notify(`restored ${file.name}`);
  } catch (error) {
    notify(`restore refused: ${error.message}`, true);
  }
  refresh();
}

// -- the loop -----------------------------------------------------------------------------

function show(tab) {
  state.tab = tab;
  for (const button of document.querySelectorAll("#tabs button")) button.classList.toggle("active", button.dataset.tab === tab);
  const records = tab in STATUSES;
  $("view-records").hidden = !records;
  for (const name of ["callbacks", "requests", "controls"]) $(`view-${name}`).hidden = tab !== name;
  if (records) {
    state.cursor = {};
    statusOptions();
    delete state.seen.records;
  }
  refresh();
}

let running = null;
let again = false;
async function refresh() {
  if (running) {
    // A click during a poll: look once more when it ends, so the page shows what the click did.
    again = true;
    return running;
  }
  running = (async () => {
    try {
      await refreshClock();
      const work = [refreshViolations(), refreshControls(), refreshDetail()];
      if (state.tab in STATUSES) work.push(refreshRecords());
      else if (state.tab === "callbacks") work.push(refreshCallbacks());
      else if (state.tab === "requests") work.push(refreshRequests());
      await Promise.all(work);
      document.body.classList.remove("offline");
    } catch (error) {
      document.body.classList.add("offline");
      notify(`cannot reach the mock: ${error.message}`, true);
    } finally {
      running = null;
      if (again) {
        again = false;
        refresh();
      }
    }
  })();
  return running;
}

function start() {
  for (const button of document.querySelectorAll("#tabs button")) button.addEventListener("click", () => show(button.dataset.tab));
  for (const button of document.querySelectorAll("#clock-controls [data-seconds]")) {
    button.addEventListener("click", () => advance(Number(button.dataset.seconds)));
  }
  $("clock-controls").addEventListener("submit", (event) => {
    event.preventDefault();
    advance(numberOr($("advance-seconds").value));
  });
  $("filter-status").addEventListener("change", () => { state.cursor = {}; refresh(); });
  $("filter-agent").addEventListener("input", () => { state.cursor = {}; refresh(); });
  $("filter-operation").addEventListener("change", () => refresh());
  $("filter-code").addEventListener("input", () => refresh());
  $("page-newer").addEventListener("click", () => page("newer"));
  $("page-older").addEventListener("click", () => page("older"));
  $("detail-close").addEventListener("click", closeDetail);
  $("reset").addEventListener("click", reset);
  $("snapshot").addEventListener("click", downloadSnapshot);
  $("restore").addEventListener("change", restoreSnapshot);
  $("scenario-form").addEventListener("submit", (event) => submitSpec(event, "/_mock/scenarios", scenarioPayload, "scenario"));
  $("fault-form").addEventListener("submit", (event) => submitSpec(event, "/_mock/faults", faultPayload, "fault"));
  $("clear-scenarios").addEventListener("click", () => clearAll("/_mock/scenarios", "scenario"));
  $("clear-faults").addEventListener("click", () => clearAll("/_mock/faults", "fault"));
  window.addEventListener("resize", placeDetail);
  statusOptions();
  refresh();
  setInterval(refresh, POLL_MS);
}

document.addEventListener("DOMContentLoaded", start);
