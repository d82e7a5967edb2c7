"""The instructor's tools, a package run from the course root (the folder holding nbgrader_config.py):

    python -m tools.release [ASSIGNMENT ...]     regenerate assignments/ from solutions/   (`make release`)
    python -m tools.grade ASSIGNMENT [...]       autograde a class, sandboxed, in parallel  (`make grade`)
    python -m tools.mutants ASSIGNMENT [...]     mutation analysis of the hidden tests      (`make mutants`)

Modules: `course` (the course's settings: id, folders, gradebook; running nbgrader), `assignments` (what each
assignment's tests must find), `release`, `grade`, `autograde_filters` and `feedback_filters` (the preprocessors
nbgrader runs, imported by the course's nbgrader_config.py and the one grade.py writes per submission), `cells`
(what nbgrader's metadata says about a cell), `mutations` and `mutant_worker` (the mutants of a solution cell, and
the processes that run the tests on them, for `mutants`), `sandbox_kernel` (the kernel launcher, a standalone
program). None of it is visible to student code during grading.
"""
