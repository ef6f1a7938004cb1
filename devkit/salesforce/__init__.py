"""A small Salesforce for running and testing the Salesforce Canvas host without Salesforce (see app.py)."""

from devkit.salesforce.app import create_salesforce
from devkit.salesforce.signer import sign_envelope
from devkit.salesforce.state import ConnectedApp, SalesforceState
from devkit.salesforce.world import SalesforceWorld, start_salesforce_world

__all__ = ["ConnectedApp", "SalesforceState", "SalesforceWorld", "create_salesforce", "sign_envelope",
           "start_salesforce_world"]
