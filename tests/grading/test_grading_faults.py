"""Grading a class under faults and attacks (tools/grade.py): the adversarial submissions `fault_*` and `attack_*` of
tests/submissions/<assignment>/ are graded in one batch, with the instructor's solution beside them.

What must hold (the README of tests/submissions/hw0_mle/ describes each file):
- the batch finishes; a submission whose kernel died or had to be killed is reported as *failed to grade* with its
  reason (report, grades.csv), never given a silent 0, and every other submission gets its expected scores;
- the sandbox hides the course (solutions, gradebook, other students) from student code;
- rebinding torch/numpy/dgm_utils.checks, always-equal objects, a deleted setup cell or printed fake results gain
  nothing; stderr output of a correct submission costs nothing; huge output is cut;
- nothing under submitted/ changes, and grading again gives the same grades.
"""

import csv
import hashlib
import shutil
from pathlib import Path

import pytest

import grading_helpers as helpers

pytestmark = pytest.mark.slow

PREFIXES = ["fault_", "attack_"]
ASSIGNMENTS = [a for a in helpers.ASSIGNMENTS if a.load_submissions(PREFIXES)]
CASES = [(a, s) for a in ASSIGNMENTS for s in a.load_submissions(PREFIXES)]
# Small limits so that runaway submissions end fast; far above what the solution's slowest cell needs.
OPTIONS = ("--workers", "2", "--cell-timeout", "30", "--submission-timeout", "420", "--memory-gb", "3")


def digest(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return {row["student_id"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    if shutil.which("bwrap") is None:
        pytest.fail("bubblewrap (bwrap) is not installed: the grading sandbox needs it (`apt-get install bubblewrap`; "
                    ".ci/run installs it)")
    results = {}

    def grade(assignment):
        if assignment.name not in results:
            course = helpers.make_course(tmp_path_factory.mktemp(f"faults-{assignment.name}"))
            notebooks = [("solution", assignment.build_notebook({}))]
            notebooks += [(s.name, assignment.build_notebook(s.answers)) for s in assignment.load_submissions(PREFIXES)]
            for student, notebook in notebooks:
                assignment.submit(course, student, notebook)
            before = digest(course / "submitted")
            completed, seconds = assignment.grade_course(course, [], *OPTIONS)
            print(f"\n{assignment.name}: {len(notebooks)} adversarial submissions graded in {seconds:.1f} s")
            report = read_csv(course / f"grading_report_{assignment.name}.csv")
            results[assignment.name] = dict(course=course, completed=completed, before=before, report=report,
                                            students=[name for name, _ in notebooks])
        return results[assignment.name]

    return grade


def with_submission(name):
    """Parametrize over the assignments whose corpus has the submission `name`."""
    return pytest.mark.parametrize("assignment", [a for a, s in CASES if s.name == name], ids=lambda a: a.name)


def by_case(cases):
    return pytest.mark.parametrize("assignment, submission", cases, ids=[f"{a.name}-{s.name}" for a, s in cases])


def test_the_corpus_covers_the_issue():
    names = {s.name for _, s in CASES}
    for required in ("fault_infinite_loop", "fault_ignores_interrupt", "fault_os_exit", "fault_memory_exhaustion",
                     "fault_reads_solutions", "attack_rebind_torch", "attack_rebind_checks", "attack_always_equal",
                     "attack_delete_setup_cell", "attack_prints_pass", "attack_leak_hidden_tests", "fault_huge_output",
                     "fault_stderr_progress"):
        assert required in names, f"the adversarial corpus lacks {required}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.name)
def test_the_batch_finishes_and_reports_failures(graded, assignment):
    result = graded(assignment)
    completed = result["completed"]
    expect_failures = any(s.expect_failure for s in assignment.load_submissions(PREFIXES))
    assert completed.returncode == (2 if expect_failures else 0), completed.stdout[-4000:] + completed.stderr[-4000:]
    assert set(result["report"]) == set(result["students"]), "the report must list every submission"
    assert "failed to grade" in completed.stdout + completed.stderr or not expect_failures


@by_case(CASES)
def test_each_submission_is_graded_as_stated(graded, assignment, submission):
    result = graded(assignment)
    row = result["report"][submission.name]
    grades = read_csv(result["course"] / "grades.csv")
    grade_row = grades[submission.name]
    if submission.expect_failure:
        assert row["status"] == "failed", f"{submission.name} should fail to grade, the report says {row}"
        assert submission.expect_failure in row["reason"], row["reason"]
        assert grade_row["score"] == "" and grade_row["grading_status"].startswith("failed to grade:"), grade_row
        return
    assert row["status"] == "graded", f"{submission.name} could not be graded: {row['reason']}"
    assert grade_row["grading_status"] == "graded"
    scores = assignment.read_scores(result["course"], [submission.name])[submission.name]
    points = assignment.points_per_test_cell()
    wrong = {cell: score for cell, score in scores.items() if cell in points
             and score != (0.0 if cell in submission.expect_zero else points[cell])}
    assert not wrong, (f"{submission.name}: unexpected scores {wrong} (expected 0 exactly for "
                       f"{sorted(submission.expect_zero)}, full points elsewhere)")


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.name)
def test_the_solution_in_the_same_batch_gets_full_marks(graded, assignment):
    result = graded(assignment)
    scores = assignment.read_scores(result["course"], ["solution"])["solution"]
    assert scores == assignment.points_per_test_cell()


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.name)
def test_nothing_under_submitted_changes(graded, assignment):
    result = graded(assignment)
    assert digest(result["course"] / "submitted") == result["before"]


def _outputs(notebook_path):
    notebook = helpers.read_notebook(notebook_path)
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        for output in cell.get("outputs", []):
            yield meta, output


@with_submission("fault_reads_solutions")
def test_student_code_finds_no_course_file(graded, assignment):
    result = graded(assignment)
    path = assignment.autograded_notebook(result["course"], "fault_reads_solutions")
    found = [output.get("text", "") for _, output in _outputs(path) if "found:" in output.get("text", "")]
    assert found and all(text.strip() == "found: []" for text in found), found


@with_submission("fault_stderr_progress")
def test_stderr_in_a_test_cell_stays_visible_but_costs_nothing(graded, assignment):
    result = graded(assignment)
    path = assignment.autograded_notebook(result["course"], "fault_stderr_progress")
    marked = [output for meta, output in _outputs(path)
              if meta.get("grade") and "[stderr]" in output.get("text", "")]
    assert marked, "the submission's stderr should show in a test cell's output, marked [stderr]"
    assert not [output for meta, output in _outputs(path)
                if meta.get("grade") and output.get("name") == "stderr"], "stderr left in a test cell"


@with_submission("fault_huge_output")
def test_huge_output_is_cut(graded, assignment):
    result = graded(assignment)
    path = assignment.autograded_notebook(result["course"], "fault_huge_output")
    assert path.stat().st_size < 2_000_000, f"autograded notebook is {path.stat().st_size} bytes"
    feedback = assignment.feedback_html(result["course"], "fault_huge_output")
    assert feedback.stat().st_size < 3_000_000, f"feedback is {feedback.stat().st_size} bytes"


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.name)
def test_grading_again_gives_the_same_grades(graded, assignment):
    result = graded(assignment)
    course = result["course"]
    again = ["solution", "attack_rebind_torch", "fault_os_exit"]
    again = [s for s in again if s in result["students"]]
    first = assignment.read_scores(course, [s for s in again if result["report"][s]["status"] == "graded"])
    options = [item for student in again for item in ("--student", student)]
    completed = helpers.run_tool(course, "grade", assignment.name, *OPTIONS, *options)
    assert completed.returncode in (0, 2), completed.stdout[-3000:] + completed.stderr[-3000:]
    report = read_csv(course / f"grading_report_{assignment.name}.csv")
    assert {s: report[s]["status"] for s in again} == {s: result["report"][s]["status"] for s in again}
    assert assignment.read_scores(course, list(first)) == first
    assert digest(course / "submitted") == result["before"]


@with_submission("attack_leak_hidden_tests")
def test_printed_hidden_tests_do_not_reach_the_feedback(graded, assignment):
    result = graded(assignment)
    course = result["course"]
    hidden = assignment.distinctive_hidden_lines()
    autograded = assignment.autograded_notebook(course, "attack_leak_hidden_tests")
    printed = "\n".join(output.get("text", "") for _, output in _outputs(autograded))
    # the submission did get hold of hidden test code while it ran (so there was something to leak) ...
    assert "current cell:" in printed and sum(line in printed for line in hidden) > 10
    # ... but its feedback shows none of it
    text = helpers.html_text(assignment.feedback_html(course, "attack_leak_hidden_tests"))
    own = assignment.student_code(course, "attack_leak_hidden_tests")
    leaked = [line for line in hidden if helpers.normalize_space(line) in text and helpers.normalize_space(line) not in own]
    assert not leaked, f"hidden test code in the feedback: {leaked[:3]}"
    assert "Score:" in text


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.name)
def test_no_feedback_shows_hidden_tests(graded, assignment):
    result = graded(assignment)
    course = result["course"]
    hidden = assignment.distinctive_hidden_lines()
    for student in result["students"]:
        path = assignment.feedback_html(course, student)
        if not path.exists():
            assert result["report"][student]["status"] == "failed", f"no feedback for graded {student}"
            continue
        text = helpers.html_text(path)
        own = assignment.student_code(course, student)
        leaked = [line for line in hidden
                  if helpers.normalize_space(line) in text and helpers.normalize_space(line) not in own]
        assert not leaked, f"{student}: hidden test code in the feedback: {leaked[:3]}"


@with_submission("fault_infinite_loop")
def test_wall_clock_limit_stops_a_submission_and_keeps_its_earlier_grade(graded, assignment):
    # Runs last in this module: it regrades one student of the batch with a wall-clock limit shorter than the two
    # cell timeouts its sampler hits.
    result = graded(assignment)
    course = result["course"]
    earlier = assignment.read_scores(course, ["fault_infinite_loop"])
    completed = helpers.run_tool(course, "grade", assignment.name, "--student", "fault_infinite_loop",
                                 "--cell-timeout", "30", "--submission-timeout", "45")
    assert completed.returncode == 2, completed.stdout[-3000:] + completed.stderr[-3000:]
    row = read_csv(course / f"grading_report_{assignment.name}.csv")["fault_infinite_loop"]
    assert row["status"] == "failed" and "wall-clock limit of 45 s" in row["reason"], row
    assert float(row["seconds"]) < 45 + 60, "the submission was not stopped near its limit"
    # the failed regrade changes nothing in the gradebook: the grade of the earlier run stays
    assert assignment.read_scores(course, ["fault_infinite_loop"]) == earlier
    assert digest(course / "submitted") == result["before"]
