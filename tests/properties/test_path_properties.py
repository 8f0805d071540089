"""Property-based tests of GCS path building: whatever the parameters, a path never leaves its prefix."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.config import load_config
from shared.paths.template import derived_values, fill_path
from shared.scrapers.errors import InvalidRequest

CFG = load_config()
TEMPLATES = sorted(
    {s.gcs_path for s in CFG.scrapers.values()} | {s.gcs_data_path for s in CFG.scrapers.values() if s.gcs_data_path}
)
AS_OF = datetime(2025, 1, 16, 3, 0, tzinfo=UTC)
nasty = st.one_of(
    st.text(min_size=0, max_size=30),
    st.sampled_from(
        [
            "..",
            "../..",
            "a/b",
            "/etc",
            "x\x00y",
            "a\\b",
            "%2e%2e",
            "\n",
            ".",
            " ",
            "ok-value",
            "2025-13-45",
            "2025-01-15",
        ]
    ),
)


def static_prefix(template: str) -> str:
    return template.split("{", 1)[0]


@given(
    st.sampled_from(TEMPLATES),
    st.dictionaries(
        st.sampled_from(
            [
                "date",
                "season",
                "event_id",
                "teams",
                "game_id",
                "game_date",
                "teamAbbr",
                "market",
                "filename",
                "team_abbr",
            ]
        ),
        nasty,
    ),
)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_path_never_escapes_its_prefix(template, params):
    try:
        path = fill_path(template, derived_values(params, AS_OF))
    except InvalidRequest as exc:
        assert exc.error_type in ("unsafe_parameter", "missing_parameter")
        return
    except ValueError as exc:  # a well-shaped but impossible date ("2025-13-45") is refused, never used
        assert "bad date" in str(exc)
        return
    assert path.startswith(static_prefix(template))
    segments = path.split("/")
    assert len(segments) == template.count("/") + 1  # same shape as the template
    assert all(seg not in ("", ".", "..") for seg in segments)
    assert not any(ord(c) < 32 or c == "\\" for c in path)


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_catalogue_template_fills_with_well_formed_values(template):
    params = {
        "date": "2025-01-15",
        "season": "2024-25",
        "event_id": "abc123",
        "teams": "NYKPHI",
        "game_id": "0022400561",
        "game_date": "2025-01-15",
        "teamAbbr": "PHO",
        "team_abbr": "PHX",
        "market": "points",
        "filename": "pbp",
        "game_code": "20250115/NYKPHI",
        "hour": "5",
        "period": "PM",
    }
    path = fill_path(template, derived_values(params, AS_OF))
    assert path.startswith(static_prefix(template)) and "{" not in path
