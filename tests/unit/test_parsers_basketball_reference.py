"""Basketball-Reference season roster parser.

No recording of a team page exists; SAMPLE_HTML below is a SYNTHETIC excerpt modelled on the documented
page structure (``table#roster`` with ``data-stat`` cells, player links /players/x/id.html, ``csk`` sort
keys on birth dates, "(TW)" two-way marker, and tables sometimes shipped inside HTML comments).
"""

from __future__ import annotations

import json

import pytest

from shared.parsers import ParseError
from shared.parsers.basketball_reference import parse_season_roster

ROWS = """
<tr><th scope="row" class="center " data-stat="number">0</th>
  <td class="left " data-append-csv="tatumja01" data-stat="player">
    <a href="/players/t/tatumja01.html">Jayson Tatum</a></td>
  <td class="center " data-stat="pos">PF</td><td class="right " data-stat="height" csk="80">6-8</td>
  <td class="right " data-stat="weight">210</td>
  <td class="left " data-stat="birth_date" csk="19980303">
    <a href="/friv/birthdays.fcgi?month=3&day=3">March 3, 1998</a></td>
  <td class="center " data-stat="birth_country"><span class="f-i f-us">us</span></td>
  <td class="right " data-stat="years_experience">7</td>
  <td class="left " data-stat="college"><a href="/friv/colleges.fcgi?college=duke">Duke</a></td></tr>
<tr class="thead"><th data-stat="number">No.</th><th data-stat="player">Player</th></tr>
<tr><th scope="row" class="center " data-stat="number">55</th>
  <td class="left " data-stat="player"><a href="/players/s/scheiba01.html">Baylor Scheierman</a></td>
  <td class="center " data-stat="pos">SF</td><td class="right " data-stat="height">6-6</td>
  <td class="right " data-stat="weight">205</td>
  <td class="left " data-stat="birth_date">September 26, 2000</td>
  <td class="center " data-stat="birth_country">us</td>
  <td class="right " data-stat="years_experience">R</td>
  <td class="left " data-stat="college">Nebraska, Creighton</td></tr>
<tr><th scope="row" class="center " data-stat="number">20</th>
  <td class="left " data-stat="player"><a href="/players/d/davisjd01.html">JD Davison</a> (TW)</td>
  <td class="center " data-stat="pos">PG</td><td class="right " data-stat="height">6-1</td>
  <td class="right " data-stat="weight">195</td>
  <td class="left " data-stat="birth_date" csk="20021003">October 3, 2002</td>
  <td class="center " data-stat="birth_country">us</td>
  <td class="right " data-stat="years_experience">2</td>
  <td class="left " data-stat="college">Alabama</td></tr>
"""
TABLE = f"""<table class="sortable stats_table" id="roster" data-cols-to-freeze=",2">
<caption>Roster Table</caption>
<thead><tr><th data-stat="number">No.</th><th data-stat="player">Player</th>
<th data-stat="pos">Pos</th></tr></thead>
<tbody>{ROWS}</tbody></table>"""
SAMPLE_HTML = f"""<!DOCTYPE html><html><head><title>2024-25 Boston Celtics Roster and Stats</title></head>
<body><div id="all_roster"><div class="table_container" id="div_roster">{TABLE}</div></div></body></html>"""
COMMENTED_HTML = f"""<html><body><div id="all_roster"><!--
{TABLE}
--></div></body></html>"""


def test_roster_table() -> None:
    out = parse_season_roster(SAMPLE_HTML.encode(), "bos", season=2025)
    assert out["summary"] == {
        "team": "BOS",
        "season": 2025,
        "player_count": 3,
        "player_ids": ["tatumja01", "scheiba01", "davisjd01"],
    }
    tatum, rookie, two_way = out["records"]
    assert tatum == {
        "team": "BOS",
        "season": 2025,
        "number": "0",
        "player": "Jayson Tatum",
        "player_id": "tatumja01",
        "two_way": False,
        "position": "PF",
        "height": "6-8",
        "weight_lbs": 210,
        "birth_date": "1998-03-03",
        "birth_country": "US",
        "experience": "7",
        "years_experience": 7,
        "college": "Duke",
    }
    assert (rookie["years_experience"], rookie["birth_date"], rookie["college"]) == (
        0,
        "2000-09-26",
        "Nebraska, Creighton",
    )
    assert (two_way["player"], two_way["two_way"]) == ("JD Davison", True)
    json.dumps(out)


def test_roster_table_inside_html_comment() -> None:
    out = parse_season_roster(COMMENTED_HTML, "BOS")
    assert out["summary"]["player_count"] == 3


def test_missing_table_or_team_raises() -> None:
    with pytest.raises(ParseError, match="no table#roster"):
        parse_season_roster("<html><body><h1>Page Not Found (404 error)</h1></body></html>", "BOS")
    with pytest.raises(ParseError, match="team code is required"):
        parse_season_roster(SAMPLE_HTML, "")
    with pytest.raises(ParseError, match="empty page"):
        parse_season_roster(b"", "BOS")
