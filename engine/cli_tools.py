"""The policy authors' commands (check, test, diff): registered into ``podeval``'s parser by ``cli``."""

from __future__ import annotations

import argparse
from typing import Callable

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def register(sub, add_scenario_inputs) -> None:
    """Add this module's subcommands to the ``podeval`` sub-parsers."""


def run(args: argparse.Namespace) -> int:
    return COMMANDS[args.command](args)
