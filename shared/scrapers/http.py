"""The HTTP layer every scraper uses: one `requests` session per process, retries, auth and routing.

Why each part:
- One session per process (`client()`): connection reuse across scrapers and warm invocations; `requests`
  is imported on first use, not when the function module loads (cold start).
- Retries with tenacity on 429, 5xx, timeouts and connection errors, exponential backoff
  min(base * 2^(n-1), cap), honouring `Retry-After` (a Retry-After longer than the allowed wait stops the
  retries at once: Pub/Sub redelivery is the better, cheaper wait). No retry on other 4xx: they are
  permanent. After the last attempt a `TransientFailure` is raised; a 4xx raises `ScraperFailure`.
- Per-source headers (NBA.com wants browser-like headers), auth (header or query parameter, key from the
  environment, registered for scrubbing) and a per-source minimum interval between calls that holds for
  every instance together: with a `Pacer` (shared.scrapers.ratelimit; `client_for(rt)` gives one backed by
  GCS) each call takes a time slot of its source shared by all callers, and a 429's Retry-After slows the
  source down for everyone; without one (or while its store is unreachable) the interval is kept between
  the calls of this process only.
- Denials told apart (`classify_denial`): a WAF block page (Akamai's "Access Denied", Cloudflare's) is
  `blocked`, an object store's AccessDenied/NoSuchKey XML (cdn.nba.com before a file exists) is
  `not_published`; any other 4xx stays `http_<code>`. What each means for the run is decided in
  `shared.scrapers.core.fetch_failure`.
- A per-source proxy (`proxy_for`): the URL is a secret named by the source's `proxy_secret`; it and its
  credentials are registered with the scrubber, and a proxied connection error reports only known phrases
  of the exception, never its text (which names the proxy).
- `NBA_ORCH_UPSTREAM_OVERRIDE=http://127.0.0.1:PORT` routes every request to
  `<override>/<original-host>/<original-path>?<query>`, so one local server replays every source.
- Hostile upstreams (issue 17): every exception raised while fetching ends as one defined outcome chosen by
  its TYPE (`classify_exception`), never by its text, and messages name exception types and known phrases
  only (an exception's text may hold the URL with its key). Redirects are ours (`allow_redirects=False`,
  `redirect_target`): followed only to the same scheme, host and port over HTTPS (or, with the override, the
  same local origin and upstream host), at most MAX_REDIRECTS hops, auth re-added by us; anything else is a
  permanent `redirect_refused` / `redirect_loop`. Bodies are streamed under a hard cap
  (`NBA_ORCH_HTTP_MAX_BODY_BYTES`, default 64 MiB, decoded bytes: a gzip bomb counts): permanent
  `body_too_large`.

Settings (read at each call so tests can change them): NBA_ORCH_HTTP_TIMEOUT (s, default 30),
NBA_ORCH_HTTP_ATTEMPTS (default 3), NBA_ORCH_HTTP_BACKOFF_SCALE (multiplies every wait: backoff,
Retry-After, min interval, page delay; default 1), NBA_ORCH_HTTP_MAX_RETRY_AFTER (s, default 60),
NBA_ORCH_HTTP_MAX_BODY_BYTES (default 64 MiB). A value that is not a finite number in range is a ConfigError
naming the variable.
"""

from __future__ import annotations

import base64
import html
import http.client
import math
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit, urlunsplit

from shared.config import ConfigError, RateLimitSettings, Source
from shared.scrapers.errors import BLOCKED, MAX_ERROR_MESSAGE, NOT_PUBLISHED, ScraperFailure, TransientFailure
from shared.scrapers.ratelimit import GcsSlotStore, Pacer
from shared.secrets import get_secret, remember, scrub

if TYPE_CHECKING:
    from shared.runtime import Runtime

USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
)
HEADER_PROFILES: dict[str, dict[str, str]] = {
    "nba_stats": {
        "User-Agent": USER_AGENT,
        "Accept": "application/json, text/plain, */*",
        "Accept-Language": "en-US,en;q=0.9",
        "Origin": "https://www.nba.com",
        "Referer": "https://www.nba.com/",
        "x-nba-stats-origin": "stats",
        "x-nba-stats-token": "true",
    },
    "nba_cdn": {
        "User-Agent": USER_AGENT,
        "Accept": "application/json, text/plain, */*",
        "Origin": "https://www.nba.com",
        "Referer": "https://www.nba.com/",
    },
    "browser": {
        "User-Agent": USER_AGENT,
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,application/json;q=0.8,*/*;q=0.7",
        "Accept-Language": "en-US,en;q=0.9",
    },
}
DEFAULT_HEADERS = {"User-Agent": "nba-orch/0.1", "Accept": "application/json"}
# Response headers worth keeping with the output (quota accounting, caching hints).
KEPT_HEADERS = ("content-type", "x-requests-remaining", "x-requests-used", "x-requests-last", "last-modified", "etag")
MAX_REDIRECTS = 5
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
# What is read of a non-2xx answer: enough for the snippet and the denial check, never the whole body.
ERROR_BODY_BYTES = 64 * 1024
_CHUNK = 64 * 1024
REDIRECT_STATUSES = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class HttpSettings:
    timeout: float = 30.0
    attempts: int = 3
    backoff_scale: float = 1.0
    backoff_base: float = 4.0
    backoff_cap: float = 15.0
    max_retry_after: float = 60.0
    override: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> HttpSettings:
        """The settings from the environment; a non-finite, out-of-range or non-numeric value is a ConfigError
        naming the variable (`nan` would otherwise disable the timeout, `abc` fail every call differently)."""
        e = os.environ if env is None else env
        return cls(
            timeout=_env_number(e, "NBA_ORCH_HTTP_TIMEOUT", 30, minimum=0.001),
            attempts=max(1, int(_env_number(e, "NBA_ORCH_HTTP_ATTEMPTS", 3, minimum=1, maximum=20, integer=True))),
            backoff_scale=_env_number(e, "NBA_ORCH_HTTP_BACKOFF_SCALE", 1, minimum=0),
            max_retry_after=_env_number(e, "NBA_ORCH_HTTP_MAX_RETRY_AFTER", 60, minimum=0),
            override=(e.get("NBA_ORCH_UPSTREAM_OVERRIDE") or "").rstrip("/") or None,
            max_body_bytes=int(
                _env_number(e, "NBA_ORCH_HTTP_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, minimum=1, integer=True)
            ),
        )


def _env_number(
    env: Mapping[str, str], name: str, default: float, *, minimum: float, maximum: float | None = None, integer=False
) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return float(default)
    try:
        value = float(raw) if not integer else float(int(raw))
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < minimum or (maximum is not None and value > maximum):
        kind = "an integer" if integer else "a finite number"
        bound = f" and <= {maximum:g}" if maximum is not None else ""
        raise ConfigError("environment", name, f"must be {kind} >= {minimum:g}{bound}, got {raw!r}")
    return value


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes
    headers: dict[str, str]  # lower-case names, only KEPT_HEADERS
    url: str  # the upstream URL, secrets removed (never the override)
    retries: int = 0
    retry_waits: tuple[float, ...] = ()  # unscaled waits before each retry (Retry-After or backoff)


class _Retryable(Exception):
    def __init__(self, error_type: str, message: str, status: int | None = None, retry_after: float | None = None):
        self.error_type, self.message, self.status, self.retry_after = error_type, message, status, retry_after
        super().__init__(message)


def route(url: str, override: str | None) -> str:
    """`url` unchanged, or rewritten to `<override>/<host>/<path>?<query>`."""
    if not override:
        return url
    parts = urlsplit(url)
    return f"{override}/{parts.netloc}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None when absent or invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    # Wall clock on purpose: Retry-After is about real waiting, not about the logical time of the run.
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


# A WAF's block page (checked on the text of the first 4 KB, HTML entities decoded): Akamai's "Access Denied"
# with its reference number, Cloudflare's block pages.
_BLOCK_PAGE = re.compile(
    r"errors\.edgesuite\.net|reference #\d+\.[0-9a-f]+\.\d+|cf-error-details|attention required! \| cloudflare"
    r"|sorry, you have been blocked",
    re.IGNORECASE,
)
_REFERENCE = re.compile(r"reference #([0-9a-f.]+)", re.IGNORECASE)
# An object store's "no such object" (S3 behind cdn.nba.com answers 403 AccessDenied for a missing key).
_NOT_PUBLISHED = re.compile(r"<error>\s*<code>\s*(accessdenied|nosuchkey)\s*</code>", re.IGNORECASE)


def classify_denial(status: int, body: bytes) -> tuple[str, str] | None:
    """(error_type, why) of a 4xx that is a block page (`blocked`) or an unpublished object
    (`not_published`); None for any other answer (it stays `http_<status>`)."""
    if status not in (403, 404):
        return None
    text = html.unescape(body[:4096].decode("utf-8", errors="replace"))
    if status == 403 and _BLOCK_PAGE.search(text):
        ref = _REFERENCE.search(text)
        where = f", reference #{ref.group(1)}" if ref else ""
        return BLOCKED, f"blocked by the host's firewall (a WAF block page{where}); the source needs another network"
    m = _NOT_PUBLISHED.search(text)
    if m:
        return NOT_PUBLISHED, f"the object is not published (object store {m.group(1)})"
    return None


def proxy_for(source: Source) -> str | None:
    """The source's proxy URL from its `proxy_secret` variable (None: call directly). The URL, its
    credentials and their Basic token are registered with the scrubber before anything can print them."""
    if not source.proxy_secret:
        return None
    url = get_secret(source.proxy_secret)
    if not url:
        return None
    parts = urlsplit(url)
    remember(parts.netloc)
    if parts.password:
        user = unquote(parts.username or "")
        for value in (parts.password, unquote(parts.password), f"{parts.username}:{parts.password}"):
            remember(value)
        remember(base64.b64encode(f"{user}:{unquote(parts.password)}".encode()).decode())
    return url


# Phrases of a connection error that may be reported (its text may name the proxy, or hold the URL and its key).
_SAFE_PHRASES = (
    "Unable to connect to proxy",
    "Tunnel connection failed",
    "407 Proxy Authentication Required",
    "Connection refused",
    "Connection reset",
    "Remote end closed connection",
    "timed out",
    "Name or service not known",
    "Temporary failure in name resolution",
)


_TUNNEL_407 = re.compile(r"Tunnel connection failed: 407\b")


def auth_for(source: Source) -> tuple[dict[str, str], dict[str, str]]:
    """(headers, query) carrying the source's key. Missing key: ScraperFailure('missing_secret')."""
    if source.auth is None or source.auth.kind == "service_account":
        return {}, {}
    key = get_secret(source.auth.secret)
    if not key:
        raise ScraperFailure("missing_secret", f"environment variable {source.auth.secret} is not set")
    name = source.auth.name or ("Authorization" if source.auth.kind == "header" else "apiKey")
    return ({name: key}, {}) if source.auth.kind == "header" else ({}, {name: key})


# ---------------------------------------------------------------------------------------------------------
# Hostile upstreams: every exception by its type, redirects, bounded bodies


def _chain(exc: BaseException, depth: int = 8) -> Iterator[BaseException]:
    """`exc` and what it wraps: urllib3 keeps the cause in `args` (ProtocolError("Connection aborted.",
    LineTooLong(...))) or `reason` (MaxRetryError), Python in __cause__/__context__."""
    seen: set[int] = set()
    todo = [exc]
    while todo and len(seen) < depth:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        inner = [a for a in getattr(e, "args", ()) if isinstance(a, BaseException)]
        reason = getattr(e, "reason", None)
        todo.extend([*inner, *([reason] if isinstance(reason, BaseException) else []), e.__cause__, e.__context__])
        todo = [t for t in todo if t is not None]


def _bad_response(e: BaseException) -> bool:
    """An answer http.client could not read (a header line over 64 KiB, over 100 headers, a garbage status
    line), as opposed to a connection that went away (RemoteDisconnected is an HTTPException too)."""
    return isinstance(e, http.client.HTTPException) and not isinstance(e, ConnectionError | http.client.IncompleteRead)


def classify_exception(exc: BaseException) -> tuple[str, bool]:
    """(error_type, transient) of an exception raised while fetching, decided by its type and the types it
    wraps, never by its text. Transient ones are retried (then redelivered); permanent ones are a `failed`
    row at once: the same upstream would answer the same, and a refetch may cost credits."""
    import requests.exceptions as rex
    import urllib3.exceptions as u3

    if isinstance(exc, rex.ProxyError):
        return "proxy_error", True
    if isinstance(exc, rex.SSLError | u3.SSLError):
        return "tls_error", True

    # urllib3's NewConnectionError (refused, unknown name) derives from its ConnectTimeoutError: not a timeout.
    def timed_out(e: BaseException) -> bool:
        return isinstance(e, rex.Timeout | u3.TimeoutError | TimeoutError) and not isinstance(e, u3.NewConnectionError)

    if timed_out(exc):
        return "timeout", True
    if isinstance(exc, rex.ContentDecodingError | u3.DecodeError):
        return "bad_encoding", False
    if isinstance(exc, rex.TooManyRedirects):
        return "redirect_loop", False
    if isinstance(exc, rex.InvalidHeader):
        return "invalid_header", False
    if isinstance(
        exc, rex.InvalidSchema | rex.MissingSchema | rex.InvalidURL | rex.URLRequired | u3.LocationValueError
    ):
        return "invalid_url", False
    if isinstance(exc, rex.ChunkedEncodingError):
        return "connection_error", True
    if isinstance(exc, rex.ConnectionError | u3.ProtocolError | u3.MaxRetryError | u3.NewConnectionError):
        wrapped = list(_chain(exc))
        if any(_bad_response(e) for e in wrapped):
            return "bad_response", False
        if any(timed_out(e) for e in wrapped):
            return "timeout", True
        return "connection_error", True
    if isinstance(exc, rex.RequestException | u3.HTTPError):
        return "request_error", False
    if _bad_response(exc):
        return "bad_response", False
    if isinstance(exc, UnicodeError):  # a host name IDNA cannot encode
        return "invalid_url", False
    if isinstance(exc, OSError):
        return "connection_error", True
    return "fetch_error", False


def describe_exception(exc: BaseException) -> str:
    """The exception's types (outer to inner) and the known phrases of its text, never the text itself."""
    names = []
    for e in _chain(exc):
        name = type(e).__name__
        if name not in names:
            names.append(name)
    text = str(exc).lower()
    found = [p for p in _SAFE_PHRASES if p.lower() in text]
    return " <- ".join(names) + (f" ({'; '.join(found)})" if found else "")


def _origin(parts: Any) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port made explicit (https://h and https://h:443 are one)."""
    port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def redirect_target(
    current: str, location: str, *, upstream_host: str, override: str | None, secret_names: Iterable[str]
) -> str:
    """The URL a redirect from `current` to `location` may be followed to, without any credential in it (the
    caller re-adds its own), or ScraperFailure('redirect_refused'). Allowed: the same scheme, host and port
    over HTTPS; with the override (a local replay server), the same override origin and upstream host path."""
    refused = "redirect_refused"
    try:
        nxt = urlsplit(urljoin(current, location.strip()))
        target, here = _origin(nxt), _origin(urlsplit(current))
    except ValueError:  # a port out of range or not a number, a bad IPv6 literal
        raise ScraperFailure(refused, "the redirect's Location is not a valid URL; not followed") from None
    if nxt.username is not None or nxt.password is not None:
        raise ScraperFailure(refused, "the redirect's Location carries credentials; not followed")
    if override:  # the local replay server: its own origin, and the path must stay under the upstream host
        ok = target == here and nxt.path.startswith(f"/{upstream_host}/")
        why = "another origin or upstream host than the request's"
    else:
        ok = target == here and target[0] == "https"
        why = "another scheme, host or port (only the same host over HTTPS is followed)"
    if not ok:
        shown = f"{target[0]}://{target[1]}" + (f":{target[2]}" if target[2] else "")
        raise ScraperFailure(refused, f"redirect to {scrub(shown)[:200]}: {why}; not followed")
    names = {n.lower() for n in secret_names}
    query = urlencode([(k, v) for k, v in parse_qsl(nxt.query, keep_blank_values=True) if k.lower() not in names])
    return urlunsplit((nxt.scheme, nxt.netloc, nxt.path or "/", query, ""))


def unroute(target: str, override: str | None) -> str:
    """The upstream URL of a routed target (what messages show): the inverse of `route`."""
    if not override or not target.startswith(override + "/"):
        return target
    return "https://" + target[len(override) + 1 :]


class _BodyTooLarge(Exception):
    pass


def read_body(chunks: Iterable[bytes], limit: int, *, truncate: bool = False) -> bytes:
    """At most `limit` bytes of a streamed body; over it: the prefix (`truncate`) or _BodyTooLarge."""
    got: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            if truncate:
                got.append(chunk[: len(chunk) - (size - limit)])
                break
            raise _BodyTooLarge
        got.append(chunk)
    return b"".join(got)


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: Any  # the response's case-insensitive headers
    body: bytes


class HttpClient:
    """One per process (see `client()`); thread-safe enough for a function instance."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep, pacer: Pacer | None = None) -> None:
        self._session: Any = None
        self._lock = threading.Lock()
        self._last_call: dict[str, float] = {}
        self._sleep = sleep
        self.pacer = pacer  # shared turns across instances (None: this process's throttle only)
        self.calls: int = 0

    def session(self) -> Any:
        if self._session is None:
            with self._lock:
                if self._session is None:
                    import requests
                    from requests.adapters import HTTPAdapter

                    s = requests.Session()
                    adapter = HTTPAdapter(pool_connections=8, pool_maxsize=8, max_retries=0)
                    s.mount("https://", adapter)
                    s.mount("http://", adapter)
                    self._session = s
        return self._session

    def _throttle(self, source: Source, scale: float) -> None:
        interval = source.min_interval_seconds * scale
        if interval <= 0:
            return
        with self._lock:
            last = self._last_call.get(source.name)
            now = time.monotonic()
            wait = 0.0 if last is None else max(0.0, last + interval - now)
            self._last_call[source.name] = now + wait
        if wait:
            self._sleep(wait)

    def _turn(self, source: Source, s: HttpSettings) -> None:
        """Wait for this call's turn: a slot shared by every instance (the pacer), else the local throttle."""
        interval = source.min_interval_seconds * s.backoff_scale
        if self.pacer is not None and self.pacer.wait_turn(
            source.name, interval, max_wait=s.max_retry_after * s.backoff_scale
        ):
            with self._lock:  # keep the local record too, for a later fallback to the local throttle
                self._last_call[source.name] = time.monotonic()
            return
        self._throttle(source, s.backoff_scale)

    def pause(self, seconds: float, settings: HttpSettings | None = None) -> None:
        """A scaled pause (page delays)."""
        s = settings or HttpSettings.from_env()
        if seconds * s.backoff_scale > 0:
            self._sleep(seconds * s.backoff_scale)

    def get(
        self,
        url: str,
        *,
        source: Source,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        settings: HttpSettings | None = None,
    ) -> HttpResponse:
        """GET `url` (+ `params`) with the source's headers and auth; retries transient failures.

        Returns 2xx answers (204: empty body). Raises ScraperFailure for other 4xx, a refused redirect, an
        oversize body or any permanent exception (classify_exception), TransientFailure once retries are
        exhausted. Every message is scrubbed of secrets and names exception types, never their text.
        """
        import requests
        from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
        from tenacity.stop import stop_base

        s = settings or HttpSettings.from_env()
        auth_headers, auth_query = auth_for(source)
        proxy = proxy_for(source)
        proxies = {"http": proxy, "https": proxy} if proxy else None
        hdrs = dict(HEADER_PROFILES.get(source.headers or "", DEFAULT_HEADERS))
        hdrs.update(headers or {})
        hdrs.update(auth_headers)
        query = dict(params or {})
        shown = url + (("&" if "?" in url else "?") + urlencode(query) if query else "")
        query.update(auth_query)
        target = route(url, s.override)
        upstream_host = urlsplit(url).netloc
        waits: list[float] = []
        pending = [0.0]
        session = self.session()
        timeout = (min(10.0, s.timeout), s.timeout)

        def send(where: str, query_now: Mapping[str, str] | None) -> _Answer:
            """One GET, its body read under the cap. Exceptions are left to `attempt`, which maps them."""
            resp = session.get(
                where,
                params=query_now or None,
                headers=hdrs,
                timeout=timeout,
                proxies=proxies,
                allow_redirects=False,
                stream=True,
            )
            try:
                ok = 200 <= resp.status_code < 300
                declared = resp.headers.get("Content-Length", "")
                if ok and declared.isascii() and declared.isdigit() and int(declared) > s.max_body_bytes:
                    raise _BodyTooLarge
                chunks = resp.iter_content(_CHUNK)
                body = read_body(chunks, s.max_body_bytes) if ok else read_body(chunks, ERROR_BODY_BYTES, truncate=True)
            finally:
                resp.close()
            return _Answer(resp.status_code, resp.headers, body)

        def attempt() -> _Answer:
            where, query_now, seen = target, query, {target}
            for _hop in range(MAX_REDIRECTS + 1):
                here = scrub(unroute(where, s.override)) if where != target else shown
                self._turn(source, s)
                self.calls += 1
                try:
                    answer = send(where, query_now)
                except _BodyTooLarge:
                    msg = f"GET {here}: the answer is over the {s.max_body_bytes:,}-byte cap; not read further"
                    raise ScraperFailure("body_too_large", _limit(msg), status=200) from None
                except requests.exceptions.ProxyError as exc:
                    msg = f"GET {here} failed at the source's proxy: {describe_exception(exc)}"
                    # the proxy refused the credentials (http.client's tunnel error names the status; a bare
                    # "407" would also match a proxy port such as 54073): retrying cannot help
                    if _TUNNEL_407.search(str(exc)):
                        raise ScraperFailure("proxy_error", _limit(msg), status=407) from None
                    raise _Retryable("proxy_error", msg) from None
                except Exception as exc:  # every other exception: one outcome by its type (classify_exception)
                    kind, transient = classify_exception(exc)
                    if kind == "timeout" and isinstance(exc, requests.Timeout):
                        msg = f"GET {here} timed out after {s.timeout:g}s ({describe_exception(exc)})"
                    else:
                        msg = f"GET {here} failed: {describe_exception(exc)}"
                    if transient:
                        raise _Retryable(kind, msg) from None
                    raise ScraperFailure(kind, _limit(msg)) from None
                code = answer.status
                location = answer.headers.get("Location")
                if code in REDIRECT_STATUSES and location:
                    nxt = redirect_target(
                        where,
                        location,
                        upstream_host=upstream_host,
                        override=s.override,
                        secret_names=[*auth_query, *auth_headers],
                    )
                    if nxt in seen:
                        raise ScraperFailure("redirect_loop", _limit(f"GET {shown}: the redirects loop"), status=code)
                    seen.add(nxt)
                    where, query_now = nxt, dict(auth_query)  # the key re-added by us, to the same host only
                    continue
                return check(answer, here)
            raise ScraperFailure("redirect_loop", _limit(f"GET {shown}: over {MAX_REDIRECTS} redirects"), status=code)

        def check(answer: _Answer, here: str) -> _Answer:
            code = answer.status
            if code == 429 or 500 <= code <= 599:
                retry_after = parse_retry_after(answer.headers.get("Retry-After"))
                if code == 429 and retry_after is not None and self.pacer is not None:
                    self.pacer.slow_down(source.name, retry_after * s.backoff_scale)  # for every instance
                raise _Retryable(
                    f"http_{code}",
                    f"GET {here} answered {code}: {_snippet(answer.body)}",
                    status=code,
                    retry_after=retry_after,
                )
            if code == 407 and proxy:
                msg = f"GET {here}: the source's proxy refused the credentials (407)"
                raise ScraperFailure("proxy_error", _limit(msg), status=code)
            if code >= 300:
                denial = classify_denial(code, answer.body)
                error_type, why = denial or (f"http_{code}", _snippet(answer.body))
                raise ScraperFailure(error_type, _limit(f"GET {here} answered {code}: {why}"), status=code)
            return answer

        class _RetryAfterTooLong(stop_base):
            def __call__(self, state: RetryCallState) -> bool:
                exc = state.outcome.exception() if state.outcome else None
                return bool(isinstance(exc, _Retryable) and exc.retry_after and exc.retry_after > s.max_retry_after)

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            backoff = min(s.backoff_base * 2 ** (state.attempt_number - 1), s.backoff_cap)
            chosen = exc.retry_after if isinstance(exc, _Retryable) and exc.retry_after is not None else backoff
            pending[0] = chosen  # recorded only if tenacity actually sleeps (it computes a wait before stopping)
            return chosen * s.backoff_scale

        def sleep(seconds: float) -> None:
            waits.append(pending[0])
            self._sleep(seconds)

        retrying = Retrying(
            stop=stop_after_attempt(s.attempts) | _RetryAfterTooLong(),
            wait=wait,
            retry=retry_if_exception_type(_Retryable),
            sleep=sleep,
            reraise=True,
        )
        try:
            resp = retrying(attempt)
        except _Retryable as exc:
            raise TransientFailure(
                exc.error_type,
                _limit(f"{exc.message} (after {len(waits) + 1} attempt(s))"),
                status=exc.status,
                retries=len(waits),
            ) from None
        except ScraperFailure as exc:
            exc.retries = len(waits)
            raise
        kept = {k: v for k, v in ((k.lower(), v) for k, v in resp.headers.items()) if k in KEPT_HEADERS}
        return HttpResponse(
            status=resp.status,
            body=b"" if resp.status == 204 else resp.body,
            headers=kept,
            url=scrub(shown),
            retries=len(waits),
            retry_waits=tuple(waits),
        )


def _snippet(body: bytes) -> str:
    return scrub(body[:200].decode("utf-8", errors="replace")).replace("\n", " ")


def _limit(message: str) -> str:
    return scrub(message)[:MAX_ERROR_MESSAGE]


_client: HttpClient | None = None
_client_lock = threading.Lock()


def client() -> HttpClient:
    """The process-wide HTTP client."""
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                _client = HttpClient()
    return _client


_bound: dict[tuple[str, str, RateLimitSettings], HttpClient] = {}


def client_for(rt: Runtime, settings: RateLimitSettings) -> HttpClient:
    """The process's HTTP client for runs that write to `rt`'s bucket: its pacer keeps each source's limit
    together with every other instance, through the slots in that bucket (one bucket in a deployed function;
    tests use several side by side). `shared_slots: false`: the process-wide client, throttled locally."""
    if not settings.shared_slots:
        return client()
    key = (rt.project, rt.bucket, settings)
    found = _bound.get(key)
    if found is None:
        with _client_lock:
            found = _bound.get(key)
            if found is None:
                from shared.adapters import gcs

                store = GcsSlotStore(lambda: gcs.bucket(rt), timeout=settings.store_timeout_seconds)
                pacer = Pacer(
                    store,
                    slowdown_cache_seconds=settings.slowdown_cache_seconds,
                    max_probes=settings.max_probes,
                    degraded_seconds=settings.degraded_seconds,
                )
                found = _bound[key] = HttpClient(pacer=pacer)
    return found


def reset() -> None:
    """Forget the process-wide clients (tests that change settings between runs)."""
    global _client
    with _client_lock:
        _client = None
        _bound.clear()
