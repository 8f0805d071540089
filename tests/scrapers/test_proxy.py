"""The per-source proxy (`proxy_secret: NBA_STATS_PROXY_URL` on nba_stats) against a real forward proxy
(tests/forward_proxy.py) started here, with the real scraper pipeline, the replay server and the emulators.

The upstream override names `upstream.invalid:<replay port>`, a host that never resolves (RFC 6761) except
inside the proxy, which maps it to the replay server: a request can reach the upstream ONLY through the
proxy (the override is still honoured: it is the proxy's target). The proxy URL carries a password; neither
it, nor the URL, nor its Basic token appears in any log line, row, run record, claim, completion,
object name or metadata, or exception text, including when the proxy refuses the credentials or is down.
"""

from __future__ import annotations

import base64
import contextlib
import json

import pytest

from shared import run_ledger
from shared.adapters import gcs
from shared.scrapers import http, service
from shared.scrapers.errors import TransientFailure
from tests.forward_proxy import VIA, ForwardProxy
from tests.scrapers.conftest import completions, request, rows

pytestmark = pytest.mark.emulators
USER, PASSWORD = "scraper", "pr0xy-pw-4e7b1c9d"
STATS = ("stats.nba.com", "/stats/scheduleleaguev2int")


@pytest.fixture
def proxied(replay, monkeypatch):
    """The proxy in front of the replay server, the override on the unresolvable name, the secret set."""
    port = int(replay.url.rsplit(":", 1)[1])
    hosts = {f"upstream.invalid:{port}": ("127.0.0.1", port)}
    with contextlib.closing(ForwardProxy(USER, PASSWORD, hosts=hosts).start()) as proxy:
        monkeypatch.setenv("NBA_ORCH_UPSTREAM_OVERRIDE", f"http://upstream.invalid:{port}")
        monkeypatch.setenv("NBA_STATS_PROXY_URL", proxy.url())
        http.reset()
        yield proxy
        http.reset()


def secrets_of(proxy: ForwardProxy) -> list[str]:
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    return [PASSWORD, token, proxy.url(), f"{USER}:{PASSWORD}@"]


def every_output(rt, capsys, *extra: object) -> str:
    """Everything the runs left: logs, rows, run records, completions, follow-ups, every object's name and
    metadata, the bookkeeping objects' bodies (claims, ledger), plus `extra` (outcomes, exception texts)."""
    parts = [capsys.readouterr().out, json.dumps(rows(rt), default=str)]
    parts.append(json.dumps(completions(rt, expect=10, timeout=1.0), default=str))
    for name, _, meta in gcs.iter_objects(rt, ""):
        parts.append(name + json.dumps(meta))
        if name.startswith("_nba-orch/"):
            parts.append((gcs.read_object(rt, name) or b"").decode("utf-8", "replace"))
    parts.append(
        json.dumps([run_ledger.parse(n, m) for n, _, m in gcs.iter_objects(rt, run_ledger.RUNS_PREFIX)], default=str)
    )
    parts.extend(str(e) for e in extra)
    return "\n".join(parts)


def schedule_request(scope: str):
    return request("nbac_schedule_api", {"season": "2024-25"}, scope=scope, workflow="morning_operations")


def test_the_upstream_sees_the_request_only_through_the_proxy(srt, replay, proxied, capsys):
    outcome = service.execute(srt, schedule_request("proxied"))
    assert (outcome.status, outcome.record_count) == ("success", 1400)
    (seen,) = [s for s in replay.seen if s.path == STATS[1]]
    assert seen.headers["via"] == VIA  # it came through the proxy...
    assert "proxy-authorization" not in seen.headers  # ...which kept its credentials to itself
    assert seen.headers["x-nba-stats-origin"] == "stats"  # the source's headers went through unchanged
    assert len(proxied.forwarded) == len(replay.seen) == 1 and proxied.refused == 0
    assert proxied.forwarded[0].startswith("http://upstream.invalid:")

    # A source without a proxy (cdn.nba.com) cannot reach the same override directly: the name only resolves
    # inside the proxy, so the success above could not have been a direct call.
    direct = service.execute(srt, request("nbac_schedule_cdn", {}, scope="direct"), final_attempt=True)
    assert (direct.status, direct.error_type) == ("failed", "connection_error")
    assert len(proxied.forwarded) == 1

    text = every_output(srt, capsys, outcome.to_json(), direct.to_json())
    assert all(secret not in text for secret in secrets_of(proxied))


def test_credentials_refused_by_the_proxy_fail_without_showing_them(srt, replay, proxied, monkeypatch, capsys):
    wrong = "wr0ng-pw-77aa10ee"
    monkeypatch.setenv("NBA_STATS_PROXY_URL", proxied.url(password=wrong))
    outcome = service.execute(srt, schedule_request("refused"))
    assert (outcome.status, outcome.error_type) == ("failed", "proxy_error")
    assert "refused the credentials (407)" in outcome.error_message
    assert proxied.refused == 1 and replay.seen == []  # never retried, never reached the upstream
    text = every_output(srt, capsys, outcome.to_json())
    assert wrong not in text and proxied.url(password=wrong) not in text and f"127.0.0.1:{proxied.port}" not in text


def test_a_proxy_that_is_down_is_transient_and_its_address_stays_out_of_messages(srt, replay, proxied, capsys):
    port = proxied.port
    proxied.close()  # nothing listens on the proxy's port any more
    req = schedule_request("down")
    with pytest.raises(TransientFailure) as info:  # not the last delivery: Pub/Sub redelivers
        service.execute(srt, req)
    assert info.value.error_type == "proxy_error" and "Unable to connect to proxy" in info.value.message
    outcome = service.execute(srt, req, final_attempt=True)
    assert (outcome.status, outcome.error_type) == ("failed", "proxy_error")
    assert outcome.follow_ups and outcome.follow_ups[0].scraper_name == "nbac_schedule_cdn"  # after its retries
    # requests' own exception text names the proxy's host and port: only known phrases of it are reported.
    text = every_output(srt, capsys, outcome.to_json(), info.value, repr(info.value))
    assert all(secret not in text for secret in [PASSWORD, f"{USER}:{PASSWORD}", f"port={port}", f"127.0.0.1:{port}"])
    assert replay.seen == []
