"""Dead letters you can act on, through the real scrapers function (functions-framework, a push subscription
with the deployed dead-letter policy, 1 s backoff) on the Pub/Sub emulator:

- a request whose every delivery raises (its BigQuery dataset does not exist yet, so the run's row cannot be
  written) dead-letters after max_delivery_attempts (an upstream failing forever no longer does: the last
  delivery records it as failed);
- `nba-orch dlq list` shows it (what: its payload and attributes, where from: the source subscription and its
  topic, how many attempts, the log filter for why) and leaves it there;
- once the dataset exists, `nba-orch dlq replay --id ID` republishes it to scraper_requests with its
  attributes: the function runs it to success and the dead-letter subscription is empty; `--dry-run` before
  that published nothing;
- the function's JSON lines of those deliveries join up: the same labels (function, scraper, workflow,
  request id) and the trace of the publisher's `traceparent` on every line.
"""

from __future__ import annotations

import json

import pytest

from shared import log
from shared.adapters.pubsub import publish
from tests.functions_harness import FunctionProcess, LogTail, function_env, wait_for, wire
from tests.scrapers.conftest import request, rows
from tooling import dlq
from tooling.cli import main

pytestmark = pytest.mark.emulators

MAX_ATTEMPTS = 5
DATE = "2024-01-15"
TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{TRACE_ID}-b7ad6b7169203331-01"


def cli(capsys, *argv: str) -> tuple[int, dict]:
    capsys.readouterr()
    code = main(list(argv))
    return code, json.loads(capsys.readouterr().out)


def test_a_dead_letter_is_listed_then_replayed_to_success(
    rt, scraper_env, replay_server, upstream_dir, tmp_path, capsys, monkeypatch
):
    for k, v in rt.env().items():
        monkeypatch.setenv(k, v)
    import dataclasses

    from tooling.provision import ensure_all

    later = dataclasses.replace(rt, dataset=f"{rt.dataset}_later")  # not created yet: every delivery raises
    req = request("bdl_box_scores", {"date": DATE})
    body = json.dumps(req.to_json()).encode()
    attrs = {**req.attributes(), "traceparent": TRACEPARENT}
    log_path = tmp_path / "scrapers.log"
    env = function_env(rt, **scraper_env, NBA_ORCH_DATASET=later.dataset)
    with FunctionProcess("scrapers", env=env, log_path=log_path) as fn:
        push = wire(rt, fn, "scraper_requests", min_backoff=1, max_backoff=1, max_delivery_attempts=MAX_ATTEMPTS)
        message_id = publish(rt, "scraper_requests", body, attrs)
        wait_for(lambda: dlq.list_dead_letters(rt), 60, "the request to be dead-lettered")

        code, listed = cli(capsys, "dlq", "list")
        assert code == 0 and listed["count"] == 1
        (entry,) = listed["dead_letters"]
        assert entry["delivery_attempts"] == MAX_ATTEMPTS
        assert entry["source_subscription"] == push
        assert entry["source_topic"] == rt.topic_path("scraper_requests")
        assert entry["attributes"] == attrs and entry["payload"] == req.to_json()
        assert entry["log_filter"] == f'jsonPayload.request_id="{req.request_id}" AND severity>=WARNING'
        # What the emulator sets (asserted so a change is noticed): the same four attributes as Google Cloud,
        # the subscription by its short name with its project beside it.
        (letter,) = dlq.pull_all(rt)
        dlq.release(rt, [letter])
        dl_attrs = {k: v for k, v in letter.attributes.items() if k.startswith(dlq.PREFIX)}
        assert set(dl_attrs) == {
            dlq.DELIVERY_COUNT,
            dlq.SOURCE_SUBSCRIPTION,
            dlq.SOURCE_PROJECT,
            dlq.SOURCE_PUBLISH_TIME,
        }
        assert entry["originally_published_at"] == dl_attrs[dlq.SOURCE_PUBLISH_TIME]
        assert dl_attrs[dlq.SOURCE_SUBSCRIPTION] == push.rsplit("/", 1)[-1]
        assert dl_attrs[dlq.SOURCE_PROJECT] == rt.project and dl_attrs[dlq.DELIVERY_COUNT] == str(MAX_ATTEMPTS)

        # Listing changed nothing; a dry run neither.
        code, dry = cli(capsys, "dlq", "replay", "--all", "--dry-run")
        assert code == 0 and [r["id"] for r in dry["replayed"]] == [entry["id"]] and dry["remaining"] == 1
        assert "new_message_id" not in dry["replayed"][0]
        assert [e["id"] for e in cli(capsys, "dlq", "list")[1]["dead_letters"]] == [entry["id"]]
        code, unknown = cli(capsys, "dlq", "replay", "--id", "no-such-id")
        assert code == 1 and unknown["errors"] == [{"id": "no-such-id", "error": "not in the dead-letter subscription"}]

        # The dataset exists now: replay it, and the function does the work.
        ensure_all(later)
        code, done = cli(capsys, "dlq", "replay", "--id", entry["id"])
        assert code == 0 and done["errors"] == [] and done["remaining"] == 0
        (replayed,) = done["replayed"]
        assert replayed["topic"] == rt.topic_path("scraper_requests")
        assert replayed["attributes"] == {**attrs, dlq.REPLAY_OF: entry["id"]}
        (row,) = wait_for(lambda: rows(later), 30, "the replayed request's run row")
        assert (row["request_id"], row["status"]) == (req.request_id, "success")
        assert cli(capsys, "dlq", "list")[1]["count"] == 0
        lines = LogTail(log_path).read()

    # The failed deliveries and the replayed one: every line of the request carries the same labels and trace.
    mine = [e for e in lines if e.get("request_id") == req.request_id or e.get("message_id") == message_id]
    failed = [e for e in mine if e.get("message_id") == message_id and "will be retried" in e["message"]]
    assert len(failed) == MAX_ATTEMPTS
    want = {
        "function": "scrapers",
        "scraper_name": "bdl_box_scores",
        "workflow": req.workflow,
        "request_id": req.request_id,
    }
    for e in mine:
        assert e[log.LABELS] == want, e
        assert e[log.TRACE] == f"projects/{rt.project}/traces/{TRACE_ID}", e
    assert any(e["severity"] == "INFO" and e["message"] == "scrapers: bdl_box_scores success" for e in mine)
