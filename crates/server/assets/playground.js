// The playground: chat as a customer on one side, see why the agent answered on the other.
// Plain browser JavaScript against the public API; no build step.
"use strict";

const $ = (selector) => document.querySelector(selector);
const state = { agent: null, conversation: null, agents: [] };

function adminKey() {
  return $("#admin-key").value.trim();
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "class") node.className = value; else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

function pretty(value) {
  return value === undefined || value === null ? "—" : JSON.stringify(value, null, 2);
}

function say(role, text) {
  const node = element("div", { class: `msg ${role}` }, text);
  $("#chat").append(node);
  $("#chat").scrollTop = $("#chat").scrollHeight;
  return node;
}

// The inspector is the operator's view: with the admin key (from the page's #admin=…), the
// API answers with tool calls, requests and lookups; without it, as it answers a customer.
function operatorHeaders() {
  return adminKey() ? { "x-admin-key": adminKey() } : {};
}

async function api(path, options = {}) {
  const headers = Object.assign({ "content-type": "application/json" }, operatorHeaders(), options.headers || {});
  const response = await fetch(path, Object.assign({}, options, { headers }));
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new Error(body && body.message ? `${body.code}: ${body.message}` : `HTTP ${response.status}`);
  return body;
}

async function loadAgents() {
  const list = await api("/v1/agents", { method: "GET" });
  state.agents = list.agents;
  const select = $("#agent");
  select.innerHTML = "";
  for (const agent of list.agents) select.append(element("option", { value: agent.name }, agent.name));
  select.value = list.default;
  state.agent = list.default;
  renderTools();
}

async function start(identity) {
  const created = await api(`/v1/agents/${encodeURIComponent(state.agent)}/conversations`, { method: "POST", body: JSON.stringify(identity) });
  state.conversation = created.id;
  $("#chat").innerHTML = "";
  $("#inspector").innerHTML = "";
  $("#who").textContent = `Conversation ${created.id.slice(0, 8)} · ${created.identity.level} (${created.identity_note})`;
  say("system", `New conversation as ${created.identity.level === "verified" ? created.identity.email : "an anonymous customer"}.`);
  await refresh();
  $("#message").focus();
}

async function startVerified() {
  const email = $("#verified-email").value.trim();
  // The demo server signs widget identities for its demo customers; a real site computes
  // user_hash on its own backend.
  const signed = await api("/demo/identity", { method: "POST", body: JSON.stringify({ email }) });
  await start({ email: signed.email, user_hash: signed.user_hash });
}

// Reads a text/event-stream response body, calling onEvent(name, data) per event.
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
      }
      if (data.length) onEvent(name, JSON.parse(data.join("\n")));
    }
  }
}

async function send(text) {
  if (!state.conversation) await start({});
  say("user", text);
  const bubble = say("agent", "…");
  let streamed = "";
  const response = await fetch(`/v1/conversations/${state.conversation}/messages`, {
    method: "POST",
    headers: Object.assign({ "content-type": "application/json", accept: "text/event-stream" }, operatorHeaders()),
    body: JSON.stringify({ text }),
  });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    bubble.textContent = `Error: ${body.message || response.status}`;
    bubble.classList.add("error");
    return;
  }
  await readEvents(response, (name, data) => {
    if (name === "delta") {
      streamed += data.text;
      bubble.textContent = streamed;
    } else if (name === "done") {
      bubble.textContent = data.reply;
    } else if (name === "error") {
      bubble.textContent = `Error: ${data.message}`;
    }
  });
  await refresh();
}

function renderEvent(event) {
  switch (event.type) {
    case "tool_call_finished": {
      const request = event.request || {};
      const head = element("summary", {},
        element("b", {}, event.tool), " ",
        element("span", { class: event.status }, event.status),
        request.status ? ` · HTTP ${request.status}` : "",
        request.latency_ms !== undefined ? ` · ${request.latency_ms} ms` : "",
        request.attempts > 1 ? ` · ${request.attempts} attempts` : "");
      const details = element("details", { class: "tool-call" }, head);
      if (event.error) details.append(element("div", { class: "error" }, event.error));
      if (event.ignored_inputs && event.ignored_inputs.length) details.append(element("div", { class: "muted" }, `ignored model inputs: ${event.ignored_inputs.join(", ")}`));
      if (request.url) details.append(element("pre", {}, `${request.method} ${request.url}\n${pretty(request.headers)}${request.body ? "\n" + pretty(request.body) : ""}`));
      if (request.response_preview) details.append(element("pre", {}, request.response_preview));
      return details;
    }
    case "tool_call_started": return null;
    case "user_data": return element("div", { class: "event" }, `User Data API: ${event.outcome}${event.reason ? " — " + event.reason : ""}${event.latency_ms !== undefined ? ` (${event.latency_ms} ms)` : ""}`);
    case "task_step": return element("div", { class: "event task-step" }, `task ${event.task} · step ${event.step} · ${event.kind}`);
    case "task_started": return element("div", { class: "event" }, `task ${event.task} started`);
    case "task_finished": return element("div", { class: "event" }, `task ${event.task} finished: ${event.outcome}`);
    case "task_refused": return element("div", { class: "event refused" }, `task ${event.task} refused: ${event.reason}`);
    case "confirmation_requested": return element("div", { class: "event" }, `asked to confirm: ${event.question}`);
    case "handed_off": return element("div", { class: "event" }, `handed off: ${event.summary}`);
    default: return element("div", { class: "event muted" }, `${event.type}${event.message ? ": " + event.message : ""}`);
  }
}

async function refresh() {
  if (!state.conversation) return;
  const conversation = await api(`/v1/conversations/${state.conversation}`, { method: "GET" });
  $("#identity").textContent = pretty(conversation.identity);
  $("#user-data").textContent = pretty(conversation.user_data);
  $("#task-state").textContent = conversation.task ? pretty(conversation.task) : "No task running.";
  $("#handoff-state").textContent = conversation.handoff ? conversation.handoff : "Not handed off.";
  const inspector = $("#inspector");
  inspector.innerHTML = "";
  for (const turn of conversation.turns || []) {
    const block = element("div", { class: "turn" }, element("div", {}, element("b", {}, "Customer: "), turn.message));
    for (const event of turn.events) {
      const node = renderEvent(event);
      if (node) block.append(node);
    }
    block.append(element("div", {}, element("b", {}, "Agent: "), turn.reply));
    inspector.append(block);
  }
}

function renderTools() {
  const agent = state.agents.find((a) => a.name === state.agent);
  const list = $("#tool-list");
  list.innerHTML = "";
  if (!agent) return;
  for (const tool of agent.tools) {
    const example = {};
    for (const name of Object.keys((tool.input && tool.input.properties) || {})) example[name] = "";
    const inputs = element("textarea", { "aria-label": `inputs for ${tool.name}` }, JSON.stringify(example));
    const email = element("input", { placeholder: "as verified email (optional)", size: "24" });
    const result = element("pre", { class: "tool-result" }, "—");
    const button = element("button", { "data-tool": tool.name }, "Call");
    button.addEventListener("click", async () => {
      result.textContent = "…";
      try {
        const body = { inputs: JSON.parse(inputs.value || "{}") };
        if (email.value.trim()) body.email = email.value.trim();
        const answer = await api(`/v1/admin/agents/${encodeURIComponent(state.agent)}/tools/${tool.name}/call`, { method: "POST", headers: { "x-admin-key": adminKey() }, body: JSON.stringify(body) });
        result.textContent = pretty(answer);
      } catch (error) {
        result.textContent = String(error.message || error);
      }
    });
    list.append(element("div", { class: "tool-form", id: `tool-${tool.name}` },
      element("div", {}, element("b", {}, tool.name), ` · ${tool.access} · ${tool.effect}`),
      element("div", { class: "muted" }, tool.description), inputs, element("div", { class: "row" }, email, button), result));
  }
  const tasks = $("#task-list");
  tasks.innerHTML = "";
  for (const task of agent.tasks) tasks.append(element("div", { class: "event" }, element("b", {}, task.name), ` · ${task.access} — ${task.description}`));
}

async function testUserData() {
  const out = $("#user-data-result");
  out.textContent = "…";
  try {
    const answer = await api(`/v1/admin/agents/${encodeURIComponent(state.agent)}/user-data`, { method: "POST", headers: { "x-admin-key": adminKey() }, body: JSON.stringify({ email: $("#test-email").value.trim() }) });
    out.textContent = pretty(answer);
  } catch (error) {
    out.textContent = String(error.message || error);
  }
}

function showTab(name) {
  for (const button of document.querySelectorAll("nav.tabs button")) button.classList.toggle("active", button.dataset.tab === name);
  for (const panel of document.querySelectorAll(".panel")) panel.classList.toggle("active", panel.id === `panel-${name}`);
}

window.addEventListener("DOMContentLoaded", async () => {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("admin");
  if (fromHash) $("#admin-key").value = fromHash;
  for (const button of document.querySelectorAll("nav.tabs button")) button.addEventListener("click", () => showTab(button.dataset.tab));
  $("#agent").addEventListener("change", (e) => { state.agent = e.target.value; state.conversation = null; renderTools(); });
  $("#start-anonymous").addEventListener("click", () => start({}).catch((e) => say("system", e.message)));
  $("#start-verified").addEventListener("click", () => startVerified().catch((e) => say("system", e.message)));
  $("#test-user-data").addEventListener("click", testUserData);
  $("#composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("#message").value.trim();
    if (!text) return;
    $("#message").value = "";
    send(text).catch((e) => say("system", e.message));
  });
  await loadAgents().catch((e) => say("system", e.message));
});
