"""``python -m albumsum`` and the desktop bundle's entry point: the ``albumsum`` command."""

import sys

from albumsum.cli import main

if __name__ == "__main__":
    sys.exit(main())
