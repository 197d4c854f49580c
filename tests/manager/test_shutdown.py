"""Stopping the manager (button, SIGTERM, SIGINT, Ctrl-C) leaves nothing behind, and a manager
started after a crash takes over the data folder with one worker (docs/manager.md,
"Starting it")."""
import os
import signal
import subprocess
import threading
import time

import pytest
import requests

from manager_harness import Unmet, in_service, live, pid_alive, port_open, upload, wait_for, worker_name


def _assert_all_gone(manager, status):
    assert status == 0, f"exit status {status} (None: still running after 30 s)\n{manager.stderr()}"
    left = manager.leftovers()
    assert not left, f"processes left behind: {left}"
    assert not port_open(manager.lb_url), "HAProxy's port still accepts connections"
    assert not port_open(manager.url), "the manager's port still accepts connections"


class UploadsInFlight:
    """Uploads through HAProxy, started together: more than the workers answer at once,
    so that some are still in flight a moment later, when the test stops the manager."""

    def __init__(self, manager, photo, count=6):
        manager.register("inflight")
        self.results = []
        self.threads = [threading.Thread(target=self._one, args=(manager.lb_url, photo)) for _ in range(count)]
        for t in self.threads:
            t.start()
        time.sleep(0.2)
        self.stop_began = time.time()

    def _one(self, lb_url, photo):
        try:
            r = upload(requests, lb_url, "inflight", photo)
            self.results.append((r.status_code, time.time(), r.text[:200]))
        except requests.RequestException as e:
            self.results.append((repr(e), time.time(), ""))

    def check(self):
        for t in self.threads:
            t.join()
        failed = [r for r in self.results if r[0] != 200]
        assert not failed, f"requests in flight when the stop began were not answered: {failed}"
        assert any(t > self.stop_began for _, t, _ in self.results), \
            "no upload was still in flight when the stop began; the check proves nothing"


@pytest.mark.parametrize("how", ["button", "SIGTERM", "SIGINT", "Ctrl-C"])
def test_stop_drains_and_leaves_nothing(manager_factory, photo, how):
    """The stop button, SIGTERM, SIGINT, and a Ctrl-C (SIGINT to the manager's whole
    process group, as a terminal sends it) stop the same way: requests in flight are
    answered, the manager exits 0, no worker or HAProxy is left."""
    manager = manager_factory(new_session=(how == "Ctrl-C"))
    manager.resize(2)
    pool = manager.wait_settled(2, timeout=90)
    pids = [int(w["details"]["pid"]) for w in live(pool)]
    if how == "button":
        r = manager.api.post("/api/v1/manager/stop", headers={"X-CSRF-Token": None})
        assert r.status_code == 403, f"stop without the CSRF header: {r.status_code} {r.text}"
        time.sleep(1)
        assert manager.process.poll() is None, "the manager stopped on a request without the CSRF header"

    in_flight = UploadsInFlight(manager, photo)
    if how == "button":
        r = manager.api.post("/api/v1/manager/stop")
        assert r.status_code == 202, r.text
    elif how == "Ctrl-C":
        os.killpg(manager.process.pid, signal.SIGINT)
    else:
        manager.process.send_signal(getattr(signal, how))
    try:
        status = manager.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        status = None
    in_flight.check()
    _assert_all_gone(manager, status)
    assert not any(pid_alive(p) for p in pids)


def test_new_manager_after_a_crash_runs_one_worker_and_nothing_old(manager_factory):
    first = manager_factory()
    first.resize(2)
    first.wait_settled(2, timeout=90)
    old = dict(first.leftovers())
    old.pop(first.process.pid, None)
    assert len(old) >= 3, f"expected two workers and HAProxy: {old}"

    old_haproxy = {pid for pid, cmd in old.items() if "haproxy" in cmd}
    assert len(old_haproxy) == 1, old

    first.kill()  # the manager alone
    second = manager_factory(data_dir=first.data_dir, lb_port=first.lb_port)
    pool = second.wait_settled(1, timeout=90)
    assert pool["desired_size"] == 1
    # The HAProxy that outlived the crash is the new manager's: adopted, not replaced.
    assert {pid for pid, cmd in second.leftovers() if "haproxy" in cmd} == old_haproxy

    def old_ones_left():
        current = {int(w["details"]["pid"]) for w in live(second.pool())} | old_haproxy
        left = {pid: cmd for pid, cmd in old.items() if pid_alive(pid) and pid not in current}
        return True if not left else Unmet(left)

    wait_for("processes of the crashed run gone (adopted workers and HAProxy excepted)", old_ones_left,
             timeout=15)
    pool = second.wait_settled(1, timeout=30)
    r = second.lb_get("/healthz")
    assert r.status_code == 200, r.text
    assert r.headers["X-Maskfleet-Worker"] == worker_name(in_service(pool)[0]), r.headers


def test_a_restarted_manager_adopts_the_workers_a_crash_left_serving(manager_factory):
    """kill -9 of the manager leaves its worker and HAProxy serving: the entry URL
    answers while no manager runs; a manager started again on the same data folder (as
    systemd's Restart= does) adopts both, the same processes. How long the entry URL
    was away after the restart, if at all, is printed (pytest -s)."""
    first = manager_factory()
    pool = first.wait_settled(1, timeout=90)
    worker_pid = int(in_service(pool)[0]["details"]["pid"])

    first.kill()
    killed = time.monotonic()
    time.sleep(1)  # a parent-death signal would have stopped the worker by now
    assert pid_alive(worker_pid), "the worker died with its manager"
    r = first.lb_get("/healthz", timeout=5)
    assert r.status_code == 200, f"the entry URL while no manager runs: {r.status_code} {r.text}"

    started = time.monotonic()
    second = manager_factory(data_dir=first.data_dir, lb_port=first.lb_port)

    def entry_answers():
        try:
            return second.lb_get("/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    wait_for("the entry URL answering again", entry_answers, timeout=60, interval=0.05)
    answered = time.monotonic()
    pool = second.wait_settled(1, timeout=30)
    adopted = in_service(pool)[0]
    assert int(adopted["details"]["pid"]) == worker_pid
    assert adopted["details"].get("adopted") == "yes"
    print(f"\nmanager kill -9 and restart: entry URL back {answered - started:.2f} s after the new manager "
          f"was started ({answered - killed:.2f} s after the kill, 1 s of which the test waited); "
          f"worker {worker_pid} adopted")
