"""Static facts about the 30 teams that the sample day's documents print (names, conferences, arenas).

Why here and not in shared.nba.teams: only the generated sample documents need cities, nicknames, divisions
and arenas; the product itself works with tricodes and ids. balldontlie numbers teams 1..30 in the order of
`shared.nba.teams.TEAMS` (ATL 1, BOS 2, BKN 3 ... WAS 30), which `bdl_team_id` relies on.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.nba.teams import TEAMS, br_code, nba_team_id


@dataclass(frozen=True)
class TeamInfo:
    tricode: str
    city: str  # as NBA.com and balldontlie print it ("LA" for the Clippers)
    nickname: str
    conference: str  # "East" / "West"
    division: str
    arena: str
    arena_city: str
    arena_state: str
    odds_name: str = ""  # The Odds API spelling when it differs from "city nickname"

    @property
    def full_name(self) -> str:
        return f"{self.city} {self.nickname}"

    @property
    def odds_api_name(self) -> str:
        return self.odds_name or self.full_name

    @property
    def slug(self) -> str:
        return {"PHI": "sixers", "POR": "blazers"}.get(self.tricode, self.nickname.lower())

    @property
    def nba_id(self) -> int:
        return nba_team_id(self.tricode)

    @property
    def bdl_id(self) -> int:
        return list(TEAMS).index(self.tricode) + 1

    @property
    def br_code(self) -> str:
        return br_code(self.tricode)


_ROWS = [
    ("ATL", "Atlanta", "Hawks", "East", "Southeast", "State Farm Arena", "Atlanta", "GA"),
    ("BOS", "Boston", "Celtics", "East", "Atlantic", "TD Garden", "Boston", "MA"),
    ("BKN", "Brooklyn", "Nets", "East", "Atlantic", "Barclays Center", "Brooklyn", "NY"),
    ("CHA", "Charlotte", "Hornets", "East", "Southeast", "Spectrum Center", "Charlotte", "NC"),
    ("CHI", "Chicago", "Bulls", "East", "Central", "United Center", "Chicago", "IL"),
    ("CLE", "Cleveland", "Cavaliers", "East", "Central", "Rocket Mortgage FieldHouse", "Cleveland", "OH"),
    ("DAL", "Dallas", "Mavericks", "West", "Southwest", "American Airlines Center", "Dallas", "TX"),
    ("DEN", "Denver", "Nuggets", "West", "Northwest", "Ball Arena", "Denver", "CO"),
    ("DET", "Detroit", "Pistons", "East", "Central", "Little Caesars Arena", "Detroit", "MI"),
    ("GSW", "Golden State", "Warriors", "West", "Pacific", "Chase Center", "San Francisco", "CA"),
    ("HOU", "Houston", "Rockets", "West", "Southwest", "Toyota Center", "Houston", "TX"),
    ("IND", "Indiana", "Pacers", "East", "Central", "Gainbridge Fieldhouse", "Indianapolis", "IN"),
    ("LAC", "LA", "Clippers", "West", "Pacific", "Intuit Dome", "Inglewood", "CA"),
    ("LAL", "Los Angeles", "Lakers", "West", "Pacific", "Crypto.com Arena", "Los Angeles", "CA"),
    ("MEM", "Memphis", "Grizzlies", "West", "Southwest", "FedExForum", "Memphis", "TN"),
    ("MIA", "Miami", "Heat", "East", "Southeast", "Kaseya Center", "Miami", "FL"),
    ("MIL", "Milwaukee", "Bucks", "East", "Central", "Fiserv Forum", "Milwaukee", "WI"),
    ("MIN", "Minnesota", "Timberwolves", "West", "Northwest", "Target Center", "Minneapolis", "MN"),
    ("NOP", "New Orleans", "Pelicans", "West", "Southwest", "Smoothie King Center", "New Orleans", "LA"),
    ("NYK", "New York", "Knicks", "East", "Atlantic", "Madison Square Garden", "New York", "NY"),
    ("OKC", "Oklahoma City", "Thunder", "West", "Northwest", "Paycom Center", "Oklahoma City", "OK"),
    ("ORL", "Orlando", "Magic", "East", "Southeast", "Kia Center", "Orlando", "FL"),
    ("PHI", "Philadelphia", "76ers", "East", "Atlantic", "Wells Fargo Center", "Philadelphia", "PA"),
    ("PHX", "Phoenix", "Suns", "West", "Pacific", "Footprint Center", "Phoenix", "AZ"),
    ("POR", "Portland", "Trail Blazers", "West", "Northwest", "Moda Center", "Portland", "OR"),
    ("SAC", "Sacramento", "Kings", "West", "Pacific", "Golden 1 Center", "Sacramento", "CA"),
    ("SAS", "San Antonio", "Spurs", "West", "Southwest", "Frost Bank Center", "San Antonio", "TX"),
    ("TOR", "Toronto", "Raptors", "East", "Atlantic", "Scotiabank Arena", "Toronto", "ON"),
    ("UTA", "Utah", "Jazz", "West", "Northwest", "Delta Center", "Salt Lake City", "UT"),
    ("WAS", "Washington", "Wizards", "East", "Southeast", "Capital One Arena", "Washington", "DC"),
]
_ODDS_NAMES = {"LAC": "Los Angeles Clippers"}

INFO: dict[str, TeamInfo] = {r[0]: TeamInfo(*r, odds_name=_ODDS_NAMES.get(r[0], "")) for r in _ROWS}
assert list(INFO) == list(TEAMS), "team table out of sync with shared.nba.teams"


def team(tricode: str) -> TeamInfo:
    return INFO[tricode]
