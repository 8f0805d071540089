"""Completions delivered more than once. Nothing in this project consumes completions; a completion is only
ever republished by cleanup (for a file whose run never notified), and it carries `execution_id` so consumers
can dedupe. So "a completion delivered twice" is tested where it can happen: the cleanup tick that republishes
it reaches the cleanup function three times at once (three push subscriptions), and once more later (a
redelivery of the same tick). The lost file must get exactly one recovery notification and one recovery row;
the concurrent copies republish once between them: the run is claimed with a create-only object
(shared.cleanup.service)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from shared.adapters.pubsub import publish
from shared.contracts import Tick
from shared.scrapers import core, service
from tests.functions_harness import FunctionProcess, LogTail, function_env, wire
from tests.scrapers.conftest import BDL_KEY, completions, data_objects, request, rows
from tooling import faults

pytestmark = pytest.mark.emulators

BOX_AS_OF = datetime(2024, 1, 16, 4, 0, tzinfo=UTC)  # 2024-01-15 23:00 ET
BOX = request("bdl_box_scores", {"date": "2024-01-15"}, workflow="post_game_window_1", as_of=BOX_AS_OF)
COPIES = 3


def done_lines(tail: LogTail, seen: list[dict], message_id: str) -> list[dict]:
    seen.extend(tail.read())
    return [x for x in seen if x.get("message_id") == message_id and x.get("message", "").endswith(": done")]


@pytest.fixture(scope="module")
def scenario(stack, replay_server, tmp_path_factory):
    """A lost run (file written, run died, message acknowledged), then one cleanup tick delivered COPIES
    times at once, then the same tick once more after that: the completions seen after each phase."""
    import os
    import uuid

    from shared.runtime import Runtime
    from shared.scrapers import http
    from tooling.provision import ensure_all

    rt = Runtime.from_env().with_suffix(uuid.uuid4().hex[:8])
    ensure_all(rt)
    env = {
        "NBA_ORCH_UPSTREAM_OVERRIDE": replay_server.url,
        "NBA_ORCH_HTTP_BACKOFF_SCALE": "0.001",
        "BALLDONTLIE_API_KEY": BDL_KEY,
        "NBA_ORCH_FAULTS": "after_write:bdl_box_scores:lose:1",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    http.reset()
    faults.install()
    faults.reset()
    try:
        with pytest.raises(faults.InjectedLoss):
            service.execute(rt, BOX)  # the file is written, the run "dies", its message is acknowledged
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        faults.reset()
        http.reset()
    (name,) = data_objects(rt)
    assert rows(rt) == [] and completions(rt, expect=1, timeout=0.5) == []

    body = json.dumps(Tick(as_of=BOX_AS_OF + timedelta(minutes=45)).to_json()).encode()
    log_path = tmp_path_factory.mktemp("cleanup") / "cleanup.log"
    with FunctionProcess("cleanup", env=function_env(rt), log_path=log_path) as fn:
        for i in range(COPIES):  # every cleanup tick now reaches the function COPIES times, concurrently
            wire(rt, fn, "cleanup_tick", name=f"{rt.topic('cleanup_tick')}-push-{i}", min_backoff=1, max_backoff=2)
        tail, seen = LogTail(log_path), []
        phases = []
        for _ in range(2):  # the tick, then the same tick again later (same as_of, new message)
            mid = publish(rt, "cleanup_tick", body)
            deadline = time.monotonic() + 60
            while len(done_lines(tail, seen, mid)) < COPIES and time.monotonic() < deadline:
                time.sleep(0.2)
            assert len(done_lines(tail, seen, mid)) == COPIES, "not every copy of the tick was handled"
            phases.append(completions(rt, expect=COPIES + 1, timeout=1.5))
    return {"rt": rt, "name": name, "concurrent": phases[0], "later": phases[1]}


def test_every_republished_copy_names_the_same_execution(scenario):
    """What a consumer needs to dedupe (also if a copy ever slipped through)."""
    notes = scenario["concurrent"]
    assert notes and all(n["body"].get("recovery") for n in notes)
    assert {n["body"]["gcs_path"].rsplit("/", 1)[1] for n in notes} == {scenario["name"].rsplit("/", 1)[1]}
    assert {n["body"]["original_execution_id"] for n in notes} == {core.execution_id(BOX.request_id)}
    assert len({n["attributes"]["execution_id"] for n in notes}) == 1  # the consumer's dedup key


def test_a_later_redelivery_of_the_tick_republishes_nothing(scenario):
    assert scenario["later"] == []


def test_concurrent_copies_of_the_tick_republish_once(scenario):
    notes = scenario["concurrent"]
    assert len(notes) == 1, [n["message_id"] for n in notes]
    recovery_rows = [r for r in rows(scenario["rt"]) if r["recovery"]]
    assert len(recovery_rows) == 1 and recovery_rows[0]["notification_message_id"] == notes[0]["message_id"]
