"""`python -m tooling.cli ...`: the command line without the installed `nba-orch` script (a container built
from the source tree, e.g. the backfill's Cloud Run Job, docs/backfill.md). Guarded: the verb discovery of
`build_parser` imports every module of this package, this one included."""

import sys

if __name__ == "__main__":
    from tooling.cli import main

    sys.exit(main())
