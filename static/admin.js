/* The Xero settings page and the Xero sign-in window. A file of its own, not inline: the CSP allows
   scripts from this origin only. Nothing sensitive crosses windows: the message carries only its type,
   goes to our own origin only, and is accepted from our own origin only. */
(function () {
  "use strict";

  // Words this script says by itself, translated by the server (base.html's data-words); English when missing.
  function word(key, english) {
    try {
      var words = JSON.parse(document.body.getAttribute("data-words") || "{}");
      return words[key] || english;
    } catch (error) { return english; }
  }

  var WINDOW_NAME = "xero-sign-in";
  var FINISHED = "xero-panel:sign-in-finished";
  var signInWindow = null;

  // --- on the settings page (inside the CRM's iframe) ---

  // Open the window during the click itself, so that pop-up blockers allow it. Its address follows
  // when the server has answered with a one-time sign-in link (see the htmx:afterSwap handler).
  document.addEventListener("click", function (event) {
    var opener = event.target.closest && event.target.closest("[data-opens-sign-in]");
    if (!opener) { return; }
    signInWindow = window.open("", WINDOW_NAME, "popup,width=620,height=760");
  });

  document.addEventListener("htmx:afterSwap", function () {
    var link = document.querySelector("[data-sign-in-url]");
    if (!link || !signInWindow || signInWindow.closed) { return; }
    signInWindow.location.replace(link.href);
    signInWindow = null;  // the link is single-use
    link.closest("p").hidden = true;
  });

  // The sign-in window says it is done: refresh the connection section now rather than at the next poll.
  window.addEventListener("message", function (event) {
    if (event.origin !== window.location.origin) { return; }
    if (!event.data || event.data.type !== FINISHED) { return; }
    if (window.htmx) { window.htmx.trigger(document.body, "xero-sign-in-finished"); }
  });

  // htmx leaves 4xx/5xx answers unswapped; say in plain words what happened instead of doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var notice = document.getElementById("admin-notice");
    if (!notice) { return; }
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    var sessionEnded = status === 401 || status === 403;
    notice.textContent = sessionEnded
      ? word("admin_session_ended", "Your session on this page has ended. Reopen the Xero settings from the CRM.")
      : word("admin_went_wrong", "Something went wrong. Try again in a moment.");
    notice.hidden = false;
    // A poll that can no longer succeed stops: htmx polls only while its element is in the page.
    var polling = document.querySelector('#xero-connection[data-state="signing_in"]');
    if (sessionEnded && polling) { polling.removeAttribute("hx-trigger"); polling.replaceWith(polling.cloneNode(true)); }
  });

  // Escape in Remove's question answers Cancel (the server puts the Remove button back, focused).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var question = event.target.closest && event.target.closest("[data-remove-confirm]");
    var cancel = question && question.querySelector("[data-remove-cancel]");
    if (!cancel) { return; }
    event.preventDefault();
    cancel.click();
  });

  // --- in the sign-in window ---

  function finishSignInWindow() {
    var body = document.body;
    if (!body || !body.hasAttribute("data-sign-in-finished")) { return; }
    var targetOrigin = body.getAttribute("data-target-origin");
    if (window.opener && targetOrigin) {
      try {
        window.opener.postMessage({ type: FINISHED }, targetOrigin);
      } catch (ignored) {
        // The settings page went away or changed origin; it still updates by polling.
      }
    }
  }

  // Close (after a sign-in) and Cancel (on the page that asks before going to Xero) only close the window.
  // A window the browser will not let a script close (opened from a link) says that nothing was connected.
  function offerToCloseWindow() {
    var close = document.querySelector("[data-close-window]");
    if (!close) { return; }
    close.addEventListener("click", function () {
      window.close();
      var cancelled = document.querySelector("[data-cancelled]");
      if (cancelled) { cancelled.hidden = false; }
    });
  }

  function startSignInWindow() {
    finishSignInWindow();
    offerToCloseWindow();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", startSignInWindow);
  } else {
    startSignInWindow();
  }
}());
