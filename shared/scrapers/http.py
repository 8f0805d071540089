"""The HTTP layer every scraper uses: one `requests` session per process, retries, auth and routing.

Why each part:
- One session per process (`client()`): connection reuse across scrapers and warm invocations; `requests`
  is imported on first use, not when the function module loads (cold start).
- Retries with tenacity on 429, 5xx, timeouts and connection errors, exponential backoff
  min(base * 2^(n-1), cap), honouring `Retry-After` (a Retry-After longer than the allowed wait stops the
  retries at once: Pub/Sub redelivery is the better, cheaper wait). No retry on other 4xx: they are
  permanent. After the last attempt a `TransientFailure` is raised; a 4xx raises `ScraperFailure`.
- Per-source headers (NBA.com wants browser-like headers), auth (header or query parameter, key from the
  environment, registered for scrubbing) and a per-source minimum interval between calls.
- Denials told apart (`classify_denial`): a WAF block page (Akamai's "Access Denied", Cloudflare's) is
  `blocked`, an object store's AccessDenied/NoSuchKey XML (cdn.nba.com before a file exists) is
  `not_published`; any other 4xx stays `http_<code>`. What each means for the run is decided in
  `shared.scrapers.core.fetch_failure`.
- A per-source proxy (`proxy_for`): the URL is a secret named by the source's `proxy_secret`; it and its
  credentials are registered with the scrubber, and a proxied connection error reports only known phrases
  of the exception, never its text (which names the proxy).
- `NBA_ORCH_UPSTREAM_OVERRIDE=http://127.0.0.1:PORT` routes every request to
  `<override>/<original-host>/<original-path>?<query>`, so one local server replays every source.

Settings (read at each call so tests can change them): NBA_ORCH_HTTP_TIMEOUT (s, default 30),
NBA_ORCH_HTTP_ATTEMPTS (default 3), NBA_ORCH_HTTP_BACKOFF_SCALE (multiplies every wait: backoff,
Retry-After, min interval, page delay; default 1), NBA_ORCH_HTTP_MAX_RETRY_AFTER (s, default 60).
"""

from __future__ import annotations

import base64
import html
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

from shared.config import Source
from shared.scrapers.errors import BLOCKED, MAX_ERROR_MESSAGE, NOT_PUBLISHED, ScraperFailure, TransientFailure
from shared.secrets import get_secret, remember, scrub

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


@dataclass(frozen=True)
class HttpSettings:
    timeout: float = 30.0
    attempts: int = 3
    backoff_scale: float = 1.0
    backoff_base: float = 4.0
    backoff_cap: float = 15.0
    max_retry_after: float = 60.0
    override: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> HttpSettings:
        e = os.environ if env is None else env
        return cls(
            timeout=float(e.get("NBA_ORCH_HTTP_TIMEOUT", 30)),
            attempts=max(1, int(e.get("NBA_ORCH_HTTP_ATTEMPTS", 3))),
            backoff_scale=max(0.0, float(e.get("NBA_ORCH_HTTP_BACKOFF_SCALE", 1))),
            max_retry_after=float(e.get("NBA_ORCH_HTTP_MAX_RETRY_AFTER", 60)),
            override=(e.get("NBA_ORCH_UPSTREAM_OVERRIDE") or "").rstrip("/") or None,
        )


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
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
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


# Phrases of a connection error that may be reported when a proxy is in use (its text names the proxy).
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


def _proxied_reason(exc: BaseException) -> str:
    text = str(exc)
    found = [p for p in _SAFE_PHRASES if p.lower() in text.lower()]
    return f"{type(exc).__name__}" + (f" ({'; '.join(found)})" if found else "")


def auth_for(source: Source) -> tuple[dict[str, str], dict[str, str]]:
    """(headers, query) carrying the source's key. Missing key: ScraperFailure('missing_secret')."""
    if source.auth is None or source.auth.kind == "service_account":
        return {}, {}
    key = get_secret(source.auth.secret)
    if not key:
        raise ScraperFailure("missing_secret", f"environment variable {source.auth.secret} is not set")
    name = source.auth.name or ("Authorization" if source.auth.kind == "header" else "apiKey")
    return ({name: key}, {}) if source.auth.kind == "header" else ({}, {name: key})


class HttpClient:
    """One per process (see `client()`); thread-safe enough for a function instance."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep) -> None:
        self._session: Any = None
        self._lock = threading.Lock()
        self._last_call: dict[str, float] = {}
        self._sleep = sleep
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

        Returns 2xx answers (204: empty body). Raises ScraperFailure for other 4xx and TransientFailure
        once retries are exhausted. Every message is scrubbed of secrets.
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
        waits: list[float] = []
        pending = [0.0]
        session = self.session()
        timeout = (min(10.0, s.timeout), s.timeout)

        def attempt() -> Any:
            self._throttle(source, s.backoff_scale)
            self.calls += 1
            try:
                resp = session.get(target, params=query or None, headers=hdrs, timeout=timeout, proxies=proxies)
            except requests.exceptions.ProxyError as exc:
                msg = f"GET {shown} failed at the source's proxy: {_proxied_reason(exc)}"
                if "407" in str(exc):  # the proxy refused the credentials: retrying cannot help
                    raise ScraperFailure("proxy_error", _limit(msg), status=407) from None
                raise _Retryable("proxy_error", msg) from None
            except requests.Timeout as exc:
                msg = f"GET {shown} timed out after {s.timeout:g}s ({type(exc).__name__})"
                raise _Retryable("timeout", msg) from None
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                kind = "timeout" if "timed out" in str(exc).lower() else "connection_error"
                detail = _proxied_reason(exc) if proxy else f"{type(exc).__name__}: {scrub(str(exc))[:300]}"
                raise _Retryable(kind, f"GET {shown} failed: {detail}") from None
            code = resp.status_code
            if code == 429 or 500 <= code <= 599:
                raise _Retryable(
                    f"http_{code}",
                    f"GET {shown} answered {code}: {_snippet(resp.content)}",
                    status=code,
                    retry_after=parse_retry_after(resp.headers.get("Retry-After")),
                )
            if code == 407 and proxy:
                msg = f"GET {shown}: the source's proxy refused the credentials (407)"
                raise ScraperFailure("proxy_error", _limit(msg), status=code)
            if code >= 300:
                denial = classify_denial(code, resp.content)
                error_type, why = denial or (f"http_{code}", _snippet(resp.content))
                raise ScraperFailure(error_type, _limit(f"GET {shown} answered {code}: {why}"), status=code)
            return resp

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
            status=resp.status_code,
            body=b"" if resp.status_code == 204 else resp.content,
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


def reset() -> None:
    """Forget the process-wide client (tests that change settings between runs)."""
    global _client
    with _client_lock:
        _client = None
