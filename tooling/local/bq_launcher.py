"""Start bqemulator offline: its start-up downloads DuckDB's `spatial` extension, which fails without a
network. This launcher turns that step into a no-op (GEOGRAPHY is then unavailable; we do not use it) and
runs the emulator's own command line. Run it with the emulator's virtualenv python; it imports nothing of ours.
"""

import sys

from bqemulator.storage import engine

engine.DuckDBEngine._load_spatial = lambda self: None  # noqa: SLF001

from bqemulator.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
