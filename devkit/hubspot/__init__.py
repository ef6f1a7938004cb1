"""A small HubSpot for running and testing the HubSpot host without HubSpot (see app.py)."""

from devkit.hubspot.app import create_hubspot
from devkit.hubspot.signer import signed_headers, v3_signature
from devkit.hubspot.state import App, HubSpotState
from devkit.hubspot.world import HubSpotWorld, start_hubspot_world

__all__ = ["App", "HubSpotState", "HubSpotWorld", "create_hubspot", "signed_headers", "start_hubspot_world",
           "v3_signature"]
