"""The course's settings, in one place, and how to run nbgrader on the course.

nbgrader_config.py (which every `nbgrader` command reads) and the instructor tools take the course id, the folder
names and the gradebook's address from here, so that they cannot disagree.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

# The course root: the folder holding nbgrader_config.py (this file lives in <root>/tools/).
ROOT = Path(__file__).resolve().parent.parent
COURSE_ID = "dgm"
# nbgrader's folders, relative to the course root: source notebooks (solutions and hidden tests, instructor only),
# the student versions made from them (committed), and the grading state (ignored by git).
SOURCE_DIRECTORY = "solutions"
RELEASE_DIRECTORY = "assignments"
SUBMITTED_DIRECTORY = "submitted"
AUTOGRADED_DIRECTORY = "autograded"
FEEDBACK_DIRECTORY = "feedback"
GRADEBOOK_FILE = "gradebook.db"
# The outcome of the latest grading attempt of each submission, one JSON file per assignment (tools/gradestate.py):
# grading state like the gradebook, which has no place for "could not be graded".
STATUS_DIRECTORY = "grading_status"
# The environment variable naming a shared gradebook (e.g. postgresql://user:password@host/dgm) for several graders.
DB_URL_VARIABLE = "NBGRADER_DB_URL"
# The markers of the regions `nbgrader generate_assignment` removes (a line holding one opens or closes a region).
BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"


def cpu_cores():
    """The CPU cores this process may run on (its affinity where the OS tells it): the default number of workers of
    the grading and mutation tools."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def sqlite_url(root=ROOT):
    """The address of the SQLite gradebook of the course at `root`."""
    return "sqlite:///" + str(Path(root) / GRADEBOOK_FILE)


def gradebook_url(root=ROOT):
    """The course's gradebook: the database named by NBGRADER_DB_URL when it is set, else the SQLite file."""
    return os.environ.get(DB_URL_VARIABLE) or sqlite_url(root)


def course_directory(root=ROOT, *, db_url=None, **folders):
    """nbgrader's `CourseDirectory` settings of a course at `root`: its id, folders (`folders` overrides some, e.g.
    `source_directory=...`) and gradebook (`db_url`, default: `gradebook_url(root)`)."""
    settings = {"root": str(root), "course_id": COURSE_ID, "source_directory": SOURCE_DIRECTORY,
                "release_directory": RELEASE_DIRECTORY, "submitted_directory": SUBMITTED_DIRECTORY,
                "autograded_directory": AUTOGRADED_DIRECTORY, "feedback_directory": FEEDBACK_DIRECTORY,
                "db_url": db_url or gradebook_url(root)}
    unknown = set(folders) - set(settings)
    if unknown:
        raise TypeError(f"not a CourseDirectory setting: {', '.join(sorted(unknown))}")
    settings.update({name: str(value) for name, value in folders.items()})
    return settings


def nbgrader_env():
    """The environment for nbgrader: the running interpreter's bin folder first on PATH (nbgrader calls the
    `alembic` executable when it creates a gradebook), and no NBGRADER_EXECUTION left over from a caller."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.pop("NBGRADER_EXECUTION", None)
    return env


def run_nbgrader(*args, root=ROOT, check=True):
    """Run `nbgrader <args>` in the course root (where it finds nbgrader_config.py); return the exit code."""
    command = [sys.executable, "-m", "nbgrader", *map(str, args)]
    print("$ nbgrader " + " ".join(map(str, args)), flush=True)
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=root, env=nbgrader_env())
    print(f"[nbgrader {args[0]}: {time.perf_counter() - start:.1f} s]", flush=True)
    if check and completed.returncode != 0:
        raise SystemExit(f"nbgrader {args[0]} failed with exit code {completed.returncode}")
    return completed.returncode


def assignments_in_source(root=ROOT):
    """Names of the assignments that have a source folder (solutions/<name>/ with a notebook)."""
    return sorted(p.name for p in (Path(root) / SOURCE_DIRECTORY).iterdir()
                  if p.is_dir() and any(p.glob("*.ipynb")))


def check_assignments(names, root=ROOT):
    """Stop with a message naming the known assignments when one of `names` has no source notebooks."""
    known = assignments_in_source(root)
    for name in names:
        if name not in known:
            raise SystemExit(f"no source notebooks in {SOURCE_DIRECTORY}/{name}/; assignments with sources: "
                             f"{', '.join(known)}")
