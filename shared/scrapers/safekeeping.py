"""The I/O of "never lose an answer" and "see schema drift": the quarantine write, the shape baseline, and
reading a quarantined answer back. The decisions are pure (shared.scrapers.core: what to keep and its
metadata; shared.scrapers.shape: shapes, drift, the baseline's next state); this module only stores them.

Quarantine: a 200 answer the parser rejected is created (`if_generation_match=0`) at
`_nba-orch/quarantine/<scraper>/<ET date>/<execution_id>.<ext>` with the request's metadata. The name is the
execution's, so a redelivery finds its own object and writes no second one; the claim records the name at
`writing` (as for any output), so a redelivery after the write re-parses the kept bytes without refetching.

Baseline: one object per scraper, `_nba-orch/shapes/<scraper>.json`, read once per run and written only
when a full answer adds to it (rare after the first days: GCS allows about one write per second to an
object, and a fan-out runs many requests of one scraper at once). Writes are compare-and-swap on the
generation (shared.claims); a lost race is read again and decided again. The drift check is an observation:
a storage error there is logged and the run goes on without it, never failed or retried for it.

Local runs (`run_local`, `nba-orch scrape --out DIR`) keep the same objects as files under DIR, the
quarantined answer with its metadata beside it in `<name>.meta.json`.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from shared import claims, log
from shared.adapters import gcs
from shared.bucket_layout import object_name
from shared.contracts import ScraperRequest
from shared.runtime import Runtime
from shared.scrapers import core, shape
from shared.scrapers.base import Fetched
from shared.scrapers.core import Result
from shared.scrapers.errors import ScraperFailure
from shared.timeutil import iso_utc

META_SUFFIX = ".meta.json"
BASELINE_ATTEMPTS = 5


def baseline_name(scraper_name: str) -> str:
    return object_name("shapes", scraper_name)


# ---------------------------------------------------------------------------------------------------------
# Quarantine


def keep(rt: Runtime, request: ScraperRequest, fetched: Fetched, result: Result, duration: float = 0.0) -> None:
    """Create the quarantined object of `result` (create-only: one already there is this execution's)."""
    q = result.quarantine
    if q is None:
        return
    meta = {**core.quarantine_metadata(request, fetched, result), "duration_seconds": f"{duration:.3f}"}
    try:
        gcs.create_object(rt, q.name, q.data, q.content_type, meta)
    except gcs.AlreadyExists:
        pass  # the name is this execution's: a redelivery, or a crash after the write


def keep_local(out_dir: Path, request: ScraperRequest, fetched: Fetched, result: Result) -> Path | None:
    """The same under a local folder: the answer, and its metadata in `<name>.meta.json` (both create-only)."""
    q = result.quarantine
    if q is None:
        return None
    path = out_dir / q.name
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = core.quarantine_metadata(request, fetched, result)
    for target, data in ((path, q.data), (Path(str(path) + META_SUFFIX), json.dumps(meta, indent=1).encode())):
        try:
            with target.open("xb") as fh:
                fh.write(data)
        except FileExistsError:
            pass
    return path


def load(ref: str, rt: Runtime | None = None) -> tuple[Fetched, ScraperRequest, str]:
    """(the answer, the request it answered, its URI) of a quarantined object: `gs://bucket/name`, an object
    name in `rt`'s bucket, or a local file (with its `.meta.json`). ValueError/FileNotFoundError if not one."""
    local = Path(ref)
    if not ref.startswith("gs://") and local.is_file():
        meta_file = Path(str(local) + META_SUFFIX)
        if not meta_file.is_file():
            raise FileNotFoundError(f"{ref}: no {meta_file.name} beside it (the request's metadata)")
        meta = {str(k): str(v) for k, v in json.loads(meta_file.read_text()).items()}
        body, content_type, uri = local.read_bytes(), meta.get("content_type") or "application/octet-stream", str(local)
    else:
        if rt is None:
            raise ValueError(f"{ref}: not a local file, and no cloud runtime to read it from")
        if ref.startswith("gs://"):
            bucket, _, name = ref[len("gs://") :].partition("/")
            rt = replace(rt, bucket=bucket)
        else:
            name = ref
        blob = gcs.bucket(rt).get_blob(name)
        if blob is None:
            raise FileNotFoundError(f"gs://{rt.bucket}/{name} does not exist")
        meta = dict(blob.metadata or {})
        body = blob.download_as_bytes()
        content_type = blob.content_type or meta.get("content_type") or "application/octet-stream"
        uri = f"gs://{rt.bucket}/{name}"
    request = core.quarantined_request(meta)
    return Fetched.from_stored(body, content_type, meta), request, uri


# ---------------------------------------------------------------------------------------------------------
# Schema drift


def _decide(
    stored: bytes | None, request: ScraperRequest, result: Result
) -> tuple[shape.Drift | None, shape.Baseline | None]:
    baseline = None
    if stored is not None:
        try:
            baseline = shape.Baseline.from_json(json.loads(stored))
        except ValueError as exc:
            log.warning(
                f"scrapers: the shape baseline of {request.scraper_name} is unreadable ({exc}); starting a new one",
                scraper_name=request.scraper_name,
            )
    assert result.shape is not None and request.as_of is not None
    return shape.check(
        baseline,
        result.shape,
        execution_id=core.execution_id(request.request_id),
        establishes=result.establishes,
        at=iso_utc(request.as_of),
    )


def _encode(baseline: shape.Baseline) -> bytes:
    return json.dumps(baseline.to_json(), separators=(",", ":"), sort_keys=True).encode()


def check_drift(rt: Runtime, request: ScraperRequest, result: Result) -> Result:
    """`result` with the schema drift of its answer against the scraper's baseline (which a full answer
    extends). Idempotent under redelivery (shape.check); a storage error skips the check, logged."""
    if result.shape is None:
        return result
    from google.api_core.exceptions import GoogleAPIError

    name = baseline_name(request.scraper_name)
    drift = None
    try:
        for _ in range(BASELINE_ATTEMPTS):
            current = claims.read(rt, name)
            drift, new = _decide(current.data if current else None, request, result)
            if new is None:
                break
            try:
                if current is None:
                    if claims.acquire(rt, name, _encode(new)).won:
                        break
                else:
                    claims.swap(rt, current, _encode(new))
                    break
            except claims.ClaimConflict:
                pass
        else:
            log.warning(
                f"scrapers: the shape baseline of {request.scraper_name} kept changing; not extended by this run",
                scraper_name=request.scraper_name,
            )
    except (GoogleAPIError, claims.ClaimConflict, OSError) as exc:
        log.warning(
            f"scrapers: schema drift check of {request.scraper_name} skipped: {exc}",
            scraper_name=request.scraper_name,
            request_id=request.request_id,
        )
        return result
    return core.with_drift(result, drift)


def check_drift_local(out_dir: Path, request: ScraperRequest, result: Result) -> Result:
    """The same with the baseline as a file under `out_dir` (one process: no concurrent writer)."""
    if result.shape is None:
        return result
    path = out_dir / baseline_name(request.scraper_name)
    drift, new = _decide(path.read_bytes() if path.is_file() else None, request, result)
    if new is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_encode(new))
    return core.with_drift(result, drift)


def log_drift(outcome: Any) -> None:
    """The WARNING of a run whose answer's shape drifted (the row carries `warnings` and the detail)."""
    if "schema_drift" not in (outcome.warnings or []):
        return
    detail = outcome.summary.get("schema_drift") or {}
    counts = detail.get("counts") or {}
    log.warning(
        f"scrapers: {outcome.scraper_name} answer shape changed "
        f"({counts.get('added', 0)} new paths, {counts.get('changed', 0)} new types)",
        warning="schema_drift",
        scraper_name=outcome.scraper_name,
        execution_id=outcome.execution_id,
        status=outcome.status,
        fingerprint=(outcome.summary.get("shape") or {}).get("fingerprint"),
        baseline=detail.get("baseline"),
        added=detail.get("added"),
        changed=detail.get("changed"),
    )


# ---------------------------------------------------------------------------------------------------------
# Re-parsing a quarantined answer (`nba-orch scrape --reparse OBJECT [--write] [--out DIR]`)


def reparse(
    ref: str,
    *,
    rt: Runtime | None = None,
    config: Any = None,
    write: bool = False,
    out_dir: str | Path | None = None,
) -> dict[str, Any]:
    """Run the scraper's current parser on a quarantined answer and report what it makes of it. With
    `write`, a parse that succeeds is written the normal way (files at the catalogue path of the original
    logical time, row, completion, follow-ups; under `out_dir` instead, with no cloud, when given) by a
    request of its own (core.reparse_request: a second --write of the same object is a duplicate)."""
    from shared.config import get_config
    from shared.scrapers import service

    cfg = config or get_config()
    fetched, original, uri = load(ref, rt)
    try:
        scraper, ctx = core.plan(cfg, original)
    except ScraperFailure as exc:
        result = core.failure(exc.error_type, exc.message)
    else:
        result = core.compute(scraper, ctx, fetched)
    report: dict[str, Any] = {
        "reparsed": uri,
        "scraper_name": original.scraper_name,
        "original_request_id": original.request_id,
        "original_execution_id": core.execution_id(original.request_id),
        "status": result.status,
        "record_count": result.record_count,
        "error_type": result.error_type,
        "error_message": result.error_message,
        "outputs": [{"name": o.name, "role": o.role, "bytes": len(o.data)} for o in result.outputs],
        "follow_ups": [{"scraper_name": f.scraper_name, "params": f.params} for f in result.follow_ups],
        "summary": result.summary,
    }
    if write and result.status != "failed":
        request = core.reparse_request(original, uri)
        if out_dir is not None:
            outcome = service.run_local(request, out_dir, config=cfg, answer=fetched)
        else:
            if rt is None:
                raise ValueError("--write without --out needs the cloud runtime")
            outcome = service.execute(rt, request, final_attempt=True, config=cfg, answer=fetched)
        report["written"] = outcome.to_json(full_follow_ups=False)
    return report
