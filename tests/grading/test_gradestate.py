"""tools/gradestate.py: every assignment keeps its grading status in grades.csv and in its report, whatever is graded
later; "missing", "not graded yet" and "failed to grade" never become a score of 0; a status file is replaced
atomically and never overwritten when it cannot be read; one `nbgrader generate_assignment` per grading run.

The first tests use a hand-made gradebook and fake outcomes (fast); the last ones grade cheap submissions of hw0_mle
(the untouched release, and a notebook that is not JSON) in a course copy with a second assignment beside it."""

import csv
import json
import shutil
from types import SimpleNamespace

import nbformat
import pytest

import grading_helpers as helpers
from tools import gradestate


def outcome(student, status="graded", score=0.0, max_score=10.0, reason=""):
    """What tools/grade.py's Outcome holds, as far as the status files read it."""
    return SimpleNamespace(student=student, status=status, score=score, max_score=max_score, reason=reason,
                           seconds=3.21, review=[])


def make_gradebook(folder):
    """A gradebook with assignments a1 and a2 (one notebook, one test cell of 10 points each), students alice, bob
    and carol, and submissions: alice a1 (7 points), carol a1 (10) and a2 (4)."""
    url = "sqlite:///" + str(folder / "gradebook.db")
    with gradestate.open_gradebook(url) as gradebook:
        for name in ("a1", "a2"):
            gradebook.add_assignment(name)
            gradebook.add_notebook("nb", name)
            gradebook.add_grade_cell("test", "nb", name, max_score=10, cell_type="code")
        for student in ("alice", "bob", "carol"):
            gradebook.add_student(student)
        for assignment, student, score in (("a1", "alice", 7.0), ("a1", "carol", 10.0), ("a2", "carol", 4.0)):
            gradebook.add_submission(assignment, student)
            grade = gradebook.find_grade("test", "nb", assignment, student)
            grade.auto_score = score
            gradebook.db.commit()
    return url


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return {(row["assignment"], row["student_id"]): row for row in csv.DictReader(f)}


# --- the statuses, with fake outcomes -------------------------------------------------------------------------

def test_a_run_replaces_only_the_entries_of_the_students_it_graded():
    before = {"alice": gradestate.attempt_entry(outcome("alice", score=7), "t0"),
              "bob": gradestate.attempt_entry(outcome("bob", "failed", reason="the kernel died"), "t0")}
    after = gradestate.merge_attempts(before, [outcome("alice", score=9)], when="t1")
    assert after["bob"] == before["bob"] and after["bob"]["status"] == "failed"
    assert after["alice"]["score"] == 9 and after["alice"]["graded_at"] == "t1"
    assert before["alice"]["score"] == 7  # the caller's statuses are not changed


@pytest.mark.parametrize("entry, in_gradebook, submitted, expected", [
    ({"status": "failed", "reason": "the kernel died"}, True, True, "failed to grade: the kernel died"),
    ({"status": "failed", "reason": "the kernel died"}, False, True, "failed to grade: the kernel died"),
    ({"status": "graded"}, True, True, "graded"),
    (None, True, False, "graded"),  # graded by plain nbgrader, or before status files existed
    (None, False, True, "not graded yet"),
    (None, False, False, "missing"),
])
def test_the_status_of_a_row(entry, in_gradebook, submitted, expected):
    assert gradestate.grading_status(entry, in_gradebook, submitted) == expected


def test_grades_csv_keeps_every_assignments_status_and_never_shows_0_for_no_grade(tmp_path):
    """The old export put grading_status only on the rows of the assignment graded last, and 0.0 for everyone
    with no submission in the gradebook (including a submission that failed to grade)."""
    url = make_gradebook(tmp_path)
    gradestate.save_statuses("a1", {"alice": gradestate.attempt_entry(outcome("alice", score=7), "t0"),
                                    "bob": gradestate.attempt_entry(outcome("bob", "failed", reason="it hung"), "t0"),
                                    "carol": gradestate.attempt_entry(outcome("carol", score=10), "t0")}, tmp_path)
    gradestate.save_statuses("a2", {"carol": gradestate.attempt_entry(outcome("carol", score=4), "t1")}, tmp_path)
    (tmp_path / "submitted" / "alice" / "a2").mkdir(parents=True)  # submitted, never graded
    rows = read_rows(gradestate.export_grades(tmp_path, url))
    assert list(next(iter(rows.values()))) == list(gradestate.EXPORT_COLUMNS)
    status = {key: row["grading_status"] for key, row in rows.items()}
    assert status == {("a1", "alice"): "graded", ("a1", "bob"): "failed to grade: it hung", ("a1", "carol"): "graded",
                      ("a2", "alice"): "not graded yet", ("a2", "bob"): "missing", ("a2", "carol"): "graded"}
    assert rows[("a1", "alice")]["score"] == "7.0" and rows[("a2", "carol")]["raw_score"] == "4.0"
    for key in (("a1", "bob"), ("a2", "alice"), ("a2", "bob")):
        assert [rows[key][c] for c in gradestate.SCORE_COLUMNS] == ["", "", ""], rows[key]
        assert rows[key]["max_score"] == "10.0"


def test_a_failed_regrade_hides_the_earlier_score_but_the_gradebook_keeps_it(tmp_path):
    url = make_gradebook(tmp_path)
    gradestate.save_statuses("a1", {"alice": gradestate.attempt_entry(outcome("alice", "failed", reason="slow"), "t")},
                             tmp_path)
    rows = read_rows(gradestate.export_grades(tmp_path, url))
    assert rows[("a1", "alice")]["grading_status"] == "failed to grade: slow" and rows[("a1", "alice")]["score"] == ""
    assert next(row for row in gradestate.read_gradebook(url)
                if (row["assignment"], row["student_id"]) == ("a1", "alice"))["score"] == 7.0


def test_the_report_lists_every_students_latest_attempt(tmp_path):
    statuses = gradestate.merge_attempts({}, [outcome("bob", "failed", reason="it hung"), outcome("alice", score=7)],
                                         when="t0")
    statuses = gradestate.merge_attempts(statuses, [outcome("alice", score=8)], when="t1")  # alice graded again
    path = gradestate.write_report("a1", statuses, tmp_path)
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["student_id"], r["status"], r["score"], r["reason"], r["graded_at"]) for r in rows] == [
        ("alice", "graded", "8", "", "t1"), ("bob", "failed", "", "it hung", "t0")]


# --- the status files -----------------------------------------------------------------------------------------

def test_a_status_file_round_trips_and_is_replaced_whole(tmp_path):
    statuses = gradestate.merge_attempts({}, [outcome("alice", score=7), outcome("bob", "failed", reason="x")], "t")
    path = gradestate.save_statuses("a1", statuses, tmp_path)
    assert path == tmp_path / "grading_status" / "a1.json"
    assert gradestate.load_statuses("a1", tmp_path) == statuses
    gradestate.save_statuses("a1", {}, tmp_path)
    assert gradestate.load_statuses("a1", tmp_path) == {}
    assert sorted(p.name for p in path.parent.iterdir()) == ["a1.json"]  # no partial file left behind
    assert gradestate.load_statuses("never_graded", tmp_path) == {}


@pytest.mark.parametrize("content, words", [
    ("{not json", "cannot be read as JSON"),
    ('{"format": 99, "assignment": "a1", "students": {}}', "not a status file"),
    ('{"format": 1, "assignment": "a2", "students": {}}', "records assignment 'a2'"),
    ('{"format": 1, "assignment": "a1", "students": {"alice": {"status": "great"}}}', "entry of 'alice'"),
])
def test_an_unreadable_status_file_stops_with_its_name_and_is_kept(tmp_path, content, words):
    path = tmp_path / "grading_status" / "a1.json"
    path.parent.mkdir()
    path.write_text(content)
    for call in (lambda: gradestate.load_statuses("a1", tmp_path), lambda: gradestate.check_status_files(tmp_path)):
        with pytest.raises(SystemExit) as raised:
            call()
        assert str(path) in str(raised.value) and words in str(raised.value) and "never overwritten" in str(raised.value)
    assert path.read_text() == content


def test_grading_stops_before_any_work_when_a_status_file_is_damaged(tmp_path):
    course = helpers.make_course(tmp_path)
    hw0 = next(a for a in helpers.ASSIGNMENTS if a.name == "hw0_mle")
    hw0.submit(course, "alice", hw0.build_notebook({}, fill_with_solution=False))
    damaged = course / "grading_status" / "hw1_autoregressive.json"
    damaged.parent.mkdir()
    damaged.write_text("{}")
    completed = helpers.run_tool(course, "grade", "hw0_mle", "--no-sandbox")
    assert completed.returncode == 1 and str(damaged) in completed.stderr, completed.stdout + completed.stderr
    assert "generate_assignment" not in completed.stdout and not (course / "gradebook.db").exists()
    assert damaged.read_text() == "{}"


# --- grading runs in a course copy ----------------------------------------------------------------------------

def definition(db_url, assignment):
    """Everything a gradebook says about an assignment's notebooks and cells (ids left out)."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url, "dgm") as gradebook:
        found = gradebook.find_assignment(assignment)
        return {nb.name: {"kernelspec": nb.kernelspec,
                          "grade": sorted((c.name, c.max_score, c.cell_type) for c in nb.grade_cells),
                          "solution": sorted(c.name for c in nb.solution_cells),
                          "task": sorted((c.name, c.max_score, c.cell_type) for c in nb.task_cells),
                          "source": sorted((c.name, c.cell_type, c.locked, c.source, c.checksum)
                                           for c in nb.source_cells)}
                for nb in found.notebooks}


@pytest.mark.slow
def test_the_template_gradebook_holds_what_generate_assignment_records(tmp_path):
    course = helpers.make_course(tmp_path)
    assert helpers.run_tool(course, "release", "hw0_mle").returncode == 0
    course_url = "sqlite:///" + str(course / "gradebook.db")
    template = gradestate.template_gradebook("hw0_mle", tmp_path / "template", course_url)
    copied = definition("sqlite:///" + str(template), "hw0_mle")
    assert copied == definition(course_url, "hw0_mle")
    assert len(copied["hw0_mle"]["grade"]) >= 4 and len(copied["hw0_mle"]["source"]) > 10
    with pytest.raises(FileExistsError):
        gradestate.template_gradebook("hw0_mle", tmp_path / "template", course_url)


@pytest.fixture(scope="module")
def two_assignments(tmp_path_factory):
    """A course copy with hw0_mle and a copy of it, hw0_again, graded one after the other: alice submits both (the
    untouched release: graded, 0 points), bob only hw0_mle, as a file that is not a notebook (failed to grade), and
    carol only hw0_again. Returns the course, each run's stdout and grades.csv after each run."""
    course = helpers.make_course(tmp_path_factory.mktemp("two-assignments"))
    shutil.copytree(course / "solutions" / "hw0_mle", course / "solutions" / "hw0_again")
    hw0 = next(a for a in helpers.ASSIGNMENTS if a.name == "hw0_mle")
    untouched = hw0.build_notebook({}, fill_with_solution=False)
    for student, assignment in (("alice", "hw0_mle"), ("alice", "hw0_again"), ("carol", "hw0_again")):
        path = course / "submitted" / student / assignment / "hw0_mle.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(untouched, str(path))
    broken = course / "submitted" / "bob" / "hw0_mle" / "hw0_mle.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text("this is not a notebook")
    runs, grades = {}, {}
    for label, assignment, *options in (("hw0_mle", "hw0_mle"), ("hw0_again", "hw0_again"),
                                        ("regrade", "hw0_mle", "--student", "alice")):
        completed = helpers.run_tool(course, "grade", assignment, "--workers", "2", *options)
        assert completed.returncode == (2 if label == "hw0_mle" else 0), completed.stdout[-3000:] + completed.stderr[-3000:]
        runs[label] = completed.stdout
        grades[label] = read_rows(course / "grades.csv")
    return SimpleNamespace(course=course, runs=runs, grades=grades)


@pytest.mark.slow
def test_each_grading_run_generates_the_assignment_once(two_assignments):
    for label, stdout in two_assignments.runs.items():
        assert stdout.count("$ nbgrader generate_assignment") == 1, label


@pytest.mark.slow
def test_grading_another_assignment_keeps_the_status_of_the_first(two_assignments):
    rows = two_assignments.grades["hw0_again"]
    status = {key: row["grading_status"] for key, row in rows.items()}
    assert status[("hw0_mle", "alice")] == "graded" and status[("hw0_again", "alice")] == "graded"
    assert status[("hw0_mle", "bob")].startswith("failed to grade: "), status
    assert status[("hw0_mle", "carol")] == "missing" and status[("hw0_again", "bob")] == "missing"
    assert status[("hw0_again", "carol")] == "graded"
    assert rows[("hw0_mle", "alice")]["score"] == "0.0"  # graded, 0 points: a grade
    for key in (("hw0_mle", "bob"), ("hw0_mle", "carol"), ("hw0_again", "bob")):
        assert rows[key]["score"] == "" and rows[key]["raw_score"] == "", rows[key]
    # what the first run wrote about hw0_mle is what the second one says
    first = two_assignments.grades["hw0_mle"]
    assert {k: v for k, v in first.items() if k[0] == "hw0_mle"} == {k: v for k, v in rows.items() if k[0] == "hw0_mle"
                                                                     and k[1] != "carol"}


@pytest.mark.slow
def test_regrading_one_student_changes_only_their_row(two_assignments):
    before, after = two_assignments.grades["hw0_again"], two_assignments.grades["regrade"]
    assert set(before) == set(after)
    changed = [key for key in before if before[key] != after[key]]
    assert set(changed) <= {("hw0_mle", "alice")}, changed
    assert after[("hw0_mle", "bob")]["grading_status"].startswith("failed to grade: ")
    with open(two_assignments.course / "grading_report_hw0_mle.csv", newline="") as f:
        report = {row["student_id"]: row["status"] for row in csv.DictReader(f)}
    assert report == {"alice": "graded", "bob": "failed"}  # the report keeps bob, who was not graded again
    statuses = json.loads((two_assignments.course / "grading_status" / "hw0_mle.json").read_text())["students"]
    assert set(statuses) == {"alice", "bob"} and statuses["bob"]["status"] == "failed"
