#!/usr/bin/env python3
"""Prints the figures of one run of tests/awsmode (the report it writes to
build/aws-mode-run.json) as the Markdown tables of docs/results.md.

Usage: print_run.py [REPORT]   (default: build/aws-mode-run.json)
"""
import json
import pathlib
import sys

DEFAULT = pathlib.Path(__file__).resolve().parents[2] / "build" / "aws-mode-run.json"


def figures(report):
    """(figure, value) rows of the run."""
    events = {e["what"]: e for e in report["events"]}
    stopped = events["stopped"]
    grown = events["grown under load"]
    shrunk = events["shrunk without load"]
    throttled = events["resized under throttling"]["throttled"]
    rows = [
        ("pool at start (in service)", events["start"]["in_service"]),
        ("largest pool under load (in service)", grown["in_service"]),
        ("growth: seconds from the start of the load to that size", round(grown["t"] - events["start"]["t"], 1)),
        ("pool after the load (in service)", shrunk["in_service"]),
        ("shrink: seconds from the end of the load to 1", round(shrunk["t"] - events["load stopped"]["t"], 1)),
        ("the auto-scaler's resizes", "; ".join(shrunk.get("auto_scaler", []))),
        ("uploads answered 200", stopped["uploads_ok"]),
        ("uploads lost", stopped["uploads_lost"]),
        ("dead instance: seconds from its termination to a replacement in service",
         round(events["dead instance replaced"]["t"] - shrunk["t"], 1)),
        ("requests the workers published to CloudWatch / requests sent to them",
         f"{sum(events['charts']['requests_published'].values()):.0f} / "
         f"{sum(events['charts']['requests_sent'].values())}"),
        ("calls answered as throttled during a resize from 1 to 2",
         ", ".join(f"{action} {n}" for action, n in sorted(throttled.items()))),
        ("that resize: seconds to 2 in service",
         round(events["resized under throttling"]["t"] - events["dead instance replaced"]["t"], 1)),
        ("pool after the manager was killed mid-resize and restarted", events["restarted"]["in_service"]),
        ("instances launched by the run", stopped["instances_launched"]),
        ("of them terminated at the end", stopped["instances_terminated"]),
        ("instance without the pool's tag at the end", stopped["foreign_instance"]),
        ("run time, seconds", report["seconds"]),
    ]
    return rows


def main():
    path = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    report = json.loads(path.read_text())
    print("| figure | AWS mode on moto |")
    print("| --- | ---: |")
    for name, value in figures(report):
        print(f"| {name} | {value} |")
    print()
    print("| t (s) | event |")
    print("| ---: | --- |")
    for e in report["events"]:
        details = ", ".join(f"{k} {v}" for k, v in e.items() if k not in ("t", "what", "requests_by_instance", "auto_scaler"))
        print(f"| {e['t']} | {e['what']}{': ' + details if details else ''} |")


if __name__ == "__main__":
    main()
