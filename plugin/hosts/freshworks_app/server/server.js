/*
 * Xero invoices for Freshworks CRM: the serverless side (a Server Method Invocation, SMI).
 *
 * The front end (app/scripts/app.js) calls panelContextUrl with the record it is shown on and the signed-in
 * user's id. This function, on Freshworks' servers, reads that record and that user through the Freshsales API
 * (request templates in config/requests.json, with the API key as a secure installation parameter), then signs
 * the panel's own context (an HS256 JWT, see the server's README "How the CRM embeds the panel") with the shared
 * secret, also a secure installation parameter. Only the signed URL goes back to the browser; no secret does.
 *
 * Issuer and account are both "freshworks:<Freshsales domain>", which is how the server tells a context minted
 * here from any other CRM's.
 */

const crypto = require("crypto");

const AUDIENCE = "xero-invoice-panel";
const LIFETIME_SECONDS = 300; // the server accepts at most 600; the panel opens it within seconds
const ADMIN_ABILITY = "manage_admin_settings";
const ENTITIES = {
  contact: { template: "freshsalesContact", type: "contact" },
  sales_account: { template: "freshsalesSalesAccount", type: "account" },
  deal: { template: "freshsalesDeal", type: "deal" }
};
const ID = /^[1-9][0-9]{0,17}$/;
const DOMAIN = /^[a-z0-9][a-z0-9-]*(\.[a-z0-9-]+)+$/;
const MIN_SECRET = 32;
// Freshsales gives time zones by their Rails names; the panel wants IANA names. Unknown names fall back to UTC.
const ZONES = {
  "Wellington": "Pacific/Auckland", "Auckland": "Pacific/Auckland", "Sydney": "Australia/Sydney",
  "Melbourne": "Australia/Melbourne", "Brisbane": "Australia/Brisbane", "Perth": "Australia/Perth",
  "London": "Europe/London", "Dublin": "Europe/Dublin", "Berlin": "Europe/Berlin", "Paris": "Europe/Paris",
  "Amsterdam": "Europe/Amsterdam", "Chennai": "Asia/Kolkata", "Kolkata": "Asia/Kolkata", "Mumbai": "Asia/Kolkata",
  "New Delhi": "Asia/Kolkata", "Singapore": "Asia/Singapore", "Tokyo": "Asia/Tokyo", "UTC": "UTC",
  "Eastern Time (US & Canada)": "America/New_York", "Central Time (US & Canada)": "America/Chicago",
  "Mountain Time (US & Canada)": "America/Denver", "Pacific Time (US & Canada)": "America/Los_Angeles"
};

exports = {
  panelContextUrl: async function (args) {
    try {
      renderData(null, await panelContextUrl(args || {}));
    } catch (error) {
      if (error && error.refusal) {
        renderData({ status: error.status, message: error.message });
      } else {
        console.error("panelContextUrl failed:", error && error.message);
        renderData({ status: 502, message: "Xero invoices could not read this record from Freshsales. Try again." });
      }
    }
  }
};

async function panelContextUrl(args) {
  const iparams = args.iparams || {};
  const domain = String(iparams.freshsales_domain || "").trim().toLowerCase();
  const secret = String(iparams.panel_secret || "");
  const base = String(iparams.panel_url || "").replace(/\/+$/, "");
  if (!DOMAIN.test(domain) || secret.length < MIN_SECRET || !/^https?:\/\/[^?#]+$/.test(base)) {
    throw refusal(503, "Xero invoices is not set up: an admin completes its settings in Freshworks (Admin " +
      "settings > Apps).");
  }
  const entity = ENTITIES[String(args.entity_type || "")];
  const entityId = String(args.entity_id || "");
  if (!entity || !ID.test(entityId)) {
    throw refusal(400, "Xero invoices shows on contact, account and deal pages only.");
  }
  const page = args.page === "admin" ? "admin" : "panel";

  const user = await readUser(String(args.user_id || ""), args.abilities);
  if (!user) {
    throw refusal(403, "Freshsales does not list you as an active user of this account.");
  }
  if (page === "admin" && user.role !== "admin") {
    throw refusal(403, "Only Freshsales admins can connect Xero.");
  }
  user.locale = locale(args.language);
  user.tz = ZONES[String(args.time_zone || "")] || (/^[A-Za-z_]+\/[A-Za-z_/+-]+$/.test(String(args.time_zone || ""))
    ? String(args.time_zone) : "UTC");

  const record = await readRecord(entity, entityId);
  if (!record) {
    throw refusal(404, "This record isn't in Freshsales any more (deleted or merged).");
  }

  const now = Math.floor(Date.now() / 1000);
  const account = "freshworks:" + domain;
  const token = signHS256({
    iss: account, aud: AUDIENCE, iat: now, exp: now + LIFETIME_SECONDS,
    jti: crypto.randomBytes(16).toString("base64url"),
    account: account, user: user, record: record
  }, secret);
  return { url: base + "/" + page + "?context=" + encodeURIComponent(token), role: user.role };
}

// The user is who the Freshworks front end says is signed in; Freshsales' own user list confirms them (and gives
// name and email). Admin: the user holds Freshsales' "manage_admin_settings" ability (loggedInUser.abilities).
async function readUser(userId, abilities) {
  if (!ID.test(userId)) {
    return null;
  }
  const body = await get("freshsalesOwners", {});
  const users = (body && Array.isArray(body.users)) ? body.users : [];
  const found = users.find(function (candidate) { return String(candidate.id) === userId; });
  if (!found || found.is_active === false) {
    return null;
  }
  const admin = Array.isArray(abilities) && abilities.indexOf(ADMIN_ABILITY) !== -1;
  return {
    id: userId,
    email: text(found.email) || ("user-" + userId + "@freshworks.invalid"),
    name: text(found.display_name),
    role: admin ? "admin" : "member"
  };
}

async function readRecord(entity, id) {
  if (entity.type === "contact") {
    const body = await get(entity.template, { id: id });
    return body && body.contact ? contactRecord(body.contact, body.sales_accounts) : null;
  }
  if (entity.type === "account") {
    const account = await salesAccount(id);
    return account ? { type: "account", id: id, name: text(account.name), email: "", company: text(account.name) }
      : null;
  }
  const body = await get(entity.template, { id: id });
  const deal = body && body.deal;
  if (!deal) {
    return null;
  }
  const account = ID.test(String(deal.sales_account_id || "")) ? await salesAccount(String(deal.sales_account_id))
    : null;
  const contactIds = Array.isArray(deal.contact_ids) ? deal.contact_ids.map(String).filter(function (value) {
    return ID.test(value);
  }) : [];
  let contact = null;
  if (contactIds.length) {
    const contactBody = await get("freshsalesContact", { id: contactIds[0] });
    contact = contactBody && contactBody.contact ? contactRecord(contactBody.contact, contactBody.sales_accounts)
      : null;
  }
  const record = {
    type: "deal", id: id, name: text(deal.name),
    email: contact ? contact.email : "",
    company: account ? text(account.name) : (contact ? contact.company : "")
  };
  if (account) {
    record.account = { id: String(account.id), name: text(account.name) };
  }
  if (contact) {
    record.contact = { id: contact.id, name: contact.name, email: contact.email };
  }
  return record;
}

async function salesAccount(id) {
  const body = await get("freshsalesSalesAccount", { id: id });
  return body && body.sales_account ? body.sales_account : null;
}

function contactRecord(contact, included) {
  const accounts = Array.isArray(contact.sales_accounts) ? contact.sales_accounts
    : (Array.isArray(included) ? included : []);
  const primary = accounts.find(function (account) { return account && account.is_primary; }) || accounts[0];
  const name = text(contact.display_name) || [text(contact.first_name), text(contact.last_name)].join(" ").trim();
  return {
    type: "contact", id: String(contact.id), name: name, email: text(contact.email),
    company: primary ? text(primary.name) : ""
  };
}

// One request template; a record Freshsales says is gone is null, any other failure throws.
async function get(template, context) {
  let answer;
  try {
    answer = await $request.invokeTemplate(template, { context: context });
  } catch (error) {
    if (error && error.status === 404) {
      return null;
    }
    if (error && (error.status === 401 || error.status === 403)) {
      throw refusal(503, "Freshsales refused the app's API key: an admin updates it in the app's settings.");
    }
    throw error;
  }
  return typeof answer.response === "string" ? JSON.parse(answer.response) : answer.response;
}

function signHS256(claims, secret) {
  const header = encode({ alg: "HS256", typ: "JWT" });
  const body = encode(claims);
  const signature = crypto.createHmac("sha256", secret).update(header + "." + body).digest("base64url");
  return header + "." + body + "." + signature;
}

function encode(value) {
  return Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
}

function locale(language) {
  const value = String(language || "").replace("_", "-");
  return /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(value) ? value : "en";
}

function text(value) {
  return value === null || value === undefined ? "" : String(value).slice(0, 500);
}

function refusal(status, message) {
  const error = new Error(message);
  error.refusal = true;
  error.status = status;
  return error;
}
