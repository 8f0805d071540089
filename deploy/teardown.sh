#!/usr/bin/env bash
# Removes what deploy/deploy.sh created, after a confirmation (or --yes). Usage:
#   deploy/teardown.sh --project P [--region R] [--keep-data] [--yes] [--dry-run]  (docs/deploy.md)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
py="$root/.venv/bin/python"
[ -x "$py" ] || py="${PYTHON:-python3}"
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"
exec "$py" -m deploy.teardown "$@"
