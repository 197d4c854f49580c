"""The auto-scaler live, on loopback: a real manager with short intervals (a check every
5 s over a 10 s window of 5-second CPU samples), real workers at 0.25 CPU each behind
HAProxy, and `maskfleet loadgen` sending uploads at a steady rate that one worker cannot
carry. The pool must grow, then hold steady for several checks while the load lasts, and
shrink back to 1 once it stops. Every decision is in the log with its reason.
"""
import os
import shutil
import subprocess
import time

import pytest

from manager_harness import PHOTO, ManagerFactory, in_service, wait_for

# One worker (0.25 CPU; tens of ms of CPU per upload of this photo) carries a few uploads
# per second; this rate keeps one worker saturated and two workers inside the
# thresholds (the test prints the decision log, with the CPU it saw).
RATE = 5
POLICY = {"grow_threshold": 70, "shrink_threshold": 30, "expand_ratio": 2.0, "shrink_ratio": 0.5,
          "min_workers": 1, "max_workers": 4, "check_interval_seconds": 5, "window_seconds": 10,
          "shrink_stabilisation_seconds": 10, "paused": False}


@pytest.fixture
def fast_manager(maskfleet_bin, model_dir, tmp_path_factory):
    env = {**os.environ, "MASKFLEET_MODEL_DIR": str(model_dir),
           "MASKFLEET_AUTH_PASSWORD_HASHING": "minimum",
           "MASKFLEET_MANAGER_COLLECT_SECONDS": "1",
           "MASKFLEET_MANAGER_SCALER_SAMPLE_SECONDS": "5"}
    factory = ManagerFactory(maskfleet_bin, env, tmp_path_factory)
    manager = factory()
    yield manager
    problems = factory.close()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def decisions(manager):
    response = manager.api.get(manager.url + "api/v1/decisions", params={"limit": 500})
    assert response.status_code == 200, response.text
    return list(reversed(response.json()["decisions"]))  # oldest first


def resizes(log):
    return [d for d in log if d["action"] != "hold"]


def test_pool_grows_under_load_holds_steady_and_shrinks_when_it_stops(
        fast_manager, maskfleet_bin, shared_dir, tmp_path):
    manager = fast_manager
    response = manager.api.put(manager.url + "api/v1/policy", json=POLICY)
    assert response.status_code == 200, response.text
    manager.wait_settled(1)
    manager.register("loaduser")
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(shared_dir / PHOTO, photos / PHOTO.name)

    load = subprocess.Popen(
        [str(maskfleet_bin), "loadgen", "--duration", "150", "--max-in-flight", "16",
         manager.lb_url + "api/upload", "loaduser", "user-password-1", str(RATE), str(photos), "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        # Grows: more than one worker in service within 60 s of load.
        wait_for("the pool to grow under load",
                 lambda: len(in_service(manager.pool())) >= 2 or None, timeout=75)
        grown_at = time.monotonic()
        # Settles: after the growth (and any second step), no resize for 8 checks.
        def steady():
            log = decisions(manager)
            moves = resizes(log)
            if not moves:
                return None
            last_move = log.index(moves[-1])
            after = log[last_move + 1:]
            return after if len(after) >= 8 and all(d["action"] == "hold" for d in after) else None
        held = wait_for("8 checks in a row without a resize under steady load", steady, timeout=90)
        assert time.monotonic() - grown_at < 100
        size_under_load = len(in_service(manager.pool()))
        assert 2 <= size_under_load <= 4, manager.pool()
        grows = [d for d in resizes(decisions(manager)) if d["action"] == "grow"]
        assert 1 <= len(grows) <= 2, decisions(manager)
        assert not [d for d in resizes(decisions(manager)) if d["action"] == "shrink"], decisions(manager)
        assert all(d["reason"] for d in held)
    finally:
        load.terminate()
        summary, _ = load.communicate(timeout=30)
    print(summary)

    # The load is gone: back to one worker.
    wait_for("the pool to shrink back to 1 without load",
             lambda: len(in_service(manager.pool())) == 1 and manager.pool()["desired_size"] == 1 or None,
             timeout=120)
    log = decisions(manager)
    shrinks = [d for d in log if d["action"] == "shrink"]
    assert shrinks and shrinks[-1]["size_after"] == 1, log
    assert all(d["average_cpu"] is not None and d["average_cpu"] < 30 for d in shrinks), shrinks
    print("\n".join(f'{d["time"]} {d["action"]:6} cpu={d["average_cpu"]} '
                    f'{d["size_before"]}->{d["size_after"]} {d["reason"]}' for d in log))
