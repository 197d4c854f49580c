"""The worker's detection quality setting ([worker] detection_quality)."""
import io
import os
import subprocess

import pytest


@pytest.mark.parametrize("quality", ["slow", "Fast", ""])
def test_unknown_detection_quality_stops_the_worker_naming_the_setting(maskfleet_bin, model_dir,
                                                                       tmp_path, quality):
    env = {**os.environ, "MASKFLEET_MODEL_DIR": str(model_dir),
           "MASKFLEET_WORKER_DETECTION_QUALITY": quality}
    result = subprocess.run([str(maskfleet_bin), "worker", "--port", "0", "--data-dir", str(tmp_path)],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "detection_quality must be fast or thorough" in result.stderr


def test_a_thorough_worker_finds_more_faces_in_a_crowd(worker_factory, shared_dir):
    # maksssksksss240: 61 annotated faces, most small; docs/model.md has the method.
    photo = shared_dir / "testdata" / "face-mask" / "images" / "maksssksksss240.png"
    found = {}
    for quality in ["fast", "thorough"]:
        session = worker_factory(worker_detection_quality=quality).session()
        r = session.post(f"{session.base}/api/v1/images",
                         files={"file": (photo.name, io.BytesIO(photo.read_bytes()))})
        assert r.status_code == 201, r.text
        found[quality] = r.json()["num_faces"]
    assert found["thorough"] >= found["fast"] + 8, found  # measured: 24 and 36
