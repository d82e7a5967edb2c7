"""Autograde hw0_mle end to end: full marks for the solution and for different correct implementations, 0 for the
untouched release, nothing gained by editing or deleting locked test cells, the blocked reference implementation
reported, and no hidden test code in the feedback.

One `tools/grade.py` run grades every submission of this module (in a throwaway copy of the course).
"""

import csv

import pytest

import grading_helpers as helpers

pytestmark = pytest.mark.slow

SUBMISSIONS = helpers.load_submissions(["correct_", "tamper_", "reference_"])
POINTS = helpers.points_per_test_cell()
# The budget of DESIGN.md: autograding one submission of one assignment takes at most 90 s.
SECONDS_PER_SUBMISSION = 90


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = helpers.make_course(tmp_path_factory.mktemp("course"))
    notebooks = [("solution", helpers.build_notebook({})),
                 ("untouched", helpers.build_notebook({}, fill_with_solution=False))]
    notebooks += [(submission.name, helpers.build_notebook(submission.answers)) for submission in SUBMISSIONS]
    completed, seconds = helpers.grade_course(course, notebooks)
    students = [name for name, _ in notebooks]
    print(f"\ntools/grade.py: {len(students)} submissions in {seconds:.1f} s; " + completed.stdout.strip().split("\n")[-1])
    scores = helpers.read_scores(course, students) if completed.returncode == 0 else None
    return course, completed, scores, seconds, students


def check_run(graded):
    course, completed, scores, seconds, students = graded
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-6000:]
    return scores


def test_grade_tool_runs_within_budget(graded):
    check_run(graded)
    _, _, _, seconds, students = graded
    assert seconds / len(students) < SECONDS_PER_SUBMISSION, f"{seconds / len(students):.1f} s per submission"


def test_solution_gets_full_marks(graded):
    scores = check_run(graded)
    assert scores["solution"] == POINTS


def test_untouched_release_gets_zero(graded):
    scores = check_run(graded)
    assert scores["untouched"] == {grade_id: 0.0 for grade_id in POINTS}


@pytest.mark.parametrize("submission", SUBMISSIONS, ids=lambda s: s.name)
def test_submission_scores(graded, submission):
    scores = check_run(graded)[submission.name]
    expected = {grade_id: 0.0 if grade_id in submission.expect_zero else points for grade_id, points in POINTS.items()}
    assert scores == expected, submission.description


def test_correct_submissions_exist():
    correct = [s for s in SUBMISSIONS if s.name.startswith("correct_")]
    assert len(correct) >= 2 and all(not s.expect_zero for s in correct)
    tampering = [s for s in SUBMISSIONS if s.name.startswith("tamper_")]
    assert any(helpers.DELETED in s.answers.values() for s in tampering)
    assert any(key.startswith("test_") and value is not helpers.DELETED for s in tampering for key, value in s.answers.items())


def test_grades_csv_has_every_total(graded):
    scores = check_run(graded)
    course = graded[0]
    with open(course / "grades.csv", newline="") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f) if row["assignment"] == helpers.ASSIGNMENT}
    assert set(rows) == set(scores)
    for student, cell_scores in scores.items():
        assert float(rows[student]["score"]) == pytest.approx(sum(cell_scores.values()))
        assert float(rows[student]["max_score"]) == pytest.approx(sum(POINTS.values()))


def test_feedback_names_the_blocked_reference(graded):
    check_run(graded)
    text = helpers.html_text(graded[0] / "feedback" / "reference_calls" / helpers.ASSIGNMENT / "hw0_mle.html")
    assert "ReferenceBlockedError" in text
    for name in ("mixture_log_prob", "mixture_sample", "GaussianMixture"):
        assert f"called the course's reference implementation `{name}" in text, name


def test_feedback_shows_no_hidden_test_code(graded):
    check_run(graded)
    course, _, _, _, students = graded
    hidden = helpers.distinctive_hidden_lines()
    assert len(hidden) > 50
    visible_marker = "# Tests of mixture_log_prob: values and gradients (2 points)."
    for student in students:
        autograded = helpers.read_notebook(course / "autograded" / student / helpers.ASSIGNMENT / helpers.NOTEBOOK)
        # The autograded notebook holds the hidden tests (so there was something to leak) ...
        assert all(line in "\n".join(cell.source for cell in autograded.cells) for line in hidden)
        text = helpers.html_text(course / "feedback" / student / helpers.ASSIGNMENT / "hw0_mle.html")
        # ... the feedback shows the visible tests and the scores, but none of the hidden lines.
        assert visible_marker in text and "Score:" in text
        leaked = [line for line in hidden if helpers.normalize_space(line) in text]
        assert not leaked, f"{student}: hidden test code in the feedback: {leaked[:3]}"
