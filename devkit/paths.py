"""Where the demo CRM's templates (`templates/democrm/`) and stylesheet (`static/democrm.css`) are.

They live beside the product's in the repository's top-level `templates/` and `static/`. A source
checkout (or an editable install) has them next to this package; an installed wheel carries them in
the product package's data folder, `plugin/_data/`. The product package is located without importing it.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
MARKER = Path("templates") / "democrm" / "base.html"


def _candidates() -> Iterator[Path]:
    yield PACKAGE_DIR.parent  # a checkout: devkit/ beside templates/ and static/
    spec = importlib.util.find_spec("plugin")
    for location in (spec.submodule_search_locations or []) if spec else []:
        yield Path(location) / "_data"  # a wheel: plugin/_data/templates, plugin/_data/static
        yield Path(location).parent  # an editable install of another checkout


def data_root() -> Path:
    """The folder holding `templates/` and `static/` with the demo CRM's files in them."""
    for root in _candidates():
        if (root / MARKER).is_file():
            return root
    raise FileNotFoundError("the demo CRM's templates (templates/democrm/) are neither beside the devkit "
                            "package nor in the installed plugin package's _data folder")


DATA_ROOT = data_root()
TEMPLATES_DIR = DATA_ROOT / "templates"
STATIC_DIR = DATA_ROOT / "static"
