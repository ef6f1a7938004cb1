"""The demo OAuth client the emulator registers, and the scopes it grants by default.

The product's embedded default (`plugin.settings`) keeps its own copy of the client id and secret; a test
(tests/emulator/test_standalone.py) checks the two still agree.
"""

from __future__ import annotations

DEMO_CLIENT_ID = "emulator-panel-client"
DEMO_CLIENT_SECRET = "emulator-panel-secret"
DEMO_CLIENT_NAME = "Xero invoice panel (demo)"

# Xero's granular scopes for reading invoices, payments, contacts and the organisation, plus OpenID Connect
# and a refresh token.
DEMO_SCOPES = (
    "openid profile email offline_access "
    "accounting.invoices.read accounting.payments.read "
    "accounting.contacts.read accounting.settings.read"
)
