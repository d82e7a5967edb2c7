"""Autograde deliberately wrong submissions of every assignment: each plausible bug loses the points of exactly the
test cells its file names (tests/submissions/<assignment>/wrong_*.py), and the feedback shows no hidden test code.

One `python -m tools.grade` run per assignment grades every submission of this module (in a throwaway copy of the course).
"""

import pytest

import grading_helpers as helpers

pytestmark = pytest.mark.slow

CASES = [(assignment, submission) for assignment in helpers.ASSIGNMENTS
         for submission in assignment.load_submissions(["wrong_"])]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """assignment -> (course, scores), graded once per assignment."""
    results = {}

    def grade(assignment):
        if assignment.name not in results:
            course = helpers.make_course(tmp_path_factory.mktemp(f"course-{assignment.name}"))
            notebooks = [(submission.name, assignment.build_notebook(submission.answers))
                         for submission in assignment.load_submissions(["wrong_"])]
            completed, seconds = assignment.grade_course(course, notebooks)
            print(f"\n{assignment.name}: python -m tools.grade: {len(notebooks)} submissions in {seconds:.1f} s; "
                  + completed.stdout.strip().split("\n")[-1])
            assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-6000:]
            results[assignment.name] = (course, assignment.read_scores(course, [name for name, _ in notebooks]))
        return results[assignment.name]

    return grade


@pytest.mark.parametrize("assignment", helpers.ASSIGNMENTS, ids=lambda a: a.name)
def test_the_named_bugs_are_covered(assignment):
    submissions = assignment.load_submissions(["wrong_"])
    names = {submission.name for submission in submissions}
    missing = [required for required in assignment.expect.required_wrong if required not in names]
    assert not missing, f"no answer file for these bugs: {missing}"
    assert all(submission.expect_zero for submission in submissions), "a wrong submission must lose points"


@pytest.mark.parametrize("assignment, submission", CASES, ids=lambda case: getattr(case, "name", None))
def test_wrong_submission_loses_the_right_points(graded, assignment, submission):
    _, scores = graded(assignment)
    expected = {grade_id: 0.0 if grade_id in submission.expect_zero else points
                for grade_id, points in assignment.points_per_test_cell().items()}
    assert scores[submission.name] == expected, submission.description


@pytest.mark.parametrize("assignment", helpers.ASSIGNMENTS, ids=lambda a: a.name)
def test_feedback_shows_no_hidden_test_code(graded, assignment):
    course, scores = graded(assignment)
    hidden = assignment.distinctive_hidden_lines()
    for student in scores:
        text = helpers.html_text(assignment.feedback_html(course, student))
        assert "AssertionError" in text  # failures are reported, with their messages
        own = assignment.student_code(course, student)
        leaked = [line for line in hidden
                  if helpers.normalize_space(line) in text and helpers.normalize_space(line) not in own]
        assert not leaked, f"{student}: hidden test code in the feedback: {leaked[:3]}"
