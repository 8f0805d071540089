"""Backfill: replay any range of past operational days by the controller's own rules (docs/backfill.md).

`plan` (pure: the requests the rules would have made), `gaps` (pure: those requests against the run ledger),
`progress` (the backfill's own ledger in GCS) and `driver` (the edge: publish, paced, resumable).
"""
