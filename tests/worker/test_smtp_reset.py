"""Password recovery through a real SMTP server (aiosmtpd, tests/smtp_sink.py)."""
import email
import pathlib
import re
import subprocess
import sys
import time

import pytest
import requests

SINK = pathlib.Path(__file__).resolve().parent.parent / "smtp_sink.py"


@pytest.fixture(scope="module")
def smtp_sink(tmp_path_factory):
    folder = tmp_path_factory.mktemp("smtp")
    sink = subprocess.Popen([sys.executable, str(SINK), "--dir", str(folder)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    line = sink.stdout.readline()
    assert line.startswith("PORT "), line
    yield int(line.split()[1]), folder
    sink.terminate()
    sink.wait(timeout=10)


def wait_for_mail(folder, seen=0, timeout=20):
    """The newest mail once more than `seen` are in `folder` (the worker mails off the
    request, and the sink is shared by the module's runs on each back end)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        mails = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
        if len(mails) > seen:
            return email.message_from_bytes(mails[-1].read_bytes())
        time.sleep(0.1)
    raise AssertionError("no mail arrived")


def test_reset_link_arrives_by_smtp_and_works(worker_factory, smtp_sink):
    port, folder = smtp_sink
    worker = worker_factory(mail_kind="smtp", mail_smtp_url=f"smtp://127.0.0.1:{port}",
                            mail_smtp_starttls="false", mail_from_address="noreply@masks.example",
                            worker_public_url="https://masks.example")
    admin = worker.session()
    r = admin.post(f"{worker.url}/api/v1/users",
                   json={"username": "olivia", "password": "olivia-password", "email": "olivia@example.com"})
    assert r.status_code == 201, r.text
    seen = len(list(folder.glob("*.eml")))
    assert requests.post(f"{worker.url}/api/v1/password-reset", json={"username": "olivia"}).status_code == 202

    message = wait_for_mail(folder, seen)
    assert "olivia@example.com" in message["To"]
    assert "noreply@masks.example" in message["From"]
    body = message.get_payload(decode=True).decode()
    link = re.search(r"https://masks\.example/reset\?token=([A-Za-z0-9_-]+)", body)
    assert link, body
    r = requests.post(f"{worker.url}/api/v1/password-reset/confirm",
                      json={"token": link.group(1), "new_password": "olivia-new-password"})
    assert r.status_code == 204
    worker.session("olivia", "olivia-new-password")
