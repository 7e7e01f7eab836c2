// Switchboard chat widget. Embed with:
//   <script src="https://support.example.com/widget.js" data-agent="acme-shop"
//           data-email="alice@example.com" data-user-hash="…"></script>
// or data-token="<JWT signed by your backend>". Without identity the customer is anonymous.
(function () {
  "use strict";
  const script = document.currentScript;
  const base = new URL(script.src).origin;
  const agent = script.dataset.agent;
  const identity = {};
  if (script.dataset.email) identity.email = script.dataset.email;
  if (script.dataset.userHash) identity.user_hash = script.dataset.userHash;
  if (script.dataset.token) identity.token = script.dataset.token;
  let conversation = null;

  const root = document.createElement("div");
  root.id = "switchboard-widget";
  root.innerHTML =
    '<div class="sb-panel" hidden><div class="sb-log" role="log" aria-live="polite"></div>' +
    '<form class="sb-form"><input class="sb-input" autocomplete="off" placeholder="Type a message" aria-label="message"><button type="submit">Send</button></form></div>' +
    '<button class="sb-open" type="button">Chat with us</button>';
  const style = document.createElement("style");
  style.textContent =
    "#switchboard-widget{position:fixed;right:20px;bottom:20px;font:14px system-ui,sans-serif;z-index:2147483000;display:flex;flex-direction:column;align-items:flex-end}" +
    "#switchboard-widget .sb-open{padding:10px 16px;border-radius:20px;border:0;background:#2457c5;color:#fff;cursor:pointer}" +
    "#switchboard-widget .sb-panel{width:320px;height:420px;background:#fff;border:1px solid #d9dde3;border-radius:12px;display:flex;flex-direction:column;margin-bottom:8px;box-shadow:0 6px 24px rgba(0,0,0,.12)}" +
    "#switchboard-widget .sb-panel[hidden]{display:none}" +
    "#switchboard-widget .sb-log{flex:1;overflow:auto;padding:10px;display:flex;flex-direction:column;gap:6px}" +
    "#switchboard-widget .sb-msg{padding:6px 10px;border-radius:10px;max-width:85%;white-space:pre-wrap}" +
    "#switchboard-widget .sb-user{align-self:flex-end;background:#2457c5;color:#fff}" +
    "#switchboard-widget .sb-agent{align-self:flex-start;background:#eef1f6}" +
    "#switchboard-widget .sb-form{display:flex;gap:6px;padding:8px;border-top:1px solid #d9dde3}" +
    "#switchboard-widget .sb-input{flex:1;padding:6px;border:1px solid #d9dde3;border-radius:6px}";
  document.head.appendChild(style);
  document.body.appendChild(root);

  const panel = root.querySelector(".sb-panel");
  const log = root.querySelector(".sb-log");
  const input = root.querySelector(".sb-input");

  function add(role, text) {
    const node = document.createElement("div");
    node.className = "sb-msg sb-" + role;
    node.textContent = text;
    log.appendChild(node);
    log.scrollTop = log.scrollHeight;
    return node;
  }

  async function post(path, body) {
    const response = await fetch(base + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const data = await response.json();
    if (!response.ok) throw new Error(data.message || "HTTP " + response.status);
    return data;
  }

  async function ensureConversation() {
    if (conversation) return conversation;
    const path = agent ? "/v1/agents/" + encodeURIComponent(agent) + "/conversations" : "/v1/conversations";
    conversation = (await post(path, identity)).id;
    return conversation;
  }

  root.querySelector(".sb-open").addEventListener("click", function () {
    panel.hidden = !panel.hidden;
    if (!panel.hidden) input.focus();
  });
  root.querySelector(".sb-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    add("user", text);
    const bubble = add("agent", "…");
    try {
      const id = await ensureConversation();
      bubble.textContent = (await post("/v1/conversations/" + id + "/messages", { text: text })).reply;
    } catch (error) {
      bubble.textContent = "Sorry, something went wrong. Please try again.";
    }
  });
})();
