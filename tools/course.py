"""Shared pieces of the instructor scripts: where the course is and how to run nbgrader on it."""

import os
import subprocess
import sys
import time
from pathlib import Path

# The course root: the folder holding nbgrader_config.py (this file lives in <root>/tools/).
ROOT = Path(__file__).resolve().parent.parent
# As set in nbgrader_config.py (NBGRADER_DB_URL names a shared database, e.g. PostgreSQL).
COURSE_ID = "dgm"
GRADEBOOK_URL = os.environ.get("NBGRADER_DB_URL") or "sqlite:///" + str(ROOT / "gradebook.db")


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
    """Names of the assignments that have a source folder in solutions/."""
    return sorted(p.name for p in (root / "solutions").iterdir() if p.is_dir() and any(p.glob("*.ipynb")))
