"""A plain (non-editable) install carries templates/, static/ and manifest.json inside the package, and the dev kit
beside it: the demo CRM finds its templates in the installed plugin/_data, and its commands are entry points."""

from __future__ import annotations

import json
import site
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CHECK_INSTALLED_COPY = textwrap.dedent(
    """
    import json, sys
    import plugin
    from plugin import create_app
    from plugin.web import paths
    assert "site-packages" in str(paths.TEMPLATES_DIR), paths.TEMPLATES_DIR
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})
    with app.test_request_context():
        from flask import render_template_string
        html = render_template_string("{% include 'base.html' ignore missing %}ok")
    print(json.dumps({
        "package": plugin.__file__,
        "templates": sorted(p.name for p in paths.TEMPLATES_DIR.iterdir()),
        "htmx": (paths.STATIC_DIR / "htmx.min.js").is_file(),
        "manifest": json.loads(paths.MANIFEST_PATH.read_text()) is not None,
        "rendered": html.endswith("ok"),
    }))
    """
)

CHECK_INSTALLED_DEVKIT = textwrap.dedent(
    """
    import json
    from importlib.metadata import entry_points
    import devkit
    from devkit import paths
    from devkit.emulator import create_emulator
    commands = {e.name: e.load() for e in entry_points(group="xero_panel.commands")}
    client = create_emulator(seed=1).test_client()
    print(json.dumps({
        "package": devkit.__file__,
        "templates": str(paths.TEMPLATES_DIR),
        "crm_templates": (paths.TEMPLATES_DIR / "democrm" / "base.html").is_file(),
        "crm_css": (paths.STATIC_DIR / "democrm.css").is_file(),
        "commands": {name: type(command).__name__ for name, command in commands.items()},
        "connections": client.get("/Connections").status_code,
    }))
    """
)


@pytest.mark.slow
def test_wheel_installs_with_templates_static_and_manifest(tmp_path):
    wheel_dir = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(wheel_dir), str(ROOT)],
        check=True,
    )
    wheel = next(wheel_dir.glob("xero_invoice_panel-*.whl"))

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    # The fresh venv borrows the test environment's third-party packages but not its editable plugin.
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    Path(purelib, "borrowed.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", purelib, str(wheel)],
                   check=True)

    result = subprocess.run([python, "-I", "-c", CHECK_INSTALLED_COPY], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert str(env_dir) in facts["package"]
    assert facts["htmx"] and facts["manifest"] and facts["rendered"]
    assert facts["templates"], "templates folder is empty in the installed copy"

    result = subprocess.run([python, "-I", "-c", CHECK_INSTALLED_DEVKIT], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    devkit = json.loads(result.stdout.strip().splitlines()[-1])
    assert str(env_dir) in devkit["package"]
    assert devkit["templates"].endswith("plugin/_data/templates") and str(env_dir) in devkit["templates"]
    assert devkit["crm_templates"] and devkit["crm_css"]
    assert devkit["commands"] == {"demo": "Command", "emulator": "Command", "bench": "Command"}
    assert devkit["connections"] == 401, "the emulator answers /Connections (no token: 401), not 404"
