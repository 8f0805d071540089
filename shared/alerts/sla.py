"""SLAs as configuration: generic rule kinds with parameters (shared/config/alerts.yaml), evaluated as pure
functions of (the day's state, now).

A rule yields one `Result` per subject it could judge (a game, a source, the day); a rule whose input the
caller did not read (a field of `DayState` left None) is not evaluated at all, so a tick that cannot see an
input never resolves the alerts that depend on it. A per-game result is due only once its deadline has passed
(a tip, the last post-game window): before that the game is simply not judged yet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from shared import rules as day_rules
from shared.config import CONFIG_DIR, Checker, Config, ConfigError, number_field, read_yaml
from shared.nba.schedule import Game
from shared.timeutil import iso_utc, to_et

SEVERITIES = ("INFO", "WARNING", "ERROR", "CRITICAL")
FILE = "alerts.yaml"
# The ticks count the dead letters up to this many (shared/alerts/dead_letters.py): "100+" beyond.
DEAD_LETTER_PEEK_LIMIT = 100


# ---------------------------------------------------------------------------------------------------------
# Configuration


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str
    severity: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def p(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)


@dataclass(frozen=True)
class NotifySettings:
    """`notify:`: flood control (defaults: the fix of the system we replace)."""

    max_per_hour_per_rule: int = field(default=5, metadata=number_field(1))
    digest_after: int = field(default=3, metadata=number_field(1))
    cooldown_minutes: float = field(default=60.0, metadata=number_field())
    remind_after_minutes: float = field(default=240.0, metadata=number_field())
    group_wait_minutes: float = field(default=5.0, metadata=number_field())
    min_severity: str = "WARNING"


@dataclass(frozen=True)
class AlertsConfig:
    rules: tuple[Rule, ...]
    notify: NotifySettings = NotifySettings()

    def rule(self, name: str) -> Rule | None:
        return next((r for r in self.rules if r.name == name), None)


def parse_alerts_config(raw: Any, cfg: Config | None = None) -> AlertsConfig:
    """Validate alerts.yaml's content: every problem is one ConfigError naming the key."""
    if not isinstance(raw, dict):
        raise ConfigError(FILE, "-", "must be a mapping with `rules` and `notify`")
    c = Checker(FILE)
    unknown = set(raw) - {"rules", "notify"}
    if unknown:
        raise ConfigError(FILE, sorted(unknown)[0], "unknown key (allowed: notify, rules)")
    out = []
    for name, body in (raw.get("rules") or {}).items():
        key = f"rules.{name}"
        if not isinstance(body, dict):
            raise ConfigError(FILE, key, "must be a mapping")
        kind = body.get("kind")
        if kind not in KINDS:
            raise ConfigError(FILE, f"{key}.kind", f"unknown kind {kind!r} (allowed: {', '.join(sorted(KINDS))})")
        sev = body.get("severity", "ERROR")
        if sev not in SEVERITIES:
            raise ConfigError(FILE, f"{key}.severity", f"must be one of {', '.join(SEVERITIES)}, got {sev!r}")
        params = {k: v for k, v in body.items() if k not in ("kind", "severity")}
        for k, v in params.items():
            if k.endswith(("_minutes", "_hours", "_rows")):
                c.number(v, f"{key}.{k}")  # finite, >= 0
        if cfg is not None:
            for s in params.get("scrapers") or ():
                if s not in cfg.scrapers:
                    raise ConfigError(FILE, f"{key}.scrapers", f"unknown scraper {s!r}")
            wf = params.get("due_after_workflow")
            if wf is not None and (wf not in cfg.workflows or cfg.workflows[wf].fixed_time is None):
                raise ConfigError(FILE, f"{key}.due_after_workflow", f"{wf!r} is not a fixed-time workflow")
        out.append(Rule(str(name), kind, sev, params))
    notify = c.section(raw.get("notify"), "notify", NotifySettings)  # the settings sections' one validator
    if notify.min_severity not in SEVERITIES:
        raise ConfigError(FILE, "notify.min_severity", f"must be one of {', '.join(SEVERITIES)}")
    return AlertsConfig(tuple(out), notify)


@lru_cache(maxsize=4)
def _load(path: str) -> AlertsConfig:
    return parse_alerts_config(read_yaml(Path(path)))


def load_alerts_config(config_dir: str | Path | None = None) -> AlertsConfig:
    """alerts.yaml beside the other configuration files (NBA_ORCH_CONFIG_DIR, else the packaged default)."""
    import os

    d = Path(config_dir or os.environ.get("NBA_ORCH_CONFIG_DIR") or CONFIG_DIR)
    return _load(str(d / FILE))


# ---------------------------------------------------------------------------------------------------------
# The day's state


@dataclass(frozen=True)
class RunFact:
    """One finished scraper run, as the run ledger records it."""

    scraper: str
    at: datetime
    status: str
    source: str = ""
    error_type: str | None = None
    schema_drift: bool = False
    game_ids: frozenset[str] = frozenset()
    snapshot_type: str | None = None  # a line snapshot's label (data_summary.snapshot_type)
    teams: str | None = None  # the request's `teams` (AWYHOM), for per-event odds runs


@dataclass(frozen=True)
class DayState:
    """What is known about operational day `day`. None: not read by this caller (the rules needing it are
    not evaluated)."""

    day: date
    games: tuple[Game, ...] | None = None  # the day's games (newest schedule; a postponed game has moved away)
    runs: tuple[RunFact, ...] | None = None  # runs of the day (and the day before, for freshness/blocking)
    controller_ticks: frozenset[str] | None = None  # tick keys (rules.tick_key) that ran
    cleanup_ticks: frozenset[datetime] | None = None  # as_of of the cleanup ticks that ran
    # The first tick this installation recorded: ticks are expected, and games judged, from here (a new deploy
    # is not a missed day); None: everything is judged.
    ticks_since: datetime | None = None
    dead_letters: int | None = None  # messages waiting in the dead-letter subscription (capped: the peek limit)
    schedule_lock: tuple[datetime | None, int] | None = None  # (first locked_at, rows); (None, 0): not locked
    decisions: tuple[int, int] | None = None  # (decisions, decisions without a reason)
    unnotified_files: tuple[str, ...] | None = None
    critical: tuple[int, int] | None = None  # (CRITICAL decisions, failed critical scraper runs)
    # Cross-source box scores over the suspect window ending this day: source -> (players compared, agreeing)
    quality: Mapping[str, tuple[int, int]] | None = None


@dataclass(frozen=True)
class Result:
    """One rule judged for one subject. `day`: the operational day it is about (None: not day-bound)."""

    rule: str
    subject: str
    ok: bool
    severity: str
    detail: str
    day: date | None = None

    @property
    def key(self) -> str:
        return alert_key(self.rule, self.subject)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "subject": self.subject,
            "ok": self.ok,
            "severity": self.severity,
            "detail": self.detail,
            "day": self.day.isoformat() if self.day else None,
        }


def alert_key(rule: str, subject: str) -> str:
    """The deterministic identity of an alert: rule and subject (usable as an object name part)."""
    return f"{rule}~{subject}".replace("/", "_").replace(" ", "_")


Check = Callable[[Config, Rule, DayState, datetime], Iterable[Result] | None]


def _ok(rule: Rule, subject: str, ok: bool, detail: str, day: date | None) -> Result:
    return Result(rule.name, subject, ok, rule.severity, detail, day)


def _day_games(cfg: Config, s: DayState) -> list[Game]:
    games = day_rules.operational_day_games(s.games or (), s.day, cfg.games.include_types)
    return [g for g in games if s.ticks_since is None or g.commence_utc >= s.ticks_since]


def _hm(t: datetime) -> str:
    return f"{to_et(t):%H:%M} ET"


def _runs_for_every_game(cfg: Config, rule: Rule, s: DayState, now: datetime) -> list[Result] | None:
    if s.games is None or s.runs is None:
        return None
    wf = cfg.workflows[rule.p("due_after_workflow", "post_game_window_3")]
    assert wf.fixed_time is not None
    t = wf.fixed_time
    due = day_rules.wall_instant(cfg, day_rules.clock_date(cfg, s.day, t), t)
    if due is None:
        return []
    due += timedelta(minutes=wf.tolerance_minutes + float(rule.p("grace_minutes", 0)))
    if now < due:
        return []
    scrapers = set(rule.p("scrapers") or ())
    have = {g for r in s.runs if r.scraper in scrapers and r.status == "success" for g in r.game_ids}
    return [
        _ok(
            rule,
            f"{s.day.isoformat()}/{g.game_id}",
            g.game_id in have,
            f"{g.away}@{g.home} {g.game_id}: "
            + ("collected" if g.game_id in have else f"no successful {'/'.join(sorted(scrapers))} by {_hm(due)}"),
            s.day,
        )
        for g in _day_games(cfg, s)
    ]


def _run_before_tip(cfg: Config, rule: Rule, s: DayState, now: datetime) -> list[Result] | None:
    if s.games is None or s.runs is None:
        return None
    window = timedelta(minutes=float(rule.p("window_minutes", 360)))
    scrapers = set(rule.p("scrapers") or ())
    ok_at = sorted(r.at for r in s.runs if r.scraper in scrapers and r.status in ("success", "no_data"))
    out = []
    for g in _day_games(cfg, s):
        if now < g.commence_utc:
            continue  # not due before its tip
        hit = [t for t in ok_at if g.commence_utc - window <= t < g.commence_utc]
        out.append(
            _ok(
                rule,
                f"{s.day.isoformat()}/{g.game_id}",
                bool(hit),
                f"{g.away}@{g.home} tip {_hm(g.commence_utc)}: "
                + (
                    f"{'/'.join(sorted(scrapers))} at {_hm(hit[-1])}"
                    if hit
                    else f"no {'/'.join(sorted(scrapers))} in the {window.total_seconds() / 60:.0f} min before the tip"
                ),
                s.day,
            )
        )
    return out


def _closing_line_captured(cfg: Config, rule: Rule, s: DayState, now: datetime) -> list[Result] | None:
    """Every game has a closing line: a successful run of the rule's scrapers labelled `closing` for the
    game's teams, between `max_minutes_before` and `min_minutes_before` its tip (issue 18: 35 to 20).
    Judged once the game started."""
    if s.games is None or s.runs is None:
        return None
    scrapers = set(rule.p("scrapers") or ("oddsa_player_props",))
    lo = timedelta(minutes=float(rule.p("min_minutes_before", 20)))
    hi = timedelta(minutes=float(rule.p("max_minutes_before", 35)))
    closing = [
        r
        for r in s.runs
        if r.scraper in scrapers and r.status in ("success", "no_data") and r.snapshot_type == "closing"
    ]
    out = []
    for g in _day_games(cfg, s):
        if now < g.commence_utc:
            continue
        hits = sorted(r.at for r in closing if r.teams == g.teams and r.at < g.commence_utc)
        good = [t for t in hits if g.commence_utc - hi <= t <= g.commence_utc - lo]
        if good:
            detail = (
                f"closing line at {_hm(good[-1])}, {(g.commence_utc - good[-1]).total_seconds() / 60:.0f} min before"
            )
        elif hits:
            span = f"{lo.total_seconds() / 60:.0f}-{hi.total_seconds() / 60:.0f}"
            detail = f"closing line at {_hm(hits[-1])}, outside {span} min before"
        else:
            detail = "no closing line captured"
        out.append(
            _ok(
                rule,
                f"{s.day.isoformat()}/{g.game_id}",
                bool(good),
                f"{g.away}@{g.home} tip {_hm(g.commence_utc)}: {detail}",
                s.day,
            )
        )
    return out


def _schedule_fresh(cfg: Config, rule: Rule, s: DayState, now: datetime) -> list[Result] | None:
    if s.runs is None:
        return None
    sched = cfg.controller.schedule_scraper
    last = max((r.at for r in s.runs if r.scraper == sched and r.status == "success" and r.at <= now), default=None)
    limit = timedelta(hours=float(rule.p("max_age_hours", 26)))
    day_start, _ = day_rules.operational_day_bounds(cfg, s.day)
    if last is None and now < day_start + limit:
        return []  # the day is younger than the limit and no earlier run was read: not judged yet
    ok = last is not None and now - last <= limit
    detail = f"last successful {sched} at {iso_utc(last)}" if last else f"no successful {sched} run read"
    return [_ok(rule, sched, ok, detail, None)]


def _ticks(
    rule: Rule, s: DayState, now: datetime, expected: list[datetime], seen: Callable[[datetime], bool], what: str
) -> list[Result]:
    grace = timedelta(minutes=float(rule.p("grace_minutes", 20)))
    due = [t for t in expected if t + grace <= now and (s.ticks_since is None or t >= s.ticks_since)]
    if not due:
        return []
    missing = [t for t in due if not seen(t)]
    detail = f"{len(due) - len(missing)} of {len(due)} {what} ran" + (
        f"; missing {', '.join(_hm(t) for t in missing[:12])}" if missing else ""
    )
    return [_ok(rule, s.day.isoformat(), not missing, detail, s.day)]


def _controller_ticks_ran(cfg: Config, rule: Rule, s: DayState, now: datetime) -> list[Result] | None:
    if s.controller_ticks is None:
        return None
    seen = s.controller_ticks
    return _ticks(
        rule,
        s,
        now,
        day_rules.controller_ticks(cfg, s.day),
        lambda t: day_rules.tick_key(cfg, t) in seen,
        "controller hours",
    )


def cleanup_slots(cfg: Config, d: date) -> list[datetime]:
    """The cleanup ticks of operational day `d` (every interval from the day's start)."""
    start, end = day_rules.operational_day_bounds(cfg, d)
    step = timedelta(minutes=cfg.cleanup.interval_minutes)
    out, t = [], start
    while t < end:
        out.append(t)
        t += step
    return out


def _cleanup_ticks_ran(cfg: Config, rule: Rule, s: DayState, now: datetime) -> list[Result] | None:
    if s.cleanup_ticks is None:
        return None
    step = timedelta(minutes=cfg.cleanup.interval_minutes)
    ran = {int(t.timestamp() // step.total_seconds()) for t in s.cleanup_ticks}
    return _ticks(
        rule,
        s,
        now,
        cleanup_slots(cfg, s.day),
        lambda t: int(t.timestamp() // step.total_seconds()) in ran,
        "cleanup slots",
    )


def _dead_letters_empty(cfg: Config, rule: Rule, s: DayState, now: datetime) -> list[Result] | None:
    if s.dead_letters is None:
        return None
    n = s.dead_letters
    count = f"{DEAD_LETTER_PEEK_LIMIT}+" if n >= DEAD_LETTER_PEEK_LIMIT else str(n)
    return [_ok(rule, "dead-letter", n == 0, f"{count} message(s) in the dead-letter subscription", None)]


def _source_blocked(cfg: Config, rule: Rule, s: DayState, now: datetime) -> list[Result] | None:
    """A source is in breach when its latest runs have all been `blocked` for more than N minutes; every
    source with a run is judged (so a source that recovers resolves)."""
    if s.runs is None:
        return None
    limit = timedelta(minutes=float(rule.p("max_blocked_minutes", 60)))
    by_source: dict[str, list[RunFact]] = {}
    for r in s.runs:
        if r.at <= now:
            spec = cfg.scrapers.get(r.scraper)
            by_source.setdefault(r.source or (spec.source if spec else r.scraper), []).append(r)
    out = []
    for source, runs in sorted(by_source.items()):
        runs.sort(key=lambda r: r.at)
        first_blocked = None
        for r in runs:
            if r.error_type == "blocked":
                first_blocked = first_blocked or r.at
            else:
                first_blocked = None
        ok = first_blocked is None or now - first_blocked <= limit
        detail = f"blocked since {_hm(first_blocked)}" if first_blocked else "not blocked"
        out.append(_ok(rule, source, ok, detail, None))
    return out


def _source_agreement(cfg: Config, rule: Rule, s: DayState, now: datetime) -> list[Result] | None:
    """A source whose players agree with the reference below the threshold (shared/quality) is suspect;
    a source with fewer compared players than the minimum is not judged yet."""
    if s.quality is None:
        return None
    floor, least = float(rule.p("min_agreement", 0.9)), int(rule.p("min_players", 20))
    out = []
    for src, (players, agreeing) in sorted(s.quality.items()):
        if players < least:
            continue
        rate = agreeing / players
        detail = f"{src}: {agreeing} of {players} players agree with the reference ({rate:.0%}, floor {floor:.0%})"
        out.append(_ok(rule, src, rate >= floor, detail, None))
    return out


def _schema_drift(cfg: Config, rule: Rule, s: DayState, now: datetime) -> list[Result] | None:
    if s.runs is None:
        return None
    drift: dict[str, datetime] = {}
    scrapers = set()
    start, _ = day_rules.operational_day_bounds(cfg, s.day)
    for r in s.runs:
        if not start <= r.at <= now:
            continue
        scrapers.add(r.scraper)
        if r.schema_drift:
            drift[r.scraper] = max(drift.get(r.scraper, r.at), r.at)
    return [
        _ok(
            rule,
            f"{s.day.isoformat()}/{name}",
            name not in drift,
            f"schema drift WARNING in the run of {_hm(drift[name])}" if name in drift else "no schema drift",
            s.day,
        )
        for name in sorted(scrapers)
    ]


def _schedule_locked(cfg: Config, rule: Rule, s: DayState, now: datetime) -> list[Result] | None:
    if s.schedule_lock is None:
        return None
    lock_time = day_rules.wall_instant(cfg, s.day, cfg.schedule_lock_time)
    if lock_time is None or now < lock_time + timedelta(minutes=float(rule.p("grace_minutes", 60))):
        return []
    first, rows = s.schedule_lock
    if first is None or not rows:
        return [_ok(rule, s.day.isoformat(), False, "no expected-schedule rows for the day", s.day)]
    ok = lock_time <= first < lock_time + timedelta(hours=1) and rows >= int(rule.p("min_rows", 5))
    return [_ok(rule, s.day.isoformat(), ok, f"{rows} rows locked at {_hm(first)}", s.day)]


def _decisions_have_reasons(cfg: Config, rule: Rule, s: DayState, now: datetime) -> list[Result] | None:
    if s.decisions is None:
        return None
    n, bad = s.decisions
    return [_ok(rule, s.day.isoformat(), n > 0 and bad == 0, f"{n} decisions, {bad} without a reason", s.day)]


def _files_without_notification(cfg: Config, rule: Rule, s: DayState, now: datetime) -> list[Result] | None:
    if s.unnotified_files is None:
        return None
    files = s.unnotified_files
    detail = f"{len(files)} file(s) without a notification" + (f": {list(files[:5])}" if files else "")
    return [_ok(rule, s.day.isoformat(), not files, detail, s.day)]


def _no_critical_errors(cfg: Config, rule: Rule, s: DayState, now: datetime) -> list[Result] | None:
    if s.critical is None:
        return None
    crit, failed = s.critical
    detail = f"{crit} CRITICAL decision(s), {failed} failed critical scraper run(s)"
    return [_ok(rule, s.day.isoformat(), not crit and not failed, detail, s.day)]


KINDS: dict[str, Check] = {
    "runs_for_every_game": _runs_for_every_game,
    "closing_line_captured": _closing_line_captured,
    "run_before_tip": _run_before_tip,
    "schedule_fresh": _schedule_fresh,
    "controller_ticks_ran": _controller_ticks_ran,
    "cleanup_ticks_ran": _cleanup_ticks_ran,
    "dead_letters_empty": _dead_letters_empty,
    "source_blocked": _source_blocked,
    "schema_drift": _schema_drift,
    "schedule_locked": _schedule_locked,
    "decisions_have_reasons": _decisions_have_reasons,
    "files_without_notification": _files_without_notification,
    "no_critical_errors": _no_critical_errors,
    "source_agreement": _source_agreement,
}


@dataclass(frozen=True)
class Evaluation:
    """Every result of one evaluation, and the scope it judged: the rules evaluated and the days they were
    evaluated for (an open alert outside that scope is not this evaluation's to resolve)."""

    results: tuple[Result, ...]
    rules: frozenset[str]
    days: frozenset[date]

    @property
    def breaches(self) -> list[Result]:
        return [r for r in self.results if not r.ok]


def evaluate(cfg: Config, acfg: AlertsConfig, states: Iterable[DayState], now: datetime) -> Evaluation:
    """Every rule on every day's state at `now` (pure). Day-independent rules (a source, the schedule) are
    judged once, on the newest day's state."""
    states = sorted(states, key=lambda s: s.day)
    results: dict[str, Result] = {}
    evaluated: set[str] = set()
    for i, s in enumerate(states):
        newest = i == len(states) - 1
        for rule in acfg.rules:
            got = KINDS[rule.kind](cfg, rule, s, now)
            if got is None:
                continue
            for r in got:
                if r.day is None and not newest:
                    continue
                results[r.key] = r
            evaluated.add(rule.name)
    return Evaluation(tuple(results.values()), frozenset(evaluated), frozenset(s.day for s in states))
