"""The decision rules (pure): RUN / SKIP / ABORT for every enabled workflow at one tick.

Every time rule comes from `shared.rules`, the module the schedule locker also uses, so the day the locker
expects and the decisions the controller takes agree: when every tick happens and every scraper succeeds,
each RUN falls on an expected run and each expected run gets a RUN or a SKIP with its reason. The rules are
written on the records (what already ran, what succeeded), not on "is this tick in the plan", so a tick that
was missed (an outage, a DST gap) is caught up by the next one.

"Today" is the tick's operational day (`rules.operational_day_of`: the ET date, the day starting at 05:00 ET,
so the 01:00 and 04:00 windows belong to the evening before); a post-game window's night is
`rules.fixed_window_target`. No decision looks at the wall clock: `snapshot.tick` is "now".

Rules, in order (the first that applies decides):
- any workflow: its records could not be read -> ABORT (CRITICAL); it needs the games and no schedule
  could be read -> ABORT (CRITICAL).
- self_aware: every request already succeeded today -> SKIP; before the ideal window -> SKIP; else RUN the
  requests not yet done (WARNING when past the window: it is late).
- game_aware: no games; before the window (first tip - window_before_game_hours); the first game already
  started; outside business hours; a RUN less than frequency_hours ago -> SKIP. A workflow calling the Odds
  API when the last recorded `x-requests-remaining` is under `controller.odds_quota_reserve` -> SKIP
  (WARNING). Else RUN (context: games_today, first_game_time, hours_until_game).
- game_aware_yesterday: not within the tolerance of the fixed time, or no games that night, or already ran in
  this window -> SKIP; the night's games not yet collected (below) -> RUN for exactly those, else SKIP. A
  game whose teams are still pending (NBA Cup) gets no request from a scraper that needs them (the game
  book): it waits, and the reason and `waiting_for_teams` in the context say so.
  Alert on games an EARLIER window of the night should already have collected: any in a window with
  `critical_if_missing` -> CRITICAL; more than `warn_missing_fraction` of the night -> WARNING.
- recovery (morning_recovery): not within the tolerance of its fixed time on the day after a game night, or
  no games that night, or already ran in this window, or no game of the night tipped after the controller's
  first slot on record (a night it never watched) -> SKIP; the night's (game, scraper) pairs not collected
  (the post-game windows' rule: missing or failed) -> RUN for exactly those, once, no alert (the finals SLA
  has one per game), else SKIP "nothing to recover".
- discovery: not a game day (when game_days_only); already found today (a run with records) -> SKIP; every
  attempt of the day used, or past midnight -> SKIP (WARNING: nothing found); the last attempt too recent,
  i.e. before the next attempt's time (`rules.discovery_attempt_times`: first_attempt + k * interval_hours,
  rounded up to a tick) -> SKIP; else RUN ("attempt n of m"). A missed attempt is made at the next tick.
- schedule freshness (recorded as workflow "schedule_freshness"): a successful schedule scrape within
  `schedule_freshness_hours` -> SKIP; a RUN of this tick already scrapes it -> SKIP; else RUN it.

Fallbacks (the catalogue's `fallback:`): a run of a scraper's fallback does that scraper's work (the
schedule from nbac_schedule_cdn when the stats API is blocked; a box score from the CDN), matched on the
parameters the fallback takes. Decisions that counted one say so: `served_by` in the context, "X served by
its fallback Y" in the reason (schedule freshness: `schedule_served_by`, "Y (fallback of X)").

"Collected": a game's data from scraper S counts only when S ran after the game was surely over
(`controller.game_final_after_hours` after the tip, default 3 h); a box score scraped at 22:00 from a game
still in play is not its final box score, so the next window fetches it again. A per-date scraper (one
request for the night) covers a game when its summary lists the game (`game_ids`) or both its teams
(`team_tricodes`), or lists neither.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any

from shared import rules
from shared.config import Config, Workflow
from shared.controller import budget
from shared.controller.model import FRESHNESS, Decision, History, Run, Snapshot
from shared.controller.params import Planned, covers, published_scrapers, resolve, unit_of, waiting_for_teams
from shared.nba import injury_slots
from shared.nba.schedule import Game
from shared.timeutil import iso_utc

NEEDS_GAMES = ("game_aware", "game_aware_yesterday", "game_tip_offsets", "recovery")


# ---------------------------------------------------------------------------------------------------------
# Slots and ids


def slot_tick(cfg: Config, instant: datetime) -> datetime:
    """The tick an event instant stands for: the start of its ET hour (18:00:03 -> 18:00), or of its
    sub-hourly tick (18:15:03 -> 18:15, `rules.sub_tick`) when `controller.tick_minutes` is under 60.

    Both firings of the repeated fall-back 01:00 give the first occurrence (`rules.canonical_tick`), so a
    redelivered or repeated tick is the same slot. An instant outside the cron hours (a manual publish at
    03:10) stands for its own hour.
    """
    canon = rules.sub_tick(cfg, instant) or rules.canonical_tick(cfg, instant)
    if canon is not None:
        return canon
    loc = rules.local(cfg, instant)
    start = rules.wall_instant(cfg, loc.date(), time(loc.hour))
    return start if start is not None else instant.replace(minute=0, second=0, microsecond=0)


def decision_id(cfg: Config, workflow: str, tick: datetime) -> str:
    """Deterministic per (workflow, ET hour slot): "betting_lines@2025-01-15T13" (DST-safe, `rules.tick_key`)."""
    return f"{workflow}@{rules.tick_key(cfg, tick)}"


def next_check(cfg: Config, tick: datetime, *, sub_hourly: bool = False) -> datetime | None:
    """The next controller tick after `tick` (today's, else tomorrow's first); with `sub_hourly`, counting
    the sub-hourly ticks too (the game_tip_offsets workflows are decided at those)."""
    d = rules.operational_day_of(cfg, tick)
    for day in (d, d + timedelta(days=1)):
        for t in rules.all_ticks(cfg, day) if sub_hourly else rules.controller_ticks(cfg, day):
            if t > tick:
                return t
    return None


# ---------------------------------------------------------------------------------------------------------
# Building decisions


@dataclass
class _Verdict:
    action: str
    reason: str
    alert: str = "NONE"
    context: dict[str, Any] = field(default_factory=dict)
    targets: tuple[str, ...] = ()
    requests: tuple[Planned, ...] = ()


def _skip(reason: str, alert: str = "NONE", **ctx: Any) -> _Verdict:
    return _Verdict("SKIP", reason, alert, ctx)


def _finish(cfg: Config, name: str, priority: str, snap: Snapshot, v: _Verdict, base: dict[str, Any]) -> Decision:
    return Decision(
        decision_id=decision_id(cfg, name, snap.tick),
        workflow=name,
        tick=snap.tick,
        action=v.action,
        reason=v.reason,
        priority=priority,
        alert_level=v.alert,
        context={**base, **v.context},
        target_games=v.targets,
        requests=v.requests,
        next_check_time=next_check(cfg, snap.tick, sub_hourly=name in cfg.workflows and _tip(cfg.workflows[name])),
    )


def _tip(wf: Workflow) -> bool:
    return wf.decision_type == "game_tip_offsets"


def _hm(cfg: Config, t: datetime) -> str:
    return rules.hm(cfg, t)


def _n_games(n: int) -> str:
    return f"{n} game" + ("" if n == 1 else "s")


def _final_after(cfg: Config) -> timedelta:
    return timedelta(hours=cfg.controller.game_final_after_hours)


def _day_games(cfg: Config, snap: Snapshot, d: date) -> list[Game]:
    return rules.day_games(cfg, d, snap.games or ())


def _done(cfg: Config, r: Run) -> bool:
    """A run that did its work: success, or no_data for a scraper whose catalogue entry accepts it."""
    spec = cfg.scrapers.get(r.scraper)
    return r.status == "success" or (r.status == "no_data" and spec is not None and spec.treat_no_data_as_success)


def _runs_by_scraper(cfg: Config, history: History) -> dict[str, list[Run]]:
    """The workflow's done runs, by scraper."""
    out: dict[str, list[Run]] = defaultdict(list)
    for r in history.runs:
        if _done(cfg, r):
            out[r.scraper].append(r)
    return out


# ---------------------------------------------------------------------------------------------------------
# The rules per decision type


def _first_done(
    cfg: Config, planned: Sequence[Planned], runs: Mapping[str, Sequence[Run]]
) -> list[tuple[datetime, str] | None]:
    """When each planned request was first done and by which scraper (None: not yet): a run of its scraper,
    or of one of its catalogue fallbacks, whose parameters include the request's (narrowed to those the
    fallback takes). Indexed by parameter values (30 rosters x 30 runs stay cheap)."""
    index: dict[tuple[str, tuple[str, ...]], dict[tuple[str, ...], datetime]] = {}
    out: list[tuple[datetime, str] | None] = []
    for p in planned:
        best: tuple[datetime, str] | None = None
        for name in (p.scraper, *cfg.fallbacks_of(p.scraper)):
            params = p.params if name == p.scraper else cfg.scrapers[name].accepted(p.params)
            keys = tuple(sorted(params))
            table = index.get((name, keys))
            if table is None:
                table = index[(name, keys)] = {}
                for r in runs.get(name, ()):
                    k = tuple(str(r.params.get(x)) for x in keys)
                    if k not in table or r.at < table[k]:
                        table[k] = r.at
            at = table.get(tuple(params[x] for x in keys))
            if at is not None and (best is None or at < best[0]):
                best = (at, name)
        out.append(best)
    return out


def _fallback_note(served: Mapping[str, str]) -> str:
    """The reason's note naming each primary a fallback stood in for ("; X served by its fallback Y")."""
    if not served:
        return ""
    return "; " + ", ".join(f"{p} served by its fallback {f}" for p, f in sorted(served.items()))


def _self_aware(cfg: Config, wf: Workflow, snap: Snapshot, hist: History) -> _Verdict:
    tick = snap.tick
    d = rules.operational_day_of(cfg, tick)
    w = wf.ideal_window
    assert w is not None
    window = f"{w.start:%H:%M}-{w.end:%H:%M} ET"
    phase = rules.self_aware_phase(cfg, wf, tick)
    planned = [p for s in published_scrapers(cfg, wf) for p in resolve(cfg, s, day=d, tick=tick)]
    runs = _runs_by_scraper(cfg, hist)
    found = _first_done(cfg, planned, runs)
    todo = [p for p, f in zip(planned, found, strict=True) if f is None]
    done = len(planned) - len(todo)
    ctx: dict[str, Any] = {
        "ideal_window": window,
        "phase": phase,
        "requests_planned": len(planned),
        "requests_done": done,
    }
    served = {p.scraper: f[1] for p, f in zip(planned, found, strict=True) if f is not None and f[1] != p.scraper}
    if served:
        ctx["served_by"] = served
    if not todo:
        last = max((f[0] for f in found if f is not None), default=None)
        when = f", complete at {_hm(cfg, last)} ET" if last else ""
        return _skip(f"already succeeded today ({len(planned)} requests done{when}){_fallback_note(served)}", **ctx)
    if phase == "before":
        return _skip(f"before the ideal window {window}", **ctx)
    partial = f"; {len(planned) - len(todo)} of {len(planned)} already done today" if len(todo) < len(planned) else ""
    if phase == "late":
        reason = f"late: the ideal window {window} has passed and {len(todo)} request(s) have not succeeded today"
        return _Verdict("RUN", reason + partial, "WARNING", ctx, requests=tuple(todo))
    return _Verdict(
        "RUN",
        f"daily run in the ideal window {window}: {len(todo)} request(s){partial}",
        context=ctx,
        requests=tuple(todo),
    )


def _in_business_hours(cfg: Config, wf: Workflow, tick: datetime) -> bool:
    assert wf.business_hours is not None
    # The same membership test `rules.game_aware_slots` applies: plain clock time, [start, end).
    return rules._in_clock_window(wf.business_hours, rules.local(cfg, tick).time())


def _uses_odds_api(cfg: Config, wf: Workflow) -> bool:
    return any(cfg.scrapers[s].source == "odds_api" for s in wf.scrapers)


def _game_aware(cfg: Config, wf: Workflow, snap: Snapshot, hist: History) -> _Verdict:
    tick = snap.tick
    d = rules.operational_day_of(cfg, tick)
    day = _day_games(cfg, snap, d)
    ctx: dict[str, Any] = {"games_today": len(day)}
    if not day:
        return _skip("no games today", **ctx)
    opens, first = rules.game_aware_window(cfg, wf, d, day) or (tick, tick)
    bh = wf.business_hours
    assert bh is not None
    ctx.update(
        first_game_time=iso_utc(first),
        first_game_et=_hm(cfg, first),
        hours_until_game=round((first - tick).total_seconds() / 3600, 2),
        window_opens=_hm(cfg, opens),
        business_hours=f"{bh.start:%H:%M}-{bh.end:%H:%M} ET",
    )
    if tick < opens:
        return _skip(
            f"too early: first game at {_hm(cfg, first)} ET, window opens at {_hm(cfg, opens)} ET "
            f"({wf.window_before_game_hours:g} h before)",
            **ctx,
        )
    if tick >= first:
        return _skip(f"the first game already started at {_hm(cfg, first)} ET", **ctx)
    if not _in_business_hours(cfg, wf, tick):
        return _skip(f"outside business hours {bh.start:%H:%M}-{bh.end:%H:%M} ET", **ctx)
    last = max((t for t in hist.run_decisions if t < tick), default=None)
    if last is not None:
        ctx["last_run"] = iso_utc(last)
        if tick - last < timedelta(hours=wf.frequency_hours):
            return _skip(f"ran at {_hm(cfg, last)} ET, less than {wf.frequency_hours:g} h ago", **ctx)
    if _uses_odds_api(cfg, wf):
        reserve = cfg.controller.odds_quota_reserve
        ctx.update(odds_requests_remaining=hist.odds_remaining, odds_quota_reserve=reserve)
        if hist.odds_remaining is not None and hist.odds_remaining < reserve:
            seen = f" (recorded at {iso_utc(hist.odds_remaining_at)})" if hist.odds_remaining_at else ""
            return _skip(
                f"Odds API quota low: {hist.odds_remaining} requests remaining{seen}, under the reserve of "
                f"{reserve}; not spending the last credits",
                "WARNING",
                **ctx,
            )
    planned = tuple(p for s in published_scrapers(cfg, wf) for p in resolve(cfg, s, day=d, tick=tick, games=day))
    hours = (first - tick).total_seconds() / 3600
    waiting = _waiting(cfg, published_scrapers(cfg, wf), day)
    if waiting:
        ctx["waiting_for_teams"] = waiting
    return _Verdict(
        "RUN",
        f"{_n_games(len(day))} today, first at {_hm(cfg, first)} ET in {hours:.1f} h{_wait_note(waiting)}",
        context=ctx,
        targets=tuple(g.game_id for g in day),
        requests=planned,
    )


def _waiting(cfg: Config, scrapers: Sequence[str], games: Sequence[Game]) -> dict[str, list[str]]:
    """{game id: the scrapers} that wait for the game's teams (pending NBA Cup games, `params.needs_teams`)."""
    out: dict[str, list[str]] = {}
    for s in scrapers:
        for gid in waiting_for_teams(cfg, s, games):
            out.setdefault(gid, []).append(s)
    return out


def _wait_note(waiting: Mapping[str, Sequence[str]]) -> str:
    if not waiting:
        return ""
    ids = sorted(waiting)
    names = sorted({s for ss in waiting.values() for s in ss})
    return (
        f"; {len(ids)} game(s) wait for their teams to be known ({', '.join(ids[:6])}"
        f"{' ...' if len(ids) > 6 else ''}): {', '.join(names)} not requested for them"
    )


def _lists_game(summary: Mapping[str, Any], g: Game) -> bool:
    """Whether a per-date run's summary covers game `g` (see the module docstring)."""
    ids = summary.get("game_ids")
    teams = summary.get("team_tricodes")
    if not isinstance(ids, list) and not isinstance(teams, list):
        return True
    if isinstance(ids, list) and g.game_id in {str(i) for i in ids}:
        return True
    return isinstance(teams, list) and g.home in teams and g.away in teams


def _collected(
    cfg: Config, scraper: str, planned: Planned, g: Game, runs: Mapping[str, Sequence[Run]], final_at: datetime
) -> str | None:
    """The scraper whose run after `final_at` collected game `g` for `planned`: `scraper` itself, else one of
    its catalogue fallbacks (matched on the parameters it takes); None when neither did."""
    for name in (scraper, *cfg.fallbacks_of(scraper)):
        spec = cfg.scrapers[name]
        want = planned if name == scraper else Planned(name, spec.accepted(planned.params))
        per_game = unit_of(spec) == "game"
        for r in runs.get(name, ()):
            if r.at >= final_at and covers(want, r.params) and (per_game or _lists_game(r.summary, g)):
                return name
    return None


@dataclass(frozen=True)
class _Finals:
    """A game night's finals not yet collected: {game id: its scrapers missing}, the requests that collect
    exactly those (a per-date scraper once for the night), which fallbacks served, and which games wait for
    their teams."""

    missing: dict[str, list[str]]
    requests: tuple[Planned, ...]
    served: dict[str, dict[str, str]]
    waiting: dict[str, list[str]]

    def context(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.waiting:
            out["waiting_for_teams"] = self.waiting
        if self.served:
            out["served_by"] = self.served
        return out

    def notes(self) -> tuple[str, str]:
        """The reason's fallback note and pending-teams note."""
        flat = {p: f for by_game in self.served.values() for p, f in by_game.items()}
        return _fallback_note(flat), _wait_note(self.waiting)


def _finals(
    cfg: Config, scrapers: Sequence[str], games: Sequence[Game], night: date, tick: datetime, hist: History
) -> _Finals:
    """Per (game, scraper), whether a done run collected it after the game was surely over (`_collected`);
    the post-game windows and the recovery decide from this, with the same parameters (`params.resolve`)."""
    final_after = _final_after(cfg)
    runs = _runs_by_scraper(cfg, hist)
    day_requests = {s: resolve(cfg, s, day=night, tick=tick)[0] for s in scrapers if unit_of(cfg.scrapers[s]) == "day"}
    missing: dict[str, list[str]] = {}
    waiting = _waiting(cfg, scrapers, games)
    served: dict[str, dict[str, str]] = {}  # game -> {primary: the fallback whose run collected it}
    game_requests: dict[tuple[str, str], Planned] = {}
    for g in games:
        final_at = g.commence_utc + final_after
        todo = []
        for s in scrapers:
            if s in day_requests:
                p = day_requests[s]
            elif s in waiting.get(g.game_id, ()):
                continue
            else:
                p = game_requests[(s, g.game_id)] = resolve(cfg, s, day=night, tick=tick, games=[g])[0]
            by = _collected(cfg, s, p, g, runs, final_at)
            if by is None:
                todo.append(s)
            elif by != s:
                served.setdefault(g.game_id, {})[s] = by
        if todo:
            missing[g.game_id] = todo
    requests: list[Planned] = []
    for s in scrapers:
        if s in day_requests:
            if any(s in ss for ss in missing.values()):
                requests.append(day_requests[s])
        else:
            requests.extend(game_requests[(s, gid)] for gid, ss in missing.items() if s in ss)
    return _Finals(missing, tuple(requests), served, waiting)


def _fixed_window(
    cfg: Config,
    wf: Workflow,
    snap: Snapshot,
    hist: History,
    night: date | None,
    at: Callable[[date], datetime],
    labels: tuple[str, str, str],
) -> _Verdict | tuple[date, list[Game], dict[str, Any]]:
    """The game night a fixed-time window (post-game, recovery) serves at the tick, its games and the
    decision's context; a SKIP when the tick is outside the window, the night had no games, or an earlier
    RUN of this window (fixed time `at(night)` +/- tolerance) did its work already. `labels`: the window's
    name in reasons, its context key, the no-games reason."""
    what, key, no_games = labels
    assert wf.fixed_time is not None
    window = f"{wf.fixed_time:%H:%M} ET (+/-{wf.tolerance_minutes} min)"
    if night is None:
        return _skip(f"outside the {what} window {window}", **{key: window})
    games = _day_games(cfg, snap, night)
    ctx: dict[str, Any] = {key: window, "game_night": night.isoformat(), "games_that_night": len(games)}
    if not games:
        return _skip(f"{no_games} on the night of {night.isoformat()}", **ctx)
    opened = at(night) - timedelta(minutes=wf.tolerance_minutes)
    earlier = [t for t in hist.run_decisions if opened <= t < snap.tick]
    if earlier:
        return _skip(f"already ran in this window at {_hm(cfg, max(earlier))} ET", **ctx)
    return night, games, ctx


def _post_game(cfg: Config, wf: Workflow, snap: Snapshot, hist: History) -> _Verdict:
    tick = snap.tick
    labels = ("post-game", "post_game_window", "no games")
    opening = _fixed_window(
        cfg,
        wf,
        snap,
        hist,
        rules.fixed_window_target(cfg, wf, tick),
        partial(rules.fixed_time_instant, cfg, wf),
        labels,
    )
    if isinstance(opening, _Verdict):
        return opening
    night, games, ctx = opening

    final_after = _final_after(cfg)
    f = _finals(cfg, published_scrapers(cfg, wf), games, night, tick, hist)
    missing = f.missing
    ctx.update(
        game_final_after_hours=final_after.total_seconds() / 3600,
        collected=len(games) - len(missing),
        missing={gid: ss for gid, ss in missing.items()},
    )
    ctx.update(f.context())
    note, wait_note = f.notes()
    if not missing:
        return _skip(f"all {_n_games(len(games))} of {night.isoformat()} already collected{note}{wait_note}", **ctx)

    # Alerts: games an earlier window of the same night could have collected (over by its tick) and did not.
    overdue: list[str] = []
    for g in games:
        for other in cfg.enabled_workflows():
            if other.name == wf.name or other.decision_type != "game_aware_yesterday":
                continue
            t_other = rules.fixed_window_tick(cfg, other, night)
            if t_other is None or t_other >= tick or g.commence_utc + final_after > t_other:
                continue
            if set(missing.get(g.game_id, ())) & set(published_scrapers(cfg, other)):
                overdue.append(g.game_id)
                break
    ctx["overdue"] = overdue
    alert = "NONE"
    if overdue and wf.critical_if_missing:
        alert = "CRITICAL"
        note += f"; {len(overdue)} game(s) still missing after the earlier windows (last window)"
    elif wf.warn_missing_fraction is not None and len(overdue) / len(games) > wf.warn_missing_fraction:
        alert = "WARNING"
        note += (
            f"; {len(overdue)} of {len(games)} games still missing after the earlier window "
            f"(over {wf.warn_missing_fraction:.0%})"
        )

    targets = tuple(g.game_id for g in games if g.game_id in missing)
    reason = (
        f"{len(targets)} of {_n_games(len(games))} of {night.isoformat()} not yet collected: "
        f"{', '.join(targets[:6])}{' ...' if len(targets) > 6 else ''}{note}{wait_note}"
    )
    return _Verdict("RUN", reason, alert, ctx, targets, f.requests)


def _recovery(cfg: Config, wf: Workflow, snap: Snapshot, hist: History) -> _Verdict:
    """The morning after a game night (`rules.recovery_target`): the finals with no done run after the game
    was over (missing, or every run failed) are requested once, exactly those (game, scraper) pairs, with
    the post-game windows' parameters. Once per night: a RUN earlier in the window makes any later tick (or a
    manual one) SKIP, and a redelivered tick reuses the slot's decision. No alert of its own: the finals SLA
    (`final_box_scores`) already speaks for each missing game, and these runs resolve it."""
    tick = snap.tick
    labels = ("recovery", "recovery_window", "not a game day: no games")
    opening = _fixed_window(
        cfg, wf, snap, hist, rules.recovery_target(cfg, wf, tick), partial(rules.recovery_instant, cfg, wf), labels
    )
    if isinstance(opening, _Verdict):
        return opening
    night, night_games, ctx = opening
    since = snap.first_slot
    games = [g for g in night_games if since is not None and g.commence_utc >= since]
    if since is not None:
        ctx["watching_since"] = iso_utc(since)
    if not games:
        seen = f"{_hm(cfg, since)} ET on {rules.local(cfg, since):%Y-%m-%d}" if since else "none before this tick"
        return _skip(
            f"no game of {night.isoformat()} tipped while the controller was ticking (its first slot on record: "
            f"{seen}): a night it never watched is not recovered",
            **ctx,
        )
    if len(games) < len(night_games):
        ctx["not_watched"] = [g.game_id for g in night_games if g not in games]
    f = _finals(cfg, published_scrapers(cfg, wf), games, night, tick, hist)
    per_scraper = {s: n for s in published_scrapers(cfg, wf) if (n := sum(s in ss for ss in f.missing.values()))}
    ctx.update(
        game_final_after_hours=_final_after(cfg).total_seconds() / 3600,
        collected=len(games) - len(f.missing),
        missing=dict(f.missing),
        missing_by_scraper=per_scraper,
    )
    ctx.update(f.context())
    note, wait_note = f.notes()
    if not f.missing:
        return _skip(
            f"all {_n_games(len(games))} of {night.isoformat()} already collected: nothing to recover{note}{wait_note}",
            **ctx,
        )
    targets = tuple(g.game_id for g in games if g.game_id in f.missing)
    which = "; ".join(f"{gid}: {', '.join(f.missing[gid])}" for gid in targets[:6]) + (
        " ..." if len(targets) > 6 else ""
    )
    counts = ", ".join(f"{s} x{n}" for s, n in per_scraper.items())
    reason = (
        f"recovering {len(targets)} of {_n_games(len(games))} of {night.isoformat()}: {len(f.requests)} request(s) "
        f"for finals missing after the post-game windows ({counts}); {which}{note}{wait_note}"
    )
    return _Verdict("RUN", reason, "NONE", ctx, targets, f.requests)


def _discovery(cfg: Config, wf: Workflow, snap: Snapshot, hist: History) -> _Verdict:
    tick = snap.tick
    d = rules.operational_day_of(cfg, tick)
    day = _day_games(cfg, snap, d) if snap.games is not None else []
    ctx: dict[str, Any] = {"games_today": len(day) if snap.games is not None else None}
    if wf.game_days_only and not day:
        return _skip("not a game day", **ctx)
    # Found = a run that returned records: an injury or referee scraper reports "success" with 0 records when
    # nothing is published yet (treat_no_data_as_success), which is exactly what discovery keeps retrying.
    found = [r.at for r in hist.runs if r.status == "success" and r.records != 0 and r.scraper in wf.scrapers]
    if found:
        return _skip(f"already found today (at {_hm(cfg, max(found))} ET)", **ctx)
    times = rules.discovery_attempt_times(cfg, wf, d)
    start, _ = rules.operational_day_bounds(cfg, d)
    made = sorted(t for t in hist.run_decisions if start <= t < tick)
    ctx.update(
        attempts_made=len(made),
        attempt_times=[_hm(cfg, t) for t in times],
        max_attempts=wf.max_attempts,
        interval_hours=wf.interval_hours,
    )
    # Attempts are made before midnight (rules.discovery_attempt_times): after it, or once all were made,
    # the day's search is over and nothing was found.
    if len(made) >= len(times) or rules.local(cfg, tick).date() != d:
        return _skip(
            f"attempts exhausted: {len(made)} of {len(times)} made today (max {wf.max_attempts}, none after "
            "midnight), nothing found",
            "WARNING",
            **ctx,
        )
    # The next attempt is due at its time in the day's attempt list (the locker's times, rounded up to ticks,
    # so spacing follows the list rather than a raw interval); a missed attempt is made at the next tick.
    due = times[len(made)]
    if tick < due:
        if made:
            return _skip(
                f"last attempt at {_hm(cfg, made[-1])} ET is too recent: attempt {len(made) + 1} is due at "
                f"{_hm(cfg, due)} ET (every {wf.interval_hours:g} h)",
                **ctx,
            )
        return _skip(f"before the first attempt at {_hm(cfg, due)} ET", **ctx)
    planned = tuple(p for s in published_scrapers(cfg, wf) for p in resolve(cfg, s, day=d, tick=tick, games=day))
    waiting = _waiting(cfg, published_scrapers(cfg, wf), day)
    if waiting:
        ctx["waiting_for_teams"] = waiting
    return _Verdict(
        "RUN",
        f"discovery attempt {len(made) + 1} of {len(times)}{_wait_note(waiting)}",
        context=ctx,
        targets=tuple(g.game_id for g in day),
        requests=planned,
    )


def _tip_offsets(cfg: Config, wf: Workflow, snap: Snapshot, hist: History) -> _Verdict:
    """game_tip_offsets: each (game, snapshot) slot is decided on its own (see `rules.tip_slot_state`), the
    due ones go through the credit planner, and one RUN asks for the odds of exactly the games taken."""
    tick = snap.tick
    d = rules.operational_day_of(cfg, tick)
    day = _day_games(cfg, snap, d)
    ctx: dict[str, Any] = {"games_today": len(day)}
    if not day:
        return _skip("no games today", **ctx)
    odds = cfg.odds
    cost = odds.snapshot_cost()
    slots: list[dict[str, Any]] = []
    due: list[tuple[Game, Any]] = []
    counts: dict[str, int] = defaultdict(int)
    for g in day:
        for s in wf.snapshots:
            key = rules.tip_slot_key(wf, g, s)
            at = rules.tip_slot_due(cfg, g, s)
            if key in hist.taken_slots:
                counts["taken"] += 1
                continue
            st = rules.tip_slot_state(cfg, wf, g, s, tick)
            counts[st] += 1
            if st == "later":
                continue
            entry = {"slot": key, "snapshot_type": s.snapshot_type, "due": _hm(cfg, at), "state": st}
            if st == "due" and not g.teams_known:
                entry.update(state="waiting", reason="teams not known yet: no odds event to match")
            elif st == "due":
                due.append((g, s))
                continue
            elif st == "missed":
                entry["reason"] = f"missed: due at {_hm(cfg, at)} ET, more than {wf.late_minutes} min ago"
            elif st == "off_hours":
                entry["reason"] = "due outside business hours (only the closing snapshot has no such cut)"
            else:
                entry["reason"] = f"game started at {_hm(cfg, g.commence_utc)} ET"
            if st not in ("started", "off_hours"):  # those are routine: counted, not listed
                slots.append(entry)
    # One candidate per game: several slots due at once (a late tick) are one snapshot of the highest type.
    per_game: dict[str, list[Any]] = defaultdict(list)
    for g, s in due:
        per_game[g.game_id].append(s)
    games = {g.game_id: g for g in day}
    news = _unanswered_news(cfg, hist, games, tick)
    cands = []
    keys_of: dict[str, list[str]] = {}
    for gid, ss in per_game.items():
        top = max(ss, key=lambda s: rules.SNAPSHOT_RANK[s.snapshot_type])
        due_at = rules.tip_slot_due(cfg, games[gid], top)
        kind, keys = top.snapshot_type, [rules.tip_slot_key(wf, games[gid], s) for s in ss]
        if gid in news:  # this snapshot is the one after the news: it answers it, at the news' priority
            keys.append(news.pop(gid))
            kind = kind if rules.SNAPSHOT_RANK[kind] > rules.SNAPSHOT_RANK["injury"] else "injury"
        cands.append(budget.Candidate(f"{gid}/{top.name}", gid, kind, cost, due_at))
        keys_of[f"{gid}/{top.name}"] = keys
    for gid, key in news.items():
        cands.append(budget.Candidate(key, gid, "injury", cost))
        keys_of[key] = [key]
    ahead = sum(
        1
        for g in day
        for s in wf.snapshots
        if s.snapshot_type == "closing"
        and g.game_id not in per_game
        and rules.tip_slot_key(wf, g, s) not in hist.taken_slots
        and g.commence_utc > tick
    )
    days_left = _days_to_reset(cfg, d)
    future_closing = cost * ahead + cost * _games_per_day(day) * max(days_left - 1, 0)
    future_injury = cost * odds.injury_resnapshots_per_day * days_left
    reserve = cfg.controller.odds_quota_reserve
    plan = budget.plan(
        cands,
        remaining=hist.odds_remaining,
        reserve=reserve,
        future_closing_cost=future_closing,
        future_injury_cost=future_injury,
    )
    ctx.update(
        odds_requests_remaining=hist.odds_remaining,
        odds_quota_reserve=reserve,
        snapshot_cost=cost,
        slot_counts=dict(sorted(counts.items())),
        budget={"days_to_reset": days_left, "kept_for_closing": future_closing, "kept_for_injury": future_injury},
    )
    taken_games: dict[str, str] = {}
    taken_keys: list[str] = []
    skipped = []
    for ch in plan.choices:
        c = ch.candidate
        g = games[c.game_id]
        keys = keys_of[c.key]
        if ch.take:
            kind = c.kind
            if g.teams not in taken_games or rules.SNAPSHOT_RANK[kind] > rules.SNAPSHOT_RANK[taken_games[g.teams]]:
                taken_games[g.teams] = kind
            taken_keys.extend(keys)
            slots.append({"slot": c.key, "snapshot_type": c.kind, "state": "take", "reason": ch.reason})
        else:
            skipped.append(ch)
            slots.append({"slot": c.key, "snapshot_type": c.kind, "state": "skip", "reason": ch.reason})
    ctx["slots"] = slots
    missed_closing = [e["slot"] for e in slots if e["state"] == "missed" and e["snapshot_type"] == "closing"]
    budget_closing = [ch.candidate.key for ch in skipped if ch.candidate.kind == "closing"]
    alert = "WARNING" if missed_closing or budget_closing or skipped else "NONE"
    notes = []
    if skipped:
        notes.append("; ".join(f"{ch.candidate.key} {ch.reason}" for ch in skipped[:4]))
    if missed_closing:
        notes.append(f"closing missed: {', '.join(missed_closing[:4])}")
    if not taken_games:
        if notes:
            return _skip("; ".join(notes), alert, **ctx)
        nxt = min(
            (
                rules.tip_slot_due(cfg, g, s)
                for g in day
                for s in wf.snapshots
                if rules.tip_slot_key(wf, g, s) not in hist.taken_slots
                and rules.tip_slot_state(cfg, wf, g, s, tick) == "later"
            ),
            default=None,
        )
        when = f"; next at {_hm(cfg, nxt)} ET" if nxt else "; none left today"
        return _skip(f"no line snapshot due ({_n_games(len(day))}){when}", **ctx)
    ctx["slots_taken"] = taken_keys
    ctx["snapshot_games"] = taken_games
    top = max(taken_games.values(), key=lambda k: rules.SNAPSHOT_RANK[k])
    request_ctx = {"snapshot_type": top, "snapshot_games": dict(sorted(taken_games.items()))}
    planned = tuple(
        Planned(p.scraper, p.params, request_ctx)
        for sc in published_scrapers(cfg, wf)
        for p in resolve(cfg, sc, day=d, tick=tick, games=day)
    )
    types = ", ".join(f"{k} {v}" for k, v in sorted(taken_games.items()))
    spend = plan.spend
    reason = f"line snapshot of {_n_games(len(taken_games))} ({types}); about {spend} credits"
    if notes:
        reason += "; " + "; ".join(notes)
    targets = tuple(g.game_id for g in day if g.teams in taken_games)
    return _Verdict("RUN", reason, alert, ctx, targets, planned)


def _unanswered_news(cfg: Config, hist: History, games: Mapping[str, Game], tick: datetime) -> dict[str, str]:
    """Games of the day with injury news no snapshot has answered yet -> the re-snapshot's slot key
    ("<game>/injury-HHMM", the report run's ET tick). A snapshot answers news when it was taken at a later
    tick (one at the report's own tick was decided before the report was read, which is why news is acted on
    from the next tick only); a started game gets none; the key itself is taken once."""
    out: dict[str, str] = {}
    for gid, at in sorted(hist.injury_news.items()):
        g = games.get(gid)
        key = f"{gid}/injury-{rules.local(cfg, at):%H%M}"
        if g is None or not g.teams_known or g.commence_utc <= tick or at >= tick or key in hist.taken_slots:
            continue
        if any(t > at for k, t in hist.taken_slots.items() if k.startswith(f"{gid}/")):
            continue
        out[gid] = key
    return out


def _days_to_reset(cfg: Config, d: date) -> int:
    """Days from `d` (included) to the next credit reset (`odds.billing_reset_day`, excluded)."""
    reset = cfg.odds.billing_reset_day
    nxt = d.replace(day=reset)
    if nxt <= d:
        nxt = (nxt.replace(day=1) + timedelta(days=32)).replace(day=reset)
    return (nxt - d).days


def _games_per_day(day: Sequence[Game]) -> int:
    """The games a future day is expected to have, for the credits kept: today's count (a season night has
    up to 15; a planner fed with the schedule ahead would do better, `nba-orch credits plan` does)."""
    return len(day)


def _report_slot(r: Run) -> injury_slots.ReportSlot | None:
    """The report a run fetched, from its request parameters (None: a request that named no slot)."""
    p = r.params
    if not (p.get("date") and p.get("hour") and p.get("period")):
        return None
    try:
        return injury_slots.slot_of(date.fromisoformat(p["date"]), p["hour"], p["period"], p.get("minute"))
    except ValueError:
        return None


def _report_series(cfg: Config, wf: Workflow, snap: Snapshot, hist: History) -> _Verdict:
    tick = snap.tick
    d = rules.operational_day_of(cfg, tick)
    day = _day_games(cfg, snap, d)
    ctx: dict[str, Any] = {"games_today": len(day)}
    if wf.game_days_only and not day:
        return _skip("not a game day", **ctx)
    start, end = rules.report_series_window(cfg, wf, d, day)
    ctx.update(series_start=_hm(cfg, start), series_end=_hm(cfg, end))
    if tick < start:
        return _skip(f"before the first report of the series at {_hm(cfg, start)} ET", **ctx)
    tz = cfg.timezone
    first = injury_slots.newest_due(start, tz)
    series = [s for s in injury_slots.slots_of_day(d, tz) if first.start <= s.start < end]
    due = [s for s in series if s.is_due(tick)]
    fetched = {slot for r in hist.runs if _done(cfg, r) and r.scraper in wf.scrapers if (slot := _report_slot(r))}
    if tick > end:
        # The locker expects the series up to `end`; a report still missing then is reported, not chased.
        left = sum(1 for s in due if s not in fetched)
        note = f"; {left} report(s) of the series never fetched" if left else ""
        return _skip(
            f"the series is over: the last tip's report was due by {_hm(cfg, end)} ET{note}",
            "WARNING" if left else "NONE",
            **ctx,
        )
    horizon = tick - timedelta(hours=wf.catch_up_hours)
    missing = [s for s in due if s not in fetched]
    given_up = [s for s in missing if s.due < horizon]
    wanted = [s for s in missing if s.due >= horizon][-wf.max_per_tick :]
    later = len(missing) - len(given_up) - len(wanted)
    ctx.update(reports_due=len(due), reports_fetched=len(due) - len(missing))
    if given_up:
        ctx["reports_given_up"] = [s.label for s in given_up][-20:]
    if not wanted:
        newest = f" (newest {due[-1].label} ET)" if due else ""
        if given_up:
            return _skip(
                f"{len(given_up)} report(s) of the series missing for longer than {wf.catch_up_hours:g} h, given up",
                "WARNING",
                **ctx,
            )
        return _skip(f"all {len(due)} report(s) due are fetched{newest}", **ctx)
    ctx["reports"] = [s.label for s in wanted]
    requests = tuple(Planned(sc, s.params) for s in wanted for sc in published_scrapers(cfg, wf))
    note = f"; {later} older one(s) at the next tick" if later > 0 else ""
    lost = f"; {len(given_up)} missing for over {wf.catch_up_hours:g} h given up" if given_up else ""
    return _Verdict(
        "RUN",
        f"{len(wanted)} report(s) due and not yet fetched: {', '.join(s.label for s in wanted[-3:])}{note}{lost}",
        "WARNING" if given_up else "NONE",
        ctx,
        targets=tuple(g.game_id for g in day),
        requests=requests,
    )


_RULES = {
    "self_aware": _self_aware,
    "game_aware": _game_aware,
    "game_aware_yesterday": _post_game,
    "discovery": _discovery,
    "report_series": _report_series,
    "game_tip_offsets": _tip_offsets,
    "recovery": _recovery,
}


def needs_games(wf: Workflow) -> bool:
    return wf.decision_type in NEEDS_GAMES or (wf.decision_type in ("discovery", "report_series") and wf.game_days_only)


def decide_workflow(cfg: Config, wf: Workflow, snap: Snapshot) -> Decision:
    """One workflow's decision. Never raises: a failure to read or decide is an ABORT with CRITICAL."""
    d = rules.operational_day_of(cfg, snap.tick)
    base: dict[str, Any] = {
        "decision_type": wf.decision_type,
        "operational_day": d.isoformat(),
        "slot": rules.tick_key(cfg, snap.tick),
    }
    if snap.games is not None:
        base["games_today"] = len(_day_games(cfg, snap, d))
    hist = snap.history.get(wf.name) or History()
    if hist.error:
        v = _Verdict("ABORT", f"could not read this workflow's records: {hist.error}", "CRITICAL")
    elif needs_games(wf) and snap.games is None:
        v = _Verdict("ABORT", f"no schedule to decide from: {snap.games_error or 'no games loaded'}", "CRITICAL")
    else:
        try:
            v = _RULES[wf.decision_type](cfg, wf, snap, hist)
        except Exception as exc:  # a bad record or a config the rules cannot serve: loud, and only this workflow
            v = _Verdict("ABORT", f"decision failed: {type(exc).__name__}: {exc}", "CRITICAL")
    if v.action == "RUN":
        base["day"] = v.context.get("game_night") or d.isoformat()
    return _finish(cfg, wf.name, wf.priority, snap, v, base)


def decide_freshness(cfg: Config, snap: Snapshot, decisions: Sequence[Decision]) -> Decision:
    """The schedule freshness check (see the module docstring); `decisions` are this tick's other decisions."""
    tick = snap.tick
    name = cfg.controller.schedule_scraper
    limit = cfg.controller.schedule_freshness_hours
    d = rules.operational_day_of(cfg, tick)
    base: dict[str, Any] = {
        "decision_type": "schedule_freshness",
        "operational_day": d.isoformat(),
        "slot": rules.tick_key(cfg, tick),
        "schedule_scraper": name,
        "schedule_freshness_hours": limit,
        "schedule_file": snap.schedule_file,
    }
    last = snap.last_schedule_success
    served = snap.schedule_served_by or name
    by = name if served == name else f"{served} (fallback of {name})"
    if last is not None:
        base["schedule_served_by"] = served
    if snap.freshness_error:
        v = _Verdict("ABORT", f"could not read the schedule scraper's runs: {snap.freshness_error}", "CRITICAL")
        return _finish(cfg, FRESHNESS, "CRITICAL", snap, v, base)
    age = (tick - last).total_seconds() / 3600 if last else None
    base.update(last_success=iso_utc(last) if last else None, age_hours=round(age, 2) if age is not None else None)
    if age is not None and age <= limit:
        v = _skip(f"schedule fresh: last successful {by} run at {_hm(cfg, last)} ET ({age:.1f} h ago)")  # type: ignore[arg-type]
        return _finish(cfg, FRESHNESS, "CRITICAL", snap, v, base)
    stale = f"no successful {name} run on record" if age is None else f"last successful {by} run {age:.1f} h ago"
    covering = [x.workflow for x in decisions if x.action == "RUN" and any(p.scraper == name for p in x.requests)]
    if covering:
        v = _skip(f"schedule stale ({stale}); {covering[0]} scrapes it at this tick")
        return _finish(cfg, FRESHNESS, "CRITICAL", snap, v, base)
    alert = "WARNING" if age is None or age > 24 else "NONE"
    requests = tuple(resolve(cfg, name, day=d, tick=tick))
    v = _Verdict("RUN", f"schedule stale: {stale} (limit {limit:g} h)", alert, requests=requests)
    base["day"] = d.isoformat()
    return _finish(cfg, FRESHNESS, "CRITICAL", snap, v, base)


def decide_tick(cfg: Config, snap: Snapshot, existing: Mapping[str, Decision] | None = None) -> list[Decision]:
    """Every decision of the tick: the freshness check first, then each enabled workflow in config order.

    `existing` maps decision ids already recorded for this slot to their decisions: those are returned as
    they are, never decided again (a redelivered tick, the repeated fall-back 01:00).
    """
    existing = existing or {}
    out: list[Decision] = []
    sub = rules.is_sub_tick(cfg, snap.tick)
    for wf in cfg.enabled_workflows():
        if sub and not _tip(wf):  # a sub-hourly tick decides only the tip-keyed workflows
            continue
        did = decision_id(cfg, wf.name, snap.tick)
        out.append(existing[did] if did in existing else decide_workflow(cfg, wf, snap))
    if sub:
        return out
    fid = decision_id(cfg, FRESHNESS, snap.tick)
    fresh = existing[fid] if fid in existing else decide_freshness(cfg, snap, out)
    return [fresh, *out]
