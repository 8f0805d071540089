"""Benchmark: what a cold start of the `scrapers` function pays per kind of catalogue scraper.

Each figure is measured in a fresh interpreter (nothing cached in sys.modules), several times, alternating
the candidates so drift hits them alike; the median is reported with its ratio to the baseline measured in
the same run (config + registry: what every scraper request pays). The claim checked: a JSON scraper's
request does not pay for PDF/HTML parsing (its ratio stays close to the baseline's), and the PDF/HTML
libraries cost only the scrapers that use them.

    .venv/bin/python tests/benchmarks/bench_catalogue.py [--runs 7]
Exit status 1 when loading a JSON scraper costs 1.5x the baseline or more, or loads pypdf/bs4.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import import_timing

ROOT = Path(__file__).resolve().parents[2]
UPSTREAM = ROOT.parent / "shared" / "fixtures" / "upstream"
JSON_TARGET = 1.5
REPORT = str(UPSTREAM / "nba_injury_report/Injury-Report_2024-01-04_12PM.pdf")
# A roster table of the documented structure (no Basketball-Reference recording exists), 15 players.
ROW = (
    '<tr><th data-stat="number">{n}</th><td data-stat="player"><a href="/players/p/player{n}.html">P {n}</a></td>'
    '<td data-stat="pos">G</td><td data-stat="height">6-4</td><td data-stat="weight">200</td>'
    '<td data-stat="birth_date" csk="19990101">January 1, 1999</td><td data-stat="birth_country">us</td>'
    '<td data-stat="years_experience">3</td><td data-stat="college">State</td></tr>'
)
BR_PAGE = '<html><body><table id="roster"><tbody>' + "".join(ROW.format(n=n) for n in range(15)) + "</tbody></table>"

BASE = "from shared.config import get_config\nfrom shared.scrapers import registry\ncfg = get_config()\n"
SNIPPETS = {
    "baseline: config + registry": BASE,
    "JSON scraper (nbac_player_list) loaded": BASE + "registry.create('nbac_player_list', cfg)\n",
    "every source module loaded": BASE + "registry.implemented(cfg)\n",
    "injury report scraper loaded": BASE + "registry.create('nbac_injury_report', cfg)\n",
    "injury report + pypdf + parse of the real 3-page report": BASE
    + "registry.create('nbac_injury_report', cfg)\n"
    + "from shared.parsers.nba_injury_report import parse_injury_report_pdf\n"
    + f"parse_injury_report_pdf(open({REPORT!r}, 'rb').read())\n",
    "Basketball-Reference scraper loaded": BASE + "registry.create('br_season_roster', cfg)\n",
    "Basketball-Reference + bs4 + parse of a roster page": BASE
    + "registry.create('br_season_roster', cfg)\n"
    + "from shared.parsers.basketball_reference import parse_season_roster\n"
    + f"parse_season_roster({BR_PAGE!r}, 'BOS', season=2025)\n",
}
CHECK = "\nimport sys\nprint('HEAVY' if ('pypdf' in sys.modules or 'bs4' in sys.modules) else 'LIGHT')\n"


def measure(code: str) -> tuple[float, bool]:
    """Seconds spent running `code` in a fresh interpreter (start-up excluded), and whether pypdf/bs4 got loaded."""
    seconds, printed = import_timing.measure(code, CHECK)
    return seconds, printed[-1] == "HEAVY"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    times: dict[str, list[float]] = {k: [] for k in SNIPPETS}
    heavy: dict[str, bool] = {}
    for _ in range(args.runs):
        for name, code in SNIPPETS.items():
            seconds, loaded = measure(code)
            times[name].append(seconds)
            heavy[name] = loaded
    base = statistics.median(times["baseline: config + registry"])
    print(f"{'candidate':58} {'median ms':>10} {'x baseline':>11}  pypdf/bs4")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"{name:58} {med * 1000:10.1f} {med / base:11.2f}  {'loaded' if heavy[name] else '-'}")
    json_name = "JSON scraper (nbac_player_list) loaded"
    ratio = statistics.median(times[json_name]) / base
    ok = ratio < JSON_TARGET and not heavy[json_name] and not heavy["every source module loaded"]
    print(
        f"\nJSON scraper / baseline = {ratio:.2f} (target < {JSON_TARGET}); pypdf/bs4 loaded by modules alone: "
        f"{heavy['every source module loaded']}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
