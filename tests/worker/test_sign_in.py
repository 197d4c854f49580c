"""Accounts on a pool: one account per name whatever its case, sign-in delays counted in
the database (every worker sees them), the owner not locked out, and password-reset
requests throttled and answered alike (docs/api.md, "User names, sign-in delays and
password resets").

Two workers on one database, trusting X-Forwarded-For as behind HAProxy, so that each
request can come from the address the test names.
"""
import time

import pytest
import requests

from test_testing_api import assert_failure, register, upload


@pytest.fixture(scope="module")
def pool(worker_factory):
    first = worker_factory(worker_trust_forwarded_for="true", worker_public_url="https://masks.example")
    return first, worker_factory.sibling(first)


def log_in(worker, username, password, address):
    return requests.post(f"{worker.url}/api/v1/session", json={"username": username, "password": password},
                         headers={"X-Forwarded-For": address}, timeout=30)


def test_a_name_is_one_account_whatever_its_case(pool, photos):
    first, second = pool
    assert register(first, "Carla", "carla-password").status_code == 200
    for variant in ("carla", "CARLA", "cArLa"):
        assert_failure(register(second, variant, "other-password"), 409)
    r = log_in(second, "CARLA", "carla-password", "192.0.2.1")
    assert r.status_code == 200, r.text
    assert r.json()["user"]["username"] == "Carla"
    r = upload(first, "carla", "carla-password", "a.png", photos["all_masked"].read_bytes())
    assert r.status_code == 200, r.text


def test_failures_count_on_every_worker_and_the_owner_still_gets_in(pool, photos):
    first, second = pool
    assert register(first, "dora", "dora-password").status_code == 200
    assert log_in(first, "dora", "dora-password", "198.51.100.7").status_code == 200  # her address
    # Ten wrong guesses from elsewhere, spread over both workers (each alone saw five).
    for i in range(10):
        r = log_in((first, second)[i % 2], "dora", "wrong-password", "203.0.113.5")
        assert r.status_code == 401, (i, r.text)
    # An address that never signed in waits, on either worker, even with the right password.
    for worker in pool:
        r = log_in(worker, "dora", "dora-password", "203.0.113.77")
        assert r.status_code == 429, r.text
        assert r.json()["error"]["reason"] == "resource_exhausted"
        assert int(r.headers["Retry-After"]) >= 1
    r = requests.post(f"{first.url}/api/upload", data={"username": "dora", "password": "dora-password"},
                      files={"file": ("a.png", photos["all_masked"].read_bytes())},
                      headers={"X-Forwarded-For": "203.0.113.77"}, timeout=60)
    assert_failure(r, 429)
    # Dora at her own address is not held up.
    assert log_in(second, "dora", "dora-password", "198.51.100.7").status_code == 200
    r = requests.post(f"{second.url}/api/upload", data={"username": "dora", "password": "dora-password"},
                      files={"file": ("a.png", photos["all_masked"].read_bytes())},
                      headers={"X-Forwarded-For": "198.51.100.7"}, timeout=60)
    assert r.status_code == 200, r.text
    # The wait grows: 1 s after the 10th failure; then a failure doubles it.
    time.sleep(1.1)
    assert log_in(first, "dora", "wrong-password", "203.0.113.5").status_code == 401
    r = log_in(second, "dora", "dora-password", "203.0.113.77")
    assert r.status_code == 429 and r.headers["Retry-After"] == "2", (r.status_code, r.headers)


def test_reset_requests_are_throttled_and_answered_alike(pool):
    first, second = pool
    answers = []
    for name in ("admin", "nobody-here"):  # admin has an email address
        for i in range(3):
            r = requests.post(f"{(first, second)[i % 2].url}/api/v1/password-reset", json={"username": name},
                              headers={"X-Forwarded-For": f"192.0.2.{10 + i}"}, timeout=30)
            assert r.status_code == 202, r.text
            answers.append(r.json())
        r = requests.post(f"{first.url}/api/v1/password-reset", json={"username": name.upper()},
                          headers={"X-Forwarded-For": "192.0.2.50"}, timeout=30)
        assert r.status_code == 429, r.text
        assert int(r.headers["Retry-After"]) == 60
    assert all(a == answers[0] for a in answers), answers
    # One address: its 10th request starts a wait, whatever the names.
    for i in range(10):
        r = requests.post(f"{second.url}/api/v1/password-reset", json={"username": f"someone{i}"},
                          headers={"X-Forwarded-For": "198.51.100.99"}, timeout=30)
        assert r.status_code == 202, (i, r.text)
    r = requests.post(f"{first.url}/api/v1/password-reset", json={"username": "someone-else"},
                      headers={"X-Forwarded-For": "198.51.100.99"}, timeout=30)
    assert r.status_code == 429, r.text
    # The three accepted requests for admin sent three mails, off the request.
    deadline = time.time() + 10
    while time.time() < deadline and len(list((first.data_dir / "outbox").glob("*.eml"))) < 3:
        time.sleep(0.1)
    assert len(list((first.data_dir / "outbox").glob("*.eml"))) == 3
