"""Pure decisions of the deploy plan and the validation of its settings (no commands run)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from deploy.plan import api_key_secrets, policy_pairs, schema_change, secret_id
from deploy.settings import load_settings
from shared.alerts.channels import EMAIL_FROM, EMAIL_TO, SMTP, WEBHOOK
from shared.config import ConfigError, get_config
from tests.deploy.conftest import REPO, edited_copy


def field(name: str, type_: str, mode: str = "NULLABLE", fields: list | None = None) -> dict:
    out = {"name": name, "type": type_, "mode": mode}
    if fields:
        out["fields"] = fields
    return out


def test_schema_change_same_schema_with_legacy_type_names_needs_nothing() -> None:
    code = [field("n", "INT64"), field("ok", "BOOL"), field("r", "STRUCT", "REPEATED", [field("x", "FLOAT64")])]
    table = [field("n", "INTEGER"), field("ok", "BOOLEAN"), field("r", "RECORD", "REPEATED", [field("x", "FLOAT")])]
    assert schema_change(table, code) == (False, [])


def test_schema_change_new_nullable_columns_are_additive_at_any_depth() -> None:
    table = [field("a", "STRING"), field("r", "RECORD", "REPEATED", [field("x", "STRING")])]
    code = [
        field("a", "STRING"),
        field("r", "RECORD", "REPEATED", [field("x", "STRING"), field("y", "STRING")]),
        field("b", "JSON"),
    ]
    assert schema_change(table, code) == (True, [])


@pytest.mark.parametrize(
    ("table", "code", "problem"),
    [
        ([field("a", "STRING")], [field("a", "INT64")], "column a is STRING NULLABLE in the table, INTEGER NULLABLE"),
        ([field("a", "STRING")], [field("a", "STRING"), field("b", "DATE", "REQUIRED")], "new column b is REQUIRED"),
        ([field("a", "STRING"), field("old", "STRING")], [field("a", "STRING")], "column old exists in the table"),
        (
            [field("r", "RECORD", "REPEATED", [field("x", "STRING")])],
            [field("r", "RECORD", "REPEATED", [field("x", "BOOL")])],
            "column r.x is STRING",
        ),
    ],
)
def test_schema_change_reports_what_cannot_be_applied_in_place(table: list, code: list, problem: str) -> None:
    _, problems = schema_change(table, code)
    assert any(problem in p for p in problems), problems


def test_policy_pairs_ignore_conditional_bindings() -> None:
    policy = {
        "bindings": [
            {"role": "roles/a", "members": ["user:x", "serviceAccount:y"]},
            {"role": "roles/b", "members": ["serviceAccount:y"], "condition": {"title": "t", "expression": "true"}},
        ]
    }
    assert policy_pairs(policy) == {("user:x", "roles/a"), ("serviceAccount:y", "roles/a")}
    assert policy_pairs({}) == set()


def test_api_key_secrets_come_from_the_catalogue() -> None:
    secrets = api_key_secrets(get_config())
    assert secrets == {
        "BALLDONTLIE_API_KEY": ["balldontlie"],
        "BETTINGPROS_API_KEY": ["bettingpros"],
        "BIGDATABALL_SERVICE_ACCOUNT_JSON": ["bigdataball"],
        "NBA_STATS_PROXY_URL": ["nba_stats"],
        "ODDS_API_KEY": ["odds_api"],
    }
    assert secret_id("BALLDONTLIE_API_KEY") == "balldontlie-api-key"


def test_shipped_settings_are_valid_and_least_privilege() -> None:
    s = load_settings()
    assert set(s.functions) == {"schedule_locker", "master_controller", "cleanup", "scrapers", "notifier"}
    # one per function role plus the scheduler's and the backfill job's (shared with no function)
    assert len(s.service_accounts) == len(s.functions) + 2
    assert s.backfill_job.enabled and s.backfill_job.service_account not in {
        k for fn in s.functions.values() for k in (fn.service_account, fn.trigger_service_account)
    }
    assert s.backfill_job.follow_seconds < s.backfill_job.task_timeout_seconds <= 24 * 3600
    assert all(fn.timeout_seconds <= 540 for fn in s.functions.values())
    assert len({fn.service_account for fn in s.functions.values()}) == 5
    # No primitive roles, and nothing granted project-wide except BigQuery job creation.
    for sa in s.service_accounts.values():
        roles = [*sa.project, *(r for rs in sa.topics.values() for r in rs)]
        assert not {"roles/owner", "roles/editor", "roles/viewer"} & set(roles)
        assert set(sa.project) <= {"roles/bigquery.jobUser"}
    with_secrets = {k: set(fn.secrets) for k, fn in s.functions.items() if fn.secrets}
    # The scrapers get the catalogue's upstream credentials and nothing else; the notifier its channels only;
    # the locker, which runs the schedule scraper in-process, only that scraper source's proxy.
    cfg = get_config()
    schedule_source = cfg.sources[cfg.scrapers[cfg.controller.schedule_scraper].source]
    assert with_secrets == {
        "scrapers": set(api_key_secrets(cfg)),
        "notifier": {WEBHOOK, SMTP, EMAIL_TO, EMAIL_FROM},
        "schedule_locker": {schedule_source.proxy_secret},
    }


def test_every_ack_deadline_covers_its_function_run() -> None:
    for fn in load_settings().functions.values():
        assert fn.timeout_seconds <= fn.ack_deadline_seconds <= 600, fn.key


def test_the_deployed_runtime_is_the_python_the_tests_run_on() -> None:
    """One Python: what is deployed is what is tested (Cloud Functions names it pythonMAJORMINOR)."""
    assert load_settings().runtime == f"python{sys.version_info.major}{sys.version_info.minor}"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["functions"]["scrapers"].update(memory="1GB"), "functions.scrapers.memory: bad value '1GB'"),
        (lambda d: d["functions"]["cleanup"].update(trigger_topic="nope"), "unknown topic key 'nope'"),
        (lambda d: d["functions"]["cleanup"].update(service_account="ghost"), "unknown service account key 'ghost'"),
        (
            lambda d: d["service_accounts"]["scheduler"].update(invoker_of=["schedule_locker"]),
            "functions.master_controller.trigger_service_account: 'scheduler' must list 'master_controller'",
        ),
        (lambda d: d["functions"]["scrapers"].update(extra_requirements=["lxml"]), "'lxml' has no pin"),
        (lambda d: d["scheduler_jobs"]["cleanup"].update(cron="*/5 * * * *"), "must be one of locker, controller"),
        (lambda d: d.update(region="US West"), "region: bad value 'US West'"),
        (lambda d: d.update(extra=1), "settings.extra: unknown key"),
        (lambda d: d["service_accounts"]["locker"].update(name="x"), "service_accounts.locker.name: bad value"),
        (
            lambda d: d["service_accounts"]["scrapers"].update(bucket=["roles/storage.objectUser"]),
            "service_accounts.scrapers.bucket: unknown key",
        ),
        (
            lambda d: d["functions"]["scrapers"].update(ack_deadline_seconds=60),
            "functions.scrapers.ack_deadline_seconds: must be an integer from 540 to 600",
        ),
        (lambda d: d["functions"]["notifier"].update(secrets=["lower"]), "functions.notifier.secrets[0]: bad value"),
        (lambda d: d.update(bucket_soft_delete="3d"), "bucket_soft_delete: 3d: Cloud Storage allows 0 (off) or 7"),
        (lambda d: d["backfill_job"].update(task_timeout="2d"), "backfill_job.task_timeout: 2d: Cloud Run jobs allow"),
        (lambda d: d["backfill_job"].update(service_account="ghost"), "backfill_job.service_account: unknown"),
        (lambda d: d["backfill_job"].update(enabled="yes"), "backfill_job.enabled: must be true or false"),
        (lambda d: d["backfill_job"].update(cpu=3), "backfill_job.cpu: must be 1, 2, 4, 6 or 8"),
        (lambda d: d["backfill_job"].update(max_retries=11), "backfill_job.max_retries: must be an integer from 0"),
        (lambda d: d["backfill_job"].update(tasks=4), "backfill_job.tasks: unknown key"),
    ],
)
def test_bad_settings_name_the_key(edit, message: str, tmp_path: Path) -> None:
    path = edited_copy(REPO / "deploy" / "settings.yaml", tmp_path / "settings.yaml", edit)
    with pytest.raises(ConfigError) as exc:
        load_settings(path)
    assert message in str(exc.value)
    assert str(exc.value).startswith("settings.yaml: ")


def test_deploy_refuses_a_scrapers_secret_list_missing_a_catalogue_credential(tmp_path: Path) -> None:
    import subprocess

    def edit(d: dict) -> None:
        d["functions"]["scrapers"]["secrets"].remove("ODDS_API_KEY")

    settings = edited_copy(REPO / "deploy" / "settings.yaml", tmp_path / "settings.yaml", edit)
    res = subprocess.run(
        [str(REPO / "deploy" / "deploy.sh"), "--project", "p-1234", "--build-dir", str(tmp_path / "b")]
        + ["--settings", str(settings), "--dry-run"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode != 0
    assert "functions.scrapers.secrets in deploy/settings.yaml lacks ODDS_API_KEY" in res.stderr
