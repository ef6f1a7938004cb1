"""The dev kit stands alone: it imports nothing of the product but `plugin.create_app` (in the demo launcher).
The benchmark (devkit/bench*.py) is the exception by design: it measures the product, so it imports what it measures."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

from devkit import settings
from devkit.clock import Clock, SystemClock
from devkit.democrm.context import encode_context
from devkit.paths import STATIC_DIR, TEMPLATES_DIR
from plugin import settings as config
from plugin.domain.clock import FixedClock
from plugin.embed.context import verify_context

ROOT = Path(__file__).resolve().parents[2]
DEVKIT = ROOT / "devkit"
ALLOWED = {("devkit/democrm/launcher.py", "plugin", "create_app"),
           ("devkit/pipedrive/world.py", "plugin", "create_app"),
           ("devkit/hubspot/world.py", "plugin", "create_app"),
           ("devkit/salesforce/world.py", "plugin", "create_app"),
           ("devkit/freshworks/world.py", "plugin", "create_app")}


def _product_imports() -> set[tuple[str, str, str]]:
    found = set()
    for path in DEVKIT.rglob("*.py"):
        if path.name.startswith("bench"):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            where = str(path.relative_to(ROOT))
            if isinstance(node, ast.Import):
                found |= {(where, a.name, "*") for a in node.names if a.name.split(".")[0] == "plugin"}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "plugin":
                found |= {(where, node.module, a.name) for a in node.names}
    return found


def test_the_only_product_name_the_devkit_imports_is_create_app():
    assert _product_imports() == ALLOWED


BLOCKED_PRODUCT = textwrap.dedent(
    """
    import sys

    class NoProduct:
        def find_spec(self, name, path=None, target=None):
            if name == "plugin" or name.startswith("plugin."):
                raise ImportError(f"the dev kit imported {name}")
            return None

    sys.meta_path.insert(0, NoProduct())

    from click.testing import CliRunner

    from devkit import commands
    from devkit.democrm.app import create_demo_crm, crm_directory
    from devkit.democrm.records import build_directory
    from devkit.emulator.server import serve_emulator

    served = serve_emulator(seed=1)
    try:
        import requests
        assert requests.get(served.url + "/Connections", timeout=5).status_code == 401
        state = served.state
        tenant = state.tenants[0]["tenant_id"]
        crm = create_demo_crm(panel_url="http://127.0.0.1:9", context_secret="s" * 32,
                              directory=build_directory(state.customers(tenant)))
        contacts = crm.test_client().get("/contacts")
        assert contacts.status_code == 200, contacts.status_code
        first = crm_directory(crm).contacts[0]
        page = crm.test_client().get(f"/contacts/{first.id}")
        assert page.status_code == 200 and "context=" in page.get_data(as_text=True)
        assert crm.test_client().get("/static/democrm.css").status_code == 200
    finally:
        served.stop()
    assert CliRunner().invoke(commands.demo, ["--help"]).exit_code == 0
    from devkit.pipedrive import PipedriveState, create_pipedrive
    pipedrive = PipedriveState()
    pipedrive.seed(build_directory(state.customers(tenant)))
    assert create_pipedrive(pipedrive).test_client().get("/").status_code == 200
    from devkit.hubspot import HubSpotState, create_hubspot
    hubspot = HubSpotState()
    hubspot.seed(build_directory(state.customers(tenant)))
    assert create_hubspot(hubspot).test_client().get("/").status_code == 200
    from devkit.salesforce import SalesforceState, create_salesforce
    salesforce = SalesforceState()
    salesforce.seed(build_directory(state.customers(tenant)))
    assert create_salesforce(salesforce).test_client().get("/").status_code == 200
    assert not [name for name in sys.modules if name == "plugin" or name.startswith("plugin.")]
    print("standalone")
    """
)


def test_emulator_crm_and_commands_run_with_the_product_unimportable():
    result = subprocess.run([sys.executable, "-c", BLOCKED_PRODUCT], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("standalone")


def test_the_demo_client_matches_the_products_embedded_default():
    """The product keeps its own copy of the emulator's client; they must name the same client."""
    assert (settings.DEMO_CLIENT_ID, settings.DEMO_CLIENT_SECRET) == (config.EMULATOR_CLIENT_ID,
                                                                      config.EMULATOR_CLIENT_SECRET)
    assert set(settings.DEMO_SCOPES.split()) >= set(config.GRANULAR_SCOPES.split())


def test_the_crms_hand_written_hs256_context_passes_the_panels_verifier():
    clock = FixedClock.at("2026-03-01T09:00:00+00:00")
    claims = {"iss": "demo-crm", "aud": "xero-invoice-panel", "account": "acct-1",
              "user": {"id": "u1", "email": "rep@example.com", "name": "Rēp Ōne", "role": "member"},
              "record": {"type": "contact", "id": "c1", "name": "Aroha", "email": "a@example.com", "company": ""}}

    class Once:
        def first_use(self, jti, expires_at):
            return True

    token = encode_context(claims, "x" * 32, clock=clock)
    context = verify_context(token, secret="x" * 32, issuer="demo-crm", audience="xero-invoice-panel", clock=clock,
                             replay_guard=Once())

    assert context.account_id == "acct-1" and context.user.name == "Rēp Ōne" and context.record.id == "c1"
    assert (context.expires_at - clock.now()).total_seconds() == 600


def test_the_devkit_clock_is_duck_typed_so_the_products_fixed_clock_fits():
    assert isinstance(SystemClock(), Clock) and isinstance(FixedClock.at("2026-03-01"), Clock)


def test_the_demo_crm_finds_its_templates_and_stylesheet():
    assert (TEMPLATES_DIR / "democrm" / "base.html").is_file() and (STATIC_DIR / "democrm.css").is_file()
