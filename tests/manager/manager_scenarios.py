"""The long scenarios of test_metrics.py. Each runs in a background thread from the start
of the session (conftest.long_scenarios), with managers of its own, and answers a dict
of what it saw; the tests judge it. A scenario that fails part-way answers what it has
and "error" (the traceback). "problems" lists what stopping its managers showed (exit
status, processes left behind).
"""
import math
import sqlite3
import threading
import time
import traceback

import requests

from manager_harness import USER_PASSWORD, Deadline, in_service, upload, worker_url

# Requests sent in the counted minute (not a round number, to be told apart).
COUNTED_REQUESTS = 37
# Threads of uploads that keep a worker busy: its admission bound is 1 detection + 3
# queued, so 3 never meet a 503.
LOAD_THREADS = 3
# The load runs at least this long before and after the measured minute, so that a
# sampling interval of the manager that straddles the minute's start or end sees the
# same load as the minute itself.
LOAD_MARGIN = 15
# The share of its allotment the "part" load aims at, and the uploads that measure what
# one costs first.
PART_SHARE = 0.5
CALIBRATION_UPLOADS = 10


def sleep_until(t, abort):
    while time.time() < t:
        if abort.wait(min(1.0, t - time.time())):
            raise RuntimeError("aborted")


def wait_minute_final(manager, minute, worker_ids, abort, timeout=90):
    """GET /api/v1/metrics once the completed `minute` has its request counts (they exist
    only for completed minutes, so the pass after the minute has run): the answer."""
    deadline = time.monotonic() + timeout
    while True:
        metrics = manager.metrics(30)
        if minute in metrics["minutes"]:
            i = metrics["minutes"].index(minute)
            counts = {w["id"]: w["requests_per_minute"][i] for w in metrics["workers"] if w["id"] in worker_ids}
            if counts and all(v is not None for v in counts.values()):
                return metrics
        if time.monotonic() > deadline:
            raise Deadline(f"the requests of minute {minute} for {sorted(worker_ids)} not in "
                           f"GET /api/v1/metrics within {timeout} s of its end: {metrics}")
        if abort.wait(2):
            raise RuntimeError("aborted")


def series_at(metrics, minute, worker_id, name):
    i = metrics["minutes"].index(minute)
    for w in metrics["workers"]:
        if w["id"] == worker_id:
            return w[name][i]
    raise KeyError(f"{worker_id} not among the workers of {metrics}")


def _close(managers, result):
    # The newest first: an older manager of the same data folder would take the newer
    # one's processes for its own leftovers.
    for m in reversed(managers):
        result["problems"] += m.close()


def balancer_minute(manager, minute, abort, timeout=30):
    """The balancer's counts of `minute` as the manager stored them (offered, served),
    once stored."""
    deadline = time.monotonic() + timeout
    while True:
        with sqlite3.connect(manager.data_dir / "maskfleet.db") as db:
            row = db.execute("SELECT offered, served FROM balancer_request_samples WHERE minute = ?",
                             (minute,)).fetchone()
        if row:
            return row
        if time.monotonic() > deadline:
            raise Deadline(f"the balancer's counts of minute {minute} not stored within {timeout} s")
        if abort.wait(1):
            raise RuntimeError("aborted")


def count_and_history(factory, abort):
    """N requests through the LB in one minute; that minute's figures (the workers' and
    HAProxy's); then a stop and a new manager on the same data folder, and the same
    minute's figures from it."""
    result = {"problems": []}
    managers = []
    try:
        m = factory()
        managers.append(m)
        pool = m.wait_settled(1)
        result["workers_before"] = [w["id"] for w in pool["workers"]]
        m.register("counter")
        user = m.user_client("counter")
        # The requests go in 15 s into a minute that begins 12 s or more after those
        # above: the manager reads HAProxy's counters every 10 s and spreads what an
        # interval counted over it, so none of them falls into another minute.
        minute = ((int(time.time()) + 12) // 60 + 1) * 60
        sleep_until(minute + 15, abort)
        statuses, names = [], []
        for _ in range(COUNTED_REQUESTS):
            r = user.get("/api/v1/session")
            statuses.append(r.status_code)
            names.append(r.headers.get("X-Maskfleet-Worker"))
        finished = time.time()
        assert finished < minute + 50, f"{COUNTED_REQUESTS} requests took until {finished - minute:.1f} s into the minute"
        result.update(minute=minute, sent=COUNTED_REQUESTS, statuses=statuses, names=names)
        sleep_until(minute + 60, abort)
        ids = {w["id"] for w in m.pool()["workers"] if w["state"] == "in_service"}
        before = wait_minute_final(m, minute, ids, abort)
        result["before"] = before
        result["balancer_minute"] = balancer_minute(m, minute, abort)
        result["waited_after_minute"] = time.time() - (minute + 60)

        result["exit_status"] = m.stop()
        result["left_after_stop"] = m.leftovers()
        m2 = factory(data_dir=m.data_dir)
        managers.append(m2)
        m2.wait_settled(1)
        result["after"] = m2.metrics(30)
        result["pool_after"] = m2.pool()
    except BaseException:
        result["error"] = traceback.format_exc()
    finally:
        _close(managers, result)
    return result


class ProcCpu:
    """Samples utime + stime of a process from /proc/PID/stat, 5 times a second."""

    def __init__(self, pid):
        import os
        self.pid, self.tick = pid, os.sysconf("SC_CLK_TCK")
        self.samples = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def read(self):
        with open(f"/proc/{self.pid}/stat") as f:
            stat = f.read()
        fields = stat[stat.rfind(")") + 2:].split()
        return (int(fields[11]) + int(fields[12])) / self.tick  # utime, stime

    def _run(self):
        while not self.stopped.is_set():
            try:
                self.samples.append((time.time(), self.read()))
            except OSError:
                return
            self.stopped.wait(0.2)

    def stop(self):
        self.stopped.set()
        self.thread.join()

    def at(self, t):
        """CPU seconds used by time t, interpolated between the samples around it."""
        for (t0, c0), (t1, c1) in zip(self.samples, self.samples[1:]):
            if t0 <= t <= t1:
                return c0 + (c1 - c0) * (t - t0) / (t1 - t0) if t1 > t0 else c0
        raise ValueError(f"no samples around {t}")


def cpu_share(factory, photo, abort):
    """Two workers loaded by uploads sent straight to them through a whole minute (and
    LOAD_MARGIN seconds either side): "busy" by LOAD_THREADS closed loops, "part" by one
    loop paced to use PART_SHARE of its allotment (the CPU cost of an upload measured
    first from /proc, so the pace does not depend on how the limit is enforced). For each, the CPU share
    of its allotment it used in that minute, measured here from /proc/PID/stat, beside
    what the manager reports: result["workers"][kind] = {"measured_percent",
    "reported_percent", "statuses", "worker"}."""
    result = {"problems": [], "workers": {}}
    managers = []
    stop_load = threading.Event()
    threads = []
    meters = []
    try:
        m = factory()
        managers.append(m)
        m.wait_settled(1)
        m.resize(2)
        pool = m.wait_settled(2, timeout=90)
        result["cpu_limit"] = pool["cpu_limit"]
        m.register("loader")
        loads = {}
        for kind, worker in zip(("busy", "part"), in_service(pool)):
            loads[kind] = {"worker": worker, "statuses": [], "meter": ProcCpu(int(worker["details"]["pid"]))}
            meters.append(loads[kind]["meter"])

        # What one upload costs the "part" worker, in CPU seconds.
        part = loads["part"]
        with requests.Session() as s:
            used_before = part["meter"].read()
            for _ in range(CALIBRATION_UPLOADS):
                r = upload(s, worker_url(part["worker"]), "loader", photo)
                assert r.status_code == 200, r.text
            cost = (part["meter"].read() - used_before) / CALIBRATION_UPLOADS
        result["upload_cpu_seconds"] = cost
        interval = cost / (PART_SHARE * float(part["worker"]["details"]["cpu_allotment"]))

        def load(url, statuses, pace):
            with requests.Session() as s:
                due = time.monotonic()
                while not stop_load.is_set():
                    try:
                        statuses.append(upload(s, url, "loader", photo).status_code)
                    except requests.RequestException as e:
                        statuses.append(repr(e))
                    if pace:
                        due = max(due + pace, time.monotonic())  # late: no burst to catch up
                        stop_load.wait(max(0.0, due - time.monotonic()))

        for kind, n, pace in (("busy", LOAD_THREADS, None), ("part", 1, interval)):
            args = (worker_url(loads[kind]["worker"]), loads[kind]["statuses"], pace)
            threads += [threading.Thread(target=load, args=args, daemon=True) for _ in range(n)]
        for t in threads:
            t.start()
        minute = math.ceil((time.time() + LOAD_MARGIN) / 60) * 60
        result["minute"] = minute
        sleep_until(minute + 60 + LOAD_MARGIN, abort)
        stop_load.set()
        for t in threads:
            t.join()
        for meter in meters:
            meter.stop()
        metrics = wait_minute_final(m, minute, {load["worker"]["id"] for load in loads.values()}, abort)
        result["metrics"] = metrics
        for kind, load in loads.items():
            worker, statuses = load["worker"], load["statuses"]
            used = load["meter"].at(minute + 60) - load["meter"].at(minute)
            result["workers"][kind] = {
                "worker": worker["id"],
                "measured_percent": used / (60 * float(worker["details"]["cpu_allotment"])) * 100,
                "reported_percent": series_at(metrics, minute, worker["id"], "cpu_percent"),
                "statuses": {s: statuses.count(s) for s in set(statuses)},
            }
    except BaseException:
        result["error"] = traceback.format_exc()
    finally:
        stop_load.set()
        for t in threads:
            t.join()
        for meter in meters:
            meter.stop()
        _close(managers, result)
    return result
