"""The catalogs: <lang>/LC_MESSAGES/messages.po (edited) and messages.mo (compiled, committed: a wheel carries it).

`KEYWORDS` and `METHOD_MAP` are pybabel's extraction settings (babel.cfg says the same for the command line);
tests/web/test_translations.py and `python -m plugin.translations` use them through Babel's extraction API.
"""

from __future__ import annotations

from pathlib import Path

DIRECTORY = Path(__file__).resolve().parent
LANGUAGES = ("de", "fr", "es", "nl", "pt_BR")
# gettext/ngettext (templates), N_/Nn_ (plugin.domain.text's markers), as `pybabel extract -k N_ -k Nn_:1,2`.
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "Nn_": (1, 2)}
METHOD_MAP = [
    ("plugin/**.py", "python"),
    ("templates/democrm/**", "ignore"),
    ("templates/**.html", "jinja2"),
]
