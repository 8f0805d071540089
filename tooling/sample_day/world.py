"""The generated facts of a sample day: rosters, standings, games, injuries, officials, box scores, plays.

Everything every source prints is derived from ONE `World`, so the documents agree with each other (the same
game ids, matchups, tip-offs, players, scores and officials everywhere). Pure and deterministic: every random
choice comes from a `random.Random` seeded by a string naming the season or the date and the purpose, so the
same date always gives the same world, and changing one part (e.g. the plays) does not reshuffle another.

Rosters and referees depend on the season only (a player keeps his team and ids across the season's dates);
games, injuries, box scores and plays depend on the date.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from shared.nba.schedule import Game
from shared.nba.teams import TEAMS
from shared.timeutil import et_at, season_of
from tooling.sample_day import names
from tooling.sample_day.teams import team

ROSTER_SIZE = 13
GAMES_ON_DAY = 7
GAMES_DAY_BEFORE = 5
GAMES_DAY_AFTER = 6
TIPOFF_SLOTS = ("19:00", "19:00", "19:30", "19:30", "20:00", "20:00", "21:00", "21:30", "22:00", "22:30")
REGULATION_SECONDS = 4 * 12 * 60
# Roster slot -> (position, scoring rating range in points per game). Slots 0-4 start (G, G, F, F, C).
_SLOTS = (
    ("G", (18, 27)),
    ("G", (12, 19)),
    ("F", (14, 22)),
    ("F", (9, 15)),
    ("C", (10, 17)),
    ("G", (8, 13)),
    ("F", (7, 12)),
    ("F-C", (6, 10)),
    ("G-F", (5, 9)),
    ("G", (3, 7)),
    ("F", (3, 6)),
    ("C", (2, 5)),
    ("G", (2, 5)),
)
START_POSITIONS = ("G", "G", "F", "F", "C")
# Some reasons are too long for the report's Reason column, so they wrap over two lines like the real ones.
OUT_REASONS = (
    "Injury/Illness - Left Ankle; Sprain",
    "Injury/Illness - Right Achilles Tendon; Tear",
    "Injury/Illness - Left Foot; Surgery - Jones Fracture",
    "Injury/Illness - Right Hamstring; Strain",
    "Injury/Illness - Illness",
    "G League - On Assignment",
    "G League - Two-Way",
)
DOUBT_REASONS = (
    "Injury/Illness - Left Wrist; Sprain",
    "Injury/Illness - Left Hamstring; Injury Management",
    "Injury/Illness - Left Calf; Tightness",
)


def rng_for(*parts: object) -> random.Random:
    """A generator seeded by a readable string: deterministic across runs and Python hash seeds."""
    return random.Random("nba-orch sample day:" + ":".join(str(p) for p in parts))


def hex_id(*parts: object, length: int = 32) -> str:
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()[:length]


# ---------------------------------------------------------------------------------------------------------
# People


@dataclass(frozen=True, eq=False)  # identity: a player is one object of one world (and compares fast)
class Player:
    person_id: int  # NBA.com (stats, cdn, official)
    bdl_id: int  # balldontlie
    br_id: str  # Basketball-Reference
    first: str
    last: str
    team: str
    jersey: str
    position: str  # G, F, C, G-F, F-C (NBA.com / balldontlie style)
    height: str
    weight: int
    college: str | None
    country: str
    country_code: str
    birth_date: date
    draft_year: int | None
    draft_round: int | None
    draft_number: int | None
    from_year: int
    ppg: float  # season averages: they drive minutes, stats and props lines
    rpg: float
    apg: float

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def name_i(self) -> str:
        """ "J. Brunson" (play-by-play)."""
        return f"{self.first[0]}. {self.last}"

    @property
    def last_first(self) -> str:
        """ "Brunson, Jalen" (injury report)."""
        return f"{self.last}, {self.first}"

    @property
    def slug(self) -> str:
        return f"{self.first}-{self.last}".lower()

    @property
    def br_position(self) -> str:
        base = {"G": ("PG", "SG"), "F": ("SF", "PF"), "C": ("C",), "G-F": ("SG",), "F-C": ("PF",)}[self.position]
        return base[self.person_id % len(base)]

    @property
    def experience(self) -> int:
        return max(0, 2024 - self.from_year) if self.from_year <= 2024 else 0


@dataclass(frozen=True)
class Official:
    person_id: int
    name: str
    jersey: str


@dataclass(frozen=True)
class Record:
    wins: int
    losses: int
    home_wins: int
    home_losses: int
    conf_wins: int
    conf_losses: int
    div_wins: int
    div_losses: int

    @property
    def text(self) -> str:
        return f"{self.wins}-{self.losses}"


def _height(position: str, r: random.Random) -> str:
    lo, hi = {"G": (74, 79), "G-F": (77, 80), "F": (78, 82), "F-C": (81, 84), "C": (82, 86)}[position]
    inches = r.randint(lo, hi)
    return f"{inches // 12}-{inches % 12}"


def build_rosters(season_start: int) -> dict[str, list[Player]]:
    """13 players per team, the same for every date of the season; names unique in the league."""
    r = rng_for("rosters", season_start)
    used: set[str] = set()
    br_used: set[str] = set()
    rosters: dict[str, list[Player]] = {}
    seq = 0
    for ti, tri in enumerate(TEAMS):
        players = []
        jerseys = r.sample([str(n) for n in (*range(0, 56), 77, 88, 99)], ROSTER_SIZE)
        for slot, (pos, (lo, hi)) in enumerate(_SLOTS):
            while True:
                first, last = r.choice(names.FIRST_NAMES), r.choice(names.LAST_NAMES)
                if f"{first} {last}" not in used:
                    used.add(f"{first} {last}")
                    break
            base = (last[:5] + first[:2]).lower()
            n = 1
            while f"{base}{n:02d}" in br_used:
                n += 1
            br_used.add(f"{base}{n:02d}")
            seq += 1
            from_year = r.randint(season_start - 12, season_start)
            drafted = r.random() < 0.85
            country, code = r.choice(names.COUNTRIES)
            ppg = round(r.uniform(lo, hi), 1)
            big = pos in ("C", "F-C")
            guard = pos.startswith("G")
            players.append(
                Player(
                    person_id=1626000 + ti * 1013 + slot * 71 + r.randint(0, 60),
                    bdl_id=3000 + seq * 17 + r.randint(0, 9),
                    br_id=f"{base}{n:02d}",
                    first=first,
                    last=last,
                    team=tri,
                    jersey=jerseys[slot],
                    position=pos,
                    height=_height(pos, r),
                    weight=r.randint(185, 205) if guard else r.randint(215, 265) if big else r.randint(200, 235),
                    college=r.choice(names.COLLEGES) if country == "USA" or r.random() < 0.3 else None,
                    country=country,
                    country_code=code,
                    birth_date=date(from_year - r.randint(19, 22), r.randint(1, 12), r.randint(1, 28)),
                    draft_year=from_year if drafted else None,
                    draft_round=(1 if r.random() < 0.7 else 2) if drafted else None,
                    draft_number=r.randint(1, 58) if drafted else None,
                    from_year=from_year,
                    ppg=ppg,
                    rpg=round(ppg * (0.55 if big else 0.22 if guard else 0.35) + r.uniform(0.5, 2.0), 1),
                    apg=round(ppg * (0.35 if guard else 0.12 if big else 0.2) + r.uniform(0.2, 1.5), 1),
                )
            )
        rosters[tri] = players
    return rosters


def build_officials(season_start: int) -> list[Official]:
    r = rng_for("officials", season_start)
    out, used = [], set()
    numbers = r.sample(range(2, 99), 40)
    while len(out) < 40:
        name = f"{r.choice(names.FIRST_NAMES)} {r.choice(names.LAST_NAMES)}"
        if name in used:
            continue
        used.add(name)
        out.append(
            Official(person_id=200000 + len(out) * 977 + r.randint(0, 900), name=name, jersey=str(numbers[len(out)]))
        )
    return out


# ---------------------------------------------------------------------------------------------------------
# Standings (as of the morning of the date)


def _opening_day(season_start: int) -> date:
    return date(season_start, 10, 22)


def build_records(d: date) -> dict[str, Record]:
    """Each team's record on the morning of `d`: about 82 * (days into the season / 174) games played."""
    season_start = season_of(d)[1]
    days = max(0, (d - _opening_day(season_start)).days)
    base = min(82, round(82 * days / 174))
    strength = rng_for("strength", season_start)
    power = {t: strength.uniform(0.25, 0.75) for t in TEAMS}
    r = rng_for("records", d)
    out = {}
    for tri in TEAMS:
        played = max(0, min(82, base + r.randint(-2, 1)))
        wins = sum(1 for _ in range(played) if r.random() < power[tri])
        losses = played - wins
        home_games = played // 2 + r.randint(0, played % 2)
        # About 55% of wins at home, but never more road wins than road games.
        home_wins = min(wins, home_games, max(wins - (played - home_games), round(wins * 0.55)))
        home_losses = home_games - home_wins
        conf_w = round(wins * 0.62)
        conf_l = round(losses * 0.62)
        div_w = round(conf_w * 0.3)
        div_l = round(conf_l * 0.3)
        out[tri] = Record(wins, losses, home_wins, home_losses, conf_w, conf_l, div_w, div_l)
    return out


# ---------------------------------------------------------------------------------------------------------
# Games


def _game_number_base(d: date) -> int:
    """Regular-season game numbers grow about 7 a day from opening night (0022400001)."""
    season_start = season_of(d)[1]
    return 1 + max(0, round((d - _opening_day(season_start)).days * 7.06))


def _games_for(d: date, count: int, first_number: int) -> list[Game]:
    r = rng_for("games", d)
    order = list(TEAMS)
    r.shuffle(order)
    slots = sorted(r.sample(TIPOFF_SLOTS, count))
    pairs = [(order[2 * i], order[2 * i + 1]) for i in range(count)]
    season_start = season_of(d)[1]
    games = []
    for i, ((away, home), slot) in enumerate(zip(pairs, slots, strict=True)):
        hh, mm = (int(x) for x in slot.split(":"))
        start = et_at(d, time(hh, mm))
        gid = f"002{season_start % 100:02d}{first_number + i:05d}"
        games.append(
            Game(
                game_id=gid,
                game_code=f"{d:%Y%m%d}/{away}{home}",
                game_date=d,
                commence_utc=start,
                home=home,
                away=away,
                status=1,
                game_type="regular_season",
            )
        )
    return games


# ---------------------------------------------------------------------------------------------------------
# One game's box score and plays


@dataclass
class Line:
    """One player's line in one game (zeros and `seconds == 0` for players who did not play)."""

    player: Player
    starter: bool = False
    start_position: str = ""
    seconds: int = 0
    fgm: int = 0
    fga: int = 0
    fg3m: int = 0
    fg3a: int = 0
    ftm: int = 0
    fta: int = 0
    oreb: int = 0
    dreb: int = 0
    ast: int = 0
    stl: int = 0
    blk: int = 0
    tov: int = 0
    pf: int = 0
    plus_minus: int = 0

    @property
    def pts(self) -> int:
        return 2 * (self.fgm - self.fg3m) + 3 * self.fg3m + self.ftm

    @property
    def reb(self) -> int:
        return self.oreb + self.dreb

    @property
    def played(self) -> bool:
        return self.seconds > 0

    @property
    def minutes_text(self) -> str:
        """ "35:42" (stats.nba.com, gamebook)."""
        return f"{self.seconds // 60}:{self.seconds % 60:02d}"


@dataclass(frozen=True)
class Injury:
    player: Player
    status: str  # Out, Doubtful, Questionable, Probable
    reason: str

    @property
    def plays(self) -> bool:
        return self.status in ("Questionable", "Probable")


@dataclass
class Action:
    """One play, in the vocabulary shared by the cdn play-by-play and the BigDataBall CSV."""

    elapsed: int  # seconds since tip (regulation only)
    kind: str  # period_start, period_end, game_end, jumpball, 2pt, 3pt, freethrow, rebound, sub
    team: str | None = None
    player: Player | None = None
    made: bool | None = None
    other: Player | None = None  # the player leaving (sub), or the jump-ball opponent
    ft_num: int = 0
    ft_of: int = 0
    offensive: bool = False
    distance: int = 0
    score_home: int = 0
    score_away: int = 0
    lineup_home: tuple[Player, ...] = ()
    lineup_away: tuple[Player, ...] = ()

    @property
    def period(self) -> int:
        if self.kind == "period_end" or self.kind == "game_end":
            return max(1, (self.elapsed - 1) // 720 + 1)
        return min(4, self.elapsed // 720 + 1)

    @property
    def clock_seconds(self) -> int:
        return self.period * 720 - self.elapsed


@dataclass
class GameDay:
    """Everything about one game of the date."""

    game: Game
    arena: str
    location: str
    injuries: dict[str, list[Injury]]  # by team
    lines: dict[str, list[Line]]  # by team: starters, bench, then DNPs (coach's decision)
    inactive: dict[str, list[Injury]]  # by team: the players listed Out/Doubtful (did not dress)
    officials: tuple[Official, ...]
    attendance: int
    duration: str
    event_id: str
    home_spread: float
    total_line: float
    actions: list[Action] = field(default_factory=list)

    @property
    def home(self) -> str:
        return self.game.home

    @property
    def away(self) -> str:
        return self.game.away

    def score(self, tri: str) -> int:
        return sum(line.pts for line in self.lines[tri])

    @property
    def home_score(self) -> int:
        return self.score(self.home)

    @property
    def away_score(self) -> int:
        return self.score(self.away)

    def winner(self) -> str:
        return self.home if self.home_score > self.away_score else self.away

    def played(self, tri: str) -> list[Line]:
        return [ln for ln in self.lines[tri] if ln.played]

    def dnp(self, tri: str) -> list[Line]:
        return [ln for ln in self.lines[tri] if not ln.played]


def _binomial(r: random.Random, n: int, p: float) -> int:
    return sum(1 for _ in range(n) if r.random() < p)


def _team_lines(r: random.Random, roster: list[Player], out: set[int]) -> list[Line]:
    """Minutes (exactly 240 per team) and stats for the players who dress; the rest of the bench DNPs."""
    dressed = [p for p in roster if p.person_id not in out]
    # Slots 0-4 start; a starter who is out is replaced by the best dressed bench player.
    reserves = [p for p in roster[5:] if p in dressed]
    starters = [p if p in dressed else reserves.pop(0) for p in roster[:5]]
    bench = [p for p in dressed if p not in starters]
    n_dnp = 1 if len(bench) > 5 else 0
    n_dnp += 1 if len(bench) > 6 and r.random() < 0.5 else 0
    rotation = starters + bench[: len(bench) - n_dnp]
    dnp = bench[len(bench) - n_dnp :]
    weights = [(p.ppg**0.35) * (1.5 if p in starters else 1.0) * r.uniform(0.9, 1.1) for p in rotation]
    secs = [round(14400 * w / sum(weights)) for w in weights]
    secs[0] += 14400 - sum(secs)  # exactly 240 minutes
    # Shots: a team takes about 88 field goal attempts, shared by scoring rate and time on the floor.
    shares = [p.ppg * s for p, s in zip(rotation, secs, strict=True)]
    team_fga = r.randint(82, 94)
    lines = []
    for idx, (p, s) in enumerate(zip(rotation, secs, strict=True)):
        minutes = s / 60
        fga = round(team_fga * shares[idx] / sum(shares) * r.uniform(0.85, 1.15))
        three_rate = {"G": 0.45, "G-F": 0.4, "F": 0.38, "F-C": 0.2, "C": 0.1}[p.position]
        fg3a = min(fga, round(fga * three_rate * r.uniform(0.7, 1.3)))
        fg3m = _binomial(r, fg3a, 0.36)
        fg2m = _binomial(r, fga - fg3a, 0.53)
        fta = round(fga * r.uniform(0.1, 0.35))
        ftm = _binomial(r, fta, 0.78)
        reb = max(0, round(p.rpg * minutes / 30 * r.uniform(0.6, 1.4)))
        oreb = _binomial(r, reb, 0.25)
        ast = max(0, round(p.apg * minutes / 30 * r.uniform(0.5, 1.5)))
        lines.append(
            Line(
                player=p,
                starter=idx < 5,
                start_position=START_POSITIONS[idx] if idx < 5 else "",
                seconds=s,
                fgm=fg2m + fg3m,
                fga=fga,
                fg3m=fg3m,
                fg3a=fg3a,
                ftm=ftm,
                fta=fta,
                oreb=oreb,
                dreb=reb - oreb,
                ast=ast,
                stl=_binomial(r, round(minutes / 10), 0.35),
                blk=_binomial(r, round(minutes / 10), 0.25 if p.position in ("C", "F-C") else 0.08),
                tov=_binomial(r, round(minutes / 8), 0.3),
                pf=min(6, _binomial(r, round(minutes / 6), 0.4)),
            )
        )
    lines += [Line(player=p) for p in dnp]
    return lines


def _settle_tie(r: random.Random, gd: GameDay) -> None:
    """No ties: a late free throw by the home side's busiest player decides a level game."""
    if gd.home_score == gd.away_score:
        best = max(gd.played(gd.home), key=lambda ln: ln.seconds)
        best.fta += 1
        best.ftm += 1


def _plus_minus(r: random.Random, gd: GameDay) -> None:
    for tri, sign in ((gd.home, 1), (gd.away, -1)):
        margin = sign * (gd.home_score - gd.away_score)
        for ln in gd.played(tri):
            ln.plus_minus = round(margin * ln.seconds / 2880) + r.randint(-4, 4)


def _plays(r: random.Random, gd: GameDay) -> list[Action]:
    """Every shot, free throw and a rebound after misses, at random times; scores accumulate to the box score.

    Lineups: whoever acts is on the floor; if not, he replaces the teammate who has been on longest (a
    substitution action), so lineups in the BigDataBall file always contain the acting player.
    """
    events: list[Action] = []
    for tri in (gd.home, gd.away):
        for ln in gd.played(tri):
            p = ln.player
            shots = [("3pt", True)] * ln.fg3m + [("3pt", False)] * (ln.fg3a - ln.fg3m)
            shots += [("2pt", True)] * (ln.fgm - ln.fg3m) + [("2pt", False)] * (ln.fga - ln.fg3a - (ln.fgm - ln.fg3m))
            for kind, made in shots:
                dist = r.randint(23, 28) if kind == "3pt" else r.randint(0, 19)
                events.append(Action(r.randrange(5, REGULATION_SECONDS - 2), kind, tri, p, made, distance=dist))
            fts = [True] * ln.ftm + [False] * (ln.fta - ln.ftm)
            r.shuffle(fts)
            while fts:
                trip, fts = fts[:2], fts[2:]
                t = r.randrange(5, REGULATION_SECONDS - 2)
                for k, made in enumerate(trip, start=1):
                    events.append(Action(t, "freethrow", tri, p, made, ft_num=k, ft_of=len(trip)))
    events.sort(key=lambda a: (a.elapsed, a.team or "", a.player.person_id if a.player else 0, a.ft_num))
    out: list[Action] = []
    on_floor = {tri: [ln.player for ln in gd.lines[tri] if ln.starter] for tri in (gd.home, gd.away)}
    since = {tri: {p.person_id: 0 for p in on_floor[tri]} for tri in (gd.home, gd.away)}
    score = {gd.home: 0, gd.away: 0}

    def stamp(a: Action) -> Action:
        a.score_home, a.score_away = score[gd.home], score[gd.away]
        a.lineup_home, a.lineup_away = tuple(on_floor[gd.home]), tuple(on_floor[gd.away])
        return a

    def enter(tri: str, p: Player, t: int) -> None:
        if p.person_id in since[tri]:
            return
        leaving = min(on_floor[tri], key=lambda q: (since[tri][q.person_id], q.person_id))
        on_floor[tri][on_floor[tri].index(leaving)] = p
        since[tri].pop(leaving.person_id)
        since[tri][p.person_id] = t
        out.append(stamp(Action(t, "sub", tri, p, other=leaving)))

    period_marks = [720 * k for k in range(4)]
    queue = list(events)
    home_c, away_c = on_floor[gd.home][4], on_floor[gd.away][4]
    for k, start in enumerate(period_marks):
        out.append(stamp(Action(start, "period_start")))
        if k == 0:
            out.append(stamp(Action(0, "jumpball", gd.home, home_c, other=away_c)))
        while queue and queue[0].elapsed < start + 720:
            a = queue.pop(0)
            assert a.team is not None and a.player is not None
            enter(a.team, a.player, a.elapsed)
            if a.made:
                score[a.team] += 3 if a.kind == "3pt" else 2 if a.kind == "2pt" else 1
            out.append(stamp(a))
            last_ft = a.kind != "freethrow" or a.ft_num == a.ft_of
            if not a.made and last_ft:
                offense = r.random() < 0.25
                side = a.team if offense else (gd.away if a.team == gd.home else gd.home)
                pick = r.choice(on_floor[side])
                out.append(stamp(Action(a.elapsed, "rebound", side, pick, offensive=offense)))
        out.append(stamp(Action(start + 720, "period_end")))
    out.append(stamp(Action(REGULATION_SECONDS, "game_end")))
    return out


def build_game_day(g: Game, rosters: dict[str, list[Player]], officials: tuple[Official, ...]) -> GameDay:
    r = rng_for("game", g.game_id, g.game_date)
    injuries: dict[str, list[Injury]] = {}
    inactive: dict[str, list[Injury]] = {}
    out_ids: set[int] = set()
    for tri in (g.away, g.home):
        roster = rosters[tri]
        hurt = r.sample(roster[1:], r.choice((1, 1, 2, 2, 3)))
        listed = []
        for k, p in enumerate(hurt):
            if k == 0 or r.random() < 0.5:
                status, reason = r.choice(("Out", "Out", "Out", "Doubtful")), r.choice(OUT_REASONS)
            else:
                status, reason = r.choice(("Questionable", "Probable")), r.choice(DOUBT_REASONS)
            listed.append(Injury(p, status, reason))
        listed.sort(key=lambda i: (i.player.last, i.player.first))
        injuries[tri] = listed
        inactive[tri] = [i for i in listed if not i.plays]
        out_ids |= {i.player.person_id for i in inactive[tri]}
    lines = {tri: _team_lines(r, rosters[tri], out_ids) for tri in (g.away, g.home)}
    info = team(g.home)
    gd = GameDay(
        game=g,
        arena=info.arena,
        location=f"{info.arena_city}, {info.arena_state}",
        injuries=injuries,
        lines=lines,
        inactive=inactive,
        officials=officials,
        attendance=r.randint(16500, 20500),
        duration=f"2:{r.randint(5, 25):02d}",
        event_id=hex_id("odds-event", g.game_id, g.game_date),
        home_spread=0.0,
        total_line=0.0,
    )
    _settle_tie(r, gd)
    _plus_minus(r, gd)
    # Pre-game lines: near the final numbers, as a good market would have been.
    margin = gd.home_score - gd.away_score
    gd.home_spread = -(int(max(-12, min(12, margin * 0.5 + r.uniform(-4, 4)))) + 0.5)
    gd.total_line = int(gd.home_score + gd.away_score + r.uniform(-9, 9)) + 0.5
    gd.actions = _plays(rng_for("plays", g.game_id, g.game_date), gd)
    return gd


# ---------------------------------------------------------------------------------------------------------
# The world


@dataclass
class World:
    date: date
    season: str  # "2024-25"
    season_start: int  # 2024
    rosters: dict[str, list[Player]]
    officials: list[Official]
    records: dict[str, Record]  # the morning of `date`
    games_before: list[Game]  # date - 1 (final)
    games: list[Game]  # date (scheduled in the morning schedule)
    games_after: list[Game]  # date + 1
    final_scores_before: dict[str, tuple[int, int]]  # game id -> (home, away)
    game_days: list[GameDay]

    @property
    def players(self) -> list[Player]:
        return [p for tri in TEAMS for p in self.rosters[tri]]

    def game_day(self, game_id: str) -> GameDay:
        return next(gd for gd in self.game_days if gd.game.game_id == game_id)

    def record_after(self, tri: str) -> Record:
        """The team's record after its game of the date (the gamebook prints it)."""
        rec = self.records[tri]
        for gd in self.game_days:
            if tri in (gd.home, gd.away):
                won = gd.winner() == tri
                return Record(
                    rec.wins + won,
                    rec.losses + (not won),
                    rec.home_wins + (won and tri == gd.home),
                    rec.home_losses + ((not won) and tri == gd.home),
                    rec.conf_wins,
                    rec.conf_losses,
                    rec.div_wins,
                    rec.div_losses,
                )
        return rec


def build_world(d: date) -> World:
    season, start = season_of(d)
    rosters = build_rosters(start)
    officials = build_officials(start)
    base = _game_number_base(d - timedelta(days=1))
    before = _games_for(d - timedelta(days=1), GAMES_DAY_BEFORE, base)
    games = _games_for(d, GAMES_ON_DAY, base + GAMES_DAY_BEFORE)
    after = _games_for(d + timedelta(days=1), GAMES_DAY_AFTER, base + GAMES_DAY_BEFORE + GAMES_ON_DAY)
    r = rng_for("finals", d)
    finals = {g.game_id: (r.randint(98, 128), r.randint(95, 125)) for g in before}
    for gid, (h, a) in list(finals.items()):
        if h == a:
            finals[gid] = (h + 3, a)
    before = [Game(**{**g.__dict__, "status": 3}) for g in before]
    crews = rng_for("crews", d).sample(officials, 3 * len(games))
    game_days = [build_game_day(g, rosters, tuple(crews[3 * i : 3 * i + 3])) for i, g in enumerate(games)]
    return World(
        date=d,
        season=season,
        season_start=start,
        rosters=rosters,
        officials=officials,
        records=build_records(d),
        games_before=before,
        games=games,
        games_after=after,
        final_scores_before=finals,
        game_days=game_days,
    )


def utc_z(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
