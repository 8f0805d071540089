"""Configuration: the default reproduces the system we replace; every bad config names file, key, problem."""

from __future__ import annotations

import shutil
from datetime import time
from pathlib import Path

import pytest
import yaml

from shared.config import CONFIG_DIR, ConfigError, load_config


def test_default_config_reproduces_the_replaced_system():
    cfg = load_config()
    assert list(cfg.workflows) == [
        "morning_operations",
        "betting_lines",
        "post_game_window_1",
        "post_game_window_2",
        "post_game_window_3",
        "morning_recovery",
        "injury_discovery",
        "referee_discovery",
    ]
    mo = cfg.workflows["morning_operations"]
    assert mo.decision_type == "self_aware" and mo.ideal_window.start == time(6) and mo.ideal_window.end == time(10)
    bl = cfg.workflows["betting_lines"]
    assert (bl.decision_type, bl.depends_on, bl.late_minutes) == ("game_tip_offsets", ("morning_operations",), 30)
    assert [(s.name, s.snapshot_type, s.before_minutes) for s in bl.snapshots] == [
        ("open", "open", None),
        ("t-6h", "regular", 360),
        ("t-3h", "regular", 180),
        ("t-90m", "regular", 90),
        ("closing", "closing", 35),
    ]
    assert bl.business_hours.start == time(8) and bl.business_hours.end == time(23)
    assert [cfg.workflows[f"post_game_window_{i}"].fixed_time for i in (1, 2, 3)] == [time(22), time(1), time(4)]
    assert "nbac_gamebook_pdf" in cfg.workflows["post_game_window_3"].scrapers
    assert "nbac_gamebook_pdf" not in cfg.workflows["post_game_window_2"].scrapers
    rec = cfg.workflows["morning_recovery"]  # issue 19: every post-game scraper, once, the morning after
    assert (rec.decision_type, rec.fixed_time, rec.tolerance_minutes) == ("recovery", time(6), 30)
    assert rec.scrapers == cfg.workflows["post_game_window_3"].scrapers
    inj, ref = cfg.workflows["injury_discovery"], cfg.workflows["referee_discovery"]
    # Injuries: every report from 08:00 until the last tip (issue 18), not only the first one found.
    assert (inj.decision_type, inj.first_attempt, inj.catch_up_hours, inj.max_per_tick) == (
        "report_series",
        time(8),
        2,
        8,
    )
    assert (ref.max_attempts, ref.interval_hours) == (6, 1)
    assert cfg.scrapers["oddsa_player_props"].depends_on == ("oddsa_events",)
    assert cfg.scrapers["nbac_referee_assignments"].treat_no_data_as_success
    # Not the injury report any more (issue 15): one without a player row is no_data, a missing one failed.
    assert not cfg.scrapers["nbac_injury_report"].treat_no_data_as_success
    assert str(cfg.timezone) == "America/New_York"
    assert cfg.cleanup.lookback_minutes == 60 and cfg.cleanup.min_file_age_minutes == 30


def test_crons_cover_post_game_windows_and_lock_at_five():
    cfg = load_config()
    assert cfg.controller_cron() == "*/15 1,4,6-23 * * *"  # quarters for the tip-keyed line snapshots
    assert cfg.locker_cron() == "0 5 * * *"
    assert cfg.cleanup_cron() == "*/15 * * * *"


def _mutated(tmp_path: Path, file: str, mutate) -> Path:
    d = tmp_path / "cfg"
    shutil.copytree(CONFIG_DIR, d)
    data = yaml.safe_load((d / file).read_text())
    mutate(data)
    (d / file).write_text(yaml.safe_dump(data))
    return d


BAD = [
    (
        "workflows.yaml",
        lambda d: d["workflows"]["betting_lines"]["scrapers"].append("nope_scraper"),
        "workflows.betting_lines.scrapers",
        "unknown scraper 'nope_scraper'",
    ),
    (
        "workflows.yaml",
        lambda d: d["workflows"]["post_game_window_1"].update(fixed_time="25:00"),
        "workflows.post_game_window_1.fixed_time",
        "bad time",
    ),
    (
        "workflows.yaml",
        lambda d: d["workflows"]["injury_discovery"].update(decision_type="psychic"),
        "workflows.injury_discovery.decision_type",
        "unknown decision type",
    ),
    (
        "workflows.yaml",
        lambda d: d["workflows"]["morning_operations"].update(depends_on=["betting_lines"]),
        "depends_on",
        "cycle in depends_on",
    ),
    (
        "scrapers.yaml",
        lambda d: d["scrapers"]["oddsa_events"].update(depends_on=["oddsa_player_props"]),
        "depends_on",
        "cycle in depends_on",
    ),
    (
        "workflows.yaml",
        lambda d: d["workflows"]["morning_operations"].update(scrapers=["bdl_standings", "bdl_standings"]),
        "workflows.morning_operations.scrapers",
        "duplicate name",
    ),
    (
        "scrapers.yaml",
        lambda d: d["scrapers"]["nbac_schedule_api"].update(fallback=["nbac_schedule_nope"]),
        "scrapers.nbac_schedule_api.fallback",
        "unknown scraper 'nbac_schedule_nope'",
    ),
    (
        "scrapers.yaml",
        lambda d: d["scrapers"]["nbac_schedule_cdn"].update(fallback=["nbac_schedule_api"]),
        "fallback",
        "cycle in fallback: nbac_schedule_api -> nbac_schedule_cdn -> nbac_schedule_api",
    ),
    (
        "scrapers.yaml",
        lambda d: d["scrapers"]["bdl_games"].update(fallback=["bdl_games"]),
        "scrapers.bdl_games.fallback",
        "cycle in fallback: bdl_games -> bdl_games",
    ),
    (
        "scrapers.yaml",
        lambda d: d["scrapers"]["nbac_schedule_api"].update(fallback=["nbac_play_by_play"]),
        "scrapers.nbac_schedule_api.fallback",
        "nbac_play_by_play requires game_id, date, which nbac_schedule_api does not take",
    ),
    (
        "scrapers.yaml",
        lambda d: d["sources"]["nba_stats"].update(proxy_secret="http://user:pw@proxy:8080"),
        "sources.nba_stats.proxy_secret",
        "must name the environment variable",
    ),
    (
        "scrapers.yaml",
        lambda d: d["scrapers"]["bdl_games"].update(gcs_path="../x/{date}.json"),
        "scrapers.bdl_games.gcs_path",
        "without '..'",
    ),
    (
        "scrapers.yaml",
        lambda d: d["scrapers"]["bdl_games"].update(gcs_path="x/{nope}.json"),
        "scrapers.bdl_games.gcs_path",
        "unknown placeholder {nope}",
    ),
    (
        "scrapers.yaml",
        lambda d: d["scrapers"]["bdl_games"].update(source="nowhere"),
        "scrapers.bdl_games.source",
        "unknown source",
    ),
    (
        "workflows.yaml",
        lambda d: d["workflows"]["betting_lines"]["business_hours"].update(end="07:00"),
        "workflows.betting_lines.business_hours",
        "must be after start",
    ),
    (
        "workflows.yaml",
        lambda d: d["workflows"]["referee_discovery"].update(max_attempts=0),
        "workflows.referee_discovery.max_attempts",
        "integer >= 1",
    ),
    (
        "workflows.yaml",
        lambda d: d["workflows"]["referee_discovery"].update(colour="blue"),
        "workflows.referee_discovery.colour",
        "unknown key",
    ),
    ("settings.yaml", lambda d: d.update(timezone="Mars/Olympus"), "timezone", "unknown time zone"),
    (
        "settings.yaml",
        lambda d: d["pubsub"].update(max_delivery_attempts=2),
        "pubsub.max_delivery_attempts",
        "5 to 100",
    ),
    (
        "settings.yaml",
        lambda d: d["games"].update(include_types=["exhibition"]),
        "games.include_types",
        "unknown game type",
    ),
]


@pytest.mark.parametrize(("file", "mutate", "key", "problem"), BAD, ids=[f"{b[2]}:{b[3]}" for b in BAD])
def test_bad_config_names_file_key_and_problem(tmp_path, file, mutate, key, problem):
    d = _mutated(tmp_path, file, mutate)
    with pytest.raises(ConfigError) as info:
        load_config(d)
    msg = str(info.value)
    assert msg.startswith(f"{file}: "), msg
    assert key in info.value.key, msg
    assert problem in info.value.problem, msg


def test_invalid_yaml_and_missing_file(tmp_path):
    d = tmp_path / "cfg"
    shutil.copytree(CONFIG_DIR, d)
    (d / "workflows.yaml").write_text("workflows: [unclosed")
    with pytest.raises(ConfigError, match=r"^workflows.yaml: -: invalid YAML"):
        load_config(d)
    (d / "workflows.yaml").unlink()
    with pytest.raises(ConfigError, match="file not found"):
        load_config(d)


def test_fixed_window_hours_join_the_controller_cron(tmp_path):
    d = _mutated(tmp_path, "workflows.yaml", lambda w: w["workflows"]["post_game_window_2"].update(fixed_time="02:00"))
    assert load_config(d).controller_cron() == "*/15 2,4,6-23 * * *"


def test_parameter_patterns_accept_ascii_digits_only():
    """`\\d` in a catalogue pattern means 0-9: `season=٢٠٢٤` (Arabic-Indic digits) would name a GCS path."""
    cfg = load_config()
    assert cfg.param_patterns["season"].fullmatch("2024-25")
    assert cfg.param_patterns["season"].fullmatch("٢٠٢٤") is None
    assert cfg.param_patterns["game_id"].fullmatch("００２２４００５６１") is None  # fullwidth digits
