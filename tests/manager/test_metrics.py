"""Metric correctness and history across a restart (docs/manager.md, "Metrics"). These
wait for whole wall-clock minutes: the scenarios (manager_scenarios.py) run in the
background from the start of the session, and these tests judge what they saw."""
import pytest

from manager_scenarios import COUNTED_REQUESTS

pytestmark = pytest.mark.long

# The tolerance for the CPU figure, in percentage points.
CPU_TOLERANCE = 10


def scenario(long_scenarios, name, *keys):
    result = long_scenarios[name].result(timeout=600)
    missing = [k for k in keys if k not in result]
    if missing:
        pytest.fail(f"scenario {name} did not get as far as {missing}:\n{result.get('error')}", pytrace=False)
    return result


def _at(metrics, minute):
    assert minute in metrics["minutes"], f"minute {minute} not in {metrics['minutes']}"
    return metrics["minutes"].index(minute)


def test_requests_sent_in_a_minute_show_as_that_many(long_scenarios):
    r = scenario(long_scenarios, "count_and_history", "before")
    assert r["statuses"] == [200] * COUNTED_REQUESTS, r["statuses"]
    before, i = r["before"], _at(r["before"], r["minute"])
    counts = {w["id"]: w["requests_per_minute"][i] for w in before["workers"]}
    assert sum(v or 0 for v in counts.values()) == COUNTED_REQUESTS, \
        f"{COUNTED_REQUESTS} requests in minute {r['minute']}; GET /api/v1/metrics says {counts}"


def test_requests_through_haproxy_in_a_minute_are_its_balancer_count(long_scenarios):
    # What the auto-scaler reads of a saturated pool: HAProxy's counts, per minute in the
    # database (all answered 200 here: every one offered is served).
    r = scenario(long_scenarios, "count_and_history", "balancer_minute")
    offered, served = r["balancer_minute"]
    assert offered == pytest.approx(COUNTED_REQUESTS, abs=1e-6), (r["minute"], offered, served)
    assert served == pytest.approx(COUNTED_REQUESTS, abs=1e-6), (r["minute"], offered, served)


def test_restart_keeps_the_pool_size_history(long_scenarios):
    r = scenario(long_scenarios, "count_and_history", "before", "after")
    assert r["exit_status"] == 0 and not r["left_after_stop"], (r["exit_status"], r["left_after_stop"])
    minute = r["minute"]
    was = {k: v[_at(r["before"], minute)] for k, v in r["before"]["pool_size"].items()}
    now = {k: v[_at(r["after"], minute)] for k, v in r["after"]["pool_size"].items()}
    assert was["in_service"] == 1, was
    assert now == was, f"pool size of minute {minute} before the restart {was}, after {now}"


def test_restart_keeps_the_workers_cpu_history(long_scenarios):
    r = scenario(long_scenarios, "count_and_history", "before", "after")
    minute = r["minute"]
    (worker,) = r["workers_before"]
    was = {w["id"]: w for w in r["before"]["workers"]}[worker]
    cpu_was = was["cpu_percent"][_at(r["before"], minute)]
    assert cpu_was is not None, was
    after = {w["id"]: w for w in r["after"]["workers"]}
    assert worker in after, \
        f"worker {worker} of the earlier run (its charts) not in GET /api/v1/metrics after the restart: {list(after)}"
    assert after[worker]["cpu_percent"][_at(r["after"], minute)] == pytest.approx(cpu_was, abs=0.01)
    assert after[worker]["requests_per_minute"][_at(r["after"], minute)] == \
        was["requests_per_minute"][_at(r["before"], minute)]


@pytest.mark.parametrize("limit", ["auto", "governor"])
@pytest.mark.parametrize("kind, least, most", [("busy", 65, 200), ("part", 25, 75)])
def test_cpu_figure_matches_the_workers_use_of_its_allotment(long_scenarios, limit, kind, least, most):
    """`limit`: the manager's cpu_limit (auto: a cgroup where one can be made). `least`..
    `most`: the share the load must have given the worker (busy: all of its allotment,
    as near as a closed loop gets; part: uploads paced to half of it) for the
    comparison to mean something."""
    r = scenario(long_scenarios, "cpu" if limit == "auto" else "cpu_governor", "metrics")
    if limit == "governor":
        assert r["cpu_limit"]["mechanism"] == "governor", r["cpu_limit"]
    w = r["workers"][kind]
    measured, reported = w["measured_percent"], w["reported_percent"]
    print(f"{limit} {kind} {w['worker']}, minute {r['minute']}: measured {measured:.1f} %, reported {reported} %, "
          f"limit {r['cpu_limit']}, answers {w['statuses']}")
    assert set(w["statuses"]) == {200}, f"the load's answers: {w['statuses']}"
    assert least <= measured <= most, \
        f"the load kept the worker {measured:.1f} % busy (limit {r['cpu_limit']}), not {least}..{most} %"
    assert reported is not None, "no CPU figure for the minute"
    assert abs(reported - measured) <= CPU_TOLERANCE, \
        (f"minute {r['minute']}: the manager reports {reported:.1f} % of the allotment, the worker's "
         f"/proc/PID/stat says {measured:.1f} % (limit {r['cpu_limit']})")


def test_long_scenarios_stopped_cleanly(long_scenarios):
    for name in long_scenarios:
        r = long_scenarios[name].result(timeout=600)
        assert not r["problems"], "\n".join(r["problems"])
