#!/usr/bin/env bash
# Idempotent deploy of nba-orch to Google Cloud: creates what is missing, updates what differs, so a second
# run only describes. Usage: deploy/deploy.sh --project P [--region R] [--environment E] [--only KINDS]
# [--plan | --dry-run]; --plan exits 2 when something would change, 0 when nothing (docs/deploy.md)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
py="$root/.venv/bin/python"
[ -x "$py" ] || py="${PYTHON:-python3}"
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"
exec "$py" -m deploy.deploy "$@"
