"""Stopping the manager (button, SIGTERM, SIGINT) leaves nothing behind, and a manager
started after a crash takes over the data folder with one worker (docs/manager.md,
"Starting it")."""
import signal
import subprocess
import time

import pytest

from manager_harness import Unmet, in_service, live, pid_alive, port_open, wait_for, worker_name


def _assert_all_gone(manager, status):
    assert status == 0, f"exit status {status} (None: still running after 30 s)\n{manager.stderr()}"
    left = manager.leftovers()
    assert not left, f"processes left behind: {left}"
    assert not port_open(manager.lb_url), "HAProxy's port still accepts connections"
    assert not port_open(manager.url), "the manager's port still accepts connections"


def test_stop_button_stops_everything(manager):
    manager.resize(2)
    pool = manager.wait_settled(2, timeout=90)
    pids = [int(w["details"]["pid"]) for w in live(pool)]

    r = manager.api.post("/api/v1/manager/stop", headers={"X-CSRF-Token": None})
    assert r.status_code == 403, f"stop without the CSRF header: {r.status_code} {r.text}"
    time.sleep(1)
    assert manager.process.poll() is None, "the manager stopped on a request without the CSRF header"

    r = manager.api.post("/api/v1/manager/stop")
    assert r.status_code == 202, r.text
    try:
        status = manager.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        status = None
    _assert_all_gone(manager, status)
    assert not any(pid_alive(p) for p in pids)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_everything(manager, sig):
    manager.resize(2)
    manager.wait_settled(2, timeout=90)
    _assert_all_gone(manager, manager.stop(sig, timeout=30))


def test_new_manager_after_a_crash_runs_one_worker_and_nothing_old(manager_factory):
    first = manager_factory()
    first.resize(2)
    first.wait_settled(2, timeout=90)
    old = dict(first.leftovers())
    old.pop(first.process.pid, None)
    assert len(old) >= 3, f"expected two workers and HAProxy: {old}"

    first.kill()  # the manager alone
    second = manager_factory(data_dir=first.data_dir)
    pool = second.wait_settled(1, timeout=90)
    assert pool["desired_size"] == 1

    def old_ones_left():
        current = {int(w["details"]["pid"]) for w in live(second.pool())}
        left = {pid: cmd for pid, cmd in old.items() if pid_alive(pid) and pid not in current}
        return True if not left else Unmet(left)

    wait_for("processes of the crashed run gone (adopted workers excepted)", old_ones_left, timeout=15)
    pool = second.wait_settled(1, timeout=30)
    r = second.lb_get("/healthz")
    assert r.status_code == 200, r.text
    assert r.headers["X-Maskfleet-Worker"] == worker_name(in_service(pool)[0]), r.headers
