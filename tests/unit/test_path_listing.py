"""shared.paths.listing: template -> prefixes for a window, path -> (scraper, parameters). Pure logic; the folder
listing callback is an in-memory set of object names."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from shared.config import get_config
from shared.paths.listing import PathCatalogue, Scope, match_path, scope_for, template_prefixes
from shared.paths.template import TemplateError, compile_template

PATTERNS = {
    "market": re.compile(r"^[a-z_]{2,32}$"),
    "event_id": re.compile(r"^[A-Za-z0-9_-]{4,64}$"),
    "teams": re.compile(r"^[A-Z]{2,4}[A-Z]{2,4}$"),
    "game_id": re.compile(r"^[0-9]{6,12}$"),
    "season": re.compile(r"^\d{4}(-\d{2})?$"),
    "team_abbr": re.compile(r"^[A-Z]{2,4}$"),
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "game_date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "gamedate": re.compile(r"^\d{8}$"),
}
JAN15 = Scope(dates=(date(2025, 1, 14), date(2025, 1, 15), date(2025, 1, 16)), utc_dates=(date(2025, 1, 15),))


def folders_of(names: list[str]):
    """A list_folders callback over a fixed set of object names (what a delimiter listing returns)."""
    calls: list[str] = []

    def list_folders(prefix: str) -> list[str]:
        calls.append(prefix)
        return sorted(
            {n[len(prefix) :].split("/", 1)[0] for n in names if n.startswith(prefix) and "/" in n[len(prefix) :]}
        )

    list_folders.calls = calls  # type: ignore[attr-defined]
    return list_folders


def tpl(template: str, required: tuple[str, ...] = ("date",), name: str = "s"):
    return compile_template(name, template, PATTERNS, required=required)


# ---- prefixes of one template ------------------------------------------------------------------------------


def test_a_dated_folder_expands_to_each_date_of_the_scope_and_stops_there():
    t = tpl("ball-dont-lie/boxscores/{date}/{timestamp}.json")
    assert template_prefixes(t, JAN15) == [
        "ball-dont-lie/boxscores/2025-01-14/",
        "ball-dont-lie/boxscores/2025-01-15/",
        "ball-dont-lie/boxscores/2025-01-16/",
    ]


def test_the_prefix_stops_at_the_first_folder_the_window_does_not_fix():
    t = tpl("odds-api/player-props/{date}/{event_id}-{teams}/{timestamp}-snap-{snap}.json", ("date", "event_id"))
    assert template_prefixes(t, JAN15)[1] == "odds-api/player-props/2025-01-15/"
    t = tpl("nba-com/team-boxscore/{game_date}/{game_id}/{timestamp}.json", ("game_date", "game_id"))
    assert template_prefixes(t, JAN15)[0] == "nba-com/team-boxscore/2025-01-14/"


def test_season_folders_take_every_spelling_and_the_next_season():
    t = tpl("ball-dont-lie/standings/{season}/{date}/{timestamp}.json", ("season",))
    got = template_prefixes(t, Scope(dates=(date(2025, 1, 15),), utc_dates=()))
    assert got == sorted(f"ball-dont-lie/standings/{s}/2025-01-15/" for s in ("2024-25", "2024", "2025", "2025-26"))


def test_a_season_across_october_lists_both_seasons():
    t = tpl("basketball-ref/season-rosters/{season}/{team_abbr}.json", ("season", "team_abbr"))
    got = template_prefixes(t, Scope(dates=(date(2025, 9, 30), date(2025, 10, 1)), utc_dates=()))
    assert "basketball-ref/season-rosters/2024-25/" in got and "basketball-ref/season-rosters/2025-26/" in got


def test_an_undated_template_is_narrowed_by_the_utc_date_of_its_timestamp():
    t = tpl("nba-com/schedule/{season}/{timestamp}.json", ("season",))
    scope = Scope(dates=(date(2025, 1, 15),), utc_dates=(date(2025, 1, 15), date(2025, 1, 16)))
    got = template_prefixes(t, scope)
    assert "nba-com/schedule/2024-25/20250115" in got and "nba-com/schedule/2024-25/20250116" in got
    assert all(p.startswith("nba-com/schedule/") for p in got)
    t = tpl("logs/{timestamp}.json", ())
    assert template_prefixes(t, scope) == ["logs/20250115", "logs/20250116"]


def test_a_dated_template_is_not_narrowed_by_its_timestamp():
    # The file's {date} is the date it is about; its timestamp can be a later day (post-game runs at 04:00).
    t = tpl("ball-dont-lie/boxscores/{date}/{timestamp}.json")
    assert all(p.endswith("/") for p in template_prefixes(t, JAN15))


def test_a_folder_before_the_date_is_found_by_a_delimiter_listing_and_filtered_by_its_pattern():
    t = tpl("bettingpros/player-props/{market}/{date}/{timestamp}.json", ("date", "market"))
    lister = folders_of(
        [
            "bettingpros/player-props/points/2025-01-15/20250115_170000.json",
            "bettingpros/player-props/rebounds/2025-01-10/20250110_170000.json",
            "bettingpros/player-props/BAD-NAME/2025-01-15/x.json",  # not a market: never listed
            "bettingpros/events/2025-01-15/20250115_170000.json",
        ]
    )
    got = template_prefixes(t, JAN15, lister)
    assert got == [f"bettingpros/player-props/{m}/{d}/" for m in ("points", "rebounds") for d in JAN15_STR]
    assert lister.calls == ["bettingpros/player-props/"]  # one delimiter listing, never the bucket


JAN15_STR = ("2025-01-14", "2025-01-15", "2025-01-16")


def test_a_folder_mixing_a_date_and_other_values_is_discovered_and_keeps_only_dates_in_scope():
    t = tpl("x/{event_id}_{date}/{game_id}/{timestamp}.json", ("date", "event_id", "game_id"))
    lister = folders_of(
        [
            "x/evt1_2025-01-15/0022400555/20250115_170000.json",
            "x/evt1_2025-01-02/0022400555/20250102_170000.json",  # date out of scope
            "x/junk/a.json",
        ]
    )
    assert template_prefixes(t, JAN15, lister) == ["x/evt1_2025-01-15/"]


def test_without_a_folder_lister_the_prefix_stops_before_the_unknown_folder():
    t = tpl("bettingpros/player-props/{market}/{date}/{timestamp}.json", ("date", "market"))
    assert template_prefixes(t, JAN15) == ["bettingpros/player-props/"]


def test_no_folder_found_means_nothing_to_list():
    t = tpl("bettingpros/player-props/{market}/{date}/{timestamp}.json", ("date", "market"))
    assert template_prefixes(t, JAN15, folders_of([])) == []


def test_a_template_without_a_fixed_folder_is_refused_rather_than_listing_the_bucket():
    with pytest.raises(TemplateError, match="no fixed folder"):
        template_prefixes(tpl("{market}/{event_id}.json", ("market", "event_id")), JAN15)


def test_a_static_template_is_its_own_prefix():
    assert template_prefixes(tpl("static/file.json", ()), JAN15) == ["static/file.json"]


# ---- the scope of a window ---------------------------------------------------------------------------------


def test_scope_widens_et_dates_by_the_margin_and_takes_utc_dates_of_the_timestamps():
    # 2025-01-16 03:00Z is 2025-01-15 22:00 ET: ET dates 14..16 with a 1-day margin; UTC dates 15 and 16.
    s = scope_for(datetime(2025, 1, 15, 23, 30, tzinfo=UTC), datetime(2025, 1, 16, 3, 0, tzinfo=UTC))
    assert s.dates == (date(2025, 1, 14), date(2025, 1, 15), date(2025, 1, 16))
    assert s.utc_dates == (date(2025, 1, 15), date(2025, 1, 16))
    s0 = scope_for(datetime(2025, 1, 15, 12, tzinfo=UTC), datetime(2025, 1, 15, 13, tzinfo=UTC), date_margin_days=0)
    assert s0.dates == (date(2025, 1, 15),)


def test_scope_of_a_long_catch_up_covers_every_day():
    s = scope_for(datetime(2025, 1, 10, 12, tzinfo=UTC), datetime(2025, 1, 15, 12, tzinfo=UTC))
    assert s.dates[0] == date(2025, 1, 9) and s.dates[-1] == date(2025, 1, 16) and len(s.dates) == 8


def test_scope_refuses_an_inverted_window():
    with pytest.raises(ValueError, match="before its start"):
        scope_for(datetime(2025, 1, 15, 13, tzinfo=UTC), datetime(2025, 1, 15, 12, tzinfo=UTC))


# ---- matching ----------------------------------------------------------------------------------------------


def test_matching_returns_the_parameters_and_refuses_anything_else():
    t = tpl("odds-api/player-props/{date}/{event_id}-{teams}/{timestamp}-snap-{snap}.json", ("date", "event_id"))
    name = "odds-api/player-props/2025-01-15/cd0bc7d0c2-ATLGSW/20250115_170000-snap-1700.json"
    assert t.match(name) == {
        "date": "2025-01-15",
        "event_id": "cd0bc7d0c2",
        "teams": "ATLGSW",
        "timestamp": "20250115_170000",
        "snap": "1700",
    }
    for foreign in (
        name + ".bak",
        name.replace(".json", ".txt"),
        name.replace("2025-01-15/", "15-01-2025/"),
        name.replace("-snap-1700", "-snap-17"),
        "x/" + name,
        name.replace("cd0bc7d0c2-ATLGSW", "cd0bc7d0c2-ATLGSW/extra"),
    ):
        assert t.match(foreign) is None, foreign


def test_an_optional_parameter_may_be_empty_a_required_one_may_not():
    t = tpl("odds-api/game-lines/{date}/{event_id}-{teams}/{timestamp}.json", ("date", "event_id"))
    assert t.match("odds-api/game-lines/2025-01-15/evt1-/20250115_170000.json")["teams"] == ""
    assert t.match("odds-api/game-lines/2025-01-15/-ATLGSW/20250115_170000.json") is None


def test_a_repeated_placeholder_must_repeat_the_same_value():
    t = tpl("x/{date}/{date}_{timestamp}.json")
    assert t.match("x/2025-01-15/2025-01-15_20250115_170000.json") is not None
    assert t.match("x/2025-01-15/2025-01-16_20250115_170000.json") is None


def test_a_placeholder_without_a_pattern_is_an_error():
    with pytest.raises(TemplateError, match="nope"):
        compile_template("s", "x/{nope}/{date}.json", PATTERNS)


def test_render_is_the_inverse_of_match():
    t = tpl("nba-com/rosters/{date}/{team_abbr}/{timestamp}.json", ("date", "team_abbr"))
    name = "nba-com/rosters/2025-01-15/BOS/20250115_170000.json"
    assert t.render(t.match(name)) == name


def test_identical_templates_are_told_apart_by_the_objects_scraper_metadata():
    a = compile_template("nbac_schedule_api", "nba-com/schedule/{season}/{timestamp}.json", PATTERNS)
    b = compile_template("nbac_schedule_cdn", "nba-com/schedule/{season}/{timestamp}.json", PATTERNS)
    name = "nba-com/schedule/2024-25/20250115_100000.json"
    assert match_path(name, (a, b), "nbac_schedule_cdn")[0].scraper == "nbac_schedule_cdn"
    assert match_path(name, (a, b), None)[0].scraper == "nbac_schedule_api"
    assert match_path(name, (a, b), "some_other")[0].scraper == "nbac_schedule_api"
    assert match_path("nba-com/schedule/2024-25/notes.txt", (a, b)) is None


# ---- the whole catalogue -----------------------------------------------------------------------------------

SAMPLE = {
    "date": "2025-01-15",
    "game_date": "2025-01-15",
    "gamedate": "20250115",
    "season": "2024-25",
    "season_year": "2024",
    "year": "2025",
    "game_id": "0022400555",
    "event_id": "cd0bc7d0c238f4446ce1c03d0cea7ec4",
    "teams": "ATLGSW",
    "team_abbr": "BOS",
    "teamAbbr": "BOS",
    "team_id": "1610612738",
    "game_code": "20250115/ATLGSW",
    "hour": "5",
    "minute": "30",
    "period": "PM",
    "market": "points",
    "market_id": "156",
    "snapshot": "2025-01-15T17:00:00Z",
    "filename": "game_0022400555_pbp",
}
AS_OF = datetime(2025, 1, 15, 22, 30, tzinfo=UTC)  # 17:30 ET


def written_paths(cfg) -> list[tuple[str, str, str]]:
    """(scraper, role, object name) of every path the scrapers framework writes for sample parameters."""
    from shared.paths.template import derived_values, fill_path

    out = []
    for spec in cfg.scrapers.values():
        params = {p: SAMPLE[p] for p in spec.params}
        values = derived_values(params, AS_OF)
        for role in ("gcs_path", "gcs_data_path"):
            template = getattr(spec, role)
            if template:
                out.append((spec.name, role, fill_path(template, values)))
    return out


def test_every_catalogue_template_compiles_and_has_a_fixed_prefix():
    cfg = get_config()
    cat = PathCatalogue.from_config(cfg)
    n = sum(1 + (s.gcs_data_path is not None) for s in cfg.scrapers.values())
    assert len(cat.templates) == n
    prefixes = cat.listing(JAN15, folders_of([]))
    assert prefixes and all(lp.prefix and "{" not in lp.prefix for lp in prefixes)


def test_every_path_the_scrapers_write_is_matched_to_its_scraper_and_listed_for_its_window():
    cfg = get_config()
    cat = PathCatalogue.from_config(cfg)
    written = written_paths(cfg)
    scope = scope_for(AS_OF - timedelta(minutes=60), AS_OF + timedelta(minutes=5))
    listing = cat.listing(scope, folders_of([n for _, _, n in written]))
    for scraper, role, name in written:
        found = match_path(name, cat.templates, scraper)
        assert found is not None, name
        t, params = found
        assert (t.scraper, t.role) == (scraper, role), name
        assert t.render(params) == name
        under = [lp for lp in listing if name.startswith(lp.prefix)]
        assert len(under) == 1, (name, [lp.prefix for lp in under])  # listed exactly once
        assert t in under[0].templates


def test_companions_render_from_the_raw_files_parameters():
    cat = PathCatalogue.from_config(get_config())
    written = {(s, r): n for s, r, n in written_paths(get_config())}
    for scraper in ("nbac_injury_report", "nbac_gamebook_pdf"):
        raw = written[(scraper, "gcs_path")]
        t, params = match_path(raw, cat.templates, scraper)
        assert cat.sibling_paths(t, params) == (written[(scraper, "gcs_data_path")],)


def test_nested_prefixes_are_merged_so_no_object_is_listed_twice():
    a = tpl("x/{date}/{timestamp}.json", name="a")
    b = tpl("x/{date}/odds/{timestamp}.json", name="b")
    listing = PathCatalogue((a, b)).listing(Scope(dates=(date(2025, 1, 15),), utc_dates=()))
    assert [lp.prefix for lp in listing] == ["x/2025-01-15/"]
    assert [t.scraper for t in listing[0].templates] == ["a", "b"]


def test_the_real_catalogue_never_lists_the_claims_folder_or_the_bucket_root():
    cat = PathCatalogue.from_config(get_config())
    lister = folders_of(["bettingpros/player-props/points/2025-01-15/x.json", "_nba-orch/requests/abc.json"])
    for lp in cat.listing(JAN15, lister):
        assert lp.prefix and not lp.prefix.startswith("_nba-orch/")
        assert "/" in lp.prefix
    assert "" not in lister.calls
