"""`maskfleet loadgen` against a real worker on 127.0.0.1: what it sends lands in
the user's history, and its summary, CSV and exit status say what happened."""
import csv
import json
import signal
import socket
import subprocess
import time

import pytest
import requests

CATEGORIES = ("no_faces", "all_masked", "none_masked", "some_masked")


def loadgen(maskfleet_bin, *args, timeout=60):
    return subprocess.run([str(maskfleet_bin), "loadgen", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def history_total(worker, username, password):
    s = worker.session(username, password)
    total = 0
    for category in CATEGORIES:
        r = s.get(f"{worker.url}/api/v1/images", params={"category": category}, timeout=30)
        assert r.status_code == 200, r.text
        total += r.json()["total"]
    return total


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ten_uploads_at_five_per_second_all_succeed_and_land_in_history(
        maskfleet_bin, worker, user, photo_folder, tmp_path):
    name, password = user
    csv_path = tmp_path / "requests.csv"
    result = loadgen(maskfleet_bin, f"{worker.url}/api/upload", name, password, 5, photo_folder, 10,
                     "--csv", csv_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sent        10\n" in result.stdout
    assert "succeeded   10\n" in result.stdout
    assert "failed      0\n" in result.stdout
    assert "latency ms  p50 " in result.stdout
    assert "3 photos" in result.stderr  # README.txt is not one

    rows = read_csv(csv_path)
    assert len(rows) == 10
    assert sorted(int(r["seq"]) for r in rows) == list(range(10))
    assert all(r["status"] == "200" for r in rows)
    assert all(r["worker"] for r in rows)
    assert all(r["num_faces"].isdigit() for r in rows)
    by_seq = sorted(rows, key=lambda r: int(r["seq"]))
    assert [r["file"] for r in by_seq] == ["a.png", "b.png", "c.jpg"] * 3 + ["a.png"]
    # Open loop at 5/s: request k starts at 0.2 k s, never before.
    for k, row in enumerate(by_seq):
        assert float(row["start_s"]) >= 0.2 * k - 0.001, row
    assert float(by_seq[-1]["start_s"]) < 1.8 + 1.0
    # rocket.jpg has no face.
    assert all(r["num_faces"] == "0" for r in by_seq if r["file"] == "c.jpg")

    assert history_total(worker, name, password) == 10


def test_json_summary(maskfleet_bin, worker, user, photo_folder):
    name, password = user
    result = loadgen(maskfleet_bin, f"{worker.url}/api/upload", name, password, 10, photo_folder, 3,
                     "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["sent"] == 3
    assert summary["succeeded"] == 3
    assert summary["failed"] == 0
    assert summary["dropped"] == 0
    assert summary["failed_by_status"] == {}
    assert summary["latency_ms"]["count"] == 3
    assert 0 < summary["latency_ms"]["p50"] <= summary["latency_ms"]["max"]
    assert sum(summary["answers_by_worker"].values()) == 3


def test_wrong_password_fails_every_upload_with_401(maskfleet_bin, worker, user, photo_folder,
                                                    tmp_path):
    name, _ = user
    csv_path = tmp_path / "requests.csv"
    result = loadgen(maskfleet_bin, f"{worker.url}/api/upload", name, "wrong-password", 10,
                     photo_folder, 4, "--json", "--csv", csv_path)
    assert result.returncode == 1, result.stderr
    summary = json.loads(result.stdout)
    assert summary["sent"] == 4
    assert summary["succeeded"] == 0
    assert summary["failed_by_status"] == {"401": 4}
    assert [r["status"] for r in read_csv(csv_path)] == ["401"] * 4


def test_profile_steps_and_pause(maskfleet_bin, worker, user, photo_folder, tmp_path):
    name, password = user
    profile = tmp_path / "profile.txt"
    profile.write_text("# duration_seconds rate\n1 4\n1 0   # pause\n1 4\n")
    csv_path = tmp_path / "requests.csv"
    result = loadgen(maskfleet_bin, f"{worker.url}/api/upload", name, password, 0, photo_folder, 0,
                     "--profile", profile, "--csv", csv_path, "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["sent"] == 8
    assert summary["succeeded"] == 8
    starts = sorted(float(r["start_s"]) for r in read_csv(csv_path))
    assert all(s < 1.0 or s >= 2.0 for s in starts), starts  # nothing during the pause
    assert sum(s < 1.0 for s in starts) == 4
    assert history_total(worker, name, password) == 8


def test_profile_count_caps_the_total(maskfleet_bin, worker, user, photo_folder, tmp_path):
    name, password = user
    profile = tmp_path / "profile.txt"
    profile.write_text("10 5\n")
    result = loadgen(maskfleet_bin, f"{worker.url}/api/upload", name, password, 0, photo_folder, 3,
                     "--profile", profile, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["sent"] == 3


def test_closed_loop(maskfleet_bin, worker, user, photo_folder):
    name, password = user
    result = loadgen(maskfleet_bin, f"{worker.url}/api/upload", name, password, 0, photo_folder, 4,
                     "--concurrency", 2, "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["sent"] == 4
    assert summary["succeeded"] == 4
    assert "closed loop, 2 connections" in summary["mode"]


def test_duration_bounds_an_uncapped_run(maskfleet_bin, worker, user, photo_folder):
    name, password = user
    result = loadgen(maskfleet_bin, f"{worker.url}/api/upload", name, password, 4, photo_folder, 0,
                     "--duration", 1, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["sent"] == 4  # at 0, 0.25, 0.5 and 0.75 s


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_early_and_still_prints_the_summary(maskfleet_bin, worker, user, photo_folder,
                                                           stop_signal):
    name, password = user
    process = subprocess.Popen(
        [str(maskfleet_bin), "loadgen", f"{worker.url}/api/upload", name, password, "4",
         str(photo_folder), "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first_line = process.stderr.readline()  # written once the signals are taken
    assert "4/s" in first_line, first_line
    time.sleep(1.1)
    process.send_signal(stop_signal)
    stdout, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, first_line + stderr
    assert f"stopping on {stop_signal.name}" in stderr
    sent = int(stdout.split("sent", 1)[1].split()[0])
    assert 3 <= sent <= 8, stdout
    assert f"succeeded   {sent}\n" in stdout


def test_requests_beyond_max_in_flight_are_dropped_not_queued(maskfleet_bin, worker, user,
                                                             photo_folder, tmp_path):
    name, password = user
    csv_path = tmp_path / "requests.csv"
    # 10 due within 0.1 s; an upload takes longer than that, so one is in flight
    # when the others are due.
    result = loadgen(maskfleet_bin, f"{worker.url}/api/upload", name, password, 100, photo_folder,
                     10, "--max-in-flight", 1, "--csv", csv_path)
    assert result.returncode == 1, result.stderr
    sent = int(result.stdout.split("sent", 1)[1].split()[0])
    assert 1 <= sent < 10, result.stdout
    assert f"(of 10 scheduled; {10 - sent} dropped: client saturated)" in result.stdout
    statuses = [r["status"] for r in read_csv(csv_path)]
    assert statuses.count("dropped") == 10 - sent
    assert statuses.count("200") == sent
    assert f"succeeded   {sent}\n" in result.stdout


def test_unreachable_url_cannot_run(maskfleet_bin, photo_folder):
    port = free_port()
    result = loadgen(maskfleet_bin, f"http://127.0.0.1:{port}/api/upload", "u", "password1", 5,
                     photo_folder, 10)
    assert result.returncode == 2
    assert f"http://127.0.0.1:{port}/api/upload is unreachable" in result.stderr
    assert "refused" in result.stderr
    assert result.stdout == ""


def test_empty_folder_cannot_run(maskfleet_bin, worker, tmp_path):
    (tmp_path / "notes.txt").write_text("no photos")
    result = loadgen(maskfleet_bin, f"{worker.url}/api/upload", "u", "password1", 5, tmp_path, 10)
    assert result.returncode == 2
    assert "holds no photo" in result.stderr


def test_bad_arguments_cannot_run(maskfleet_bin, worker, photo_folder, tmp_path):
    url = f"{worker.url}/api/upload"
    cases = [
        ([url, "u", "p", 5, photo_folder], "expected 6 arguments"),
        ([url, "u", "p", "fast", photo_folder, 10], "RATE must be"),
        ([url, "u", "p", 0, photo_folder, 10], "RATE must be > 0"),
        ([url, "u", "p", 5, photo_folder, "-3"], "COUNT must be"),
        ([url, "u", "p", 5, photo_folder, 10, "extra"], "unexpected argument 'extra'"),
        ([url, "u", "p", 5, photo_folder, 10, "--no-such-option"], "unexpected argument"),
        (["https://127.0.0.1/api/upload", "u", "p", 5, photo_folder, 10], "https"),
        ([url, "u", "p", 5, photo_folder, 10, "--max-in-flight", "0"], "--max-in-flight"),
        ([url, "u", "p", 5, photo_folder, 10, "--profile", tmp_path / "missing.txt"], "cannot open"),
        ([url, "u", "p", 5, photo_folder, 10, "--profile", photo_folder / "a.png", "--concurrency", 2],
         "exclude each other"),
    ]
    for args, message in cases:
        result = loadgen(maskfleet_bin, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr, (args, result.stderr)
        assert result.stdout == ""


def test_help_describes_the_arguments(maskfleet_bin):
    result = loadgen(maskfleet_bin, "--help")
    assert result.returncode == 0
    assert "URL USER PASS RATE FOLDER COUNT" in result.stdout
    assert "duration_seconds rate" in result.stdout


def test_requests_reach_only_the_given_worker(maskfleet_bin, worker, user, photo_folder):
    """The summary's per-worker counts come from X-Maskfleet-Worker."""
    name, password = user
    result = loadgen(maskfleet_bin, f"{worker.url}/api/upload", name, password, 10, photo_folder, 2,
                     "--json")
    assert result.returncode == 0, result.stderr
    healthz = requests.get(f"{worker.url}/healthz", timeout=10).json()
    assert json.loads(result.stdout)["answers_by_worker"] == {healthz["worker"]: 2}
