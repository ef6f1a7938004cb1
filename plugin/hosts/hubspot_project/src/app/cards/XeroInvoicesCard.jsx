// The Xero invoices app card on contact, company and deal records. It asks the panel's server for the record's
// summary (POST /hosts/hubspot/card through hubspot.fetch, which HubSpot signs) and renders it with HubSpot's own
// components; "Open full panel" asks for a fresh one-minute link (POST /hosts/hubspot/launch) and opens it in
// HubSpot's iframe modal. Amounts arrive formatted per currency; they are never added across currencies.
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

const MODAL = { width: 890, height: 748, title: "Xero invoices" };

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
  const response = await hubspot.fetch(`${PANEL_URL}${path}`, { method: "POST", timeout: 15000, body });
  let data = null;
  try {
    data = await response.json();
  } catch (error) {
    data = null;
  }
  if (!response.ok || !data) {
    throw new Error((data && data.message) || "Xero invoices can't be shown right now. Try again in a minute.");
  }
  return data;
}

export function XeroInvoicesCard() {
  const context = useExtensionContext();
  const actions = useExtensionActions();
  const [card, setCard] = useState(null);
  const [error, setError] = useState("");
  const [opening, setOpening] = useState(false);

  const signedBody = JSON.stringify(requestBody(context));  // the record and user, as plain values

  const load = useCallback(() => {
    setError("");
    post("/hosts/hubspot/card", JSON.parse(signedBody))
      .then(setCard)
      .catch((failure) => setError(failure.message));
  }, [signedBody]);

  useEffect(load, [load]);

  const open = useCallback((target) => {
    setOpening(true);
    post("/hosts/hubspot/launch", { ...JSON.parse(signedBody), target })
      .then((answer) => actions.openIframeModal({ uri: answer.url, ...MODAL }, load))
      .catch((failure) => setError(failure.message))
      .finally(() => setOpening(false));
  }, [actions, signedBody, load]);

  if (error) {
    return <Alert title="Xero invoices" variant="danger">{error}</Alert>;
  }
  if (!card) {
    return <LoadingSpinner label="Loading Xero invoices" />;
  }
  return (
    <Flex direction="column" gap="small">
      {card.state === "ok" ? <Summary card={card} /> : <Text>{card.message}</Text>}
      <ButtonRow>
        {card.actions?.open_panel && (
          <Button variant="primary" onClick={() => open("panel")} disabled={opening}>Open full panel</Button>
        )}
        {card.actions?.connect_xero && (
          <Button variant="secondary" onClick={() => open("admin")} disabled={opening}>Set up Xero</Button>
        )}
      </ButtonRow>
    </Flex>
  );
}

function Summary({ card }) {
  const currencies = card.ageing.currencies;
  return (
    <Flex direction="column" gap="small">
      <Heading>{card.customer.name}</Heading>
      {card.totals.length === 0 ? <Text>Nothing owed.</Text> : (
        <DescriptionList direction="row">
          {card.totals.map((total) => (
            <React.Fragment key={total.currency}>
              <DescriptionListItem label={`Owed (${total.currency})`}><Text>{total.owed.text}</Text></DescriptionListItem>
              <DescriptionListItem label={`Overdue (${total.currency})`}><Text>{total.overdue.text}</Text></DescriptionListItem>
            </React.Fragment>
          ))}
        </DescriptionList>
      )}
      {currencies.length > 0 && (
        <Table bordered={true}>
          <TableHead>
            <TableRow>
              <TableHeader>Ageing</TableHeader>
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
      <Text format={{ fontWeight: "bold" }}>Most urgent</Text>
      {card.urgent.length === 0 ? <Text>No unpaid invoices.</Text> : (
        <Table bordered={true}>
          <TableHead>
            <TableRow>
              <TableHeader>Invoice</TableHeader>
              <TableHeader>Due</TableHeader>
              <TableHeader>Owed</TableHeader>
            </TableRow>
          </TableHead>
          <TableBody>
            {card.urgent.map((invoice) => (
              <TableRow key={invoice.id}>
                <TableCell><Link href={{ url: invoice.link, external: true }}>{invoice.number}</Link></TableCell>
                <TableCell>
                  {invoice.due_text}{invoice.days_past_due > 0 ? ` (${invoice.days_past_due} days past due)` : ""}
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

hubspot.extend(() => <XeroInvoicesCard />);
