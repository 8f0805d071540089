"""Deploy phase 8 (deploy/monitoring.py) against the recording gcloud stand-in: notification channels from
settings, policies that name them, a second run that only describes, a changed threshold or a drifted
dashboard updates only that resource; and the comparison that makes it idempotent (`matches`)."""

from __future__ import annotations

import shlex
from pathlib import Path

from deploy.monitoring import matches
from tests.deploy.conftest import REPO, FakeCloud, edited_copy, is_read_only

WEBHOOK = "https://hooks.example.com/services/T0/B0/secret-token"


def _settings(tmp_path: Path, **monitoring: object) -> Path:
    return edited_copy(
        REPO / "deploy" / "settings.yaml", tmp_path / "settings.yaml", lambda d: d["monitoring"].update(monitoring)
    )


def test_channels_are_created_and_every_policy_names_them_then_nothing_changes(
    deployed: FakeCloud, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, notification_emails=["oncall@example.com"])
    env = deployed.env(NBA_ORCH_MONITORING_WEBHOOK_URL=WEBHOOK)
    res = deployed.deploy("--settings", str(settings), env=env)
    assert res.returncode == 0, res.stderr
    muts = deployed.mutations()
    groups = [tuple(m[1:5]) for m in muts]
    assert groups.count(("beta", "monitoring", "channels", "create")) == 2
    # The policies existed without channels: each is updated once, nothing else is touched.
    assert groups.count(("alpha", "monitoring", "policies", "update")) == 6
    assert len(muts) == 8, [shlex.join(m) for m in muts]
    assert WEBHOOK not in res.stderr + res.stdout  # the URL is in a file only
    state = deployed.state()
    channel_names = sorted(state["channels"])
    assert sorted(c["type"] for c in state["channels"].values()) == ["email", "webhook_tokenauth"]
    assert [c["labels"] for c in state["channels"].values() if c["type"] == "webhook_tokenauth"] == [{"url": WEBHOOK}]
    for policy in state["policies"].values():
        assert sorted(policy["notificationChannels"]) == channel_names, policy["displayName"]

    deployed.clear_calls()
    again = deployed.deploy("--settings", str(settings), env=env)
    assert again.returncode == 0, again.stderr
    assert [shlex.join(c) for c in deployed.calls() if not is_read_only(c)] == []


def test_a_changed_threshold_updates_only_that_policy(deployed: FakeCloud, tmp_path: Path) -> None:
    res = deployed.deploy("--settings", str(_settings(tmp_path, function_errors_threshold=5)))
    assert res.returncode == 0, res.stderr
    (mut,) = deployed.mutations()
    assert mut[1:5] == ["alpha", "monitoring", "policies", "update"]
    (policy,) = [p for p in deployed.state()["policies"].values() if p["displayName"] == "nba-orch: function errors"]
    assert mut[5] == policy["name"]
    assert policy["conditions"][0]["conditionThreshold"]["thresholdValue"] == 5


def test_a_drifted_dashboard_and_metric_are_repaired_with_the_current_etag(deployed: FakeCloud) -> None:
    state = deployed.state()
    (name,) = state["dashboards"]
    state["dashboards"][name]["mosaicLayout"]["tiles"].pop()
    state["metrics"]["nba-orch-blocked-runs"]["filter"] = "severity>=ERROR"
    deployed.save(state)
    res = deployed.deploy()
    assert res.returncode == 0, res.stderr
    muts = deployed.mutations()
    assert [m[1:4] for m in muts] == [["logging", "metrics", "update"], ["monitoring", "dashboards", "update"]]
    assert muts[1][4] == name
    after = deployed.state()
    assert after["dashboards"][name]["etag"] == "e2" and len(after["dashboards"][name]["mosaicLayout"]["tiles"]) == 7
    assert 'jsonPayload.error_type="blocked"' in after["metrics"]["nba-orch-blocked-runs"]["filter"]


def test_matches_treats_omitted_defaults_as_equal_and_extra_api_fields_as_the_apis() -> None:
    desired = {"a": 0, "b": "0s", "c": False, "d": {"e": 1.0, "f": []}, "g": [{"h": "x"}], "n": 5}
    api = {"d": {"e": 1, "extra": "y"}, "g": [{"h": "x", "name": "c1"}], "n": "5", "etag": "e1"}
    assert matches(desired, api)
    assert not matches({**desired, "n": 6}, api)
    assert not matches({**desired, "g": [{"h": "x"}, {"h": "z"}]}, api)  # a list's length counts
    assert not matches({"enabled": True}, {})  # True is not a default: it must be there
    assert not matches({"d": {"e": 2}}, api)
