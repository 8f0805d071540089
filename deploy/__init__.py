"""Provisioning and deployment of nba-orch to Google Cloud (see docs/deploy.md)."""
