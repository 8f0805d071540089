"""www.nba.com team roster page (Next.js __NEXT_DATA__) parser."""

from __future__ import annotations

import gzip
import json

import pytest

from shared.parsers import ParseError
from shared.parsers.nbacom_web import next_data, parse_team_roster_page
from tests.conftest import recording as fixture


def test_warriors_roster_page() -> None:
    out = parse_team_roster_page(fixture("nbacom_web/team_roster_79002ff4.html.gz"))
    summary = out["summary"]
    assert summary["team_id"] == 1610612744
    assert (summary["team_abbreviation"], summary["team_name"]) == ("GSW", "Golden State Warriors")
    assert summary["player_count"] == 18 and len(summary["player_ids"]) == 18
    assert summary["head_coach"] == "Steve Kerr"
    by_name = {r["player_name"]: r for r in out["records"]}
    curry = by_name["Stephen Curry"]
    assert (curry["player_id"], curry["jersey_number"], curry["position"]) == (201939, "30", "G")
    assert curry["years_experience"] == 16 and curry["how_acquired"] == "#7 Pick in 2009 Draft"
    assert by_name["Jonathan Kuminga"]["jersey_number"] == "00"  # string, leading zeros kept
    rookie = by_name["Will Richard"]
    assert rookie["jersey_number"] is None and rookie["experience"] == "R" and rookie["years_experience"] == 0
    assert rookie["birth_date"] == "2002-12-24"
    assert by_name["Draymond Green"]["player_id"] == 203110
    json.dumps(out)


def test_plain_str_html_is_accepted() -> None:
    html = gzip.decompress(fixture("nbacom_web/team_roster_79002ff4.html.gz")).decode()
    assert parse_team_roster_page(html)["summary"]["player_count"] == 18


def test_page_without_next_data_raises() -> None:
    with pytest.raises(ParseError, match="__NEXT_DATA__"):
        parse_team_roster_page(b"<html><body>Access Denied</body></html>")


def test_truncated_page_raises() -> None:
    html = gzip.decompress(fixture("nbacom_web/team_roster_79002ff4.html.gz"))
    start = html.index(b'id="__NEXT_DATA__"')
    with pytest.raises(ParseError):
        parse_team_roster_page(html[: start + 5000])


def test_broken_embedded_json_and_wrong_shape() -> None:
    bad_json = '<script id="__NEXT_DATA__" type="application/json">{"props": </script>'
    with pytest.raises(ParseError, match="not valid JSON"):
        next_data(bad_json)
    no_team = '<script type="application/json" id="__NEXT_DATA__">{"props": {"pageProps": {}}}</script>'
    with pytest.raises(ParseError, match="missing required key 'team'"):
        parse_team_roster_page(no_team)
    bad_player = (
        '<script id="__NEXT_DATA__" type="application/json">'
        '{"props": {"pageProps": {"team": {"roster": [{"PLAYER": "x"}]}}}}</script>'
    )
    with pytest.raises(ParseError, match=r"roster\[0\] lacks PLAYER_ID"):
        parse_team_roster_page(bad_player)
