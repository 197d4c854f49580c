"""Fixtures of the load generator's black-box tests: the worker fixtures of
tests/worker (a real `maskfleet worker` on 127.0.0.1 with a temporary data
folder), a registered user, and a folder of photos from the shared test data."""
import importlib.util
import pathlib
import shutil
import uuid

import pytest
import requests


def _load_worker_conftest():
    # Loaded from its file under its own name: "conftest" is already tests/conftest.py.
    path = pathlib.Path(__file__).resolve().parent.parent / "worker" / "conftest.py"
    spec = importlib.util.spec_from_file_location("maskfleet_worker_conftest", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_worker_conftest = _load_worker_conftest()
worker_factory = _worker_conftest.worker_factory
worker = _worker_conftest.worker


@pytest.fixture(scope="module")
def backend():
    """SQLite only: what the generator does does not depend on the worker's database
    (tests/worker runs the worker itself on the others)."""
    return None


@pytest.fixture
def user(worker):
    """A fresh account, registered through the specification's /api/register."""
    name = "lg_" + uuid.uuid4().hex[:12]
    password = "loadgen-password-1"
    r = requests.post(f"{worker.url}/api/register", data={"username": name, "password": password},
                      timeout=30)
    assert r.status_code == 200, r.text
    return name, password


@pytest.fixture
def photo_folder(shared_dir, tmp_path):
    """Three photos (PNG and JPEG) and a file that is not one."""
    folder = tmp_path / "photos"
    folder.mkdir()
    images = shared_dir / "testdata" / "face-mask" / "images"
    shutil.copy(images / "maksssksksss119.png", folder / "a.png")
    shutil.copy(images / "maksssksksss650.png", folder / "b.png")
    shutil.copy(shared_dir / "testdata" / "no-face" / "rocket.jpg", folder / "c.jpg")
    (folder / "README.txt").write_text("not a photo\n")
    return folder
