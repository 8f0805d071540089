"""The 30 NBA teams: tricode, NBA.com team id, ESPN team id and Basketball-Reference code."""

from __future__ import annotations

# tricode: (nba_team_id, espn_team_id, basketball_reference_code)
TEAMS: dict[str, tuple[int, int, str]] = {
    "ATL": (1610612737, 1, "ATL"),
    "BOS": (1610612738, 2, "BOS"),
    "BKN": (1610612751, 17, "BRK"),
    "CHA": (1610612766, 30, "CHO"),
    "CHI": (1610612741, 4, "CHI"),
    "CLE": (1610612739, 5, "CLE"),
    "DAL": (1610612742, 6, "DAL"),
    "DEN": (1610612743, 7, "DEN"),
    "DET": (1610612765, 8, "DET"),
    "GSW": (1610612744, 9, "GSW"),
    "HOU": (1610612745, 10, "HOU"),
    "IND": (1610612754, 11, "IND"),
    "LAC": (1610612746, 12, "LAC"),
    "LAL": (1610612747, 13, "LAL"),
    "MEM": (1610612763, 29, "MEM"),
    "MIA": (1610612748, 14, "MIA"),
    "MIL": (1610612749, 15, "MIL"),
    "MIN": (1610612750, 16, "MIN"),
    "NOP": (1610612740, 3, "NOP"),
    "NYK": (1610612752, 18, "NYK"),
    "OKC": (1610612760, 25, "OKC"),
    "ORL": (1610612753, 19, "ORL"),
    "PHI": (1610612755, 20, "PHI"),
    "PHX": (1610612756, 21, "PHO"),
    "POR": (1610612757, 22, "POR"),
    "SAC": (1610612758, 23, "SAC"),
    "SAS": (1610612759, 24, "SAS"),
    "TOR": (1610612761, 28, "TOR"),
    "UTA": (1610612762, 26, "UTA"),
    "WAS": (1610612764, 27, "WAS"),
}


def br_code(tricode: str) -> str:
    """Basketball-Reference's code for a team (PHX -> PHO, BKN -> BRK, CHA -> CHO)."""
    return TEAMS[tricode][2]


def nba_team_id(tricode: str) -> int:
    return TEAMS[tricode][0]


def espn_team_id(tricode: str) -> int:
    return TEAMS[tricode][1]


# Full team names as betting sources (The Odds API) write them -> tricode. "LA Clippers" is the name the
# team itself uses since 2024; both spellings occur in odds feeds.
NAME_TO_TRICODE: dict[str, str] = {
    "atlanta hawks": "ATL",
    "boston celtics": "BOS",
    "brooklyn nets": "BKN",
    "charlotte hornets": "CHA",
    "chicago bulls": "CHI",
    "cleveland cavaliers": "CLE",
    "dallas mavericks": "DAL",
    "denver nuggets": "DEN",
    "detroit pistons": "DET",
    "golden state warriors": "GSW",
    "houston rockets": "HOU",
    "indiana pacers": "IND",
    "los angeles clippers": "LAC",
    "la clippers": "LAC",
    "los angeles lakers": "LAL",
    "memphis grizzlies": "MEM",
    "miami heat": "MIA",
    "milwaukee bucks": "MIL",
    "minnesota timberwolves": "MIN",
    "new orleans pelicans": "NOP",
    "new york knicks": "NYK",
    "oklahoma city thunder": "OKC",
    "orlando magic": "ORL",
    "philadelphia 76ers": "PHI",
    "phoenix suns": "PHX",
    "portland trail blazers": "POR",
    "sacramento kings": "SAC",
    "san antonio spurs": "SAS",
    "toronto raptors": "TOR",
    "utah jazz": "UTA",
    "washington wizards": "WAS",
}


def tricode_for_name(name: str | None) -> str | None:
    """Tricode of a full team name ("Golden State Warriors" -> "GSW"), None when unknown."""
    if not name:
        return None
    return NAME_TO_TRICODE.get(" ".join(name.split()).lower())
