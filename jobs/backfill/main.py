"""Cloud Run Job `nba-orch-backfill`: `nba-orch backfill` in Google Cloud (docs/backfill.md, docs/deploy.md).

Thin, like the functions' entry points: the arguments, the run, the JSON log lines and the exit code are
`shared.backfill.job.main`'s, which runs the same code as the command line (shared/backfill/command.py).
Not a function: a job is a process that runs to completion, started by `gcloud run jobs execute` (the
Procfile next to this file runs it), so it has no CloudEvent and no `functions_framework`.
"""

import sys

from shared.backfill.job import main

if __name__ == "__main__":
    sys.exit(main())
