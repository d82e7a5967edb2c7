"""Autograde every submission of an assignment, in parallel and confined; export the grades; write the feedback.

    python -m tools.grade ASSIGNMENT [--workers N] [--cell-timeout S] [--submission-timeout S] [--memory-gb G]
                                     [--no-sandbox] [--student ID ...]          (from the course root)
    make grade ASSIGNMENT=hw1_autoregressive [GRADE_WORKERS=N]

From Python, in the course root: ``from tools.grade import grade_assignment; report = grade_assignment("hw0_mle")``.

Submissions are notebooks at submitted/<student_id>/ASSIGNMENT/<notebook>.ipynb (nbgrader's layout); they are read,
never modified. Steps:

1. `nbgrader generate_assignment` (once per run) records the source notebooks (locked cells, hidden tests, points)
   in the course's gradebook (assignments/ is not touched); that definition, and nothing else of the gradebook, is
   copied into a template gradebook in a scratch folder (tools/gradestate.py).
2. Each submission is graded by its own `nbgrader autograde --student ID` in its own scratch course: a copy of the
   student's files (symbolic links dropped) and a copy of the template gradebook. N submissions run at once
   (`--workers`, default: the number of CPU cores). The notebook runs in a kernel started by
   tools/sandbox_kernel.py: inside a bubblewrap sandbox that sees only that student's files (no solutions/, no
   gradebook, no tools/, no other student, no network), with a memory limit and progress bars off
   (TQDM_DISABLE=1); see that file for exactly what is guaranteed.
   Locked and test cells are restored from the gradebook (deleted ones put back), as nbgrader does.
3. Limits: a cell runs at most `--cell-timeout` seconds (then it is interrupted and scores 0; a kernel that ignores
   the interrupt is killed); a submission gets `--submission-timeout` seconds of wall-clock time in all. A kernel
   that dies (os._exit, a crash) or is killed makes that submission *failed to grade*, with the reason in the
   report: never a silent 0. The other submissions go on.
4. The scores of the graded submissions are written to gradebook.db (automatic scores only: a manual score an
   instructor gave is kept), their executed notebooks to autograded/, the outcome of each attempt (graded, or
   failed and why) to grading_status/ASSIGNMENT.json (the entries of students not graded in this run are kept);
   then `nbgrader generate_feedback` writes feedback/ (scores and failure messages, no hidden test code, no paths
   of the grading machine) and grades.csv is written for every assignment with nbgrader export's columns and
   `grading_status` ("graded", "failed to grade: <reason>", "not graded yet" or "missing"; the scores are left
   empty unless graded). See tools/gradestate.py.
5. A report: grading_report_ASSIGNMENT.csv (the latest attempt of every student at the assignment) and a table of
   this run on stdout (status, score, seconds, reason, and code that should be looked at by hand, e.g. rebinding
   torch functions). Logs of each run: grading_logs/ASSIGNMENT/.

Exit status: 0 when every submission was graded, 2 when some failed to grade, 3 if files under submitted/ changed.
For several graders at once use a PostgreSQL gradebook: see README.md ("Grading a class").
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import gradestate
from .autograde_filters import FAULT_MARKER
from .cells import is_test_cell, nbgrader_metadata
from .course import (AUTOGRADED_DIRECTORY, COURSE_ID, GRADEBOOK_FILE, ROOT, SOURCE_DIRECTORY, SUBMITTED_DIRECTORY,
                     check_assignments, course_directory, cpu_cores, nbgrader_env, run_nbgrader, sqlite_url)

# The kernel launcher, started by path (it is a standalone program that imports nothing from this package).
SANDBOX_KERNEL = Path(__file__).resolve().with_name("sandbox_kernel.py")
KERNEL_NAME = "dgm-sandbox"
DEFAULT_CELL_TIMEOUT = 120
DEFAULT_SUBMISSION_TIMEOUT = 900
DEFAULT_MEMORY_GB = 4.0

# Code an instructor should look at: ways to tamper with the grading process from inside the notebook. Finding one
# changes no score; it is listed in the report.
REVIEW_PATTERNS = {
    "rebinds a torch/numpy function": r"\b(torch|np|numpy)(\.\w+)+\s*=[^=]",
    "rebinds a dgm_utils.checks helper": r"\bchecks(\.\w+)+\s*=[^=]|setattr\(\s*(dgm_utils\.)?checks\b",
    "touches sys.modules": r"\bsys\.modules\b",
    "changes IPython's hooks or exception handling": r"set_custom_exc|events\.(un)?register|sys\.excepthook|"
                                                     r"showtraceback",
    "rewrites code objects or builtins": r"__code__|__globals__|\bbuiltins\b|__builtins__|co_consts",
    "reads the notebook's own code (input history, linecache, inspect)": r"\bIn\[|\b_ih\b|linecache|getsource|"
                                                                        r"\bglobals\(\)|user_ns",
    "exits the process": r"os\._exit|os\.kill|\bexit\(|sys\.exit",
    "reaches outside its folder": r"\.\./|/work/|solutions|gradebook",
}


@dataclass
class Outcome:
    """What grading one submission gave."""
    student: str
    status: str = "failed"  # "graded" or "failed"
    reason: str = ""
    seconds: float = 0.0
    score: float = 0.0
    max_score: float = 0.0
    grades: dict = field(default_factory=dict)  # (notebook, grade id) -> auto score
    comments: dict = field(default_factory=dict)  # (notebook, comment name) -> auto comment
    late_penalties: dict = field(default_factory=dict)  # notebook -> penalty
    timestamp: object = None
    review: list = field(default_factory=list)
    skipped_files: list = field(default_factory=list)


# --- the class ------------------------------------------------------------------------------------------------

def submitted_students(assignment, root=ROOT):
    folder = Path(root) / SUBMITTED_DIRECTORY
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if (p / assignment).is_dir())


def fingerprint(folder):
    """path -> sha256 of every file under `folder` (to prove that grading changed nothing there)."""
    folder = Path(folder)
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def sandbox_available():
    """True when bubblewrap can start a confined process on this machine."""
    if shutil.which("bwrap") is None:
        return False
    probe = subprocess.run(["bwrap", "--unshare-all", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                            "true"], capture_output=True)
    return probe.returncode == 0


# --- one submission -----------------------------------------------------------------------------------------

def _copy_submission(source, destination):
    """Copy the student's folder without symbolic links or special files (a link could point at solutions/);
    return the relative paths that were left out."""
    skipped = []
    for path in sorted(Path(source).rglob("*")):
        relative = path.relative_to(source)
        if path.is_symlink() or not (path.is_file() or path.is_dir()):
            skipped.append(str(relative))
        elif path.is_dir():
            (destination / relative).mkdir(parents=True, exist_ok=True)
        elif not any(parent.is_symlink() for parent in path.parents):
            (destination / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination / relative)
    return skipped


def _course_directory_config(root, **folders):
    """The CourseDirectory lines of a scratch course's nbgrader_config.py: the course's settings (tools/course.py)
    with its own root and SQLite gradebook."""
    settings = course_directory(root, db_url=sqlite_url(root), **folders)
    return "".join(f"c.CourseDirectory.{name} = {value!r}\n" for name, value in settings.items())


def _write_worker_course(work, assignment, settings):
    """The scratch course of one submission: config, kernelspec, folders (see the module docstring)."""
    (work / "runtime").mkdir(parents=True)
    kernel_dir = work / "share" / "kernels" / KERNEL_NAME
    kernel_dir.mkdir(parents=True)
    argv = [sys.executable, str(SANDBOX_KERNEL), "--memory-gb", str(settings["memory_gb"]),
            "--files", str(work / "files")]
    if not settings["sandbox"]:
        argv.append("--no-sandbox")
    kernelspec = {"argv": argv + ["-f", "{connection_file}"], "display_name": "Python 3 (grading sandbox)",
                  "language": "python", "interrupt_mode": "message"}
    (kernel_dir / "kernel.json").write_text(json.dumps(kernelspec, indent=1))
    # Non-notebook files the instructor ships with the assignment (data): nbgrader copies them next to the notebook,
    # and the kernel's working directory (work/files, see sandbox_kernel.py) gets them too, beside a copy of the
    # student's own files. The notebook nbgrader runs (with the hidden tests) stays outside the kernel's view.
    source = ROOT / SOURCE_DIRECTORY / assignment
    for path in source.rglob("*"):
        if path.is_file() and path.suffix != ".ipynb" and ".ipynb_checkpoints" not in path.parts:
            for folder in (work / SOURCE_DIRECTORY / assignment, work / "files"):
                target = folder / path.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
    # The preprocessors come from this course's tools package: its root goes first on the sys.path of nbgrader's
    # process (the kernel is another process, and its sandbox does not show tools/).
    config = f'''# Written by tools/grade.py for one submission; removed after grading.
import sys

sys.path.insert(0, {str(ROOT)!r})
from tools import autograde_filters as filters, feedback_filters  # noqa: E402

c = get_config()
{_course_directory_config(work)}c.OverwriteCells.add_missing_cells = True
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    filters.RestoreLockedCells,
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    filters.GuardedExecute,
    feedback_filters.HideMachinePaths,
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    filters.KeepStderrOutOfGrades,
    filters.CapOutputs,
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.RestoreLockedCells.source_directory = {str(ROOT / SOURCE_DIRECTORY / assignment)!r}
c.GuardedExecute.kernel_name = {KERNEL_NAME!r}
c.GuardedExecute.timeout = {int(settings["cell_timeout"])}
c.GuardedExecute.startup_timeout = 120
c.GuardedExecute.interrupt_grace = {float(settings["interrupt_grace"])}
c.KernelManager.transport = "ipc"
c.KernelManager.connection_file = {str(work / "runtime" / "kernel.json")!r}
'''
    (work / "nbgrader_config.py").write_text(config)


def autograde_env(work, settings):
    """The environment of the `nbgrader autograde` run of the scratch course `work`, which the kernel launcher
    (tools/sandbox_kernel.py) inherits and passes on in part: the course's kernelspec and runtime folders, the
    threads per submission, and tqdm switched off (a progress bar is stderr output, noise in the feedback)."""
    env = nbgrader_env()
    env["JUPYTER_PATH"] = str(work / "share") + os.pathsep + env.get("JUPYTER_PATH", "")
    env["JUPYTER_RUNTIME_DIR"] = str(work / "runtime")
    env["JUPYTER_CONFIG_DIR"] = str(work / "jupyter_config")
    env["OMP_NUM_THREADS"] = str(settings["threads"])
    env["TQDM_DISABLE"] = "1"
    return env


def _failure_reason(log_text, timed_out, limit):
    if timed_out:
        return f"the submission ran longer than the wall-clock limit of {limit:g} s and was stopped"
    faults = [line.split(FAULT_MARKER, 1)[1].strip() for line in log_text.splitlines() if FAULT_MARKER in line]
    if faults:
        return faults[0]
    if re.search(r"DeadKernelError|Kernel died", log_text):
        return ("the kernel died while running the notebook (the code exited the Python process, crashed, or was "
                "killed for using too much memory)")
    if "Timeout waiting" in log_text or "Kernel didn't respond" in log_text:
        return "the kernel did not start or stopped responding"
    errors = [line.strip() for line in log_text.splitlines() if "[AutogradeApp | ERROR]" in line]
    return "nbgrader could not grade it" + (f": {errors[-1][:300]}" if errors else "; see the log")


def review_findings(folder):
    """Labels of REVIEW_PATTERNS found in the code cells of the notebooks under `folder`."""
    found = set()
    for path in Path(folder).rglob("*.ipynb"):
        try:
            cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError):
            found.add("notebook is not valid JSON")
            continue
        for cell in cells:
            if cell.get("cell_type") != "code" or nbgrader_metadata(cell).get("locked") or is_test_cell(cell):
                continue  # locked and test cells are restored from the gradebook before running
            source = "".join(cell.get("source", "")) if isinstance(cell.get("source"), list) else cell.get("source", "")
            for label, pattern in REVIEW_PATTERNS.items():
                if re.search(pattern, source):
                    found.add(label)
    return sorted(found)


def grade_one(student, assignment, scratch, template_db, settings, log_folder):
    """Autograde one student's submission in its own scratch course; return an Outcome. Never raises: an error of
    the grading machinery itself becomes a failed Outcome whose reason says so."""
    try:
        return _grade_one(student, assignment, scratch, template_db, settings, log_folder)
    except Exception as error:  # keep the batch going; the report names the problem
        return Outcome(student, reason=f"error in the grading tool: {type(error).__name__}: {error}")


def _grade_one(student, assignment, scratch, template_db, settings, log_folder):
    from nbgrader.api import Gradebook, MissingEntry

    outcome = Outcome(student)
    start = time.perf_counter()
    work = Path(scratch) / "work" / student
    submitted = work / SUBMITTED_DIRECTORY / student / assignment
    submitted.mkdir(parents=True)
    outcome.skipped_files = _copy_submission(ROOT / SUBMITTED_DIRECTORY / student / assignment, submitted)
    _copy_submission(submitted, work / "files")
    outcome.review = review_findings(submitted)
    if outcome.skipped_files:
        outcome.review.append("symbolic links or special files left out: " + ", ".join(outcome.skipped_files))
    _write_worker_course(work, assignment, settings)
    shutil.copyfile(template_db, work / GRADEBOOK_FILE)

    env = autograde_env(work, settings)
    log_path = Path(log_folder) / f"{student}.log"
    timed_out = False
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen([sys.executable, "-m", "nbgrader", "autograde", assignment, "--student", student,
                                    "--force"], cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            process.wait(timeout=settings["submission_timeout"])
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(process.pid, signal.SIGKILL)  # the kernel dies with it (bwrap --die-with-parent)
            process.wait()
    log_text = log_path.read_text(encoding="utf-8", errors="replace")

    autograded = work / AUTOGRADED_DIRECTORY / student / assignment
    with Gradebook(sqlite_url(work), COURSE_ID) as gradebook:
        notebooks = [notebook.name for notebook in gradebook.find_assignment(assignment).notebooks]
        missing = [name for name in notebooks if not (autograded / f"{name}.ipynb").exists()]
        if timed_out or missing:
            outcome.reason = _failure_reason(log_text, timed_out, settings["submission_timeout"])
        else:
            try:
                submission = gradebook.find_submission(assignment, student)
            except MissingEntry:
                outcome.reason = _failure_reason(log_text, False, 0)
            else:
                outcome.status = "graded"
                outcome.timestamp = submission.timestamp
                for notebook in submission.notebooks:
                    outcome.late_penalties[notebook.name] = notebook.late_submission_penalty
                    for grade in notebook.grades:
                        outcome.grades[(notebook.name, grade.name)] = grade.auto_score
                        outcome.score += grade.auto_score or 0.0
                        outcome.max_score += grade.max_score
                    for comment in notebook.comments:
                        outcome.comments[(notebook.name, comment.name)] = comment.auto_comment
    if outcome.status == "graded":
        destination = ROOT / AUTOGRADED_DIRECTORY / student / assignment
        staged = destination.with_name(destination.name + ".grading")
        shutil.rmtree(staged, ignore_errors=True)
        shutil.copytree(autograded, staged)
        shutil.rmtree(destination, ignore_errors=True)
        staged.rename(destination)
    outcome.seconds = time.perf_counter() - start
    shutil.rmtree(work, ignore_errors=True)
    return outcome


# --- the summary ------------------------------------------------------------------------------------------

def print_summary(outcomes):
    print(f"\n{'student':32s} {'status':8s} {'score':>7s} {'max':>5s} {'seconds':>8s}  notes")
    for o in outcomes:
        score = f"{o.score:7.2f} {o.max_score:5g}" if o.status == "graded" else f"{'-':>7s} {'-':>5s}"
        notes = o.reason + (("  [review: " + "; ".join(o.review) + "]") if o.review else "")
        print(f"{o.student:32s} {o.status:8s} {score} {o.seconds:8.1f}  {notes}")


def grade_assignment(assignment, *, students=None, workers=None, cell_timeout=DEFAULT_CELL_TIMEOUT,
                     submission_timeout=DEFAULT_SUBMISSION_TIMEOUT, memory_gb=DEFAULT_MEMORY_GB, sandbox=None,
                     interrupt_grace=10.0):
    """Grade the submissions of `assignment` (all of submitted/, or `students`) as the module docstring says;
    return the list of Outcome (one per student, in name order)."""
    check_assignments([assignment])
    available = submitted_students(assignment)
    students = sorted(students) if students else available
    unknown = sorted(set(students) - set(available))
    if unknown:
        raise SystemExit(f"no submission of {assignment} for: {', '.join(unknown)} "
                         f"(looked in {SUBMITTED_DIRECTORY}/*/{assignment})")
    if not students:
        raise SystemExit(f"nothing to grade: no folder {SUBMITTED_DIRECTORY}/<student_id>/{assignment}/ in {ROOT}")
    workers = workers or cpu_cores()
    if workers < 1:
        raise SystemExit(f"--workers must be at least 1, got {workers}")
    if sandbox is None:
        sandbox = sandbox_available()
        if not sandbox:
            print("WARNING: bubblewrap (bwrap) is not available: student code runs without the file-system and "
                  "network sandbox (limits still apply). Install it with `apt-get install bubblewrap`.", flush=True)
    elif sandbox and not sandbox_available():
        raise SystemExit("the sandbox was asked for but bubblewrap (bwrap) cannot start here")
    settings = {"cell_timeout": cell_timeout, "submission_timeout": submission_timeout, "memory_gb": memory_gb,
                "sandbox": sandbox, "interrupt_grace": interrupt_grace,
                "threads": max(1, cpu_cores() // workers)}

    gradestate.check_status_files()  # a damaged status file stops the run before any work, and is kept
    before = fingerprint(ROOT / SUBMITTED_DIRECTORY)
    log_folder = ROOT / "grading_logs" / assignment
    log_folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dgm-grading-") as scratch:
        # Once per run: records the assignment in the course gradebook (assignments/ is not touched); the scratch
        # courses start from a copy of that definition.
        run_nbgrader("generate_assignment", assignment, "--force",
                     f"--CourseDirectory.release_directory={Path(scratch) / 'release'}")
        template_db = gradestate.template_gradebook(assignment, Path(scratch) / "template")
        start = time.perf_counter()
        print(f"grading {len(students)} submissions of {assignment} with {workers} workers "
              f"({'sandboxed' if sandbox else 'NOT sandboxed'})", flush=True)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(lambda s: grade_one(s, assignment, scratch, template_db, settings, log_folder),
                                     students))
        seconds = time.perf_counter() - start
    gradestate.record(outcomes, assignment)
    statuses = gradestate.merge_attempts(gradestate.load_statuses(assignment), outcomes)
    gradestate.save_statuses(assignment, statuses)
    if any(o.status == "graded" for o in outcomes):
        run_nbgrader("generate_feedback", assignment, "--force")
    gradestate.export_grades()
    report = gradestate.write_report(assignment, statuses)
    print_summary(outcomes)
    failed = [o for o in outcomes if o.status != "graded"]
    print(f"\nautograde: {len(outcomes)} submissions in {seconds:.1f} s with {workers} workers "
          f"({seconds / len(outcomes):.1f} s each); {len(failed)} failed to grade; report: {report.name}")
    if fingerprint(ROOT / SUBMITTED_DIRECTORY) != before:
        raise SystemExit(3)
    return outcomes


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tools.grade", description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment", help="assignment name, e.g. hw0_mle")
    parser.add_argument("--student", action="append", dest="students", help="grade only this student (repeatable)")
    parser.add_argument("--workers", type=int, default=None, help="submissions graded at once (default: CPU cores)")
    parser.add_argument("--cell-timeout", type=float, default=DEFAULT_CELL_TIMEOUT, help="seconds per cell")
    parser.add_argument("--submission-timeout", type=float, default=DEFAULT_SUBMISSION_TIMEOUT,
                        help="wall-clock seconds per submission")
    parser.add_argument("--memory-gb", type=float, default=DEFAULT_MEMORY_GB, help="memory limit per submission")
    parser.add_argument("--no-sandbox", action="store_true", help="run student code without bubblewrap")
    args = parser.parse_args(argv)
    outcomes = grade_assignment(args.assignment, students=args.students, workers=args.workers,
                                cell_timeout=args.cell_timeout, submission_timeout=args.submission_timeout,
                                memory_gb=args.memory_gb, sandbox=False if args.no_sandbox else None)
    if any(o.status != "graded" for o in outcomes):
        print("\nWARNING: some submissions could not be graded; their score is not a grade (see the reasons above "
              "and grading_logs/).", file=sys.stderr)
        raise SystemExit(2)


if __name__ == "__main__":
    main()
