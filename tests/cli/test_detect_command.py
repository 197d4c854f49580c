"""`maskfleet detect` as a user runs it: output, files written, and every bad input."""
import json
import struct
import subprocess
import zlib

import pytest


def run(binary, *args, check=False):
    return subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True,
                          timeout=120, check=check)


@pytest.fixture
def detect(maskfleet_bin, model_dir):
    def _detect(*args):
        return run(maskfleet_bin, "detect", "--model-dir", model_dir, *args)
    return _detect


def png_header_only(width, height):
    """A PNG that declares width x height and holds no pixels (a decompression bomb's header)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def test_version_and_help(maskfleet_bin):
    assert run(maskfleet_bin, "--version").stdout.strip() == "0.1.0"
    help_text = run(maskfleet_bin, "--help").stdout
    assert "detect" in help_text


def test_json_lines_for_each_image(detect, shared_dir):
    images = shared_dir / "testdata" / "face-mask" / "images"
    files = [images / "maksssksksss119.png", images / "maksssksksss522.png",
             shared_dir / "testdata" / "no-face" / "rocket.jpg"]
    result = detect("--json", *files)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(f) for f in files]
    for line in lines:
        assert set(line) == {"file", "width", "height", "format", "num_faces", "num_masked",
                             "num_unmasked", "faces"}
        assert line["num_faces"] == len(line["faces"]) == line["num_masked"] + line["num_unmasked"]
        for face in line["faces"]:
            assert set(face) == {"x", "y", "w", "h", "masked", "confidence"}
            assert 0 <= face["x"] and face["x"] + face["w"] <= line["width"]
            assert 0 <= face["y"] and face["y"] + face["h"] <= line["height"]
    mixed, unmasked, rocket = lines
    assert mixed["num_masked"] > 0 and mixed["num_unmasked"] > 0
    assert unmasked["num_unmasked"] >= 2 and unmasked["num_masked"] == 0
    assert rocket["num_faces"] == 0 and rocket["format"] == "jpeg"
    assert (rocket["width"], rocket["height"]) == (640, 427)


def test_summary_lines_without_json(detect, shared_dir):
    rocket = shared_dir / "testdata" / "no-face" / "rocket.jpg"
    result = detect(rocket)
    assert result.returncode == 0
    assert result.stdout == f"{rocket}: 640x427 jpeg, 0 faces, 0 masked, 0 unmasked\n"


def test_out_writes_annotated_images_with_distinct_names(detect, shared_dir, tmp_path):
    photo = shared_dir / "testdata" / "face-mask" / "images" / "maksssksksss21.png"
    copy_dir = tmp_path / "other"
    copy_dir.mkdir()
    (copy_dir / photo.name).write_bytes(photo.read_bytes())
    out = tmp_path / "out"
    result = detect("--out", out, photo, copy_dir / photo.name)
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in out.iterdir())
    assert written == ["maksssksksss21-2.jpg", "maksssksksss21.jpg"]
    assert (out / "maksssksksss21.jpg").read_bytes()[:3] == b"\xff\xd8\xff"


def bad_inputs(tmp_path, shared_dir):
    jpeg = (shared_dir / "testdata" / "no-face" / "rocket.jpg").read_bytes()
    png = (shared_dir / "testdata" / "no-face" / "coffee.png").read_bytes()
    corrupt = bytearray(png)
    for i in range(100, 400):
        corrupt[i] ^= 0x5A
    files = {
        "empty.jpg": (b"", "empty file"),
        "truncated.jpg": (jpeg[: len(jpeg) // 2], "truncated"),
        "truncated.png": (png[: len(png) // 3], "truncated"),
        "corrupt.png": (bytes(corrupt), "corrupt"),
        "notes.jpg": (b"this is a text file named .jpg\n" * 20, "not an image"),
        "huge.png": (png_header_only(30000, 30000), "30000x30000"),
    }
    paths = {}
    for name, (data, expected) in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        paths[path] = expected
    paths[tmp_path / "missing.jpg"] = "No such file"
    paths[tmp_path] = "directory"
    return paths


def test_every_bad_input_is_one_clear_line_and_the_rest_still_runs(detect, shared_dir, tmp_path):
    bad = bad_inputs(tmp_path, shared_dir)
    good = shared_dir / "testdata" / "face-mask" / "images" / "maksssksksss21.png"
    result = detect("--json", *bad, good)
    assert result.returncode == 1
    errors = result.stderr.splitlines()
    assert len(errors) == len(bad), result.stderr
    for (path, expected), line in zip(bad.items(), errors):
        assert line.startswith(f"maskfleet detect: {path}: "), line
        assert expected in line, line
    outputs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["file"] for o in outputs] == [str(good)]


def test_missing_model_is_an_error_naming_the_file(maskfleet_bin, shared_dir, tmp_path):
    photo = shared_dir / "testdata" / "no-face" / "rocket.jpg"
    result = run(maskfleet_bin, "detect", "--model-dir", tmp_path, photo)
    assert result.returncode == 2
    assert "model file not found" in result.stderr
    assert "face_mask_detection.prototxt" in result.stderr
    assert result.stdout == ""


def test_model_dir_from_environment(maskfleet_bin, model_dir, shared_dir):
    photo = shared_dir / "testdata" / "no-face" / "rocket.jpg"
    result = subprocess.run([str(maskfleet_bin), "detect", str(photo)], capture_output=True,
                            text=True, env={"MASKFLEET_MODEL_DIR": str(model_dir)}, timeout=60)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("threshold", ["0", "1.5", "abc"])
def test_threshold_out_of_range_is_a_usage_error(detect, shared_dir, threshold):
    result = detect("--threshold", threshold, shared_dir / "testdata" / "no-face" / "rocket.jpg")
    assert result.returncode != 0
    assert "threshold" in result.stderr.lower()


def test_higher_threshold_finds_no_more_faces(detect, shared_dir):
    photo = shared_dir / "testdata" / "face-mask" / "images" / "maksssksksss52.png"
    low = json.loads(detect("--json", "--threshold", "0.5", photo).stdout)
    high = json.loads(detect("--json", "--threshold", "0.9", photo).stdout)
    assert 0 < high["num_faces"] < low["num_faces"]


def test_thorough_quality_finds_more_faces_in_a_crowd(detect, shared_dir):
    # maksssksksss240: 61 annotated faces, most near the model's smallest anchor when
    # the whole photo is shrunk to 260x260; the tiles see them at twice the size.
    photo = shared_dir / "testdata" / "face-mask" / "images" / "maksssksksss240.png"
    fast = json.loads(detect("--json", photo).stdout)
    same = json.loads(detect("--json", "--quality", "fast", photo).stdout)
    thorough = json.loads(detect("--json", "--quality", "thorough", photo).stdout)
    assert same == fast
    assert thorough["num_faces"] >= fast["num_faces"] + 8  # measured: 24 and 36


def test_unknown_quality_is_a_usage_error(detect, shared_dir):
    result = detect("--quality", "slow", shared_dir / "testdata" / "no-face" / "rocket.jpg")
    assert result.returncode != 0
    assert "quality" in result.stderr.lower()
