"""Benchmark: cleanup's reconciliation of a day of 100,000 scraper files vs a raw `list_blobs` of the same
prefixes, measured in the same run. Target: ratio at most 1.5, peak memory under 300 MB.

    PATH=$PWD/.venv/bin:$PATH .venv/bin/python tests/benchmarks/bench_cleanup.py [--objects 100000]
        [--missing-percent 3] [--rounds 1] [--threads] [--republish]

What it does:
1. Writes a day (2025-01-15 ET) of objects, named by the catalogue's templates exactly as the scrapers
   framework names them (shared.paths.template), with the framework's object metadata, straight into the
   folder of a fake-gcs-server *filesystem* backend (file + `user.metadata` xattr, or a `.metadata` file where
   xattrs are unsupported), then starts that server on a free port. Why: uploading 100,000 objects through the
   API is quadratic in fake-gcs-server's memory backend (each create scans the bucket: 10,000 took 111 s).
   Cost of this choice: the filesystem backend walks the whole bucket on every list request (about 1 s per
   request at 100,000 objects, even for an empty prefix), so both sides below are dominated by the server.
2. Loads their execution-log rows into an isolated dataset of the running BigQuery emulator (NDJSON load
   job); `--missing-percent` of the raw files have no notification (half without any row, half with a row
   whose notification_message_id is null). PDF companions (injury reports, gamebooks) have no row of their own.
3. For `--rounds` rounds (order alternating), each measurement in a fresh process (so its max RSS is its
   own): the baseline (a plain `list_blobs` of every prefix, sequentially, counting objects) and
   `shared.cleanup.service.reconcile` (folder discovery, listing, classification, ledger query, decision; dry run)
   with 1 listing thread (like for like); `--threads` adds the default 4 threads. Wall and CPU time, and max
   RSS, of each.
4. `--republish`: the function's whole path, live (`run_cleanup`): it must republish exactly the seeded
   missing files, and the next run must find none.

Needs the local stack (`nba-orch local up`; Pub/Sub and BigQuery emulators). It starts its own
fake-gcs-server and stops exactly that process; it deletes its dataset, topics and files at the end.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from shared import clients  # noqa: E402
from tooling.local import stack  # noqa: E402

DAY = date(2025, 1, 15)
CONTENT = b'{"data":[]}'
MD5 = base64.b64encode(hashlib.md5(CONTENT).digest()).decode()  # noqa: S324 - GCS's own checksum format
MARKETS = ("points", "rebounds", "assists", "threes")
TEAMS = ("ATL", "BOS", "BKN", "CHA", "CHI", "CLE", "DAL", "DEN", "DET", "GSW", "HOU", "IND", "LAC", "LAL", "MEM")


# ---------------------------------------------------------------------------------------------------------
# The day's objects


def params_for(spec, i: int) -> dict[str, str]:
    """Varied, valid parameters: events, games, teams and markets change with i."""
    a, h = TEAMS[i % len(TEAMS)], TEAMS[(i * 7 + 3) % len(TEAMS)]
    if a == h:
        h = TEAMS[(TEAMS.index(a) + 1) % len(TEAMS)]
    hour = i % 12 + 1
    sample = {
        "date": DAY.isoformat(),
        "game_date": DAY.isoformat(),
        "gamedate": DAY.strftime("%Y%m%d"),
        "season": "2024-25",
        "season_year": "2024",
        "year": "2025",
        "game_id": f"00224{i % 9000:05d}",
        "event_id": hashlib.sha1(f"evt{i % 400}".encode()).hexdigest()[:32],  # noqa: S324 - an id, not security
        "teams": a + h,
        "team_abbr": a,
        "teamAbbr": a,
        "team_id": str(1610612737 + i % 30),
        "game_code": f"{DAY:%Y%m%d}/{a}{h}",
        "hour": str(hour),
        "minute": "30",
        "period": "AM" if i % 2 else "PM",
        "market": MARKETS[i % len(MARKETS)],
        "market_id": "156",
        "snapshot": "2025-01-15T17:00:00Z",
        "filename": f"pbp_{i:07d}",
    }
    return {p: sample[p] for p in spec.params}


def day_objects(cfg, n: int, missing_percent: float):
    """Yield (name, created, metadata, ledger row or None) for n objects spread over the operational day."""
    from shared.paths.template import derived_values, fill_path
    from shared.timeutil import et_at, iso_utc

    specs = [s for s in cfg.scrapers.values() if "{date}" in s.gcs_path or "{game_date}" in s.gcs_path]
    specs += [cfg.scrapers["nbac_schedule_api"], cfg.scrapers["br_season_roster"]]
    start = et_at(DAY, dtime(5, 0))
    step = 86_400 / n
    seen: set[str] = set()
    i = 0
    k = 0
    while k < n:
        spec = specs[i % len(specs)]
        as_of = (start + timedelta(seconds=i * step)).replace(microsecond=0)
        values = derived_values(params_for(spec, i), as_of)
        names = [fill_path(spec.gcs_path, values)]
        if spec.gcs_data_path:
            names.append(fill_path(spec.gcs_data_path, values))
        i += 1
        if any(x in seen for x in names) or k + len(names) > n:
            continue
        seen.update(names)
        execution_id = f"x{i:08d}"
        meta = {
            "execution_id": execution_id,
            "scraper_name": spec.name,
            "request_id": f"r{i:08d}",
            "workflow": "bench",
            "triggered_at": iso_utc(as_of),
            "source": "CONTROLLER",
            "duration_seconds": "1.500",
        }
        created = as_of + timedelta(seconds=2)
        bucket_pos = (i * 2_654_435_761) % 10_000 / 100  # a deterministic, evenly spread "percentile"
        missing = bucket_pos < missing_percent
        row = None
        if not (missing and bucket_pos < missing_percent / 2):  # half of the missing ones have no row at all
            row = {
                "execution_id": execution_id,
                "request_id": meta["request_id"],
                "scraper_name": spec.name,
                "workflow": "bench",
                "status": "success",
                "triggered_at": iso_utc(as_of),
                "source": "CONTROLLER",
                "gcs_path": None,  # filled with the bucket by the caller
                "notification_message_id": None if missing else str(i),
                "recovery": False,
            }
        for j, name in enumerate(names):
            yield name, created, {**meta, "role": "raw" if j == 0 else "data"}, (row if j == 0 else None), missing
            k += 1


def object_attrs(created: datetime, metadata: dict[str, str], generation: int) -> bytes:
    """fake-gcs-server's stored attributes of one object (the JSON its filesystem backend keeps)."""
    stamp = created.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return json.dumps(
        {
            "StorageClass": "STANDARD",
            "ContentType": "application/json",
            "Crc32c": "",
            "Md5Hash": MD5,
            "Etag": MD5,
            "ACL": [],
            "Metadata": metadata,
            "Created": stamp,
            "Deleted": "0001-01-01T00:00:00Z",
            "Updated": stamp,
            "CustomTime": "0001-01-01T00:00:00Z",
            "Generation": generation,
        },
        separators=(",", ":"),
    ).encode()


def seed(root: Path, bucket: str, cfg, n: int, missing_percent: float, ledger_path: Path) -> dict[str, int]:
    """Write the objects into the server's folder and the ledger rows to an NDJSON file."""
    bdir = root / bucket
    bdir.mkdir(parents=True)
    (root / f"{bucket}.bucketMetadata").write_text("{}")
    probe = root / "probe"
    probe.write_bytes(b"")
    try:
        os.setxattr(probe, "user.metadata", b"{}")
        use_xattr = True
    except OSError:
        use_xattr = False
    probe.unlink()
    made: set[Path] = set()
    counts = {"objects": 0, "raw": 0, "companions": 0, "missing": 0, "rows": 0, "xattr": int(use_xattr)}
    with open(ledger_path, "wb") as ledger:
        for i, (name, created, meta, row, missing) in enumerate(day_objects(cfg, n, missing_percent)):
            path = bdir / name
            if path.parent not in made:
                path.parent.mkdir(parents=True, exist_ok=True)
                made.add(path.parent)
            path.write_bytes(CONTENT)
            attrs = object_attrs(created, meta, 1_736_900_000_000_000 + i)
            if use_xattr:
                os.setxattr(path, "user.metadata", attrs)
            else:
                Path(str(path) + ".metadata").write_bytes(attrs)
            counts["objects"] += 1
            if meta["role"] == "raw":
                counts["raw"] += 1
                counts["missing"] += int(missing)
            else:
                counts["companions"] += 1
            if row is not None:
                row["gcs_path"] = f"gs://{bucket}/{name}"
                ledger.write(json.dumps(row, separators=(",", ":")).encode() + b"\n")
                counts["rows"] += 1
    return counts


# ---------------------------------------------------------------------------------------------------------
# The separate fake-gcs-server


def start_gcs(root: Path, port: int, log: Path) -> subprocess.Popen:
    cmd = stack.gcs_emulator_cmd(stack.Ports(0, 0, 0, port), "bench", "unused")
    i = cmd.index("-backend")
    cmd[i + 1] = "filesystem"
    # No GCS notifications for the benchmark's server: drop the -event.* options.
    cut = cmd.index("-event.pubsub-project-id")
    cmd = cmd[:cut] + ["-filesystem-root", str(root)]
    env = {k: v for k, v in os.environ.items() if k != "PUBSUB_EMULATOR_HOST"}
    proc = subprocess.Popen(cmd, stdout=open(log, "wb"), stderr=subprocess.STDOUT, env=env, start_new_session=True)  # noqa: SIM115
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/storage/v1/b", timeout=2):  # noqa: S310 - loopback
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"fake-gcs-server did not start; see {log}")


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# ---------------------------------------------------------------------------------------------------------
# Measurements


def raw_listing(rt, prefixes: list[str]) -> int:
    """The baseline: a plain list_blobs of each prefix, every object iterated, nothing else."""
    from shared.clients import storage_client

    client = storage_client(rt.project)
    n = 0
    for prefix in prefixes:
        for _ in client.list_blobs(rt.bucket, prefix=prefix):
            n += 1
    return n


def bench_runtime(suffix: str, bucket: str):
    from shared.runtime import Runtime

    return replace(Runtime.from_env().with_suffix(suffix), bucket=bucket)


def window_of(cfg):
    """The benchmark's tick: 45 minutes after the operational day, with the window starting at the day."""
    from shared.cleanup.reconcile import CleanupSettings, compute_window
    from shared.paths.listing import scope_for
    from shared.timeutil import et_at

    day_start = et_at(DAY, dtime(5, 0))
    now = day_start + timedelta(days=1, minutes=45)
    settings = CleanupSettings.from_config(cfg.cleanup)
    window = compute_window(now, settings, None, since=day_start - timedelta(minutes=1))
    return now, settings, window, scope_for(window.start, window.end, date_margin_days=settings.date_margin_days)


def child(args: argparse.Namespace) -> int:
    """One measurement in a fresh process (so its max RSS is that measurement's): prints one JSON line."""
    from shared.config import get_config

    cfg = get_config()
    rt = bench_runtime(args.suffix, args.bucket)
    now, settings, window, scope = window_of(cfg)
    out: dict = {"mode": args.child}
    with contextlib.redirect_stdout(sys.stderr):  # log lines to stderr; stdout is the result
        t0, c0 = time.perf_counter(), time.process_time()
        if args.child == "baseline":
            prefixes = json.loads(Path(args.prefixes).read_text())
            out["objects"] = raw_listing(rt, prefixes)
        elif args.child == "reconcile":
            from shared.cleanup.service import reconcile
            from shared.paths.listing import PathCatalogue

            s = replace(settings, list_workers=args.workers)
            n, counts, missing, errors, _ = reconcile(
                rt, PathCatalogue.from_config(cfg), window, scope, now, s, dry_run=True
            )
            out.update(objects=counts.listed, prefixes=n, missing=len(missing), errors=errors)
            out.update(companions=counts.companions, foreign=counts.foreign, workers=args.workers)
        else:  # "republish": the function's whole path, live, then the next run
            from shared.cleanup.service import run_cleanup
            from shared.contracts import Tick

            first = run_cleanup(rt, cfg, Tick(as_of=now, since=window.start))
            out["first_seconds"] = time.perf_counter() - t0
            second = run_cleanup(rt, cfg, Tick(as_of=now + timedelta(minutes=15), since=window.start))
            out.update(
                objects=first["files_listed"],
                missing=first["missing_files_found"],
                republished=first["republished_count"],
                errors=first["errors"],
                missing_after=second["missing_files_found"],
            )
        out["wall"] = time.perf_counter() - t0
        out["cpu"] = time.process_time() - c0
    out["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))
    return 0


def run_child(env: dict[str, str], *args: str) -> dict:
    cmd = [sys.executable, __file__, *args]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"child {args[:2]} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--objects", type=int, default=100_000)
    ap.add_argument("--missing-percent", type=float, default=3.0)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--threads", action="store_true", help="also time the reconciliation with 4 listing threads")
    ap.add_argument("--republish", action="store_true", help="also run the live path: republish, then run again")
    ap.add_argument("--child", choices=["baseline", "reconcile", "republish"], help=argparse.SUPPRESS)
    ap.add_argument("--suffix", help=argparse.SUPPRESS)
    ap.add_argument("--bucket", help=argparse.SUPPRESS)
    ap.add_argument("--prefixes", help=argparse.SUPPRESS)
    ap.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args)

    state = stack.read_state()
    if not state:
        print("the local stack is not running: `nba-orch local up` first", file=sys.stderr)
        return 2
    base_env = {k: v for k, v in state["env"].items() if k != "STORAGE_EMULATOR_HOST"}
    os.environ.update(base_env)

    from google.cloud import bigquery

    from shared.bq_schema import ensure_dataset_and_tables
    from shared.clients import bigquery_client, publisher
    from shared.config import get_config
    from shared.paths.listing import PathCatalogue
    from tooling.local.functions import free_port
    from tooling.provision import ensure_topics

    cfg = get_config()
    suffix = "bench" + uuid.uuid4().hex[:6]
    rt = bench_runtime(suffix, f"bench-cleanup-{uuid.uuid4().hex[:8]}")
    work = Path(tempfile.mkdtemp(prefix="nba-orch-bench-cleanup-"))
    root = work / "gcs"
    proc = None
    try:
        t0 = time.perf_counter()
        counts = seed(root, rt.bucket, cfg, args.objects, args.missing_percent, work / "ledger.ndjson")
        seed_s = time.perf_counter() - t0
        port = free_port()
        proc = start_gcs(root, port, work / "fake-gcs.log")
        env = {**os.environ, **base_env, "STORAGE_EMULATOR_HOST": f"http://127.0.0.1:{port}"}
        os.environ["STORAGE_EMULATOR_HOST"] = env["STORAGE_EMULATOR_HOST"]
        clients.reset()

        bq = bigquery_client(rt.project)
        ensure_dataset_and_tables(bq, rt.project, rt.dataset)
        ensure_topics(rt)
        t0 = time.perf_counter()
        with open(work / "ledger.ndjson", "rb") as fh:
            job = bq.load_table_from_file(
                fh,
                rt.table("scraper_execution_log"),
                job_config=bigquery.LoadJobConfig(source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON),
            )
            job.result()
        load_s = time.perf_counter() - t0

        from shared.adapters import gcs

        now, settings, window, scope = window_of(cfg)
        prefixes = [
            lp.prefix for lp in PathCatalogue.from_config(cfg).listing(scope, lambda p: gcs.list_folders(rt, p))
        ]
        (work / "prefixes.json").write_text(json.dumps(prefixes))
        print(
            f"seeded {counts['objects']:,} objects ({counts['raw']:,} raw, {counts['companions']:,} PDF companions, "
            f"{counts['missing']:,} raw files missing their notification) in {seed_s:.1f} s "
            f"({'xattr' if counts['xattr'] else '.metadata files'}); {counts['rows']:,} ledger rows loaded in "
            f"{load_s:.1f} s; {len(prefixes)} prefixes for window {window.start:%Y-%m-%d %H:%M}Z.."
            f"{window.end:%Y-%m-%d %H:%M}Z",
            flush=True,
        )
        common = ["--suffix", suffix, "--bucket", rt.bucket, "--prefixes", str(work / "prefixes.json")]
        runs: dict[str, list[dict]] = {"baseline": [], "reconcile1": [], "reconcile4": []}
        for r in range(args.rounds):
            # Alternate the order between rounds, so a change of load on the machine favours neither side.
            if r % 2:
                one = run_child(env, "--child", "reconcile", "--workers", "1", *common)
            b = run_child(env, "--child", "baseline", *common)
            assert b["objects"] == counts["objects"], b
            runs["baseline"].append(b)
            if not r % 2:
                one = run_child(env, "--child", "reconcile", "--workers", "1", *common)
            assert (one["objects"], one["missing"], one["errors"]) == (counts["objects"], counts["missing"], []), one
            assert one["companions"] == counts["companions"] and one["foreign"] == 0, one
            runs["reconcile1"].append(one)
            line = f"round {r + 1}: list_blobs {b['wall']:.2f} s | reconcile (1 thread) {one['wall']:.2f} s"
            if args.threads:
                four = run_child(env, "--child", "reconcile", "--workers", "4", *common)
                runs["reconcile4"].append(four)
                line += f" | reconcile (4 threads) {four['wall']:.2f} s"
            print(line, flush=True)

        med = statistics.median

        def m(key: str, field: str) -> float:
            return med(x[field] for x in runs[key])

        ratio = m("reconcile1", "wall") / m("baseline", "wall")
        print()
        print(f"objects listed ({len(prefixes)} prefixes)    {counts['objects']:>10,}")
        for key, label in (
            ("baseline", "raw list_blobs (baseline)"),
            ("reconcile1", "reconcile, 1 listing thread"),
            ("reconcile4", "reconcile, 4 listing threads"),
        ):
            if runs[key]:
                print(
                    f"{label:<34}{m(key, 'wall'):>8.2f} s wall {m(key, 'cpu'):>7.2f} s CPU "
                    f"{m(key, 'max_rss_mb'):>7.1f} MB max RSS"
                )
        print(f"ratio wall (1 thread / baseline)  {ratio:>8.2f}   (target <= 1.5)")
        if runs["reconcile4"]:
            print(f"ratio wall (4 threads / baseline) {m('reconcile4', 'wall') / m('baseline', 'wall'):>8.2f}")
        print(f"ratio CPU (1 thread / baseline)   {m('reconcile1', 'cpu') / m('baseline', 'cpu'):>8.2f}")
        print(f"peak memory of a reconciliation   {m('reconcile1', 'max_rss_mb'):>8.1f} MB max RSS (target < 300)")
        if args.republish:
            rep = run_child(env, "--child", "republish", *common)
            assert rep["republished"] == counts["missing"] and not rep["errors"], rep
            assert rep["missing_after"] == 0, rep
            print(
                f"live run_cleanup: republished {rep['republished']:,} files in {rep['first_seconds']:.1f} s; "
                f"the next run found {rep['missing_after']} missing ({rep['max_rss_mb']:.0f} MB max RSS)"
            )
        ok = ratio <= 1.5 and m("reconcile1", "max_rss_mb") < 300
        print("RESULT:", "PASS" if ok else "FAIL")
        return 0 if ok else 1
    finally:
        if proc is not None:
            stop(proc)
        clients.reset()
        os.environ.update(base_env)
        os.environ.pop("STORAGE_EMULATOR_HOST", None)
        try:
            bigquery_client(rt.project).delete_dataset(f"{rt.project}.{rt.dataset}", delete_contents=True)
            for key in rt.topics:
                if key != "gcs_events":  # shared by every runtime: never deleted
                    publisher(rt.project).delete_topic(topic=rt.topic_path(key))
        except Exception as exc:  # noqa: BLE001 - best effort
            print(f"cleanup of benchmark resources: {exc!r}", file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
