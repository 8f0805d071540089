"""The `Scraper` base class and its fetch strategies: adding a scraper is one small class.

A scraper is built from its catalogue entry (`ScraperSpec`: url template, gcs_path template, parameters)
and its source (headers, auth, pacing). The framework does everything else: validation, claiming, HTTP
with retries, the GCS write, the log row, the completion and the follow-ups. A subclass chooses a fetch
strategy by its base class and implements `parse` (pure: bytes in, record count + summary out):

    class BdlGames(CursorPaginated):
        def parse(self, fetched, ctx):
            out = balldontlie.parse_games(self.pages(fetched))
            return Parsed(len(out["records"]), out["summary"], out["records"])

Strategies: `Scraper` (one GET), `CursorPaginated` (meta.next_cursor + cursor=), `PageNumberPaginated`
(page=1..total_pages), `BinaryDocument` (a PDF stored as is; with `gcs_data_path` in the catalogue the
parsed JSON is written beside it by `extra_outputs`), `HtmlPage` (an HTML page kept byte for byte inside a
JSON envelope, because the catalogue's paths of HTML sources end in .json).

Hooks, all optional: `normalize_params` (canonical parameter values), `query` (extra query parameters),
`no_data_statuses` (HTTP statuses that mean "nothing published yet": always `no_data`, even with
`treat_no_data_as_success`, which is about answers that say "nothing"; a block page or an object store's
"not published" answer of that status is classified by the HTTP layer instead), `path_values` (path placeholders
taken from the answer), `follow_ups` (requests released by a success), `extra_outputs` (secondary files).
Attribute `replaces_outputs`: the catalogue path names the latest state (no {timestamp}), so a later
request replaces the file instead of failing with `path_conflict`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from shared.config import ScraperSpec, Source
from shared.contracts import ScraperRequest, inherit_context
from shared.limits import clip
from shared.parsers.errors import ParseError
from shared.paths.template import derived_values, fill_path, fill_url
from shared.scrapers.errors import NOT_PUBLISHED, ScraperFailure

# Each kept upstream header value (object metadata) is clipped to this many bytes.
HEADER_VALUE_BYTES = 512


@dataclass(frozen=True)
class Context:
    """Everything a scraper's pure methods may depend on: the request, validated params, logical time."""

    request: ScraperRequest
    spec: ScraperSpec
    source: Source
    params: dict[str, str]
    as_of: datetime
    execution_id: str
    # The newest earlier state object the scraper asked for (`Scraper.prior_candidates`): (name, bytes).
    # Read by the service before `parse`, so parse stays pure; None when none exists (or none was asked for).
    prior: tuple[str, bytes] | None = None

    def values(self) -> dict[str, str]:
        """Parameters plus the built-in placeholders (see shared.paths.template)."""
        return derived_values(self.params, self.as_of)


@dataclass(frozen=True)
class Fetched:
    """An upstream answer as it will be stored: `body` is the document (None: no content, e.g. 204)."""

    body: bytes | None
    status: int = 200
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    url: str = ""
    pages: int = 1
    retries: int = 0
    retry_waits: tuple[float, ...] = ()

    def metadata(self) -> dict[str, str]:
        """What GCS object metadata keeps so the same Fetched can be rebuilt from the stored file."""
        meta = {"http_status": str(self.status), "pages": str(self.pages), "retries": str(self.retries)}
        if self.retry_waits:
            meta["retry_waits"] = ",".join(f"{w:g}" for w in self.retry_waits)
        # Upstream-controlled values (ETag, Last-Modified...): a prefix is kept, so a hostile header cannot push
        # the object's metadata over Cloud Storage's 8 KiB.
        meta.update({f"h_{k}": clip(v, HEADER_VALUE_BYTES) for k, v in self.headers.items() if k != "content-type"})
        return meta

    @classmethod
    def from_stored(cls, body: bytes, content_type: str, metadata: dict[str, str]) -> Fetched:
        """Rebuild the answer from a stored output (resuming after a crash: no refetch)."""
        waits = metadata.get("retry_waits")
        return cls(
            body=body,
            status=int(metadata.get("http_status", 200)),
            content_type=content_type,
            headers={k[2:]: v for k, v in metadata.items() if k.startswith("h_")},
            url=metadata.get("url", ""),
            pages=int(metadata.get("pages", 1)),
            retries=int(metadata.get("retries", 0)),
            retry_waits=tuple(float(w) for w in waits.split(",")) if waits else (),
        )


@dataclass(frozen=True)
class Parsed:
    """What a scraper's parser says about an answer: how many records, a summary, and the parsed view."""

    record_count: int
    summary: dict[str, Any]
    data: Any = None


@dataclass(frozen=True)
class Output:
    """One object to write: `role` is "raw" (the upstream document) or "data" (a parsed sidecar)."""

    name: str
    data: bytes
    content_type: str
    role: str = "raw"


def load_json(fetched: Fetched, source: str) -> Any:
    """The answer as JSON, or ParseError naming what is wrong (empty, truncated, not JSON)."""
    if not fetched.body:
        raise ParseError("empty body, expected JSON", source=source)
    try:
        return json.loads(fetched.body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ParseError(f"invalid JSON (truncated or not JSON?): {exc}", source=source) from None


def combine_pages(pages: list[bytes]) -> bytes:
    """One document keeping every page byte for byte: {"page_count": n, "pages": [page1, page2, ...]}."""
    return b'{"page_count":%d,"pages":[' % len(pages) + b",".join(p.strip() for p in pages) + b"]}"


class Scraper:
    """One upstream endpoint. Default strategy: a single GET of the catalogue URL."""

    content_type: ClassVar[str] = "application/json"
    # HTTP statuses meaning "nothing there (yet)": recorded as no_data instead of failed.
    no_data_statuses: ClassVar[tuple[int, ...]] = ()
    # True: an object store's not-published answer (403/404 with its XML) is handed to this scraper's own
    # `fetch` like a plain no-data status, because it knows when the object is due (the injury report).
    judges_not_published: ClassVar[bool] = False
    # True when the output path has no {timestamp} (e.g. basketball-ref/season-rosters/{season}/{teamAbbr}.json):
    # each run refreshes the same file, so a file written by an earlier request is replaced, not a conflict.
    replaces_outputs: ClassVar[bool] = False

    def __init__(self, spec: ScraperSpec, source: Source) -> None:
        self.spec = spec
        self.source = source

    @property
    def name(self) -> str:
        return self.spec.name

    # ---- request side (pure) ------------------------------------------------------------------------
    def normalize_params(self, params: dict[str, str], as_of: datetime) -> dict[str, str]:
        """Canonical parameter values (e.g. season "2024" -> "2024-25"); raise InvalidRequest if wrong."""
        return params

    def url(self, ctx: Context) -> str:
        return fill_url(self.spec.url, ctx.values())

    def query(self, ctx: Context) -> dict[str, str]:
        """Query parameters added to the catalogue URL (not secrets: auth is added by the HTTP layer)."""
        return {}

    # ---- fetch (I/O through the given client) -----------------------------------------------------------
    def get(self, http: Any, url: str, ctx: Context, params: dict[str, str] | None = None) -> Any:
        return http.get(url, source=self.source, params=params)

    def fetch(self, http: Any, ctx: Context) -> Fetched:
        url = self.url(ctx)
        try:
            resp = self.get(http, url, ctx, self.query(ctx) or None)
        except ScraperFailure as exc:
            # Only a plain status: a block page (`blocked`) is never "nothing there", and an unpublished
            # object (`not_published`) is judged by the request's workflow (core.fetch_failure).
            plain = exc.error_type.startswith("http_")
            if exc.status in self.no_data_statuses and (
                plain or (exc.error_type == NOT_PUBLISHED and self.judges_not_published)
            ):
                return Fetched(body=None, status=exc.status or 0, url="", retries=exc.retries)
            raise
        return Fetched(
            body=resp.body if resp.status != 204 else None,
            status=resp.status,
            content_type=self.content_type,
            headers=resp.headers,
            url=resp.url,
            retries=resp.retries,
            retry_waits=resp.retry_waits,
        )

    # ---- answer side (pure) ----------------------------------------------------------------------------
    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        raise NotImplementedError(f"{type(self).__name__}.parse")

    def path_values(self, parsed: Parsed, ctx: Context) -> dict[str, str]:
        """Path placeholders taken from the answer (e.g. {teams} of an odds event)."""
        return {}

    def follow_ups(self, parsed: Parsed, ctx: Context) -> list[ScraperRequest]:
        """Requests this successful run releases (deterministic ids, scoped by this request)."""
        return []

    def extra_outputs(self, fetched: Fetched, parsed: Parsed, ctx: Context, values: dict[str, str]) -> list[Output]:
        """Secondary files; by default the parsed view at the catalogue's `gcs_data_path`, when it has one."""
        if not self.spec.gcs_data_path:
            return []
        doc = {"records": parsed.data, "summary": parsed.summary}
        data = json.dumps(doc, separators=(",", ":"), default=str).encode()
        return [Output(fill_path(self.spec.gcs_data_path, values), data, "application/json", role="data")]

    def prior_candidates(self, ctx: Context) -> list[str]:
        """Object names of earlier state this answer is compared with, newest first; the first that exists is
        handed to `parse` as `ctx.prior` (the injury report's previous statuses)."""
        return []

    def state_outputs(self, parsed: Parsed, ctx: Context) -> list[Output]:
        """Internal state objects (role "state", under `_nba-orch/`), written last-writer-wins: the same answer
        always gives the same bytes, so a second request for the same report rewrites the same content."""
        return []

    def follow_up(self, ctx: Context, scraper_name: str, params: dict[str, Any]) -> ScraperRequest:
        """A follow-up request: id scoped by this request, workflow/decision/context/logical time carried."""
        req = ctx.request
        return ScraperRequest.create(
            scraper_name,
            params,
            scope=req.request_id,
            workflow=req.workflow,
            source="FOLLOW_UP",
            triggered_by=f"follow_up:{req.scraper_name}",
            decision_id=req.decision_id,
            as_of=ctx.as_of,
            context=inherit_context(req.context, parent_request_id=req.request_id, parent_scraper=req.scraper_name),
        )


def _sane_cursor(cursor: Any) -> bool:
    """A cursor that can go into a query: an int, a finite number or a short string (not `1e400`, a list...)."""
    if isinstance(cursor, bool):
        return False
    if isinstance(cursor, float):
        return math.isfinite(cursor)
    return isinstance(cursor, int | str) and 0 < len(str(cursor)) <= 256


class CursorPaginated(Scraper):
    """balldontlie-style pagination: follow `meta.next_cursor` with `cursor=`; pages combined losslessly."""

    cursor_param: ClassVar[str] = "cursor"
    max_pages: ClassVar[int] = 200

    def next_cursor(self, page: Any, current: Any) -> Any:
        """The cursor of the page after `page` (fetched with `current`), None at the end."""
        meta = page.get("meta") if isinstance(page, dict) else None
        return meta.get("next_cursor") if isinstance(meta, dict) else None

    def fetch(self, http: Any, ctx: Context) -> Fetched:
        url, base_query = self.url(ctx), self.query(ctx)
        bodies: list[bytes] = []
        retries, waits, headers = 0, [], {}
        cursor: Any = None
        seen: set[str] = set()
        shown = ""
        while True:
            q = dict(base_query)
            if cursor is not None:
                q[self.cursor_param] = str(cursor)
            resp = self.get(http, url, ctx, q or None)
            bodies.append(resp.body)
            retries += resp.retries
            waits.extend(resp.retry_waits)
            headers = resp.headers
            shown = shown or resp.url
            try:
                page = json.loads(resp.body)
            except (ValueError, RecursionError):
                break  # a broken page ends the walk; parsing the combined document reports it
            try:
                cursor = self.next_cursor(page, cursor)
            except (TypeError, ValueError, OverflowError, RecursionError) as exc:
                raise ScraperFailure("pagination_error", f"unreadable pagination ({type(exc).__name__})") from None
            if cursor is None:
                break
            if not _sane_cursor(cursor):
                raise ScraperFailure("pagination_error", f"cursor {str(cursor)[:80]!r} is not a usable cursor")
            if str(cursor) in seen or len(bodies) >= self.max_pages:
                raise ScraperFailure("pagination_error", f"cursor {cursor!r} repeats or over {self.max_pages} pages")
            seen.add(str(cursor))
            http.pause(self.source.page_delay_seconds)
        return Fetched(
            body=combine_pages(bodies),
            content_type=self.content_type,
            headers=headers,
            url=shown,
            pages=len(bodies),
            retries=retries,
            retry_waits=tuple(waits),
        )

    @staticmethod
    def pages(fetched: Fetched) -> list[Any]:
        """The pages of a combined document, decoded (ParseError if the document is broken)."""
        doc = load_json(fetched, "pages")
        if not isinstance(doc, dict) or not isinstance(doc.get("pages"), list):
            raise ParseError("combined document has no 'pages' list", source="pages")
        return doc["pages"]


class PageNumberPaginated(CursorPaginated):
    """page=1..total_pages (BettingPros `_pagination.total_pages`); same combined document."""

    cursor_param: ClassVar[str] = "page"
    first_page: ClassVar[int] = 1

    def total_pages(self, page: Any) -> int:
        """The answer's `_pagination.total_pages` (1 when absent or not a number); one that is not finite or
        over `max_pages` (`1e400`) is a `pagination_error` before any further page is fetched (credits)."""
        pag = page.get("_pagination") if isinstance(page, dict) else None
        value = pag.get("total_pages", 1) if isinstance(pag, dict) else 1
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return 1
        try:
            number = float(value)
        except OverflowError:  # an integer of 400 digits
            number = math.inf
        except ValueError:
            return 1
        if not math.isfinite(number) or number > self.max_pages:
            raise ScraperFailure("pagination_error", f"total_pages {str(value)[:40]} is over {self.max_pages} pages")
        return max(1, int(number))

    def next_cursor(self, page: Any, current: Any) -> Any:
        number = self.first_page if current is None else int(current)
        return number + 1 if number < self.total_pages(page) else None


class BinaryDocument(Scraper):
    """A binary answer (PDF) stored byte for byte; the parsed JSON goes to `gcs_data_path` beside it."""

    content_type: ClassVar[str] = "application/pdf"


HTML_ENVELOPE_FORMAT = "nba-orch/html-page/1"


class HtmlPage(Scraper):
    """An HTML page (www.nba.com, www.espn.com, basketball-reference.com) kept losslessly at a .json path.

    Why an envelope: the catalogue's paths of these sources end in .json (what the system we replace
    stored), and a .json object must hold JSON. The envelope keeps every byte of the page (UTF-8 text as
    is, anything else base64) with the URL and the answer's content type, and `page()` gives the bytes
    back, so parsing a stored file (resume after a crash) is the same as parsing the live answer.
    """

    content_type: ClassVar[str] = "application/json"

    def fetch(self, http: Any, ctx: Context) -> Fetched:
        fetched = super().fetch(http, ctx)
        if fetched.body is None:
            return fetched
        return Fetched(
            body=html_envelope(fetched.body, url=fetched.url, content_type=fetched.headers.get("content-type")),
            status=fetched.status,
            content_type=self.content_type,
            headers=fetched.headers,
            url=fetched.url,
            retries=fetched.retries,
            retry_waits=fetched.retry_waits,
        )

    @staticmethod
    def page(fetched: Fetched, source: str = "html page") -> bytes:
        """The page bytes of a stored envelope (ParseError if the envelope is broken)."""
        doc = load_json(fetched, source)
        ok = isinstance(doc, dict) and doc.get("format") == HTML_ENVELOPE_FORMAT and isinstance(doc.get("body"), str)
        if not ok:
            raise ParseError(f"not an {HTML_ENVELOPE_FORMAT} envelope", source=source)
        if doc.get("encoding") == "base64":
            import base64

            return base64.b64decode(doc["body"])
        return doc["body"].encode("utf-8")


def html_envelope(body: bytes, *, url: str = "", content_type: str | None = None) -> bytes:
    """`body` inside the JSON envelope of `HtmlPage` (UTF-8 text kept as text, other bytes as base64)."""
    try:
        text, encoding = body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        import base64

        text, encoding = base64.b64encode(body).decode("ascii"), "base64"
    doc = {
        "format": HTML_ENVELOPE_FORMAT,
        "url": url,
        "content_type": content_type or "text/html",
        "encoding": encoding,
        "byte_length": len(body),
        "body": text,
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
