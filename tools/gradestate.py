"""The grading state that outlives one run of tools/grade.py, and the files made from it.

- The course gradebook (nbgrader's `gradebook.db`, or the database NBGRADER_DB_URL names) holds the assignments'
  definitions and the scores. `record` writes the automatic scores of the submissions graded in a run (a manual
  score is kept); `template_gradebook` copies one assignment's definition into a fresh SQLite gradebook, the one the
  scratch course of each submission starts from (so `nbgrader generate_assignment` runs once per grading run).
- The gradebook has no place for "this submission could not be graded" (a failed attempt leaves no submission in
  it), so the outcome of the latest grading attempt of every student's submission is kept in a status file per
  assignment, `grading_status/<assignment>.json` next to the gradebook. A run updates the entries of the students
  it graded and keeps every other entry; the file is replaced atomically (written beside it, then renamed), and an
  unreadable one stops the tools with a message instead of being overwritten.
- `export_grades` writes `grades.csv` for every assignment and student of the gradebook: nbgrader export's columns
  plus `grading_status`, merged from the gradebook, the status files and submitted/ (see `grading_status`).
- `write_report` writes `grading_report_<assignment>.csv`: the latest attempt of every student at the assignment.
"""

import csv
import json
import os
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from .course import COURSE_ID, ROOT, STATUS_DIRECTORY, SUBMITTED_DIRECTORY, gradebook_url, sqlite_url

STATUS_FORMAT = 1
ATTEMPT_STATUSES = ("graded", "failed")  # what one attempt gave (Outcome.status)
# The columns of `nbgrader export` (its CSV plugin), then ours.
NBGRADER_COLUMNS = ("assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
                    "raw_score", "late_submission_penalty", "score", "max_score")
SCORE_COLUMNS = ("raw_score", "late_submission_penalty", "score")  # left empty unless the status is "graded"
EXPORT_COLUMNS = NBGRADER_COLUMNS + ("grading_status",)
REPORT_COLUMNS = ("student_id", "status", "score", "max_score", "seconds", "reason", "review", "graded_at")
# The values of the grading_status column besides "failed to grade: <reason>".
GRADED, MISSING, NOT_GRADED_YET = "graded", "missing", "not graded yet"
FAILED_PREFIX = "failed to grade: "


# --- the course gradebook -----------------------------------------------------------------------------------

def open_gradebook(db_url):
    """nbgrader's Gradebook at `db_url`. Creating a new one runs the `alembic` executable, which is found next to
    this interpreter (a virtual environment that was not activated is not on PATH)."""
    from nbgrader.api import Gradebook

    bin_folder = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if bin_folder in path.split(os.pathsep):
        return Gradebook(db_url, COURSE_ID)
    os.environ["PATH"] = bin_folder + os.pathsep + path
    try:
        return Gradebook(db_url, COURSE_ID)
    finally:
        os.environ["PATH"] = path


def record(outcomes, assignment, db_url=None):
    """Write the automatic scores of the graded outcomes into the course gradebook (manual scores are kept); every
    student of `outcomes` becomes a student of the gradebook, so that grades.csv has a row for them."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url or gradebook_url(), COURSE_ID) as gradebook:
        for outcome in outcomes:
            gradebook.update_or_create_student(outcome.student)
            if outcome.status != "graded":
                continue
            submission = gradebook.update_or_create_submission(assignment, outcome.student,
                                                               timestamp=outcome.timestamp)
            for notebook in submission.notebooks:
                notebook.late_submission_penalty = outcome.late_penalties.get(notebook.name)
                for grade in notebook.grades:
                    grade.auto_score = outcome.grades.get((notebook.name, grade.name))
                    grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
                for comment in notebook.comments:
                    comment.auto_comment = outcome.comments.get((notebook.name, comment.name))
            gradebook.db.commit()


def template_gradebook(assignment, folder, db_url=None):
    """A new SQLite gradebook in `folder` holding only the definition of `assignment` (its notebooks, and their
    grade, solution, task and source cells) as `nbgrader generate_assignment` recorded it in the course gradebook
    `db_url` (default: the course's); return its path. No student, submission or score is copied."""
    from nbgrader.api import MissingEntry

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target_path = folder / "gradebook.db"
    if target_path.exists():
        raise FileExistsError(f"{target_path} exists; a template gradebook is made in an empty folder")
    with open_gradebook(db_url or gradebook_url()) as source:
        try:
            definition = source.find_assignment(assignment)
        except MissingEntry:
            raise SystemExit(f"the gradebook has no assignment {assignment}: run `nbgrader generate_assignment "
                             f"{assignment}` first") from None
        with open_gradebook(sqlite_url(folder)) as target:
            target.add_assignment(assignment)
            for notebook in definition.notebooks:
                target.add_notebook(notebook.name, assignment, kernelspec=notebook.kernelspec)
                for cell in notebook.grade_cells:
                    target.add_grade_cell(cell.name, notebook.name, assignment, max_score=cell.max_score,
                                          cell_type=cell.cell_type)
                for cell in notebook.solution_cells:
                    target.add_solution_cell(cell.name, notebook.name, assignment)
                for cell in notebook.task_cells:
                    target.add_task_cell(cell.name, notebook.name, assignment, max_score=cell.max_score,
                                         cell_type=cell.cell_type)
                for cell in notebook.source_cells:
                    target.add_source_cell(cell.name, notebook.name, assignment, cell_type=cell.cell_type,
                                           locked=cell.locked, source=cell.source, checksum=cell.checksum)
    return target_path


# --- the status files ---------------------------------------------------------------------------------------

def status_path(assignment, root=ROOT):
    return Path(root) / STATUS_DIRECTORY / f"{assignment}.json"


def _unreadable(path, problem):
    return SystemExit(f"{path}: {problem}. This file keeps the grading status of every submission of the assignment "
                      f"(which ones failed to grade, and why); it is never overwritten while it cannot be read: "
                      f"repair it, or move it away to start its record afresh.")


def load_statuses(assignment, root=ROOT):
    """student -> the entry of their latest grading attempt at `assignment` ({} when nothing was recorded yet).
    Stops with a message naming the file when it cannot be read or is not what tools/grade.py writes."""
    path = status_path(assignment, root)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise _unreadable(path, f"cannot be read as JSON ({error})") from None
    if not isinstance(data, dict) or data.get("format") != STATUS_FORMAT:
        raise _unreadable(path, f"not a status file of format {STATUS_FORMAT}")
    if data.get("assignment") != assignment:
        raise _unreadable(path, f"it records assignment {data.get('assignment')!r}, not {assignment!r}")
    students = data.get("students")
    if not isinstance(students, dict):
        raise _unreadable(path, "it has no 'students' object")
    for student, entry in students.items():
        if not isinstance(entry, dict) or entry.get("status") not in ATTEMPT_STATUSES:
            raise _unreadable(path, f"the entry of {student!r} has no status among {', '.join(ATTEMPT_STATUSES)}")
    return students


def save_statuses(assignment, statuses, root=ROOT):
    """Replace the status file of `assignment` with `statuses` atomically (a crash leaves the old file or the new
    one, never a part); return its path."""
    path = status_path(assignment, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"format": STATUS_FORMAT, "assignment": assignment,
            "about": "written by tools/grade.py: the latest grading attempt of each student's submission",
            "students": {student: statuses[student] for student in sorted(statuses)}}
    _write_atomically(path, json.dumps(data, indent=1, sort_keys=False) + "\n")
    return path


def _write_atomically(path, text):
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def attempt_entry(outcome, when):
    """The status-file entry of one grading attempt (an Outcome of tools/grade.py) made at `when`."""
    graded = outcome.status == "graded"
    return {"status": outcome.status, "reason": outcome.reason, "score": outcome.score if graded else None,
            "max_score": outcome.max_score if graded else None, "seconds": round(outcome.seconds, 1),
            "review": list(outcome.review), "graded_at": when}


def merge_attempts(statuses, outcomes, when=None):
    """The statuses after a run: the entries of the students in `outcomes` replaced by this run's attempts, every
    other entry kept as it was. `statuses` itself is not changed."""
    when = when or datetime.now(timezone.utc).isoformat(timespec="seconds")
    merged = dict(statuses)
    for outcome in outcomes:
        merged[outcome.student] = attempt_entry(outcome, when)
    return merged


def check_status_files(root=ROOT):
    """Read every status file of the course (stopping with a message on one that cannot be read): called before
    grading, so that a damaged file is found before the work, not after it."""
    folder = Path(root) / STATUS_DIRECTORY
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        load_statuses(path.stem, root)


# --- grades.csv -----------------------------------------------------------------------------------------------

def grading_status(entry, in_gradebook, submitted):
    """The grading_status of one (assignment, student) row of grades.csv:
    - "failed to grade: <reason>" when the latest attempt failed (the scores are then left empty even if the
      gradebook keeps those of an earlier attempt: the submission as it is now has no grade);
    - "graded" when the gradebook has the student's submission (graded by tools/grade.py or by nbgrader);
    - "not graded yet" when there is a submission under submitted/ but no grade and no attempt;
    - "missing" when the student submitted nothing."""
    if entry is not None and entry.get("status") == "failed":
        return FAILED_PREFIX + (entry.get("reason") or "no reason recorded")
    if in_gradebook:
        return GRADED
    return NOT_GRADED_YET if submitted else MISSING


def _text(value):
    return "" if value is None else value if isinstance(value, str) else str(value)


def read_gradebook(db_url=None):
    """One row per (assignment, student) of the gradebook, with nbgrader export's columns (same values) and
    `in_gradebook` (True when the student has a submission of that assignment in it)."""
    from nbgrader.api import Gradebook, MissingEntry

    rows = []
    with Gradebook(db_url or gradebook_url(), COURSE_ID) as gradebook:
        for assignment in gradebook.assignments:
            for student in gradebook.students:
                row = {"assignment": assignment.name, "duedate": assignment.duedate, "student_id": student.id,
                       "last_name": student.last_name, "first_name": student.first_name, "email": student.email,
                       "max_score": assignment.max_score}
                try:
                    submission = gradebook.find_submission(assignment.name, student.id)
                except MissingEntry:
                    row.update(timestamp=None, raw_score=None, late_submission_penalty=None, score=None,
                               in_gradebook=False)
                else:
                    penalty = submission.late_submission_penalty
                    row.update(timestamp=submission.timestamp, raw_score=submission.score,
                               late_submission_penalty=penalty,
                               score=max(0.0, submission.score - (penalty or 0.0)), in_gradebook=True)
                rows.append(row)
    return rows


def merge_statuses(rows, statuses, submitted):
    """The rows of grades.csv: `rows` (from read_gradebook) with a grading_status from `statuses` (assignment ->
    student -> entry) and `submitted` (the (assignment, student) pairs with a folder under submitted/); the
    scores of a row that is not "graded" are empty, never 0."""
    merged = []
    for row in rows:
        key = (row["assignment"], row["student_id"])
        entry = statuses.get(row["assignment"], {}).get(row["student_id"])
        status = grading_status(entry, row["in_gradebook"], key in submitted)
        out = {column: _text(row.get(column)) for column in NBGRADER_COLUMNS}
        if status != GRADED:
            out.update({column: "" for column in SCORE_COLUMNS})
        out["grading_status"] = status
        merged.append(out)
    return merged


def submitted_pairs(root=ROOT):
    """(assignment, student) for every folder submitted/<student>/<assignment>/."""
    folder = Path(root) / SUBMITTED_DIRECTORY
    if not folder.is_dir():
        return set()
    return {(a.name, s.name) for s in folder.iterdir() if s.is_dir() for a in s.iterdir() if a.is_dir()}


def export_grades(root=ROOT, db_url=None):
    """Write grades.csv in the course root (see the module docstring); return its path."""
    rows = read_gradebook(db_url)
    statuses = {name: load_statuses(name, root) for name in sorted({row["assignment"] for row in rows})}
    merged = merge_statuses(rows, statuses, submitted_pairs(root))
    path = Path(root) / "grades.csv"
    _write_atomically(path, _csv_text(EXPORT_COLUMNS, merged))
    return path


def _csv_text(columns, rows):
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


# --- the report of one assignment -----------------------------------------------------------------------------

def report_rows(statuses):
    """The rows of grading_report_<assignment>.csv: every student's latest attempt, in name order."""
    rows = []
    for student in sorted(statuses):
        entry = statuses[student]
        graded = entry.get("status") == "graded"
        rows.append({"student_id": student, "status": entry.get("status", ""),
                     "score": f"{entry['score']:g}" if graded and entry.get("score") is not None else "",
                     "max_score": f"{entry['max_score']:g}" if graded and entry.get("max_score") is not None else "",
                     "seconds": f"{entry.get('seconds') or 0.0:.1f}", "reason": entry.get("reason", ""),
                     "review": "; ".join(entry.get("review", [])), "graded_at": entry.get("graded_at", "")})
    return rows


def write_report(assignment, statuses, root=ROOT):
    path = Path(root) / f"grading_report_{assignment}.csv"
    _write_atomically(path, _csv_text(REPORT_COLUMNS, report_rows(statuses)))
    return path
