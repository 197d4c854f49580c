"""An overload through HAProxy whose clients give up: the worker drops the work nobody
waits for and is back in service at once (docs/operations.md, "Clients who leave")."""
import collections
import concurrent.futures
import threading
import time

import pytest
import requests

from conftest import manager_environment
from manager_harness import ManagerFactory, in_service, upload, wait_for

CLIENTS = 64
CLIENT_TIMEOUT_S = 1.0
CATEGORIES = ("no_faces", "all_masked", "none_masked", "some_masked")


def stored(client):
    return sum(client.get("/api/v1/images", params={"category": c}).json()["total"] for c in CATEGORIES)


def test_work_of_clients_who_left_is_dropped_and_the_worker_stays_in_service(manager, photo):
    manager.wait_settled(1, timeout=90)
    manager.register("crowd")
    client = manager.user_client("crowd")
    # The first upload verifies the password; the burst's hit the cache.
    assert upload(requests, manager.lb_url, "crowd", photo).status_code == 200
    before = stored(client)

    def impatient(_):
        try:
            return upload(requests, manager.lb_url, "crowd", photo, timeout=CLIENT_TIMEOUT_S).status_code
        except requests.RequestException:
            return "gave up"

    with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(impatient, range(CLIENTS)))
    ended = time.monotonic()
    answered_ok = answers.count(200)

    # The worker is back: it answers through HAProxy quickly, and stays in service.
    quick = []

    def quick_upload():
        try:
            ok = upload(requests, manager.lb_url, "crowd", photo, timeout=5).status_code == 200
        except requests.RequestException:
            return False
        quick.append(ok)
        return ok
    wait_for("an upload answered within 5 s", quick_upload, timeout=90, interval=0.2)
    back = time.monotonic() - ended
    pool = manager.pool()
    assert len(in_service(pool)) == 1 and in_service(pool)[0]["balancer"]["state"] == "up", pool

    time.sleep(2)  # anything still running would be stored by now
    extra = stored(client) - before - answered_ok - quick.count(True)
    print(f"\n{CLIENTS} clients giving up after {CLIENT_TIMEOUT_S} s: {answered_ok} answered 200, "
          f"{answers.count('gave up')} gave up, {sum(1 for a in answers if a == 503)} got 503; "
          f"stored for clients who saw a failure: {extra}; worker answering again {back:.1f} s after")
    # At most the analyses running when their clients left (the local pool's workers run
    # one at a time) finish and are stored; none of those waiting.
    assert 0 <= extra <= 2, answers
    assert back < 15


@pytest.fixture
def real_cost_manager(maskfleet_bin, model_dir, tmp_path_factory):
    """A manager whose workers check passwords with the real Argon2id cost."""
    env = {**manager_environment(model_dir), "MASKFLEET_AUTH_PASSWORD_HASHING": "interactive"}
    factory = ManagerFactory(maskfleet_bin, env, tmp_path_factory)
    yield factory()
    problems = factory.close()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def test_a_burst_of_wrong_passwords_takes_no_worker_out_of_haproxy(real_cost_manager, photo):
    """40 concurrent /api/upload calls with wrong passwords, no account needed, against a
    pool of two workers: both stay up in HAProxy, and another user's uploads go on."""
    manager = real_cost_manager
    manager.resize(2)
    manager.wait_settled(2, timeout=120)
    manager.register("steady")
    assert upload(requests, manager.lb_url, "steady", photo).status_code == 200  # cached from now on

    states, uploads, stop = [], [], threading.Event()

    def watch_balancer():
        while not stop.is_set():
            pool = manager.pool()
            states.append((time.monotonic(),
                           sorted(w["balancer"]["state"] if w["balancer"] else "none" for w in in_service(pool))))
            stop.wait(0.1)

    def steady_uploads():
        while not stop.is_set():
            start = time.monotonic()
            try:
                status = upload(requests, manager.lb_url, "steady", photo, timeout=30).status_code
            except requests.RequestException as e:
                status = type(e).__name__
            uploads.append((time.monotonic() - start, status))

    def wrong(i):
        try:
            return upload(requests, manager.lb_url, f"nobody{i}", photo, password=f"wrong-password-{i}",
                          timeout=60).status_code
        except requests.RequestException as e:
            return type(e).__name__

    watchers = [threading.Thread(target=watch_balancer), threading.Thread(target=steady_uploads)]
    for t in watchers:
        t.start()
    time.sleep(0.5)
    with concurrent.futures.ThreadPoolExecutor(40) as pool:
        answers = list(pool.map(wrong, range(40)))
    time.sleep(3)  # two check intervals: a worker failing its checks would be down by now
    stop.set()
    for t in watchers:
        t.join(timeout=60)
    down = sum(1 for _, s in states if s != ["up", "up"])
    # Seconds with a worker out of HAProxy: from each poll that saw it to the next poll.
    down_s = sum(b[0] - a[0] for a, b in zip(states, states[1:]) if a[1] != ["up", "up"])
    print(f"\n40 wrong-password uploads through HAProxy, 2 workers: answers "
          f"{sorted(collections.Counter(map(str, answers)).items())}; pool polls with a worker not up: "
          f"{down} of {len(states)} (about {down_s:.1f} s); other user's uploads {len(uploads)}, slowest "
          f"{max(s for s, _ in uploads):.2f} s, statuses {sorted({str(c) for _, c in uploads})}")
    assert set(answers) <= {401, 429, 503}, answers
    assert down == 0, states
    assert uploads and all(c == 200 for _, c in uploads), uploads
