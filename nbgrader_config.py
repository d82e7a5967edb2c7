"""nbgrader configuration of the course (read by every `nbgrader` command run from this folder).

Layout (DESIGN.md): instructors edit the source notebooks in `solutions/<assignment>/`, `nbgrader generate_assignment`
writes the student versions to `assignments/<assignment>/` (committed), and grading state lives next to this file
and is ignored by git: `gradebook.db`, `submitted/<student>/<assignment>/`, `autograded/`, `feedback/`.
The instructor commands are wrapped by `tools/release.py` and `tools/grade.py` (`make release`, `make grade`).
"""

import importlib.util
import os

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

ROOT = os.path.dirname(os.path.abspath(__file__))

# --- course directory ---------------------------------------------------------------------------------------
c.CourseDirectory.root = ROOT
c.CourseDirectory.course_id = "dgm"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
# SQLite next to this file, or a shared database (PostgreSQL for several graders) named by NBGRADER_DB_URL.
c.CourseDirectory.db_url = os.environ.get("NBGRADER_DB_URL") or "sqlite:///" + os.path.join(ROOT, "gradebook.db")

# --- generate_assignment: solution regions and hidden tests (nbgrader's defaults, written out) -----------------
c.ClearSolutions.begin_solution_delimeter = "BEGIN SOLUTION"
c.ClearSolutions.end_solution_delimeter = "END SOLUTION"
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearHiddenTests.begin_test_delimeter = "BEGIN HIDDEN TESTS"
c.ClearHiddenTests.end_test_delimeter = "END HIDDEN TESTS"

# --- autograde ------------------------------------------------------------------------------------------------
# Per cell; a solution notebook runs in well under a minute, so only a runaway submission reaches this.
c.Execute.timeout = 120
c.Execute.startup_timeout = 120
# A deleted test cell is put back (from the gradebook) and run, so deleting a test gains nothing.
c.OverwriteCells.add_missing_cells = True


# --- generate_feedback: students see their scores and the failure messages, never the hidden test code --------
def _load_tool(name):
    """Import tools/<name>.py by path (the tools folder is not a package on sys.path)."""
    spec = importlib.util.spec_from_file_location(f"dgm_course_tools_{name}", os.path.join(ROOT, "tools", f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_filters = _load_tool("feedback_filters")
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    _filters.ScrubHiddenTestText,  # drop hidden test code that a student's code printed
    "nbgrader.preprocessors.ClearHiddenTests",  # drop the hidden regions from the test cells' source
    _filters.HideTestFrames,  # drop the test cells' own frames from tracebacks
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
