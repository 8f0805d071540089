"""The project's own offline sample day: every upstream answer of one operational day, generated.

Used by `nba-orch simulate` (and tests) instead of the real APIs: `build(d)` generates a coherent day (the
same games, teams, players, scores and officials in the schedule, odds, box scores, play-by-play, gamebooks,
injury reports and referee assignments) and `install(replay, day)` serves it at the real URLs through the
replay server (tooling.local.replay). Deterministic: seeded by the date, no wall clock. See docs/sample-day.md.

    from tooling.sample_day import DEFAULT_DATE, build, install
    day = build(DEFAULT_DATE)
    with Replay() as rp:
        install(rp, day)
        os.environ.update(rp.env())
        ...                                   # scrapers now read the sample day
    day.games, day.faults                     # the date's games; the injected upstream faults
"""

from tooling.sample_day.day import DEFAULT_DATE, Answer, Fault, RouteDef, SampleDay, build, install

__all__ = ["DEFAULT_DATE", "Answer", "Fault", "RouteDef", "SampleDay", "build", "install"]
