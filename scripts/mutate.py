#!/usr/bin/env python3
"""Hand-written mutation testing of maskfleet's pure components.

Each component has a list of single mutations in scripts/mutants/<component>.txt.
For each mutation this replaces one piece of text in the component's source file,
rebuilds only the component's test binaries (one Ninja target each), runs them,
and puts the file back. A mutant is killed when a test fails (or the tests hang
past the timeout), and survives when they all pass. The file is restored after
every mutant, on failure and on Ctrl-C too; scripts/mutate.sh also restores it
from the backup this leaves beside it should this process be killed outright.

List format (one mutation per line; '#' starts a comment line):

    file src/maskfleet/detect/postprocess.cc     the file the mutants below apply to
    tests detect_postprocess_test                 the component's test targets
    FIND => REPLACE                               a mutant
    excluded [why it cannot change behaviour] FIND => REPLACE

FIND is literal text that must occur exactly once in the file ("\\n" in FIND or
REPLACE stands for a line break); REPLACE may be empty (a dropped statement). A
list may name several files (a component's header holds its defaults); each 'file'
line applies to the mutants after it. Excluded mutants are listed, never built.
"""
import argparse
import os
import pathlib
import re
import signal
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
LISTS = REPO / "scripts" / "mutants"
# scripts/mutate.sh sets MUTATE_RUN_ID to its process id, so that it puts back only
# its own run's files.
BACKUP_SUFFIX = f".mutate-backup-{os.environ.get('MUTATE_RUN_ID', os.getpid())}"


class ListError(Exception):
    pass


class Mutant:
    def __init__(self, source, find, replace, line, excluded_because=None):
        self.source = source
        self.find = find
        self.replace = replace
        self.line = line  # in the source file
        self.excluded_because = excluded_because

    def describe(self):
        find = self.find.replace("\n", "\\n")
        replace = self.replace.replace("\n", "\\n") if self.replace else "(nothing)"
        return f"{self.source.name}:{self.line}: {find}  =>  {replace}"


class Component:
    def __init__(self, name):
        self.name = name
        self.list_path = LISTS / f"{name}.txt"
        self.sources = []
        self.tests = []
        self.mutants = []
        self._parse()

    def _parse(self):
        if not self.list_path.exists():
            raise ListError(f"no mutant list {self.list_path.relative_to(REPO)}")
        raw = []
        for number, line in enumerate(self.list_path.read_text().splitlines(), 1):
            where = f"{self.list_path.relative_to(REPO)}:{number}"
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line.startswith("file "):
                self.sources.append(REPO / line[5:].strip())
                continue
            if line.startswith("tests "):
                self.tests = line[6:].split()
                continue
            reason = None
            excluded = re.match(r"excluded \[([^\]]+)\] (.*)$", line)
            if excluded:
                reason, line = excluded.group(1), excluded.group(2)
            if " => " not in line and not line.endswith(" =>"):
                raise ListError(f"{where}: expected 'FIND => REPLACE'")
            find, _, replace = line.partition(" =>")
            if not self.sources:
                raise ListError(f"{where}: a mutant before any 'file' line")
            find, replace = (part.strip().replace("\\n", "\n") for part in (find, replace))
            raw.append((where, self.sources[-1], find, replace, reason))
        if not self.sources or not self.tests:
            raise ListError(f"{self.list_path.relative_to(REPO)}: needs a 'file' and a 'tests' line")
        for where, source, find, replace, reason in raw:
            text = source.read_text()
            count = text.count(find)
            if count != 1:
                raise ListError(f"{where}: '{find}' occurs {count} times in "
                                f"{source.relative_to(REPO)}, not once")
            if find == replace:
                raise ListError(f"{where}: the replacement is the same text")
            line = text[:text.index(find)].count("\n") + 1
            self.mutants.append(Mutant(source, find, replace, line, reason))

    def binaries(self, build_dir):
        folder = build_dir / self.sources[0].parent.relative_to(REPO)
        return [folder / test for test in self.tests]


def nice(command):
    return ["nice", "-n", "10", *command]


def build(build_dir, targets, log):
    result = subprocess.run(nice(["cmake", "--build", str(build_dir), "--target", *targets]),
                            stdout=log, stderr=subprocess.STDOUT)
    return result.returncode == 0


def tests_pass(binaries, timeout, log):
    """True if every binary passes; a hang past `timeout` seconds is a failure."""
    for binary in binaries:
        try:
            result = subprocess.run(nice([str(binary), "--gtest_fail_fast", "--gtest_brief=1"]),
                                    stdout=log, stderr=subprocess.STDOUT, timeout=timeout,
                                    start_new_session=True)
        except subprocess.TimeoutExpired:
            log.write(f"\n{binary.name}: timed out after {timeout} s\n".encode())
            return False
        if result.returncode != 0:
            return False
    return True


class Restorer:
    """Writes the original text back, whatever ends the run."""

    def __init__(self, path):
        self.path = path
        self.original = path.read_bytes()
        self.backup = path.with_name(path.name + BACKUP_SUFFIX)
        self.backup.write_bytes(self.original)

    def mutate(self, find, replace):
        text = self.original.decode()
        self.path.write_text(text.replace(find, replace, 1))

    def restore(self):
        if self.path.read_bytes() != self.original:
            self.path.write_bytes(self.original)

    def close(self):
        self.restore()
        self.backup.unlink(missing_ok=True)


def run_component(component, build_dir, timeout, log_dir):
    log_path = log_dir / f"{component.name}.log"
    print(f"== {component.name}: {', '.join(str(s.relative_to(REPO)) for s in component.sources)}, "
          f"tests {' '.join(component.tests)} (log: {log_path})", flush=True)
    killed = survived = broken = 0
    with open(log_path, "wb") as log:
        if not build(build_dir, component.tests, log):
            print("   the unmutated source does not build; see the log")
            return None
        if not tests_pass(component.binaries(build_dir), timeout, log):
            print("   the tests fail without any mutation; see the log")
            return None
        for mutant in component.mutants:
            if mutant.excluded_because:
                continue
            log.write(f"\n==== mutant {mutant.describe()}\n".encode())
            log.flush()
            started = time.monotonic()
            restorer = Restorer(mutant.source)
            try:
                restorer.mutate(mutant.find, mutant.replace)
                if not build(build_dir, component.tests, log):
                    verdict = "NO BUILD"
                    broken += 1
                elif tests_pass(component.binaries(build_dir), timeout, log):
                    verdict = "SURVIVED"
                    survived += 1
                else:
                    verdict = "killed"
                    killed += 1
            finally:
                restorer.close()
            print(f"   {verdict:8} {mutant.describe()}  ({time.monotonic() - started:.0f} s)",
                  flush=True)
        # Leave the build as the sources are.
        build(build_dir, component.tests, log)
    excluded = [m for m in component.mutants if m.excluded_because]
    for mutant in excluded:
        print(f"   excluded {mutant.describe()}\n            because {mutant.excluded_because}")
    total = killed + survived
    score = 100.0 * killed / total if total else 0.0
    print(f"   {component.name}: {total} mutants, {killed} killed, {survived} survived, "
          f"{len(excluded)} excluded, score {score:.0f} %"
          + (f"; {broken} did not build (fix the list)" if broken else ""), flush=True)
    return component.name, total, killed, survived, len(excluded), score, broken


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("components", nargs="*",
                        help="names of lists in scripts/mutants (default: all)")
    parser.add_argument("--check", action="store_true",
                        help="only check that every list applies to its source; build nothing")
    parser.add_argument("--build-dir", default=str(REPO / "build"))
    parser.add_argument("--timeout", type=int, default=60,
                        help="seconds a test binary may run before the mutant counts as killed")
    args = parser.parse_args()

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)

    names = args.components or sorted(p.stem for p in LISTS.glob("*.txt"))
    try:
        components = [Component(name) for name in names]
    except ListError as error:
        print(f"mutate: {error}", file=sys.stderr)
        return 2
    if args.check:
        for c in components:
            excluded = sum(1 for m in c.mutants if m.excluded_because)
            print(f"{c.name}: {len(c.mutants) - excluded} mutants, {excluded} excluded "
                  f"({', '.join(str(s.relative_to(REPO)) for s in c.sources)})")
        return 0
    build_dir = pathlib.Path(args.build_dir)
    log_dir = build_dir / "mutate"
    log_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for component in components:
        result = run_component(component, build_dir, args.timeout, log_dir)
        if result is None:
            return 1
        results.append(result)
    print("\n| component | mutants | killed | survived | excluded | score |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, total, killed, survived, excluded, score, _ in results:
        print(f"| {name} | {total} | {killed} | {survived} | {excluded} | {score:.0f} % |")
    return 1 if any(r[6] for r in results) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\nmutate: interrupted; the source files are restored", file=sys.stderr)
        sys.exit(130)
