"""The fault suite (docs/reliability.md): a real manager, its workers behind HAProxy,
load through HAProxy, one fault per case.

Every case asserts the target: no upload answered 2xx is lost, no request is answered
500, stored photos and rows match, and the service recovers. Where a known defect still
stands between the system and a target, the assertion goes through `target()` with the
defect's key in AWAITING_FIX: the case then reports an expected failure (xfail) naming
the defect instead of failing, and passes once the defect is fixed. Removing a key from
AWAITING_FIX makes its assertions strict again.
"""
import os
import signal
import socket
import sqlite3
import subprocess
import threading
import time

import pytest
import requests

from fault_harness import (FAST_ORPHAN_SWEEP_ENV, LONG, HealthProbe, Load, Report, check_consistency, fill_disk,
                           haproxy_pids, mount_tmpfs, recovery_seconds, summarise, umount,
                           wait_orphans_swept, wait_uploads_ok)
from manager_harness import USER_PASSWORD, Client, free_port, in_service, settled, wait_for, worker_url

# Defects whose fix the targets below wait for (defect key: reason); a case whose target
# fails for one of them is an expected failure with this reason. None is known now.
AWAITING_FIX = {}

# A request is slow for a user past this (seconds), in the burst cases.
SERVED_WITHIN_S = 5.0


class Expected:
    """Collects the targets a case missed because of a defect in AWAITING_FIX, so that
    the case checks everything else before it reports them as an expected failure."""

    def __init__(self):
        self.missed = []

    def target(self, defect, condition, message):
        if condition:
            return
        if defect in AWAITING_FIX:
            self.missed.append(f"[{defect}: {AWAITING_FIX[defect]}] {message}")
            return
        raise AssertionError(message)

    def done(self):
        if self.missed:
            pytest.xfail("; ".join(self.missed))


def seconds(short, long):
    return long if LONG else short


def register_users(manager, tag, count):
    users = [f"{tag}{i}" for i in range(count)]
    for user in users:
        manager.register(user)
    return users


def assert_no_loss(outcomes, consistency, allow_stored_but_failed=True):
    """The targets every case shares. A case that kills a worker waits for the manager
    to sweep the objects of an upload killed before its row (wait_orphans_swept) first."""
    counts = summarise(outcomes)
    assert counts["500"] == 0, f"requests answered 500: {counts}"
    assert not consistency.lost, f"uploads answered 2xx but not stored: {consistency.lost[:10]}"
    assert not consistency.duplicates, f"uploads stored twice: {consistency.duplicates[:10]}"
    assert not consistency.rows_without_files, f"rows without their files: {consistency.rows_without_files[:10]}"
    assert not consistency.files_without_rows, f"files without their row: {consistency.files_without_rows[:10]}"
    assert not consistency.unreadable, f"2xx uploads the API does not give back: {consistency.unreadable[:10]}"
    if not allow_stored_but_failed:
        assert not consistency.stored_but_failed, \
            f"stored though the client saw a failure: {consistency.stored_but_failed[:10]}"


def worker_pids(pool):
    return [int(w["details"]["pid"]) for w in in_service(pool)]


def wait_lb_answers(manager, timeout):
    def answers():
        try:
            return manager.lb_get("/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False
    wait_for("the load balancer answers /healthz", answers, timeout, interval=0.1)


def finish(managers, manager):
    """Stops `manager` now (before any file system under it is unmounted) and fails on
    what it left behind."""
    managers.started.remove(manager)
    problems = manager.close()
    assert not problems, "\n".join(problems)


# ----------------------------------------------------------------------------- cases

def test_worker_kill_under_load(managers, photo):
    manager = managers.start(extra_env=FAST_ORPHAN_SWEEP_ENV)
    manager.resize(2)
    pool = manager.wait_settled(2, timeout=120)
    users = register_users(manager, "wk", 4)
    load = Load(manager.lb_url, users, photo, clients=seconds(4, 8), tag="wk").start()
    wait_uploads_ok(load, 3, 120)
    fault_at = time.monotonic()
    os.kill(worker_pids(pool)[0], signal.SIGKILL)
    manager.wait_pool("a replacement in service", lambda p: settled(p, 2), timeout=120)
    time.sleep(seconds(3, 20))
    outcomes = load.stop()
    swept_in = wait_orphans_swept(manager.data_dir)
    consistency = check_consistency(manager.data_dir, outcomes, manager.lb_url, photo)
    recovery = recovery_seconds(outcomes, fault_at)
    Report("worker kill -9", "one of 2 workers killed under load", summarise(outcomes), recovery,
           consistency.summary(), notes=f"objects without a row swept {swept_in} s after the load").write()
    # Requests in flight on the killed worker may fail (HAProxy cannot replay a POST);
    # nothing answered 2xx may be lost.
    assert_no_loss(outcomes, consistency)
    assert recovery is not None and recovery < 30, f"clients saw failures for {recovery} s"


def test_haproxy_kill(managers, photo):
    manager = managers.start()
    manager.wait_settled(1, timeout=120)
    users = register_users(manager, "hk", 2)
    load = Load(manager.lb_url, users, photo, clients=seconds(2, 4), tag="hk", pause=0.05).start()
    wait_uploads_ok(load, 3, 120)
    pids = haproxy_pids(manager.data_dir)
    assert pids, "no HAProxy process found"
    fault_at = time.monotonic()
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    try:
        wait_lb_answers(manager, 60)
        recovered = True
    except AssertionError:
        recovered = False
    time.sleep(seconds(3, 10))
    outcomes = load.stop()
    recovery = recovery_seconds(outcomes, fault_at)
    consistency = check_consistency(manager.data_dir, outcomes, manager.lb_url, photo) if recovered else None
    Report("HAProxy kill -9", "the load balancer killed under load", summarise(outcomes), recovery,
           consistency.summary() if consistency else None,
           notes="" if recovered else "HAProxy not restarted within 60 s").write()
    assert recovered, "HAProxy was not back within 60 s"
    assert_no_loss(outcomes, consistency)


def test_manager_kill_and_restart(managers, photo):
    port, lb_port = free_port(), free_port()
    manager = managers.start(port=port, lb_port=lb_port, extra_env=FAST_ORPHAN_SWEEP_ENV)
    manager.wait_settled(1, timeout=120)
    users = register_users(manager, "mk", 2)
    load = Load(manager.lb_url, users, photo, clients=2, tag="mk", timeout=30, pause=0.05).start()
    wait_uploads_ok(load, 3, 120)
    haproxy_before = set(haproxy_pids(manager.data_dir))
    fault_at = time.monotonic()
    manager.kill()
    managers.started.remove(manager)
    time.sleep(seconds(2, 10))
    restarted_at = time.monotonic()
    restarted = managers.start(data_dir=manager.data_dir, port=port, lb_port=lb_port,
                               extra_env=FAST_ORPHAN_SWEEP_ENV)
    restarted.wait_settled(1, timeout=120)
    haproxy_after = set(haproxy_pids(restarted.data_dir))
    wait_uploads_ok(load, load.count_ok() + 3, 120)
    outcomes = load.stop()
    wait_orphans_swept(restarted.data_dir)
    recovery = recovery_seconds(outcomes, fault_at)
    away = [o for o in outcomes if fault_at <= o.started < restarted_at]
    consistency = check_consistency(restarted.data_dir, outcomes, restarted.lb_url, photo)
    Report("manager kill -9 and restart", "the manager killed, restarted after "
           f"{seconds(2, 10)} s on the same data folder and ports", summarise(outcomes), recovery,
           consistency.summary(), notes=f"while no manager ran: uploads {summarise(away)}; HAProxy "
                                        f"{'adopted' if haproxy_after == haproxy_before else 'replaced'}").write()
    expected = Expected()
    assert_no_loss(outcomes, consistency)
    # Target: the workers and HAProxy outlive the manager, so uploads go on while it is
    # away, and the restarted manager adopts them.
    expected.target("manager-spof", away and all(o.ok for o in away),
                    f"uploads while no manager ran: {summarise(away)}")
    expected.target("manager-spof", recovery is not None and recovery < 1.0,
                    f"uploads failed for {recovery} s while the manager was away")
    expected.target("manager-spof", haproxy_after == haproxy_before,
                    f"HAProxy {haproxy_before} before the kill, {haproxy_after} after the restart")
    expected.done()


def test_manager_sigterm_under_load(managers, photo):
    manager = managers.start()
    manager.resize(2)
    manager.wait_settled(2, timeout=120)
    users = register_users(manager, "mt", 2)
    load = Load(manager.lb_url, users, photo, clients=seconds(4, 8), tag="mt", timeout=30).start()
    wait_uploads_ok(load, 3, 120)
    status = manager.stop(signal.SIGTERM, timeout=60)
    time.sleep(1)
    outcomes = load.stop()
    managers.started.remove(manager)
    problems = manager.close()
    # Read back through a manager started again on the same folder.
    again = managers.start(data_dir=manager.data_dir)
    again.wait_settled(1, timeout=120)
    consistency = check_consistency(again.data_dir, outcomes, again.lb_url, photo)
    Report("manager SIGTERM under load", "the manager stopped (drain, then stop) under load",
           summarise(outcomes), None, consistency.summary(),
           notes=f"exit status {status}").write()
    assert status == 0, f"manager exit status {status}"
    assert not problems, problems
    # A stop may refuse new connections; what it accepted it must finish or answer.
    assert_no_loss(outcomes, consistency, allow_stored_but_failed=False)


@pytest.fixture
def tmpfs(tmp_path):
    mounted = []

    def make(name, size_mb):
        path = tmp_path / name
        if not mount_tmpfs(path, size_mb):
            pytest.skip("cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)")
        mounted.append(path)
        return path
    yield make
    for path in reversed(mounted):
        umount(path)


def test_disk_full(managers, photo, tmpfs):
    data_dir = tmpfs("disk", 96) / "data"
    manager = managers.start(data_dir=data_dir)
    manager.wait_settled(1, timeout=120)
    users = register_users(manager, "df", 2)
    load = Load(manager.lb_url, users, photo, clients=2, tag="df", pause=0.1).start()
    wait_uploads_ok(load, 2, 120)
    filler = fill_disk(data_dir.parent)
    fault_at = time.monotonic()
    time.sleep(seconds(4, 15))
    expected = Expected()
    # Other calls that write, while the disk is full.
    register = requests.post(manager.lb("/api/register"), data={"username": "dfnew", "password": USER_PASSWORD},
                             timeout=30)
    login = Client(manager.lb_url).post("/api/v1/session", json={"username": users[0], "password": USER_PASSWORD})
    worker = in_service(manager.pool())[0]
    ready = requests.get(worker_url(worker) + "/readyz", timeout=5)
    during = [o for o in load.outcomes if o.started >= fault_at + 1]
    filler.unlink()
    freed_at = time.monotonic()
    wait_uploads_ok(load, load.count_ok() + 3, 120)
    outcomes = load.stop()
    consistency = check_consistency(data_dir, outcomes, manager.lb_url, photo)
    recovery = recovery_seconds(outcomes, freed_at)
    Report("disk full", "the data folder's file system full (tmpfs), then freed", summarise(outcomes),
           recovery, consistency.summary(),
           notes=f"during: uploads {summarise(during)}; register {register.status_code}, "
                 f"login {login.status_code}, worker /readyz {ready.status_code}").write()
    finish(managers, manager)
    assert_no_loss(outcomes, consistency)
    assert all(o.status == 503 for o in during if not o.ok), \
        f"uploads on a full disk must answer 503: {summarise(during)}"
    expected.target("signals", register.status_code == 503 and login.status_code in (200, 503),
                    f"register answered {register.status_code}, login {login.status_code} on a full disk")
    expected.target("signals", ready.status_code == 503,
                    f"a worker that cannot store answers /readyz {ready.status_code}")
    expected.done()


def test_database_locked(managers, photo):
    manager = managers.start()
    manager.wait_settled(1, timeout=120)
    users = register_users(manager, "dl", 2)
    load = Load(manager.lb_url, users, photo, clients=2, tag="dl", timeout=60, pause=0.05).start()
    wait_uploads_ok(load, 3, 120)
    db = sqlite3.connect(manager.data_dir / "maskfleet.db", timeout=30, isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    fault_at = time.monotonic()
    time.sleep(seconds(5, 20))
    db.execute("ROLLBACK")
    db.close()
    released_at = time.monotonic()
    wait_uploads_ok(load, load.count_ok() + 3, 120)
    outcomes = load.stop()
    consistency = check_consistency(manager.data_dir, outcomes, manager.lb_url, photo)
    recovery = recovery_seconds(outcomes, fault_at)
    Report("database locked", f"an exclusive lock held on the SQLite file for {seconds(5, 20)} s",
           summarise(outcomes), recovery, consistency.summary(),
           notes=f"recovered {round(released_at - fault_at, 1)} s after the lock was taken").write()
    assert_no_loss(outcomes, consistency)
    failures = {o.status for o in outcomes if not o.ok}
    assert failures <= {503}, f"a locked database must answer 503 (retry), not {failures}"


def test_database_read_only(managers, photo, tmpfs):
    db_dir = tmpfs("db", 64)
    manager = managers.start(extra_env={"MASKFLEET_DATABASE_URL": f"sqlite:{db_dir}/maskfleet.db",
                                        **FAST_ORPHAN_SWEEP_ENV})
    manager.resize(1)
    manager.wait_settled(1, timeout=120)
    users = register_users(manager, "ro", 2)
    load = Load(manager.lb_url, users, photo, clients=2, tag="ro", timeout=30, pause=0.1).start()
    wait_uploads_ok(load, 3, 120)
    # The folder read-only under the running system (a bind mount of it made read-only),
    # and the workers restarted so that they open the database through it.
    subprocess.run(["mount", "--bind", str(db_dir), str(db_dir)], check=True)
    subprocess.run(["mount", "-o", "remount,bind,ro", str(db_dir)], check=True)
    fault_at = time.monotonic()
    expected = Expected()
    try:
        for pid in worker_pids(manager.pool()):
            os.kill(pid, signal.SIGKILL)
        time.sleep(seconds(8, 20))
        worker = next(iter(in_service(manager.pool())), None)
        ready = requests.get(worker_url(worker) + "/readyz", timeout=5).status_code if worker else None
        during = [o for o in load.outcomes if o.started >= fault_at + 2]
    finally:
        umount(db_dir)
    for pid in worker_pids(manager.pool()):
        os.kill(pid, signal.SIGKILL)
    manager.wait_settled(1, timeout=120)
    wait_uploads_ok(load, load.count_ok() + 3, 120)
    outcomes = load.stop()
    wait_orphans_swept(manager.data_dir, db_path=db_dir / "maskfleet.db")
    consistency = check_consistency(manager.data_dir, outcomes, manager.lb_url, photo,
                                    db_path=db_dir / "maskfleet.db")
    Report("database read-only", "the database's folder made read-only, workers restarted onto it",
           summarise(outcomes), recovery_seconds(outcomes, fault_at), consistency.summary(),
           notes=f"during: {summarise(during)}; worker /readyz {ready}").write()
    finish(managers, manager)
    assert not consistency.lost and not consistency.rows_without_files and not consistency.duplicates, \
        consistency.summary()
    assert not consistency.files_without_rows, f"files without their row: {consistency.files_without_rows[:10]}"
    expected.target("signals", all(o.status in (0, 503) for o in during if not o.ok),
                    f"uploads on a read-only database must answer 503: {summarise(during)}")
    expected.target("signals", ready in (None, 503),
                    f"a worker that cannot store answers /readyz {ready}")
    expected.done()


def test_overload_64_clients_on_one_worker(managers, photo):
    manager = managers.start()
    manager.wait_settled(1, timeout=120)
    users = register_users(manager, "ov", 4)
    # Clients that give up after 20 s, as people and scripts do.
    load = Load(manager.lb_url, users, photo, clients=64, tag="ov", timeout=20).start()
    time.sleep(seconds(10, 30))
    outcomes = load.stop(timeout=60)
    ended_at = time.monotonic()

    def back_in_service():
        pool = manager.pool()
        return settled(pool, 1) and manager.lb_get("/healthz", timeout=2).status_code == 200
    wait_for("the worker back in service", back_in_service, timeout=180, interval=0.2)
    back_after = round(time.monotonic() - ended_at, 1)
    # Work the worker still finishes for clients that left lands in the store now.
    time.sleep(2)
    consistency = check_consistency(manager.data_dir, outcomes, manager.lb_url, photo)
    Report("overload", "64 clients (20 s timeout) on one worker", summarise(outcomes), back_after,
           consistency.summary(), notes=f"worker back in service {back_after} s after the load").write()
    assert_no_loss(outcomes, consistency)
    expected = Expected()
    expected.target("abandoned-work", back_after < 5,
                    f"the worker was back in service {back_after} s after the load ended")
    expected.target("abandoned-work", not consistency.stored_but_failed,
                    f"{len(consistency.stored_but_failed)} uploads stored that their clients saw fail")
    expected.done()


def _victim_uploads(manager, user, photo, stop, times):
    """One user's uploads, one after the other, while a burst goes on: their durations."""
    session = requests.Session()
    while not stop.is_set():
        started = time.monotonic()
        try:
            status = session.post(manager.lb("/api/upload"), data={"username": user, "password": USER_PASSWORD},
                                  files={"file": ("victim.png", photo, "image/png")}, timeout=60).status_code
        except requests.RequestException:
            status = 0
        times.append((time.monotonic() - started, status))
        stop.wait(0.2)


def test_hashing_burst(managers, photo):
    manager = managers.start()
    manager.resize(2)
    pool = manager.wait_settled(2, timeout=120)
    [victim] = register_users(manager, "hb", 1)
    health = HealthProbe([worker_url(w) for w in in_service(pool)]).start()
    stop, victim_times = threading.Event(), []
    victim_thread = threading.Thread(target=_victim_uploads, args=(manager, victim, photo, stop, victim_times))
    victim_thread.start()
    # 40 concurrent uploads with a wrong password, for names that need no account, from
    # another address than the other user's (127.0.0.2: HAProxy forwards it).
    burst = Load(manager.lb_url, [f"nobody{i}" for i in range(40)], photo, clients=40, tag="hb",
                 password="wrong-password-1", timeout=30, source_address="127.0.0.2").start()
    time.sleep(seconds(8, 30))
    outcomes = burst.stop()
    stop.set()
    victim_thread.join(90)
    health.stop()
    counts = summarise(outcomes)
    slowest_victim = max((t for t, _ in victim_times), default=None)
    Report("hashing burst", "40 concurrent wrong-password uploads on 2 workers", counts, None, None,
           health.slowest_ms(), notes=f"victim uploads {len(victim_times)}, slowest "
                                      f"{round(slowest_victim or 0, 2)} s, statuses "
                                      f"{sorted({s for _, s in victim_times})}").write()
    assert counts["500"] == 0, counts
    assert counts["2xx"] == 0, f"a wrong password was accepted: {counts}"
    expected = Expected()
    expected.target("hashing", health.slowest_ms() < 100, f"/healthz took up to {health.slowest_ms()} ms")
    expected.target("hashing", victim_times and all(s == 200 for _, s in victim_times)
                    and slowest_victim < SERVED_WITHIN_S,
                    f"another user's uploads: {victim_times}")
    expected.done()


class TrickleServer:
    """An HTTP server on loopback that answers every request one byte per second (a
    valid answer, if anyone waited for all of it)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        self.sock.settimeout(0.5)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn):
        answer = b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 100000\r\n\r\n" + b"\0" * 100000
        try:
            conn.recv(65536)
            for i in range(len(answer)):
                if self.stop.is_set():
                    break
                conn.sendall(answer[i:i + 1])
                time.sleep(1)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.stop.set()
        self.sock.close()


def test_slow_url_uploads(managers, photo):
    manager = managers.start(extra_env={"MASKFLEET_WORKER_ALLOW_PRIVATE_URLS": "true"})
    manager.wait_settled(1, timeout=120)
    users = register_users(manager, "su", 2)
    server = TrickleServer()
    pool = manager.pool()
    health = HealthProbe([worker_url(w) for w in in_service(pool)]).start()
    slow = manager.user_client(users[0])
    url = f"http://127.0.0.1:{server.port}/photo.png"
    results = []

    def fetch():
        try:
            results.append(slow.post("/api/v1/images", json={"url": url}, timeout=60).status_code)
        except requests.RequestException:
            results.append(0)
    threads = [threading.Thread(target=fetch) for _ in range(30)]
    for t in threads:
        t.start()
    time.sleep(1)
    stop, victim_times = threading.Event(), []
    victim_thread = threading.Thread(target=_victim_uploads, args=(manager, users[1], photo, stop, victim_times))
    victim_thread.start()
    time.sleep(seconds(8, 25))
    stop.set()
    victim_thread.join(90)
    health.stop()
    server.close()
    for t in threads:
        t.join(90)
    slowest_victim = max((t for t, _ in victim_times), default=None)
    counts = {"sent": len(results), "2xx": sum(200 <= s < 300 for s in results),
              "4xx": sum(400 <= s < 500 for s in results), "5xx": sum(s >= 500 for s in results),
              "500": sum(s == 500 for s in results), "conn_errors": sum(s == 0 for s in results)}
    Report("slow URL uploads", "30 concurrent URL uploads from a 1 byte/s server", counts, None, None,
           health.slowest_ms(), notes=f"other user's uploads {len(victim_times)}, slowest "
                                      f"{round(slowest_victim or 0, 2)} s").write()
    assert counts["500"] == 0, counts
    expected = Expected()
    expected.target("slow-url", health.slowest_ms() < 100, f"/healthz took up to {health.slowest_ms()} ms")
    expected.target("slow-url", victim_times and all(s == 200 for _, s in victim_times)
                    and slowest_victim < SERVED_WITHIN_S, f"another user's uploads: {victim_times}")
    expected.done()


@pytest.mark.skipif(not LONG, reason="the soak runs in the long form only (scripts/faults.sh)")
def test_soak_10000_uploads(managers, photo):
    manager = managers.start()
    manager.resize(2)
    manager.wait_settled(2, timeout=120)
    users = register_users(manager, "sk", 8)
    total = int(os.environ.get("MASKFLEET_FAULTS_SOAK_UPLOADS", "10000"))
    started = time.monotonic()
    load = Load(manager.lb_url, users, photo, clients=8, tag="sk", max_requests=total).start()
    outcomes = load.wait(timeout=4 * 3600)
    elapsed = round(time.monotonic() - started)
    consistency = check_consistency(manager.data_dir, outcomes, manager.lb_url, photo, read_back=200)
    Report("soak", f"{total} uploads, 8 clients, 2 workers", summarise(outcomes), None, consistency.summary(),
           notes=f"{elapsed} s").write()
    assert len(outcomes) == total
    assert_no_loss(outcomes, consistency, allow_stored_but_failed=False)
