"""Helpers for the grading pipeline tests: a throwaway copy of the course, submissions assembled from answer files,
nbgrader runs through the instructor tools, and the gradebook read back.

Every assignment with a source notebook in solutions/ is covered: `ASSIGNMENTS` holds one `Assignment` per folder,
and `tools.assignments.EXPECTATIONS` says what its tests must find (points, answer cells, named bugs, blocked
references). The submissions of an assignment live in tests/submissions/<assignment>/*.py; the format is described in
the README there.
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

from tools.assignments import EXPECTATIONS
from tools.cells import grade_id, split_region, strip_solution_markers
from tools.course import COURSE_ID, assignments_in_source

REPO = Path(__file__).resolve().parents[2]
# The course files a grading run needs (never the repository's own gradebook, submitted/, autograded/, feedback/).
COURSE_FILES = ("nbgrader_config.py", "tools", "solutions")

_CELL_MARKER = re.compile(r"^# %% (?:(?P<delete>delete) )?(?P<grade_id>[A-Za-z0-9_]+)\s*$", re.MULTILINE)
_EXPECT_ZERO = re.compile(r"^expect-zero:(?P<ids>.*)$", re.MULTILINE)
_EXPECT_FAILURE = re.compile(r"^expect-failure:(?P<reason>.*)$", re.MULTILINE)
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


def run_tool(course, tool, *args):
    """Run `python -m tools.<tool> <args>` in the course copy (so its own tools package and course root are used)
    with this interpreter; return the CompletedProcess (output captured)."""
    env = dict(os.environ)
    env.pop("NBGRADER_EXECUTION", None)
    return subprocess.run([sys.executable, "-m", f"tools.{tool}", *args], cwd=course, env=env, capture_output=True,
                          text=True)


# --- notebooks and submissions ------------------------------------------------------------------------------

def read_notebook(path):
    return nbformat.read(str(path), as_version=4)


def notebook_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def normalize_space(text):
    return re.sub(r"\s+", " ", text).strip()


def html_text(path):
    """The visible text of an HTML file: tags dropped, entities decoded, whitespace collapsed."""
    raw = Path(path).read_text(encoding="utf-8")
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.DOTALL | re.IGNORECASE)
    return normalize_space(html.unescape(re.sub(r"<[^>]+>", "", raw)))


class Assignment:
    """One assignment: solutions/<name>/<name>.ipynb (source), assignments/<name>/<name>.ipynb (release) and the
    answer files in tests/submissions/<name>/."""

    def __init__(self, name):
        self.name = name
        self.notebook = f"{name}.ipynb"
        self.source_notebook = REPO / "solutions" / name / self.notebook
        self.release_notebook = REPO / "assignments" / name / self.notebook
        self.submissions_folder = REPO / "tests" / "submissions" / name
        self.expect = EXPECTATIONS.get(name)

    def __repr__(self):
        return f"Assignment({self.name!r})"

    # --- the notebooks ---

    def solution_answers(self):
        """grade_id -> the instructor's answer (solution cell source without the region markers)."""
        return {grade_id(cell): strip_solution_markers(cell.source)
                for cell in read_notebook(self.source_notebook).cells
                if cell.get("metadata", {}).get("nbgrader", {}).get("solution")}

    def source_lines_outside_solutions(self):
        """The lines of the source notebook outside the solution regions (all cells, markdown included)."""
        return [line for cell in read_notebook(self.source_notebook).cells
                for line in split_region(cell.source, "### BEGIN SOLUTION", "### END SOLUTION")[1]]

    def hidden_test_lines(self):
        """The code lines of the hidden test regions of the source notebook (stripped, non-empty)."""
        return [line.strip() for cell in read_notebook(self.source_notebook).cells
                for line in split_region(cell.source, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")[0]
                if line.strip()]

    def distinctive_hidden_lines(self, min_length=20):
        """Hidden test lines that do not occur anywhere in the release notebook (so finding one means a leak)."""
        release_text = normalize_space("\n".join(cell.source for cell in read_notebook(self.release_notebook).cells))
        return [line for line in self.hidden_test_lines()
                if len(line) >= min_length and normalize_space(line) not in release_text]

    def points_per_test_cell(self):
        """grade_id -> points of every graded test cell of the source notebook."""
        return {grade_id(cell): float(cell.metadata["nbgrader"]["points"])
                for cell in read_notebook(self.source_notebook).cells
                if cell.get("metadata", {}).get("nbgrader", {}).get("grade")}

    # --- submissions ---

    def load_submissions(self, prefixes):
        """The answer files whose names start with one of `prefixes`, sorted by name."""
        files = sorted(p for p in self.submissions_folder.glob("*.py") if p.name.startswith(tuple(prefixes)))
        return [Submission(p, self) for p in files]

    def build_notebook(self, answers, *, fill_with_solution=True):
        """The release notebook with cells replaced by grade id; solution cells a submission does not give are filled
        with the instructor's answers (unless fill_with_solution is False); DELETED removes the cell."""
        notebook = read_notebook(self.release_notebook)
        answers = dict(answers)
        if fill_with_solution:
            for key, source in self.solution_answers().items():
                answers.setdefault(key, source)
        unknown = set(answers) - {grade_id(cell) for cell in notebook.cells}
        if unknown:
            raise ValueError(f"answers for cells that are not in the release notebook of {self.name}: {sorted(unknown)}")
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

    def submit(self, course, student, notebook):
        path = Path(course) / "submitted" / student / self.name / self.notebook
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, str(path))
        return path

    # --- grading and results ---

    def grade_course(self, course, students_notebooks, *options):
        """Submit every (student, notebook) pair and run `python -m tools.grade` once (with `options`); return
        (completed process, seconds)."""
        for student, notebook in students_notebooks:
            self.submit(course, student, notebook)
        start = time.perf_counter()
        completed = run_tool(course, "grade", self.name, *options)
        return completed, time.perf_counter() - start

    def read_scores(self, course, students):
        """student -> {grade_id: score} from the course copy's gradebook."""
        from nbgrader.api import Gradebook

        scores = {}
        with Gradebook("sqlite:///" + str(Path(course) / "gradebook.db"), COURSE_ID) as gradebook:
            for student in students:
                notebook = gradebook.find_submission_notebook(self.notebook[:-6], self.name, student)
                scores[student] = {grade.name: grade.score for grade in notebook.grades}
        return scores

    def student_code(self, course, student):
        """The source of the cells of a graded notebook that are not test cells (what the student wrote or was
        given), whitespace collapsed: a hidden line the student happened to write too is no leak when it shows."""
        notebook = read_notebook(self.autograded_notebook(course, student))
        return normalize_space("\n".join(cell.source for cell in notebook.cells
                                          if not cell.get("metadata", {}).get("nbgrader", {}).get("grade")))

    def feedback_html(self, course, student):
        return Path(course) / "feedback" / student / self.name / self.notebook.replace(".ipynb", ".html")

    def autograded_notebook(self, course, student):
        return Path(course) / "autograded" / student / self.name / self.notebook


class Submission:
    """One answer file: name (the student id), description, answers (grade_id -> source or DELETED), and the
    test cells expected to score 0 (all others must get full points)."""

    def __init__(self, path, assignment):
        self.path = Path(path)
        self.assignment = assignment
        self.name = self.path.stem
        text = self.path.read_text(encoding="utf-8")
        markers = list(_CELL_MARKER.finditer(text))
        header = text[: markers[0].start()] if markers else text
        self.description = header.strip().strip('"').strip().split("\n")[0]
        failure = _EXPECT_FAILURE.search(header)
        # expected to be reported as failed to grade, with these words in the reason (no scores then)
        self.expect_failure = failure.group("reason").strip() if failure else None
        expect = _EXPECT_ZERO.search(header)
        if expect is None and self.expect_failure is None:
            raise ValueError(f"{self.path}: the header must have a line 'expect-zero: <test grade ids or none>' "
                             f"(or 'expect-failure: <words of the reason>' for a submission that cannot be graded)")
        ids = expect.group("ids").replace(",", " ").split() if expect else ["none"]
        if ids == ["all"]:
            ids = list(assignment.points_per_test_cell())
        self.expect_zero = set() if ids == ["none"] else set(ids)
        unknown = self.expect_zero - set(assignment.points_per_test_cell())
        if unknown:
            raise ValueError(f"{self.path}: expect-zero names cells that are not test cells: {sorted(unknown)}")
        self.answers = {}
        for i, marker in enumerate(markers):
            end = markers[i + 1].start() if i + 1 < len(markers) else len(text)
            body = text[marker.end():end].strip("\n")
            self.answers[marker.group("grade_id")] = DELETED if marker.group("delete") else body

    def __repr__(self):
        return f"Submission({self.assignment.name!r}, {self.name!r})"


def assignment_names():
    """The assignments with a source notebook in solutions/ (as the tools find them)."""
    return assignments_in_source(REPO)


ASSIGNMENTS = [Assignment(name) for name in assignment_names()]


def assignment_named(name):
    """The `Assignment` of solutions/<name>/ (ValueError naming the known ones otherwise)."""
    for assignment in ASSIGNMENTS:
        if assignment.name == name:
            return assignment
    raise ValueError(f"no assignment {name!r} in solutions/; known: {', '.join(a.name for a in ASSIGNMENTS)}")
