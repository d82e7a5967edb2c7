"""Benchmark of the class grading path (`python -m tools.grade`): parallel speed-up and overhead per submission.

    .venv/bin/python benchmarks/bench_grading.py [--assignment hw0_mle] [--submissions 20] [--workers 1 2]

Builds a throwaway course with N submissions of the assignment (the instructor's solution and the test suite's
`correct_*` and `wrong_*` answer files, cycled), grades the whole class once per worker count, and reports:
- wall time of the autograde phase per worker count and the speed-up over one worker;
- the overhead per submission: (autograde time with one worker) / N minus the time to just execute the same
  notebook (`jupyter nbconvert --execute`, median over the distinct notebooks), i.e. what the grading path adds
  (nbgrader start, sandbox, restoring cells, gradebook writes).
Run it on an otherwise idle machine: other load changes both numbers.
"""

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests" / "grading")]  # the tools package and the grading test helpers

import grading_helpers as helpers  # noqa: E402


def build_class(course, assignment, count):
    notebooks = [("solution", assignment.build_notebook({}))]
    notebooks += [(s.name, assignment.build_notebook(s.answers)) for s in assignment.load_submissions(["correct_", "wrong_"])]
    students = []
    for i in range(count):
        name, notebook = notebooks[i % len(notebooks)]
        student = f"s{i:02d}_{name}"
        assignment.submit(course, student, notebook)
        students.append((student, notebook))
    return students


def execute_time(notebook, folder):
    path = Path(folder) / "plain.ipynb"
    import nbformat

    nbformat.write(notebook, str(path))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", str(path),
                    "--output", "executed.ipynb", "--ExecutePreprocessor.timeout=300", "--allow-errors"],
                   cwd=folder, capture_output=True, check=True)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default="hw0_mle")
    parser.add_argument("--submissions", type=int, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--plain-runs", type=int, default=3, help="notebooks executed without grading, for overhead")
    args = parser.parse_args(argv)
    assignment = next(a for a in helpers.ASSIGNMENTS if a.name == args.assignment)

    times = {}
    with tempfile.TemporaryDirectory(prefix="dgm-bench-grading-") as scratch:
        students = None
        for workers in args.workers:
            (Path(scratch) / f"course-{workers}").mkdir()
            course = helpers.make_course(Path(scratch) / f"course-{workers}")
            students = build_class(course, assignment, args.submissions)
            completed = helpers.run_tool(course, "grade", assignment.name, "--workers", str(workers))
            match = re.search(r"autograde: (\d+) submissions in ([\d.]+) s", completed.stdout)
            if match is None:
                raise SystemExit(completed.stdout[-3000:] + completed.stderr[-3000:])
            times[workers] = float(match.group(2))
            print(f"{workers} worker(s): {args.submissions} submissions in {times[workers]:.1f} s "
                  f"({times[workers] / args.submissions:.1f} s each)", flush=True)
        plain = [execute_time(notebook, scratch) for _, notebook in students[:args.plain_runs]]
    plain_median = statistics.median(plain)
    one = times.get(1)
    print("\n| workers | autograde wall time (s) | per submission (s) | speed-up |")
    print("| --- | --- | --- | --- |")
    for workers, seconds in times.items():
        speedup = f"{one / seconds:.2f}x" if one else "-"
        print(f"| {workers} | {seconds:.1f} | {seconds / args.submissions:.1f} | {speedup} |")
    if one:
        print(f"\nplain execution of one notebook (nbconvert, median of {len(plain)}): {plain_median:.1f} s; "
              f"overhead per submission with 1 worker: {one / args.submissions - plain_median:.1f} s")


if __name__ == "__main__":
    main()
