/* Pipedrive's side of the app-extensions SDK's message protocol, for the dev kit's pages.
 *
 * The SDK in the app's iframe posts {payload: {type, command|event, args}, id: <frame id>} to window.parent with a
 * MessageChannel port; Pipedrive answers on that port with {data} or {error}. Commands before `initialize` are
 * refused; a frame that has not sent `initialize` within 10 s is hidden. Every message heard is kept in
 * window.pipedriveHost.messages (for tests and for a look in the console).
 */
(function () {
  "use strict";
  var holder = document.querySelector("[data-app-frame]");
  if (!holder) return;
  var frame = holder.querySelector("iframe");
  var failed = holder.querySelector("[data-frame-failed]");
  var frameId = new URL(frame.src).searchParams.get("id");
  var appOrigin = holder.getAttribute("data-panel-origin");
  var minHeight = Number(holder.getAttribute("data-min-height")) || 100;
  var maxHeight = Number(holder.getAttribute("data-max-height")) || 750;
  var host = { initialized: false, hidden: false, messages: [], listeners: {}, heights: [], tokens: 0 };
  window.pipedriveHost = host;

  var timer = setTimeout(function () {
    if (host.initialized) return;
    host.hidden = true;
    frame.hidden = true;
    failed.hidden = false;
    holder.setAttribute("data-state", "hidden");
  }, Number(holder.getAttribute("data-timeout-ms")) || 10000);

  function setHeight(size) {
    if (!size || typeof size.height !== "number") return;
    var height = Math.max(minHeight, Math.min(maxHeight, Math.round(size.height)));
    frame.style.height = height + "px";
    host.heights.push(height);
  }

  function answer(port, reply) {
    if (port) port.postMessage(reply);
  }

  function signedToken(port) {
    fetch(holder.getAttribute("data-token-url"), { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (body) { host.tokens += 1; answer(port, { data: { token: body.token } }); })
      .catch(function () { answer(port, { error: "Could not get a signed token" }); });
  }

  window.addEventListener("message", function (event) {
    if (event.source !== frame.contentWindow || event.origin !== appOrigin) return;
    var message = event.data;
    if (!message || message.id !== frameId || !message.payload) return;
    var payload = message.payload;
    var port = event.ports && event.ports[0];
    host.messages.push({ type: payload.type, command: payload.command, event: payload.event, args: payload.args });
    if (payload.type === "listener") {
      (host.listeners[payload.event] = host.listeners[payload.event] || []).push(port);
      return;
    }
    if (payload.type !== "command") return;
    if (!host.initialized && payload.command !== "initialize") {
      answer(port, { error: "SDK is not initialized" });
      return;
    }
    switch (payload.command) {
      case "initialize":
        if (host.hidden) { answer(port, { error: "Initialization timed out" }); return; }
        host.initialized = true;
        clearTimeout(timer);
        holder.setAttribute("data-state", "initialized");
        setHeight(payload.args && payload.args.size);
        answer(port, {});
        break;
      case "resize":
        setHeight(payload.args);
        answer(port, {});
        break;
      case "get_signed_token":
        signedToken(port);
        break;
      case "get_metadata":
        answer(port, { data: { windowHeight: window.innerHeight, windowWidth: window.innerWidth } });
        break;
      default:
        answer(port, {});
    }
  });

  // The theme picker tells a listening frame at once, as Pipedrive's user_settings_change does.
  var picker = document.querySelector("[data-testid=theme-picker]");
  if (picker) {
    picker.addEventListener("change", function () {
      document.documentElement.setAttribute("data-theme", picker.value);
      (host.listeners.user_settings_change || []).forEach(function (port) {
        answer(port, { data: { theme: picker.value } });
      });
    });
  }
})();
