/* Inside Pipedrive: initialise the frame through Pipedrive's SDK at once (Pipedrive hides a frame that has not
 * within 10 s), size it through the SDK, follow the user's theme, and renew the panel session with a fresh signed
 * token from GET_SIGNED_TOKEN (the Pipedrive request that opened the panel can't be had again).
 * Loaded from 'self' only, after the vendored SDK (static/pipedrive-app-extensions-sdk.umd.js).
 */
(function () {
  "use strict";
  var body = document.body;
  var frameId = body.getAttribute("data-pipedrive-frame");
  var RENEW_EVERY_MS = 4 * 60 * 1000;  // a Pipedrive token lasts 5 minutes, our session 15
  var MIN_HEIGHT = 100, MAX_HEIGHT = 750;  // Pipedrive's custom panel heights
  var state = { ready: false, renewals: 0, lastHeight: 0, error: "" };
  window.xeroPanelPipedrive = state;

  function setTheme(theme) {
    document.documentElement.setAttribute("data-theme", theme === "dark" ? "dark" : "light");
  }
  setTheme(body.getAttribute("data-pipedrive-theme"));

  if (!frameId || typeof window.AppExtensionsSDK !== "function" || window.parent === window) return;

  function contentHeight() {
    var bottom = document.body.getBoundingClientRect().bottom;
    document.querySelectorAll(".payments__popover").forEach(function (popover) {
      if (popover.offsetParent !== null) bottom = Math.max(bottom, popover.getBoundingClientRect().bottom + 8);
    });
    return Math.max(MIN_HEIGHT, Math.min(MAX_HEIGHT, Math.ceil(bottom + window.scrollY)));
  }

  var sdk;
  try {
    sdk = new window.AppExtensionsSDK({ identifier: frameId });
  } catch (error) {
    state.error = String(error);
    return;
  }

  function currentSession() {
    try {
      return JSON.parse(body.getAttribute("hx-headers") || "{}")["X-Panel-Session"] || "";
    } catch (error) { return ""; }
  }

  function renew() {
    var renewUrl = body.getAttribute("data-pipedrive-renew");
    if (!renewUrl || !currentSession()) return Promise.resolve(false);
    return sdk.execute("get_signed_token").then(function (answer) {
      return fetch(renewUrl, {
        method: "POST",
        credentials: "omit",
        headers: { "X-Panel-Session": currentSession(), "Content-Type": "application/x-www-form-urlencoded" },
        body: "token=" + encodeURIComponent(answer.token)
      });
    }).then(function (response) {
      if (!response.ok) throw new Error("renewal refused: " + response.status);
      return response.json();
    }).then(function (answer) {
      body.setAttribute("hx-headers", JSON.stringify({ "X-Panel-Session": answer.session }));
      state.renewals += 1;
      return true;
    }).catch(function (error) {
      state.error = String(error);
      return false;
    });
  }
  state.renew = renew;

  function fit() {
    var height = contentHeight();
    if (Math.abs(height - state.lastHeight) < 2) return;
    state.lastHeight = height;
    sdk.execute("resize", { height: height }).catch(function (error) { state.error = String(error); });
  }

  var initialHeight = contentHeight();
  sdk.initialize({ size: { height: initialHeight } }).then(function () {
    state.ready = true;
    state.lastHeight = initialHeight;
    if (window.ResizeObserver) new ResizeObserver(fit).observe(document.body);
    document.addEventListener("htmx:afterSettle", fit);
    sdk.listen("user_settings_change", function (event) {
      if (event && event.data && event.data.theme) setTheme(event.data.theme);
    });
    if (body.hasAttribute("hx-headers")) setInterval(renew, RENEW_EVERY_MS);
  }).catch(function (error) { state.error = String(error); });
})();
