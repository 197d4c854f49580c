"""The specification's testing API (point 12): exact shapes and status codes."""
import io
import struct
import zlib

import requests


def register(worker, username, password):
    return requests.post(f"{worker.url}/api/register",
                         data={"username": username, "password": password}, timeout=30)


def upload(worker, username, password, name, data):
    return requests.post(f"{worker.url}/api/upload",
                         data={"username": username, "password": password},
                         files={"file": (name, io.BytesIO(data))}, timeout=60)


def assert_failure(response, status):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"success", "error"}
    assert body["success"] is False
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == status
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]["message"]


def test_register_then_upload_counts(worker, photos):
    r = register(worker, "alice", "alice-password")
    assert r.status_code == 200
    assert r.json() == {"success": True}

    r = upload(worker, "alice", "alice-password", "mixed.png", photos["some_masked"].read_bytes())
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"success", "payload"}
    assert body["success"] is True
    payload = body["payload"]
    assert set(payload) == {"num_faces", "num_masked", "num_unmasked"}
    assert payload["num_faces"] == payload["num_masked"] + payload["num_unmasked"]
    assert payload["num_masked"] > 0 and payload["num_unmasked"] > 0


def test_upload_appears_in_the_users_history(worker, photos):
    register(worker, "bob", "bob-password")
    r = upload(worker, "bob", "bob-password", "rocket.jpg", photos["no_faces"].read_bytes())
    assert r.json()["payload"]["num_faces"] == 0
    s = worker.session("bob", "bob-password")
    listed = s.get(f"{worker.url}/api/v1/images", params={"category": "no_faces"}).json()
    assert listed["total"] == 1
    assert listed["images"][0]["source_name"] == "rocket.jpg"


def test_register_errors(worker):
    assert "username" in assert_failure(requests.post(f"{worker.url}/api/register",
                                                      data={"password": "x" * 10}), 400)
    assert "password" in assert_failure(requests.post(f"{worker.url}/api/register",
                                                      data={"username": "carol"}), 400)
    assert_failure(register(worker, "u" * 101, "long-enough"), 400)
    assert_failure(register(worker, "carol", "short"), 400)
    assert_failure(register(worker, "<script>", "long-enough"), 400)
    assert_failure(register(worker, "' OR 1=1 --", "long-enough"), 400)
    assert register(worker, "carol", "carol-password").status_code == 200
    assert "exists" in assert_failure(register(worker, "carol", "carol-password"), 409)


def test_register_can_be_switched_off(worker_factory):
    closed = worker_factory(worker_register_enabled="false")
    assert_failure(register(closed, "dave", "dave-password"), 403)


def test_upload_errors(worker, photos):
    register(worker, "erin", "erin-password")
    png = photos["all_masked"].read_bytes()
    assert_failure(upload(worker, "erin", "wrong-password", "a.png", png), 401)
    assert_failure(upload(worker, "nobody", "whatever-pass", "a.png", png), 401)
    r = requests.post(f"{worker.url}/api/upload", data={"username": "erin", "password": "erin-password"})
    assert "file" in assert_failure(r, 400)
    r = requests.post(f"{worker.url}/api/upload", files={"file": ("a.png", io.BytesIO(png))},
                      data={"password": "erin-password"})
    assert "username" in assert_failure(r, 400)
    r = requests.post(f"{worker.url}/api/upload", files={"file": ("a.png", io.BytesIO(png))},
                      data={"username": "erin"})
    assert "password" in assert_failure(r, 400)


def test_a_saturated_worker_answers_503_and_never_queues_without_bound(worker_factory, photos):
    import concurrent.futures
    import threading
    busy = worker_factory(worker_detection_threads=1, worker_detection_queue=0)
    register(busy, "olga", "olga-password")
    data = photos["some_masked"].read_bytes()
    start = threading.Barrier(8)

    def one(_):
        start.wait()
        return upload(busy, "olga", "olga-password", "a.png", data)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(one, range(8)))
    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) <= {200, 503}, statuses
    assert 200 in statuses and 503 in statuses, statuses
    for a in answers:
        if a.status_code == 503:
            assert "busy" in assert_failure(a, 503)
    # Nothing half-stored for the refused ones: history holds exactly the successes.
    s = busy.session("olga", "olga-password")
    total = s.get(f"{busy.url}/api/v1/images", params={"category": "some_masked"}).json()["total"]
    assert total == statuses.count(200)
