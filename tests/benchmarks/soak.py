"""Soak: seven consecutive simulated days with about 10% injected faults, then the accounting.

Faults: random upstream faults on 10% of upstream requests (500/503/429 with Retry-After/timeouts/truncated
and wrong-shape JSON, from the replay server), every message delivered twice (two push subscriptions per
topic), and scraper crashes after the fetch, the GCS write and the notification (redelivered), plus one run
lost after its write each day (only cleanup can repair it). At the end, for the whole week:
- every expected run is accounted for: a decision at its tick, RUN or SKIP/ABORT with a reason;
- 0 files without a notification (a notification recorded for every raw file);
- 0 duplicates: no two raw files for one request, no two log rows for one execution id, no two decisions for
  one workflow and slot, no two original (non-recovery) notifications for one file;
- the run ledger the controller reads and the audit log agree: one run record per logged (non-recovery) run.

Runs on its own emulator stack (ports 18xxx/19xxx), stops it afterwards; prints per-day and weekly figures.

    .venv/bin/python tests/benchmarks/soak.py [--days 7] [--start 2025-01-13] [--fault-rate 0.1]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

FAULTS = "after_fetch:*:crash:3,after_write:*:crash:2,after_notify:*:crash:2,after_write:bdl_active_players:lose:1"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--start", default="2025-01-13")
    ap.add_argument("--fault-rate", type=float, default=0.10)
    ap.add_argument("--duplicates", type=int, default=2)
    args = ap.parse_args()

    state = tempfile.mkdtemp(prefix="nba-orch-soak-")
    os.environ.update(
        {
            "NBA_ORCH_STATE_DIR": state,
            "NBA_ORCH_PUBSUB_PORT": "18485",
            "NBA_ORCH_BQ_PORT": "19450",
            "NBA_ORCH_BQ_GRPC_PORT": "19460",
            "NBA_ORCH_GCS_PORT": "19423",
        }
    )
    for k in ("PUBSUB_EMULATOR_HOST", "STORAGE_EMULATOR_HOST", "BIGQUERY_EMULATOR_HOST"):
        os.environ.pop(k, None)

    from shared import clients
    from shared.adapters import gcs
    from shared.adapters.bigquery import query
    from shared.config import get_config
    from shared.runtime import Runtime
    from shared.timeutil import parse_date
    from tooling.local import stack
    from tooling.provision import recreate_pull_subscription
    from tooling.simulate import run

    get_config()  # validate the configuration before starting anything
    st = stack.up()
    os.environ.update(st["env"])
    clients.reset()
    rt = Runtime.from_env()
    tap = recreate_pull_subscription(rt, "scraper_complete", "soak-completions-tap")
    notes: list[dict] = []

    def drain() -> None:
        client = clients.subscriber(rt.project)
        while True:
            resp = client.pull(request={"subscription": tap, "max_messages": 1000, "return_immediately": True})
            if not resp.received_messages:
                return
            client.acknowledge(subscription=tap, ack_ids=[m.ack_id for m in resp.received_messages])
            notes.extend(json.loads(m.message.data) for m in resp.received_messages)

    import signal

    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a kill unwinds: functions and stack stop
    start = parse_date(args.start)
    t0 = time.monotonic()
    results = []
    ok = True
    try:
        for i in range(args.days):
            d = start + timedelta(days=i)
            res = run(
                d,
                out_dir=Path(state) / f"day-{d}",
                rt=rt,
                reset=(i == 0),
                duplicates=args.duplicates,
                upstream_faults=args.fault_rate,
                seed=i,
                faults=FAULTS,
                progress=lambda s: None,
            )
            drain()
            results.append(res)
            checks = {c["check"]: c["ok"] for c in res.summary["checks"]}
            print(
                f"{d}: {res.ticks} ticks in {res.wall_seconds:.0f} s, stalled {len(res.stalled)}, "
                f"executions {res.summary['totals']['executions']}, republished "
                f"{res.summary['totals']['republished']}, checks failing: "
                f"{[k for k, v in checks.items() if not v] or 'none'}",
                flush=True,
            )
            for f in res.faults:
                print(f"    fault: {f}", flush=True)
        time.sleep(2)
        drain()
        # ---- the week's accounting ------------------------------------------------------------------
        s = start.isoformat()
        e = (start + timedelta(days=args.days)).isoformat()
        expected = query(
            rt,
            "SELECT workflow_name, expected_run_time FROM {dataset}.daily_expected_schedule "
            "WHERE date >= @s AND date < @e",
            {"s": parse_date(s), "e": parse_date(e)},
        )
        decisions = query(rt, "SELECT workflow_name, decision_time, action, reason FROM {dataset}.workflow_decisions")
        rows = query(
            rt,
            "SELECT execution_id, request_id, gcs_path, status, recovery, notification_message_id "
            "FROM {dataset}.scraper_execution_log",
        )
        by_slot = {(r["workflow_name"], r["decision_time"]): r for r in decisions}
        unaccounted = [
            r for r in expected if not (by_slot.get((r["workflow_name"], r["expected_run_time"])) or {}).get("reason")
        ]
        dup_decisions = [
            k for k, n in Counter((r["workflow_name"], r["decision_time"]) for r in decisions).items() if n > 1
        ]
        dup_rows = [k for k, n in Counter(r["execution_id"] for r in rows).items() if n > 1]
        files = [
            (n, gcs.get_metadata(rt, n) or {}) for n, _, _ in gcs.list_objects(rt, "") if not n.startswith("_nba-orch/")
        ]
        # raw files only: the parsed JSON beside a PDF shares its request and rides on the PDF's notification
        raw_meta = [(n, m) for n, m in files if "-data/" not in n]
        per_request = Counter(m.get("request_id") for _, m in raw_meta if m.get("request_id"))
        dup_files = [k for k, n in per_request.items() if n > 1 and k]
        notified = {
            r["gcs_path"].split("/", 3)[3] for r in rows if r.get("gcs_path") and r.get("notification_message_id")
        }
        raw = {n for n, _ in raw_meta}
        unnotified = sorted(raw - notified)
        # one original notification per run: a latest-state file (a season roster) is rewritten and notified by
        # each day's run, so duplicates are counted per execution, not per path
        originals = Counter(n["execution_id"] for n in notes if not n.get("recovery"))
        dup_notes = [p for p, n in originals.items() if n > 1]
        # the run ledger (what the controller reads) and the audit log must tell the same runs, once each
        records = [n for n, _, _ in gcs.list_objects(rt, "_nba-orch/runs/")]
        filed = Counter(n.rsplit("/", 1)[1].removesuffix(".json") for n in records)
        logged = {r["execution_id"] for r in rows if not r["recovery"]}
        unfiled = sorted(logged - set(filed))
        stray_records = sorted(set(filed) - logged)
        dup_records = [k for k, n in filed.items() if n > 1]
        wall = time.monotonic() - t0
        print(
            f"\nweek {s} .. {e}: {args.days} days in {wall:.0f} s "
            f"(fault rate {args.fault_rate:.0%}, every message delivered {args.duplicates}x)"
        )
        print(f"expected runs {len(expected)}, unaccounted {len(unaccounted)}")
        print(f"decisions {len(decisions)}, duplicate (workflow, slot) {len(dup_decisions)}")
        print(
            f"log rows {len(rows)} ({dict(Counter(r['status'] for r in rows))}), duplicate execution ids "
            f"{len(dup_rows)}, recovery rows {sum(1 for r in rows if r['recovery'])}"
        )
        print(
            f"raw files {len(raw)}, without notification {len(unnotified)}, duplicate files per request "
            f"{len(dup_files)}"
        )
        print(f"notifications seen {len(notes)}, duplicate original notifications per execution {len(dup_notes)}")
        print(
            f"run ledger records {sum(filed.values())}, runs logged but not filed {len(unfiled)}, filed but not "
            f"logged {len(stray_records)}, filed twice {len(dup_records)}"
        )
        stalled = sum(len(r.stalled) for r in results)
        print(f"stalled ticks {stalled}")
        ok = not (
            unaccounted or dup_decisions or dup_rows or dup_files or unnotified or dup_notes or unfiled or dup_records
        )
        for name, items in (
            ("unaccounted", unaccounted),
            ("unnotified", unnotified),
            ("dup_files", dup_files),
            ("dup_notes", dup_notes),
            ("dup_rows", dup_rows),
            ("dup_decisions", dup_decisions),
            ("unfiled", unfiled),
            ("stray_records", stray_records),
            ("dup_records", dup_records),
        ):
            if items:
                print(f"  {name}: {items[:5]}")
        print("SOAK", "PASS" if ok else "FAIL")
    finally:
        stack.down()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
