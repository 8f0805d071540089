"""deploy/deploy.sh against a recording gcloud/bq stand-in: the exact command sequence of a first deploy, a
second run that only describes, and changes (settings, configuration, drift, a new secret value) that update
only what changed; errors stop the deploy with a clear message before anything is created on a wrong guess."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest

from tests.deploy.conftest import REPO, FakeCloud, FirstDeploy, config_copy, edited_copy, is_read_only

GOLDEN = Path(__file__).parent / "golden" / "first_deploy.txt"


def normalise(calls: list[list[str]], build_dir: Path) -> list[str]:
    """Commands as shell lines, with the run's build folder and the source hashes made stable."""
    out = []
    for argv in calls:
        line = shlex.join(argv).replace(str(build_dir), "{BUILD}")
        out.append(re.sub(r"nba-orch-source=[0-9a-f]{16}", "nba-orch-source={HASH}", line))
    return out


def test_first_deploy_runs_the_exact_command_sequence(first_deploy: FirstDeploy) -> None:
    got = normalise(first_deploy.calls, first_deploy.build_dir)
    if os.environ.get("NBA_ORCH_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text("\n".join(got) + "\n")
        pytest.fail(f"{GOLDEN} rewritten: review `git diff` and run again without NBA_ORCH_UPDATE_GOLDEN")
    want = GOLDEN.read_text().splitlines()
    assert got == want, (
        "the first deploy's commands changed; if intended, regenerate with NBA_ORCH_UPDATE_GOLDEN=1 and review the diff"
    )


def test_first_deploy_orders_dependencies(first_deploy: FirstDeploy) -> None:
    lines = [shlex.join(c) for c in first_deploy.calls]

    def first(pattern: str) -> int:
        return next(i for i, line in enumerate(lines) if re.search(pattern, line))

    def last(pattern: str) -> int:
        return max(i for i, line in enumerate(lines) if re.search(pattern, line))

    assert first(r"^gcloud services enable ") < first(r"service-accounts create")
    assert last(r"service-accounts create") < first(r"add-iam-policy-binding")
    assert last(r"pubsub topics create") < first(r"^bq ")
    assert last(r"secrets create") < first(r"functions deploy")
    assert last(r"functions deploy") < first(r"scheduler jobs create")
    # Every mutation of a resource comes right after that resource was described and found missing/different.
    for i, argv in enumerate(first_deploy.calls):
        if not is_read_only(argv):
            assert any(is_read_only(c) for c in first_deploy.calls[:i]), shlex.join(argv)
    # The summary counts what was done.
    assert re.search(r"deploy: done: \d+ created, \d+ updated", first_deploy.result.stderr)


def test_first_deploy_leaves_the_project_as_specified(first_deploy: FirstDeploy) -> None:
    s = first_deploy.state
    jobs = {j["name"].rsplit("/", 1)[-1]: j for j in s["jobs"].values()}
    assert {n: (j["schedule"], j["timeZone"]) for n, j in jobs.items()} == {
        "nba-orch-schedule-locker": ("0 5 * * *", "America/New_York"),
        "nba-orch-master-controller": ("*/15 1,4,6-23 * * *", "America/New_York"),
        "nba-orch-cleanup": ("*/15 * * * *", "America/New_York"),
    }
    scrapers = s["functions"]["nba-orch-scrapers"]
    assert scrapers["serviceConfig"]["timeoutSeconds"] <= 540
    assert scrapers["eventTrigger"]["retryPolicy"] == "RETRY_POLICY_RETRY"
    sub = scrapers["eventTrigger"]["trigger"].rsplit("/", 1)[-1]
    sub_name = s["triggers"][sub]["transport"]["pubsub"]["subscription"].rsplit("/", 1)[-1]
    assert s["subscriptions"][sub_name]["deadLetterPolicy"] == {
        "deadLetterTopic": "projects/nba-test-proj/topics/nba-orch-dead-letter",
        "maxDeliveryAttempts": 5,
    }
    assert s["subscriptions"][sub_name]["retryPolicy"] == {"minimumBackoff": "10s", "maximumBackoff": "600s"}
    tables = {k: t for k, t in s["tables"].items() if t.get("type") != "VIEW"}
    assert sorted(tables) == sorted(f"nba_orchestration.{t}" for t in _table_names())
    views = sorted(k for k, t in s["tables"].items() if t.get("type") == "VIEW")
    assert views == sorted(f"nba_orchestration.{v}" for v in ("day_health", "sla_misses", "runs_by_source_status"))
    assert {t["timePartitioning"]["expirationMs"] for t in tables.values()} == {str(90 * 86400 * 1000)}
    assert s["buckets"]["nba-scraped-data"]["lifecycle"]["rule"] == [
        {"action": {"type": "Delete"}, "condition": {"age": 365}},
        # the rate limiter's time slots (docs/limits.md): worthless once their second has passed
        {"action": {"type": "Delete"}, "condition": {"age": 1, "matchesPrefix": ["_nba-orch/slots/"]}},
    ]
    # Secrets exist but hold nothing: the deploy never writes a value.
    assert all(sec["versions"] == [] for sec in s["secrets"].values())
    assert "secretEnvironmentVariables" not in scrapers["serviceConfig"]
    assert "has no value yet" in first_deploy.result.stderr


def _table_names() -> list[str]:
    from shared.bq_schema import TABLES

    return list(TABLES)


def test_second_deploy_only_describes(deployed: FakeCloud) -> None:
    res = deployed.deploy()
    assert res.returncode == 0, res.stderr
    calls = deployed.calls()
    assert calls, "the second run must still look at every resource"
    assert [shlex.join(c) for c in calls if not is_read_only(c)] == []
    assert re.search(r"deploy: done: 0 created, 0 updated, \d+ unchanged", res.stderr)


def test_changed_memory_redeploys_only_that_function(deployed: FakeCloud, tmp_path: Path) -> None:
    settings = edited_copy(
        REPO / "deploy" / "settings.yaml",
        tmp_path / "settings.yaml",
        lambda d: d["functions"]["scrapers"].update(memory="2Gi"),
    )
    res = deployed.deploy("--settings", str(settings))
    assert res.returncode == 0, res.stderr
    muts = deployed.mutations()
    assert len(muts) == 1, [shlex.join(m) for m in muts]
    assert muts[0][:4] == ["gcloud", "functions", "deploy", "nba-orch-scrapers"]
    assert "--memory=2Gi" in muts[0]
    assert "memory: '1Gi' -> '2Gi'" in res.stderr


def test_changed_configuration_updates_functions_job_and_delivery_policy(deployed: FakeCloud, tmp_path: Path) -> None:
    def edit(d: dict) -> None:
        d["cleanup"]["interval_minutes"] = 30
        d["pubsub"]["max_delivery_attempts"] = 10

    config = config_copy(tmp_path, edit)
    res = deployed.deploy(env=deployed.env(NBA_ORCH_CONFIG_DIR=str(config)))
    assert res.returncode == 0, res.stderr
    muts = deployed.mutations()
    # The configuration ships with every function, so all five are redeployed with it...
    deploys = [m[3] for m in muts if m[1:3] == ["functions", "deploy"]]
    assert deploys == [
        "nba-orch-schedule-locker",
        "nba-orch-master-controller",
        "nba-orch-cleanup",
        "nba-orch-scrapers",
        "nba-orch-notifier",
    ]
    # ...the cleanup job gets its new cron and nothing else...
    jobs = [m for m in muts if m[1:3] == ["scheduler", "jobs"]]
    assert jobs == [
        [
            "gcloud",
            "scheduler",
            "jobs",
            "update",
            "pubsub",
            "nba-orch-cleanup",
            "--location=us-west2",
            "--schedule=*/30 * * * *",
            "--project=nba-test-proj",
        ]
    ]
    # ...and each trigger's subscription gets the new dead-letter attempts, not the unchanged retry policy.
    subs = [m for m in muts if m[1:3] == ["pubsub", "subscriptions"]]
    assert len(subs) == 5
    for m in subs:
        assert m[3] == "update"
        assert [a for a in m if a.startswith("--")] == [
            "--dead-letter-topic=nba-orch-dead-letter",
            "--max-delivery-attempts=10",
            "--project=nba-test-proj",
        ]
    # ...and the backfill job, which ships the same configuration, is rebuilt with it.
    assert [m[:4] for m in muts if m[1:3] == ["run", "jobs"]] == [["gcloud", "run", "jobs", "deploy"]]
    assert len(muts) == 5 + 1 + 5 + 1
    # The staged functions carry the edited configuration.
    staged = deployed.build_dir / "stage" / "cleanup" / "shared" / "config" / "settings.yaml"
    assert "interval_minutes: 30" in staged.read_text()


def test_drift_is_repaired_and_nothing_else_touched(deployed: FakeCloud) -> None:
    state = deployed.state()
    state["buckets"]["nba-scraped-data"].pop("lifecycle")
    notes = state["notifications"]["nba-scraped-data"]
    notes.append(dict(notes[0], id="99"))  # a duplicate would double every event
    publishers = next(b for b in state["iam"]["topic:nba-scraper-requests"] if b["role"] == "roles/pubsub.publisher")
    publishers["members"].remove("serviceAccount:nba-orch-controller@nba-test-proj.iam.gserviceaccount.com")
    table = state["tables"]["nba_orchestration.scraper_execution_log"]
    table["schema"]["fields"] = [f for f in table["schema"]["fields"] if f["name"] != "opts"]  # a column to add
    state["jobs"]["nba-orch-master-controller"]["schedule"] = "0 6-23 * * *"  # the old, faulty cron
    deployed.save(state)
    res = deployed.deploy()
    assert res.returncode == 0, res.stderr
    muts = deployed.mutations()
    assert [[w for w in m if not w.startswith("--")][:5] for m in muts] == [
        ["gcloud", "pubsub", "topics", "add-iam-policy-binding", "nba-scraper-requests"],
        ["bq", "update", "nba-test-proj:nba_orchestration.scraper_execution_log"],
        ["gcloud", "storage", "buckets", "update", "gs://nba-scraped-data"],
        ["gcloud", "storage", "buckets", "notifications", "delete"],
        ["gcloud", "scheduler", "jobs", "update", "pubsub"],
    ]
    assert "--member=serviceAccount:nba-orch-controller@nba-test-proj.iam.gserviceaccount.com" in muts[0]
    assert [a for a in muts[1] if a.startswith("--")] == [
        "--project_id=nba-test-proj",
        f"--schema={deployed.build_dir}/deploy/bq/scraper_execution_log.json",
    ]
    assert [a for a in muts[2] if a.startswith("--")] == [
        f"--lifecycle-file={deployed.build_dir}/deploy/lifecycle.json",
        "--project=nba-test-proj",
    ]
    assert "projects/_/buckets/nba-scraped-data/notificationConfigs/99" in muts[3]
    assert "--schedule=*/15 1,4,6-23 * * *" in muts[4]
    s = deployed.state()
    assert s["buckets"]["nba-scraped-data"]["lifecycle"]["rule"][0]["condition"] == {"age": 365}
    assert len(s["notifications"]["nba-scraped-data"]) == 1
    assert "opts" in {f["name"] for f in s["tables"]["nba_orchestration.scraper_execution_log"]["schema"]["fields"]}


def test_a_secret_value_added_later_is_mapped_on_the_scrapers_function_only(deployed: FakeCloud) -> None:
    state = deployed.state()
    state["secrets"]["odds-api-key"]["versions"] = [
        {"name": "projects/1/secrets/odds-api-key/versions/1", "state": "ENABLED"}
    ]
    deployed.save(state)
    res = deployed.deploy()
    assert res.returncode == 0, res.stderr
    muts = deployed.mutations()
    assert [m[:4] for m in muts] == [["gcloud", "functions", "deploy", "nba-orch-scrapers"]]
    assert "--set-secrets=ODDS_API_KEY=odds-api-key:latest" in muts[0]
    assert "has no value yet" in res.stderr and "odds-api-key has no value" not in res.stderr
    # The value itself never passes through deploy: only the secret's name and version are referenced.
    env = deployed.state()["functions"]["nba-orch-scrapers"]["serviceConfig"]["secretEnvironmentVariables"]
    assert env == [{"key": "ODDS_API_KEY", "projectId": "nba-test-proj", "secret": "odds-api-key", "version": "latest"}]


def test_a_permission_error_stops_the_deploy_before_anything_is_created(fake_cloud: FakeCloud) -> None:
    state = fake_cloud.state()
    state["errors"] = {
        "pubsub topics describe": "ERROR: (gcloud.pubsub.topics.describe) PERMISSION_DENIED: User not authorized"
    }
    fake_cloud.save(state)
    res = fake_cloud.deploy()
    assert res.returncode == 1
    assert "deploy: error: failed: gcloud pubsub topics describe nba-orch-schedule-locker-tick" in res.stderr
    assert "PERMISSION_DENIED" in res.stderr
    calls = fake_cloud.calls()
    assert not any(c[1:3] == ["pubsub", "topics"] and c[3] != "describe" for c in calls)
    assert calls[-1][1:4] == ["pubsub", "topics", "describe"]  # stopped right there


def test_a_table_that_cannot_be_migrated_stops_the_deploy_unchanged(deployed: FakeCloud) -> None:
    state = deployed.state()
    table = state["tables"]["nba_orchestration.workflow_decisions"]
    next(f for f in table["schema"]["fields"] if f["name"] == "reason")["type"] = "INTEGER"
    deployed.save(state)
    res = deployed.deploy()
    assert res.returncode == 1
    assert "column reason is INTEGER NULLABLE in the table, STRING NULLABLE in the code" in res.stderr
    assert "Nothing was changed" in res.stderr
    assert deployed.mutations() == []
    assert deployed.calls()[-1][-1] == "nba-test-proj:nba_orchestration.workflow_decisions"


def test_bad_settings_fail_before_any_command(fake_cloud: FakeCloud, tmp_path: Path) -> None:
    settings = edited_copy(
        REPO / "deploy" / "settings.yaml",
        tmp_path / "settings.yaml",
        lambda d: d["functions"]["cleanup"].update(timeout_seconds=900),
    )
    res = fake_cloud.deploy("--settings", str(settings))
    assert res.returncode == 2
    assert "settings.yaml: functions.cleanup.timeout_seconds: must be an integer from 1 to 540, got 900" in res.stderr
    assert fake_cloud.calls() == []


def test_missing_project_is_a_clear_error(fake_cloud: FakeCloud) -> None:
    res = fake_cloud.run("deploy.sh", "--project", "Bad_Project")
    assert res.returncode == 1
    assert "bad project id 'Bad_Project'" in res.stderr
    assert fake_cloud.calls() == []


def test_dry_run_prints_every_command_and_runs_none(first_deploy: FirstDeploy) -> None:
    fc = first_deploy.fake
    before = fc.calls()
    res = fc.deploy("--dry-run")
    assert res.returncode == 0, res.stderr
    assert fc.calls() == before, "a dry run runs nothing"
    commands = [line for line in res.stdout.splitlines() if line and not line.startswith("#")]
    assert f"# {len(commands)} commands" in res.stdout
    # Every command the real first deploy ran is among the printed ones, up to what only describes teach
    # (the project number, trigger and subscription names) and the secrets (dry runs assume values exist).
    printed = set(commands)
    for argv in first_deploy.calls:
        line = shlex.join(argv).replace("service-123456789012@", "service-PROJECT_NUMBER@")
        line = re.sub(r"eventarc-us-west2-(nba-orch-[a-z-]+)-\d{6}-sub-\d{3}", r"SUBSCRIPTION_OF_\1", line)
        line = re.sub(r"(nba-orch-[a-z-]+)-\d{6}(?= )", r"TRIGGER_OF_\1", line)
        if argv[1:3] == ["functions", "deploy"] and _all_secrets(argv[3]):
            line = line.replace(" --update-labels", " --set-secrets=" + _all_secrets(argv[3]) + " --update-labels")
        if argv[1:3] == ["services", "enable"]:
            full = next(c for c in commands if c.startswith("gcloud services enable "))
            assert set(argv[3:-1]) <= set(shlex.split(full)[3:-1])
            continue
        assert line in printed, line


def _all_secrets(function_name: str) -> str:
    """The --set-secrets value of a function when every secret it lists has a value (what a dry run assumes)."""
    from deploy.plan import secret_id
    from deploy.settings import load_settings

    fn = next(f for f in load_settings().functions.values() if f.name == function_name)
    return ",".join(f"{env}={secret_id(env)}:latest" for env in fn.secrets)


def test_teardown_confirms_then_deletes_in_reverse_order(deployed: FakeCloud) -> None:
    res = deployed.teardown(stdin="no\n")
    assert res.returncode == 1
    assert "not confirmed; nothing was deleted" in res.stderr
    assert "bucket nba-scraped-data (and every file in it)" in res.stderr
    assert deployed.mutations() == []

    deployed.clear_calls()
    res = deployed.teardown(stdin="nba-test-proj\n")
    assert res.returncode == 0, res.stderr
    kinds = [" ".join(w for w in m[1:4] if not w.startswith("-")) for m in deployed.mutations()]
    order = [
        "monitoring dashboards delete",
        "alpha monitoring policies",
        "logging metrics delete",
        "scheduler jobs delete",
        "run jobs delete",
        "functions delete",
        "secrets delete",
        "storage rm",
        "bq rm",
        "pubsub subscriptions delete",
        "pubsub topics delete",
        "projects remove-iam-policy-binding",
        "iam service-accounts delete",
    ]
    normalised = ["bq rm" if k.startswith("rm") else k for k in kinds]
    positions = [max(i for i, k in enumerate(normalised) if k.startswith(o)) for o in order]
    assert positions == sorted(positions), normalised
    s = deployed.state()
    for key in (
        "service_accounts",
        "topics",
        "subscriptions",
        "datasets",
        "tables",
        "buckets",
        "secrets",
        "functions",
        "jobs",
        "run_jobs",
        "metrics",
        "policies",
        "dashboards",
    ):
        assert s[key] == {}, key
    assert all(not b["members"] for b in s["iam"].get("project", [])), "project bindings removed"
    assert s["services"], "APIs are left enabled"

    deployed.clear_calls()
    again = deployed.teardown("--yes")
    assert again.returncode == 0
    assert "nothing to delete" in again.stderr
    assert deployed.mutations() == []


def test_teardown_keep_data_keeps_bucket_dataset_and_secrets(deployed: FakeCloud) -> None:
    res = deployed.teardown("--yes", "--keep-data")
    assert res.returncode == 0, res.stderr
    s = deployed.state()
    assert list(s["buckets"]) == ["nba-scraped-data"]
    assert list(s["datasets"]) == ["nba_orchestration"]
    assert len(s["secrets"]) == 9  # four API keys, the stats API's proxy URL, the notifier's four channel secrets
    assert s["functions"] == {} and s["jobs"] == {} and s["service_accounts"] == {}


def test_teardown_dry_run_runs_nothing(deployed: FakeCloud) -> None:
    before = deployed.state()
    res = deployed.teardown("--dry-run")
    assert res.returncode == 0, res.stderr
    assert deployed.calls() == []
    assert deployed.state() == before
    assert (
        "gcloud scheduler jobs delete nba-orch-cleanup --location=us-west2 --project=nba-test-proj --quiet"
        in res.stdout
    )
    assert "bq --project_id=nba-test-proj rm -r -f -d nba-test-proj:nba_orchestration" in res.stdout


def test_a_notifier_secret_added_later_is_mapped_on_the_notifier_only(deployed: FakeCloud) -> None:
    state = deployed.state()
    sid = "nba-orch-alert-webhook-url"
    state["secrets"][sid]["versions"] = [{"name": f"projects/1/secrets/{sid}/versions/1", "state": "ENABLED"}]
    deployed.save(state)
    res = deployed.deploy()
    assert res.returncode == 0, res.stderr
    muts = deployed.mutations()
    assert [m[:4] for m in muts] == [["gcloud", "functions", "deploy", "nba-orch-notifier"]]
    assert f"--set-secrets=NBA_ORCH_ALERT_WEBHOOK_URL={sid}:latest" in muts[0]
    # Only the notifier's account may read it; the scrapers' keys are readable by the scrapers' account only.
    iam = deployed.state()["iam"]
    assert iam[f"secret:{sid}"] == [
        {"role": "roles/secretmanager.secretAccessor", "members": ["serviceAccount:" + _sa("notifier")]}
    ]
    assert iam["secret:odds-api-key"] == [
        {"role": "roles/secretmanager.secretAccessor", "members": ["serviceAccount:" + _sa("scrapers")]}
    ]


def _sa(name: str) -> str:
    return f"nba-orch-{name}@nba-test-proj.iam.gserviceaccount.com"


def test_grants_of_earlier_versions_are_revoked_and_the_narrow_ones_kept(deployed: FakeCloud) -> None:
    """A project deployed before least privilege: dataEditor on the whole dataset and objectUser on the whole
    bucket for every account. One deploy revokes exactly those; a second changes nothing."""
    state = deployed.state()
    accounts = ["locker", "controller", "cleanup", "scrapers", "notifier"]
    ds = state["datasets"]["nba_orchestration"]
    ds["access"] += [{"role": "WRITER", "userByEmail": _sa(a)} for a in accounts[:4]]
    ds["access"].append({"role": "WRITER", "userByEmail": "someone@example.com"})  # not ours: left alone
    state["iam"]["bucket:nba-scraped-data"].append(
        {"role": "roles/storage.objectUser", "members": ["serviceAccount:" + _sa(a) for a in accounts]}
    )
    deployed.save(state)
    res = deployed.deploy()
    assert res.returncode == 0, res.stderr
    muts = deployed.mutations()
    revokes = [m for m in muts if m[0] == "bq"]
    assert len(revokes) == 4 and all("REVOKE `roles/bigquery.dataEditor` ON SCHEMA" in m[-1] for m in revokes)
    removes = [m for m in muts if m[1:4] == ["storage", "buckets", "remove-iam-policy-binding"]]
    assert len(removes) == 5 and all("--condition=None" in m for m in removes)
    assert len(muts) == 9
    after = deployed.state()
    assert {"role": "WRITER", "userByEmail": "someone@example.com"} in after["datasets"]["nba_orchestration"]["access"]
    assert not any(a.get("userByEmail") == _sa("scrapers") for a in after["datasets"]["nba_orchestration"]["access"])
    bucket = after["iam"]["bucket:nba-scraped-data"]
    unconditional_user = [b for b in bucket if b["role"] == "roles/storage.objectUser" and not b.get("condition")]
    assert all(not b["members"] for b in unconditional_user)
    deployed.clear_calls()
    res = deployed.deploy()
    assert res.returncode == 0 and deployed.mutations() == []


def test_scrapers_may_create_but_not_delete_and_claims_are_confined_to_their_prefixes(
    first_deploy: FirstDeploy,
) -> None:
    from shared.bucket_layout import PREFIXES

    bucket = first_deploy.state["iam"]["bucket:nba-scraped-data"]
    roles: dict[str, list[tuple[str, str]]] = {}
    for b in bucket:
        for m in b["members"]:
            roles.setdefault(m.split(":", 1)[1].split("@")[0], []).append(
                (b["role"], (b.get("condition") or {}).get("expression", ""))
            )
    unconditional = {k: {r for r, e in v if not e} for k, v in roles.items()}
    assert unconditional["nba-orch-scrapers"] == {"roles/storage.objectViewer", "roles/storage.objectCreator"}
    assert unconditional["nba-orch-controller"] == unconditional["nba-orch-cleanup"] == {"roles/storage.objectViewer"}
    assert "nba-orch-notifier" not in {k for k, v in unconditional.items() if v}
    (scrapers_cond,) = [e for r, e in roles["nba-orch-scrapers"] if r == "roles/storage.objectUser"]
    base = "projects/_/buckets/nba-scraped-data/objects/"
    assert scrapers_cond == " || ".join(
        f'resource.name.startsWith("{base}{PREFIXES[k]}")'
        for k in ("scraper_requests", "shapes", "injury_status", "slowdown")
    )
    # The backfill job: nothing on the whole bucket; it reads (and lists) its own records, the run ledger and the
    # schedule files, and only creates under its own prefix.
    assert unconditional["nba-orch-backfill"] == set()
    backfill = dict(roles["nba-orch-backfill"])
    assert sorted(backfill) == ["roles/storage.objectCreator", "roles/storage.objectViewer"]
    assert backfill["roles/storage.objectCreator"] == f'resource.name.startsWith("{base}{PREFIXES["backfill"]}")'
    read = ("_nba-orch/backfill/", "_nba-orch/runs/", "nba-com/schedule/")
    assert backfill["roles/storage.objectViewer"] == " || ".join(
        [f'resource.name.startsWith("{base}{p}")' for p in read]
        + [f'api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("{p}")' for p in read]
    )
    for k, v in roles.items():
        for r, e in v:
            # every condition is confined to _nba-orch/ prefixes (and, for a listing role, the bucket itself),
            # but the backfill's reads of the schedule files
            for clause in filter(None, e.split(" || ")):
                if k == "nba-orch-backfill" and r == "roles/storage.objectViewer":
                    continue
                assert clause.startswith(f'resource.name.startsWith("{base}_nba-orch/') or clause == (
                    'resource.type == "storage.googleapis.com/Bucket"'
                ), clause
    assert first_deploy.state["buckets"]["nba-scraped-data"]["softDeletePolicy"] == {
        "retentionDurationSeconds": "604800"
    }
    for sub in first_deploy.state["subscriptions"].values():
        if sub["name"].rsplit("/", 1)[-1].startswith("eventarc-"):
            assert sub["ackDeadlineSeconds"] >= 180


# ---------------------------------------------------------------------------------------------------------
# deploy --plan: the describes only, then what would change (exit 2) or nothing (exit 0)


def _planned(stdout: str) -> tuple[list[str], list[str], list[str]]:
    """(step lines, the commands printed under them, the pending lines) of a plan's output."""
    steps = [line for line in stdout.splitlines() if line[:2] in ("+ ", "~ ")]
    cmds = [line[4:] for line in stdout.splitlines() if line.startswith("    ")]
    pending = [line for line in stdout.splitlines() if line.startswith("? ")]
    return steps, cmds, pending


def test_plan_of_an_empty_project_lists_everything_and_changes_nothing(fake_cloud: FakeCloud) -> None:
    res = fake_cloud.deploy("--plan")
    assert res.returncode == 2, res.stderr
    assert fake_cloud.mutations() == [] and fake_cloud.calls(), "a plan runs describes only"
    steps, cmds, pending = _planned(res.stdout)
    assert "+ topic locker_tick" in steps and "+ function nba-orch-scrapers" in steps
    assert "+ scheduler job nba-orch-cleanup" in steps and "+ dashboard nba-orch" in steps
    # a new function's trigger is only known once it is deployed
    assert (
        "? function nba-orch-scrapers trigger: decided once the changes above are made "
        "(needs trigger:scrapers, trigger_region:scrapers)" in pending
    )
    assert re.search(r"^Plan: \d+ to create, 2 to update, \d+ decided after those; \d+ unchanged\.$", res.stdout, re.M)
    # every command printed is one the first deploy runs (placeholders aside)
    first = fake_cloud.deploy()
    assert first.returncode == 0, first.stderr
    ran = set(normalise(fake_cloud.mutations(), fake_cloud.build_dir))
    assert [c for c in normalise([shlex.split(c) for c in cmds], fake_cloud.build_dir) if c not in ran] == []


def test_plan_of_a_fully_deployed_project_has_no_changes(deployed: FakeCloud) -> None:
    res = deployed.deploy("--plan")
    assert res.returncode == 0, res.stdout + res.stderr
    assert re.search(r"^No changes: \d+ resources match\.$", res.stdout, re.M)
    assert _planned(res.stdout) == ([], [], [])
    assert deployed.mutations() == []


def test_plan_of_a_partly_deployed_project_shows_what_the_deploy_then_does(deployed: FakeCloud) -> None:
    state = deployed.state()
    del state["functions"]["nba-orch-notifier"]  # never deployed
    state["jobs"]["nba-orch-cleanup"]["schedule"] = "0 * * * *"  # drifted
    state["services"].remove("monitoring.googleapis.com")  # turned off by hand
    deployed.save(state)
    res = deployed.deploy("--plan")
    assert res.returncode == 2, res.stderr
    assert deployed.mutations() == []
    steps, cmds, pending = _planned(res.stdout)
    assert steps == [
        "~ enabled APIs (enabling monitoring.googleapis.com)",
        "+ function nba-orch-notifier",
        "~ scheduler job nba-orch-cleanup (nba-orch-cleanup: schedule '0 * * * *' -> '*/15 * * * *')",
    ]
    assert [p.split(":")[0] for p in pending] == [
        "? function nba-orch-notifier invoker IAM",
        "? function nba-orch-notifier trigger",
        "? function nba-orch-notifier subscription IAM",
        "? function nba-orch-notifier delivery policy",
    ]
    assert "Plan: 1 to create, 2 to update, 4 decided after those;" in res.stdout
    # the deploy does what the plan printed, then the steps the plan could not decide yet
    deployed.clear_calls()
    done = deployed.deploy()
    assert done.returncode == 0, done.stderr
    muts = normalise(deployed.mutations(), deployed.build_dir)
    assert muts[: len(cmds) - 1] == normalise([shlex.split(c) for c in cmds[:-1]], deployed.build_dir)
    assert muts[-1] == normalise([shlex.split(cmds[-1])], deployed.build_dir)[0]  # the scheduler job, last
    between = [m.split(" --")[0] for m in muts[len(cmds) - 1 : -1]]
    # (the new trigger's subscription gets its bindings and policy; the service's invoker binding survived)
    assert between and all(m.startswith("gcloud pubsub subscriptions ") for m in between), between
    assert any("notifier" in m for m in between)
    assert deployed.deploy("--plan").returncode == 0


def test_only_functions_changes_the_functions_only(deployed: FakeCloud, tmp_path: Path) -> None:
    settings = edited_copy(
        REPO / "deploy" / "settings.yaml",
        tmp_path / "settings.yaml",
        lambda d: d["functions"]["scrapers"].update(memory="2Gi"),
    )
    state = deployed.state()
    state["jobs"]["nba-orch-cleanup"]["schedule"] = "0 * * * *"
    deployed.save(state)
    plan = deployed.deploy("--plan", "--only", "functions", "--settings", str(settings))
    assert plan.returncode == 2 and "only functions" in plan.stdout
    assert _planned(plan.stdout)[0] == ["~ function nba-orch-scrapers (nba-orch-scrapers: memory: '1Gi' -> '2Gi')"]
    res = deployed.deploy("--only", "functions", "--settings", str(settings))
    assert res.returncode == 0, res.stderr
    assert [m[:4] for m in deployed.mutations()] == [["gcloud", "functions", "deploy", "nba-orch-scrapers"]]
    assert deployed.state()["jobs"]["nba-orch-cleanup"]["schedule"] == "0 * * * *"  # not its kind: left alone
    assert deployed.deploy("--plan", "--only", "scheduler").returncode == 2


def test_only_and_environment_are_checked(fake_cloud: FakeCloud) -> None:
    res = fake_cloud.deploy("--plan", "--only", "functions,lambdas")
    assert res.returncode == 1 and "--only: unknown lambdas; choose from apis, accounts, iam" in res.stderr
    res = fake_cloud.deploy("--environment", "Prod!", "--dry-run")
    assert res.returncode == 1 and "bad environment 'Prod!'" in res.stderr
    assert fake_cloud.calls() == []


def test_environment_names_labels_the_functions_variable_and_the_bucket(fake_cloud: FakeCloud) -> None:
    res = fake_cloud.deploy("--environment", "staging", "--dry-run")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    topic = next(line for line in lines if line.startswith("gcloud pubsub topics create nba-orch-schedule-locker-tick"))
    assert "--labels=managed-by=nba-orch,environment=staging" in topic
    fn = next(line for line in lines if line.startswith("gcloud functions deploy nba-orch-scrapers"))
    assert "NBA_ORCH_ENVIRONMENT=staging" in fn and "NBA_ORCH_BUCKET=nba-scraped-data-staging" in fn
    assert any(line.startswith("gcloud storage buckets create gs://nba-scraped-data-staging") for line in lines)
    prod = fake_cloud.deploy("--dry-run").stdout
    assert "NBA_ORCH_ENVIRONMENT=prod" in prod and "gs://nba-scraped-data " in prod


# ---------------------------------------------------------------------------------------------------------
# The backfill Cloud Run Job (settings.yaml backfill_job; jobs/backfill/)


def test_first_deploy_makes_the_backfill_job_with_its_own_account(first_deploy: FirstDeploy) -> None:
    s = first_deploy.state
    job = s["run_jobs"]["nba-orch-backfill"]
    execution = job["spec"]["template"]["spec"]
    task = execution["template"]["spec"]
    assert execution["taskCount"] == 1
    assert (task["maxRetries"], task["timeoutSeconds"]) == (3, str(6 * 3600))
    assert task["serviceAccountName"] == _sa("backfill")
    env = {e["name"]: e["value"] for e in task["containers"][0]["env"]}
    assert env["GOOGLE_CLOUD_PROJECT"] == "nba-test-proj" and env["NBA_ORCH_BUCKET"] == "nba-scraped-data"
    assert env["NBA_ORCH_BACKFILL_FOLLOW_SECONDS"] == str(6 * 3600 - 300)  # it stops following before the kill
    assert re.fullmatch(r"[0-9a-f]{16}", job["metadata"]["labels"]["nba-orch-source"])
    # The job's account may publish scraper requests and nothing else on Pub/Sub; no project role, no table.
    iam = s["iam"]
    member = "serviceAccount:" + _sa("backfill")
    held = {(k, b["role"]) for k, bs in iam.items() for b in bs if member in b["members"]}
    assert {(k, r) for k, r in held if not k.startswith("bucket:")} == {
        ("topic:nba-scraper-requests", "roles/pubsub.publisher")
    }
    # The staged folder: main.py, the Procfile the buildpacks start it by, shared/, the runtime lock.
    folder = first_deploy.build_dir / "stage" / "jobs-backfill"
    assert sorted(p.name for p in folder.iterdir()) == ["Procfile", "main.py", "requirements.txt", "shared"]
    deploy = next(c for c in first_deploy.calls if c[1:4] == ["run", "jobs", "deploy"])
    assert f"--source={folder}" in deploy and "--tasks=1" in deploy and "--max-retries=3" in deploy


def test_a_changed_job_setting_redeploys_only_the_job(deployed: FakeCloud, tmp_path: Path) -> None:
    settings = edited_copy(
        REPO / "deploy" / "settings.yaml",
        tmp_path / "settings.yaml",
        lambda d: d["backfill_job"].update(max_retries=5, task_timeout="12h"),
    )
    plan = deployed.deploy("--plan", "--settings", str(settings))
    assert plan.returncode == 2, plan.stderr
    assert _planned(plan.stdout)[0] == [
        "~ Cloud Run job nba-orch-backfill (nba-orch-backfill: max retries: 3 -> 5; task timeout: '21600' -> 43200; "
        "environment variables)"
    ]
    assert deployed.mutations() == []
    res = deployed.deploy("--only", "backfill_job", "--settings", str(settings))
    assert res.returncode == 0, res.stderr
    (mut,) = deployed.mutations()
    assert (
        mut[:4] == ["gcloud", "run", "jobs", "deploy"] and "--max-retries=5" in mut and "--task-timeout=43200s" in mut
    )
    deployed.clear_calls()
    assert deployed.deploy("--settings", str(settings)).returncode == 0
    assert deployed.mutations() == []  # the same settings again: only describes


def test_a_drifted_job_is_repaired_and_a_changed_source_rebuilds_it(deployed: FakeCloud) -> None:
    state = deployed.state()
    task = state["run_jobs"]["nba-orch-backfill"]["spec"]["template"]["spec"]["template"]["spec"]
    task["serviceAccountName"] = _sa("scrapers")  # changed by hand in the Console
    deployed.save(state)
    res = deployed.deploy()
    assert res.returncode == 0, res.stderr
    assert [m[:4] for m in deployed.mutations()] == [["gcloud", "run", "jobs", "deploy"]]
    assert "service account: " in res.stderr
    deployed.clear_calls()
    state = deployed.state()
    state["run_jobs"]["nba-orch-backfill"]["metadata"]["labels"]["nba-orch-source"] = "0" * 16  # older code
    deployed.save(state)
    assert deployed.deploy("--plan", "--only", "backfill_job").returncode == 2
    assert deployed.deploy().returncode == 0
    assert [m[:4] for m in deployed.mutations()] == [["gcloud", "run", "jobs", "deploy"]]


def test_a_disabled_job_is_not_deployed_and_teardown_still_removes_one(fake_cloud: FakeCloud, tmp_path: Path) -> None:
    settings = edited_copy(
        REPO / "deploy" / "settings.yaml", tmp_path / "settings.yaml", lambda d: d["backfill_job"].update(enabled=False)
    )
    res = fake_cloud.deploy("--settings", str(settings))
    assert res.returncode == 0, res.stderr
    s = fake_cloud.state()
    assert s["run_jobs"] == {} and _sa("backfill") not in s["service_accounts"]
    assert not any("nba-orch-backfill" in " ".join(c) for c in fake_cloud.mutations())
    # made by an earlier deploy with the job enabled: teardown with the disabled settings finds and deletes both
    assert fake_cloud.deploy().returncode == 0 and "nba-orch-backfill" in fake_cloud.state()["run_jobs"]
    fake_cloud.clear_calls()
    res = fake_cloud.teardown("--yes", "--settings", str(settings))
    assert res.returncode == 0, res.stderr
    s = fake_cloud.state()
    assert s["run_jobs"] == {} and s["service_accounts"] == {}
