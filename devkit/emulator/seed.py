"""Deterministic demo data: the same seed and the same "today" give the same organisations, ids and amounts.

Two organisations (a Wellington design studio in NZD that also bills in AUD and USD, and a Bristol joinery in
GBP), seeded users, and the awkward cases a panel must survive: a customer with more than 250 invoices,
unicode names, names that look like HTML, two contacts sharing one email, archived and supplier-only
contacts, partial payments, applied credit notes, every invoice status. `add_large_organisation` builds
an organisation of any size for benchmarks.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from devkit.emulator.records import (
    Contact,
    Credit,
    Invoice,
    LineItem,
    Organisation,
    Payment,
    User,
    money,
)

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo"
SECOND_EMAIL = "olivia@example.com"
SECOND_PASSWORD = "demo"

SCRIPT_CONTACT_NAME = "<script>alert(1)</script> Ltd"
HTML_REFERENCE = "<b>Urgent</b> PO 7781"
SHARED_EMAIL = "accounts@harbourgroup.co.nz"
BIG_CUSTOMER_NAME = "Wellington Harbour Events Trust"
BIG_CUSTOMER_INVOICES = 262


class Ids:
    """UUIDs drawn from the seeded generator, so ids repeat for a seed."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def new(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))


@dataclass
class OrgData:
    org: Organisation
    contacts: dict[str, Contact] = field(default_factory=dict)
    invoices: dict[str, Invoice] = field(default_factory=dict)
    by_contact: dict[str, list[Invoice]] = field(default_factory=dict)
    by_number: dict[str, Invoice] = field(default_factory=dict)
    next_number: int = 1

    def add_invoice(self, invoice: Invoice) -> None:
        self.invoices[invoice.invoice_id] = invoice
        self.by_contact.setdefault(invoice.contact_id, []).append(invoice)
        self.by_number.setdefault(invoice.number.lower(), invoice)

    def invoices_of(self, contact_id: str) -> list[Invoice]:
        return self.by_contact.get(contact_id, [])


@dataclass
class SeedData:
    orgs: dict[str, OrgData]
    users: dict[str, User]  # by email


# --- the two demo organisations -------------------------------------------------------------------------

@dataclass(frozen=True)
class OrgProfile:
    name: str
    legal_name: str
    currency: str
    country: str
    version: str
    short_code: str
    timezone: str
    tax_rate: Decimal
    tax_type: str
    city: str
    business: str
    products: tuple[tuple[str, int, int], ...]  # description, min unit price, max unit price
    supplies: tuple[tuple[str, int, int], ...]
    foreign: tuple[str, ...]  # other currencies its customers pay in


STUDIO = OrgProfile(
    name="Kōwhai Design Studio", legal_name="Kōwhai Design Studio Limited", currency="NZD", country="NZ",
    version="NZ", short_code="!kW7dQ", timezone="NEWZEALANDSTANDARDTIME", tax_rate=Decimal("0.15"),
    tax_type="OUTPUT2", city="Wellington", business="Graphic design and web studio",
    products=(("Website design and build", 2400, 9800), ("Brand identity workshop", 950, 2600),
              ("Annual hosting and support", 480, 1200), ("Content strategy session", 320, 900),
              ("Photography day rate", 1100, 1800), ("Logo refresh", 650, 1500),
              ("Print design: brochure", 700, 2200), ("UX review and report", 1200, 3400),
              ("Social media templates", 280, 750), ("Hourly design time", 120, 165)),
    supplies=(("Adobe Creative Cloud licences", 160, 420), ("Office rent", 2200, 2200),
              ("Fibre broadband", 129, 129), ("Courier charges", 18, 90), ("Stock photography", 45, 300),
              ("Printing: brochures", 300, 1600)),
    foreign=("AUD", "USD"),
)
JOINERY = OrgProfile(
    name="Thornbury Joinery", legal_name="Thornbury Joinery Ltd", currency="GBP", country="GB",
    version="UK", short_code="!tJ4mB", timezone="GMTSTANDARDTIME", tax_rate=Decimal("0.20"),
    tax_type="OUTPUT2", city="Bristol", business="Bespoke joinery and fitted furniture",
    products=(("Oak staircase, made to measure", 3800, 9200), ("Kitchen fitting (per day)", 280, 420),
              ("Sash window restoration", 450, 1400), ("Fitted wardrobe", 1600, 4800),
              ("Bespoke bookcase", 900, 2600), ("Site survey", 95, 180), ("Door hanging", 60, 140)),
    supplies=(("Oak boards (cubic metre)", 1400, 2600), ("Van lease", 420, 420), ("Fixings and ironmongery", 40, 380),
              ("Workshop rent", 1500, 1500), ("Finishing oils", 35, 160)),
    foreign=(),
)

STUDIO_CUSTOMERS = (
    # name, first, last, email, city, country, currency
    (BIG_CUSTOMER_NAME, "Aroha", "Ngata", "finance@wellingtonharbourevents.org.nz", "Wellington", "NZ", "NZD"),
    ("Harbour Group Ltd", "Tom", "Reilly", SHARED_EMAIL, "Auckland", "NZ", "NZD"),
    ("Harbour Group Holdings", "Tom", "Reilly", SHARED_EMAIL, "Auckland", "NZ", "NZD"),
    (SCRIPT_CONTACT_NAME, "Mallory", "Test", "mallory@script-test.example", "Hamilton", "NZ", "NZD"),
    ("Ngāti Whātua Ōrākei Trust", "Mere", "Tūhoe", "admin@ngatiwhatua-trust.example", "Auckland", "NZ", "NZD"),
    ("Café Müller & Söhne", "Jürgen", "Müller", "jurgen@cafe-mueller.example", "Christchurch", "NZ", "NZD"),
    ("株式会社サクラ Design", "Yuki", "Sato", "yuki@sakura-design.example", "Tokyo", "JP", "USD"),
    ("Zoë & Søren Architects", "Zoë", "Lindqvist", "studio@zoesoren.example", "Dunedin", "NZ", "NZD"),
    ("Bluebird Bakery", "Priya", "Shah", "priya@bluebirdbakery.co.nz", "Wellington", "NZ", "NZD"),
    ("Cuba Street Cycles", "Liam", "O'Connor", "liam@cubacycles.co.nz", "Wellington", "NZ", "NZD"),
    ("Tasman Orchard Co-op", "Hannah", "Wright", "accounts@tasmanorchard.co.nz", "Nelson", "NZ", "NZD"),
    ("Ridgeline Physiotherapy", "Sam", "Fale", "sam@ridgelinephysio.co.nz", "Lower Hutt", "NZ", "NZD"),
    ("Kiwi Coast Surf School", "Mia", "Tane", "mia@kiwicoastsurf.co.nz", "Raglan", "NZ", "NZD"),
    ("Pōneke Property Management", "Grace", "Li", "grace@ponekeproperty.co.nz", "Wellington", "NZ", "NZD"),
    ("Southern Alps Guiding", "Ben", "McKenzie", "ben@southernalpsguiding.co.nz", "Queenstown", "NZ", "NZD"),
    ("Maunga Law", "Ana", "Pérez", "ana@maungalaw.co.nz", "Tauranga", "NZ", "NZD"),
    ("Totara Early Learning", "Kate", "Brown", "office@totaralearning.co.nz", "Palmerston North", "NZ", "NZD"),
    ("Lyall Bay Dental", "Raj", "Patel", "reception@lyallbaydental.co.nz", "Wellington", "NZ", "NZD"),
    ("Greytown Winery", "Olivia", "Hart", "olivia@greytownwinery.co.nz", "Greytown", "NZ", "NZD"),
    ("Ōtaki Pottery Collective", "Rangi", "Walker", "hello@otakipottery.co.nz", "Ōtaki", "NZ", "NZD"),
    ("Northbeach Realty", "Chris", "Evans", "chris@northbeachrealty.co.nz", "Napier", "NZ", "NZD"),
    ("Matariki Festival Society", "Hine", "Parata", "treasurer@matarikifest.org.nz", "Porirua", "NZ", "NZD"),
    ("Bondi Roasters Pty Ltd", "Jack", "Nguyen", "jack@bondiroasters.com.au", "Sydney", "AU", "AUD"),
    ("Fremantle Yacht Charters", "Ella", "Murphy", "ella@freoyachts.com.au", "Perth", "AU", "AUD"),
    ("Yarra Valley Cheese Co", "Noah", "Costa", "accounts@yarracheese.com.au", "Melbourne", "AU", "AUD"),
    ("Brisbane Climbing Gym", "Zara", "Ahmed", "zara@brisclimb.com.au", "Brisbane", "AU", "AUD"),
    ("Portland Trail Outfitters", "Ethan", "Brooks", "ap@pdxtrail.example.com", "Portland", "US", "USD"),
    ("Austin Hot Sauce Co.", "Maya", "Rodriguez", "maya@austinhotsauce.example.com", "Austin", "US", "USD"),
    ("Brooklyn Letterpress", "Isaac", "Cohen", "isaac@bklynletterpress.example.com", "New York", "US", "USD"),
    ("Kāpiti Coast Yoga", "Tia", "Rewi", "tia@kapitiyoga.co.nz", "Paraparaumu", "NZ", "NZD"),
    ("Whanganui River Lodge", "Paul", "Hēnare", "stay@riverlodge.co.nz", "Whanganui", "NZ", "NZD"),
    ("Old Bank Arcade Florist", "Lucy", "Chen", "lucy@oldbankflorist.co.nz", "Wellington", "NZ", "NZD"),
    ("Te Aro Brewing Company", "Nikau", "Smith", "brewers@tearobrewing.co.nz", "Wellington", "NZ", "NZD"),
    ("Marlborough Sounds Kayaks", "Emma", "Clarke", "emma@soundskayaks.co.nz", "Picton", "NZ", "NZD"),
)
STUDIO_ARCHIVED = (
    ("Petone Printworks (closed)", "Dave", "Hughes", "dave@petoneprint.co.nz", "Petone", "NZ", "NZD"),
    ("Island Bay Deli", "Sofia", "Russo", "sofia@islandbaydeli.co.nz", "Wellington", "NZ", "NZD"),
)
STUDIO_SUPPLIERS = (
    ("Adobe Systems Software Ireland", "", "", "billing@adobe.example", "Dublin", "IE", "NZD"),
    ("Lambton Quay Property Trust", "Wiremu", "King", "rent@lambtonquaytrust.co.nz", "Wellington", "NZ", "NZD"),
    ("Spark New Zealand", "", "", "business@spark.example.co.nz", "Auckland", "NZ", "NZD"),
    ("Flux Couriers", "Amir", "Haddad", "accounts@fluxcouriers.co.nz", "Wellington", "NZ", "NZD"),
    ("Shutterstock", "", "", "invoices@shutterstock.example", "New York", "US", "NZD"),
    ("Rangitoto Print House", "Jess", "Morgan", "jess@rangitotoprint.co.nz", "Auckland", "NZ", "NZD"),
)

JOINERY_CUSTOMERS = (
    ("Clifton Lofts Ltd", "Harriet", "Webb", "harriet@cliftonlofts.co.uk", "Bristol", "GB", "GBP"),
    ("Mr & Mrs O'Brien", "Siobhan", "O'Brien", "siobhan.obrien@example.co.uk", "Bath", "GB", "GBP"),
    ("Redland Dental Practice", "Arjun", "Mehta", "practice@redlanddental.co.uk", "Bristol", "GB", "GBP"),
    ("Bishopston Books", "Eleanor", "Price", "eleanor@bishopstonbooks.co.uk", "Bristol", "GB", "GBP"),
    ("Łukasz Nowak Builders", "Łukasz", "Nowak", "lukasz@nowakbuilders.co.uk", "Bristol", "GB", "GBP"),
    ("The Old Vicarage B&B", "Margaret", "Ellis", "stay@oldvicaragebb.co.uk", "Wells", "GB", "GBP"),
    ("Harbourside Restaurant Group", "Daniel", "Okafor", "ap@harboursidegroup.co.uk", "Bristol", "GB", "GBP"),
    ("Stokes Croft Studios", "Fern", "Adams", "fern@stokescroftstudios.co.uk", "Bristol", "GB", "GBP"),
    ("Chew Valley Estates", "Rupert", "Blake", "office@chewvalleyestates.co.uk", "Chew Magna", "GB", "GBP"),
    ("Café Crème Clifton", "Amélie", "Laurent", "amelie@cafecreme.co.uk", "Bristol", "GB", "GBP"),
    ("Totterdown Housing Co-op", "Nia", "Jones", "nia@totterdownhousing.org.uk", "Bristol", "GB", "GBP"),
    ("Severn Side Marina", "Gareth", "Davies", "gareth@severnmarina.co.uk", "Portishead", "GB", "GBP"),
)
JOINERY_ARCHIVED = (
    ("Kingswood Kitchens (dissolved)", "Paul", "Grant", "paul@kingswoodkitchens.co.uk", "Kingswood", "GB", "GBP"),
)
JOINERY_SUPPLIERS = (
    ("Mendip Timber Merchants", "Steve", "Hill", "sales@mendiptimber.co.uk", "Shepton Mallet", "GB", "GBP"),
    ("Avon Van Leasing", "", "", "accounts@avonvans.co.uk", "Bristol", "GB", "GBP"),
    ("Screwfix Direct", "", "", "trade@screwfix.example.co.uk", "Yeovil", "GB", "GBP"),
    ("St Philips Workshop Lettings", "Karen", "Doyle", "karen@stphilipslets.co.uk", "Bristol", "GB", "GBP"),
)

REFERENCES = ("PO 4471", "Website phase 2", "Spring campaign", "Retainer", "Annual report", "PO-2231", "Launch event",
              "Brand refresh", "Job 118", "Quote Q-0093", "Stage 1 of 3", "Stage 2 of 3", "Final stage", "", "")
FOREIGN_RATES = {"AUD": Decimal("0.912300"), "USD": Decimal("0.598700"), "NZD": Decimal("1.000000"),
                 "GBP": Decimal("1.000000")}


class Seeder:
    def __init__(self, seed: int, today: date) -> None:
        self.rng = random.Random(seed)
        self.ids = Ids(self.rng)
        self.today = today

    # --- building blocks --------------------------------------------------------------------------------

    def stamp(self, day: date) -> datetime:
        """A plausible update time on `day`, never after today's date."""
        day = min(day, self.today)
        return datetime.combine(day, time(8), tzinfo=UTC) + timedelta(minutes=self.rng.randrange(0, 600),
                                                                      seconds=self.rng.randrange(60))

    def contact(self, org: Organisation, row: tuple, *, customer: bool, supplier: bool, archived: bool) -> Contact:
        name, first, last, email, city, country, currency = row
        return Contact(
            contact_id=self.ids.new(), name=name, first_name=first, last_name=last, email=email,
            status="ARCHIVED" if archived else "ACTIVE", is_customer=customer, is_supplier=supplier,
            account_number=f"{name[:3].upper()}{self.rng.randrange(100, 999)}" if customer else "",
            default_currency=currency, phone=f"{self.rng.randrange(2, 9)}{self.rng.randrange(100, 999)} "
                                             f"{self.rng.randrange(1000, 9999)}",
            street=f"{self.rng.randrange(1, 240)} {self.rng.choice(STREETS)}", city=city,
            postcode=str(self.rng.randrange(1000, 9999)), country=country,
            updated=self.stamp(self.today - timedelta(days=self.rng.randrange(30, 900))),
        )

    def lines(self, profile: OrgProfile, catalogue: tuple, count: int) -> list[LineItem]:
        items = []
        for description, low, high in self.rng.sample(catalogue, min(count, len(catalogue))):
            quantity = Decimal(self.rng.choice((1, 1, 1, 2, 3, 4, 8)))
            unit = money(self.rng.randrange(low * 100, high * 100 + 1) / 100)
            tax = money(quantity * unit * profile.tax_rate)
            items.append(LineItem(self.ids.new(), description, quantity, unit, "200", profile.tax_type, tax))
        return items

    def invoice(self, data: OrgData, profile: OrgProfile, contact: Contact, *, kind: str, status: str,
                issued: date, currency: str | None = None) -> Invoice:
        catalogue = profile.products if kind == "ACCREC" else profile.supplies
        currency = currency or contact.default_currency or profile.currency
        if kind == "ACCREC":
            number = f"INV-{data.next_number:04d}"
            data.next_number += 1
        else:
            number = f"{contact.name[:3].upper()}-{self.rng.randrange(10000, 99999)}"
        terms = self.rng.choice((7, 14, 20, 30))
        invoice = Invoice(
            invoice_id=self.ids.new(), tenant_id=data.org.tenant_id, type=kind, number=number,
            reference=self.rng.choice(REFERENCES), contact_id=contact.contact_id, date=issued,
            due_date=issued + timedelta(days=terms), status=status, currency=currency,
            currency_rate=FOREIGN_RATES.get(currency, Decimal("1.000000")),
            lines=self.lines(profile, catalogue, self.rng.choice((1, 1, 2, 3))),
            updated=self.stamp(issued + timedelta(days=1)), sent_to_contact=status in ("AUTHORISED", "PAID"),
        )
        self.settle(invoice)
        data.add_invoice(invoice)
        return invoice

    def settle(self, invoice: Invoice) -> None:
        """Payments and credits that make the status true: PAID sums to the total, AUTHORISED leaves some due."""
        if invoice.status == "PAID":
            if self.rng.random() < 0.12:
                self.credit(invoice, share=Decimal(self.rng.choice(("0.1", "0.25", "1.0"))))
            remaining = invoice.total - invoice.amount_credited
            if remaining > 0:
                instalments = 1 if self.rng.random() < 0.6 else self.rng.randint(2, 4)
                self.pay_in(invoice, remaining, instalments)
        elif invoice.status == "AUTHORISED":
            roll = self.rng.random()
            if roll < 0.25:
                self.pay_in(invoice, money(invoice.total * Decimal(self.rng.choice(("0.3", "0.5", "0.6")))),
                            self.rng.randint(2, 4))
            elif roll < 0.35:
                self.credit(invoice, share=Decimal("0.2"))

    def pay_in(self, invoice: Invoice, amount: Decimal, instalments: int) -> None:
        shares = sorted(self.rng.sample(range(1, 100), instalments - 1))
        cuts = [money(amount * Decimal(s) / 100) for s in shares]
        parts = [b - a for a, b in zip([Decimal(0), *cuts], [*cuts, amount], strict=True)]
        span = max(1, min((self.today - invoice.date).days, 90))
        days = sorted(self.rng.randrange(0, span + 1) for _ in parts)
        for part, offset in zip(parts, days, strict=True):
            paid_on = min(invoice.date + timedelta(days=offset), self.today)
            invoice.payments.append(Payment(self.ids.new(), invoice.invoice_id, paid_on, part,
                                            self.rng.choice(("Direct credit", "Bank transfer", "Card", "")),
                                            self.stamp(paid_on)))
            invoice.updated = max(invoice.updated, self.stamp(paid_on))

    def credit(self, invoice: Invoice, *, share: Decimal) -> None:
        kind = self.rng.choice(("CreditNote", "CreditNote", "CreditNote", "Overpayment", "Prepayment"))
        applied = money(invoice.total * share)
        on = min(invoice.date + timedelta(days=self.rng.randrange(1, 30)), self.today)
        number = f"CN-{self.rng.randrange(1000, 9999)}" if kind == "CreditNote" else ""
        invoice.credits.append(Credit(kind, self.ids.new(), number, on, applied, applied))

    # --- organisations ------------------------------------------------------------------------------------

    def organisation(self, profile: OrgProfile) -> OrgData:
        org = Organisation(
            tenant_id=self.ids.new(), name=profile.name, legal_name=profile.legal_name,
            base_currency=profile.currency, country_code=profile.country, version=profile.version,
            short_code=profile.short_code, timezone=profile.timezone, tax_rate=profile.tax_rate,
            created=self.stamp(self.today - timedelta(days=1400)), city=profile.city,
            line_of_business=profile.business,
        )
        return OrgData(org)

    def populate(self, data: OrgData, profile: OrgProfile, customers: tuple, archived: tuple,
                 suppliers: tuple, *, invoices_each: tuple[int, int]) -> None:
        active = [self.contact(data.org, row, customer=True, supplier=False, archived=False) for row in customers]
        gone = [self.contact(data.org, row, customer=True, supplier=False, archived=True) for row in archived]
        vendors = [self.contact(data.org, row, customer=False, supplier=True, archived=False) for row in suppliers]
        for contact in (*active, *gone, *vendors):
            data.contacts[contact.contact_id] = contact
        if active:
            active[-1].is_supplier = True  # one contact both buys and sells
        jobs = []
        for contact in active + gone:
            count = BIG_CUSTOMER_INVOICES if contact.name == BIG_CUSTOMER_NAME else self.rng.randint(*invoices_each)
            jobs += [(contact, "ACCREC") for _ in range(count)]
        for contact in vendors:
            jobs += [(contact, "ACCPAY") for _ in range(self.rng.randint(3, 8))]
        jobs.append((active[-1], "ACCPAY"))
        dated = sorted(((self.issue_date(contact), contact, kind) for contact, kind in jobs), key=lambda j: j[0])
        for issued, contact, kind in dated:
            status = self.status_for(issued, archived=contact.status == "ARCHIVED")
            self.invoice(data, profile, contact, kind=kind, status=status, issued=issued)
        self.make_sure_of_cases(data, profile, active)

    def issue_date(self, contact: Contact) -> date:
        back = 1200 if contact.status == "ARCHIVED" else 1000
        low = 700 if contact.status == "ARCHIVED" else 0
        return self.today - timedelta(days=self.rng.randrange(low, back))

    def status_for(self, issued: date, *, archived: bool) -> str:
        age = (self.today - issued).days
        if archived or age > 180:
            return self.rng.choices(("PAID", "VOIDED", "AUTHORISED", "DELETED"), (88, 6, 4, 2))[0]
        if age < 20:
            return self.rng.choices(("DRAFT", "SUBMITTED", "AUTHORISED", "PAID"), (20, 15, 50, 15))[0]
        return self.rng.choices(("PAID", "AUTHORISED", "DRAFT", "VOIDED", "DELETED"), (45, 43, 5, 4, 3))[0]

    def make_sure_of_cases(self, data: OrgData, profile: OrgProfile, active: list[Contact]) -> None:
        """Whatever the dice said, each organisation shows the cases the panel must handle."""
        customer = active[min(4, len(active) - 1)]
        recent = self.today - timedelta(days=10)
        overdue = self.today - timedelta(days=75)
        self.invoice(data, profile, customer, kind="ACCREC", status="DRAFT", issued=recent)
        self.invoice(data, profile, customer, kind="ACCREC", status="SUBMITTED", issued=recent)
        self.invoice(data, profile, customer, kind="ACCREC", status="AUTHORISED", issued=recent)
        self.invoice(data, profile, customer, kind="ACCREC", status="AUTHORISED", issued=overdue)
        self.invoice(data, profile, customer, kind="ACCREC", status="VOIDED", issued=overdue)
        self.invoice(data, profile, customer, kind="ACCREC", status="DELETED", issued=recent)
        partial = self.invoice(data, profile, customer, kind="ACCREC", status="DRAFT", issued=overdue)
        partial.status = "AUTHORISED"
        self.pay_in(partial, money(partial.total / 2), 3)
        credited = self.invoice(data, profile, customer, kind="ACCREC", status="DRAFT", issued=overdue)
        credited.status = "AUTHORISED"
        credited.credits.append(Credit("CreditNote", self.ids.new(), "CN-0042", overdue + timedelta(days=3),
                                       money(credited.total / 4), money(credited.total / 4)))
        for currency in profile.foreign:
            self.invoice(data, profile, customer, kind="ACCREC", status="AUTHORISED", issued=overdue,
                         currency=currency)
        if profile is STUDIO:
            scripted = next(c for c in active if c.name == SCRIPT_CONTACT_NAME)
            html = self.invoice(data, profile, scripted, kind="ACCREC", status="AUTHORISED", issued=recent)
            html.reference = HTML_REFERENCE


STREETS = ("Cuba Street", "Lambton Quay", "Queen Street", "Victoria Street", "High Street", "Gloucester Road",
           "Church Lane", "Harbour Road", "Park Avenue", "Station Road", "Tory Street", "Willis Street")


def build_seed(seed: int, today: date) -> SeedData:
    seeder = Seeder(seed, today)
    studio = seeder.organisation(STUDIO)
    joinery = seeder.organisation(JOINERY)
    seeder.populate(studio, STUDIO, STUDIO_CUSTOMERS, STUDIO_ARCHIVED, STUDIO_SUPPLIERS, invoices_each=(3, 9))
    seeder.populate(joinery, JOINERY, JOINERY_CUSTOMERS, JOINERY_ARCHIVED, JOINERY_SUPPLIERS, invoices_each=(4, 12))
    users = {
        DEMO_EMAIL: User(seeder.ids.new(), DEMO_EMAIL, DEMO_PASSWORD, "Dana", "Demo",
                         (studio.org.tenant_id, joinery.org.tenant_id)),
        SECOND_EMAIL: User(seeder.ids.new(), SECOND_EMAIL, SECOND_PASSWORD, "Olivia", "Hart",
                           (joinery.org.tenant_id,)),
    }
    return SeedData({d.org.tenant_id: d for d in (studio, joinery)}, users)


def build_large_organisation(seed: int, today: date, *, invoices: int = 100_000, contacts: int = 2_000) -> OrgData:
    """A big organisation for benchmarks: `invoices` sales invoices spread over `contacts` customers.

    Built on a fast path (one line per invoice from a pool of priced lines, one payment when paid), since the
    point is volume: about a second per 50,000 invoices instead of the demo seed's careful dice.
    """
    seeder = Seeder(seed * 7919 + invoices, today)
    rng, ids = seeder.rng, seeder.ids
    profile = OrgProfile(**{**STUDIO.__dict__, "name": f"Benchmark Holdings ({invoices:,} invoices)",
                            "legal_name": "Benchmark Holdings Limited", "short_code": f"!bNch{seed % 10}",
                            "foreign": ()})
    data = seeder.organisation(profile)
    people = []
    for n in range(contacts):
        row = (f"Customer {n + 1:05d} Ltd", "Pat", f"Customer{n + 1}", f"customer{n + 1}@bench.example",
               "Auckland", "NZ", "NZD")
        contact = seeder.contact(data.org, row, customer=True, supplier=False, archived=False)
        data.contacts[contact.contact_id] = contact
        people.append(contact)
    priced = [seeder.lines(profile, profile.products, 1)[0] for _ in range(256)]
    stamps = [datetime.combine(today - timedelta(days=d), time(9), tzinfo=UTC) for d in range(1501)]
    for n in range(invoices):
        age = rng.randrange(0, 1500)
        issued = today - timedelta(days=age)
        template = priced[n % 256]
        line = LineItem(ids.new(), template.description, template.quantity, template.unit_amount,
                        template.account_code, template.tax_type, template.tax_amount)
        roll = rng.random()
        status = "PAID" if roll < (0.9 if age > 60 else 0.4) else ("AUTHORISED" if roll < 0.97 else "VOIDED")
        invoice = Invoice(ids.new(), data.org.tenant_id, "ACCREC", f"INV-{n + 1:06d}", "", people[n % contacts]
                          .contact_id, issued, issued + timedelta(days=20), status, "NZD", Decimal("1.000000"),
                          [line], stamps[max(0, age - 1)], sent_to_contact=True)
        if status == "PAID":
            paid_on = min(issued + timedelta(days=14), today)
            invoice.payments.append(Payment(ids.new(), invoice.invoice_id, paid_on, invoice.total, "",
                                            stamps[(today - paid_on).days]))
        data.add_invoice(invoice)
    data.next_number = invoices + 1
    return data
