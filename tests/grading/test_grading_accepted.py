"""Autograde every assignment end to end: full marks for the solution and for different correct implementations, 0
for the untouched release, nothing gained by editing or deleting locked cells, the blocked reference implementations
reported, and no hidden test code in the feedback.

One `python -m tools.grade` run per assignment grades every submission of this module (in a throwaway copy of the course);
the runs start lazily, the first time a test of that assignment needs them.
"""

import csv

import pytest

import grading_helpers as helpers

pytestmark = pytest.mark.slow

PREFIXES = ["correct_", "tamper_", "reference_"]
CASES = [(assignment, submission) for assignment in helpers.ASSIGNMENTS
         for submission in assignment.load_submissions(PREFIXES)]
# The course's budget: autograding one submission of one assignment takes at most 90 s.
SECONDS_PER_SUBMISSION = 90


def by_name(assignments):
    return pytest.mark.parametrize("assignment", assignments, ids=lambda a: a.name)


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


@by_name(helpers.ASSIGNMENTS)
def test_grade_tool_runs_within_budget(graded, assignment):
    result = graded(assignment)
    check_run(result)
    _, _, _, seconds, students = result
    assert seconds / len(students) < SECONDS_PER_SUBMISSION, f"{seconds / len(students):.1f} s per submission"


@by_name(helpers.ASSIGNMENTS)
def test_solution_gets_full_marks(graded, assignment):
    scores = check_run(graded(assignment))
    assert scores["solution"] == assignment.points_per_test_cell()


@by_name(helpers.ASSIGNMENTS)
def test_untouched_release_gets_zero(graded, assignment):
    scores = check_run(graded(assignment))
    assert scores["untouched"] == {grade_id: 0.0 for grade_id in assignment.points_per_test_cell()}


@pytest.mark.parametrize("assignment, submission", CASES, ids=lambda case: getattr(case, "name", None))
def test_submission_scores(graded, assignment, submission):
    scores = check_run(graded(assignment))[submission.name]
    expected = {grade_id: 0.0 if grade_id in submission.expect_zero else points
                for grade_id, points in assignment.points_per_test_cell().items()}
    assert scores == expected, submission.description


@by_name(helpers.ASSIGNMENTS)
def test_correct_submissions_exist(assignment):
    submissions = assignment.load_submissions(PREFIXES)
    correct = [s for s in submissions if s.name.startswith("correct_")]
    assert len(correct) >= 2 and all(not s.expect_zero for s in correct)
    tampering = [s for s in submissions if s.name.startswith("tamper_")]
    assert any(helpers.DELETED in s.answers.values() for s in tampering)
    assert any(key.startswith("test_") and value is not helpers.DELETED for s in tampering for key, value in s.answers.items())
    reference = [s for s in submissions if s.name.startswith("reference_")]
    assert reference and all(s.expect_zero == set(assignment.points_per_test_cell()) for s in reference)


@by_name(helpers.ASSIGNMENTS)
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


@by_name(helpers.ASSIGNMENTS)
def test_feedback_names_the_blocked_reference(graded, assignment):
    result = graded(assignment)
    check_run(result)
    text = helpers.html_text(assignment.feedback_html(result[0], "reference_calls"))
    assert "ReferenceBlockedError" in text
    for name in assignment.expect.blocked_names:
        assert f"called the course's reference implementation `{name}" in text, name


@by_name(helpers.ASSIGNMENTS)
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
        own = assignment.student_code(course, student)
        leaked = [line for line in hidden
                  if helpers.normalize_space(line) in text and helpers.normalize_space(line) not in own]
        assert not leaked, f"{student}: hidden test code in the feedback: {leaked[:3]}"
