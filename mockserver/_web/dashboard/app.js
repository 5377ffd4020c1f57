// The letta-mockserver dashboard: reads and steers the mock through /_mock, polling once a second.
// Every value a client sent (ids, inputs, URLs, headers, bodies) reaches the page as a text node:
// the DOM is built with createElement and textContent, never from markup.

import {
  $, ApiError, POLL_MS, STATUSES, call, clearErrors, el, notify, numberOr, showErrors, state, unchanged,
} from "./util.js";
import {
  closeDetail, page, placeDetail, refreshCallbacks, refreshDetail, refreshRecords, refreshRequests,
  refreshViolations, statusOptions,
} from "./views.js";

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

// -- scenarios and faults -----------------------------------------------------------------

function specItem(path, noun) {
  return (spec) => {
    const { id, remaining, ...rest } = spec;
    const remove = el("button", {
      type: "button", class: "small remove", title: `Remove ${noun} ${id}`, text: "Remove",
      onclick: () => removeOne(path, id, noun),
    });
    return el("li", { dataset: { id } }, el("span", { class: "spec-id", text: id }), " ",
      el("code", { text: JSON.stringify(rest) }),
      remaining !== null && remaining !== undefined ? el("span", { class: "muted", text: ` ${remaining} left` }) : null,
      " ", remove);
  };
}

async function removeOne(path, id, noun) {
  try {
    await call("DELETE", `${path}/${encodeURIComponent(id)}`);
    notify(`removed ${noun} ${id}`);
  } catch (error) {
    // Already gone (used up, or removed elsewhere): the next poll shows what is left.
    notify(error.message, true);
  }
  delete state.seen.controls;
  refresh();
}

async function refreshControls() {
  const [scenarios, faults] = await Promise.all([call("GET", "/_mock/scenarios"), call("GET", "/_mock/faults")]);
  const total = scenarios.scenarios.length + faults.faults.length;
  $("controls-count").hidden = total === 0;
  $("controls-count").textContent = String(total);
  if (unchanged("controls", [scenarios, faults])) return;
  $("scenarios").replaceChildren(...(scenarios.scenarios.length
    ? scenarios.scenarios.map(specItem("/_mock/scenarios", "scenario"))
    : [el("li", { class: "muted", text: "none" })]));
  $("faults").replaceChildren(...(faults.faults.length ? faults.faults.map(specItem("/_mock/faults", "fault"))
    : [el("li", { class: "muted", text: "none" })]));
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
  state.refresh = refresh;
  window.addEventListener("resize", placeDetail);
  statusOptions();
  refresh();
  setInterval(refresh, POLL_MS);
}

document.addEventListener("DOMContentLoaded", start);
