// The views that show what the mock saw: batches, runs and jobs, one in detail, callbacks, requests.

import {
  $, NOUNS, STATUSES, badge, call, callbackCell, el, json, pointer, query, state, timeNode, timeline, unchanged,
} from "./util.js";

// -- batches, runs and jobs ---------------------------------------------------------------

export function statusOptions() {
  const select = $("filter-status");
  const kept = select.value;
  select.replaceChildren(el("option", { value: "", text: "any" }),
    ...STATUSES[state.tab].map((status) => el("option", { value: status, text: status })));
  select.value = STATUSES[state.tab].includes(kept) ? kept : "";
}

export async function refreshRecords() {
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
  $("records-stored").textContent = `${page.stored} ${NOUNS[page.kind][page.stored === 1 ? 0 : 1]} stored`;
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

export function page(direction) {
  const rows = $("records").tBodies[0].rows;
  if (!rows.length) return;
  state.cursor = direction === "older" ? { after: rows[rows.length - 1].dataset.id } : { before: rows[0].dataset.id };
  state.refresh();
}

// -- the detail panel ---------------------------------------------------------------------

// The panel opens under the header, whose clock buttons stay in reach (the header wraps on narrow screens).
export function placeDetail() {
  $("detail").style.top = `${document.querySelector("header").getBoundingClientRect().height}px`;
}

export function openDetail(id) {
  placeDetail();
  state.detail = id;
  delete state.seen.detail;
  delete state.seen.records;
  $("detail").hidden = false;
  state.refresh();
}

export function closeDetail() {
  state.detail = null;
  $("detail").hidden = true;
  delete state.seen.records;
  state.refresh();
}

export function section(title, ...content) {
  const name = title.split(" ")[0].toLowerCase();
  return el("section", { class: "detail-section", dataset: { section: name } }, el("h3", { text: title }), ...content);
}

export function messageList(messages, total) {
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

export function messageText(message) {
  const content = message.content;
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((part) => (part && part.text) || "").join(" ");
  return message.reasoning || message.stop_reason || (message.tool_call && message.tool_call.name) || "";
}

export function attemptsTable(attempts) {
  if (!attempts.length) return el("p", { class: "muted", text: "no attempt" });
  return el("table", { class: "grid" },
    el("thead", {}, el("tr", {}, ["started", "URL", "attempt", "outcome", "duration"].map((h) => el("th", { text: h })))),
    el("tbody", {}, attempts.map(attemptRow)));
}

export function attemptRow(attempt) {
  return el("tr", { class: attempt.error ? "failed" : null },
    el("td", {}, timeNode(attempt.started_at)),
    el("td", { class: "url", text: attempt.url }),
    el("td", { text: attempt.attempt }),
    el("td", {}, attempt.error ? el("span", { class: "bad", text: attempt.error })
      : el("span", { class: attempt.status_code < 300 ? "good" : "bad", text: attempt.status_code })),
    el("td", { text: `${attempt.duration_ms} ms` }));
}

export async function refreshDetail() {
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

export async function refreshCallbacks() {
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

export async function refreshRequests() {
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

export async function refreshViolations() {
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
