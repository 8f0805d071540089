"""Upstream faults mixed at random: 40 scraper requests (10 kinds x 4, the real recordings) run through
`service.execute` against the replay server in chaos mode (30 % of answers replaced by a 500, 503, 429 with
Retry-After, a delay past the client timeout, truncated JSON or a body of the wrong shape), plus an injury
report whose PDF is always empty. Every request is "redelivered" (called again) on TransientFailure, as
Pub/Sub would, with the last of the configured delivery attempts marked final.

What must hold whatever the draw: one row per request with a final status, an error_type on every failed row,
a bounded number of HTTP attempts, no partial file (every stored file is byte-identical to the fault-free
answer), and no file at all for a failed request."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

import pytest

from shared.adapters import gcs
from shared.config import get_config
from shared.scrapers import service
from shared.scrapers.errors import TransientFailure
from tests.scrapers.catalogue_recordings import INJURY_PATH, PDF_HOST
from tests.scrapers.conftest import AS_OF, data_objects, request, rows

pytestmark = pytest.mark.emulators

KINDS: dict[str, tuple[str, dict[str, str]]] = {
    "box_scores": ("bdl_box_scores", {"date": "2024-01-15"}),
    "standings": ("bdl_standings", {"season": "2024"}),
    "games": ("bdl_games", {"date": "2025-02-20"}),
    "active_players": ("bdl_active_players", {}),  # two pages
    "injuries": ("bdl_injuries", {}),  # two pages
    "player_box_scores": ("bdl_player_box_scores", {"date": "2025-06-22"}),
    "odds_events": ("oddsa_events", {"date": "2024-01-24"}),
    "schedule_cdn": ("nbac_schedule_cdn", {}),
    "injury_report": ("nbac_injury_report", {"date": "2024-01-04", "hour": "12", "period": "PM"}),  # PDF + JSON
    "injury_report_empty": ("nbac_injury_report", {"date": "2024-01-04", "hour": "2", "period": "PM"}),
}
COPIES = 4
CHAOS_RATE, SEED = 0.3, 20261129


def deliver(rt, req, max_deliveries: int) -> tuple[object, int]:
    """Deliver like Pub/Sub: again on TransientFailure, the last delivery attempt final. Returns the outcome
    and the number of deliveries."""
    for attempt in range(1, max_deliveries + 1):
        try:
            outcome = service.execute(rt, req, final_attempt=attempt == max_deliveries, delivery_attempt=attempt)
            return outcome, attempt
        except TransientFailure:
            continue
    raise AssertionError(f"{req.scraper_name}: the final attempt raised instead of recording")


@pytest.mark.parametrize("http_attempts", [1, 3], ids=["redelivery_only", "http_retries_then_redelivery"])
def test_random_upstream_faults_end_in_one_final_row_and_no_partial_file(
    srt, replay, upstream_dir, tmp_path, monkeypatch, http_attempts
):
    from shared.scrapers import http

    # 1 attempt: every transient fault raises, so Pub/Sub's redelivery does all the recovering; 3: the HTTP
    # layer's own retries (Retry-After honoured) absorb most faults first.
    monkeypatch.setenv("NBA_ORCH_HTTP_ATTEMPTS", str(http_attempts))
    http.reset()
    replay.add(PDF_HOST, INJURY_PATH, file=upstream_dir / "nba_injury_report/Injury-Report_2024-01-04_12PM.pdf")
    replay.add(PDF_HOST, "/referee/injury/Injury-Report_2024-01-04_02PM.pdf", body=b"", content_type="application/pdf")
    max_deliveries = get_config().pubsub.max_delivery_attempts

    # The fault-free answer of each kind, and how many HTTP requests it takes (pages), run locally.
    expected: dict[str, list[bytes]] = {}
    pages: dict[str, int] = {}
    for kind, (name, params) in KINDS.items():
        before = len(replay.seen)
        out = service.run_local(request(name, params, scope="baseline"), tmp_path / kind)
        pages[kind] = len(replay.seen) - before
        files = [p for p in [out.file, *out.extra_paths] if p]
        expected[kind] = sorted(Path(p).read_bytes() for p in files)
    assert all(expected[k] for k in KINDS if k != "injury_report_empty") and expected["injury_report_empty"] == []
    assert expected["box_scores"] == [(upstream_dir / "balldontlie/box_scores_2024-01-15.json").read_bytes()]

    replay.chaos(CHAOS_RATE, seed=SEED + http_attempts, timeout_delay=1.5)  # the client's timeout is 1 s (conftest)
    try:
        runs = []
        for i in range(COPIES):
            for kind, (name, params) in KINDS.items():
                req = request(name, params, scope=f"chaos-{i}", as_of=AS_OF + timedelta(minutes=i))
                before = len(replay.seen)
                outcome, deliveries = deliver(srt, req, max_deliveries)
                runs.append((kind, req, outcome, deliveries, len(replay.seen) - before))
        injected = Counter(kind for kind, _ in replay.chaos_log)
    finally:
        replay.chaos(0.0)
        replay.chaos_log.clear()

    # The draw really mixed the faults (seeded; a change of the draw that loses a kind fails here).
    assert set(injected) == {"500", "503", "429", "timeout", "truncated", "wrong_shape"}, injected

    found = rows(srt)
    per_request = Counter(r["request_id"] for r in found)
    assert per_request == Counter({req.request_id: 1 for _, req, _, _, _ in runs})  # exactly one row each
    by_request = {r["request_id"]: r for r in found}
    files_of: dict[str, list[str]] = defaultdict(list)
    for name in data_objects(srt):
        files_of[(gcs.get_metadata(srt, name) or {})["request_id"]].append(name)

    statuses: Counter = Counter()
    for kind, req, outcome, deliveries, http_calls in runs:
        row = by_request[req.request_id]
        statuses[row["status"]] += 1
        assert row["status"] in ("success", "no_data", "failed")
        assert row["status"] == outcome.status
        assert http_calls <= http_attempts * deliveries * max(1, pages[kind]), (kind, http_calls, deliveries)
        stored = sorted(gcs.read_object(srt, n) for n in files_of.get(req.request_id, []))
        if row["status"] == "failed":
            assert row["error_type"], row
            assert stored == [], (kind, row["error_type"], files_of[req.request_id])
        else:
            assert stored == expected[kind], (kind, "a stored file differs from the fault-free answer")
        if kind == "injury_report_empty":
            assert (row["status"], row["error_type"]) == ("failed", "parse_error")
    # Faults were recovered by redelivery for some, and turned into recorded failures for others.
    assert statuses["success"] >= COPIES * (len(KINDS) - 1) // 2, statuses
    assert statuses["failed"] >= COPIES, statuses
    if http_attempts == 1:  # some requests succeeded only thanks to a redelivery
        assert any(d > 1 for _, _, o, d, _ in runs if o.status == "success"), statuses
    else:  # some succeeded after an HTTP retry within one delivery
        assert any(by_request[req.request_id]["retry_count"] for _, req, o, _, _ in runs if o.status == "success")
