"""shared.secrets: a secret is scrubbed in every form it can take in what we write (pure)."""

from __future__ import annotations

import json

from shared import secrets

SA_KEY = json.dumps(
    {
        "type": "service_account",
        "private_key": (
            "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nAbCdEfGhIjKlMnOpQrStUvWx\n-----END"
        ),
        "client_email": "x@y.iam.gserviceaccount.com",
    },
    indent=2,
)


def test_a_key_is_scrubbed_plain_and_percent_encoded(monkeypatch):
    monkeypatch.setenv("T_ODDS_KEY", "k3y/with+special=chars")
    key = secrets.get_secret("T_ODDS_KEY")
    for text in (
        f"401 for key {key}",
        "401 echo: apiKey%3Dk3y%2Fwith%2Bspecial%3Dchars",
        "form: k3y%2Fwith%2Bspecial%3Dchars",
    ):
        out = secrets.scrub(text)
        assert "k3y" not in out, out


def test_a_multi_line_service_account_key_is_scrubbed_inside_json_and_line_by_line(monkeypatch):
    monkeypatch.setenv("T_SA_JSON", SA_KEY)
    secrets.get_secret("T_SA_JSON")
    as_field = json.dumps({"message": f"bad credentials: {SA_KEY}"})  # JSON-escaped quotes and newlines
    assert "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" not in secrets.scrub(as_field)
    quoted_line = "ValueError: could not parse line 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC'"
    assert "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" not in secrets.scrub(quoted_line)
    assert secrets.scrub("nothing secret here") == "nothing secret here"
