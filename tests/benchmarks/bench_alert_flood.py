"""Benchmark: flood control on a bad night (issue 16). The system we replace sent more than 600 emails one
night; here a night with 300 failures of the same kind goes through the notifier's pure plan
(shared.alerts.notify with the alerts.yaml defaults), in three shapes:

- one alert key failing at every run (300 repeats of one source blocked, a run every 2 minutes);
- 300 distinct alerts of one rule opening through the night, then all resolving in the morning;
- 300 distinct alerts opening in one burst (one tick), flushed by the following ticks.

Printed per shape: failure events, notifications sent, the ratio, the largest number sent in any sliding
hour, and whether every failure is listed in a notification (a digest) or still pending for one.

    .venv/bin/python tests/benchmarks/bench_alert_flood.py
Exit status 1 when a shape sends more than 10 notifications or loses a failure.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from shared.alerts import notify  # noqa: E402
from shared.alerts.sla import load_alerts_config  # noqa: E402
from tests.alerts.events import alert_event as ev  # noqa: E402

T0 = datetime(2026, 1, 11, 3, 0, tzinfo=UTC)


def one_key() -> list[dict]:
    out = [ev("opened", "nba_stats", T0)]
    out += [ev("repeated", "nba_stats", T0 + timedelta(minutes=2 * i), i + 1, T0) for i in range(1, 300)]
    return out + [ev("resolved", "nba_stats", T0 + timedelta(minutes=620), 300, T0)]


def distinct_night() -> list[dict]:
    opened = [ev("opened", f"g{i}", T0 + timedelta(minutes=2 * i)) for i in range(300)]
    end = T0 + timedelta(minutes=660)
    return opened + [
        ev("resolved", f"g{i}", end + timedelta(seconds=i), 1, T0 + timedelta(minutes=2 * i)) for i in range(300)
    ]


def burst() -> list[dict]:
    return [ev("opened", f"b{i}", T0) for i in range(300)]


def run(name: str, events: list[dict], flush_every: timedelta | None = None) -> bool:
    s = load_alerts_config().notify
    state = notify.RuleState("source_not_blocked")
    sent: list[tuple[datetime, notify.Notification]] = []
    for e in events:
        at = notify.parse_instant(e["at"])
        state, out = notify.plan(state, e, at, s)
        sent += [(at, n) for n in out]
    if flush_every:  # the ticks' flush messages after the burst
        for k in range(1, 9):
            at = T0 + flush_every * k
            state, out = notify.flush(state, at, s)
            sent += [(at, n) for n in out]
    failures = [e for e in events if e["event"] != "resolved"]
    listed = {t for _, n in sent for t in n.tokens} | {
        t for p in state.pending for t in [p["token"], *p.get("also", [])]
    }
    firsts = {e["token"] for e in failures if e["event"] == "opened"}
    # a repeat is counted on its alert (its count, in `alerts list`); an opened failure must be in a notification
    complete = firsts <= listed
    times = [t for t, _ in sent]
    peak = max((sum(t - timedelta(hours=1) < u <= t for u in times) for t in times), default=0)
    kinds: dict[str, int] = {}
    for _, n in sent:
        kinds[n.kind] = kinds.get(n.kind, 0) + 1
    print(
        f"{name:28s} failures {len(failures):4d}  notifications {len(sent):3d}  ratio {len(sent) / len(failures):.3f}"
        f"  peak/hour {peak}  every failure listed: {complete}  {kinds}"
    )
    return len(sent) <= 10 and complete


def main() -> int:
    ok = run("one key, 300 repeats", one_key())
    ok &= run("300 alerts through the night", distinct_night())
    ok &= run("300 alerts in one burst", burst(), flush_every=timedelta(minutes=15))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
