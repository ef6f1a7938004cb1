"""Where the non-Python parts of the product live.

In a source checkout `templates/`, `static/` and `manifest.json` sit at the repository root. A built
wheel carries them inside the package under `_data/` (see pyproject's force-include), so that a
plain `pip install .` works without the checkout. One function decides which copy to use.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the plugin package


def _data_root() -> Path:
    installed = PACKAGE_DIR / "_data"
    if installed.is_dir():
        return installed
    return PACKAGE_DIR.parent


DATA_ROOT = _data_root()
TEMPLATES_DIR = DATA_ROOT / "templates"
STATIC_DIR = DATA_ROOT / "static"
MANIFEST_PATH = DATA_ROOT / "manifest.json"
TRANSLATIONS_DIR = PACKAGE_DIR / "translations"  # inside the package: a wheel carries the catalogs as they are
