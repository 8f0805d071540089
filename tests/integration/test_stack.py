"""The local Google Cloud stack, through the official clients and the real gcloud CLI."""

from __future__ import annotations

import json
import os
import subprocess
import time
from datetime import UTC, datetime

import pytest

from shared.adapters import bigquery as bq
from shared.adapters import gcs, pubsub
from shared.bq_schema import TABLES, ensure_dataset_and_tables
from shared.clients import bigquery_client
from tests.conftest import pull_all
from tooling.provision import ensure_pull_subscription

pytestmark = pytest.mark.emulators


def test_tables_created_partitioned_and_idempotent(rt):
    client = bigquery_client(rt.project)
    names = {t.table_id for t in client.list_tables(f"{rt.project}.{rt.dataset}")}
    assert names == set(TABLES)
    table = client.get_table(rt.table("workflow_decisions"))
    assert table.time_partitioning.field == "decision_time"
    assert [f.name for f in table.schema][:4] == ["decision_id", "decision_time", "workflow_name", "action"]
    assert ensure_dataset_and_tables(client, rt.project, rt.dataset) == []  # second run creates nothing


def test_rows_round_trip_with_json_and_repeated_records(rt):
    now = datetime(2025, 1, 15, 18, tzinfo=UTC)
    bq.insert_rows(
        rt,
        "cleanup_operations",
        [
            {
                "cleanup_id": "c1",
                "cleanup_time": now,
                "files_checked": 3,
                "missing_files_found": 1,
                "missing_files": [
                    {
                        "scraper_name": "bdl_box_scores",
                        "gcs_path": "a/b.json",
                        "triggered_at": now,
                        "age_minutes": 42.5,
                        "republished": True,
                    }
                ],
                "errors": [],
            }
        ],
    )
    bq.insert_rows(
        rt,
        "workflow_decisions",
        [
            {
                "decision_id": "d1",
                "decision_time": now,
                "workflow_name": "betting_lines",
                "action": "RUN",
                "context": {"games_today": 11},
                "scrapers_triggered": ["oddsa_events"],
                "target_games": ["0022400561"],
            }
        ],
    )
    rows = bq.query(rt, "SELECT * FROM {dataset}.cleanup_operations")
    assert rows[0]["missing_files"][0]["age_minutes"] == 42.5
    dec = bq.query(
        rt,
        "SELECT JSON_VALUE(context, '$.games_today') AS g, target_games FROM "
        "{dataset}.workflow_decisions WHERE DATE(decision_time, 'America/New_York') = @d",
        {"d": now.date()},
    )
    assert dec == [{"g": "11", "target_games": ["0022400561"]}]


def test_publish_pull_round_trip(rt):
    sub = ensure_pull_subscription(rt, "scraper_requests", f"{rt.topic('scraper_requests')}-t")
    ids = pubsub.publish_many(rt, "scraper_requests", [(b'{"n": %d}' % i, {"i": str(i)}) for i in range(25)])
    assert len(set(ids)) == 25
    got = pull_all(rt, "scraper_requests", sub, expect=25)
    assert sorted(json.loads(m.data)["n"] for m in got) == list(range(25))
    assert {m.attributes["i"] for m in got} == {str(i) for i in range(25)}


def test_upload_list_and_object_finalize_notification(rt):
    sub = ensure_pull_subscription(rt, "gcs_events", f"gcs-events-{rt.bucket}")
    path = "ball-dont-lie/boxscores/2025-01-15/20250116_030000.json"
    gcs.create_object(rt, path, b'{"data": []}')
    with pytest.raises(gcs.AlreadyExists):
        gcs.create_object(rt, path, b'{"data": [1]}')
    listed = list(gcs.list_objects(rt, "ball-dont-lie/boxscores/2025-01-15/"))
    assert [name for name, _, _ in listed] == [path]
    assert gcs.read_object(rt, path) == b'{"data": []}'
    deadline = time.monotonic() + 10
    mine = []
    while not mine and time.monotonic() < deadline:
        mine = [
            m for m in pull_all(rt, "gcs_events", sub, expect=1, timeout=2) if m.attributes.get("bucketId") == rt.bucket
        ]
    assert mine, "no OBJECT_FINALIZE notification arrived"
    assert mine[0].attributes["eventType"] == "OBJECT_FINALIZE"
    assert mine[0].attributes["objectId"] == path


def test_gcloud_cli_publishes_to_the_emulator(rt, tmp_path):
    sub = ensure_pull_subscription(rt, "controller_tick", f"{rt.topic('controller_tick')}-gcloud")
    env = {
        **os.environ,
        "CLOUDSDK_CONFIG": str(tmp_path / "gcloud"),
        "CLOUDSDK_API_ENDPOINT_OVERRIDES_PUBSUB": f"http://{os.environ['PUBSUB_EMULATOR_HOST']}/",
        "CLOUDSDK_AUTH_DISABLE_CREDENTIALS": "true",
        "CLOUDSDK_CORE_PROJECT": rt.project,
    }
    out = subprocess.run(
        [
            "gcloud",
            "pubsub",
            "topics",
            "publish",
            rt.topic("controller_tick"),
            '--message={"as_of": "2025-01-15T18:00:00Z"}',
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    got = pull_all(rt, "controller_tick", sub, expect=1)
    assert json.loads(got[0].data) == {"as_of": "2025-01-15T18:00:00Z"}


def test_cli_publish_and_status(rt, tmp_path):
    env = {**os.environ, **rt.env()}
    sub = ensure_pull_subscription(rt, "cleanup_tick", f"{rt.topic('cleanup_tick')}-cli")
    out = subprocess.run(
        ["nba-orch", "publish", "cleanup_tick", '{"dry_run": true}', "--attr", "k=v"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    got = pull_all(rt, "cleanup_tick", sub, expect=1)
    assert json.loads(got[0].data) == {"dry_run": True} and got[0].attributes["k"] == "v"
    bad = subprocess.run(["nba-orch", "publish", "no_such_topic", "{}"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown topic" in bad.stderr
    status = subprocess.run(["nba-orch", "local", "status"], env=env, capture_output=True, text=True, timeout=60)
    assert status.returncode == 0
    assert all(s["answers"] for s in json.loads(status.stdout)["services"].values())
