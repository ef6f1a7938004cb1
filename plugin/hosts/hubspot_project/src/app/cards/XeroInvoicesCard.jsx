// The Xero invoices app card on contact, company and deal records. It asks the panel's server for the record's
// summary (POST /hosts/hubspot/card through hubspot.fetch, which HubSpot signs) and renders it with HubSpot's own
// components; "Open full panel" asks for a fresh one-minute link (POST /hosts/hubspot/launch) and opens it in
// HubSpot's iframe modal. Amounts arrive formatted per currency; they are never added across currencies.
// Every word comes from the server in the user's language (the JSON's `labels`, the bucket labels, the per-currency
// and per-invoice words, translated with the panel's catalogs for the locale HubSpot signed); the English here is only
// what shows before the server has answered (or when it gave no words).
import React, { useCallback, useEffect, useState } from "react";
import {
  Alert,
  Button,
  ButtonRow,
  DescriptionList,
  DescriptionListItem,
  Divider,
  Flex,
  Heading,
  Link,
  List,
  LoadingSpinner,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableHeader,
  TableRow,
  Text,
  hubspot,
  useExtensionActions,
  useExtensionContext,
} from "@hubspot/ui-extensions";
import { PANEL_URL } from "./panelServer.js";

const MODAL = { width: 890, height: 748 };

// The English the card falls back to while the server has not given its words (`labels` in every answer).
export const ENGLISH = {
  title: "Xero invoices",
  loading: "Loading Xero invoices",
  unavailable: "Xero invoices can't be shown right now. Try again in a minute.",
  open_panel: "Open full panel",
  set_up_xero: "Set up Xero",
  nothing_owed: "Nothing owed.",
  ageing: "Ageing",
  most_urgent: "Most urgent",
  no_unpaid: "No unpaid invoices.",
  invoice: "Invoice",
  due: "Due",
  owed: "Owed",
  tried: "What we tried:",
};

function wordsOf(labels) {
  return { ...ENGLISH, ...(labels || {}) };
}

// What the card tells the server; HubSpot signs the whole request (URL and body) with the app's client secret.
export function requestBody(context, extra = {}) {
  return {
    portalId: String(context.portal?.id ?? ""),
    userId: String(context.user?.id ?? ""),
    userEmail: context.user?.email ?? "",
    objectId: String(context.crm?.objectId ?? ""),
    objectTypeId: String(context.crm?.objectTypeId ?? ""),
    locale: context.user?.locale ?? "",
    timezone: context.portal?.timezone ?? "",
    ...extra,
  };
}

async function post(path, body) {
  let response;
  try {
    response = await hubspot.fetch(`${PANEL_URL}${path}`, { method: "POST", timeout: 15000, body });
  } catch (error) {
    throw new Error("");  // unreachable or timed out: the card says `unavailable` in the user's words
  }
  let data = null;
  try {
    data = await response.json();
  } catch (error) {
    data = null;
  }
  if (!response.ok || !data) {
    const failure = new Error((data && data.message) || "");  // no message: the card says `unavailable`
    failure.labels = data && data.labels;
    throw failure;
  }
  return data;
}

export function XeroInvoicesCard() {
  const context = useExtensionContext();
  const actions = useExtensionActions();
  const [card, setCard] = useState(null);
  const [labels, setLabels] = useState(null);  // the server's words, from its latest answer that had them
  const [error, setError] = useState(null);
  const [opening, setOpening] = useState(false);
  const words = wordsOf(labels);

  const failed = useCallback((failure) => {
    if (failure.labels) {
      setLabels(failure.labels);
    }
    setError({ message: failure.message });
  }, []);

  const signedBody = JSON.stringify(requestBody(context));  // the record and user, as plain values

  const load = useCallback(() => {
    setError(null);
    post("/hosts/hubspot/card", JSON.parse(signedBody))
      .then((answer) => {
        if (answer.labels) {
          setLabels(answer.labels);
        }
        setCard(answer);
      })
      .catch(failed);
  }, [signedBody, failed]);

  useEffect(load, [load]);

  const open = useCallback((target) => {
    setOpening(true);
    post("/hosts/hubspot/launch", { ...JSON.parse(signedBody), target })
      .then((answer) => actions.openIframeModal({ uri: answer.url, title: words.title, ...MODAL }, load))
      .catch(failed)
      .finally(() => setOpening(false));
  }, [actions, signedBody, load, words.title, failed]);

  if (error) {
    return <Alert title={words.title} variant="danger">{error.message || words.unavailable}</Alert>;
  }
  if (!card) {
    return <LoadingSpinner label={words.loading} />;
  }
  return (
    <Flex direction="column" gap="small">
      {card.state === "ok" ? <Summary card={card} words={words} /> : <NotShown card={card} words={words} />}
      <ButtonRow>
        {card.actions?.open_panel && (
          <Button variant="primary" onClick={() => open("panel")} disabled={opening}>{words.open_panel}</Button>
        )}
        {card.actions?.connect_xero && (
          <Button variant="secondary" onClick={() => open("admin")} disabled={opening}>{words.set_up_xero}</Button>
        )}
      </ButtonRow>
    </Flex>
  );
}

// Why there is no summary (not set up, no customer matched...): the server's message and, when no customer matched,
// the steps it tried.
function NotShown({ card, words }) {
  const tried = card.tried || [];
  return (
    <Flex direction="column" gap="extra-small">
      <Text>{card.message}</Text>
      {tried.length > 0 && (
        <>
          <Text format={{ fontWeight: "bold" }}>{words.tried}</Text>
          <List variant="unordered-styled">
            {tried.map((step, index) => <Text key={index}>{step}</Text>)}
          </List>
        </>
      )}
    </Flex>
  );
}

function Summary({ card, words }) {
  const currencies = card.ageing.currencies;
  return (
    <Flex direction="column" gap="small">
      <Heading>{card.customer.name}</Heading>
      {card.totals.length === 0 ? <Text>{words.nothing_owed}</Text> : (
        <DescriptionList direction="row">
          {card.totals.map((total) => (
            <React.Fragment key={total.currency}>
              <DescriptionListItem label={total.labels?.owed ?? `Owed (${total.currency})`}>
                <Text>{total.owed.text}</Text>
              </DescriptionListItem>
              <DescriptionListItem label={total.labels?.overdue ?? `Overdue (${total.currency})`}>
                <Text>{total.overdue.text}</Text>
              </DescriptionListItem>
            </React.Fragment>
          ))}
        </DescriptionList>
      )}
      {currencies.length > 0 && (
        <Table bordered={true}>
          <TableHead>
            <TableRow>
              <TableHeader>{words.ageing}</TableHeader>
              {currencies.map((entry) => <TableHeader key={entry.currency}>{entry.currency}</TableHeader>)}
            </TableRow>
          </TableHead>
          <TableBody>
            {card.ageing.buckets.map((bucket, index) => (
              <TableRow key={bucket.key}>
                <TableCell>{bucket.label}</TableCell>
                {currencies.map((entry) => <TableCell key={entry.currency}>{entry.amounts[index].text}</TableCell>)}
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      <Divider />
      <Text format={{ fontWeight: "bold" }}>{words.most_urgent}</Text>
      {card.urgent.length === 0 ? <Text>{words.no_unpaid}</Text> : (
        <Table bordered={true}>
          <TableHead>
            <TableRow>
              <TableHeader>{words.invoice}</TableHeader>
              <TableHeader>{words.due}</TableHeader>
              <TableHeader>{words.owed}</TableHeader>
            </TableRow>
          </TableHead>
          <TableBody>
            {card.urgent.map((invoice) => (
              <TableRow key={invoice.id}>
                <TableCell><Link href={{ url: invoice.link, external: true }}>{invoice.number}</Link></TableCell>
                <TableCell>
                  {invoice.due_text}{lateness(invoice)}
                </TableCell>
                <TableCell>{invoice.amount_due.text}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Flex>
  );
}

// " (12 days overdue)" in the server's words; nothing when not past due.
function lateness(invoice) {
  if (!(invoice.days_past_due > 0)) {
    return "";
  }
  return ` (${invoice.late_text || `${invoice.days_past_due} days overdue`})`;
}

hubspot.extend(() => <XeroInvoicesCard />);
