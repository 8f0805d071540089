"""The cross-source comparison (pure): real recordings of every box-score endpoint read, the real overlap
(2024-01-15 HOU@PHI from ESPN and balldontlie), name matching on real names, the sample day's sources in
full agreement and a skewed source flagged alone."""

from __future__ import annotations

import dataclasses
import gzip

import pytest

from shared.config import ConfigError, get_config
from shared.quality.compare import compare
from shared.quality.config import load_quality_config, parse_quality_config
from shared.quality.lines import read_lines
from shared.quality.names import normalise
from shared.quality.service import compare_games, suspects, trusted

# Every recording of a box-score endpoint the comparison reads: (source, file, games, players who played).
RECORDINGS = [
    ("nba_stats", "nbacom_stats/boxscoretraditionalv3_0022500560_PHI-TOR_2026-01-12.json", 1, 26),
    ("nba_cdn", "nbacom_cdn/boxscore_0042200123_PHI-BKN_2023-04-20_final.json", 1, 18),
    ("nba_cdn", "nbacom_cdn/boxscore_0022300682_DEN-OKC_2024-01-31_pregame.json", 1, 0),
    ("balldontlie", "balldontlie/box_scores_2024-01-15.json", 11, 23),
    ("balldontlie", "balldontlie/box_scores_empty_day.json", 0, 0),
    ("espn", "espn/game_boxscore_6f34c64b.html.gz", 1, 23),
]


def body(upstream_dir, name: str) -> bytes:
    data = (upstream_dir / name).read_bytes()
    return gzip.decompress(data) if name.endswith(".gz") else data


@pytest.mark.parametrize("source,name,games,played", RECORDINGS)
def test_every_box_score_recording_is_read(upstream_dir, source, name, games, played):
    got = read_lines(source, body(upstream_dir, name))
    assert len(got) == games
    if games:
        assert sum(p.played for p in got[0].lines) == played
        assert all(p.team in (got[0].away, got[0].home) for p in got[0].lines)


def hou_phi(upstream_dir):
    espn = read_lines("espn", body(upstream_dir, "espn/game_boxscore_6f34c64b.html.gz"))[0]
    bdl = next(g for g in read_lines("balldontlie", body(upstream_dir, "balldontlie/box_scores_2024-01-15.json"))
               if g.teams == "HOUPHI")  # fmt: skip
    return espn, bdl


def test_the_real_overlap_agrees_once_names_are_matched(upstream_dir):
    """ESPN and balldontlie on 2024-01-15 HOU@PHI: 23 players played; suffixes (Marcus Morris Sr., Reggie
    Bullock Jr.) and two real spelling differences (KJ Martin / Kenyon Martin Jr., Nate / Jeenathan Williams)
    matched; Paul Reed's 17 vs 16 minutes is inside the 1-minute tolerance."""
    q = load_quality_config()
    espn, bdl = hou_phi(upstream_dir)
    c = compare("espn", espn, "balldontlie", bdl, tolerances=q.tolerances, aliases=q.aliases)
    assert (c.players, c.matched, c.agreeing, c.disagreement_count) == (23, 23, 23, 0)
    assert c.team_points == {"HOU": (115, 115), "PHI": (124, 124)}
    # Without the aliases the two spelling differences are unmatched on both sides, listed by name.
    bare = compare("espn", espn, "balldontlie", bdl, tolerances=q.tolerances)
    assert bare.unmatched_reference == ("HOU Nate Williams", "PHI KJ Martin")
    assert bare.unmatched_source == ("HOU Jeenathan Williams", "PHI Kenyon Martin Jr.")
    assert bare.agreeing == 21 and bare.players == 25
    # With no minutes tolerance, the one-minute difference is a disagreement naming player, field and values.
    strict = compare("espn", espn, "balldontlie", bdl, tolerances={**q.tolerances, "minutes": 0}, aliases=q.aliases)
    assert strict.disagreements == (
        {"player": "Paul Reed", "team": "PHI", "field": "minutes", "reference": 17, "value": 16},
    )


@pytest.mark.parametrize(
    "a,b",
    [
        ("Marcus Morris Sr.", "Marcus Morris"),
        ("Reggie Bullock Jr.", "Reggie Bullock"),
        ("Nikola Jokić", "Nikola Jokic"),
        ("Luka Dončić", "Luka Doncic"),
        ("Jae'Sean Tate", "JaeSean Tate"),
        ("P.J. Washington", "PJ Washington"),
        ("Ricky Council IV", "Ricky Council"),
        ("Dāvis Bertāns", "Davis Bertans"),
        ("Kristaps Porziņģis", "Kristaps Porzingis"),
        ("Nikola Vučević", "Nikola Vucevic"),
    ],
)
def test_names_normalise_to_the_same_identity(a, b):
    assert normalise(a) == normalise(b)


def test_suffix_is_not_stripped_from_a_two_word_name_and_aliases_are_data():
    assert normalise("Gary Payton II") == normalise("Gary Payton") == "gary payton"
    assert normalise("Ii V") == "ii v"  # never strip a name down to one word
    assert normalise("KJ Martin", {"kj martin": "kenyon martin"}) == normalise("Kenyon Martin Jr.")


def sample_found(d, skew=None):
    from tooling.sample_day import nba
    from tooling.sample_day.bdl import box_scores
    from tooling.sample_day.day import build

    day = build(d)
    w = day.world
    found = {
        "nba_stats": [g for gd in w.game_days for g in read_lines("nba_stats", nba.boxscore_traditional_v3(gd))],
        "nba_cdn": [g for gd in w.game_days for g in read_lines("nba_cdn", nba.boxscore_live(gd))],
        "balldontlie": read_lines("balldontlie", box_scores(w, (skew or {}).get("balldontlie", 1.0))),
    }
    return day, found


def test_the_sample_day_sources_agree_on_every_player():
    from tooling.sample_day import DEFAULT_DATE

    q = load_quality_config()
    day, found = sample_found(DEFAULT_DATE)
    results = compare_games(q, day.games, found)
    assert len(results) == len(day.games) and all(r.reference == "nba_stats" for r in results)
    comps = [c for r in results for c in r.comparisons]
    assert {c.source for c in comps} == {"nba_cdn", "balldontlie"}
    assert all(c.players > 15 and c.agreeing == c.players and not c.disagreements for c in comps), [
        (c.source, c.players, c.agreeing, c.disagreements[:2]) for c in comps
    ]
    assert all(r.missing == ("espn",) for r in results)


def test_a_skewed_source_is_suspect_alone_and_never_the_reference():
    from shared.quality.window import window_counts
    from tooling.sample_day import DEFAULT_DATE

    q = load_quality_config()
    day, found = sample_found(DEFAULT_DATE, {"balldontlie": 0.5})
    results = compare_games(q, day.games, found)
    counts = window_counts(r.metadata() for r in results)
    assert set(suspects(q, counts)) == {"balldontlie"}
    bdl = [c for r in results for c in r.comparisons if c.source == "balldontlie"]
    fields = {d["field"] for c in bdl for d in c.disagreements}
    assert {"minutes", "points"} <= fields and not fields & {"rebounds", "assists"}
    # A suspect primary is not relied on: the reference moves to the first backup not suspect.
    assert trusted(q, "box_scores", {"nba_stats"}) == "nba_cdn"
    moved = compare_games(q, day.games[:1], found, suspect={"nba_stats"})
    assert moved[0].reference == "nba_cdn" and {c.source for c in moved[0].comparisons} == {"nba_stats", "balldontlie"}


def test_config_validation():
    cfg = get_config()
    raw = {
        "scrapers": {"nba_stats": "nbac_player_boxscore"},
        "sources": {"box_scores": ["nba_stats"]},
        "tolerances": {"minutes": 1},
    }
    assert parse_quality_config(raw, cfg).tolerances["points"] == 0
    for bad, where in [
        ({**raw, "tolerances": {"minutes": float("nan")}}, "tolerances.minutes"),
        ({**raw, "tolerances": {"steals": 1}}, "tolerances.steals"),
        ({**raw, "scrapers": {"nba_stats": "bdl_box_scores"}}, "scrapers.nba_stats"),
        ({**raw, "sources": {"box_scores": ["espn"]}}, "sources.box_scores"),
        ({**raw, "suspect": {"min_agreement": 1.5}}, "suspect.min_agreement"),
        ({**raw, "after_workflow": "betting_lines"}, "after_workflow"),
    ]:
        with pytest.raises(ConfigError, match=where.replace(".", r"\.")):
            parse_quality_config(bad, cfg)


def test_the_alert_rule_and_the_suspect_threshold_agree():
    from shared.alerts.sla import load_alerts_config

    rule = next(r for r in load_alerts_config().rules if r.kind == "source_agreement")
    s = load_quality_config().suspect
    assert (rule.p("min_agreement"), rule.p("min_players")) == (s.min_agreement, s.min_players)
    assert dataclasses.is_dataclass(s)


def test_the_source_agreement_sla_flags_only_a_source_below_the_floor():
    from datetime import UTC, date, datetime

    from shared.alerts import sla

    acfg = sla.load_alerts_config()
    now = datetime(2025, 1, 16, 10, tzinfo=UTC)
    s = sla.DayState(day=date(2025, 1, 16), quality={"balldontlie": (120, 20), "nba_cdn": (120, 120), "espn": (5, 0)})
    got = {r.subject: r for r in sla.evaluate(get_config(), acfg, [s], now).results if r.rule == "source_agreement"}
    assert set(got) == {"balldontlie", "nba_cdn"}  # espn: too few players to judge
    assert not got["balldontlie"].ok and got["nba_cdn"].ok
    assert "20 of 120 players" in got["balldontlie"].detail
    unread = sla.evaluate(get_config(), acfg, [sla.DayState(day=date(2025, 1, 16))], now)
    assert "source_agreement" not in unread.rules  # no input read: not judged, never a false OK


def test_the_simulation_skew_flag():
    from tooling.cli.simulate import parse_skew
    from tooling.sample_day import DEFAULT_DATE
    from tooling.sample_day.day import build

    assert parse_skew(["balldontlie=0.5"]) == {"balldontlie": 0.5}
    for bad in ("balldontlie", "balldontlie=nan", "=0.5", "balldontlie=-1"):
        with pytest.raises(ValueError):
            parse_skew([bad])
    with pytest.raises(ValueError, match="skewable: balldontlie"):
        build(DEFAULT_DATE, skew={"espn": 0.5})
    plain, skewed = build(DEFAULT_DATE), build(DEFAULT_DATE, skew={"balldontlie": 0.5})
    changed = {r.scraper for r, s in zip(plain.routes, skewed.routes, strict=True) if r != s}
    assert changed == {"bdl_box_scores"}
