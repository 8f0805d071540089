"""Every message delivered three times, concurrently: the shortened simulated day of
tests/simulate/test_simulate_e2e.py with `duplicates=3` (three push subscriptions per topic, so every tick and
every scraper request reaches its function three times at once, as Pub/Sub's at-least-once delivery may do).

The pipeline must not notice, except in its logs: no duplicate file, execution row, decision or completion
notification, and the day's report has the same figures as the single-delivery day (run first, same test,
on its own isolated runtime)."""

from __future__ import annotations

import json
import uuid
import warnings
from collections import Counter

import pytest

from shared.adapters import gcs
from shared.adapters.bigquery import query
from tooling.sample_day import DEFAULT_DATE
from tooling.simulate import run

pytestmark = pytest.mark.emulators

HOURS = {5, 6, 13, 22, 1, 4}
DUPLICATES = 3


def drain(rt, subscription: str) -> list:
    """Every message waiting on `subscription` (acknowledged), stopping after two empty pulls."""
    from shared.clients import subscriber

    client = subscriber(rt.project)
    got, empty = [], 0
    while empty < 2:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # return_immediately: deprecated, honoured
            resp = client.pull(
                request={"subscription": subscription, "max_messages": 1000, "return_immediately": True}, timeout=10
            )
        if not resp.received_messages:
            empty += 1
            continue
        empty = 0
        client.acknowledge(subscription=subscription, ack_ids=[m.ack_id for m in resp.received_messages])
        got.extend(resp.received_messages)
    return [m.message for m in got]


def delete_subscriptions(rt) -> None:
    """The day's push subscriptions would keep redelivering to stopped functions: remove this runtime's."""
    from shared.clients import subscriber

    client = subscriber(rt.project)
    suffix = rt.topic("scraper_requests").rsplit("-", 1)[1]
    for sub in client.list_subscriptions(request={"project": f"projects/{rt.project}"}):
        if suffix in sub.name:
            client.delete_subscription(subscription=sub.name)


@pytest.fixture(scope="module")
def days(stack, tmp_path_factory):
    """The same shortened day run twice on fresh isolated runtimes: every message once, then three times.
    No injected crash (faults=""): a duplicate delivery legitimately resumes a "lost" run that a single
    delivery leaves to cleanup, so the figures would differ for a good reason (tests/scrapers/
    test_injected_faults.py covers that path)."""
    from shared.runtime import Runtime
    from tooling.provision import ensure_all

    out = {}
    base = tmp_path_factory.mktemp("days")
    try:
        for label, duplicates in (("single", 1), ("x3", DUPLICATES)):
            runtime = Runtime.from_env().with_suffix(uuid.uuid4().hex[:8])
            ensure_all(runtime)  # includes the completions pull subscription, made BEFORE the run
            out[label] = (runtime, None, None)
            result = run(
                DEFAULT_DATE,
                out_dir=base / label,
                hours=HOURS,
                rt=runtime,
                progress=lambda s: None,
                faults="",
                duplicates=duplicates,
            )
            out[label] = (runtime, result, base / label)
        yield out
    finally:
        for runtime, *_ in out.values():
            delete_subscriptions(runtime)


def day_figures(result, *, decision_based: bool = True) -> dict:
    s = result.summary
    figures = {
        "checks": {c["check"]: c["ok"] for c in s["checks"]},
        "executions": {k: v["executions"] for k, v in s["workflows"].items()},
        "totals": {k: s["totals"][k] for k in ("expected_runs", "executions", "republished")},
    }
    if decision_based:
        figures["actions"] = {k: {a: v[a] for a in ("run", "skip", "abort")} for k, v in s["workflows"].items()}
        figures["totals"]["decisions"] = s["totals"]["decisions"]
        figures["totals"]["cleanup_runs"] = s["totals"]["cleanup_runs"]
    return figures


def test_the_duplicates_really_happened(days):
    single_rt, single, _ = days["single"]
    rt, tripled, out = days["x3"]
    assert single.stalled == [] and tripled.stalled == [], (single.stalled, tripled.stalled)
    lines = [json.loads(x) for x in (out / "scrapers.log").read_text().splitlines() if x.startswith("{")]
    deliveries = Counter(x["message_id"] for x in lines if x.get("message_id"))
    assert deliveries and max(deliveries.values()) >= 2, "no message was delivered twice"
    assert any((x.get("result") or {}).get("duplicate") for x in lines), "no duplicate delivery was recognised"


def test_no_duplicate_file_row_or_notification(days):
    rt, _, _ = days["x3"]
    complete_sub = f"projects/{rt.project}/subscriptions/{rt.topic('scraper_complete')}-pull"
    # One execution row per execution id and per request (recovery rows: one per recovered file).
    log_rows = query(
        rt,
        "SELECT execution_id, request_id, recovery, gcs_path, status, "
        "notification_message_id FROM {dataset}.scraper_execution_log",
    )
    assert log_rows
    assert Counter(r["execution_id"] for r in log_rows).most_common(1)[0][1] == 1
    runs = [r for r in log_rows if not r["recovery"]]
    assert Counter(r["request_id"] for r in runs).most_common(1)[0][1] == 1
    recovered = Counter(r["gcs_path"] for r in log_rows if r["recovery"])
    assert not recovered or set(recovered.values()) == {1}

    # One file per (request, role): no scraper run wrote twice (claim objects under _nba-orch/ are internal).
    names = [n for n, _, _ in gcs.list_objects(rt, "") if not n.startswith("_nba-orch/")]
    owners = Counter(((meta := gcs.get_metadata(rt, n) or {}).get("request_id"), meta.get("role")) for n in names)
    assert names and set(owners.values()) == {1}, [k for k, n in owners.items() if n > 1]
    assert {f"gs://{rt.bucket}/{n}" for n in names} >= {r["gcs_path"] for r in runs if r["gcs_path"]}

    # One completion notification per file and per failed run (pulled from a subscription made before the run).
    notes = [json.loads(m.data) for m in drain(rt, complete_sub)]
    per_path = Counter(n["gcs_path"] for n in notes if n.get("gcs_path"))
    assert set(per_path.values()) == {1}, [k for k, n in per_path.items() if n > 1]
    assert set(per_path) == {r["gcs_path"] for r in log_rows if r["gcs_path"]}
    failed = Counter(n["execution_id"] for n in notes if not n.get("gcs_path"))
    assert failed == Counter(r["execution_id"] for r in log_rows if not r["gcs_path"])


def test_same_execution_figures_as_a_single_delivery_day(days):
    _, single, _ = days["single"]
    _, tripled, _ = days["x3"]
    assert day_figures(tripled, decision_based=False) == day_figures(single, decision_based=False)


def test_duplicate_decision_rows_if_any_are_the_same_decision(days):
    """A decision id names one (workflow, slot, action): even a repeated row would be the same decision."""
    rt, _, _ = days["x3"]
    rows = query(rt, "SELECT decision_id, workflow_name, decision_time, action FROM {dataset}.workflow_decisions")
    by_id: dict[str, set] = {}
    for r in rows:
        by_id.setdefault(r["decision_id"], set()).add((r["workflow_name"], r["decision_time"], r["action"]))
    assert rows and all(len(v) == 1 for v in by_id.values())


def test_one_decision_per_workflow_and_slot(days):
    rt, _, _ = days["x3"]
    per_slot = Counter(
        (r["workflow_name"], r["decision_time"])
        for r in query(rt, "SELECT workflow_name, decision_time FROM {dataset}.workflow_decisions")
    )
    assert per_slot and set(per_slot.values()) == {1}, [k for k, n in per_slot.items() if n > 1]


def test_one_cleanup_operation_per_tick(days):
    rt, _, _ = days["x3"]
    ops = Counter(r["cleanup_id"] for r in query(rt, "SELECT cleanup_id FROM {dataset}.cleanup_operations"))
    assert ops and set(ops.values()) == {1}, ops


def test_same_report_figures_as_a_single_delivery_day(days):
    _, single, _ = days["single"]
    _, tripled, _ = days["x3"]
    assert day_figures(tripled) == day_figures(single)
