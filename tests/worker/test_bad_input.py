"""Bad input, through the testing API and the JSON API: a clear error, nothing stored."""
import io
import struct
import zlib

import pytest
import requests

from test_testing_api import assert_failure, register, upload


def png_header_only(width, height):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def account(worker):
    register(worker, "frank", "frank-password")
    return ("frank", "frank-password")


def bad_files(photos):
    jpeg = photos["no_faces"].read_bytes()
    return [
        ("empty.jpg", b"", 400, "empty"),
        ("half.jpg", jpeg[: len(jpeg) // 2], 400, "truncated"),
        ("notes.jpg", b"just text, named like a photo\n" * 50, 415, "not an image"),
        ("bomb.png", png_header_only(30000, 30000), 413, "30000x30000"),
        ("big.jpg", b"\xff\xd8\xff" + b"\0" * (20 * 1024 * 1024), 413, "large"),
    ]


def nothing_stored(worker, account):
    s = worker.session(*account)
    for category in ("no_faces", "all_masked", "none_masked", "some_masked"):
        assert s.get(f"{worker.url}/api/v1/images", params={"category": category}).json()["total"] == 0
    assert worker.objects() == [] or all("frank" not in str(p) for p in worker.objects())


def test_bad_files_through_the_testing_api(worker, account, photos):
    for name, data, status, words in bad_files(photos):
        message = assert_failure(upload(worker, *account, name, data), status)
        assert words in message.lower(), (name, message)
    nothing_stored(worker, account)


def test_bad_files_through_the_json_api(worker, account, photos):
    s = worker.session(*account)
    for name, data, status, words in bad_files(photos):
        r = s.post(f"{worker.url}/api/v1/images", files={"file": (name, io.BytesIO(data))})
        assert r.status_code == status, (name, r.text)
        error = r.json()["error"]
        assert error["code"] == status and words in error["message"].lower(), (name, error)
    nothing_stored(worker, account)


@pytest.mark.parametrize("url, words", [
    ("http://127.0.0.1:1/photo.jpg", "refused"),
    ("http://169.254.169.254/latest/meta-data/", "refused"),
    ("http://[::1]/x.jpg", "refused"),
    ("ftp://example.com/photo.jpg", "http"),
    ("not a url", "url"),
    ("http://user:secret@example.com/p.jpg", "password"),
])
def test_url_uploads_that_must_be_refused(worker, account, url, words):
    s = worker.session(*account)
    r = s.post(f"{worker.url}/api/v1/images", json={"url": url})
    assert r.status_code == 400, r.text
    assert words in r.json()["error"]["message"].lower()
    nothing_stored(worker, account)


def test_sql_and_html_in_every_field_are_data(worker, account, photos):
    s = worker.session(*account)
    hostile = "<img src=x onerror=alert(1)>'; DROP TABLE users; --"
    r = s.post(f"{worker.url}/api/v1/images",
               files={"file": (hostile + ".png", io.BytesIO(photos["all_masked"].read_bytes()))})
    assert r.status_code == 201, r.text
    image = r.json()
    assert image["source_name"] == hostile + ".png"
    assert s.get(f"{worker.url}/api/v1/images/{image['id']}").json()["source_name"] == hostile + ".png"
    assert s.delete(f"{worker.url}/api/v1/images/{image['id']}").status_code == 204
    for field in ("username", "password"):
        body = {"username": "frank", "password": "frank-password", field: hostile}
        assert s.post(f"{worker.url}/api/v1/session", json=body).status_code in (400, 401)
    r = s.post(f"{worker.url}/api/v1/password-reset", json={"username": hostile})
    assert r.status_code == 202
    r = s.get(f"{worker.url}/api/v1/images", params={"category": hostile})
    assert r.status_code == 400
    assert worker.session(*account)  # the users table is still there


def multipart_with_raw_filename(filename_bytes, data):
    """A multipart body whose file name is sent as raw bytes (any bytes, as a client may)."""
    boundary = b"maskfleet-test-boundary"
    body = (b"--" + boundary + b"\r\nContent-Disposition: form-data; name=\"file\"; filename=\""
            + filename_bytes + b"\"\r\nContent-Type: application/octet-stream\r\n\r\n" + data
            + b"\r\n--" + boundary + b"--\r\n")
    return body, {"Content-Type": "multipart/form-data; boundary=" + boundary.decode()}


def history_totals(s, worker):
    totals = {}
    for category in ("no_faces", "all_masked", "none_masked", "some_masked"):
        r = s.get(f"{worker.url}/api/v1/images", params={"category": category})
        assert r.status_code == 200, r.text
        totals[category] = r.json()["total"]
    return totals


@pytest.mark.parametrize("raw_name, shown", [
    (b"caf\xe9.png", "caf\ufffd.png"),                         # Latin-1, not UTF-8
    (b"x" + "\u00e9".encode() * 1100, "x" + "\u00e9" * 1023),  # 2,201 bytes: cut whole at 2,047
], ids=["latin-1", "long-non-ascii"])
def test_a_file_name_that_is_not_valid_utf8_is_stored_valid_and_answered_once(
        worker, account, photos, raw_name, shown):
    s = worker.session(*account)
    before = history_totals(s, worker)
    body, headers = multipart_with_raw_filename(raw_name, photos["all_masked"].read_bytes())
    r = s.post(f"{worker.url}/api/v1/images", data=body, headers=headers)
    assert r.status_code == 201, r.text
    image = r.json()
    assert image["source_name"] == shown
    assert s.get(f"{worker.url}/api/v1/images/{image['id']}").json()["source_name"] == shown
    after = history_totals(s, worker)
    assert after["all_masked"] == before["all_masked"] + 1
    r = s.get(f"{worker.url}/api/v1/images", params={"category": "all_masked", "page_size": 100})
    assert shown in [i["source_name"] for i in r.json()["images"]]
    assert s.delete(f"{worker.url}/api/v1/images/{image['id']}").status_code == 204


def test_the_testing_api_stores_a_bad_file_name_valid(worker, account, photos):
    body, headers = multipart_with_raw_filename(b"\xff\xfe.png", photos["no_faces"].read_bytes())
    fields = (b"--maskfleet-test-boundary\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\n"
              b"frank\r\n--maskfleet-test-boundary\r\nContent-Disposition: form-data; "
              b"name=\"password\"\r\n\r\nfrank-password\r\n")
    r = requests.post(f"{worker.url}/api/upload", data=fields + body, headers=headers, timeout=60)
    assert r.status_code == 200, r.text
    s = worker.session(*account)
    names = [i["source_name"] for i in s.get(f"{worker.url}/api/v1/images",
                                               params={"category": "no_faces", "page_size": 100}
                                               ).json()["images"]]
    assert "\ufffd\ufffd.png" in names


def test_a_row_stored_with_a_bad_name_is_shown_not_fatal(worker, account, photos):
    """Rows stored before names were checked at the door: the history shows them."""
    database = worker.data_dir / "maskfleet.db"
    if worker.env.get("MASKFLEET_DATABASE_URL") or not database.exists():
        pytest.skip("PostgreSQL and MariaDB never held such a name (they refuse bad UTF-8)")
    s = worker.session(*account)
    r = s.post(f"{worker.url}/api/v1/images",
               files={"file": ("good.png", io.BytesIO(photos["none_masked"].read_bytes()))})
    assert r.status_code == 201, r.text
    image_id = r.json()["id"]
    import sqlite3
    with sqlite3.connect(database, timeout=30) as db:
        db.execute("UPDATE images SET source_name = CAST(? AS TEXT) WHERE id = ?",
                   (b"old\xe9name.png", image_id))
    r = s.get(f"{worker.url}/api/v1/images/{image_id}")
    assert r.status_code == 200, r.text
    assert r.json()["source_name"] == "old\ufffdname.png"
    r = s.get(f"{worker.url}/api/v1/images", params={"category": "none_masked", "page_size": 100})
    assert r.status_code == 200, r.text
    assert "old\ufffdname.png" in [i["source_name"] for i in r.json()["images"]]
