"""`python -m tooling.cli ...`: the command line without the installed `nba-orch` script (a container built
from the source tree, e.g. the backfill's Cloud Run Job, docs/backfill.md)."""

import sys

from tooling.cli import main

sys.exit(main())
