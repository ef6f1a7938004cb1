"""placeholder"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("emulator_controls", __name__)
