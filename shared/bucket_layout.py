"""Where this system's own objects live in the data bucket: one table of `_nba-orch/` prefixes.

None of them holds scraped data, and none is under a catalogue path template, so cleanup (which lists only
the catalogue's dated prefixes) never sees them. Deploy's IAM notes and the operator tooling name them from
here too.
"""

from __future__ import annotations

ROOT = "_nba-orch/"

PREFIXES: dict[str, str] = {
    # schedule locker: one claim per locked day, holding the day's exact rows
    "schedule_locks": ROOT + "locks/daily_expected_schedule/",
    # master controller: one ledger object per decided slot (the slot's claim and its decisions)
    "controller_slots": ROOT + "controller/",
    # cleanup: one run claim per tick, deleted when a run fails
    "cleanup_runs": ROOT + "cleanup/",
    # scrapers: one claim per request id, the record of how far a run got
    "scraper_requests": ROOT + "requests/",
    # scrapers -> controller: one record per finished run, filed by operational day
    "runs": ROOT + "runs/",
    # scrapers: the raw answer of a run whose parse failed, kept to be re-parsed (`nba-orch scrape --reparse`):
    # quarantine/<scraper>/<ET date of as_of>/<execution_id>.<ext>, create-only
    "quarantine": ROOT + "quarantine/",
    # scrapers: one baseline answer shape per scraper (schema drift), compare-and-swap on its generation
    "shapes": ROOT + "shapes/",
    # alerts (shared.alerts): one object per alert key, the alert's current state (the BigQuery table is the audit)
    "alerts": ROOT + "alerts/",
    # controller and cleanup: one marker per tick that ran, filed by operational day (the ticks-ran SLAs)
    "ticks": ROOT + "ticks/",
    # notifier: one flood-control state per alert rule
    "notifier": ROOT + "notifier/",
    # scrapers: each injury report's player statuses (<ET date>/<HHMM>.json), so the next report lists changes
    "injury_status": ROOT + "injury_status/",
    # cleanup: one marker per compared final game (<game date>/<game id>.json, create-only), its sources' counts
    "quality": ROOT + "quality/",
    # backfill: per backfill id, its manifest (the arguments it was planned from) and one progress marker per
    # published batch (the request ids it published), so a killed driver resumes without publishing twice
    "backfill": ROOT + "backfill/",
    # scrapers (every caller of a rate-limited source): one create-only object per time slot of a source,
    # slots/<source>/<slot index>.slot, so all instances together keep its minimum interval; deleted by the
    # bucket's lifecycle rule (shared.scrapers.ratelimit)
    "slots": ROOT + "slots/",
    # scrapers: one slowdown record per source (a 429's Retry-After for every instance), compare-and-swap
    "slowdown": ROOT + "slowdown/",
}


def prefix(kind: str) -> str:
    """The folder of one kind of internal object (KeyError for an unknown kind: a typo is a bug)."""
    return PREFIXES[kind]


def object_name(kind: str, *parts: str, ext: str = "json") -> str:
    """`<prefix><part>/.../<last part>.<ext>`: each part is one of our own deterministic ids, dates or slot keys,
    never free text with '/' or '..'."""
    if not parts or any(not p or "/" in p or ".." in p for p in parts) or not ext.isalnum():
        raise ValueError(f"internal object name parts must be plain names, got {parts!r} .{ext}")
    return PREFIXES[kind] + "/".join(parts) + "." + ext
