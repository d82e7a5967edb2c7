"""Regenerate the student notebooks in assignments/ from the source notebooks in solutions/.

    python -m tools.release [ASSIGNMENT ...]        (from the course root; default: every assignment; `make release`)

Runs, from the course root, exactly

    nbgrader generate_assignment ASSIGNMENT --force

which writes assignments/ASSIGNMENT/ (solutions replaced by stubs, hidden tests removed, outputs cleared, cells
locked and checksummed) and records the assignment in gradebook.db. Commit assignments/ afterwards: a test
(tests/grading/test_release.py) fails when it differs from what nbgrader makes from solutions/.
"""

import argparse

from .course import RELEASE_DIRECTORY, assignments_in_source, check_assignments, run_nbgrader


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tools.release", description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="*", help="assignment names (folders of solutions/); default: all")
    args = parser.parse_args(argv)
    names = args.assignments or assignments_in_source()
    check_assignments(names)
    for name in names:
        run_nbgrader("generate_assignment", name, "--force")
        print(f"released {name} -> {RELEASE_DIRECTORY}/{name}/")


if __name__ == "__main__":
    main()
