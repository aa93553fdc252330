"""The ``albumsum`` command. The window and the index / summarize / export sub-commands arrive
with the app; for now it reports its version and the model it would use."""

from __future__ import annotations

import argparse

from albumsum import __version__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="albumsum", description="Summarise photo albums by facial expression.")
    parser.add_argument("--version", action="version", version=f"albumsum {__version__}")
    parser.add_argument("--model-info", action="store_true", help="describe the bundled default model")
    args = parser.parse_args(argv)
    if args.model_info:
        from albumsum.core.resources import describe_default_model

        print(describe_default_model())
        return 0
    parser.print_help()
    return 0
