"""Autograde every submission of an assignment, export the grades and write the students' feedback.

    python tools/grade.py ASSIGNMENT            (`make grade ASSIGNMENT=hw0_mle`)

Submissions are notebooks at submitted/<student_id>/ASSIGNMENT/<notebook>.ipynb (nbgrader's layout). Steps, all in
the course root:

1. `nbgrader generate_assignment ASSIGNMENT --force` into a temporary folder: records the current source
   notebooks (locked cells, hidden tests, points) in gradebook.db without touching assignments/;
2. `nbgrader autograde ASSIGNMENT --force`: restores the locked and test cells, runs every notebook, stores the
   scores in gradebook.db and the executed notebooks in autograded/;
3. `nbgrader generate_feedback ASSIGNMENT --force`: HTML in feedback/<student_id>/ASSIGNMENT/, with the scores and
   failure messages but without hidden test code (see nbgrader_config.py);
4. `nbgrader export --to grades.csv`, and a summary table on stdout.

Known gap: nbgrader leaves no autograded notebook (and a misleading 0) when a kernel crashes or cannot be
interrupted; this script lists such submissions and exits with status 2.
"""

import argparse
import sys
import tempfile
import time

from course import COURSE_ID, GRADEBOOK_URL, ROOT, assignments_in_source, run_nbgrader


def submitted_students(assignment):
    folder = ROOT / "submitted"
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if (p / assignment).is_dir())


def missing_autograded(assignment, students):
    """Students whose submitted notebooks have no autograded counterpart (a crashed or killed kernel)."""
    missing = []
    for student in students:
        for notebook in sorted((ROOT / "submitted" / student / assignment).glob("*.ipynb")):
            if not (ROOT / "autograded" / student / assignment / notebook.name).exists():
                missing.append(f"{student}/{assignment}/{notebook.name}")
    return missing


def print_summary(assignment, students):
    from nbgrader.api import Gradebook

    with Gradebook(GRADEBOOK_URL, COURSE_ID) as gradebook:
        print(f"\n{'student':32s} {'score':>7s} / max")
        for student in students:
            submission = gradebook.find_submission(assignment, student)
            print(f"{student:32s} {submission.score:7.2f} / {submission.max_score:g}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment", help="assignment name, e.g. hw0_mle")
    args = parser.parse_args(argv)
    assignment = args.assignment
    if assignment not in assignments_in_source():
        raise SystemExit(f"no source notebooks in solutions/{assignment}/")
    students = submitted_students(assignment)
    if not students:
        raise SystemExit(f"nothing to grade: no folder submitted/<student_id>/{assignment}/ in {ROOT}")

    with tempfile.TemporaryDirectory(prefix="dgm-release-") as scratch:
        run_nbgrader("generate_assignment", assignment, "--force", f"--CourseDirectory.release_directory={scratch}")
    start = time.perf_counter()
    autograde_status = run_nbgrader("autograde", assignment, "--force", check=False)
    seconds = time.perf_counter() - start
    run_nbgrader("generate_feedback", assignment, "--force")
    run_nbgrader("export", "--to", ROOT / "grades.csv")
    print_summary(assignment, students)
    print(f"\nautograde: {len(students)} submissions in {seconds:.1f} s ({seconds / len(students):.1f} s each)")

    missing = missing_autograded(assignment, students)
    if missing:
        print("\nWARNING: no autograded notebook for these submissions (kernel crashed, timed out or could not be "
              "interrupted); their 0 is not a grade, look at them by hand:\n  " + "\n  ".join(missing), file=sys.stderr)
        raise SystemExit(2)
    if autograde_status != 0:
        raise SystemExit(f"nbgrader autograde exited with status {autograde_status}; see its log above")


if __name__ == "__main__":
    main()
