/* Xero invoice panel: the little behaviour CSS can't do. Loaded from 'self' only (no inline scripts). */
(function () {
  "use strict";

  // The context token came in the URL; keep it out of history, bookmarks and Referer headers.
  if (window.location.search) {
    window.history.replaceState(null, "", window.location.pathname);
  }

  // --- No dead ends: the panel session lives in the URL's fragment (/panel#s=<token>), which browsers never send
  // to a server (nor in a Referer). Back, Forward and a restored tab re-request /panel, get a small page
  // (panel/resume.html), and that page asks /panel/resume with the session in the X-Panel-Session header. ---
  var FRAGMENT = "#s=";

  function sessionInBody() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-Panel-Session"] || "";
    } catch (error) {
      return "";
    }
  }

  function keepSessionInFragment(token) {
    if (!token || !document.body.hasAttribute("data-session-fragment")) return;
    window.history.replaceState(window.history.state, "", window.location.pathname + FRAGMENT + encodeURIComponent(token));
  }

  if (document.body.hasAttribute("data-panel-resume")) {
    var hash = window.location.hash;
    var kept = hash.indexOf(FRAGMENT) === 0 ? decodeURIComponent(hash.slice(FRAGMENT.length)) : "";
    if (kept) {
      document.body.setAttribute("hx-headers", JSON.stringify({ "X-Panel-Session": kept }));
    } else {
      var waiting = document.getElementById("panel-resume");
      if (waiting) waiting.remove();
      document.getElementById("panel-resume-missing").hidden = false;
    }
  } else {
    keepSessionInFragment(sessionInBody());
  }

  // --- Payments popover: opens on hover and focus (CSS), closes on Escape, toggles on click/tap. ---
  function paymentsOf(node) {
    return node && node.closest ? node.closest("[data-payments]") : null;
  }

  function setOpen(payments, open) {
    var toggle = payments.querySelector(".payments__toggle");
    if (open) {
      payments.removeAttribute("data-dismissed");
    } else {
      payments.setAttribute("data-dismissed", "");
      payments.removeAttribute("data-open");
    }
    if (toggle) toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }

  document.addEventListener("focusin", function (event) {
    var payments = paymentsOf(event.target);
    if (payments) setOpen(payments, true);
  });
  document.addEventListener("focusout", function (event) {
    var payments = paymentsOf(event.target);
    if (payments && !payments.contains(event.relatedTarget)) {
      payments.removeAttribute("data-open");
      payments.querySelector(".payments__toggle").setAttribute("aria-expanded", "false");
    }
  });
  document.addEventListener("mouseover", function (event) {
    var payments = paymentsOf(event.target);
    if (payments && !payments.hasAttribute("data-hovered")) {
      payments.setAttribute("data-hovered", "");
      setOpen(payments, true);
    }
  });
  document.addEventListener("mouseout", function (event) {
    var payments = paymentsOf(event.target);
    if (payments && !payments.contains(event.relatedTarget)) {
      payments.removeAttribute("data-hovered");
      if (!payments.contains(document.activeElement)) {
        payments.querySelector(".payments__toggle").setAttribute("aria-expanded", "false");
      }
    }
  });
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest(".payments__toggle");
    if (!toggle) return;
    var payments = paymentsOf(toggle);
    var open = toggle.getAttribute("aria-expanded") !== "true" || payments.hasAttribute("data-dismissed");
    setOpen(payments, open);
    if (open) payments.setAttribute("data-open", "");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      document.querySelectorAll("[data-payments]").forEach(function (payments) {
        var toggle = payments.querySelector(".payments__toggle");
        if (toggle.getAttribute("aria-expanded") === "true" || payments.matches(":hover, :focus-within")) {
          setOpen(payments, false);
        }
      });
    }
  });

  // --- Unlink's in-page question: Escape answers Cancel (the server puts the Unlink button back, focused). ---
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var question = event.target.closest && event.target.closest("[data-unlink-confirm]");
    var cancel = question && question.querySelector("[data-unlink-cancel]");
    if (!cancel) return;
    event.preventDefault();
    cancel.click();
  });

  // --- Tabs: arrow keys, Home and End move between the saved views (WAI-ARIA tabs pattern). ---
  document.addEventListener("keydown", function (event) {
    var tab = event.target.closest && event.target.closest('[role="tab"]');
    if (!tab) return;
    var tabs = Array.prototype.slice.call(tab.parentNode.querySelectorAll('[role="tab"]'));
    var index = tabs.indexOf(tab);
    var next = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    var target = tabs[(next + tabs.length) % tabs.length];
    target.focus();
    target.click();
  });

  // --- Folded filters: one toggle shows or hides search and dates (it says "on" while a filter is active). ---
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest("[data-fold-toggle]");
    if (!toggle) return;
    var panel = document.getElementById(toggle.getAttribute("aria-controls"));
    if (!panel) return;
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    panel.hidden = !open;
    if (open) {
      var first = panel.querySelector("input:not([type=hidden])");
      if (first) first.focus();
    }
  });

  // Clear and Show all empty the search and date fields too (their request already sends them empty).
  document.addEventListener("click", function (event) {
    if (!(event.target.closest && event.target.closest("[data-clear-filters]"))) return;
    ["filter-q", "filter-start", "filter-end"].forEach(function (id) {
      var field = document.getElementById(id);
      if (field) field.value = "";
    });
  });

  // --- Summary: with several currencies, one is shown at a time (never added together). ---
  document.addEventListener("change", function (event) {
    var picker = event.target.closest && event.target.closest("[data-summary-currency]");
    if (!picker) return;
    document.querySelectorAll(".owed[data-currency]").forEach(function (block) {
      block.hidden = block.getAttribute("data-currency") !== picker.value;
    });
  });

  // --- Quick actions: the payment link goes to the clipboard; where the CRM's frame may not use it (a cross-origin
  // sandboxed iframe often may not), the link is left selected in its read-only field for the rep to copy. ---
  // Words this script says by itself, translated by the server (base.html's data-words); English when missing.
  function word(key, english) {
    try {
      var words = JSON.parse(document.body.getAttribute("data-words") || "{}");
      return words[key] || english;
    } catch (error) { return english; }
  }

  function copyLink(field) {
    var result = field.closest(".actions__result") || field.parentNode;
    var status = result.querySelector("[data-copy-status]");
    function say(words) { if (status) status.textContent = words; }
    function fallback() {
      field.focus();
      field.select();
      say(word("copy_refused", "Copying isn't allowed in this frame: the link is selected, press Ctrl+C (\u2318C on a Mac) to copy it."));
      result.setAttribute("data-copy", "selected");
    }
    // Ask the frame's permissions policy first: calling a blocked Clipboard API only logs an error.
    var policy = document.permissionsPolicy || document.featurePolicy;
    var allowed = !policy || !policy.allowsFeature || policy.allowsFeature("clipboard-write");
    if (!allowed || !navigator.clipboard || !navigator.clipboard.writeText) { fallback(); return; }
    navigator.clipboard.writeText(field.value).then(function () {
      say(word("copied", "Payment link copied."));
      result.setAttribute("data-copy", "copied");
    }, fallback);
  }
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.target;
    var field = target && target.querySelector ? target.querySelector("[data-copy-link]") : null;
    if (field) copyLink(field);
  });
  // A second click on "Copy payment link" copies again without asking the server (the link is already here).
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy-button]");
    if (!button) return;
    var shown = button.parentNode.querySelector("[data-copy-link]");
    if (shown) {
      event.preventDefault();
      event.stopImmediatePropagation();
      copyLink(shown);
    }
  }, true);

  // The actions menu closes on Escape (focus back on its toggle) and when another one opens.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var menu = event.target.closest && event.target.closest("details.actions[open]");
    if (!menu) return;
    menu.open = false;
    menu.querySelector("summary").focus();
  });
  document.addEventListener("toggle", function (event) {
    var menu = event.target;
    if (!menu.matches || !menu.matches("details.actions") || !menu.open) return;
    document.querySelectorAll("details.actions[open]").forEach(function (other) {
      if (other !== menu) other.open = false;
    });
  }, true);

  // --- When a request fails outside the panel's own states (expired session, network), say so. ---
  function notify(message) {
    var notice = document.getElementById("client-notice");
    if (!notice) return;
    notice.textContent = message;
    notice.hidden = false;
  }
  // --- Session renewal: near its expiry, a response carries a fresh session token; later requests send it. ---
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    var renewed = xhr && xhr.getResponseHeader("X-Panel-Session-Renewed");
    if (renewed) {
      document.body.setAttribute("hx-headers", JSON.stringify({ "X-Panel-Session": renewed }));
      keepSessionInFragment(renewed);
    }
  });

  // A session that has ended can't be renewed: stop every poll (the change poll, the session ping) rather than
  // ask the server again every few seconds for the rest of the day. htmx stops polling removed elements.
  function stopPolling() {
    document.querySelectorAll('[hx-trigger*="every "]').forEach(function (poller) { poller.remove(); });
  }

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    var resuming = document.getElementById("panel-resume");
    if (resuming) resuming.hidden = true;
    if (status === 401 || status === 403) {
      stopPolling();
      notify(word("session_ended", "This panel has been open too long and must be reopened. Reload the page to carry on."));
    } else {
      notify(word("went_wrong", "Something went wrong showing invoices. Try again, or reload the page."));
    }
  });
  document.addEventListener("htmx:sendError", function () {
    notify(word("unreachable", "Can't reach the invoice panel. Check your connection and try again."));
  });
  document.addEventListener("htmx:afterSwap", function () {
    var notice = document.getElementById("client-notice");
    if (notice) notice.hidden = true;
  });

  // --- Rate limits: "Try again in …" counts down from what Xero said (the server gives every panel of the
  // organisation the same instant), then the panel asks again by itself (data-retry-when-allowed). ---
  function plainDuration(seconds) {
    function say(key, english, count) { return word(key, english).replace("%(num)d", String(count)); }
    if (seconds < 120) return seconds === 1 ? say("second", "%(num)d second", 1) : say("seconds", "%(num)d seconds", seconds);
    if (seconds < 2 * 3600) return say("minutes", "%(num)d minutes", Math.ceil(seconds / 60));
    return say("hours", "about %(num)d hours", Math.round(seconds / 3600));
  }

  function startCountdowns() {
    document.querySelectorAll("[data-countdown]:not([data-counting])").forEach(function (node) {
      node.setAttribute("data-counting", "");
      var ends = Date.now() + parseInt(node.getAttribute("data-countdown"), 10) * 1000;
      var timer = window.setInterval(function () {
        if (!document.body.contains(node)) { window.clearInterval(timer); return; }
        var left = Math.ceil((ends - Date.now()) / 1000);
        if (left > 0) {
          // data-countdown-text: the sentence in the rep's language with %(wait)s where the wait goes.
          var sentence = node.getAttribute("data-countdown-text");
          node.textContent = sentence ? sentence.replace("%(wait)s", plainDuration(left))
            : node.textContent.replace(/Try again in [^.]*\./, "Try again in " + plainDuration(left) + ".");
          return;
        }
        window.clearInterval(timer);
        node.textContent = node.getAttribute("data-countdown-text") ? word("trying_again", "Trying again…")
          : node.textContent.replace(/Try again in [^.]*\./, "Trying again…");
        if (window.htmx) window.htmx.trigger(document.body, "xero-allowance-back");
      }, 1000);
    });
  }
  document.addEventListener("DOMContentLoaded", startCountdowns);
  document.addEventListener("htmx:afterSettle", startCountdowns);

  // --- Fit the CRM's frame to the panel, so the page has one scroll bar, not two. ---
  // Only a height is sent, and only to the parent's exact origin when it is one of CRM_ORIGINS (which the
  // CSP frame-ancestors already enforces); a CRM that doesn't listen simply keeps its own frame height.
  function parentOrigin() {
    if (window.location.ancestorOrigins && window.location.ancestorOrigins.length) {
      return window.location.ancestorOrigins[0];
    }
    try { return document.referrer ? new URL(document.referrer).origin : ""; } catch (error) { return ""; }
  }
  var crmOrigin = parentOrigin();
  var allowed = (document.body.getAttribute("data-crm-origins") || "").split(/\s+/);
  if (window.parent !== window && crmOrigin && allowed.indexOf(crmOrigin) >= 0 && window.ResizeObserver) {
    var lastHeight = 0;
    var fitFrame = function () {
      // An open payments popover hangs below its row and may reach past the last one: make room for it.
      var bottom = document.body.getBoundingClientRect().bottom;
      document.querySelectorAll(".payments__popover, .actions[open] .actions__menu").forEach(function (popover) {
        if (popover.offsetParent !== null) bottom = Math.max(bottom, popover.getBoundingClientRect().bottom + 8);
      });
      var height = Math.ceil(bottom + window.scrollY);
      if (height === lastHeight) return;
      lastHeight = height;
      window.parent.postMessage({ type: "xero-panel:resize", height: height }, crmOrigin);
    };
    new ResizeObserver(fitFrame).observe(document.body);
    ["mouseover", "focusin", "focusout", "keyup", "click"].forEach(function (name) {
      document.addEventListener(name, function () { window.requestAnimationFrame(fitFrame); });
    });
  }
})();
