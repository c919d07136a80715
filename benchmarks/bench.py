"""How fast the grader is, measured here and now, against the kata's speed targets.

    python benchmarks/bench.py           about seven minutes on two cores
    python benchmarks/bench.py --quick   fewer repetitions, about four to five
    python benchmarks/bench.py --cpu     only the CPU time of each exercise's tests, a minute or two

Every number comes from this one run on this machine: the import floor
(`python -c "import torch, pytest"`) and the grader are timed in alternation, so a
busy moment slows both. A quiet machine gives the fairest ratios; the load average at
the start and at the end is printed so a reader can tell. Linux only (it reads /proc).
"""

from __future__ import annotations

import argparse
import ast
import importlib.metadata
import json
import os
import platform
import pty
import random
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kata.catalogue import depends  # noqa: E402
from kata.catalogue.course import Exercise, course  # noqa: E402
from kata.catalogue.stubs import pristine_stub  # noqa: E402

PY = sys.executable
FLOOR = [PY, "-c", "import torch, pytest"]
SAMPLE_EVERY = 0.01  # seconds between two looks at a process tree's memory
# The commands run as on a learner's machine: Python keeps the bytecode it compiles.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def grader(*args: str) -> list[str]:
    return [PY, str(ROOT / "grader.py"), *args]


# --- the machine ---------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} cores · {platform.system()} {platform.release()} · "
            f"Python {platform.python_version()} · torch {importlib.metadata.version('torch')} · "
            f"pytest {importlib.metadata.version('pytest')}")


def load() -> str:
    return f"{os.getloadavg()[0]:.2f}"


def _cpu_times() -> tuple[int, int]:
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return sum(fields), fields[3] + fields[4]  # all, idle + iowait


def wait_for_quiet(limit: float = 120.0) -> float:
    """Wait until other programs leave the CPUs idle for a second; the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        total, idle = _cpu_times()
        time.sleep(1.0)
        total2, idle2 = _cpu_times()
        if total2 > total and (idle2 - idle) / (total2 - total) > 0.9:
            break
    return time.monotonic() - started


# --- time ----------------------------------------------------------------------------


def seconds(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=ENV, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def alternating(commands: dict[str, list[str]], rounds: int) -> dict[str, float]:
    """Median wall time of each command, run in turn `rounds` times (after one warm-up each)."""
    for cmd in commands.values():
        seconds(cmd)  # fills the file cache, as a learner's second run finds it
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, cmd in commands.items():
            times[name].append(seconds(cmd))
    return {name: statistics.median(t) for name, t in times.items()}


# --- memory --------------------------------------------------------------------------


@dataclass
class Memory:
    pss: int  # KiB: the largest sum, over one sample, of the PSS of every process of the tree
    rss: int  # KiB: the largest RSS of any single process of the tree (from wait4)
    processes: int  # the most processes seen at once
    threads: int  # the most threads seen in the top process


def _tree(pid: int) -> list[int]:
    pids, i = [pid], 0
    while i < len(pids):
        try:
            for tid in os.listdir(f"/proc/{pids[i]}/task"):
                with open(f"/proc/{pids[i]}/task/{tid}/children") as f:
                    pids += [int(p) for p in f.read().split()]
        except (OSError, ValueError):
            pass
        i += 1
    return pids


def _field(path: str, name: str) -> int:
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(name):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def memory(cmd: list[str]) -> Memory:
    """Run `cmd`, sampling the PSS of its whole process tree every SAMPLE_EVERY seconds.

    PSS shares each page among the processes that map it, so the sum over a tree of
    forked processes counts a page they share once, where RSS would count it in each.
    """
    proc = subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    peak = Memory(0, 0, 0, 0)
    while True:
        pid, _, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            peak.rss = usage.ru_maxrss
            proc.returncode = 0  # reaped here; keeps Popen from waiting again
            return peak
        tree = _tree(proc.pid)
        peak.pss = max(peak.pss, sum(_field(f"/proc/{p}/smaps_rollup", "Pss:") for p in tree))
        peak.processes = max(peak.processes, len(tree))
        peak.threads = max(peak.threads, _field(f"/proc/{proc.pid}/status", "Threads:"))
        time.sleep(SAMPLE_EVERY)


def median_memory(cmd: list[str], rounds: int) -> Memory:
    runs = [memory(cmd) for _ in range(rounds)]
    return Memory(*(int(statistics.median(getattr(m, f) for m in runs))
                    for f in ("pss", "rss", "processes", "threads")))


# --- watch mode ----------------------------------------------------------------------

WRONG = ["return ((y_pred - y) ** 2).sum()", "return (y_pred - y).abs().mean()"]
RIGHT = "return ((y_pred - y) ** 2).mean()"
FOOTER = "q quit".encode()
CHECKED = "Checked at".encode()  # the status line once a check is done


class Terminal:
    """A program in a pseudo-terminal, read as it writes."""

    def __init__(self, cmd: list[str]):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdin=slave, stdout=slave, stderr=slave,
                                     start_new_session=True, env=dict(ENV, TERM="xterm"))
        os.close(slave)
        self.buffer = b""

    def verdict(self, timeout: float = 120) -> float:
        """Wait for the end of the next screen that shows a finished check (a check first draws a
        screen that says "Checking...", then this one); when it came."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            start = self.buffer.find(CHECKED)
            end = self.buffer.find(FOOTER, start) if start >= 0 else -1
            if end >= 0 and self.buffer.find(b"\n", end) >= 0:
                at = time.monotonic()
                self.buffer = self.buffer[self.buffer.find(b"\n", end) + 1:]
                return at
            if select.select([self.master], [], [], 0.005)[0]:
                self.buffer += os.read(self.master, 1 << 16)
        raise TimeoutError("watch mode showed no finished check in time")

    def forget(self) -> None:
        """Read and drop what was drawn so far, so that the next verdict is a new one."""
        while select.select([self.master], [], [], 0.05)[0]:
            os.read(self.master, 1 << 16)
        self.buffer = b""

    def close(self) -> None:
        os.write(self.master, b"q")
        self.proc.wait(timeout=30)
        os.close(self.master)


def stubs(folder: Path) -> Path:
    """Every untouched stub, laid out like exercises/ (the kata's own may hold a learner's work)."""
    for ex in course().exercises:
        (folder / ex.folder).mkdir(parents=True, exist_ok=True)
        (folder / ex.path).write_text(pristine_stub(ex), encoding="utf-8")
    return folder


def watch_latency(saves: int) -> list[float]:
    """Seconds from writing a still-wrong ex04_mse_loss.py to the end of the screen with its verdict."""
    with tempfile.TemporaryDirectory(prefix="kata-bench-") as tmp:
        folder = Path(tmp) / "work"
        shutil.copytree(ROOT / "solutions", folder, ignore=shutil.ignore_patterns("__pycache__"))
        path = folder / course().find("mse_loss").path
        solved = path.read_text()
        path.write_text(solved.replace(RIGHT, WRONG[1]))
        term = Terminal(grader("watch", "--target", str(folder)))
        try:
            term.verdict()
            latencies = []
            pauses = random.Random(4)  # saves fall at any moment of watch mode's polling cycle
            for n in range(saves):
                time.sleep(0.3 + pauses.random() / 5)  # a learner types between saves
                term.forget()
                started = time.monotonic()
                path.write_text(solved.replace(RIGHT, WRONG[n % 2]))
                latencies.append(term.verdict() - started)
        finally:
            term.close()
    return latencies


# --- a batch of submissions ----------------------------------------------------------


MEAN = "return ((y_pred - y) ** 2).mean()"


def submissions(folder: Path, n: int) -> list[Path]:
    """`n` submissions spread from nothing done to everything done, as a class hands in;
    every third one that has done exercise 04 sums the squares instead of averaging them,
    which fails 04 and the exercises built on it."""
    exercises = course().exercises
    made = []
    for k in range(n):
        sub = folder / f"S{k + 1}"
        shutil.copytree(ROOT / "solutions", sub, ignore=shutil.ignore_patterns("__pycache__"))
        solved = round(len(exercises) * k / max(1, n - 1))
        for ex in exercises[solved:]:
            (sub / ex.path).write_text(pristine_stub(ex), encoding="utf-8")
        mse = sub / course().find("mse_loss").path
        source = mse.read_text(encoding="utf-8")
        if k % 3 == 2 and MEAN in source:
            mse.write_text(source.replace(MEAN, MEAN.replace("mean", "sum")), encoding="utf-8")
        made.append(sub)
    return made


def batch(n: int, rounds: int) -> tuple[float, float]:
    """(median seconds for `grade` of n submissions, seconds for n separate `check --target S`)."""
    with tempfile.TemporaryDirectory(prefix="kata-bench-") as tmp:
        subs = submissions(Path(tmp), n)
        out = Path(tmp) / "out"
        seconds(grader("check", "--target", str(subs[0])))  # warm the file cache
        together, apart = [], 0.0
        for r in range(rounds):  # in turns, so that a busy moment slows both sides
            shutil.rmtree(out, ignore_errors=True)
            together.append(seconds(grader("grade", *map(str, subs), "--out", str(out))))
            apart += sum(seconds(grader("check", "--target", str(s))) for s in subs[r::rounds])
        lines = (out / "grades.csv").read_text().splitlines()
        if len(lines) != n + 1:
            raise RuntimeError(f"grade wrote {len(lines) - 1} rows for {n} submissions")
    return statistics.median(together), apart


# --- CPU time of each exercise's tests ---------------------------------------------


FINALE = course().chapters[-1].exercises[-1]  # the last chapter's finale may take 1.5 s (issue 24)


@dataclass
class Cpu:
    seconds: float
    exercise: Exercise
    submission: str  # "reference", or the mistake graded: "MLP--no-relu"


def _replace_function(path: Path, name: str, code: str) -> None:
    """Put `code` (a whole definition) in place of the function or class `name` in `path`."""
    source = path.read_text(encoding="utf-8")
    node = next(n for n in ast.parse(source).body
                if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == name)
    lines = source.splitlines()
    start = (node.decorator_list[0].lineno if node.decorator_list else node.lineno) - 1
    path.write_text("\n".join(lines[:start] + code.strip("\n").splitlines() + lines[node.end_lineno:]) + "\n",
                    encoding="utf-8")


def wrong_submissions(folder: Path) -> list[Path]:
    """For each function of the course, its first known mistake (selftests/mistakes*.toml) in a copy
    of the references that holds only the exercises using the function and what they import: the
    exercises whose tests can see the mistake (a finale's blame runs included)."""
    first: dict[str, dict] = {}
    for path in sorted((ROOT / "selftests").glob("mistakes*.toml")):
        for mistake in tomllib.loads(path.read_text(encoding="utf-8"))["mistake"]:
            first.setdefault(mistake["function"], mistake)
    made = []
    for name, mistake in first.items():
        ex, sub = course().find(name), folder / f"{name}--{mistake['id']}"
        chapter = course().chapter_of(ex)
        needs = depends.needs(ROOT / "solutions" / ex.folder, chapter)
        users = {ex.id} | {other for other, deps in needs.items() if ex.id in deps}
        for e in chapter.exercises:
            if e.id in users or any(e.id in needs[u] for u in users):
                (sub / e.folder).mkdir(parents=True, exist_ok=True)
                shutil.copy(ROOT / "solutions" / e.path, sub / e.path)
        _replace_function(sub / ex.path, name, mistake["code"])
        made.append(sub)
    return made


def test_cpu() -> tuple[list[Cpu], list[Cpu]]:
    """The CPU seconds of every exercise's tests (the grader's `cpu_seconds`), from one `grade` of the
    references and of every function's first known mistake: (on the references, on the mistakes)."""
    with tempfile.TemporaryDirectory(prefix="kata-bench-") as tmp:
        reference = Path(tmp) / "reference"
        shutil.copytree(ROOT / "solutions", reference, ignore=shutil.ignore_patterns("__pycache__"))
        subs = [reference, *wrong_submissions(Path(tmp))]
        out = Path(tmp) / "out"
        subprocess.run(grader("grade", *map(str, subs), "--out", str(out), "--timeout", "60"), cwd=ROOT, env=ENV,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        found: tuple[list[Cpu], list[Cpu]] = ([], [])
        for sub in subs:
            report = json.loads((out / sub.name / "report.json").read_text(encoding="utf-8"))
            for graded in report["exercises"]:
                ex = course().find(graded["id"])
                if (sub / ex.path).exists():  # an absent file is an error that runs nothing
                    found[sub is not reference].append(Cpu(graded["cpu_seconds"], ex, sub.name))
    return found


CPU_NOTE = ("Tests' CPU: the grader's cpu_seconds of each exercise's process, from one `grade` of the references\n"
            "and, for every function, its first known mistake in selftests/mistakes*.toml (the exercises that use\n"
            "it, so a finale's blame runs are counted); the largest, with the exercise and the mistake.")


def cpu_rows(what: str, runs: list[Cpu]) -> list[str]:
    """The largest CPU of the last finale and of every other exercise, against their targets: 1 s for
    every exercise (issue 21), and also 1.5 s for the finale (issue 24)."""
    rows = []
    for label, chosen, targets in (("exercises but " + FINALE.id, [r for r in runs if r.exercise != FINALE], (1.0,)),
                                   (f"finale {FINALE.id}", [r for r in runs if r.exercise == FINALE], (1.0, 1.5))):
        top = max(chosen, key=lambda r: r.seconds)
        where = top.exercise.id + ("" if top.submission == "reference" else f", {top.submission}")
        for target in targets:
            rows.append(row(f"tests' CPU, {what}, {label}: most", f"{top.seconds:.2f} s ({where})",
                            None, f"<= {target:g} s", top.seconds <= target))
    return rows


# --- the report ----------------------------------------------------------------------


def row(what: str, measured: str, ratio: float | None, target: str, met: bool | None) -> str:
    shown = f"{ratio:>6.2f} x" if ratio is not None else " " * 8
    verdict = "" if met is None else "met" if met else "NOT MET"
    return f"  {what:<46} {measured:<36} {shown}  {target:<8} {verdict}".rstrip()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer repetitions")
    p.add_argument("--cpu", action="store_true", help="only the CPU time of each exercise's tests (a minute or two)")
    args = p.parse_args(argv)
    rounds, mem_rounds, spawn_rounds, saves = (3, 2, 1, 7) if args.quick else (7, 3, 3, 11)

    print("PyTorch kata: speed benchmark")
    print(f"machine: {machine()}")
    start_load = load()
    started = time.monotonic()
    waited = 0.0

    on_references, on_mistakes = test_cpu()
    cpu = cpu_rows("references", on_references) + cpu_rows("mistakes", on_mistakes)
    if args.cpu:
        print(f"load average (1 min): {start_load} at the start, {load()} at the end")
        print("\n".join(cpu))
        print(CPU_NOTE)
        return 0
    waited += wait_for_quiet()
    untouched = stubs(Path(tempfile.mkdtemp(prefix="kata-bench-")) / "exercises")
    full = {"floor": FLOOR, "exercises": grader("check", "--target", str(untouched)),
            "solutions": grader("check", "--target", "solutions")}
    waited += wait_for_quiet()
    together, apart = batch(20, spawn_rounds)
    waited += wait_for_quiet()
    t = alternating(full, rounds)
    waited += wait_for_quiet()
    m = {name: median_memory(cmd, mem_rounds) for name, cmd in full.items()}
    waited += wait_for_quiet()
    warm_spawn = alternating({"warm": grader("check", "--target", "solutions"),
                              "spawn": grader("check", "--target", "solutions", "--isolation", "spawn")},
                             spawn_rounds)
    waited += wait_for_quiet()
    latencies = watch_latency(saves)

    results = []
    for name, target in (("exercises", 1.2), ("solutions", 1.5)):
        ratio = t[name] / t["floor"]
        results.append(row(f"check of {name}/: time / import floor", f"{t[name]:.2f} s / {t['floor']:.2f} s",
                           ratio, f"<= {target}", ratio <= target))
    for name in ("exercises", "solutions"):
        ratio = m[name].pss / m["floor"].pss
        results.append(row(f"check of {name}/: peak PSS / floor's", f"{m[name].pss / 1024:.0f} / "
                           f"{m['floor'].pss / 1024:.0f} MiB", ratio, "<= 1.5", ratio <= 1.5))
        ratio = m[name].rss / m["floor"].rss
        results.append(row(f"check of {name}/: max RSS / floor's", f"{m[name].rss / 1024:.0f} / "
                           f"{m['floor'].rss / 1024:.0f} MiB", ratio, "<= 1.5", ratio <= 1.5))
    ratio = warm_spawn["spawn"] / warm_spawn["warm"]
    results.append(row("fresh Python per exercise / warm (solutions/)",
                       f"{warm_spawn['spawn']:.2f} s / {warm_spawn['warm']:.2f} s", ratio, "", None))
    median = statistics.median(latencies)
    results.append(row("watch: save to redrawn verdict, median",
                       f"{median:.3f} s ({len(latencies)} saves, max {max(latencies):.3f})", None,
                       "<= 0.5 s", median <= 0.5))
    ratio = apart / together
    results.append(row("20 checks one by one / one grade of 20", f"{apart:.1f} s / {together:.1f} s",
                       ratio, ">= 4", ratio >= 4))
    results += cpu
    shutil.rmtree(untouched.parent, ignore_errors=True)

    print(f"load average (1 min): {start_load} at the start, {load()} at the end; the run took "
          f"{time.monotonic() - started:.0f} s, {waited:.0f} s of it waiting for idle CPUs between parts")
    print()
    print(f"  {'what':<46} {'measured':<36} {'ratio':>8}  {'target':<8} verdict")
    print("\n".join(results))
    print()
    print(f"Times are medians of {rounds} runs (spawn: {spawn_rounds}), run in alternation after one warm-up")
    print("run each, with Python's default of keeping compiled bytecode (PYTHONDONTWRITEBYTECODE unset).")
    print("Memory is measured in separate runs, sampling every process of the grader's")
    print(f"tree every {SAMPLE_EVERY * 1000:.0f} ms: PSS is summed over the tree (a page the forks share counts once),")
    print("max RSS is that of the largest single process (wait4); medians of "
          f"{mem_rounds} runs. Most processes at once:")
    print(f"floor {m['floor'].processes}, exercises {m['exercises'].processes}, solutions {m['solutions'].processes}; "
          f"most threads in the grader process: {max(m['exercises'].threads, m['solutions'].threads)}.")
    print("Watch latency: a pseudo-terminal runs `grader.py watch` on a copy of solutions/ with a wrong")
    print("ex04_mse_loss.py; each save writes another wrong version, timed until the last line of the screen")
    print("that shows the finished check (not the \"Checking...\" screen drawn before it).")
    print(f"Batch: 20 copies of solutions/, submission k with the first round({len(course().exercises)}k/19) "
          "exercises of the course solved and")
    print("the rest left as stubs, every third one with exercise 04 solved summing instead of averaging")
    print(f"(so 04 and the exercises built on it fail); `grade` (median of {spawn_rounds} runs) against")
    print("20 separate `check --target S` run one after another (the two in turns).")
    print(CPU_NOTE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
