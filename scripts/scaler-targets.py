#!/usr/bin/env python3
"""Checks the auto-scaler's targets on the scenario suite and prints each as met or missed.

    scripts/scaler-targets.py [--seeds N] [--binary build/maskfleet] [--strict]

Runs `maskfleet simulate scenarios/suite/*.toml --controller all --seeds N --markdown`
(every controller on every suite scenario with seeds 1..N) and reads its tables:
  - no direction change under constant load for ours, summed over the seeds, on the
    scenarios with the default policy;
  - on every scenario, ours leaves no more requests unserved than hpa-high (target 70%)
    and pays at most 1.1 x the worker-minutes of hpa (target 50%); on the flash crowd,
    no more unserved than hpa;
  - load-ends: the pool is down from 8 to 1 within 10 minutes (its longest settling time);
  - basic-monitoring: ours grows (it resizes at all) with 5-minute samples.
Exit status 0 (with --strict: 1 when a target is missed).
"""
import argparse
import pathlib
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parent.parent


def tables(output):
    """{scenario: {figure: {controller: cell}}} from --markdown output."""
    out = {}
    for block in output.split("#### ")[1:]:
        lines = block.splitlines()
        name = lines[0].strip()
        rows = [line for line in lines if line.startswith("|")]
        heads = [c.strip() for c in rows[0].strip("|").split("|")][1:]
        figures = {}
        for row in rows[2:]:
            cells = [c.strip() for c in row.strip("|").split("|")]
            figures[cells[0]] = dict(zip(heads, cells[1:]))
        out[name] = figures
    return out


def number(cell):
    return float(cell.split()[0].rstrip("%"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--binary", default=str(REPO / "build" / "maskfleet"))
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    scenarios = sorted((REPO / "scenarios" / "suite").glob("*.toml"))
    with tempfile.TemporaryDirectory() as out:
        result = subprocess.run([args.binary, "simulate", *map(str, scenarios), "--controller", "all",
                                 "--seeds", str(args.seeds), "--markdown", "--out", out],
                                capture_output=True, text=True, check=True)
    figures = tables(result.stdout)
    missed = 0

    def report(ok, text):
        nonlocal missed
        missed += 0 if ok else 1
        print(("met     " if ok else "MISSED  ") + text)

    for name, f in figures.items():
        if name != "careless-policy":
            flaps = int(f["direction changes in constant load (sum)"]["ours"])
            report(flaps == 0, f"{name}: {flaps} direction changes under constant load over {args.seeds} seeds")
        ours, high = number(f["requests unserved"]["ours"]), number(f["requests unserved"]["hpa-high"])
        report(ours <= high, f"{name}: unserved {ours:.2f}% <= hpa-high {high:.2f}%")
        cost, hpa = number(f["worker-minutes"]["ours"]), number(f["worker-minutes"]["hpa"])
        report(cost <= 1.1 * hpa, f"{name}: worker-minutes {cost:.0f} <= 1.1 x hpa {hpa:.0f} = {1.1 * hpa:.0f}")
    crowd = figures["flash-crowd"]["requests unserved"]
    report(number(crowd["ours"]) <= number(crowd["hpa"]),
           f"flash-crowd: unserved {crowd['ours']} <= hpa {crowd['hpa']}")
    down = figures["load-ends"]["longest settling time"]["ours"]
    report(number(down) <= 10, f"load-ends: 8 -> 1 in {down} (at most 10 min)")
    grows = number(figures["basic-monitoring"]["resizes"]["ours"])
    report(grows > 0, f"basic-monitoring: {grows:.1f} resizes with 5-minute samples (not stuck)")
    print(f"{missed} target(s) missed")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
