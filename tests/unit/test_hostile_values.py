"""Pure-logic units of the hostile-upstream hardening (issue 17, second part): the mapping of every fetch
exception to one outcome by its type, the redirect rule, the body cap, the bounds on quota headers,
total_pages and cursors, the parser safety net, the log filter, the edge's scrubbed re-raise, and the
validation of every setting read (settings.yaml, the catalogue's auth, the HTTP environment variables)."""

from __future__ import annotations

import http.client
import logging
import shutil
from pathlib import Path

import pytest
import requests.exceptions as rex
import urllib3.exceptions as u3
import yaml

from shared import edge, log
from shared.config import CONFIG_DIR, ConfigError, load_config
from shared.scrapers import core
from shared.scrapers.base import CursorPaginated, PageNumberPaginated
from shared.scrapers.errors import ScraperFailure, TransientFailure
from shared.scrapers.http import (
    HttpSettings,
    _BodyTooLarge,
    classify_exception,
    describe_exception,
    read_body,
    redirect_target,
)
from shared.secrets import remember

SECRET = "hostile-unit-key-5c2e91"
remember(SECRET)
URL = f"https://api.the-odds-api.com/v4/sports?apiKey={SECRET}"


def _aborted(inner: BaseException) -> rex.ConnectionError:
    return rex.ConnectionError(u3.ProtocolError("Connection aborted.", inner))


MAPPING = [
    (rex.InvalidSchema(f"No connection adapters were found for 'ftp://h/?apiKey={SECRET}'"), "invalid_url", False),
    (rex.MissingSchema(URL), "invalid_url", False),
    (rex.InvalidURL(URL), "invalid_url", False),
    (u3.LocationParseError(URL), "invalid_url", False),
    (UnicodeError("label empty or too long"), "invalid_url", False),
    (rex.InvalidHeader(URL), "invalid_header", False),
    (rex.ContentDecodingError(u3.DecodeError("not a gzipped file")), "bad_encoding", False),
    (rex.TooManyRedirects(URL), "redirect_loop", False),
    (_aborted(http.client.LineTooLong("header line")), "bad_response", False),
    (_aborted(http.client.HTTPException("got more than 100 headers")), "bad_response", False),
    (_aborted(http.client.RemoteDisconnected("closed")), "connection_error", True),
    (rex.ConnectionError(u3.NewConnectionError(None, f"refused {URL}")), "connection_error", True),
    (_aborted(TimeoutError("timed out")), "timeout", True),
    (rex.ReadTimeout(URL), "timeout", True),
    (rex.ConnectTimeout(URL), "timeout", True),
    (rex.ChunkedEncodingError(URL), "connection_error", True),
    (rex.SSLError(URL), "tls_error", True),
    (rex.ProxyError(URL), "proxy_error", True),
    (rex.RequestException(URL), "request_error", False),
    (ConnectionResetError(URL), "connection_error", True),
    (ValueError(URL), "fetch_error", False),
    (RuntimeError(URL), "fetch_error", False),
]


@pytest.mark.parametrize(("exc", "error_type", "transient"), MAPPING, ids=[type(m[0]).__name__ for m in MAPPING])
def test_every_fetch_exception_maps_by_type_to_one_outcome(exc, error_type, transient):
    assert classify_exception(exc) == (error_type, transient)
    described = describe_exception(exc)
    assert SECRET not in described and type(exc).__name__ in described  # types, never the text


def test_redirect_rule_same_host_over_https_only():
    here = "https://api.example.com/v1/a?x=1"
    kw = {"upstream_host": "api.example.com", "override": None, "secret_names": ["apiKey"]}
    assert redirect_target(here, f"/v1/b?apiKey={SECRET}&y=2", **kw) == "https://api.example.com/v1/b?y=2"
    assert redirect_target(here, "https://api.example.com:443/c", **kw) == "https://api.example.com:443/c"
    for location in (
        "ftp://api.example.com/x",  # another scheme
        "http://api.example.com/x",  # a downgrade
        "https://evil.example.net/x",  # another host
        "https://api.example.com:8443/x",  # another port
        "https://api.example.com:99999/x",  # not a port
        "https://user:pw@api.example.com/x",  # credentials
    ):
        with pytest.raises(ScraperFailure) as info:
            redirect_target(here, location, **kw)
        assert info.value.error_type == "redirect_refused", location


def test_redirect_rule_under_the_override_keeps_to_its_origin_and_upstream_host():
    over = "http://127.0.0.1:9000"
    here = f"{over}/api.example.com/v1/a"
    kw = {"upstream_host": "api.example.com", "override": over, "secret_names": ["apiKey"]}
    assert redirect_target(here, "/api.example.com/v1/b", **kw) == f"{over}/api.example.com/v1/b"
    for location in (f"{over}/other.example.com/v1/b", "http://127.0.0.1:9001/api.example.com/v1/b"):
        with pytest.raises(ScraperFailure, match="redirect_refused"):
            redirect_target(here, location, **kw)


def test_body_cap():
    chunks = [b"a" * 10] * 5
    assert read_body(iter(chunks), 50) == b"a" * 50
    with pytest.raises(_BodyTooLarge):
        read_body(iter(chunks), 49)
    assert read_body(iter(chunks), 15, truncate=True) == b"a" * 15


def test_http_settings_from_the_environment_are_validated():
    assert HttpSettings.from_env({}).max_body_bytes == 64 * 1024 * 1024
    assert HttpSettings.from_env({"NBA_ORCH_HTTP_MAX_BODY_BYTES": "1000"}).max_body_bytes == 1000
    for name, value in (
        ("NBA_ORCH_HTTP_TIMEOUT", "nan"),
        ("NBA_ORCH_HTTP_TIMEOUT", "inf"),
        ("NBA_ORCH_HTTP_TIMEOUT", "three"),
        ("NBA_ORCH_HTTP_ATTEMPTS", "1e400"),
        ("NBA_ORCH_HTTP_BACKOFF_SCALE", "-1"),
        ("NBA_ORCH_HTTP_MAX_BODY_BYTES", "0"),
    ):
        with pytest.raises(ConfigError) as info:
            HttpSettings.from_env({name: value})
        assert info.value.key == name and repr(value) in str(info.value)


def test_quota_headers_ignore_overflow_and_garbage():
    headers = {"x-requests-remaining": "1e400", "x-requests-used": "nan", "x-requests-last": "-3"}
    assert core.quota(headers) == {}
    assert core.quota({"x-requests-remaining": "inf", "x-requests-used": "120", "x-requests-last": "1.0"}) == {
        "requests_used": 120,
        "requests_last": 1,
    }
    assert core.quota({"x-requests-remaining": "9" * 400}) == {}


def _pager() -> PageNumberPaginated:
    return PageNumberPaginated.__new__(PageNumberPaginated)


@pytest.mark.parametrize(
    "value", [float("inf"), float("nan"), 10**400, "1e400", 201], ids=["inf", "nan", "int400", "str1e400", "201"]
)
def test_total_pages_out_of_bounds_is_a_pagination_error(value):
    with pytest.raises(ScraperFailure) as info:
        _pager().total_pages({"_pagination": {"total_pages": value}})
    assert info.value.error_type == "pagination_error"


def test_total_pages_absent_or_not_a_number_is_one_page():
    for page in (
        {},
        {"_pagination": {}},
        {"_pagination": {"total_pages": "many"}},
        {"_pagination": {"total_pages": [2]}},
    ):
        assert _pager().total_pages(page) == 1
    assert _pager().total_pages({"_pagination": {"total_pages": 3}}) == 3


def test_cursor_bounds():
    from shared.scrapers.base import _sane_cursor

    assert all(_sane_cursor(c) for c in (277, "abc", 4.0))
    assert not any(_sane_cursor(c) for c in (float("inf"), float("nan"), True, [1], {"a": 1}, "", "x" * 300))
    assert CursorPaginated.max_pages == 200


def test_log_filter_scrubs_message_args_and_traceback():
    record = logging.LogRecord("werkzeug", logging.ERROR, __file__, 1, "GET %s failed", (URL,), None)
    try:
        raise rex.InvalidSchema(f"No connection adapters were found for {URL!r}")
    except rex.InvalidSchema:
        import sys

        record.exc_info = sys.exc_info()
    assert log.ScrubFilter().filter(record) is True
    assert SECRET not in record.getMessage() and record.args is None
    assert record.exc_info is None and "InvalidSchema" in record.exc_text and SECRET not in record.exc_text
    assert SECRET not in logging.Formatter().format(record)


def test_install_scrubbing_covers_the_framework_loggers_and_their_handlers():
    handler = logging.StreamHandler()
    logging.getLogger("gunicorn.error").addHandler(handler)
    try:
        f = log.install_scrubbing("scrapers")
        for name in ("", "functions_framework", "werkzeug", "gunicorn.error", "scrapers"):
            assert f in logging.getLogger(name).filters, name
        assert f in handler.filters
        record = logging.getLogger("some.library").makeRecord("some.library", 40, "f", 1, f"x {URL}", (), None)
        assert SECRET not in record.getMessage()  # the record factory: covered even without a filter
        assert log.install_scrubbing("scrapers") is f  # idempotent
    finally:
        logging.getLogger("gunicorn.error").removeHandler(handler)


def test_the_edge_reraises_a_scrubbed_error_of_the_same_type():
    for exc in (
        TransientFailure("http_500", f"GET {URL} answered 500"),
        rex.ConnectionError(f"refused {URL}"),
        KeyError(URL),
        OSError(5, f"I/O error {URL}"),
    ):
        new = edge.scrubbed(exc)
        assert type(new) is type(exc) and SECRET not in str(new) and "***" in str(new)
    transient = edge.scrubbed(TransientFailure("http_500", f"GET {URL}"))
    assert transient.error_type == "http_500" and SECRET not in transient.message


def test_the_edge_run_raises_from_none_with_no_key(monkeypatch):
    import base64
    import json

    def work(msg):
        raise rex.InvalidSchema(f"No connection adapters were found for {URL!r}")

    data = base64.b64encode(json.dumps({"x": 1}).encode()).decode()
    event = {"id": "1", "data": {"message": {"data": data, "messageId": "1", "publishTime": "2025-01-15T12:00:00Z"}}}

    class Event(dict):
        data = event["data"]

    with pytest.raises(rex.InvalidSchema) as info:
        edge.run(Event(event), "scrapers", work)
    assert SECRET not in str(info.value) and info.value.__suppress_context__ and info.value.__cause__ is None


@pytest.mark.parametrize(
    "exc", [TypeError("x"), KeyError("k"), ValueError("v"), OverflowError("o"), RecursionError("r"), IndexError()]
)
def test_parser_errors_are_the_permanent_parse_error_set(exc):
    assert isinstance(exc, core.PARSER_ERRORS)


def _settings_with(tmp_path: Path, **controller) -> Path:
    d = tmp_path / "cfg"
    shutil.copytree(CONFIG_DIR, d)
    data = yaml.safe_load((d / "settings.yaml").read_text())
    data["controller"].update(controller)
    (d / "settings.yaml").write_text(yaml.safe_dump(data))
    return d


@pytest.mark.parametrize("value", ["three", float("nan"), float("inf"), True, [3]])
def test_game_final_after_hours_must_be_a_finite_number(tmp_path, value):
    with pytest.raises(ConfigError) as info:
        load_config(_settings_with(tmp_path, game_final_after_hours=value))
    assert info.value.key == "controller.game_final_after_hours" and "finite number" in str(info.value)


def test_catalogue_auth_is_validated(tmp_path):
    d = tmp_path / "cfg"
    shutil.copytree(CONFIG_DIR, d)
    data = yaml.safe_load((d / "scrapers.yaml").read_text())
    data["sources"]["bettingpros"]["auth"]["name"] = "X-Api-Key\r\nEvil: 1"
    (d / "scrapers.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as info:
        load_config(d)
    assert info.value.key == "sources.bettingpros.auth.name"
    data["sources"]["bettingpros"]["auth"] = {"kind": "header", "secret": "K", "nmae": "X"}
    (d / "scrapers.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match="unknown key"):
        load_config(d)
