"""Configuration: settings, workflows and the scraper catalogue, loaded from YAML and validated once.

Every problem is reported as one `ConfigError` naming the file, the key and what is wrong, so a bad deploy
fails at load time with a message a person can act on instead of deep inside a decision.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from shared.paths.template import BUILTIN_PLACEHOLDERS, placeholders

CONFIG_DIR = Path(__file__).resolve().parent / "config"

# Scrapers whose requests name a report slot (shared.nba.injury_slots): what a report_series can ask for.
REPORT_SERIES_SCRAPERS = ("nbac_injury_report",)
DECISION_TYPES = (
    "self_aware",
    "game_aware",
    "game_aware_yesterday",
    "discovery",
    "report_series",
    "game_tip_offsets",
    "recovery",
)
SNAPSHOT_TYPES = ("open", "regular", "closing")
PRIORITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW")
GAME_TYPES = ("regular_season", "nba_cup", "play_in", "playoffs", "preseason", "all_star")
AUTH_KINDS = ("header", "query", "service_account")
HEADER_PROFILES = ("nba_stats", "nba_cdn", "browser")


class ConfigError(ValueError):
    """A configuration file is invalid; the message names file, key and problem."""

    def __init__(self, file: str, key: str, problem: str) -> None:
        self.file, self.key, self.problem = file, key, problem
        super().__init__(f"{file}: {key}: {problem}")


@dataclass(frozen=True)
class Auth:
    kind: str
    secret: str
    name: str | None = None


@dataclass(frozen=True)
class Source:
    name: str
    auth: Auth | None = None
    headers: str | None = None
    min_interval_seconds: float = 0.0
    page_delay_seconds: float = 0.0
    # The environment variable holding this source's HTTP(S) proxy URL (a secret: it may carry a password).
    # Unset variable: the source is called directly.
    proxy_secret: str | None = None


@dataclass(frozen=True)
class ScraperSpec:
    name: str
    source: str
    url: str
    gcs_path: str
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    gcs_data_path: str | None = None
    critical: bool = False
    treat_no_data_as_success: bool = False
    depends_on: tuple[str, ...] = ()
    # Scrapers released (in this order) when a run of this one fails as `blocked` or after its retries.
    fallback: tuple[str, ...] = ()

    @property
    def params(self) -> tuple[str, ...]:
        return self.required + self.optional

    def accepted(self, params: Mapping[str, str]) -> dict[str, str]:
        """The part of `params` this scraper takes (how a fallback request is built from the failed one)."""
        return {k: v for k, v in params.items() if k in self.params}


@dataclass(frozen=True)
class TimeWindow:
    start: time
    end: time


@dataclass(frozen=True)
class TipSnapshot:
    """One snapshot of a game_tip_offsets workflow: `before_minutes` before the tip, or at the clock time
    `at` (ET) of the game's day (the opening line); `snapshot_type` labels the request, row and object."""

    name: str
    snapshot_type: str
    before_minutes: int | None = None
    at: time | None = None


@dataclass(frozen=True)
class Workflow:
    name: str
    decision_type: str
    scrapers: tuple[str, ...]
    priority: str = "MEDIUM"
    enabled: bool = True
    depends_on: tuple[str, ...] = ()
    ideal_window: TimeWindow | None = None  # self_aware
    window_before_game_hours: float = 6.0  # game_aware
    business_hours: TimeWindow | None = None  # game_aware
    frequency_hours: float = 2.0  # game_aware
    fixed_time: time | None = None  # game_aware_yesterday, recovery
    tolerance_minutes: int = 30  # game_aware_yesterday, recovery
    warn_missing_fraction: float | None = None  # game_aware_yesterday
    critical_if_missing: bool = False  # game_aware_yesterday
    game_days_only: bool = True  # discovery
    first_attempt: time = time(8, 0)  # discovery
    max_attempts: int = 1  # discovery
    interval_hours: float = 1.0  # discovery
    catch_up_hours: float = 2.0  # report_series: a missed report older than this is given up
    max_per_tick: int = 8  # report_series: reports requested by one tick at most (the newest first)
    snapshots: tuple[TipSnapshot, ...] = ()  # game_tip_offsets
    late_minutes: int = 15  # game_tip_offsets: a snapshot is still taken this long after it fell due


# ---------------------------------------------------------------------------------------------------------
# Settings sections (settings.yaml): one frozen dataclass per section, the defaults declared here once. Each
# field's metadata gives its validation: a number's range (finite always), a required key.


def number_field(minimum: float = 0, maximum: float | None = None, *, required: bool = False) -> dict[str, Any]:
    return {"minimum": minimum, "maximum": maximum, "required": required}


@dataclass(frozen=True)
class ControllerSettings:
    """`controller:`. Ticks first_hour..last_hour ET (plus every fixed window's hour): on the hour for every
    workflow, and every `tick_minutes` inside those hours for the game_tip_offsets workflows (60: hourly)."""

    first_hour: int = field(default=6, metadata=number_field(0, 23, required=True))
    last_hour: int = field(default=23, metadata=number_field(0, 23, required=True))
    tick_minutes: int = field(default=60, metadata=number_field(1, 60))
    schedule_freshness_hours: float = field(default=6.0, metadata=number_field())
    schedule_scraper: str = "nbac_schedule_api"
    # Odds API credits kept in reserve: betting_lines is skipped (WARNING) below this.
    odds_quota_reserve: int = field(default=0, metadata=number_field())
    # Hours after a tip when a game's data counts as final.
    game_final_after_hours: float = field(default=3.0, metadata=number_field())


@dataclass(frozen=True)
class CleanupSection:
    """`cleanup:` as written in settings.yaml (the role's durations: shared.cleanup.reconcile.CleanupSettings)."""

    interval_minutes: int = field(default=15, metadata=number_field(1, 60, required=True))
    lookback_minutes: int = field(default=60, metadata=number_field(1, required=True))
    min_file_age_minutes: int = field(default=30, metadata=number_field(1, required=True))
    republish_cooldown_minutes: int = field(default=60, metadata=number_field(1, required=True))
    warn_missing_threshold: int = field(default=5, metadata=number_field())
    processed_files_query: str = ""
    max_catchup_hours: float = field(default=168.0, metadata=number_field())
    date_margin_days: int = field(default=1, metadata=number_field())
    ledger_margin_hours: float = field(default=6.0, metadata=number_field())
    max_reported_files: int = field(default=5000, metadata=number_field())
    list_workers: int = field(default=4, metadata=number_field(1))


@dataclass(frozen=True)
class GamesSettings:
    """`games:`: the game types kept for scheduling."""

    include_types: tuple[str, ...] = GAME_TYPES


@dataclass(frozen=True)
class PubSubSettings:
    """`pubsub:`: the subscriptions' dead-letter and retry policies (deploy and the local runner apply them)."""

    max_delivery_attempts: int = field(default=5, metadata=number_field())  # Pub/Sub allows 5 to 100 (checked below)
    min_retry_backoff_seconds: int = field(default=10, metadata=number_field(0, 600))
    max_retry_backoff_seconds: int = field(default=600, metadata=number_field(0, 600))


@dataclass(frozen=True)
class GcsSettings:
    """`gcs:`: the data bucket's lifecycle (0 keeps files forever) and its OBJECT_FINALIZE notifications."""

    lifecycle_delete_days: int = field(default=0, metadata=number_field())
    notifications_enabled: bool = False


@dataclass(frozen=True)
class BigQuerySettings:
    """`bigquery:`: partition expiration of the day-partitioned tables."""

    partition_expiration_days: int = field(default=90, metadata=number_field(1))


@dataclass(frozen=True)
class LeaseSettings:
    """`leases:`: how long a claim's holder may work before another delivery takes over (wall clock; see
    shared.claims)."""

    controller_slot_seconds: float = field(default=120.0, metadata=number_field(1))
    cleanup_run_seconds: float = field(default=300.0, metadata=number_field(1))
    scraper_request_seconds: float = field(default=240.0, metadata=number_field(1))


@dataclass(frozen=True)
class RateLimitSettings:
    """`rate_limits:`: how the per-source limits hold across instances (shared.scrapers.ratelimit,
    docs/limits.md). `shared_slots` false keeps the per-process throttle only (one instance, no GCS writes)."""

    shared_slots: bool = True
    # How long an instance trusts its copy of a source's slowdown record (a 429 elsewhere is seen this late).
    slowdown_cache_seconds: float = field(default=2.0, metadata=number_field(0, 60))
    # Slots tried per call before giving the work back (RateLimited): more callers waiting than this.
    max_probes: int = field(default=32, metadata=number_field(1, 1000))
    # Timeout of one slot-store call; after a failure the store is skipped for degraded_seconds.
    store_timeout_seconds: float = field(default=5.0, metadata=number_field(0.1, 60))
    degraded_seconds: float = field(default=60.0, metadata=number_field(1, 3600))
    # The bucket's lifecycle rule deletes slot objects this many days old.
    slots_delete_after_days: int = field(default=1, metadata=number_field(1, 365))


# The Odds API's markets this project knows (player props and game lines); a misspelt market would cost
# credits for nothing.
PROP_MARKETS = (
    "player_points",
    "player_rebounds",
    "player_assists",
    "player_threes",
    "player_blocks",
    "player_steals",
    "player_turnovers",
    "player_points_rebounds_assists",
    "player_points_rebounds",
    "player_points_assists",
    "player_rebounds_assists",
    "player_double_double",
    "player_first_basket",
)
LINE_MARKETS = ("h2h", "spreads", "totals")


@dataclass(frozen=True)
class OddsSettings:
    """`odds:`: what the live per-event odds calls ask for, and the credit cost model of The Odds API: an
    event odds call costs `credits_per_market_region` x markets x regions (historical calls x
    `historical_multiplier`); the events list costs nothing. The monthly credits reset on
    `billing_reset_day`; `injury_resnapshots_per_day` is the allowance the planner keeps for them."""

    regions: tuple[str, ...] = ("us",)
    bookmakers: tuple[str, ...] = ()
    prop_markets: tuple[str, ...] = ("player_points", "player_rebounds", "player_assists")
    line_markets: tuple[str, ...] = ("spreads", "totals")
    credits_per_market_region: int = field(default=1, metadata=number_field(1))
    historical_multiplier: int = field(default=10, metadata=number_field(1))
    # A historical events list (/v4/historical/.../events) costs a flat credit charge, unlike the live one.
    historical_events_credits: int = field(default=1, metadata=number_field())
    billing_reset_day: int = field(default=1, metadata=number_field(1, 28))
    injury_resnapshots_per_day: int = field(default=0, metadata=number_field())

    def call_cost(self, markets: int, *, historical: bool = False) -> int:
        """Credits of one event odds call asking for `markets` markets in every configured region."""
        cost = self.credits_per_market_region * markets * len(self.regions)
        return cost * (self.historical_multiplier if historical else 1)

    def snapshot_cost(self, *, historical: bool = False) -> int:
        """Credits of one game's snapshot: its props call plus its game-lines call."""
        return self.call_cost(len(self.prop_markets), historical=historical) + self.call_cost(
            len(self.line_markets), historical=historical
        )


@dataclass(frozen=True)
class BackfillSettings:
    """`backfill:` (shared.backfill): how fast the driver publishes. Each request is paced at its source's
    `min_interval_seconds` per upstream call (the catalogue's rate); a source without one is paced at
    `default_interval_seconds`, so a backfill never floods the requests topic. `batch_max` caps one publish
    (its request ids are kept in one progress marker's metadata: 150 at most)."""

    default_interval_seconds: float = field(default=0.05, metadata=number_field())
    batch_max: int = field(default=100, metadata=number_field(1, 150))


SECTIONS: dict[str, type] = {
    "controller": ControllerSettings,
    "cleanup": CleanupSection,
    "games": GamesSettings,
    "pubsub": PubSubSettings,
    "gcs": GcsSettings,
    "bigquery": BigQuerySettings,
    "leases": LeaseSettings,
    "rate_limits": RateLimitSettings,
    "odds": OddsSettings,
    "backfill": BackfillSettings,
}


@dataclass(frozen=True)
class Config:
    timezone: ZoneInfo
    operational_day_start: time
    schedule_lock_time: time
    workflows: dict[str, Workflow]
    sources: dict[str, Source]
    scrapers: dict[str, ScraperSpec]
    param_patterns: dict[str, re.Pattern[str]] = field(default_factory=dict)
    controller: ControllerSettings = ControllerSettings()
    cleanup: CleanupSection = CleanupSection()
    games: GamesSettings = GamesSettings()
    pubsub: PubSubSettings = PubSubSettings()
    gcs: GcsSettings = GcsSettings()
    bigquery: BigQuerySettings = BigQuerySettings()
    leases: LeaseSettings = LeaseSettings()
    rate_limits: RateLimitSettings = RateLimitSettings()
    odds: OddsSettings = OddsSettings()
    backfill: BackfillSettings = BackfillSettings()

    def enabled_workflows(self) -> list[Workflow]:
        return [w for w in self.workflows.values() if w.enabled]

    def fallbacks_of(self, scraper: str) -> tuple[str, ...]:
        """Every scraper that can stand in for `scraper` (its fallbacks, theirs in turn), in release order."""
        out: list[str] = []
        todo = list(self.scrapers[scraper].fallback) if scraper in self.scrapers else []
        while todo:
            name = todo.pop(0)
            if name not in out and name != scraper:
                out.append(name)
                todo.extend(self.scrapers[name].fallback)
        return tuple(out)

    def controller_hours(self) -> list[int]:
        """ET hours at which the controller ticks: the configured range plus every fixed window's hour."""
        c = self.controller
        hours = set(range(c.first_hour, c.last_hour + 1))
        for wf in self.enabled_workflows():
            if wf.fixed_time is not None:
                hours.add(wf.fixed_time.hour)
        return sorted(hours)

    def controller_cron(self) -> str:
        """Every `controller.tick_minutes` inside the tick hours ("*/15 1,4,6-23 * * *"); hourly at 60."""
        m = self.controller.tick_minutes
        return f"{'0' if m == 60 else f'*/{m}'} {_cron_hours(self.controller_hours())} * * *"

    def locker_cron(self) -> str:
        t = self.schedule_lock_time
        return f"{t.minute} {t.hour} * * *"

    def cleanup_cron(self) -> str:
        return f"*/{self.cleanup.interval_minutes} * * * *"


def _cron_hours(hours: list[int]) -> str:
    """Compress sorted hours into cron ranges: [1, 4, 6, 7, 8] -> "1,4,6-8"."""
    parts: list[str] = []
    i = 0
    while i < len(hours):
        j = i
        while j + 1 < len(hours) and hours[j + 1] == hours[j] + 1:
            j += 1
        parts.append(str(hours[i]) if j - i < 2 else f"{hours[i]}-{hours[j]}")
        if j - i == 1:
            parts.append(str(hours[j]))
        i = j + 1
    return ",".join(parts)


# ---------------------------------------------------------------------------------------------------------
# Loading and validation


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ConfigError(path.name, "-", f"file not found at {path}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(path.name, "-", f"invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(path.name, "-", "top level must be a mapping")
    return data


class Checker:
    """Small helpers that raise ConfigError with the file name and a dotted key (also used by deploy)."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, key: str, problem: str) -> None:
        raise ConfigError(self.file, key, problem)

    def mapping(self, value: Any, key: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(key, f"must be a mapping, got {type(value).__name__}")
        return value

    def names(self, value: Any, key: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, "must be a list of names")
        if len(set(value)) != len(value):
            dup = sorted({v for v in value if value.count(v) > 1})
            self.fail(key, f"duplicate name(s) {dup}")
        return tuple(value)

    def clock(self, value: Any, key: str) -> time:
        if not isinstance(value, str) or not re.fullmatch(r"\d{2}:\d{2}", value):
            self.fail(key, f"bad time {value!r}: expected HH:MM")
        hh, mm = int(value[:2]), int(value[3:])
        if hh > 23 or mm > 59:
            self.fail(key, f"bad time {value!r}: out of range")
        return time(hh, mm)

    def window(self, value: Any, key: str) -> TimeWindow:
        m = self.mapping(value, key)
        start, end = self.clock(m.get("start"), f"{key}.start"), self.clock(m.get("end"), f"{key}.end")
        if end <= start:
            self.fail(key, f"end {end:%H:%M} must be after start {start:%H:%M}")
        return TimeWindow(start, end)

    def number(
        self, value: Any, key: str, *, minimum: float = 0, integer: bool = False, maximum: float | None = None
    ) -> Any:
        ok = isinstance(value, int) if integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok or not math.isfinite(value) or value < minimum:
            kind = "an integer" if integer else "a finite number"
            self.fail(key, f"must be {kind} >= {minimum}, got {value!r}")
        if maximum is not None and value > maximum:
            self.fail(key, f"must be at most {maximum}, got {value!r}")
        return value

    def section(self, raw: Any, key: str, cls: type) -> Any:
        """A settings section as its dataclass: unknown keys refused, every field validated by its type and
        metadata (required, range), absent ones left at the dataclass default."""
        m = self.mapping(raw if raw is not None else {}, key)
        fields = {f.name: f for f in dataclasses.fields(cls)}
        self.only(m, set(fields), key)
        kw: dict[str, Any] = {}
        for name, f in fields.items():
            fkey, meta = f"{key}.{name}", f.metadata
            if name not in m:
                if meta.get("required"):
                    self.fail(fkey, "is required")
                continue
            value, default = m[name], f.default
            if isinstance(default, bool):
                kw[name] = self.flag(value, fkey)
            elif isinstance(default, int | float):
                integer = isinstance(default, int)
                num = self.number(
                    value, fkey, minimum=meta.get("minimum", 0), integer=integer, maximum=meta.get("maximum")
                )
                kw[name] = num if integer else float(num)
            elif isinstance(default, str):
                if not isinstance(value, str):
                    self.fail(fkey, f"must be a string, got {value!r}")
                kw[name] = value.strip()
            elif isinstance(default, tuple):
                kw[name] = self.names(value, fkey)
            else:  # pragma: no cover - a new field type must be taught here
                raise TypeError(f"{cls.__name__}.{name}: no validation for {type(default).__name__}")
        return cls(**kw)

    def flag(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            self.fail(key, f"must be true or false, got {value!r}")
        return value

    def only(self, m: dict[str, Any], allowed: set[str], key: str) -> None:
        unknown = sorted(set(m) - allowed)
        if unknown:
            self.fail(f"{key}.{unknown[0]}", f"unknown key (allowed: {', '.join(sorted(allowed))})")


def _load_catalog(path: Path) -> tuple[dict[str, Source], dict[str, ScraperSpec], dict[str, re.Pattern[str]]]:
    c = Checker(path.name)
    raw = read_yaml(path)
    c.only(raw, {"param_patterns", "sources", "scrapers"}, "catalog")
    patterns: dict[str, re.Pattern[str]] = {}
    for name, pat in c.mapping(raw.get("param_patterns", {}), "param_patterns").items():
        try:
            patterns[name] = re.compile(str(pat), re.ASCII)  # `\d` is 0-9 only: no other digits in a path
        except re.error as exc:
            c.fail(f"param_patterns.{name}", f"bad regular expression: {exc}")

    sources: dict[str, Source] = {}
    for name, body in c.mapping(raw.get("sources"), "sources").items():
        key = f"sources.{name}"
        body = c.mapping(body or {}, key)
        c.only(body, {"auth", "headers", "min_interval_seconds", "page_delay_seconds", "proxy_secret"}, key)
        auth = None
        if "auth" in body:
            a = c.mapping(body["auth"], f"{key}.auth")
            c.only(a, {"kind", "secret", "name"}, f"{key}.auth")
            if a.get("name") is not None and not (
                isinstance(a["name"], str) and re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,63}", a["name"])
            ):
                c.fail(f"{key}.auth.name", f"must be a header or query parameter name, got {a['name']!r}")
            if a.get("kind") not in AUTH_KINDS:
                c.fail(f"{key}.auth.kind", f"unknown auth kind {a.get('kind')!r} (allowed: {AUTH_KINDS})")
            if not isinstance(a.get("secret"), str) or not a["secret"]:
                c.fail(f"{key}.auth.secret", "must name the environment variable holding the key")
            auth = Auth(kind=a["kind"], secret=a["secret"], name=a.get("name"))
        if body.get("headers") is not None and body["headers"] not in HEADER_PROFILES:
            c.fail(f"{key}.headers", f"unknown header profile {body['headers']!r} (allowed: {HEADER_PROFILES})")
        proxy = body.get("proxy_secret")
        if proxy is not None and not (isinstance(proxy, str) and re.fullmatch(r"[A-Z][A-Z0-9_]{2,63}", proxy)):
            c.fail(f"{key}.proxy_secret", "must name the environment variable holding the proxy URL (UPPER_SNAKE)")
        sources[name] = Source(
            name=name,
            auth=auth,
            headers=body.get("headers"),
            min_interval_seconds=float(c.number(body.get("min_interval_seconds", 0), f"{key}.min_interval_seconds")),
            page_delay_seconds=float(c.number(body.get("page_delay_seconds", 0), f"{key}.page_delay_seconds")),
            proxy_secret=proxy,
        )

    allowed = {
        "source",
        "url",
        "gcs_path",
        "gcs_data_path",
        "required",
        "optional",
        "critical",
        "treat_no_data_as_success",
        "depends_on",
        "fallback",
    }
    scrapers: dict[str, ScraperSpec] = {}
    for name, body in c.mapping(raw.get("scrapers"), "scrapers").items():
        key = f"scrapers.{name}"
        if not re.fullmatch(r"[a-z][a-z0-9_]{2,63}", str(name)):
            c.fail(key, "scraper names are lower_snake_case, 3-64 characters")
        body = c.mapping(body, key)
        c.only(body, allowed, key)
        for req in ("source", "url", "gcs_path"):
            if not isinstance(body.get(req), str) or not body[req]:
                c.fail(f"{key}.{req}", "is required")
        if body["source"] not in sources:
            c.fail(f"{key}.source", f"unknown source {body['source']!r}")
        required = c.names(body.get("required"), f"{key}.required")
        optional = c.names(body.get("optional"), f"{key}.optional")
        for p in required + optional:
            if p not in patterns:
                c.fail(f"{key}.required", f"parameter {p!r} has no entry in param_patterns")
        known = set(required) | set(optional) | BUILTIN_PLACEHOLDERS | set(patterns)
        for tkey in ("url", "gcs_path", "gcs_data_path"):
            if body.get(tkey) is None:
                continue
            try:
                fields = set(placeholders(body[tkey]))
            except ValueError as exc:
                c.fail(f"{key}.{tkey}", f"bad template: {exc}")
            unknown = sorted(fields - known)
            if unknown:
                c.fail(f"{key}.{tkey}", f"unknown placeholder {{{unknown[0]}}}")
        for tkey in ("gcs_path", "gcs_data_path"):
            tpl = body.get(tkey)
            if tpl is not None and (tpl.startswith("/") or ".." in tpl or "//" in tpl):
                c.fail(f"{key}.{tkey}", "must be a relative path without '..' or '//'")
        scrapers[name] = ScraperSpec(
            name=name,
            source=body["source"],
            url=body["url"],
            gcs_path=body["gcs_path"],
            gcs_data_path=body.get("gcs_data_path"),
            required=required,
            optional=optional,
            critical=c.flag(body.get("critical", False), f"{key}.critical"),
            treat_no_data_as_success=c.flag(
                body.get("treat_no_data_as_success", False), f"{key}.treat_no_data_as_success"
            ),
            depends_on=c.names(body.get("depends_on"), f"{key}.depends_on"),
            fallback=c.names(body.get("fallback"), f"{key}.fallback"),
        )
    for name, spec in scrapers.items():
        for dep in spec.depends_on:
            if dep not in scrapers:
                c.fail(f"scrapers.{name}.depends_on", f"unknown scraper {dep!r}")
        for fb in spec.fallback:
            if fb not in scrapers:
                c.fail(f"scrapers.{name}.fallback", f"unknown scraper {fb!r}")
            # A fallback request is the failed request's parameters, narrowed to the ones the fallback takes:
            # each of its required parameters must be one the failed scraper can carry.
            lacking = [p for p in scrapers[fb].required if p not in spec.params]
            if lacking:
                c.fail(f"scrapers.{name}.fallback", f"{fb} requires {', '.join(lacking)}, which {name} does not take")
    for field_name in ("depends_on", "fallback"):
        cycle = _find_cycle({n: getattr(s, field_name) for n, s in scrapers.items()})
        if cycle:
            c.fail(f"scrapers.{cycle[0]}.{field_name}", f"cycle in {field_name}: {' -> '.join(cycle)}")
    return sources, scrapers, patterns


def _find_cycle(graph: dict[str, tuple[str, ...]]) -> list[str] | None:
    """Return one dependency cycle as a path (first node repeated at the end), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in graph.get(node, ()):
            if state.get(dep) == 1:
                return stack[stack.index(dep) :] + [dep]
            if dep not in state and (found := visit(dep)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for n in sorted(graph):
        if n not in state and (found := visit(n)):
            return found
    return None


_WORKFLOW_KEYS: dict[str, set[str]] = {
    "self_aware": {"ideal_window"},
    "game_aware": {"window_before_game_hours", "business_hours", "frequency_hours"},
    "game_aware_yesterday": {"fixed_time", "tolerance_minutes", "warn_missing_fraction", "critical_if_missing"},
    "discovery": {"game_days_only", "first_attempt", "max_attempts", "interval_hours"},
    "report_series": {"game_days_only", "first_attempt", "catch_up_hours", "max_per_tick"},
    "game_tip_offsets": {"snapshots", "late_minutes", "business_hours"},
    "recovery": {"fixed_time", "tolerance_minutes"},
}
_COMMON_KEYS = {"decision_type", "priority", "enabled", "depends_on", "scrapers"}


def _tip_snapshots(c: Checker, body: dict[str, Any], key: str) -> dict[str, Any]:
    """The snapshots of a game_tip_offsets workflow: each a unique name, a type, and exactly one of
    `before_minutes` (before the tip) or `at` (a clock time of the game's day); exactly one closing."""
    raw = body.get("snapshots")
    if not isinstance(raw, list) or not raw:
        c.fail(f"{key}.snapshots", "must be a non-empty list of snapshots")
    out: list[TipSnapshot] = []
    for i, item in enumerate(raw):
        k = f"{key}.snapshots[{i}]"
        m = c.mapping(item, k)
        c.only(m, {"name", "type", "before_minutes", "at"}, k)
        name = m.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_-]{1,20}", name):
            c.fail(f"{k}.name", f"must be a short lowercase name, got {name!r}")
        stype = m.get("type", "regular")
        if stype not in SNAPSHOT_TYPES:
            c.fail(f"{k}.type", f"unknown snapshot type {stype!r} (allowed: {', '.join(SNAPSHOT_TYPES)})")
        if ("before_minutes" in m) == ("at" in m):
            c.fail(k, "needs exactly one of before_minutes or at")
        before = (
            c.number(m["before_minutes"], f"{k}.before_minutes", minimum=1, integer=True)
            if "before_minutes" in m
            else None
        )
        at = c.clock(m["at"], f"{k}.at") if "at" in m else None
        out.append(TipSnapshot(name, stype, before, at))
    names = [s.name for s in out]
    if len(set(names)) != len(names):
        c.fail(f"{key}.snapshots", "duplicate snapshot names")
    if [s.snapshot_type for s in out].count("closing") != 1:
        c.fail(f"{key}.snapshots", "needs exactly one snapshot of type closing")
    late = c.number(body.get("late_minutes", 15), f"{key}.late_minutes", minimum=0, integer=True)
    kw: dict[str, Any] = {"snapshots": tuple(out), "late_minutes": late}
    if body.get("business_hours") is not None:
        kw["business_hours"] = c.window(body["business_hours"], f"{key}.business_hours")
    return kw


def _fixed_time(c: Checker, body: dict[str, Any], key: str) -> dict[str, Any]:
    """`fixed_time` and `tolerance_minutes` of a post-game window or a recovery (under an hour: the rules find
    the window's tick among the hourly ticks)."""
    tol = c.number(body.get("tolerance_minutes", 30), f"{key}.tolerance_minutes", integer=True)
    if tol > 59:
        c.fail(f"{key}.tolerance_minutes", "must be under 60 (the controller ticks hourly)")
    return {"fixed_time": c.clock(body.get("fixed_time"), f"{key}.fixed_time"), "tolerance_minutes": tol}


def _check_recoveries(c: Checker, workflows: dict[str, Workflow], day_start: time) -> None:
    """A recovery re-requests the finals of the post-game windows, after the last of them: its scrapers must be
    post-game scrapers, and its time (on the calendar day after the game night) must come after every
    window's time plus tolerance, or it would race the window it is meant to catch up."""

    def after_night_start(t: time, next_day: bool) -> int:  # minutes from the night's day start
        m = (t.hour * 60 + t.minute - day_start.hour * 60 - day_start.minute) % (24 * 60)
        return m + 24 * 60 if next_day and t >= day_start else m

    windows = [w for w in workflows.values() if w.decision_type == "game_aware_yesterday"]
    finals = {s for w in windows for s in w.scrapers}
    for name, wf in workflows.items():
        if wf.decision_type != "recovery":
            continue
        key = f"workflows.{name}"
        for s in wf.scrapers:
            if s not in finals:
                c.fail(f"{key}.scrapers", f"{s!r} is not a scraper of any post-game window (game_aware_yesterday)")
        assert wf.fixed_time is not None
        at = after_night_start(wf.fixed_time, True) - wf.tolerance_minutes
        for w in windows:
            assert w.fixed_time is not None
            if at <= after_night_start(w.fixed_time, False) + w.tolerance_minutes:
                c.fail(
                    f"{key}.fixed_time",
                    f"{wf.fixed_time:%H:%M} (-{wf.tolerance_minutes} min) must come after {w.name} at "
                    f"{w.fixed_time:%H:%M} (+{w.tolerance_minutes} min): the recovery follows the last window",
                )


def _load_workflows(path: Path, scrapers: dict[str, ScraperSpec]) -> dict[str, Workflow]:
    c = Checker(path.name)
    raw = read_yaml(path)
    c.only(raw, {"workflows"}, "workflows")
    body_all = c.mapping(raw.get("workflows"), "workflows")
    workflows: dict[str, Workflow] = {}
    for name, body in body_all.items():
        key = f"workflows.{name}"
        body = c.mapping(body, key)
        dtype = body.get("decision_type")
        if dtype not in DECISION_TYPES:
            c.fail(f"{key}.decision_type", f"unknown decision type {dtype!r} (allowed: {', '.join(DECISION_TYPES)})")
        c.only(body, _COMMON_KEYS | _WORKFLOW_KEYS[dtype], key)
        priority = body.get("priority", "MEDIUM")
        if priority not in PRIORITIES:
            c.fail(f"{key}.priority", f"unknown priority {priority!r} (allowed: {', '.join(PRIORITIES)})")
        names = c.names(body.get("scrapers"), f"{key}.scrapers")
        if not names:
            c.fail(f"{key}.scrapers", "a workflow needs at least one scraper")
        for s in names:
            if s not in scrapers:
                c.fail(f"{key}.scrapers", f"unknown scraper {s!r}")
        kw: dict[str, Any] = {}
        if dtype == "self_aware":
            kw["ideal_window"] = c.window(body.get("ideal_window"), f"{key}.ideal_window")
        elif dtype == "game_aware":
            kw["window_before_game_hours"] = float(
                c.number(body.get("window_before_game_hours", 6), f"{key}.window_before_game_hours")
            )
            kw["business_hours"] = c.window(body.get("business_hours"), f"{key}.business_hours")
            kw["frequency_hours"] = float(c.number(body.get("frequency_hours", 2), f"{key}.frequency_hours", minimum=1))
        elif dtype == "game_aware_yesterday":
            kw.update(_fixed_time(c, body, key))
            if body.get("warn_missing_fraction") is not None:
                frac = c.number(body["warn_missing_fraction"], f"{key}.warn_missing_fraction")
                if frac > 1:
                    c.fail(f"{key}.warn_missing_fraction", "must be between 0 and 1")
                kw["warn_missing_fraction"] = float(frac)
            kw["critical_if_missing"] = c.flag(body.get("critical_if_missing", False), f"{key}.critical_if_missing")
        elif dtype == "recovery":
            kw.update(_fixed_time(c, body, key))
        elif dtype == "report_series":
            kw["game_days_only"] = c.flag(body.get("game_days_only", True), f"{key}.game_days_only")
            kw["first_attempt"] = c.clock(body.get("first_attempt", "08:00"), f"{key}.first_attempt")
            kw["catch_up_hours"] = float(
                c.number(body.get("catch_up_hours", 2), f"{key}.catch_up_hours", minimum=0.25, maximum=24)
            )
            kw["max_per_tick"] = c.number(
                body.get("max_per_tick", 8), f"{key}.max_per_tick", minimum=1, maximum=96, integer=True
            )
            for s in names:
                if s not in REPORT_SERIES_SCRAPERS:
                    c.fail(f"{key}.scrapers", f"{s!r} has no report slots (report_series: {REPORT_SERIES_SCRAPERS})")
        elif dtype == "game_tip_offsets":
            kw.update(_tip_snapshots(c, body, key))
        else:
            kw["game_days_only"] = c.flag(body.get("game_days_only", True), f"{key}.game_days_only")
            kw["first_attempt"] = c.clock(body.get("first_attempt", "08:00"), f"{key}.first_attempt")
            kw["max_attempts"] = c.number(body.get("max_attempts"), f"{key}.max_attempts", minimum=1, integer=True)
            kw["interval_hours"] = float(c.number(body.get("interval_hours"), f"{key}.interval_hours", minimum=1))
        workflows[name] = Workflow(
            name=name,
            decision_type=dtype,
            scrapers=names,
            priority=priority,
            enabled=c.flag(body.get("enabled", True), f"{key}.enabled"),
            depends_on=c.names(body.get("depends_on"), f"{key}.depends_on"),
            **kw,
        )
    for name, wf in workflows.items():
        for dep in wf.depends_on:
            if dep not in workflows:
                c.fail(f"workflows.{name}.depends_on", f"unknown workflow {dep!r}")
    cycle = _find_cycle({n: w.depends_on for n, w in workflows.items()})
    if cycle:
        c.fail(f"workflows.{cycle[0]}.depends_on", f"cycle in depends_on: {' -> '.join(cycle)}")
    return workflows


def _load_settings(path: Path) -> dict[str, Any]:
    c = Checker(path.name)
    raw = read_yaml(path)
    c.only(raw, {"timezone", "operational_day_start", "schedule_lock_time"} | set(SECTIONS), "settings")
    try:
        tz = ZoneInfo(str(raw.get("timezone")))
    except (ZoneInfoNotFoundError, ValueError):
        c.fail("timezone", f"unknown time zone {raw.get('timezone')!r}")
    out: dict[str, Any] = {
        "timezone": tz,
        "operational_day_start": c.clock(raw.get("operational_day_start"), "operational_day_start"),
        "schedule_lock_time": c.clock(raw.get("schedule_lock_time"), "schedule_lock_time"),
    }
    for key, cls in SECTIONS.items():
        out[key] = c.section(raw.get(key), key, cls)
    ctrl = out["controller"]
    if ctrl.last_hour < ctrl.first_hour:
        c.fail("controller.last_hour", "must not be before first_hour")
    if 60 % ctrl.tick_minutes:
        c.fail("controller.tick_minutes", "must divide 60 (it becomes a */N cron)")
    if 60 % out["cleanup"].interval_minutes:
        c.fail("cleanup.interval_minutes", "must divide 60 (it becomes a */N cron)")
    for t in out["games"].include_types:
        if t not in GAME_TYPES:
            c.fail("games.include_types", f"unknown game type {t!r} (allowed: {', '.join(GAME_TYPES)})")
    odds = out["odds"]
    for key, allowed, got in (
        ("odds.prop_markets", PROP_MARKETS, odds.prop_markets),
        ("odds.line_markets", LINE_MARKETS, odds.line_markets),
    ):
        for m in got:
            if m not in allowed:
                c.fail(key, f"unknown market {m!r} (allowed: {', '.join(allowed)})")
    if not odds.regions:
        c.fail("odds.regions", "needs at least one region")
    for r in odds.regions:
        if r not in ("us", "us2", "uk", "au", "eu"):
            c.fail("odds.regions", f"unknown region {r!r} (allowed: us, us2, uk, au, eu)")
    ps = out["pubsub"]
    if not 5 <= ps.max_delivery_attempts <= 100:
        c.fail("pubsub.max_delivery_attempts", "Pub/Sub allows 5 to 100")
    if ps.min_retry_backoff_seconds > ps.max_retry_backoff_seconds:
        c.fail("pubsub.min_retry_backoff_seconds", "must not exceed max_retry_backoff_seconds")
    return out


def load_config(config_dir: str | Path | None = None) -> Config:
    """Load and validate settings.yaml, scrapers.yaml and workflows.yaml from `config_dir`."""
    d = Path(config_dir) if config_dir else CONFIG_DIR
    settings = _load_settings(d / "settings.yaml")
    sources, scrapers, patterns = _load_catalog(d / "scrapers.yaml")
    workflows = _load_workflows(d / "workflows.yaml", scrapers)
    _check_recoveries(Checker("workflows.yaml"), workflows, settings["operational_day_start"])
    sched = settings["controller"].schedule_scraper
    if sched not in scrapers:
        raise ConfigError("settings.yaml", "controller.schedule_scraper", f"unknown scraper {sched!r}")
    every = settings["controller"].tick_minutes
    for wf in workflows.values():
        if wf.decision_type == "game_tip_offsets" and wf.late_minutes < every - 1:
            raise ConfigError(
                "workflows.yaml",
                f"workflows.{wf.name}.late_minutes",
                f"must be at least controller.tick_minutes - 1 ({every - 1}): a snapshot due between two ticks "
                "would never be taken",
            )
    return Config(workflows=workflows, sources=sources, scrapers=scrapers, param_patterns=patterns, **settings)


@lru_cache(maxsize=4)
def _cached(config_dir: str) -> Config:
    return load_config(config_dir)


def get_config() -> Config:
    """The process-wide configuration (from NBA_ORCH_CONFIG_DIR, else the packaged default), cached."""
    return _cached(os.environ.get("NBA_ORCH_CONFIG_DIR") or str(CONFIG_DIR))
