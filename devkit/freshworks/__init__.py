"""A small Freshsales for running and testing the Freshworks host without Freshworks (see app.py): its API reads,
a placeholder host running our Freshworks app's front end with a stub FDK client, and the app's serverless
function run under Node (fdk_runner.js)."""

from devkit.freshworks.app import create_freshsales
from devkit.freshworks.smi import run_function
from devkit.freshworks.state import FreshsalesState
from devkit.freshworks.world import FreshworksWorld, start_freshworks_world

__all__ = ["FreshsalesState", "FreshworksWorld", "create_freshsales", "run_function", "start_freshworks_world"]
