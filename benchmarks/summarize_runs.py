"""Median and spread of the ratios over several `rnn_speed.py` runs.

    python benchmarks/summarize_runs.py FOLDER [FOLDER ...]

Each FOLDER holds `run-*/results.json`; for each candidate of the first
row, prints the median ratio over the runs and its range (min-max).
"""

import json
import pathlib
import statistics
import sys


def summarize(folder):
    runs = [
        json.loads(p.read_text())
        for p in sorted(pathlib.Path(folder).glob("run-*/results.json"))
    ]
    if not runs:
        return f"{folder}: no runs"
    lines = [f"{folder}: {len(runs)} runs; {runs[0]['machine']}"]
    results = [run["rows"][0]["results"] for run in runs]
    for name in results[0]:
        cells = []
        for mode in results[0][name]:
            ratios = [r[name][mode]["ratio"] for r in results]
            ms = [r[name][mode]["median_s"] * 1e3 for r in results]
            cells.append(
                f"{mode} {statistics.median(ratios):.3f}x "
                f"[{min(ratios):.3f}-{max(ratios):.3f}] "
                f"({statistics.median(ms):.1f} ms)"
            )
        baseline = next(iter(results[0][name].values()))["baseline"]
        lines.append(f"  {name:24s} " + "; ".join(cells) + f"  vs {baseline}")
    return "\n".join(lines)


if __name__ == "__main__":
    for folder in sys.argv[1:]:
        print(summarize(folder))
