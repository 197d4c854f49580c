"""Black-box tests of `maskfleet manager` (docs/manager.md) on loopback, with real workers
and a real HAProxy.

`manager_factory(data_dir=None)` starts `maskfleet manager --data-dir TMP --port 0
--lb-port 0`, reads its start-up line and logs in as the administrator (with the
generated initial password, which it changes, or with ADMIN_PASSWORD on a data folder
where that was done before). At the end of the test every manager it started is
stopped with SIGTERM; each must exit 0 and leave no process whose command line names
its data folder (workers run with `--data-dir TMP`, HAProxy with its files under
TMP/haproxy).

`manager` is one such manager. Tests marked `long` wait for wall-clock minutes; their
managers are started at the beginning of the session, in background threads, so that
those minutes pass while the other tests run (see `long_scenarios` below and
test_metrics.py).
"""
import concurrent.futures
import os
import threading

import pytest

from manager_harness import PHOTO, ManagerFactory


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "long: waits for wall-clock minutes (metrics); select with -m long, skip with -m 'not long'")


def pytest_collection_modifyitems(config, items):
    # The long tests last: their scenarios run in the background meanwhile.
    items.sort(key=lambda item: item.get_closest_marker("long") is not None)


def manager_environment(model_dir):
    return {**os.environ, "MASKFLEET_MODEL_DIR": str(model_dir),
            # Argon2id at its minimum cost keeps logins fast; the real cost is tested in
            # the C++ unit tests.
            "MASKFLEET_AUTH_PASSWORD_HASHING": "minimum"}


@pytest.fixture
def manager_factory(maskfleet_bin, model_dir, tmp_path_factory):
    factory = ManagerFactory(maskfleet_bin, manager_environment(model_dir), tmp_path_factory)
    yield factory
    problems = factory.close()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def manager(manager_factory):
    """A manager with the administrator logged in (client: manager.api)."""
    return manager_factory()


@pytest.fixture(scope="session")
def photo(shared_dir):
    return (shared_dir / PHOTO).read_bytes()


# ----------------------------------------------------------------------------- long scenarios

@pytest.fixture(scope="session", autouse=True)
def long_scenarios(request, maskfleet_bin, model_dir, tmp_path_factory, shared_dir):
    """The futures of the long scenarios (test_metrics.py), started at the session's first
    test of this folder when any long test is selected."""
    if not any(item.get_closest_marker("long") for item in request.session.items):
        yield {}
        return
    import manager_scenarios  # beside this file

    # pytest makes its base temporary folder on first use, without a lock: two scenario
    # threads asking first could each make one, and mktemp then refuses the other's
    # (seen in CI: "mgr is not a normalized and relative path"). Make it here, first.
    tmp_path_factory.getbasetemp()
    abort = threading.Event()
    env = manager_environment(model_dir)
    factories = {
        "count_and_history": ManagerFactory(maskfleet_bin, env, tmp_path_factory),
        "cpu": ManagerFactory(maskfleet_bin, env, tmp_path_factory),
        # The in-worker governor, which is what machines without cgroups get.
        "cpu_governor": ManagerFactory(maskfleet_bin, {**env, "MASKFLEET_MANAGER_CPU_LIMIT": "governor"},
                                       tmp_path_factory),
    }
    photo_bytes = (shared_dir / PHOTO).read_bytes()
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=len(factories))
    futures = {
        "count_and_history": executor.submit(manager_scenarios.count_and_history, factories["count_and_history"],
                                             abort),
        "cpu": executor.submit(manager_scenarios.cpu_share, factories["cpu"], photo_bytes, abort),
        "cpu_governor": executor.submit(manager_scenarios.cpu_share, factories["cpu_governor"], photo_bytes, abort),
    }
    yield futures
    if not all(f.done() for f in futures.values()):
        abort.set()
    executor.shutdown(wait=True)
    for factory in factories.values():
        factory.close()  # the scenarios have closed theirs and reported problems
