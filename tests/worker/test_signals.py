"""The signals a worker gives: 503 with JSON for every "try later" condition, readiness
apart from liveness, /metrics for the manager only, and messages without internal
names (docs/api.md, "Errors" and "Operations")."""
import io
import os
import subprocess
import time

import pytest
import requests

from test_testing_api import assert_failure, register, upload


def test_metrics_are_refused_to_requests_that_came_through_a_proxy(worker):
    r = requests.get(f"{worker.url}/metrics", timeout=10)
    assert r.status_code == 200 and "maskfleet_requests_per_minute" in r.text
    for header in ({"X-Forwarded-For": "203.0.113.9"}, {"Forwarded": "for=203.0.113.9"}):
        r = requests.get(f"{worker.url}/metrics", headers=header, timeout=10)
        assert r.status_code == 404, (header, r.text)
        assert r.json()["error"]["reason"] == "not_found"


def test_readiness_and_liveness_answer_apart(worker):
    for path in ("/healthz", "/readyz"):
        r = requests.get(worker.url + path, timeout=10)
        assert r.status_code == 200, (path, r.text)
        assert r.json()["status"] == "ok"


def chunks(data, size=64 * 1024):
    """`data` as a generator: requests sends it with Transfer-Encoding: chunked."""
    for i in range(0, len(data), size):
        yield data[i:i + size]


# A 100 MB chunked body answered 400, and was read whole into memory first.
def test_an_oversized_chunked_body_is_413(worker, photos):
    boundary = "maskfleet-chunked"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nnobody\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nnobody-password\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.jpg\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n").encode()
    big = head + b"\xff\xd8\xff" + b"\0" * (12 * 1024 * 1024) + f"\r\n--{boundary}--\r\n".encode()
    r = requests.post(f"{worker.url}/api/upload", data=chunks(big), timeout=120,
                      headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    message = assert_failure(r, 413)
    assert "too large" in message
    r = requests.post(f"{worker.url}/api/v1/images", data=chunks(b"{" + b" " * (12 * 1024 * 1024) + b"}"),
                      headers={"Content-Type": "application/json"}, timeout=120)
    assert r.status_code == 413, r.text
    assert r.json()["error"]["reason"] == "too_large"
    # A chunked body within the bound is read as any other: a form, then a photo.
    r = requests.post(f"{worker.url}/api/register", data=chunks(b"username=chunky&password=chunky-password", 7),
                      headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=30)
    assert r.status_code == 200, r.text
    photo = photos["no_faces"].read_bytes()
    form = (head.replace(b"nobody\r\n", b"chunky\r\n", 1).replace(b"nobody-password", b"chunky-password")
            + photo + f"\r\n--{boundary}--\r\n".encode())
    r = requests.post(f"{worker.url}/api/upload", data=chunks(form), timeout=60,
                      headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert r.status_code == 200, r.text
    assert r.json()["payload"]["num_faces"] == 0


@pytest.fixture
def small_disk(tmp_path):
    """A 48 MB tmpfs: a disk that can be filled and emptied again."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder):
    """Fills the file system of `folder` to the last byte; returns the filler's path."""
    path = folder / "filler"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 1 << 12, 1):
            chunk = b"\0" * size
            try:
                while True:
                    os.write(fd, chunk)
            except OSError:
                pass
    finally:
        os.close(fd)
    return path


def wait_for_status(url, status, timeout=15):
    deadline = time.time() + timeout
    while True:
        r = requests.get(url, timeout=10)
        if r.status_code == status or time.time() > deadline:
            return r
        time.sleep(0.3)


def test_a_full_disk_is_503_in_json_and_takes_the_worker_out_of_rotation(worker_factory, small_disk, photos):
    """The worker's data folder (objects; on SQLite the database too) on a disk that fills up."""
    data_dir = small_disk / "data"
    data_dir.mkdir()
    worker = worker_factory(data_dir=data_dir)
    try:
        assert register(worker, "erin", "erin-password").status_code == 200
        session = worker.session("erin", "erin-password")
        photo = photos["all_masked"].read_bytes()
        assert requests.get(worker.url + "/readyz", timeout=10).status_code == 200
        filler = fill(small_disk)

        r = session.post(f"{worker.url}/api/v1/images", files={"file": ("a.png", io.BytesIO(photo))})
        assert r.status_code == 503, r.text
        error = r.json()["error"]
        assert error["reason"] == "unavailable", error
        for internal in ("u/", "original", "objects", str(data_dir)):
            assert internal not in error["message"], error
        message = assert_failure(upload(worker, "erin", "erin-password", "a.png", photo), 503)
        assert "u/" not in message and str(data_dir) not in message, message
        # Writes of the accounts: done if the database still had room, else 503; never 500.
        r = register(worker, "fred", "fred-password")
        assert r.status_code in (200, 503), r.text
        if r.status_code == 503:
            assert_failure(r, 503)
        r = requests.post(f"{worker.url}/api/v1/session", json={"username": "erin", "password": "erin-password"},
                          timeout=30)
        assert r.status_code in (200, 503), r.text
        if r.status_code == 503:
            assert r.json()["error"]["reason"] == "unavailable"

        # Out of the balancer's rotation, but alive: nobody restarts it for a full disk.
        r = wait_for_status(worker.url + "/readyz", 503)
        assert r.status_code == 503, r.text
        assert r.json()["status"] == "unavailable" and r.json()["detail"], r.text
        assert requests.get(worker.url + "/healthz", timeout=10).status_code == 200

        filler.unlink()
        assert wait_for_status(worker.url + "/readyz", 200).status_code == 200
        r = session.post(f"{worker.url}/api/v1/images", files={"file": ("a.png", io.BytesIO(photo))})
        assert r.status_code == 201, r.text
    finally:
        worker.stop()
