"""The shared schedule parser, on the real 2024-25 NBA.com schedule recording."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime

import pytest

from shared.nba.schedule import ScheduleError, games_on, parse_schedule


@pytest.fixture(scope="module")
def games(upstream_dir):
    with gzip.open(upstream_dir / "nbacom_cdn/scheduleleaguev2_2024-25_full.json.gz") as fh:
        return parse_schedule(json.load(fh))


def test_full_season(games):
    assert len(games) == 1400
    kinds = {g.game_type for g in games}
    assert kinds == {"preseason", "regular_season", "nba_cup", "all_star", "playoffs", "play_in"}


def test_regular_day_uses_utc_instant_not_fake_z_est(games):
    day = games_on(games, date(2025, 1, 15))
    assert len(day) == 11
    nyk_phi = next(g for g in day if g.game_id == "0022400561")
    assert (nyk_phi.away, nyk_phi.home, nyk_phi.teams) == ("NYK", "PHI", "NYKPHI")
    assert nyk_phi.commence_utc == datetime(2025, 1, 16, 0, 0, tzinfo=UTC)  # 19:00 ET
    assert nyk_phi.game_code == "20250115/NYKPHI"


def test_all_star_filtered_by_type(games):
    included = ["regular_season", "nba_cup", "play_in", "playoffs"]
    assert games_on(games, date(2025, 2, 16), included) == []
    assert len(games_on(games, date(2025, 2, 16))) == 3


def test_bad_documents():
    with pytest.raises(ScheduleError, match="no leagueSchedule"):
        parse_schedule({"x": 1})
    with pytest.raises(ScheduleError, match="gameDates"):
        parse_schedule({"leagueSchedule": {}})
    with pytest.raises(ScheduleError, match="game '1'"):
        parse_schedule({"leagueSchedule": {"gameDates": [{"games": [{"gameId": "1"}]}]}})


def test_pending_nba_cup_games_of_the_2026_27_slice(upstream_dir):
    """teamId 0 and null names/tricodes (the knockout games before the group stage ends) still make games of
    their day, with PENDING teams and `teams_known` False; decided games are untouched."""
    from shared.nba.schedule import PENDING, Game

    doc = json.loads((upstream_dir / "nbacom_cdn/scheduleleaguev2_2026-27_pending_knockout_slice.json").read_bytes())
    games = parse_schedule(doc)
    assert len(games) == 24
    per_day = {d: len(games_on(games, d)) for d in (date(2026, 12, 4), date(2026, 12, 5), date(2026, 12, 8))}
    assert per_day == {date(2026, 12, 4): 2, date(2026, 12, 5): 2, date(2026, 12, 8): 2}
    pending = [g for g in games if not g.teams_known]
    assert [g.game_id for g in pending] == [
        "0022601201",
        "0022601202",
        "0022601203",
        "0022601204",
        "0022601229",
        "0022601230",
    ]
    for g in pending:
        assert (g.home, g.away, g.game_code, g.game_type, g.status) == (PENDING, PENDING, "", "nba_cup", 1)
        assert Game.from_json(g.to_json()) == g  # stored and read back (schedule store, locker) unchanged
    assert sum(g.teams_known for g in games) == 18
    opener = games_on(games, date(2026, 10, 20))
    assert all(g.teams_known and len(g.home) == 3 and g.game_code.endswith(g.teams) for g in opener)
