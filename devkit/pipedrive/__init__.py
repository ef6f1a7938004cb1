"""A small Pipedrive for running and testing the Pipedrive host without Pipedrive (see app.py)."""

from devkit.pipedrive.app import create_pipedrive
from devkit.pipedrive.signer import frame_token, sign_hs256
from devkit.pipedrive.state import App, PipedriveState
from devkit.pipedrive.world import PipedriveWorld, start_pipedrive_world

__all__ = ["App", "PipedriveState", "PipedriveWorld", "create_pipedrive", "frame_token", "sign_hs256",
           "start_pipedrive_world"]
