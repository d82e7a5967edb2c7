"""Autograde deliberately wrong hw0_mle submissions: each plausible bug loses the points of exactly the test cells
its file names (tests/submissions/hw0_mle/wrong_*.py), and the feedback shows no hidden test code.

One `tools/grade.py` run grades every submission of this module (in a throwaway copy of the course).
"""

import pytest

import grading_helpers as helpers

pytestmark = pytest.mark.slow

SUBMISSIONS = helpers.load_submissions(["wrong_"])
POINTS = helpers.points_per_test_cell()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = helpers.make_course(tmp_path_factory.mktemp("course"))
    notebooks = [(submission.name, helpers.build_notebook(submission.answers)) for submission in SUBMISSIONS]
    completed, seconds = helpers.grade_course(course, notebooks)
    print(f"\ntools/grade.py: {len(notebooks)} submissions in {seconds:.1f} s; " + completed.stdout.strip().split("\n")[-1])
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-6000:]
    return course, helpers.read_scores(course, [name for name, _ in notebooks])


def test_the_named_bugs_are_covered():
    names = {submission.name for submission in SUBMISSIONS}
    for required in ("wrong_naive_logsumexp", "wrong_log_variance", "wrong_ignores_weights", "wrong_detached_fit",
                     "wrong_logsumexp_axis", "wrong_label_off_by_one"):
        assert required in names
    assert all(submission.expect_zero for submission in SUBMISSIONS), "a wrong submission must lose points"


@pytest.mark.parametrize("submission", SUBMISSIONS, ids=lambda s: s.name)
def test_wrong_submission_loses_the_right_points(graded, submission):
    _, scores = graded
    expected = {grade_id: 0.0 if grade_id in submission.expect_zero else points for grade_id, points in POINTS.items()}
    assert scores[submission.name] == expected, submission.description


def test_feedback_shows_no_hidden_test_code(graded):
    course, scores = graded
    hidden = helpers.distinctive_hidden_lines()
    for student in scores:
        text = helpers.html_text(course / "feedback" / student / helpers.ASSIGNMENT / "hw0_mle.html")
        assert "AssertionError" in text  # failures are reported, with their messages
        leaked = [line for line in hidden if helpers.normalize_space(line) in text]
        assert not leaked, f"{student}: hidden test code in the feedback: {leaked[:3]}"
