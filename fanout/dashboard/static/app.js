// fanout dashboard: a thin client of the JSON API. Message content is only ever set with
// textContent (never innerHTML), so a body holding markup shows as text.
"use strict";

const state = {
  config: null,
  overview: null,
  view: "overview",
  consumer: null,
  dlq: null,
  selected: new Set(),
  timer: null,
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// -- formatting ---------------------------------------------------------------------------

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, "0")}h`;
}

function ago(iso) {
  if (!iso) return "never";
  const seconds = (Date.now() - Date.parse(iso)) / 1000;
  return seconds < 2 ? "just now" : `${duration(seconds)} ago`;
}

function rate(value) {
  if (value === null || value === undefined) return "–";
  if (value === 0) return "0";
  return value >= 10 ? value.toFixed(0) : value.toFixed(1);
}

function latency(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  return seconds < 1 ? `${(seconds * 1000).toFixed(0)} ms` : `${seconds.toFixed(2)} s`;
}

const pad = (number) => String(number).padStart(2, "0");

function when(iso) {
  // Local time, compact and sortable: 2026-12-06 20:26:56.
  if (!iso) return "–";
  const date = new Date(iso);
  if (isNaN(date)) return iso;
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  return `${day} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

function moment(iso) {
  // A time cell: the local time, and below it how long ago.
  return el("time", { datetime: iso, title: iso }, when(iso), el("span", { class: "ago" }, iso ? ago(iso) : ""));
}

function age(iso, prefix = "read") {
  // A label that keeps saying how old a figure is; refreshed every second by tickAges().
  return el("span", { class: "age", "data-read-at": iso || "", "data-prefix": prefix }, `${prefix} ${ago(iso)}`);
}

function tickAges() {
  const stale = (state.config ? state.config.refresh_s : 5) * 3 * 1000;
  for (const node of document.querySelectorAll(".age[data-read-at]")) {
    const iso = node.getAttribute("data-read-at");
    node.textContent = `${node.getAttribute("data-prefix")} ${ago(iso)}`;
    node.classList.toggle("stale", !iso || Date.now() - Date.parse(iso) > stale);
  }
}

// -- API ----------------------------------------------------------------------------------

async function api(path, options) {
  const response = await fetch(path, { headers: { Accept: "application/json" }, ...options });
  let body = null;
  try {
    body = await response.json();
  } catch (_) {
    body = null;
  }
  if (!response.ok) {
    const message = body && body.error ? body.error : `HTTP ${response.status}`;
    const error = new Error(message);
    error.status = response.status;
    throw error;
  }
  return body;
}

function showErrors(messages) {
  const box = $("errors");
  box.replaceChildren(...messages.map((message) => el("p", {}, message)));
  box.hidden = messages.length === 0;
}

// -- overview -----------------------------------------------------------------------------

function figure(label, value, extra) {
  return el("div", { class: `figure ${extra || ""}` }, el("dt", {}, label), el("dd", {}, value));
}

function group(title, readAt, figures, note) {
  return el(
    "section",
    { class: "group", "aria-label": title },
    el("h3", { title: note || null }, title, " ", age(readAt)),
    el("dl", { class: "figures" }, figures)
  );
}

function alertBadge(alert) {
  if (!alert) return el("span", { class: "badge muted" }, "no state");
  const label = { firing: "Firing", resolved: "OK", unknown: "Not checked" }[alert.state] || alert.state;
  return el("span", { class: `badge ${alert.state}` }, label);
}

function consumerCard(row) {
  const dlqDepth = row.dlq.depth;
  const alert = row.alert;
  const metrics = row.metrics;
  const card = el(
    "article",
    {
      class: `card ${dlqDepth > 0 ? "has-dlq" : ""} ${alert && alert.state === "firing" ? "firing" : ""}`,
      "data-consumer": row.consumer,
      "aria-labelledby": `card-${row.consumer}`,
    },
    el(
      "header",
      { class: "card-head" },
      el("h2", { id: `card-${row.consumer}`, class: "consumer-name" }, row.consumer),
      alertBadge(alert)
    ),
    group("Queue", row.queue.read_at, [
      figure("Visible", row.queue.visible),
      figure("In flight", row.queue.in_flight),
      figure("Delayed", row.queue.delayed),
    ]),
    group("Dead letters", row.dlq.read_at, [
      figure("DLQ depth", el("span", { class: "dlq-depth" }, dlqDepth), dlqDepth > 0 ? "alarm" : ""),
      figure(
        "Oldest",
        row.dlq.oldest_age_s === null ? "–" : `${row.dlq.oldest_age_exact ? "" : "≥ "}${duration(row.dlq.oldest_age_s)}`
      ),
      figure(
        "Browse",
        el("a", { href: `#dlq/${encodeURIComponent(row.consumer)}`, class: "link" }, dlqDepth > 0 ? "Inspect →" : "Open →")
      ),
    ]),
    alert
      ? group("Monitor", alert.read_at, [
          figure("Alert", alert.state),
          figure("Firing since", alert.since ? ago(alert.since) : "–"),
          figure("Depth seen", alert.last_depth === null ? "–" : alert.last_depth),
        ])
      : null,
    metrics
      ? group("Throughput per minute", metrics.scraped_at, [
          figure("Handled", rate(metrics.handled_per_min)),
          figure("Retried", rate(metrics.retried_per_min)),
          figure("Dead-lettered", rate(metrics.dead_lettered_per_min)),
          figure("p50", latency(metrics.p50_s)),
          figure("p99", latency(metrics.p99_s)),
          figure(
            "Utilisation",
            metrics.utilisation === null ? "–" : `${Math.round(metrics.utilisation * 100)}%`
          ),
        ], metrics.window_s ? `Over the last ${duration(metrics.window_s)} of scrapes` : "From one scrape: rates need two")
      : el(
          "p",
          { class: "muted small" },
          state.config && state.config.metrics_configured
            ? "No metrics from this consumer yet."
            : "Metrics: set FANOUT_DASHBOARD_CONSUMER_METRICS to the consumers' /metrics URLs."
        )
  );
  return card;
}

async function loadOverview() {
  const cards = $("cards");
  try {
    const overview = await api("/api/overview");
    state.overview = overview.consumers;
    $("headline").replaceChildren(...headline(overview.consumers));
    // A refresh must not take the keyboard focus away from the link it was on.
    const focused = cards.contains(document.activeElement) ? document.activeElement.getAttribute("href") : null;
    cards.replaceChildren(...overview.consumers.map(consumerCard));
    if (focused) {
      const again = cards.querySelector(`a[href="${CSS.escape(focused)}"]`);
      if (again) again.focus();
    }
    cards.setAttribute("aria-busy", "false");
    showErrors(overview.errors);
    setFreshness(overview.generated_at);
    renderConsumerPicker(overview.consumers);
  } catch (error) {
    showErrors([`Overview: ${error.message}`]);
  }
}

function setFreshness(iso) {
  $("freshness").replaceChildren(age(iso, "updated"));
}

function headline(rows) {
  // The line on-call reads first: what is firing, what is dead-lettered, what is waiting.
  const firing = rows.filter((row) => row.alert && row.alert.state === "firing").length;
  const dead = rows.reduce((sum, row) => sum + row.dlq.depth, 0);
  const waiting = rows.reduce((sum, row) => sum + row.queue.visible + row.queue.delayed, 0);
  const inFlight = rows.reduce((sum, row) => sum + row.queue.in_flight, 0);
  return [
    el("li", { class: `stat ${firing ? "bad" : "good"}` }, el("strong", {}, firing), firing === 1 ? " alert firing" : " alerts firing"),
    el("li", { class: `stat ${dead ? "warn" : "good"}` }, el("strong", {}, dead), " in dead-letter queues"),
    el("li", { class: "stat" }, el("strong", {}, waiting), " waiting"),
    el("li", { class: "stat" }, el("strong", {}, inFlight), " in flight"),
  ];
}

// -- DLQ browser --------------------------------------------------------------------------

function renderConsumerPicker(rows) {
  const picker = $("dlq-consumers");
  const names = rows ? rows.map((row) => row.consumer) : state.config.consumers;
  const depths = Object.fromEntries((rows || []).map((row) => [row.consumer, row.dlq.depth]));
  picker.replaceChildren(
    ...names.map((name) =>
      el(
        "a",
        {
          href: `#dlq/${encodeURIComponent(name)}`,
          class: `segment ${name === state.consumer ? "active" : ""}`,
          "aria-current": name === state.consumer ? "page" : null,
        },
        name,
        depths[name] !== undefined ? el("span", { class: `count ${depths[name] > 0 ? "alarm" : ""}` }, depths[name]) : null
      )
    )
  );
}

function reasonBadge(reason) {
  return el("span", { class: "reason" }, reason);
}

function bodyDetails(consumer, message) {
  const download = `/api/dlq/${encodeURIComponent(consumer)}/messages/${encodeURIComponent(message.message_id)}/body`;
  const pre = el("pre", { class: "body" });
  const details = el(
    "details",
    {
      class: "body-details",
      ontoggle: () => {
        if (details.open && !pre.textContent) pre.textContent = message.body; // on demand, as text
      },
    },
    el("summary", {}, `Body (${message.body_bytes.toLocaleString()} bytes)`),
    pre,
    el(
      "p",
      { class: "small" },
      message.body_truncated ? "Truncated here. " : "",
      el("a", { href: download, download: "" }, message.body_truncated ? "Download the whole body" : "Download")
    )
  );
  return details;
}

function messageRow(consumer, message) {
  const checkbox = el("input", {
    type: "checkbox",
    class: "select",
    value: message.message_id,
    "aria-label": `Select message ${message.event_id || message.message_id}`,
    checked: state.selected.has(message.message_id),
    onchange: (event) => {
      if (event.target.checked) state.selected.add(message.message_id);
      else state.selected.delete(message.message_id);
      updateSelection();
    },
  });
  const event = el(
    "div",
    { class: "event" },
    el("span", { class: `event-type ${message.event_type ? "" : "muted"}` }, message.event_type || "type not decoded"),
    el("span", { class: "mono small" }, message.event_id ? `id ${message.event_id}` : `message ${message.message_id}`),
    message.subject ? el("span", { class: "small" }, `order ${message.subject}`) : null,
    message.event_id
      ? el("a", { class: "small link", href: `#trace/${encodeURIComponent(message.event_id)}` }, "Trace this event →")
      : null,
    message.source_queue ? el("span", { class: "small muted" }, `from ${message.source_queue}`) : null
  );
  return el(
    "tr",
    { "data-message-id": message.message_id },
    el("td", { "data-label": "Select" }, checkbox),
    el("td", { "data-label": "Event" }, event),
    el(
      "td",
      { "data-label": "Reason", class: "reason-cell" },
      reasonBadge(message.reason),
      message.detail ? el("p", { class: "detail" }, message.detail) : null,
      bodyDetails(consumer, message)
    ),
    el("td", { "data-label": "Receives", class: "num" }, message.receive_count === null ? "–" : message.receive_count),
    el("td", { "data-label": "First seen" }, moment(message.first_seen)),
    el("td", { "data-label": "Dead-lettered" }, moment(message.dead_lettered_at))
  );
}

function updateSelection() {
  const count = state.selected.size;
  const button = $("redrive-selected");
  button.disabled = count === 0 || !state.config.actions_enabled;
  button.textContent = count ? `Redrive selected (${count})` : "Redrive selected";
}

async function loadDlq() {
  if (!state.consumer) state.consumer = state.config.consumers[0];
  renderConsumerPicker(state.overview);
  $("dlq-summary").textContent = `Reading ${state.consumer}…`;
  try {
    const dlq = await api(`/api/dlq/${encodeURIComponent(state.consumer)}`);
    state.dlq = dlq;
    const shown = new Set(dlq.messages.map((message) => message.message_id));
    state.selected = new Set([...state.selected].filter((id) => shown.has(id)));
    $("dlq-rows").replaceChildren(...dlq.messages.map((message) => messageRow(dlq.consumer, message)));
    $("dlq-empty").hidden = dlq.depth > 0;
    $("dlq-table").hidden = dlq.messages.length === 0;
    const oldest = dlq.oldest_age_s === null ? "" : `, oldest ${dlq.oldest_age_exact ? "" : "≥ "}${duration(dlq.oldest_age_s)}`;
    $("dlq-summary").replaceChildren(
      el("strong", {}, dlq.dlq),
      `: ${dlq.depth} message(s)${oldest}, showing ${dlq.messages.length} — redrive goes to ${dlq.source_queue} `,
      age(dlq.read_at)
    );
    $("select-all").checked = false;
    updateSelection();
    showErrors([]);
  } catch (error) {
    $("dlq-summary").textContent = "";
    showErrors([`Dead letters of ${state.consumer}: ${error.message}`]);
  }
}

// -- actions ------------------------------------------------------------------------------

function confirmAction({ title, text, typeToConfirm, verb }) {
  // Resolves with {token, by} when confirmed, null when cancelled.
  const dialog = $("confirm");
  const ok = $("confirm-ok");
  ok.textContent = verb;
  ok.className = `button ${verb === "Purge" ? "danger-solid" : "primary"}`;
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  const nameInput = $("confirm-name");
  const nameLabel = $("confirm-name-label");
  nameInput.value = "";
  nameInput.hidden = nameLabel.hidden = !typeToConfirm;
  nameInput.required = Boolean(typeToConfirm);
  nameLabel.textContent = typeToConfirm ? `Type ${typeToConfirm} to confirm` : "";
  $("confirm-token").value = sessionStorage.getItem("fanout-token") || "";
  $("confirm-by").value = localStorage.getItem("fanout-by") || "";
  $("confirm-error").textContent = "";
  return new Promise((resolve) => {
    const form = $("confirm-form");
    const finish = (result) => {
      form.removeEventListener("submit", onSubmit);
      $("confirm-cancel").removeEventListener("click", onCancel);
      dialog.removeEventListener("cancel", onCancel);
      dialog.close();
      resolve(result);
    };
    const onSubmit = (event) => {
      event.preventDefault();
      if (typeToConfirm && nameInput.value.trim() !== typeToConfirm) {
        $("confirm-error").textContent = `Type ${typeToConfirm} exactly to confirm.`;
        nameInput.focus();
        return;
      }
      const by = $("confirm-by").value.trim();
      if (by) localStorage.setItem("fanout-by", by);
      finish({ token: $("confirm-token").value, by });
    };
    const onCancel = (event) => {
      event.preventDefault();
      finish(null);
    };
    form.addEventListener("submit", onSubmit);
    $("confirm-cancel").addEventListener("click", onCancel);
    dialog.addEventListener("cancel", onCancel);
    dialog.showModal();
    (typeToConfirm ? nameInput : $("confirm-ok")).focus();
  });
}

async function runAction(kind, payload, confirmation) {
  const answer = await confirmAction(confirmation);
  if (!answer) return;
  const consumer = state.consumer;
  try {
    const result = await api(`/api/dlq/${encodeURIComponent(consumer)}/${kind}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-Fanout-Token": answer.token },
      body: JSON.stringify({ ...payload, confirm: consumer, by: answer.by }),
    });
    sessionStorage.setItem("fanout-token", answer.token);
    const done =
      kind === "purge"
        ? `Purged ${result.purged} message(s) from ${consumer}.`
        : result.move_task
          ? `Move task started for ${result.requested} message(s).`
          : `Moved ${result.moved} of ${result.requested} message(s) back to ${consumer}.`;
    setBanner(done, "success");
    state.selected.clear();
  } catch (error) {
    if (error.status === 401) sessionStorage.removeItem("fanout-token");
    setBanner(`${kind === "purge" ? "Purge" : "Redrive"} refused: ${error.message}`, "error");
  }
  await loadDlq();
}

function setBanner(message, tone) {
  const banner = $("banner");
  banner.textContent = message;
  banner.className = `banner ${tone}`;
  banner.hidden = !message;
}

function readOnlyBanner() {
  if (!state.config.actions_enabled) {
    setBanner("Read-only: no FANOUT_DASHBOARD_TOKEN is configured, so redrive and purge are off.", "info");
  }
}

function wireActions() {
  $("refresh-dlq").addEventListener("click", loadDlq);
  $("redrive-all").addEventListener("click", () =>
    runAction("redrive", {}, {
      title: `Redrive ${state.consumer}`,
      verb: "Redrive",
      text: `Move all ${state.dlq ? state.dlq.depth : ""} message(s) of ${state.dlq ? state.dlq.dlq : "the DLQ"} back to ${state.dlq ? state.dlq.source_queue : "its queue"}?`,
    })
  );
  $("redrive-selected").addEventListener("click", () =>
    runAction("redrive", { message_ids: [...state.selected] }, {
      title: `Redrive ${state.selected.size} message(s)`,
      verb: "Redrive",
      text: `Move the ${state.selected.size} selected message(s) back to ${state.dlq ? state.dlq.source_queue : "the queue"}?`,
    })
  );
  $("purge").addEventListener("click", () =>
    runAction("purge", {}, {
      title: `Purge ${state.consumer}`,
      verb: "Purge",
      text: `Delete every message in ${state.dlq ? state.dlq.dlq : "the DLQ"}? This cannot be undone.`,
      typeToConfirm: state.consumer,
    })
  );
  $("select-all").addEventListener("change", (event) => {
    for (const box of document.querySelectorAll("#dlq-rows input.select")) {
      box.checked = event.target.checked;
      if (box.checked) state.selected.add(box.value);
      else state.selected.delete(box.value);
    }
    updateSelection();
  });
  for (const id of ["redrive-all", "purge"]) {
    $(id).disabled = !state.config.actions_enabled;
    if (!state.config.actions_enabled) $(id).title = "Read-only: no FANOUT_DASHBOARD_TOKEN configured";
  }
}

// -- trace --------------------------------------------------------------------------------

function consumerTrace(row) {
  let handled;
  if (row.handled_at) handled = el("span", { class: "badge resolved" }, `Handled ${when(row.handled_at)}`);
  else if (!row.handled_known) handled = el("span", { class: "badge muted" }, "Handled: no store configured");
  else if (row.routed === false) handled = el("span", { class: "badge muted" }, "Not routed");
  else handled = el("span", { class: "badge pending" }, "Not handled (yet)");
  const routed = row.routed === null ? "routing unknown" : row.routed ? "routed here" : "filtered out";
  return el(
    "li",
    { class: "trace-row", "data-consumer": row.consumer, "data-handled": row.handled_at ? "yes" : "no" },
    el("span", { class: "trace-consumer" }, row.consumer),
    el("span", { class: "small muted" }, routed),
    handled,
    ...row.dead_letters.map((letter) =>
      el(
        "a",
        { class: "badge firing", href: `#dlq/${encodeURIComponent(row.consumer)}` },
        `In DLQ: ${letter.reason}`
      )
    )
  );
}

function eventTrace(event) {
  const handledBy = event.consumers.filter((row) => row.handled_at).length;
  return el(
    "article",
    { class: "card trace", "data-event-id": event.event_id },
    el(
      "header",
      { class: "card-head" },
      el("h2", { class: "mono" }, event.event_id),
      el("span", { class: "badge muted" }, event.event_type || "type unknown")
    ),
    el(
      "p",
      { class: "small" },
      event.subject
        ? ["Order ", el("a", { href: `#trace/${encodeURIComponent(event.subject)}` }, event.subject), ". "]
        : "",
      event.time ? `Occurred ${when(event.time)}. ` : "",
      `Handled by ${handledBy} consumer(s).`
    ),
    el("ul", { class: "trace-list" }, event.consumers.map(consumerTrace))
  );
}

async function runTrace(key) {
  const result = $("trace-result");
  $("trace-key").value = key;
  result.replaceChildren(el("p", { class: "muted" }, `Tracing ${key}…`));
  try {
    const trace = await api(`/api/trace/${encodeURIComponent(key)}`);
    const nodes = trace.events.length
      ? trace.events.map(eventTrace)
      : [el("p", { class: "empty" }, `Nothing found for ${key} in the DLQs, the event log or the processed-events stores.`)];
    result.replaceChildren(...nodes);
    showErrors(trace.errors);
  } catch (error) {
    result.replaceChildren(el("p", { class: "form-error" }, error.message));
  }
}

// -- routing ------------------------------------------------------------------------------

function route() {
  const [view, argument] = (location.hash.slice(1) || "overview").split("/");
  state.view = ["overview", "dlq", "trace"].includes(view) ? view : "overview";
  for (const name of ["overview", "dlq", "trace"]) $(`view-${name}`).hidden = name !== state.view;
  for (const link of document.querySelectorAll(".tabs a")) {
    const current = link.dataset.view === state.view;
    link.classList.toggle("active", current);
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  clearTimeout(state.timer);
  if (state.view === "overview") poll();
  if (state.view === "dlq") {
    const consumer = argument ? decodeURIComponent(argument) : state.consumer;
    if (consumer !== state.consumer) state.selected.clear();
    state.consumer = consumer;
    loadDlq();
  }
  if (state.view === "trace" && argument) runTrace(decodeURIComponent(argument));
}

async function poll() {
  await loadOverview();
  if (state.view === "overview") state.timer = setTimeout(poll, state.config.refresh_s * 1000);
}

async function start() {
  try {
    state.config = await api("/api/config");
  } catch (error) {
    showErrors([`Cannot reach the dashboard API: ${error.message}`]);
    return;
  }
  $("env").textContent = state.config.env;
  $("refresh-s").textContent = state.config.refresh_s;
  document.title = `fanout · ${state.config.env}`;
  readOnlyBanner();
  wireActions();
  $("trace-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("trace-key").value.trim();
    const target = `#trace/${encodeURIComponent(key)}`;
    if (key && location.hash === target) runTrace(key);
    else if (key) location.hash = target;
  });
  window.addEventListener("hashchange", route);
  setInterval(tickAges, 1000);
  route();
}

document.addEventListener("DOMContentLoaded", start);
