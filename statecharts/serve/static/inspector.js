// The statecharts inspector: the diagram with active states, events, context, history (time
// travel) and a check tab. No dependencies; talks to the JSON API and the SSE stream.
"use strict";
const token = new URLSearchParams(location.search).get("token");
const state = { machine: null, actor: null, view: null, lines: [], source: null, past: null, trace: null, at: 0 };

function withToken(url) {
  return token ? url + (url.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token) : url;
}
async function api(method, url, body, headers) {
  const init = { method, headers: Object.assign({ "Content-Type": "application/json" }, headers || {}) };
  if (token) init.headers.Authorization = "Bearer " + token;
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(url, init);
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}
const $ = (id) => document.getElementById(id);
function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function highlight(configuration) {
  const active = new Set(configuration);
  for (const g of document.querySelectorAll("#diagram g.node, #diagram g.cluster")) {
    const title = g.querySelector("title");
    const name = title ? title.textContent.replace(/^cluster_/, "") : "";
    g.classList.toggle("active", active.has(name));
  }
  $("diagram").dataset.active = configuration.join(" ");
}

function showSnapshot(configuration, context) {
  highlight(configuration);
  $("context").textContent = JSON.stringify(context, null, 2);
}

function renderEvents(view) {
  const box = $("events");
  box.replaceChildren();
  for (const name of view.enabled) {
    const form = el("form", { "data-event": name });
    const shape = (state.machine.shapes || {})[name] || {};
    for (const [key, types] of Object.entries(shape)) {
      const numeric = types.includes("int") || types.includes("float");
      form.append(el("input", { name: key, placeholder: key, type: numeric ? "number" : "text", value: numeric ? "1" : "" }));
    }
    const button = el("button", { type: "submit", "data-event": name }, name);
    form.prepend(button);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const body = { type: name };
      for (const [key, types] of Object.entries(shape)) {
        const raw = form.elements[key].value;
        body[key] = types.includes("int") ? parseInt(raw, 10) : types.includes("float") ? parseFloat(raw) : raw;
      }
      try { await api("POST", `/actors/${encodeURIComponent(state.actor)}/events`, body); $("send-error").textContent = ""; }
      catch (err) { $("send-error").textContent = err.message; }
    });
    box.append(form);
  }
}

function renderHistory() {
  const list = $("history");
  list.replaceChildren();
  state.lines.forEach((line, i) => {
    const data = line.event.data && Object.keys(line.event.data).length ? " " + JSON.stringify(line.event.data) : "";
    const item = el("li", { "data-seq": line.seq }, line.event.type + data);
    if (state.past === i) item.classList.add("selected");
    item.addEventListener("click", () => travel(i));
    list.append(item);
  });
}

function travel(i) {
  const line = state.lines[i];
  state.past = i;
  document.body.classList.add("past");
  showSnapshot(line.snapshot.configuration, line.snapshot.context);
  $("viewing").textContent = `viewing step ${line.seq} (${line.event.type})`;
  $("live").hidden = false;
  renderHistory();
}

function live() {
  state.past = null;
  document.body.classList.remove("past");
  $("viewing").textContent = "";
  $("live").hidden = true;
  if (state.view) showSnapshot(state.view.configuration, state.view.context);
  renderHistory();
}

async function refresh() {
  const id = encodeURIComponent(state.actor);
  state.view = await api("GET", `/actors/${id}`);
  state.lines = (await api("GET", `/actors/${id}/events`)).lines;
  renderEvents(state.view);
  if (state.past === null) showSnapshot(state.view.configuration, state.view.context);
  renderHistory();
  $("connection").textContent = `actor ${state.view.id}: step ${state.view.seq}` + (state.view.halted ? " (halted)" : "");
}

async function refreshViolations() {
  const list = $("violations");
  list.replaceChildren();
  for (const v of (await api("GET", "/violations")).violations.filter((v) => v.actor === state.actor)) {
    list.append(el("li", { class: "fails" }, `${v.invariant} broken at step ${v.seq}${v.halted ? " (actor halted)" : ""}: `
      + v.events.map((e) => e.type).join(" → ")));
  }
}

async function open() {
  state.actor = $("actor-id").value.trim();
  if (state.source) state.source.close();
  state.past = null;
  await api("POST", "/actors", { id: state.actor });
  await refresh();
  await refreshViolations();
  state.source = new EventSource(withToken(`/actors/${encodeURIComponent(state.actor)}/stream`));
  state.source.addEventListener("hello", () => { $("connection").dataset.live = "yes"; });
  state.source.addEventListener("snapshot", () => refresh());
  state.source.addEventListener("violation", () => refreshViolations());
}

function showStep(i) {
  const steps = state.trace.steps;
  state.at = Math.max(0, Math.min(i, steps.length - 1));
  const step = steps[state.at];
  showSnapshot(step.configuration, step.context);
  document.body.classList.add("past");
  $("trace-at").textContent = `step ${state.at} of ${steps.length - 1}`;
  $("viewing").textContent = `counterexample "${state.trace.name}", step ${state.at}`;
  $("live").hidden = false;
  for (const item of $("trace-steps").children) item.classList.toggle("selected", Number(item.dataset.step) === state.at);
}

async function runCheck() {
  $("check-summary").textContent = "checking…";
  const report = await api("POST", "/check", { max_states: parseInt($("check-bound").value, 10) });
  $("check-summary").textContent = `${report.distinct_states} states` + (report.complete ? ", complete" : ", bounded");
  const list = $("check-results");
  list.replaceChildren();
  for (const result of report.results) {
    const violated = result.verdict === "violated";
    const item = el("li", { "data-result": result.name, class: violated ? "fails" : "holds" },
      result.verdict === "not proved" ? `– ${result.name} (${result.kind}): no violation within the bound`
        : `${violated ? "✗" : "✓"} ${result.name} (${result.kind})`);
    if (violated && result.steps.length) {
      item.addEventListener("click", () => {
        state.trace = result;
        const steps = $("trace-steps");
        steps.replaceChildren();
        result.steps.forEach((s, i) => {
          const label = (s.event ? s.event.type + (s.event.data && Object.keys(s.event.data).length ? " " + JSON.stringify(s.event.data) : "") : "(initial)") + " → " + JSON.stringify(s.value) + " " + JSON.stringify(s.context);
          const li = el("li", { "data-step": i }, label);
          li.addEventListener("click", () => showStep(i));
          steps.append(li);
        });
        $("trace").hidden = false;
        showStep(0);
      });
    }
    list.append(item);
  }
}

function tab(name) {
  for (const t of ["actor", "check"]) {
    $("tab-" + t).classList.toggle("on", t === name);
    $("pane-" + t).hidden = t !== name;
  }
}

async function main() {
  state.machine = await api("GET", "/machine");
  $("machine-id").textContent = state.machine.id;
  $("diagram").innerHTML = state.machine.svg;
  $("open").addEventListener("click", open);
  $("live").addEventListener("click", live);
  $("tab-actor").addEventListener("click", () => tab("actor"));
  $("tab-check").addEventListener("click", () => tab("check"));
  $("check-run").addEventListener("click", runCheck);
  $("trace-prev").addEventListener("click", () => showStep(state.at - 1));
  $("trace-next").addEventListener("click", () => showStep(state.at + 1));
  const wanted = new URLSearchParams(location.search).get("actor");
  if (wanted) $("actor-id").value = wanted;
  await open();
}
main();
