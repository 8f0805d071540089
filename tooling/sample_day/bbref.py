"""Basketball-Reference team season pages of the sample day (www.basketball-reference.com/teams/XXX/YYYY.html).

Only what the roster parser reads is generated, in the page's structure: `table#roster` inside
`div#div_roster`, cells keyed by `data-stat`, player links /players/{letter}/{id}.html, `csk` sort keys on
birth dates, a repeated header row inside the body and the "(TW)" two-way marker.
"""

from __future__ import annotations

from html import escape

from tooling.sample_day.teams import team
from tooling.sample_day.world import Player, World

TWO_WAY_SLOTS = (12,)  # the last roster slot holds a two-way contract


def _row(p: Player, slot: int) -> str:
    born = p.birth_date
    tw = " (TW)" if slot in TWO_WAY_SLOTS else ""
    college = (
        f'<a href="/friv/colleges.fcgi?college={escape(p.college.lower())}">{escape(p.college)}</a>'
        if p.college
        else ""
    )
    return (
        f'<tr><th scope="row" class="center " data-stat="number">{p.jersey}</th>'
        f'<td class="left " data-append-csv="{p.br_id}" data-stat="player">'
        f'<a href="/players/{p.br_id[0]}/{p.br_id}.html">{escape(p.name)}</a>{tw}</td>'
        f'<td class="center " data-stat="pos">{p.br_position}</td>'
        f'<td class="right " data-stat="height" csk="{int(p.height.split("-")[0]) * 12 + int(p.height.split("-")[1])}">'
        f"{p.height}</td>"
        f'<td class="right " data-stat="weight">{p.weight}</td>'
        f'<td class="left " data-stat="birth_date" csk="{born:%Y%m%d}">'
        f'<a href="/friv/birthdays.fcgi?month={born.month}&amp;day={born.day}">'
        f"{born:%B} {born.day}, {born.year}</a></td>"
        f'<td class="center " data-stat="birth_country">'
        f'<span class="f-i f-{p.country_code}">{p.country_code}</span></td>'
        f'<td class="right " data-stat="years_experience">{p.experience or "R"}</td>'
        f'<td class="left " data-stat="college">{college}</td></tr>'
    )


def roster_page(world: World, tri: str) -> bytes:
    """The team's season page with its roster table (players sorted by jersey number, like the site)."""
    info = team(tri)
    year = world.season_start + 1
    roster = world.rosters[tri]
    ordered = sorted(range(len(roster)), key=lambda k: int(roster[k].jersey))
    rows = [_row(roster[k], k) for k in ordered]
    rows.insert(
        8, '<tr class="thead"><th data-stat="number">No.</th><th data-stat="player">Player</th></tr>'
    )  # repeated header row, as long tables have
    title = f"{world.season} {info.full_name} Roster and Stats | Basketball-Reference.com"
    head = (
        '<thead><tr><th data-stat="number">No.</th><th data-stat="player">Player</th><th data-stat="pos">Pos</th>'
        '<th data-stat="height">Ht</th><th data-stat="weight">Wt</th><th data-stat="birth_date">Birth Date</th>'
        '<th data-stat="birth_country"></th><th data-stat="years_experience">Exp</th>'
        '<th data-stat="college">College</th></tr></thead>'
    )
    html = (
        f'<!DOCTYPE html>\n<html data-version="klecko-" lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head><body>"
        f'<div id="info"><h1><span>{world.season}</span> <span>{escape(info.full_name)}</span> '
        f"<span>Roster and Stats</span></h1></div>"
        f'<div id="all_roster" class="table_wrapper"><div class="section_heading"><h2>Roster</h2></div>'
        f'<div class="table_container" id="div_roster">'
        f'<table class="sortable stats_table" id="roster" data-cols-to-freeze=",2">'
        f"<caption>Roster Table</caption>{head}<tbody>{''.join(rows)}</tbody></table></div></div>"
        f"<!-- season {year} page of {info.br_code} -->"
        f"</body></html>\n"
    )
    return html.encode()
