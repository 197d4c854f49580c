#!/usr/bin/env python3
"""The driving half of scripts/live-run.sh (which starts and stops the manager): sets
the scenario's policy on a running manager, sends the scenario's load through its load
balancer with `maskfleet loadgen --profile`, samples the pool every second, and writes
what happened to the output folder:

  live.csv              one row per second since the load began (the format of
                        src/maskfleet/sim/replay.h): t, offered_rate, in_service,
                        starting, draining, desired, average_cpu (of the last check so
                        far), action, size_before, size_after (on the second of a check),
                        sent, succeeded, failed (requests loadgen started in that second)
  decisions.csv         the manager's decision log of the run (GET /api/v1/decisions)
  requests.csv          loadgen's --csv: one row per request
  loadgen-summary.json  loadgen's --json summary
  metrics.json          GET /api/v1/metrics at the end (per-minute CPU and requests)
  phases.csv            the requests grouped by stretches of the same offered rate and
                        workers in service: sent, succeeded, failed, latency of the
                        successes (`live_run.py --phases DIR` writes it again from DIR's
                        live.csv and requests.csv)
  profile.txt, policy.json   what was sent to loadgen and to PUT /api/v1/policy

Only the scenario's steps are played ([[load]] with `rate`; ramps and spikes are
refused). Standard library only.
"""
import argparse
import csv
import datetime
import http.cookiejar
import json
import math
import os
import pathlib
import re
import signal
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request

USER = "loaduser"
USER_PASSWORD = "live-run-user-1"
POLICY_DEFAULTS = {"grow_threshold": 70, "shrink_threshold": 30, "expand_ratio": 2.0, "shrink_ratio": 0.5,
                   "min_workers": 1, "max_workers": 8, "check_interval_seconds": 60, "window_seconds": 120,
                   "shrink_stabilisation_seconds": 300, "paused": False}


class Stop(Exception):
    pass


def on_signal(signum, _frame):
    raise Stop(f"signal {signum}")


# ----------------------------------------------------------------------------- scenario

def seconds(value):
    """A scenario duration ("90s", "10m", "1h30m" or whole seconds) in seconds."""
    if isinstance(value, int):
        return value
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", value)
    if not value or not match:
        raise ValueError(f"not a duration: {value!r}")
    h, m, s = (int(g) if g else 0 for g in match.groups())
    return 3600 * h + 60 * m + s


def read_scenario(path):
    """(policy for PUT /api/v1/policy, [(start second, rate)], duration in seconds)."""
    scenario = tomllib.loads(pathlib.Path(path).read_text())
    policy = dict(POLICY_DEFAULTS)
    for key, value in scenario.get("policy", {}).items():
        if key in ("check_interval", "window", "shrink_stabilisation"):
            policy[key + "_seconds"] = seconds(value)
        else:
            policy[key] = value
    duration = seconds(scenario["duration"])
    steps = []
    for change in scenario["load"]:
        if set(change) - {"at", "rate"}:
            raise ValueError(f"{path}: only steps (at, rate) can be played live, not {change}")
        steps.append((seconds(change["at"]), float(change["rate"])))
    if scenario.get("initial_workers", 1) != 1:
        raise ValueError(f"{path}: the manager starts with 1 worker; initial_workers must be 1")
    return policy, steps, duration


def offered_rate(steps, t):
    rate = 0.0
    for at, r in steps:
        if t >= at:
            rate = r
    return rate


def profile_text(steps, duration):
    lines = ["# duration_seconds rate (written by scripts/live_run.py from the scenario)"]
    for i, (at, rate) in enumerate(steps):
        end = steps[i + 1][0] if i + 1 < len(steps) else duration
        lines.append(f"{end - at} {rate:g}")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- HTTP

class Api:
    """The manager's JSON API with an administrator's session."""

    def __init__(self, base):
        self.base = base.rstrip("/")
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.csrf = None

    def call(self, method, path, body=None, timeout=10):
        headers = {"Content-Type": "application/json"}
        if self.csrf:
            headers["X-CSRF-Token"] = self.csrf
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace")

    def expect(self, method, path, body=None, status=200):
        got, answer = self.call(method, path, body)
        if got != status:
            raise RuntimeError(f"{method} {path}: {got} {answer}")
        return answer

    def log_in(self, username, password):
        answer = self.expect("POST", "/api/v1/session", {"username": username, "password": password})
        self.csrf = answer["csrf_token"]


def register(lb_url, username, password):
    data = urllib.parse.urlencode({"username": username, "password": password}).encode()
    with urllib.request.urlopen(lb_url.rstrip("/") + "/api/register", data=data, timeout=30) as response:
        if response.status != 200:
            raise RuntimeError(f"POST /api/register through the balancer: {response.status}")


def epoch_of(iso):
    return datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def wait_settled(api, size, timeout):
    deadline = time.monotonic() + timeout
    while True:
        pool = api.expect("GET", "/api/v1/pool")
        counts = pool["counts"]
        serving = [w for w in pool["workers"] if w["state"] == "in_service"]
        if (pool["desired_size"] == size and counts.get("in_service") == size
                and not counts.get("starting") and not counts.get("draining")
                and all(w["balancer"] and w["balancer"]["state"] == "up" for w in serving)):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the pool did not settle at {size} within {timeout} s: {counts}")
        time.sleep(0.5)


# ----------------------------------------------------------------------------- phases

def percentile(values, q):
    """The nearest-rank percentile q (0..100) of values; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def write_phases(out):
    """phases.csv from out/live.csv and out/requests.csv; returns its rows."""
    with open(out / "live.csv", newline="") as f:
        per_second = list(csv.DictReader(f))
    stretches = []  # [from, to, offered, in_service]
    for row in per_second:
        t, key = int(row["t"]), (row["offered_rate"], row["in_service"])
        if stretches and stretches[-1][2:] == list(key):
            stretches[-1][1] = t + 1
        else:
            stretches.append([t, t + 1, *key])
    with open(out / "requests.csv", newline="") as f:
        requests = list(csv.DictReader(f))
    rows = []
    for begin, end, offered, in_service in stretches:
        mine = [r for r in requests if begin <= float(r["start_s"]) < end]
        ok = [float(r["latency_ms"]) for r in mine if r["status"] == "200"]
        failed = {}
        for r in mine:
            if r["status"] != "200":
                failed[r["status"]] = failed.get(r["status"], 0) + 1
        rows.append({"from_s": begin, "to_s": end, "offered_rate": offered, "in_service": in_service,
                     "sent": len(mine), "succeeded": len(ok),
                     "failed": " ".join(f"{n}x{status}" for status, n in sorted(failed.items())),
                     **{f"p{q}_ms": "" if not ok else f"{percentile(ok, q):.0f}" for q in (50, 90, 99)},
                     "max_ms": "" if not ok else f"{max(ok):.0f}"})
    with open(out / "phases.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return rows


# ----------------------------------------------------------------------------- the run

def main():
    if sys.argv[1:2] == ["--phases"] and len(sys.argv) == 3:
        write_phases(pathlib.Path(sys.argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", required=True)
    parser.add_argument("--manager", required=True, help="the manager's URL")
    parser.add_argument("--lb", required=True, help="the load balancer's URL")
    parser.add_argument("--admin", nargs=2, metavar=("USER", "PASSWORD"), required=True)
    parser.add_argument("--bin", required=True, help="maskfleet, for loadgen")
    parser.add_argument("--photos", required=True, help="folder of photos to upload")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    policy, steps, duration = read_scenario(args.scenario)
    api = Api(args.manager)
    api.log_in(*args.admin)
    stored = api.expect("PUT", "/api/v1/policy", policy)
    (out / "policy.json").write_text(json.dumps(stored, indent=2, sort_keys=True) + "\n")
    wait_settled(api, 1, timeout=60)
    register(args.lb, USER, USER_PASSWORD)
    (out / "profile.txt").write_text(profile_text(steps, duration))

    loadgen_cmd = [args.bin, "loadgen", "--profile", str(out / "profile.txt"), "--csv", str(out / "requests.csv"),
                   "--json", args.lb.rstrip("/") + "/api/upload", USER, USER_PASSWORD, "0", args.photos, "0"]
    print("live_run: " + " ".join(loadgen_cmd[1:]), file=sys.stderr)
    samples = []  # (in_service, starting, draining, desired) per second; None where a GET failed
    summary_file = open(out / "loadgen-summary.json", "w")
    t0 = time.time()
    load = subprocess.Popen(loadgen_cmd, stdout=summary_file, stderr=subprocess.DEVNULL)
    try:
        for k in range(duration):
            pause = t0 + k + 0.5 - time.time()  # the middle of second k
            if pause > 0:
                time.sleep(pause)
            elif pause < -0.5:
                samples.append(None)  # this second went by while the last GET ran
                continue
            try:
                status, pool = api.call("GET", "/api/v1/pool", timeout=5)
            except OSError:
                status, pool = None, None
            if status != 200:
                samples.append(None)
                continue
            c = pool["counts"]
            samples.append((c.get("in_service", 0), c.get("starting", 0), c.get("draining", 0), pool["desired_size"]))
            if k % 30 == 0:
                print(f"live_run: t={k:4d}s offered {offered_rate(steps, k):g}/s in service {samples[-1][0]} "
                      f"starting {samples[-1][1]} desired {samples[-1][3]}", file=sys.stderr)
        load_status = load.wait(timeout=120)  # requests still in flight may take their time
    finally:
        if load.poll() is None:
            load.terminate()
            load.wait(timeout=30)
        summary_file.close()

    decisions = list(reversed(api.expect("GET", "/api/v1/decisions?limit=500")["decisions"]))
    metrics = api.expect("GET", f"/api/v1/metrics?minutes={math.ceil(duration / 60) + 3}")
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")

    # Decisions, on the seconds of the run (negative: before the load began).
    for d in decisions:
        d["t"] = math.floor(epoch_of(d["time"]) - t0)
    with open(out / "decisions.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["time", "t", "average_cpu", "size_before", "size_after", "action", "reason"])
        for d in decisions:
            cpu = "" if d["average_cpu"] is None else f'{d["average_cpu"]:.1f}'
            w.writerow([d["time"], d["t"], cpu, d["size_before"], d["size_after"], d["action"], d["reason"]])

    # Requests per second they were started in.
    sent = [0] * duration
    succeeded = [0] * duration
    with open(out / "requests.csv", newline="") as f:
        for row in csv.DictReader(f):
            k = int(float(row["start_s"]))
            if 0 <= k < duration:
                sent[k] += 1
                succeeded[k] += row["status"] == "200"

    gaps = 0
    last = (1, 0, 0, 1)
    last_cpu = None
    with open(out / "live.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["t", "offered_rate", "in_service", "starting", "draining", "desired", "average_cpu", "action",
                    "size_before", "size_after", "sent", "succeeded", "failed"])
        for k in range(duration):
            if samples[k] is None:
                gaps += 1
            else:
                last = samples[k]
            now = [d for d in decisions if d["t"] <= k]
            check = next((d for d in reversed(now) if d["t"] == k), None)
            last_cpu = now[-1]["average_cpu"] if now else None
            w.writerow([k, f"{offered_rate(steps, k):g}", *last, "" if last_cpu is None else f"{last_cpu:.1f}",
                        *((check["action"], check["size_before"], check["size_after"]) if check else ("", "", "")),
                        sent[k], succeeded[k], sent[k] - succeeded[k]])
    write_phases(out)
    print(f"live_run: {duration} s recorded ({gaps} seconds without a sample, carried from the one before), "
          f"{len(decisions)} decisions, loadgen exit status {load_status}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Stop as e:
        print(f"live_run: stopped by {e}", file=sys.stderr)
        sys.exit(130)
