"""Regenerate the student notebooks in assignments/ from the source notebooks in solutions/.

    python tools/release.py [ASSIGNMENT ...]        (default: every assignment in solutions/; `make release`)

Runs, from the course root, exactly

    nbgrader generate_assignment ASSIGNMENT --force

which writes assignments/ASSIGNMENT/ (solutions replaced by stubs, hidden tests removed, outputs cleared, cells
locked and checksummed) and records the assignment in gradebook.db. Commit assignments/ afterwards: a test
(tests/grading/test_release.py) fails when it differs from what nbgrader makes from solutions/.
"""

import argparse

from course import ROOT, assignments_in_source, run_nbgrader


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="*", help="assignment names (folders of solutions/); default: all")
    args = parser.parse_args(argv)
    names = args.assignments or assignments_in_source()
    known = assignments_in_source()
    for name in names:
        if name not in known:
            raise SystemExit(f"no source notebooks in solutions/{name}/; assignments with sources: {', '.join(known)}")
        run_nbgrader("generate_assignment", name, "--force")
        print(f"released {name} -> {(ROOT / 'assignments' / name).relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
