"""Start-up with one worker behind HAProxy, and who may use the manager's API
(docs/manager.md: "The first administrator", "JSON API")."""
import pathlib
import re
import stat
import subprocess
import time

import requests

from manager_harness import (ADMIN_PASSWORD, USER_PASSWORD, error_of, in_service, pid_alive, worker_name,
                             worker_url)


def test_starts_with_one_worker_in_service_behind_the_load_balancer(manager):
    pool = manager.wait_settled(1, timeout=60)
    assert pool["load_balancer"]["kind"] == "haproxy"
    assert pool["load_balancer"]["entry_url"] == manager.lb_url
    assert pool["bounds"] == {"min": 1, "max": 8}
    assert pool["cpu_limit"]["mechanism"], pool["cpu_limit"]
    assert pool["cpu_limit"]["allotment_cpus"] > 0, pool["cpu_limit"]

    worker = in_service(pool)[0]
    assert worker["address"] == "127.0.0.1" and worker["port"] > 0, worker
    assert worker["launched_at"] and worker["state_since"], worker
    pid = int(worker["details"]["pid"])
    assert pid_alive(pid), worker
    assert float(worker["details"]["cpu_allotment"]) == pool["cpu_limit"]["allotment_cpus"], worker
    assert worker["balancer"]["healthy"] is True, worker

    # The orphan checks of every test find processes by the data folder in their command
    # line: the worker and HAProxy must be among them.
    processes = dict(manager.leftovers())
    assert pid in processes, f"worker {pid} not found by its data folder among {processes}"
    assert any("haproxy" in cmd for cmd in processes.values()), f"no HAProxy naming the data folder: {processes}"

    # The entry URL answers, from the worker; so does /healthz through HAProxy.
    name = worker_name(worker)
    r = requests.get(pool["load_balancer"]["entry_url"], allow_redirects=False, timeout=30)
    assert r.status_code < 500, f"GET {pool['load_balancer']['entry_url']}: {r.status_code} {r.text[:300]}"
    assert r.headers.get("X-Maskfleet-Worker") == name, r.headers
    r = manager.lb_get("/healthz")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ok" and r.headers["X-Maskfleet-Worker"] == name, (r.headers, r.text)
    # HAProxy checks readiness; the pool watches liveness (docs/manager.md).
    assert manager.lb_get("/readyz").status_code == 200
    # /metrics is the manager's: HAProxy refuses it in JSON, however it is spelled; the
    # manager reads it from the worker directly.
    for path in ("/metrics", "/%6Detrics"):
        r = manager.lb_get(path)
        assert r.status_code == 404, f"{path} through HAProxy: {r.status_code} {r.text[:300]}"
        assert error_of(r).get("reason") == "not_found", r.text
    assert requests.get(worker_url(worker) + "/metrics", timeout=10).status_code == 200

    # The manager's own health, without a session.
    r = requests.get(manager.url + "healthz", timeout=10)
    assert r.status_code == 200 and r.json()["status"] == "ok", r.text


def test_metrics_and_decisions_have_the_documented_shape(manager):
    pool = manager.wait_settled(1, timeout=60)
    before = time.time()
    metrics = manager.metrics(5)
    after = time.time()
    minutes = metrics["minutes"]
    assert len(minutes) == 5, metrics
    assert all(m % 60 == 0 for m in minutes) and all(b - a == 60 for a, b in zip(minutes, minutes[1:])), minutes
    assert minutes[-1] in (int(before) // 60 * 60, int(after) // 60 * 60), "the last minute is the running one"
    assert len(metrics["pool_size"]["in_service"]) == 5 and len(metrics["pool_size"]["starting"]) == 5, metrics
    assert {w["id"] for w in metrics["workers"]} == {w["id"] for w in pool["workers"]}, (metrics, pool)
    for w in metrics["workers"]:
        assert len(w["cpu_percent"]) == 5 and len(w["requests_per_minute"]) == 5, w

    r = manager.api.get("/api/v1/decisions?limit=10")
    assert r.status_code == 200, r.text
    assert isinstance(r.json()["decisions"], list), r.text


def _add_user(manager, name):
    """An ordinary user, made with `maskfleet user add` on the manager's data folder."""
    subprocess.run([str(manager.binary), "user", "add", name, "--data-dir", str(manager.data_dir)],
                   input=USER_PASSWORD + "\n", text=True, env=manager.env, check=True, capture_output=True,
                   timeout=60)


def test_login_rules_and_the_initial_password(manager_factory):
    m = manager_factory(log_in=False)
    # The generated password: in a file only its owner can read, printed once.
    assert m.password_file.exists(), f"no {m.password_file}"
    assert stat.S_IMODE(m.password_file.stat().st_mode) == 0o600, oct(m.password_file.stat().st_mode)
    initial = m.password_file.read_text().strip()
    assert len(initial) >= 8, "the initial password is too short to be a random one"
    assert m.stderr(10**6).count(initial) == 1, "the initial password is printed once to stderr"

    # Without a session: 401.
    anonymous = m.client()
    for path in ("/api/v1/pool", "/api/v1/policy", "/api/v1/metrics", "/api/v1/decisions", "/api/v1/session"):
        r = anonymous.get(path)
        assert r.status_code == 401, f"GET {path} without a session: {r.status_code} {r.text}"
        assert error_of(r).get("reason") == "unauthenticated", r.text

    # A user who is not an administrator: 403 at login, and no session.
    _add_user(m, "bob")
    bob, r = m.login("bob", USER_PASSWORD)
    assert r.status_code == 403, f"login of a non-administrator: {r.status_code} {r.text}"
    assert error_of(r).get("reason") == "permission_denied", r.text
    r = bob.get("/api/v1/session")
    assert r.status_code == 401, f"a refused login kept a session: {r.status_code} {r.text}"

    _, r = m.login("admin", "not-the-password")
    assert r.status_code == 401, r.text

    # The initial password works, but only for the session and password routes.
    admin, r = m.login("admin", initial)
    assert r.status_code == 200, r.text
    assert r.json()["must_change_password"] is True and r.json()["csrf_token"], r.text
    # The manager's own cookie name: a worker's session cookie on the same host (browsers
    # do not separate ports) neither replaces it nor is accepted in its place.
    assert r.headers["Set-Cookie"].startswith("maskfleet_manager_session="), r.headers["Set-Cookie"]
    token = admin.cookies["maskfleet_manager_session"]
    r = requests.get(m.url + "api/v1/session", cookies={"maskfleet_session": token}, timeout=10)
    assert r.status_code == 401, f"the worker's cookie name was accepted: {r.status_code} {r.text}"
    for method, path in (("GET", "/api/v1/pool"), ("GET", "/api/v1/metrics"), ("GET", "/api/v1/policy"),
                         ("POST", "/api/v1/pool/grow"), ("PUT", "/api/v1/pool/size")):
        r = admin.request(method, path, json={"size": 2} if method == "PUT" else None)
        assert r.status_code == 403, f"{method} {path} before the password change: {r.status_code} {r.text}"
        assert error_of(r).get("reason") == "failed_precondition", r.text
        assert "password" in error_of(r).get("message", "").lower(), r.text
    r = admin.get("/api/v1/session")
    assert r.status_code == 200 and r.json()["must_change_password"] is True, r.text

    r = admin.post("/api/v1/password", json={"current_password": initial, "new_password": ADMIN_PASSWORD},
                   headers={"X-CSRF-Token": None})
    assert r.status_code == 403, f"password change without the CSRF header: {r.status_code} {r.text}"
    r = admin.post("/api/v1/password", json={"current_password": "wrong-password", "new_password": ADMIN_PASSWORD})
    assert r.status_code in (400, 401, 403), f"password change with a wrong current one: {r.status_code} {r.text}"
    r = admin.post("/api/v1/password", json={"current_password": initial, "new_password": ADMIN_PASSWORD})
    assert r.status_code == 200, r.text
    assert r.json()["must_change_password"] is False, r.text
    admin.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    assert not m.password_file.exists(), "the initial password file stays after the change"

    r = admin.get("/api/v1/pool")
    assert r.status_code == 200, r.text
    assert r.json()["desired_size"] == 1, "a refused grow changed the pool"

    # CSRF: every POST/PUT/DELETE needs the header, and the right token.
    for headers in ({"X-CSRF-Token": None}, {"X-CSRF-Token": "not-the-token"}):
        r = admin.post("/api/v1/pool/grow", headers=headers)
        assert r.status_code == 403, f"grow with CSRF header {headers}: {r.status_code} {r.text}"
        r = admin.put("/api/v1/pool/size", json={"size": 2}, headers=headers)
        assert r.status_code == 403, f"resize with CSRF header {headers}: {r.status_code} {r.text}"
        r = admin.delete("/api/v1/session", headers=headers)
        assert r.status_code == 403, f"logout with CSRF header {headers}: {r.status_code} {r.text}"
    assert admin.get("/api/v1/pool").json()["desired_size"] == 1

    _, r = m.login("admin", initial)
    assert r.status_code == 401, "the initial password still works after the change"
    again, r = m.login("admin", ADMIN_PASSWORD)
    assert r.status_code == 200 and r.json()["must_change_password"] is False, r.text

    # Logging out ends the session.
    r = admin.delete("/api/v1/session")
    assert r.status_code == 204, r.text
    r = admin.get("/api/v1/pool")
    assert r.status_code == 401, f"after logout: {r.status_code} {r.text}"
    assert again.get("/api/v1/pool").status_code == 200, "logging out one session ended another"


def test_initial_password_must_still_be_changed_after_a_restart(manager_factory):
    first = manager_factory(log_in=False)
    initial = first.password_file.read_text().strip()
    assert first.stop() == 0
    assert not first.leftovers()

    second = manager_factory(data_dir=first.data_dir, log_in=False)
    assert second.password_file.read_text().strip() == initial, "a second password was generated"
    assert initial not in second.stderr(10**6), "the password is printed again on the second start"
    admin, r = second.login("admin", initial)
    assert r.status_code == 200 and r.json()["must_change_password"] is True, r.text
    r = admin.get("/api/v1/pool")
    assert r.status_code == 403 and error_of(r).get("reason") == "failed_precondition", r.text


def test_a_data_folder_too_deep_for_haproxys_socket_still_works(manager_factory, tmp_path):
    # HAProxy's runtime socket must fit a UNIX socket path (95 bytes with its temporary
    # suffix); with a deeper data folder the manager keeps HAProxy's files elsewhere.
    deep = tmp_path / ("d" * 60) / ("e" * 40) / "data"
    deep.parent.mkdir(parents=True)
    manager = manager_factory(data_dir=deep)
    pool = manager.wait_settled(1, timeout=60)
    answer = manager.lb_get("/healthz")
    assert answer.status_code == 200 and answer.headers["X-Maskfleet-Worker"] == worker_name(in_service(pool)[0])
    moved = re.search(r"its files are in (\S+)", manager.stderr())
    assert moved, manager.stderr()
    short = pathlib.Path(moved.group(1))
    assert (short / "haproxy.cfg").exists() and len(str(short / "admin.sock")) <= 95
    assert manager.stop() == 0
    assert not short.exists(), "HAProxy's short folder is left behind"
