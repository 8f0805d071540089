"""BigDataBall play-by-play CSV files of the sample day (the columns of ../shared/fixtures/upstream/bigdataball).

The same plays as the cdn play-by-play, in BigDataBall's vocabulary: the game id without its leading zeros,
both lineups on every row (a1..a5 away, h1..h5 home: the acting player is always on the floor), running
clocks as H:MM:SS, event types "start of period", "jump ball", "shot", "miss", "free throw", "rebound",
"substitution", "end of period".
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from datetime import UTC, timedelta

from tooling.sample_day.world import Action, GameDay, World, utc_z

COLUMNS = (
    "game_id,data_set,date,a1,a2,a3,a4,a5,h1,h2,h3,h4,h5,period,away_score,home_score,remaining_time,elapsed,"
    "play_length,play_id,team,event_type,assist,away,home,block,entered,left,num,opponent,outof,player,points,"
    "possession,reason,result,steal,type,shot_distance,original_x,original_y,converted_x,converted_y,description"
).split(",")


def file_name(gd: GameDay) -> str:
    """BigDataBall's own naming: "[YYYY-MM-DD]-00224NNNNN-AWY@HOM.csv"."""
    return f"[{gd.game.game_date.isoformat()}]-{gd.game.game_id}-{gd.away}@{gd.home}.csv"


def _hms(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _row(world: World, gd: GameDay, a: Action, play_id: int, previous: int) -> dict[str, str]:
    period_elapsed = a.elapsed - (a.period - 1) * 720
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        {
            "game_id": str(int(gd.game.game_id)),
            "data_set": f"NBA {world.season_start}-{world.season_start + 1} Regular Season",
            "date": gd.game.game_date.isoformat(),
            "period": str(a.period),
            "away_score": str(a.score_away),
            "home_score": str(a.score_home),
            "remaining_time": _hms(720 - period_elapsed),
            "elapsed": _hms(period_elapsed),
            "play_length": _hms(max(0, a.elapsed - previous)),
            "play_id": str(play_id),
        }
    )
    for k, p in enumerate(a.lineup_away, start=1):
        row[f"a{k}"] = p.name
    for k, p in enumerate(a.lineup_home, start=1):
        row[f"h{k}"] = p.name
    p = a.player
    if a.team:
        row["team"] = a.team
    if a.kind == "period_start":
        row.update(event_type="start of period", type="start of period")
    elif a.kind in ("period_end", "game_end"):
        row.update(event_type="end of period", type="end of period")
    elif a.kind == "jumpball" and p and a.other:
        row.update(event_type="jump ball", type="jump ball", player=p.name, home=p.name, away=a.other.name)
        row["description"] = f"Jump Ball {p.last} vs. {a.other.last}: Tip to {p.last}"
    elif a.kind == "sub" and p and a.other:
        row.update(event_type="substitution", type="substitution", entered=p.name, left=a.other.name)
        row["description"] = f"SUB: {p.last} FOR {a.other.last}"
    elif a.kind == "rebound" and p:
        kind = "rebound offensive" if a.offensive else "rebound defensive"
        row.update(event_type="rebound", type=kind, player=p.name, description=f"{p.last} REBOUND")
    elif a.kind == "freethrow" and p:
        row.update(
            event_type="free throw",
            type=f"Free Throw {a.ft_num} of {a.ft_of}",
            player=p.name,
            num=str(a.ft_num),
            outof=str(a.ft_of),
            result="made" if a.made else "missed",
            points="1" if a.made else "0",
            description=f"{'' if a.made else 'MISS '}{p.last} Free Throw {a.ft_num} of {a.ft_of}",
        )
    elif a.kind in ("2pt", "3pt") and p:
        value = 3 if a.kind == "3pt" else 2
        row.update(
            event_type="shot" if a.made else "miss",
            type="jump shot" if a.distance > 8 else "layup",
            player=p.name,
            result="made" if a.made else "missed",
            points=str(value) if a.made else "0",
            shot_distance=str(a.distance),
            description=f"{'' if a.made else 'MISS '}{p.last} {a.distance}' {'3PT ' if value == 3 else ''}Shot",
        )
    return row


def pbp_csv(world: World, gd: GameDay) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    previous = 0
    for n, a in enumerate(gd.actions, start=1):
        row = _row(world, gd, a, n, previous)
        writer.writerow([row[c] for c in COLUMNS])
        previous = a.elapsed
    return out.getvalue().encode()


def drive_file_id(world: World, gd: GameDay) -> str:
    """A Drive-like file id (33 URL-safe characters), stable for the game."""
    digest = hashlib.sha256(f"bigdataball:{world.season}:{gd.game.game_id}".encode()).digest()
    return "1" + base64.urlsafe_b64encode(digest).decode()[:32]


def listing(world: World, csvs: dict[str, bytes]) -> bytes:
    """Drive v3 files.list with fields=nextPageToken,incompleteSearch,files(id,name,mimeType,modifiedTime,size):
    every game CSV of the date (`csvs` by game id; uploaded about an hour after the game ended) and the day's
    combined file."""
    files = []
    for gd in world.game_days:
        body = csvs[gd.game.game_id]
        done = gd.game.commence_utc + timedelta(hours=3, minutes=20)
        files.append(
            {
                "id": drive_file_id(world, gd),
                "name": file_name(gd),
                "mimeType": "text/csv",
                "modifiedTime": utc_z(done).replace("Z", ".000Z"),
                "size": str(len(body)),
            }
        )
    last = max(gd.game.commence_utc for gd in world.game_days) + timedelta(hours=4)
    combined = f"[{world.date.isoformat()}]-combined-stats.csv"
    digest = hashlib.sha256(f"bigdataball:{world.season}:{combined}".encode()).digest()
    files.append(
        {
            "id": "1" + base64.urlsafe_b64encode(digest).decode()[:32],
            "name": combined,
            "mimeType": "text/csv",
            "modifiedTime": utc_z(last.astimezone(UTC)).replace("Z", ".000Z"),
            "size": "1048576",
        }
    )
    files.sort(key=lambda f: f["modifiedTime"], reverse=True)
    return json.dumps({"incompleteSearch": False, "files": files}, indent=1).encode()
