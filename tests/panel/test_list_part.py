"""A tab click's whole answer (part=rows) is reused only while everything it prints is unchanged, and is what
rendering panel/_rows_part.html prints."""

from __future__ import annotations

from datetime import date

from flask import render_template, template_rendered
from jinja2 import meta, nodes
from msgspec.structs import replace

from plugin.domain.invoices import AgeBucket, View
from plugin.panel import list_part
from plugin.panel.model import PanelQuery, build_panel
from plugin.web import formatting
from tests.panel.builders import make_invoice
from tests.panel.conftest import contact_record
from tests.panel.test_rows import _reads_of

TODAY = date(2026, 3, 1)
OWED = make_invoice(number="INV-1", total="120.00", due_date="2026-02-10")
PAID = make_invoice(number="INV-2", total="80.00", paid="80.00")
SOON = make_invoice(number="INV-3", total="5.00", due_date="2026-03-21")
UNPAID = PanelQuery(view=View.UNPAID)


def _page(*invoices, query: PanelQuery | None = None, pinned: frozenset[str] = frozenset()):
    return build_panel(tuple(invoices), query or PanelQuery(), today=TODAY, pinned_ids=pinned,
                       link_for=lambda invoice: f"https://go/{invoice.invoice_number}", fetched_at=None,
                       base_currency="NZD")


def _pages():
    every = (OWED, PAID, SOON)
    for view in View:
        yield _page(*every, query=PanelQuery(view=view))
    yield _page(*every, query=PanelQuery(view=View.UNPAID, limit=1))  # Show more
    yield _page(*every, query=PanelQuery(q="INV-1"))
    yield _page(*every, query=PanelQuery(start="2026-03-01", end="2026-01-01"))  # the end-before-start message
    yield _page(*every, query=PanelQuery(view=View.OVERDUE, age=AgeBucket.parse("1-30"), currency="NZD"))
    yield _page(*every, pinned=frozenset({OWED.invoice_id}))
    yield _page()


def _both(page, locale: str) -> tuple[str, str]:
    """(rendered now, through the memo) for `page`."""
    settings = {"page": page, "locale": formatting.user_locale(locale), "oob": False}
    fresh = render_template(list_part.PART_TEMPLATE, **settings)
    return fresh, list_part.rendered(page, settings["locale"],
                                     lambda: render_template(list_part.PART_TEMPLATE, **settings))


def test_a_reused_part_prints_exactly_what_rendering_it_prints(app):
    for language, locale in (("en", "en-NZ"), ("de", "de-DE")):
        for flags in ("", "?dates_flagged=1", "?clear=1"):
            with app.test_request_context(f"/panel/invoices{flags}", headers={"Accept-Language": language}):
                for page in _pages():
                    fresh, first = _both(page, locale)
                    assert first == fresh
                    assert _both(page, locale)[1] == fresh  # reused


def test_a_changed_pin_count_query_language_or_refetched_invoice_is_rendered_again(app):
    with app.test_request_context("/panel/invoices"):
        plain = _both(_page(OWED, PAID, query=UNPAID), "en-NZ")[1]
        pinned = _both(_page(OWED, PAID, query=UNPAID, pinned=frozenset({OWED.invoice_id})), "en-NZ")[1]
        one_more = _both(_page(OWED, PAID, SOON, query=UNPAID), "en-NZ")[1]
        limited = _both(_page(OWED, PAID, SOON, query=PanelQuery(view=View.UNPAID, limit=1)), "en-NZ")[1]
        refetched = _both(_page(replace(OWED, amount_due=OWED.amount_due), PAID, query=UNPAID), "en-NZ")
    with app.test_request_context("/panel/invoices", headers={"Accept-Language": "de"}):
        german = _both(_page(OWED, PAID, query=UNPAID), "de-DE")[1]
    assert plain != pinned and 'aria-pressed="true"' in pinned
    assert 'id="count-open" class="views__count">0<' in plain and 'id="count-open" class="views__count">1<' in one_more
    assert "Show more" in limited and "Show more" not in one_more
    assert refetched[1] == refetched[0]  # a new invoice object (a new fetch) is rendered, not looked up by its id
    assert "Offen" in german and "Offen" not in plain and "INV-1" in german


def _page_reads(env, name: str) -> tuple[set[str], set[str], set[tuple[str, ...]]]:
    """What a template (with what it includes) reads of `page`, of `request`, and the names it asks request.values
    for."""
    tree = env.parse(env.loader.get_source(env, name)[0])
    reads = {node.attr for node in tree.find_all(nodes.Getattr)
             if isinstance(node.node, nodes.Name) and node.node.name == "page"}
    of_request = {node.attr for node in tree.find_all(nodes.Getattr)
                  if isinstance(node.node, nodes.Name) and node.node.name == "request"}
    asked = {tuple(arg.value for arg in call.args if isinstance(arg, nodes.Const)) for call in tree.find_all(nodes.Call)
             if isinstance(call.node, nodes.Getattr) and isinstance(call.node.node, nodes.Getattr)
             and getattr(call.node.node.node, "name", "") == "request"}
    for included in meta.find_referenced_templates(tree):
        more = _page_reads(env, included)
        reads, of_request, asked = reads | more[0], of_request | more[1], asked | more[2]
    return reads, of_request, asked


def test_the_part_reads_nothing_its_key_does_not_hold(app):
    """The key holds PAGE_FIELDS_READ of the page, the request flags, the locale, the language and the URL root
    (plugin.panel.list_part): safe only while the part's templates read nothing else of the page, the request or the
    context (no user, time zone or session). The tabs' own memo reads the view and counts, which the key holds."""
    variables, globals_used, filters = _reads_of(app.jinja_env, list_part.PART_TEMPLATE)
    assert variables <= {"page", "oob"}
    assert globals_used <= {"rendered_views", "rendered_rows", "request", "url_for", "_", "ngettext"}
    reading_the_context = {name for name in filters
                           if getattr(getattr(app.jinja_env.filters[name], "jinja_pass_arg", None), "name", "")
                           == "context"}
    assert reading_the_context <= {"money", "day"}  # each reads `locale` alone (plugin.web.formatting)
    page_fields, of_request, asked = _page_reads(app.jinja_env, list_part.PART_TEMPLATE)
    assert page_fields <= list_part.PAGE_FIELDS_READ
    assert of_request == {"values"} and {name for names in asked for name in names} <= set(list_part.REQUEST_FLAGS)


def test_a_warm_tab_click_answers_with_the_kept_part_and_renders_nothing(panel, customer):
    panel.open(contact_record(customer))
    rendered: list[str] = []

    def note(sender, template, context, **extra):
        rendered.append(template.name)

    first = panel.get("/panel/invoices", view="unpaid", part="rows").get_data(as_text=True)
    with template_rendered.connected_to(note, panel.app):
        again = panel.get("/panel/invoices", view="unpaid", part="rows").get_data(as_text=True)
    assert again == first and "invoice__number" in first
    assert rendered == []


def test_a_list_grown_past_two_pages_is_rendered_each_time_not_kept(app):
    many = tuple(make_invoice(number=f"INV-{n:03d}", due_date="2026-03-20") for n in range(list_part.MAX_ROWS_KEPT + 1))
    page = _page(*many, query=PanelQuery(limit=len(many)))
    renders: list[int] = []
    with app.test_request_context("/panel/invoices"):
        for _ in range(2):
            list_part.rendered(page, formatting.user_locale("en-NZ"), lambda: str(renders.append(1) or len(renders)))
    assert len(page.rows) > list_part.MAX_ROWS_KEPT and renders == [1, 1]


def test_the_kept_parts_stay_within_their_byte_bound(app):
    """Each entry counts its HTML and the invoices it keeps alive; the memo never holds more than MAX_PART_BYTES."""
    page = _page(OWED, PAID, SOON, query=UNPAID)
    size = list_part.INVOICE_BYTES * len(page.rows)
    html = "x" * (list_part.MAX_PART_BYTES // 3 - size)  # three of these fill the bound
    with app.test_request_context("/panel/invoices"):
        for language in ("en-NZ", "de-DE", "fr-FR", "es-ES", "nl-NL"):
            list_part.rendered(page, formatting.user_locale(language), lambda: html)
    kept = list_part._rendered
    assert len(kept) == 3
