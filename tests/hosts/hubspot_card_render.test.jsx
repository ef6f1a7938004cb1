// Renders the HubSpot app card with @hubspot/ui-extensions/testing (createRenderer) under Node: the card asks our
// server through hubspot.fetch (stubbed here: the SDK's hubspot.fetch calls self.hsFetch), renders the summary with
// HubSpot's components, and "Open full panel" fetches a fresh link and opens it in HubSpot's iframe modal.
// Its words are the server's (the JSON's `labels`, as tests/hosts/test_hubspot_card_build.py makes them in German), or
// English when the JSON has none. With NO_MATCH_JSON set it also renders a card whose customer wasn't found: the
// server's message and the steps it tried. Bundled with esbuild and run by tests/hosts/test_hubspot_card_build.py; it
// prints "ok" when every check passed.
import assert from "node:assert/strict";
import React from "react";
import { Button, Heading, Link, List, Table, TableCell, TableHeader, Text } from "@hubspot/ui-extensions";
import { createRenderer } from "@hubspot/ui-extensions/testing";
import { ENGLISH, XeroInvoicesCard } from "../../plugin/hosts/hubspot_project/src/app/cards/XeroInvoicesCard.jsx";

const CARD = JSON.parse(process.env.CARD_JSON);
const NO_MATCH = process.env.NO_MATCH_JSON ? JSON.parse(process.env.NO_MATCH_JSON) : null;
const WORDS = { ...ENGLISH, ...(CARD.labels || {}) };
let answer = CARD;
const calls = [];
globalThis.self = globalThis;
globalThis.hsFetch = async (url, options) => {
  calls.push({ url, options });
  const body = url.endsWith("/launch") ? { url: "https://panel.example.com/panel?launch=abc", target: "panel" } : answer;
  return { ok: true, status: 200, json: async () => body };
};

const { render, find, findAll, waitFor, mocks } = createRenderer("crm.record.sidebar");
render(<XeroInvoicesCard />);
await waitFor(() => find(Heading));

assert.equal(find(Heading).text, CARD.customer.name);
assert.equal(calls[0].url, "__XERO_PANEL_PUBLIC_URL__/hosts/hubspot/card");
assert.equal(calls[0].options.method, "POST");
assert.equal(calls[0].options.body.objectTypeId, "0-1");
assert.equal(calls[0].options.body.portalId, String(mocks.context.portal.id));
const texts = findAll(Text).map((node) => node.text);
for (const total of CARD.totals) {
  assert.ok(texts.includes(total.owed.text), `owed ${total.owed.text} shown`);
  assert.ok(texts.includes(total.overdue.text), `overdue ${total.overdue.text} shown`);
}
const links = findAll(Link);
assert.equal(links.length, CARD.urgent.length);
assert.deepEqual(links.map((link) => link.text), CARD.urgent.map((invoice) => invoice.number));
assert.equal(links[0].props.href.url, CARD.urgent[0].link);
const tables = findAll(Table);
assert.equal(tables.length, 2, "the ageing table and the urgent table");
const ageingCells = tables[0].findAll(TableCell).map((cell) => cell.text);
for (const bucket of CARD.ageing.buckets) {
  assert.ok(ageingCells.includes(bucket.label), `bucket ${bucket.label}`);
}
const headers = findAll(TableHeader).map((cell) => cell.text);
for (const key of ["ageing", "invoice", "due", "owed"]) {
  assert.ok(headers.includes(WORDS[key]), `header ${WORDS[key]}`);
}
assert.ok(texts.includes(WORDS.most_urgent), `"${WORDS.most_urgent}" shown`);
const urgentCells = tables[1].findAll(TableCell).map((cell) => cell.text);
for (const invoice of CARD.urgent.filter((one) => one.days_past_due > 0)) {
  const late = invoice.late_text || `${invoice.days_past_due} days overdue`;
  assert.ok(urgentCells.includes(`${invoice.due_text} (${late})`), `${invoice.number} is ${late}`);
}

const openPanel = find(Button, { variant: "primary" });
assert.equal(openPanel.text, WORDS.open_panel);
openPanel.trigger("onClick");
await waitFor(() => assert.equal(mocks.actions.openIframeModal.callCount, 1));
const [modal] = mocks.actions.openIframeModal.calls[0];
assert.equal(modal.uri, "https://panel.example.com/panel?launch=abc");
assert.equal(modal.title, WORDS.title);
assert.equal(calls[1].url, "__XERO_PANEL_PUBLIC_URL__/hosts/hubspot/launch");
assert.equal(calls[1].options.body.target, "panel");

if (NO_MATCH) {
  answer = NO_MATCH;
  const words = { ...ENGLISH, ...(NO_MATCH.labels || {}) };
  const again = createRenderer("crm.record.sidebar");
  again.render(<XeroInvoicesCard />);
  await again.waitFor(() => again.find(List));
  const shown = again.findAll(Text).map((node) => node.text);
  assert.ok(shown.includes(NO_MATCH.message), "the server's message");
  assert.ok(shown.includes(words.tried), `"${words.tried}" shown`);
  for (const step of NO_MATCH.tried) {
    assert.ok(again.find(List).findAll(Text).some((node) => node.text === step), `tried: ${step}`);
  }
  assert.equal(again.find(Button, { variant: "primary" }).text, words.open_panel);
}
console.log("ok");
