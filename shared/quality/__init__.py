"""Cross-source box-score quality (issue 21): the same final games from several sources, compared.

- `config`: quality.yaml (sources, reference order, tolerances, suspect threshold, name aliases).
- `names`: player identity across sources (normalised names, suffixes, accents, known aliases) (pure).
- `lines`: a stored raw answer of each box-score scraper -> per-game player lines (pure).
- `compare`: one source's lines of a game against the reference's (pure).
- `service`: the cleanup tick's step: compare the night's final games once, rows + a marker per game (I/O).
"""
