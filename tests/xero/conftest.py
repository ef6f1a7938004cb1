"""Builders of Xero-shaped JSON for the client's unit tests."""

from __future__ import annotations

from typing import Any

import pytest


def invoice_json(**overrides: Any) -> dict[str, Any]:
    """One invoice as Xero writes it (the spec's INV-0002 example, trimmed)."""
    invoice = {
        "Type": "ACCREC",
        "InvoiceID": "046d8a6d-1ae1-4b4d-9340-5601bdf41b87",
        "InvoiceNumber": "INV-0002",
        "Reference": "Red Fish, Blue Fish",
        "Payments": [
            {
                "PaymentID": "99ea7f6b-c513-4066-bc27-b7c65dcd76c2",
                "Date": "/Date(1543449600000+0000)/",
                "Amount": 46.00,
                "CurrencyRate": 1.000000,
            }
        ],
        "CreditNotes": [],
        "Prepayments": [],
        "Overpayments": [],
        "AmountDue": 0.00,
        "AmountPaid": 46.00,
        "AmountCredited": 0.00,
        "Contact": {"ContactID": "a3675fc4-f8dd-4f03-ba5b-f1870566bcd7", "Name": "Barney Rubble-83203"},
        "DateString": "2018-10-20T00:00:00",
        "Date": "/Date(1539993600000+0000)/",
        "DueDateString": "2018-12-30T00:00:00",
        "DueDate": "/Date(1546128000000+0000)/",
        "Status": "PAID",
        "SubTotal": 40.00,
        "TotalTax": 6.00,
        "Total": 46.00,
        "UpdatedDateUTC": "/Date(1541176592690+0000)/",
        "CurrencyCode": "NZD",
    }
    invoice.update(overrides)
    return invoice


@pytest.fixture
def invoice_data() -> dict[str, Any]:
    return invoice_json()
