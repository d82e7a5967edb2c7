"""Autograde every assignment's corpus of test submissions end to end: full marks for the solution and for different
correct implementations, 0 for the untouched release, nothing gained by editing or deleting locked cells, the blocked
reference implementations reported, each plausible bug losing the points of exactly the test cells its file names,
and neither hidden test code nor the grading machine's file paths in the feedback.

The whole corpus of an assignment (the solution, the untouched release and every correct_, tamper_, reference_ and
wrong_ answer file of tests/submissions/<assignment>/) is graded by ONE `python -m tools.grade` run in a throwaway
copy of the course, shared by every test of that assignment; the run starts the first time one of them needs it.

This file holds the tests; each assignment runs them from its own module tests/grading/test_corpus_<assignment>.py,
which sets ``ASSIGNMENT`` and star-imports this file. `make test` hands modules whole to the pytest-xdist workers
(`--dist loadfile`) and a module-scoped fixture is shared only within a module, so one module per assignment keeps
one grading run per assignment while letting the workers grade different assignments at the same time (one module
for the whole course put every corpus on one worker: the critical path of the suite). The adversarial corpus
(fault_, attack_) needs other limits and regrades its course copy: test_grading_faults.py.
"""

import csv
import json

import pytest

import grading_helpers as helpers

pytestmark = pytest.mark.slow

ACCEPTED = ["correct_", "tamper_", "reference_"]
WRONG = ["wrong_"]
PREFIXES = ACCEPTED + WRONG
# The course's budget: autograding one submission of one assignment takes at most 90 s.
SECONDS_PER_SUBMISSION = 90




def pytest_generate_tests(metafunc):
    """Parametrize the tests of a test_corpus_<assignment>.py module with its assignment and its answer files."""
    assignment = helpers.assignment_named(metafunc.module.ASSIGNMENT)
    if "assignment" in metafunc.fixturenames:
        metafunc.parametrize("assignment", [assignment], ids=[assignment.name], scope="module")
    if "submission" in metafunc.fixturenames:
        submissions = assignment.load_submissions(PREFIXES)
        metafunc.parametrize("submission", submissions, ids=[s.name for s in submissions])


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """assignment -> (course, completed process, scores or None, seconds, students), graded once per assignment."""
    results = {}

    def grade(assignment):
        if assignment.name not in results:
            course = helpers.make_course(tmp_path_factory.mktemp(f"course-{assignment.name}"))
            notebooks = [("solution", assignment.build_notebook({})),
                         ("untouched", assignment.build_notebook({}, fill_with_solution=False))]
            notebooks += [(submission.name, assignment.build_notebook(submission.answers))
                          for submission in assignment.load_submissions(PREFIXES)]
            completed, seconds = assignment.grade_course(course, notebooks)
            students = [name for name, _ in notebooks]
            print(f"\n{assignment.name}: python -m tools.grade: {len(students)} submissions in {seconds:.1f} s; "
                  + completed.stdout.strip().split("\n")[-1])
            scores = assignment.read_scores(course, students) if completed.returncode == 0 else None
            results[assignment.name] = (course, completed, scores, seconds, students)
        return results[assignment.name]

    return grade


def check_run(result):
    course, completed, scores, seconds, students = result
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-6000:]
    return scores


def expected_scores(assignment, submission):
    return {grade_id: 0.0 if grade_id in submission.expect_zero else points
            for grade_id, points in assignment.points_per_test_cell().items()}


def leaked_hidden_lines(assignment, course, student, text):
    """The hidden test lines that `text` (a feedback page) shows and the student did not write themselves."""
    own = assignment.student_code(course, student)
    return [line for line in assignment.distinctive_hidden_lines()
            if helpers.normalize_space(line) in text and helpers.normalize_space(line) not in own]


# --- the corpus itself (no grading) ---------------------------------------------------------------------------

def test_correct_submissions_exist(assignment):
    submissions = assignment.load_submissions(ACCEPTED)
    correct = [s for s in submissions if s.name.startswith("correct_")]
    assert len(correct) >= 2 and all(not s.expect_zero for s in correct)
    tampering = [s for s in submissions if s.name.startswith("tamper_")]
    assert any(helpers.DELETED in s.answers.values() for s in tampering)
    assert any(key.startswith("test_") and value is not helpers.DELETED for s in tampering for key, value in s.answers.items())
    reference = [s for s in submissions if s.name.startswith("reference_")]
    assert reference and all(s.expect_zero == set(assignment.points_per_test_cell()) for s in reference)


def test_the_named_bugs_are_covered(assignment):
    submissions = assignment.load_submissions(WRONG)
    names = {submission.name for submission in submissions}
    missing = [required for required in assignment.expect.required_wrong if required not in names]
    assert not missing, f"no answer file for these bugs: {missing}"
    assert all(submission.expect_zero for submission in submissions), "a wrong submission must lose points"


# --- one grading run per assignment ---------------------------------------------------------------------------

def test_grade_tool_runs_within_budget(graded, assignment):
    result = graded(assignment)
    check_run(result)
    _, _, _, seconds, students = result
    assert seconds / len(students) < SECONDS_PER_SUBMISSION, f"{seconds / len(students):.1f} s per submission"


def test_solution_gets_full_marks(graded, assignment):
    scores = check_run(graded(assignment))
    assert scores["solution"] == assignment.points_per_test_cell()


def test_untouched_release_gets_zero(graded, assignment):
    scores = check_run(graded(assignment))
    assert scores["untouched"] == {grade_id: 0.0 for grade_id in assignment.points_per_test_cell()}


def test_submission_scores(graded, assignment, submission):
    """Accepted files get full points except where they say; each wrong_ file loses exactly the named cells."""
    scores = check_run(graded(assignment))[submission.name]
    assert scores == expected_scores(assignment, submission), submission.description


def test_grades_csv_has_every_total(graded, assignment):
    result = graded(assignment)
    scores = check_run(result)
    with open(result[0] / "grades.csv", newline="") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f) if row["assignment"] == assignment.name}
    assert set(rows) == set(scores)
    total = sum(assignment.points_per_test_cell().values())
    for student, cell_scores in scores.items():
        assert float(rows[student]["score"]) == pytest.approx(sum(cell_scores.values()))
        assert float(rows[student]["max_score"]) == pytest.approx(total)
        assert rows[student]["grading_status"] == "graded"


def test_feedback_names_the_blocked_reference(graded, assignment):
    result = graded(assignment)
    check_run(result)
    text = helpers.html_text(assignment.feedback_html(result[0], "reference_calls"))
    assert "ReferenceBlockedError" in text
    for name in assignment.expect.blocked_names:
        assert f"called the course's reference implementation `{name}" in text, name


def test_feedback_shows_no_hidden_test_code(graded, assignment):
    result = graded(assignment)
    check_run(result)
    course, _, _, _, students = result
    hidden = assignment.distinctive_hidden_lines()
    assert len(hidden) > 50
    for student in students:
        autograded = helpers.read_notebook(assignment.autograded_notebook(course, student))
        # The autograded notebook holds the hidden tests (so there was something to leak) ...
        assert all(line in "\n".join(cell.source for cell in autograded.cells) for line in hidden)
        text = helpers.html_text(assignment.feedback_html(course, student))
        # ... the feedback shows the visible tests and the scores, but none of the hidden lines.
        assert assignment.expect.visible_marker in text and "Score:" in text
        leaked = leaked_hidden_lines(assignment, course, student, text)
        assert not leaked, f"{student}: hidden test code in the feedback: {leaked[:3]}"


def test_wrong_feedback_reports_the_failures(graded, assignment):
    result = graded(assignment)
    check_run(result)
    course = result[0]
    for submission in assignment.load_submissions(WRONG):
        text = helpers.html_text(assignment.feedback_html(course, submission.name))
        assert "AssertionError" in text, submission.name  # failures are reported, with their messages
        leaked = leaked_hidden_lines(assignment, course, submission.name, text)
        assert not leaked, f"{submission.name}: hidden test code in the feedback: {leaked[:3]}"


def test_feedback_shows_no_path_of_the_grading_machine(graded, assignment):
    """Tracebacks through dgm_utils, torch and the scratch folders show library-relative names only, in the feedback
    page and in the outputs of the autograded notebook."""
    result = graded(assignment)
    check_run(result)
    course, _, _, _, students = result
    secrets = (str(course), str(helpers.REPO), "site-packages", "/tmp/", "dgm-grading-", "ipykernel_")
    traced = 0
    for student in students:
        outputs = json.dumps([cell.get("outputs", []) for cell in
                              helpers.read_notebook(assignment.autograded_notebook(course, student)).cells])
        text = helpers.html_text(assignment.feedback_html(course, student))
        for secret in secrets:
            assert secret not in outputs and secret not in text, f"{student}: {secret!r} in the feedback"
        traced += "dgm_utils/checks.py" in outputs
    assert traced, "no traceback through dgm_utils.checks: the check above had nothing to find"


DEMONSTRATION_GUARD = 'if os.environ.get("NBGRADER_EXECUTION") != "autograde":'


def test_demonstrations_are_skipped_when_grading(graded, assignment):
    """The release's demonstration ("your code at work", graded by no test cell) runs when the student runs the
    notebook and is skipped by the autograder: the cell is executed, its guard is false, it writes no output."""
    result = graded(assignment)
    check_run(result)
    release = helpers.read_notebook(assignment.release_notebook)
    guarded = [cell.source for cell in release.cells if DEMONSTRATION_GUARD in cell.source]
    assert guarded, f"no cell of the release is guarded by {DEMONSTRATION_GUARD!r}"
    autograded = helpers.read_notebook(assignment.autograded_notebook(result[0], "solution"))
    cells = [cell for cell in autograded.cells if cell.source in guarded]
    assert len(cells) == len(guarded)
    for cell in cells:
        assert cell.execution_count is not None and cell.outputs == [], cell.outputs
