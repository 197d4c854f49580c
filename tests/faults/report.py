"""Prints the fault suite's report rows (JSON lines, one per case, as the cases write
them to MASKFLEET_FAULTS_REPORT) as the Markdown table of docs/reliability.md.

    python tests/faults/report.py REPORT.jsonl
"""
import json
import sys

COLUMNS = ["case", "sent", "2xx", "4xx", "5xx", "of which 500", "conn. errors", "recovery (s)",
           "lost", "stored, client saw failure", "files/rows mismatched", "/healthz max (ms)"]


def row(report):
    counts = report["counts"]
    consistency = report.get("consistency") or {}

    def c(key):
        return str(consistency[key]) if key in consistency else "-"
    mismatched = ("-" if not consistency else
                  str(consistency["rows_without_files"] + consistency["files_without_rows"]
                      + consistency["duplicates"] + consistency["unreadable"]))
    recovery = report.get("recovery_s")
    health = report.get("healthz_max_ms")
    return [report["case"], str(counts["sent"]), str(counts["2xx"]), str(counts["4xx"]), str(counts["5xx"]),
            str(counts["500"]), str(counts["conn_errors"]),
            "-" if recovery is None else f"{recovery:g}", c("lost"), c("stored_but_failed"), mismatched,
            "-" if health is None else f"{health:g}"]


def main(path):
    with open(path) as f:
        reports = [json.loads(line) for line in f if line.strip()]
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(COLUMNS))) + "|")
    for report in reports:
        print("| " + " | ".join(row(report)) + " |")
    print()
    for report in reports:
        line = f"- {report['case']}: {report['fault']}"
        if report.get("notes"):
            line += f" ({report['notes']})"
        print(line)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
