"""The master controller: at each hourly tick, decide RUN / SKIP / ABORT for every enabled workflow and fan
the RUN decisions out into scraper requests.

- `model`: the state snapshot a decision is made from, and the decision itself (pure data).
- `params`: scraper parameters for a RUN (season, date, every game, every team, injury-report hour) (pure).
- `decide`: the decision rules, built on `shared.rules` so the locker and the controller agree (pure).
- `state`: the BigQuery and GCS reads that produce the snapshot (one batched query; per-workflow isolation).
- `service`: the edge: slot idempotency, reads, decisions written, requests published.
"""
