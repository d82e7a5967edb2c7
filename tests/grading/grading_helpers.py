"""Helpers for the grading pipeline tests: a throwaway copy of the course, submissions assembled from answer files,
nbgrader runs through the instructor tools, and the gradebook read back.

Submissions live in tests/submissions/<assignment>/*.py; the format is described in the README there.
"""

import html
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]
ASSIGNMENT = "hw0_mle"
NOTEBOOK = "hw0_mle.ipynb"
SUBMISSIONS = REPO / "tests" / "submissions" / ASSIGNMENT
SOURCE_NOTEBOOK = REPO / "solutions" / ASSIGNMENT / NOTEBOOK
RELEASE_NOTEBOOK = REPO / "assignments" / ASSIGNMENT / NOTEBOOK
# The course files a grading run needs (never the repository's own gradebook, submitted/, autograded/, feedback/).
COURSE_FILES = ("nbgrader_config.py", "tools", "solutions")

_CELL_MARKER = re.compile(r"^# %% (?:(?P<delete>delete) )?(?P<grade_id>[A-Za-z0-9_]+)\s*$", re.MULTILINE)
_EXPECT_ZERO = re.compile(r"^expect-zero:(?P<ids>.*)$", re.MULTILINE)
DELETED = object()  # marks a cell the submission deleted


# --- the course copy and the instructor tools ---------------------------------------------------------------

def make_course(directory):
    """Copy the course files into `directory` (a tmp_path) and return it."""
    directory = Path(directory)
    for name in COURSE_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, directory / name, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        else:
            shutil.copy2(source, directory / name)
    return directory


def run_tool(course, script, *args):
    """Run tools/<script> of the course copy with this interpreter; return the CompletedProcess (output captured)."""
    env = dict(os.environ)
    env.pop("NBGRADER_EXECUTION", None)
    return subprocess.run([sys.executable, str(Path(course) / "tools" / script), *args], cwd=course, env=env,
                          capture_output=True, text=True)


# --- notebooks and submissions ------------------------------------------------------------------------------

def read_notebook(path):
    return nbformat.read(str(path), as_version=4)


def notebook_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _strip_solution_markers(source):
    lines = [line for line in source.split("\n") if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line]
    return "\n".join(lines)


def solution_answers():
    """grade_id -> the instructor's answer (solution cell source without the region markers)."""
    return {grade_id(cell): _strip_solution_markers(cell.source)
            for cell in read_notebook(SOURCE_NOTEBOOK).cells
            if cell.get("metadata", {}).get("nbgrader", {}).get("solution")}


def hidden_test_lines():
    """The code lines of the hidden test regions of the source notebook (stripped, non-empty)."""
    lines = []
    for cell in read_notebook(SOURCE_NOTEBOOK).cells:
        inside = False
        for line in cell.source.split("\n"):
            if "### BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "### END HIDDEN TESTS" in line:
                inside = False
            elif inside and line.strip():
                lines.append(line.strip())
    return lines


class Submission:
    """One answer file: name (the student id), description, answers (grade_id -> source or DELETED), and the
    test cells expected to score 0 (all others must get full points)."""

    def __init__(self, path):
        self.path = Path(path)
        self.name = self.path.stem
        text = self.path.read_text(encoding="utf-8")
        markers = list(_CELL_MARKER.finditer(text))
        header = text[: markers[0].start()] if markers else text
        self.description = header.strip().strip('"').strip().split("\n")[0]
        expect = _EXPECT_ZERO.search(header)
        if expect is None:
            raise ValueError(f"{self.path}: the header must have a line 'expect-zero: <test grade ids or none>'")
        ids = expect.group("ids").replace(",", " ").split()
        if ids == ["all"]:
            ids = list(points_per_test_cell())
        self.expect_zero = set() if ids == ["none"] else set(ids)
        self.answers = {}
        for i, marker in enumerate(markers):
            end = markers[i + 1].start() if i + 1 < len(markers) else len(text)
            body = text[marker.end():end].strip("\n")
            self.answers[marker.group("grade_id")] = DELETED if marker.group("delete") else body

    def __repr__(self):
        return f"Submission({self.name!r})"


def load_submissions(prefixes):
    """The answer files whose names start with one of `prefixes`, sorted by name."""
    files = sorted(p for p in SUBMISSIONS.glob("*.py") if p.name.startswith(tuple(prefixes)))
    return [Submission(p) for p in files]


def build_notebook(answers, *, fill_with_solution=True):
    """The release notebook with answer cells replaced by grade id; solution cells a submission does not give are
    filled with the instructor's answers (unless fill_with_solution is False); DELETED removes the cell."""
    notebook = read_notebook(RELEASE_NOTEBOOK)
    answers = dict(answers)
    if fill_with_solution:
        for key, source in solution_answers().items():
            answers.setdefault(key, source)
    unknown = set(answers) - {grade_id(cell) for cell in notebook.cells}
    if unknown:
        raise ValueError(f"answers for cells that are not in the release notebook: {sorted(unknown)}")
    cells = []
    for cell in notebook.cells:
        answer = answers.get(grade_id(cell))
        if answer is DELETED:
            continue
        if answer is not None:
            cell.source = answer
        cells.append(cell)
    notebook.cells = cells
    return notebook


def submit(course, student, notebook):
    path = Path(course) / "submitted" / student / ASSIGNMENT / NOTEBOOK
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(path))
    return path


# --- results ------------------------------------------------------------------------------------------------

def points_per_test_cell():
    """grade_id -> points of every graded test cell of the source notebook."""
    return {grade_id(cell): float(cell.metadata["nbgrader"]["points"])
            for cell in read_notebook(SOURCE_NOTEBOOK).cells
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade")}


def read_scores(course, students):
    """student -> {grade_id: score} from the course copy's gradebook."""
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook("sqlite:///" + str(Path(course) / "gradebook.db"), "dgm") as gradebook:
        for student in students:
            notebook = gradebook.find_submission_notebook(NOTEBOOK[:-6], ASSIGNMENT, student)
            scores[student] = {grade.name: grade.score for grade in notebook.grades}
    return scores


def html_text(path):
    """The visible text of an HTML file: tags dropped, entities decoded, whitespace collapsed."""
    raw = Path(path).read_text(encoding="utf-8")
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.DOTALL | re.IGNORECASE)
    return normalize_space(html.unescape(re.sub(r"<[^>]+>", "", raw)))


def normalize_space(text):
    return re.sub(r"\s+", " ", text).strip()


def grade_course(course, students_notebooks):
    """Submit every (student, notebook) pair and run tools/grade.py once; return (completed process, seconds)."""
    for student, notebook in students_notebooks:
        submit(course, student, notebook)
    start = time.perf_counter()
    completed = run_tool(course, "grade.py", ASSIGNMENT)
    return completed, time.perf_counter() - start


def distinctive_hidden_lines(min_length=20):
    """Hidden test lines that do not occur anywhere in the release notebook (so finding one means a leak)."""
    release_text = normalize_space("\n".join(cell.source for cell in read_notebook(RELEASE_NOTEBOOK).cells))
    return [line for line in hidden_test_lines()
            if len(line) >= min_length and normalize_space(line) not in release_text]
