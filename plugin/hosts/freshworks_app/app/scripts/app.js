/*
 * Xero invoices for Freshworks CRM: the placeholder page (contact, sales account and deal entity menus).
 * It asks the app's serverless function (server/server.js, through client.request.invoke) for a signed panel URL
 * for the record on screen and the signed-in user, then frames it. Nothing secret is known here.
 */
(function () {
  "use strict";

  var HEIGHT = 700;

  function show(element, visible) {
    element.hidden = !visible;
  }

  function status(message, isError) {
    var element = document.getElementById("status");
    element.textContent = message;
    element.className = isError ? "error" : "";
    show(element, true);
  }

  function start(client) {
    var frame = document.getElementById("panel");
    var settings = document.getElementById("settings");
    var invoices = document.getElementById("invoices");
    var request = null;

    function open(page) {
      show(frame, false);
      status(page === "admin" ? "Opening Xero settings…" : "Opening Xero invoices…", false);
      return client.request.invoke("panelContextUrl", Object.assign({ page: page }, request)).then(function (data) {
        var answer = data && data.response;
        if (!answer || typeof answer.url !== "string" || !/^https?:\/\//.test(answer.url)) {
          throw { message: "The app's server answered without a panel address." };
        }
        frame.src = answer.url;
        show(frame, true);
        show(document.getElementById("status"), false);
        show(settings, answer.role === "admin" && page !== "admin");
        show(invoices, page === "admin");
        show(document.getElementById("window"), true);
      }).catch(function (error) {
        status((error && error.message) || "Xero invoices could not be opened. Reload the page to try again.", true);
      });
    }

    // The same panel in a window of its own (a context is used once, so a fresh one is asked for). The window is
    // opened at the click, before the answer, so that popup blockers let it through.
    function openWindow() {
      var opened = window.open("about:blank", "_blank");
      var page = invoices.hidden ? "panel" : "admin";
      client.request.invoke("panelContextUrl", Object.assign({ page: page }, request)).then(function (data) {
        var answer = data && data.response;
        if (!opened || !answer || typeof answer.url !== "string" || !/^https?:\/\//.test(answer.url)) {
          throw { message: "The panel could not be opened in a new window." };
        }
        opened.opener = null;
        opened.location.replace(answer.url);
      }).catch(function (error) {
        if (opened) {
          opened.close();
        }
        status((error && error.message) || "The panel could not be opened in a new window.", true);
      });
    }

    settings.addEventListener("click", function () { open("admin"); });
    invoices.addEventListener("click", function () { open("panel"); });
    document.getElementById("window").addEventListener("click", openWindow);

    Promise.all([client.data.get("currentEntityInfo"), client.data.get("loggedInUser")]).then(function (values) {
      var entity = values[0].currentEntityInfo || {};
      var user = values[1].loggedInUser || {};
      request = {
        entity_type: String(entity.currentEntityType || ""),
        entity_id: String(entity.currentEntityId || ""),
        user_id: String(user.id || ""),
        abilities: Array.isArray(user.abilities) ? user.abilities : [],
        language: String(user.language || ""),
        time_zone: String(user.time_zone || "")
      };
      if (client.instance && client.instance.resize) {
        client.instance.resize({ height: String(HEIGHT) });
      }
      return open("panel");
    }).catch(function () {
      status("Freshworks did not say which record this is. Reload the page.", true);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    app.initialized().then(start).catch(function () {
      status("Xero invoices could not start inside Freshworks. Reload the page.", true);
    });
  });
})();
