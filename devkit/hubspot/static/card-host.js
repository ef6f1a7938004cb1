// The small HubSpot's stand-in for the app card's host: it asks the card's data through /_card/fetch (which signs
// like HubSpot's hubspot.fetch proxy), renders the JSON as the React card does (customer, owed and overdue per
// currency, ageing, the most urgent invoices), and opens the launch link in a modal iframe, as
// actions.openIframeModal does. Everything from the app is put into the page as text, never as HTML.
(function () {
  "use strict";
  var card = document.getElementById("card");
  var body = card.querySelector(".card-body");
  var modal = document.getElementById("modal");
  var frame = modal.querySelector("iframe");
  var record = { objectId: card.dataset.objectId, objectTypeId: card.dataset.objectTypeId };

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    return node;
  }

  function ask(path, extra) {
    var sent = Object.assign({ path: path }, record, extra || {});
    return fetch("/_card/fetch", { method: "POST", headers: { "Content-Type": "application/json" },
                                   body: JSON.stringify(sent) })
      .then(function (answer) { return answer.json(); })
      .then(function (result) {
        if (result.status !== 200) throw new Error((result.body && result.body.message) || "Something went wrong.");
        return result.body;
      });
  }

  function table(headers, rows, testid) {
    var t = el("table", null, { "data-testid": testid });
    var head = el("tr");
    headers.forEach(function (h) { head.appendChild(el("th", h)); });
    t.appendChild(head);
    rows.forEach(function (cells) {
      var tr = el("tr");
      cells.forEach(function (cell) {
        var td = el("td");
        if (cell instanceof Node) td.appendChild(cell); else td.textContent = cell;
        tr.appendChild(td);
      });
      t.appendChild(tr);
    });
    return t;
  }

  function summary(data) {
    var out = document.createDocumentFragment();
    out.appendChild(el("h3", data.customer.name, { "data-testid": "card-customer" }));
    if (!data.totals.length) out.appendChild(el("p", "Nothing owed."));
    var dl = el("dl", null, { "data-testid": "card-totals" });
    data.totals.forEach(function (total) {
      dl.appendChild(el("dt", "Owed (" + total.currency + ")"));
      dl.appendChild(el("dd", total.owed.text));
      dl.appendChild(el("dt", "Overdue (" + total.currency + ")"));
      dl.appendChild(el("dd", total.overdue.text));
    });
    out.appendChild(dl);
    var currencies = data.ageing.currencies;
    if (currencies.length) {
      out.appendChild(table(["Ageing"].concat(currencies.map(function (c) { return c.currency; })),
        data.ageing.buckets.map(function (bucket, i) {
          return [bucket.label].concat(currencies.map(function (c) { return c.amounts[i].text; }));
        }), "card-ageing"));
    }
    out.appendChild(el("h4", "Most urgent"));
    out.appendChild(table(["Invoice", "Due", "Owed"], data.urgent.map(function (invoice) {
      var link = el("a", invoice.number, { href: invoice.link, target: "_blank", rel: "noopener noreferrer" });
      var due = invoice.due_text + (invoice.days_past_due > 0 ? " (" + invoice.days_past_due + " days past due)" : "");
      return [link, due, invoice.amount_due.text];
    }), "card-urgent"));
    return out;
  }

  function button(label, target, testid) {
    var b = el("button", label, { type: "button", "data-testid": testid });
    b.addEventListener("click", function () {
      b.disabled = true;
      ask("/hosts/hubspot/launch", { target: target })
        .then(function (answer) { frame.src = answer.url; modal.hidden = false; })
        .catch(function (error) { body.textContent = error.message; })
        .then(function () { b.disabled = false; });
    });
    return b;
  }

  function render(data) {
    body.textContent = "";
    if (data.state === "ok") body.appendChild(summary(data));
    else body.appendChild(el("p", data.message, { "data-testid": "card-message" }));
    if (data.actions && data.actions.open_panel) body.appendChild(button("Open full panel", "panel", "open-panel"));
    if (data.actions && data.actions.connect_xero) body.appendChild(button("Set up Xero", "admin", "connect-xero"));
  }

  function load() {
    ask("/hosts/hubspot/card").then(render).catch(function (error) {
      body.textContent = "";
      body.appendChild(el("p", error.message, { "data-testid": "card-message" }));
    });
  }

  modal.querySelector(".modal-close").addEventListener("click", function () {
    modal.hidden = true;
    frame.removeAttribute("src");
    load();  // as the card's onClose does: show what changed (e.g. Xero just connected)
  });
  load();
})();
