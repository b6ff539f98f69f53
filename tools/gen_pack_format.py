#!/usr/bin/env python3
"""Regenerate what the declaration of the rule-pack format (``engine/pack/pack_format.py``) makes.

``python tools/gen_pack_format.py`` writes ``engine/data/pack.schema.json`` (the JSON Schema of the three pack
files, with the strategy and transform registries) and the reference tables of ``docs/policy-authors.md`` (between
its ``pack-format`` marker comments). ``--json-schema`` and ``--reference`` print them instead. Run it after
changing the declaration or adding a strategy or transform: ``tests/test_pack_format.py`` fails while either file
is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.pack import pack_schema  # the checkout's engine, whatever is installed
from engine.pack.rules import registries


def main(argv: list[str]) -> int:
    if argv == ["--json-schema"]:
        sys.stdout.write(pack_schema.schema_text(pack_schema.json_schema(registries())))
        return 0
    if argv == ["--reference"]:
        sys.stdout.write(pack_schema.reference() + "\n")
        return 0
    if argv:
        print("usage: python tools/gen_pack_format.py [--json-schema | --reference]", file=sys.stderr)
        return 2
    try:
        for path in pack_schema.write(pack_schema.json_schema(registries())):
            print(f"wrote {path}")
    except ValueError as error:  # the guide lost its marker comments
        print(f"gen_pack_format: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
