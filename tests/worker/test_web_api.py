"""The JSON API behind the pages: sessions, CSRF, uploads, history, ownership, accounts."""
import email
import http.server
import io
import re
import time
import threading

import pytest
import requests


@pytest.fixture(scope="module")
def users(worker):
    admin = worker.session()
    for name in ("grace", "heidi"):
        r = admin.post(f"{worker.url}/api/v1/users",
                       json={"username": name, "password": f"{name}-password",
                             "email": f"{name}@example.com"})
        assert r.status_code == 201, r.text
    return {"grace": worker.session("grace", "grace-password"),
            "heidi": worker.session("heidi", "heidi-password")}


def upload_file(session, path):
    r = session.post(f"{session.base}/api/v1/images",
                     files={"file": (path.name, io.BytesIO(path.read_bytes()))})
    assert r.status_code == 201, r.text
    return r.json()


def test_login_sets_a_safe_cookie_and_logout_ends_the_session(worker):
    r = requests.post(f"{worker.url}/api/v1/session",
                      json={"username": "admin", "password": "admin-password-1"})
    assert r.status_code == 200
    cookie = r.headers["Set-Cookie"]
    assert "maskfleet_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert r.json()["user"]["is_admin"] is True
    s = requests.Session()
    s.cookies = r.cookies
    assert s.get(f"{worker.url}/api/v1/session").status_code == 200
    # Logout is state-changing: without the CSRF token it is refused.
    assert s.delete(f"{worker.url}/api/v1/session").status_code == 403
    r = s.delete(f"{worker.url}/api/v1/session", headers={"X-CSRF-Token": r.json()["csrf_token"]})
    assert r.status_code == 204
    assert s.get(f"{worker.url}/api/v1/session").status_code == 401


def test_wrong_password_and_rate_limit(worker):
    for _ in range(10):
        r = requests.post(f"{worker.url}/api/v1/session", json={"username": "ivan", "password": "nope-nope"})
        assert r.status_code == 401
        assert r.json()["error"]["message"] == "wrong username or password"
    r = requests.post(f"{worker.url}/api/v1/session", json={"username": "ivan", "password": "nope-nope"})
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 0


def test_csrf_token_is_required_for_uploads(worker, users, photos):
    s = users["grace"]
    r = s.post(f"{worker.url}/api/v1/images", headers={"X-CSRF-Token": "forged"},
               files={"file": ("a.png", io.BytesIO(photos["all_masked"].read_bytes()))})
    assert r.status_code == 403
    assert "CSRF" in r.json()["error"]["message"]


def test_history_has_four_lists(worker, users, photos):
    s = users["grace"]
    ids = {category: upload_file(s, path)["id"] for category, path in photos.items()}
    for category, image_id in ids.items():
        listed = s.get(f"{worker.url}/api/v1/images", params={"category": category}).json()
        assert [i["id"] for i in listed["images"]] == [image_id], category
        assert listed["images"][0]["category"] == category
        detail = s.get(f"{worker.url}/api/v1/images/{image_id}").json()
        assert detail["num_faces"] == len(detail["faces"])
        assert detail["num_masked"] == sum(f["masked"] for f in detail["faces"])
        for kind in ("original", "annotated", "thumbnail"):
            r = s.get(f"{worker.url}{detail['urls'][kind]}")
            assert r.status_code == 200 and r.headers["Content-Type"].startswith("image/")
            assert len(r.content) > 100


def test_paging(worker, users, photos):
    s = users["heidi"]
    for _ in range(3):
        upload_file(s, photos["none_masked"])
    page1 = s.get(f"{worker.url}/api/v1/images", params={"category": "none_masked", "page_size": 2}).json()
    page2 = s.get(f"{worker.url}/api/v1/images",
                  params={"category": "none_masked", "page_size": 2, "page": 2}).json()
    assert page1["total"] == page2["total"] == 3
    assert len(page1["images"]) == 2 and len(page2["images"]) == 1
    assert page1["images"][0]["id"] > page1["images"][1]["id"] > page2["images"][0]["id"]
    assert s.get(f"{worker.url}/api/v1/images",
                 params={"category": "none_masked", "page_size": 0}).status_code == 400


def test_images_are_reachable_only_by_their_owner(worker, users, photos):
    image = upload_file(users["grace"], photos["some_masked"])
    other = users["heidi"]
    assert other.get(f"{worker.url}/api/v1/images/{image['id']}").status_code == 404
    for kind in ("original", "annotated", "thumbnail"):
        assert other.get(f"{worker.url}{image['urls'][kind]}").status_code == 404
    assert other.delete(f"{worker.url}/api/v1/images/{image['id']}").status_code == 404
    assert requests.get(f"{worker.url}{image['urls']['original']}").status_code == 401
    assert other.get(f"{worker.url}/api/v1/images/999999").status_code == 404


def test_delete_removes_rows_and_objects(worker, users, photos):
    before = len(worker.objects())
    image = upload_file(users["grace"], photos["all_masked"])
    assert len(worker.objects()) == before + 3
    assert users["grace"].delete(f"{worker.url}/api/v1/images/{image['id']}").status_code == 204
    assert len(worker.objects()) == before
    assert users["grace"].get(f"{worker.url}/api/v1/images/{image['id']}").status_code == 404


class _PhotoServer(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


def test_upload_from_a_url(worker_factory, photos):
    private = worker_factory(worker_allow_private_urls="true")
    _PhotoServer.body = photos["some_masked"].read_bytes()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _PhotoServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/crowd.png"
        s = private.session()
        r = s.post(f"{private.url}/api/v1/images", json={"url": url})
        assert r.status_code == 201, r.text
        assert r.json()["source"] == "url" and r.json()["source_name"] == url
        assert r.json()["category"] == "some_masked"
    finally:
        server.shutdown()


def test_change_password(worker):
    admin = worker.session()
    admin.post(f"{worker.url}/api/v1/users", json={"username": "judy", "password": "judy-password"})
    s = worker.session("judy", "judy-password")
    other_device = worker.session("judy", "judy-password")
    r = s.post(f"{worker.url}/api/v1/password",
               json={"current_password": "wrong-one", "new_password": "judy-new-password"})
    assert r.status_code == 401
    r = s.post(f"{worker.url}/api/v1/password",
               json={"current_password": "judy-password", "new_password": "short"})
    assert r.status_code == 400
    r = s.post(f"{worker.url}/api/v1/password",
               json={"current_password": "judy-password", "new_password": "judy-new-password"})
    assert r.status_code == 200
    s.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    assert s.get(f"{worker.url}/api/v1/session").status_code == 200
    assert other_device.get(f"{worker.url}/api/v1/session").status_code == 401
    worker.session("judy", "judy-new-password")


def reset_token(worker, address, timeout=10):
    """The token of the latest mail to `address`; the worker mails off the request, so
    the mail may come a moment after the answer."""
    deadline = time.time() + timeout
    while True:
        mails = sorted((worker.data_dir / "outbox").glob("*.eml"))
        for path in reversed(mails):
            message = email.message_from_bytes(path.read_bytes())
            if address in message["To"]:
                body = message.get_payload(decode=True).decode()
                return re.search(r"/reset\?token=([A-Za-z0-9_-]+)", body).group(1)
        if time.time() > deadline:
            raise AssertionError(f"no mail to {address} in {mails}")
        time.sleep(0.1)


def test_password_reset_through_the_outbox(worker, users):
    anonymous = requests.Session()
    r = anonymous.post(f"{worker.url}/api/v1/password-reset", json={"username": "grace"})
    assert r.status_code == 202
    token = reset_token(worker, "grace@example.com")
    # The log must not carry the token.
    assert token not in (worker.data_dir / "worker.log").read_text()
    r = anonymous.post(f"{worker.url}/api/v1/password-reset/confirm",
                       json={"token": token, "new_password": "grace-new-password"})
    assert r.status_code == 204
    worker.session("grace", "grace-new-password")
    r = anonymous.post(f"{worker.url}/api/v1/password-reset/confirm",
                       json={"token": token, "new_password": "grace-other-password"})
    assert r.status_code == 400 and "used" in r.json()["error"]["message"]
    # Unknown users get the same answer, and no mail.
    r = anonymous.post(f"{worker.url}/api/v1/password-reset", json={"username": "nobody-here"})
    assert r.status_code == 202


def test_user_management_is_for_administrators_only(worker, users):
    heidi = users["heidi"]
    assert heidi.get(f"{worker.url}/api/v1/users").status_code == 403
    assert heidi.post(f"{worker.url}/api/v1/users",
                      json={"username": "mallory", "password": "mallory-password"}).status_code == 403
    admin = worker.session()
    listed = admin.get(f"{worker.url}/api/v1/users").json()["users"]
    names = {u["username"]: u for u in listed}
    assert {"admin", "grace", "heidi"} <= set(names)
    assert "password_hash" not in names["grace"]
    r = admin.post(f"{worker.url}/api/v1/users", json={"username": "heidi", "password": "heidi-password"})
    assert r.status_code == 409
    own_id = names["admin"]["id"]
    assert admin.delete(f"{worker.url}/api/v1/users/{own_id}").status_code == 409
    r = admin.post(f"{worker.url}/api/v1/users", json={"username": "ken", "password": "ken-password"})
    ken = worker.session("ken", "ken-password")
    assert admin.delete(f"{worker.url}/api/v1/users/{r.json()['id']}").status_code == 204
    assert ken.get(f"{worker.url}/api/v1/session").status_code == 401


def test_pages_need_a_login(worker):
    r = requests.get(f"{worker.url}/upload", allow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"].startswith("/login?next=")
    login = requests.get(f"{worker.url}/login")
    assert login.status_code == 200 and "text/html" in login.headers["Content-Type"]


def test_operations_endpoints(worker):
    r = requests.get(f"{worker.url}/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    assert r.headers["X-Maskfleet-Worker"]
    assert len(r.headers["X-Request-Id"]) >= 8
    r = requests.get(f"{worker.url}/healthz", headers={"X-Request-Id": "trace-123"})
    assert r.headers["X-Request-Id"] == "trace-123"


def test_metrics_count_requests_and_detections(worker, users, photos):
    before = requests.get(f"{worker.url}/metrics").text
    upload_file(users["heidi"], photos["some_masked"])
    text = requests.get(f"{worker.url}/metrics").text
    assert "# TYPE maskfleet_http_requests_total counter" in text
    assert 'route="/api/v1/images"' in text and 'status="201"' in text
    assert "maskfleet_http_request_duration_seconds_bucket" in text

    def value(body, name):
        for line in body.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return 0.0
    assert value(text, "maskfleet_detections_total") == value(before, "maskfleet_detections_total") + 1


def test_any_worker_serves_any_request(worker_factory, photos):
    first = worker_factory()
    second = worker_factory.sibling(first)
    assert first.url != second.url
    s = first.session()
    image = upload_file(s, photos["all_masked"])
    # The same session cookie and CSRF token, sent to the other worker.
    s.base = second.url
    assert s.get(f"{second.url}/api/v1/images/{image['id']}").json()["id"] == image["id"]
    assert s.get(f"{second.url}{image['urls']['annotated']}").status_code == 200
    assert s.delete(f"{second.url}/api/v1/images/{image['id']}").status_code == 204
    assert s.get(f"{first.url}/api/v1/images/{image['id']}").status_code == 404
