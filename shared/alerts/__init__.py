"""SLAs, alerts and their delivery (issue 16).

- `sla`: rules as configuration (shared/config/alerts.yaml), evaluated as pure functions of a day's state and
  an explicit `now`;
- `lifecycle`: an alert per deterministic key (rule + subject) that opens once, repeats as a count and
  resolves when its condition clears (pure transitions);
- `notify`: the pure flood-control plan of the notifier (cool-down, per-rule hourly cap, digests);
- `service`: the ticks' edge (read the day's state cheaply, apply the life cycle in GCS, audit in BigQuery,
  publish to the alerts topic); `channels`: webhook and SMTP delivery; the fifth role is shared.notifier.
"""
