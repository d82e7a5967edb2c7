"""nbgrader configuration of the course (read by every `nbgrader` command run from this folder).

Layout: instructors edit the source notebooks (solutions and hidden tests) in `solutions/<assignment>/`,
`nbgrader generate_assignment` writes the student versions to `assignments/<assignment>/` (committed), and the
grading state lives next to this file and is ignored by git: `gradebook.db`, `submitted/<student>/<assignment>/`,
`autograded/`, `feedback/`. The course id, these folder names and the gradebook's address (`NBGRADER_DB_URL` names
a shared database) are defined once, in `tools/course.py`. The instructor commands are wrapped by
`python -m tools.release` and `python -m tools.grade` (`make release`, `make grade`), which README.md describes
(section "Instructors").
"""

import os
import sys

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

ROOT = os.path.dirname(os.path.abspath(__file__))
# nbgrader loads this file with exec from any working directory: put the course root first on sys.path, so that
# `tools` is this course's package.
if sys.path[:1] != [ROOT]:
    sys.path.insert(0, ROOT)

from tools import course, feedback_filters  # noqa: E402

# --- course directory: id, folders (solutions/ -> assignments/), gradebook ------------------------------------
c.CourseDirectory.update(course.course_directory(ROOT))

# --- generate_assignment: solution regions and hidden tests (nbgrader's defaults, written out) -----------------
c.ClearSolutions.begin_solution_delimeter = course.BEGIN_SOLUTION
c.ClearSolutions.end_solution_delimeter = course.END_SOLUTION
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearHiddenTests.begin_test_delimeter = course.BEGIN_HIDDEN_TESTS
c.ClearHiddenTests.end_test_delimeter = course.END_HIDDEN_TESTS

# --- autograde ------------------------------------------------------------------------------------------------
# Per cell; a solution notebook runs in well under a minute, so only a runaway submission reaches this.
c.Execute.timeout = 120
c.Execute.startup_timeout = 120
# A deleted test cell is put back (from the gradebook) and run, so deleting a test gains nothing.
c.OverwriteCells.add_missing_cells = True

# --- generate_feedback: students see their scores and the failure messages, never the hidden test code --------
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    feedback_filters.ScrubHiddenTestText,  # drop hidden test code that a student's code printed
    "nbgrader.preprocessors.ClearHiddenTests",  # drop the hidden regions from the test cells' source
    feedback_filters.HideTestFrames,  # drop the test cells' own frames from tracebacks
    feedback_filters.HideMachinePaths,  # no path of the grading machine (scratch folders, course root, venv)
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
