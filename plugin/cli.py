"""The `xero-panel` command. Each subcommand lives with the code it runs; this file only parses."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# subcommand -> (module, function, help). The function takes the parsed argparse.Namespace.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "emulator": ("devkit.emulator.server", "run", "run the local Xero emulator"),  # dev kit
    "demo": ("devkit.democrm.launcher", "run", "run emulator, panel and demo CRM on three ports"),  # dev kit
    "serve": ("plugin.serve", "run", "run the panel app under gunicorn"),
    "context": ("plugin.embed.cli", "run", "print a signed embedding-context URL"),
    "db": ("plugin.storage.cli", "run", "database migrations: `db upgrade`"),
    "bench": ("plugin.bench", "run", "run the benchmark and print figures"),
}


def _add_arguments(name: str, parser: argparse.ArgumentParser) -> None:
    if name == "emulator":
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=5001)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--redirect-uri", action="append", default=[],
                            help="extra redirect URI to register for the demo client")
    elif name == "demo":
        parser.add_argument("--emulator-port", type=int, default=5001)
        parser.add_argument("--panel-port", type=int, default=5002)
        parser.add_argument("--crm-port", type=int, default=5003)
        parser.add_argument("--seed", type=int, default=1)
    elif name == "serve":
        parser.add_argument("--bind", default="127.0.0.1:5002")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4, help="threads per worker")
        parser.add_argument("--access-log", help="file for gunicorn's access log ('-' for stdout; off by default)")
    elif name == "context":
        parser.add_argument("--account", required=True, help="CRM account id")
        parser.add_argument("--role", choices=["admin", "member"], default="member")
        parser.add_argument("--record", help="TYPE:ID, e.g. contact:42")
        parser.add_argument("--email", default="", help="the record's email")
        parser.add_argument("--name", default="", help="the record's name")
        parser.add_argument("--company", default="", help="the record's company name")
        parser.add_argument("--user-id", default="u1")
        parser.add_argument("--user-email", default="rep@example.com")
        parser.add_argument("--user-name", default="Demo Rep")
        parser.add_argument("--locale", default="en-NZ")
        parser.add_argument("--timezone", default="Pacific/Auckland")
        parser.add_argument("--page", choices=["panel", "admin"], default="panel")
        parser.add_argument("--secret", help="signing secret (default: configured CONTEXT_SECRET)")
        parser.add_argument("--base-url", help="panel base URL (default: configured PUBLIC_URL)")
    elif name == "db":
        parser.add_argument("action", choices=["upgrade", "current"])
    elif name == "bench":
        parser.add_argument("--quick", action="store_true", help="smaller runs, for CI smoke")
        parser.add_argument("--json", default="bench-results/bench.json")
        parser.add_argument("--duration", type=float, default=60.0, help="seconds of the load run")
        parser.add_argument("--users", type=int, default=50, help="concurrent users in the load run")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers in the load run")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xero-panel", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name, (_module, _func, help_text) in COMMANDS.items():
        _add_arguments(name, subparsers.add_parser(name, help=help_text))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    module_name, func_name, _ = COMMANDS[args.command]
    func = getattr(importlib.import_module(module_name), func_name)
    return int(func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
