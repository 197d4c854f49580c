"""`maskfleet simulate` as a user runs it: files written, the table printed, bad input refused."""
import subprocess

import pytest

from conftest import REPO

SCENARIO = REPO / "scenarios" / "step-up.toml"


def run(binary, *args, timeout=120):
    return subprocess.run([str(binary), "simulate", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def test_all_controllers_side_by_side(maskfleet_bin, tmp_path):
    out = tmp_path / "sim"
    result = run(maskfleet_bin, SCENARIO, "--out", out, "--controller", "all")
    assert result.returncode == 0, result.stderr
    for controller in ("ours", "naive", "hpa", "hpa-high"):
        csv = (out / f"step-up-{controller}.csv").read_text().splitlines()
        assert csv[0] == ("minute,demand,workers_in_service,workers_starting,average_cpu,action,"
                          "target_size,reason")
        assert len(csv) == 1 + 90  # one row per minute of the 90-minute run
        svg = (out / f"step-up-{controller}.svg").read_text()
        assert svg.startswith("<svg ") and svg.rstrip().endswith("</svg>")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("step-up: 5 -> 25 req/s at 15 min")
    header = lines[1].split()
    assert header == ["figure", "ours", "naive", "hpa", "hpa-high"]
    assert any(line.startswith("under-provisioning accuracy") for line in lines)
    constant = next(line for line in lines if line.startswith("resizes in constant load"))
    assert constant.split()[-4] == "0", constant  # ours


def test_default_controller_is_ours(maskfleet_bin, tmp_path):
    result = run(maskfleet_bin, SCENARIO, "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["step-up-ours.csv", "step-up-ours.svg"]
    assert result.stdout.splitlines()[1].split() == ["figure", "ours"]


def test_markdown_tables(maskfleet_bin, tmp_path):
    result = run(maskfleet_bin, SCENARIO, REPO / "scenarios" / "constant.toml", "--out", tmp_path,
                 "--controller", "all", "--markdown")
    assert result.returncode == 0, result.stderr
    assert "#### step-up" in result.stdout and "#### constant" in result.stdout
    assert "| figure | ours | naive | hpa | hpa-high |" in result.stdout


def test_bad_scenario_is_a_clear_error(maskfleet_bin, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('duration = "30m"\n[workers]\ncapacity = -1\n[[load]]\nat = 0\nrate = 5\n')
    result = run(maskfleet_bin, bad, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert f"{bad}:3: workers.capacity must be a number above 0" in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "out").exists()  # nothing runs before every scenario parsed


def test_usage_errors_exit_2(maskfleet_bin, tmp_path):
    missing = run(maskfleet_bin, tmp_path / "nope.toml", "--out", tmp_path)
    assert missing.returncode == 2 and "scenario file not found" in missing.stderr
    no_out = run(maskfleet_bin, SCENARIO)
    assert no_out.returncode == 2 and "--out DIR is required" in no_out.stderr
    controller = run(maskfleet_bin, SCENARIO, "--out", tmp_path, "--controller", "pid")
    assert controller.returncode == 2 and "unknown controller 'pid'" in controller.stderr
    extra = run(maskfleet_bin, SCENARIO, "--out", tmp_path, "--fast")
    assert extra.returncode == 2 and "unexpected argument '--fast'" in extra.stderr


def test_docs_results_show_what_the_simulator_computes(maskfleet_bin, tmp_path):
    """docs/results.md's tables are the simulator's output, and its charts exist."""
    scenarios = sorted((REPO / "scenarios").glob("*.toml")) + sorted((REPO / "scenarios" / "limits").glob("*.toml"))
    result = run(maskfleet_bin, *scenarios, "--out", tmp_path, "--controller", "all", "--markdown")
    assert result.returncode == 0, result.stderr
    docs = (REPO / "docs" / "results.md").read_text()
    blocks = result.stdout.split("#### ")[1:]
    assert len(blocks) == len(scenarios)
    for block in blocks:
        name = block.splitlines()[0].strip()
        table = "\n".join(line for line in block.splitlines() if line.startswith("|"))
        assert table in docs, f"docs/results.md: the table of {name} is not the simulator's; rerun it"
        for controller in ("ours", "naive", "hpa"):
            assert (REPO / "docs" / "results" / f"{name}-{controller}.svg").is_file()
            assert f"(results/{name}-{controller}.svg)" in docs


def test_seeds_table_and_docs_suite(maskfleet_bin, tmp_path):
    """--seeds N prints the figures over N seeds; docs/results.md's suite tables are that
    output for the suite with 10 seeds, and their charts exist."""
    scenarios = sorted((REPO / "scenarios" / "suite").glob("*.toml"))
    result = run(maskfleet_bin, *scenarios, "--controller", "all", "--seeds", "10", "--markdown",
                 "--out", tmp_path, timeout=600)
    assert result.returncode == 0, result.stderr
    docs = (REPO / "docs" / "results.md").read_text()
    blocks = result.stdout.split("#### ")[1:]
    assert len(blocks) == len(scenarios)
    for block in blocks:
        name = block.splitlines()[0].strip()
        table = "\n".join(line for line in block.splitlines() if line.startswith("|"))
        assert "| direction changes in constant load (sum) |" in table
        assert table in docs, f"docs/results.md: the suite table of {name} is not the simulator's; rerun it"
        for controller in ("ours", "hpa"):
            assert (REPO / "docs" / "results" / "suite" / f"{name}-{controller}.svg").is_file()
            assert f"(results/suite/{name}-{controller}.svg)" in docs
    bad = run(maskfleet_bin, scenarios[0], "--seeds", "-1", "--out", tmp_path)
    assert bad.returncode == 2 and "--seeds must be from 1 to 1000" in bad.stderr


LIVE_SCENARIO = REPO / "scenarios" / "live" / "step.toml"


def recording(rate_of, seconds, in_service_of):
    """A made-up recording in live-run.sh's format: the scenario's rates, a pool that
    grows 1 -> 2 at 90 s and nothing else."""
    rows = ["t,offered_rate,in_service,starting,draining,desired,average_cpu,action,size_before,size_after,"
            "sent,succeeded,failed"]
    for t in range(seconds):
        check = ("grow", 1, 2) if t == 90 else ("", "", "")
        rows.append(f"{t},{rate_of(t):g},{in_service_of(t)},0,0,{in_service_of(t)},"
                    f"{'95.0' if t >= 90 else ''},{check[0]},{check[1]},{check[2]},2,2,0")
    return "\n".join(rows) + "\n"


def live_rate(t):
    return 4 if 60 <= t < 300 else 0.5


def test_replay_puts_a_recording_beside_the_simulation(maskfleet_bin, tmp_path):
    live = tmp_path / "live.csv"
    live.write_text(recording(live_rate, 480, lambda t: 2 if t >= 92 else 1))
    result = run(maskfleet_bin, LIVE_SCENARIO, "--replay", live, "--out", tmp_path / "out", "--markdown")
    assert result.returncode == 0, result.stderr
    assert "| figure | live | ours |" in result.stdout
    resizes = next(line for line in result.stdout.splitlines() if line.startswith("| resizes |"))
    assert resizes.split("|")[2].strip() == "1", resizes
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "live-step-live.svg", "live-step-ours.csv", "live-step-ours.svg"]
    for chart in ("live", "ours"):
        svg = (tmp_path / "out" / f"live-step-{chart}.svg").read_text()
        assert "CPU (%)" in svg and "grow 70%" in svg  # the CPU panel


def test_replay_refuses_a_recording_of_another_load(maskfleet_bin, tmp_path):
    live = tmp_path / "live.csv"
    live.write_text(recording(lambda t: 3, 480, lambda t: 1))
    result = run(maskfleet_bin, LIVE_SCENARIO, "--replay", live, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert f"{live}: the offered rate at t = 0 is 3 req/s, scenario live-step has 0.5" in result.stderr
    short = tmp_path / "short.csv"
    short.write_text(recording(live_rate, 100, lambda t: 1))
    result = run(maskfleet_bin, LIVE_SCENARIO, "--replay", short, "--out", tmp_path / "out")
    assert result.returncode == 2 and "holds 100 seconds, scenario live-step lasts 480" in result.stderr
    two = run(maskfleet_bin, LIVE_SCENARIO, SCENARIO, "--replay", live, "--out", tmp_path / "out")
    assert two.returncode == 2 and "--replay takes exactly one SCENARIO.toml" in two.stderr
    missing = run(maskfleet_bin, LIVE_SCENARIO, "--replay", tmp_path / "nope.csv", "--out", tmp_path / "out")
    assert missing.returncode == 2 and "recording not found" in missing.stderr
    assert not (tmp_path / "out").exists()


def test_docs_results_show_the_recorded_live_run(maskfleet_bin, tmp_path):
    """docs/results.md's live-run table is what the simulator computes from the committed
    recording, beside its simulation; figures.md and the charts are that run's."""
    live = REPO / "docs" / "results" / "live"
    result = run(maskfleet_bin, LIVE_SCENARIO, "--replay", live / "live.csv", "--out", tmp_path, "--markdown")
    assert result.returncode == 0, result.stderr
    assert (live / "figures.md").read_text() == result.stdout
    docs = (REPO / "docs" / "results.md").read_text()
    table = "\n".join(line for line in result.stdout.splitlines() if line.startswith("|"))
    assert table in docs, "docs/results.md: the live run's table is not the simulator's; rerun it"
    for chart in ("live", "ours"):
        assert (live / f"live-step-{chart}.svg").read_text() == (tmp_path / f"live-step-{chart}.svg").read_text()
        assert f"(results/live/live-step-{chart}.svg)" in docs


@pytest.mark.parametrize("name", ["step", "crowd"])
def test_docs_results_show_the_latest_live_runs(maskfleet_bin, tmp_path, name):
    """docs/results.md's latest live runs: each table is what the simulator computes from
    the committed recording beside its simulation, and the charts are that run's."""
    scenario = REPO / "scenarios" / "live" / f"{name}.toml"
    live = REPO / "docs" / "results" / "live-latest" / name
    result = run(maskfleet_bin, scenario, "--replay", live / "live.csv", "--out", tmp_path, "--markdown")
    assert result.returncode == 0, result.stderr
    assert (live / "figures.md").read_text() == result.stdout
    docs = (REPO / "docs" / "results.md").read_text()
    table = "\n".join(line for line in result.stdout.splitlines() if line.startswith("|"))
    assert table in docs, f"docs/results.md: the latest {name} live run's table is not the simulator's"
    for chart in ("live", "ours"):
        assert (live / f"live-{name}-{chart}.svg").read_text() == (tmp_path / f"live-{name}-{chart}.svg").read_text()
        assert f"(results/live-latest/{name}/live-{name}-{chart}.svg)" in docs
