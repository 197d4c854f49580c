"""Growing, shrinking and repairing the pool behind HAProxy (docs/manager.md, "Pool")."""
import collections
import os
import signal
import threading
import time

import requests

from manager_harness import (Unmet, error_of, in_service, live, pid_alive, settled, upload, wait_for,
                             worker_name)


def _by_id(pool, worker_id):
    return next((w for w in pool["workers"] if w["id"] == worker_id), None)


def _names_through_lb(manager, count):
    """X-Maskfleet-Worker of `count` GET /healthz through HAProxy, each on a new
    connection; fails on any answer but 200."""
    names = collections.Counter()
    for _ in range(count):
        r = manager.lb_get("/healthz")
        assert r.status_code == 200, f"GET /healthz through the LB: {r.status_code} {r.text}"
        names[r.headers.get("X-Maskfleet-Worker")] += 1
    return names


def test_grow_to_three_and_requests_reach_all_three(manager):
    manager.wait_settled(1)
    r = manager.api.post("/api/v1/pool/grow")
    assert r.status_code == 202 and r.json()["desired_size"] == 2, r.text
    manager.resize(3)
    seen_states = set()

    def three_in_service():
        pool = manager.pool()
        seen_states.update((w["id"], w["state"]) for w in pool["workers"])
        return pool if settled(pool, 3) else Unmet(pool)

    pool = wait_for("3 workers in service, balancer up", three_in_service, timeout=90, interval=0.2)
    workers = in_service(pool)
    for w in workers[1:]:
        assert (w["id"], "starting") in seen_states, f"{w['id']} was never listed as starting: {seen_states}"
        assert w["launched_at"] <= w["state_since"], w
    assert len({w["port"] for w in workers}) == 3 and len({w["details"]["pid"] for w in workers}) == 3, workers
    names = {worker_name(w) for w in workers}
    assert len(names) == 3, names

    seen = _names_through_lb(manager, 30)
    assert set(seen) == names, f"requests through the LB reached {dict(seen)}, the workers are {names}"


def test_pool_size_bounds(manager):
    manager.wait_settled(1)
    r = manager.api.post("/api/v1/pool/shrink")
    assert r.status_code == 409, f"shrink at the minimum: {r.status_code} {r.text}"
    assert error_of(r).get("reason") == "failed_precondition", r.text
    for body in ({"size": 0}, {"size": 9}, {"size": -1}, {"size": "two"}, {}):
        r = manager.api.put("/api/v1/pool/size", json=body)
        assert r.status_code == 400, f"PUT /api/v1/pool/size {body}: {r.status_code} {r.text}"
    assert manager.pool()["desired_size"] == 1

    manager.resize(8)
    r = manager.api.post("/api/v1/pool/grow")
    assert r.status_code == 409, f"grow at the maximum: {r.status_code} {r.text}"
    assert error_of(r).get("reason") == "failed_precondition", r.text
    manager.resize(1)
    manager.wait_settled(1, timeout=120)


def test_shrink_while_a_load_runs_fails_no_request(manager, photo):
    manager.resize(3)
    pool = manager.wait_settled(3, timeout=90)
    three = {w["id"]: w for w in in_service(pool)}
    manager.register("loader")
    reader = manager.user_client("loader")

    results = []  # (what, status or exception, worker, time)
    stop = threading.Event()

    def uploads():
        with requests.Session() as s:
            while not stop.is_set():
                try:
                    r = upload(s, manager.lb_url, "loader", photo)
                    results.append(("upload", r.status_code, r.headers.get("X-Maskfleet-Worker"), time.time()))
                except requests.RequestException as e:
                    results.append(("upload", repr(e), None, time.time()))

    def reads():
        while not stop.is_set():
            try:
                r = reader.get("/api/v1/images?category=some_masked&page_size=5")
                results.append(("read", r.status_code, r.headers.get("X-Maskfleet-Worker"), time.time()))
            except requests.RequestException as e:
                results.append(("read", repr(e), None, time.time()))

    threads = [threading.Thread(target=uploads) for _ in range(3)] + [threading.Thread(target=reads)]
    start = time.time()
    for t in threads:
        t.start()
    try:
        time.sleep(5)
        shrunk_at = time.time()
        manager.resize(1)
        time.sleep(max(0, start + 15 - time.time()))
    finally:
        stop.set()
        for t in threads:
            t.join()

    failed = [r for r in results if r[1] not in (200, 201)]
    assert not failed, f"{len(failed)} of {len(results)} requests failed during the shrink: {failed[:10]}"
    uploads_done = [r for r in results if r[0] == "upload"]
    assert len(uploads_done) >= 10, f"the load did not run: {len(uploads_done)} uploads"
    before = {r[2] for r in results if r[3] < shrunk_at}
    assert len(before) >= 2, f"before the shrink the load reached only {before}"

    pool = manager.wait_settled(1, timeout=60)
    kept = in_service(pool)[0]["id"]
    assert kept in three, pool
    for worker_id, worker in three.items():
        if worker_id == kept:
            continue
        now = _by_id(pool, worker_id)
        assert now and now["state"] == "stopped" and now["balancer"] is None, \
            f"drained worker {worker_id} should be stopped and out of the balancer: {now}"
        assert not pid_alive(int(worker["details"]["pid"])), f"drained worker {worker_id} still runs"


def test_killed_worker_is_replaced_and_gets_no_request(manager):
    manager.resize(2)
    pool = manager.wait_settled(2, timeout=90)
    victim = in_service(pool)[0]
    victim_name = worker_name(victim)
    os.kill(int(victim["details"]["pid"]), signal.SIGKILL)

    def victim_failed(p):
        w = _by_id(p, victim["id"])
        return w is not None and w["state"] == "failed" and w["balancer"] is None

    manager.wait_pool(f"{victim['id']} failed and out of the balancer", victim_failed, timeout=30)
    pool = manager.wait_pool("a replacement in service",
                             lambda p: settled(p, 2) and victim["id"] not in {w["id"] for w in live(p)},
                             timeout=90)
    assert victim_failed(pool), _by_id(pool, victim["id"])
    names = {worker_name(w) for w in in_service(pool)}
    assert victim_name not in names

    seen = _names_through_lb(manager, 50)
    assert victim_name not in seen, f"the killed worker {victim_name} answered: {dict(seen)}"
    assert set(seen) <= names, f"answers from {dict(seen)}, the workers in service are {names}"
