"""placeholder"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("emulator_identity", __name__)
