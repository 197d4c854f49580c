"""Shared fixtures of the black-box tests: where the binary and the shared data are."""
import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def maskfleet_bin() -> pathlib.Path:
    path = pathlib.Path(os.environ.get("MASKFLEET_BIN", REPO / "build" / "maskfleet"))
    assert path.exists(), f"{path} not built: run scripts/setup.sh"
    return path


@pytest.fixture(scope="session")
def shared_dir() -> pathlib.Path:
    path = pathlib.Path(os.environ.get("MASKFLEET_SHARED_DIR", REPO.parent / "shared"))
    assert (path / "testdata").is_dir(), f"no test data under {path}"
    return path.resolve()


@pytest.fixture(scope="session")
def model_dir(shared_dir) -> pathlib.Path:
    return shared_dir / "models" / "aizoo-face-mask"
