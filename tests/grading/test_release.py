"""The source notebook of every assignment is well formed, and assignments/ is exactly what nbgrader makes from
solutions/."""

import ast
import re
import shutil

import pytest

import grading_helpers as helpers
from tools.assignments import missing_expectations
from tools.course import assignments_in_source

# A definition of a private name at the start of a line: `def _name(` or `_name = ...`.
DEFINITION = re.compile(r"(?:def\s+(_\w+)|(_\w+)\s*=[^=])")
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"

by_name = pytest.mark.parametrize("assignment", helpers.ASSIGNMENTS, ids=lambda a: a.name)


def nbgrader_meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def test_every_assignment_is_described():
    names = helpers.assignment_names()
    assert "hw0_mle" in names
    missing = missing_expectations(names)
    assert not missing, f"add these assignments to EXPECTATIONS in tools/assignments.py: {missing}"
    for name in names:
        assert (helpers.REPO / "tests" / "submissions" / name / "README.md").is_file(), name


def test_every_assignment_has_its_corpus_module():
    """Each assignment's corpus is graded by its own module (see tests/grading/corpus_suite.py for why)."""
    for name in helpers.assignment_names():
        module = helpers.REPO / "tests" / "grading" / f"test_corpus_{name}.py"
        assert module.is_file(), f"add {module.relative_to(helpers.REPO)} (copy test_corpus_hw0_mle.py, set ASSIGNMENT)"
        assert f'ASSIGNMENT = "{name}"' in module.read_text(), f"{module.name} must set ASSIGNMENT = {name!r}"


def test_a_new_assignment_without_expectations_is_found(tmp_path):
    """The check above sees an assignment that has source notebooks but no entry in tools/assignments.py."""
    course = helpers.make_course(tmp_path)
    new = course / "solutions" / "hw9_new" / "hw9_new.ipynb"
    new.parent.mkdir()
    shutil.copyfile(course / "solutions" / "hw0_mle" / "hw0_mle.ipynb", new)
    names = assignments_in_source(course)
    assert "hw9_new" in names and missing_expectations(names) == ["hw9_new"]


@by_name
def test_source_notebook_structure(assignment):
    notebook = helpers.read_notebook(assignment.source_notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(not cell.outputs and cell.execution_count is None for cell in code_cells), "commit without outputs"
    assert nbgrader_meta(code_cells[0]).get("locked") and not nbgrader_meta(code_cells[0]).get("solution"), (
        "the first code cell (imports, private references) must be locked")
    assert "torch.set_num_threads(1)" in code_cells[0].source

    points = assignment.points_per_test_cell()
    assert sum(points.values()) == assignment.expect.total_points
    for cell in notebook.cells:
        meta = nbgrader_meta(cell)
        has_hidden = "### BEGIN HIDDEN TESTS" in cell.source
        has_solution = "### BEGIN SOLUTION" in cell.source
        if meta.get("grade"):
            assert cell.cell_type == "code" and meta["locked"] and not meta["solution"], meta["grade_id"]
            assert cell.source.count("### BEGIN HIDDEN TESTS") == cell.source.count("### END HIDDEN TESTS")
            assert "blocked_references(*_BLOCKED)" in cell.source, f"{meta['grade_id']} must block the references"
        else:
            assert not has_hidden, f"hidden tests outside a grade cell: {cell.source[:80]!r}"
        assert has_solution == bool(meta.get("solution")), f"solution markers vs metadata: {cell.source[:80]!r}"


@by_name
def test_test_cells_do_not_end_in_a_value(assignment):
    """nbgrader reads a number shown by a test cell's last expression as partial credit: end with a statement."""
    for cell in helpers.read_notebook(assignment.source_notebook).cells:
        if nbgrader_meta(cell).get("grade"):
            code = "\n".join(line for line in cell.source.split("\n") if "HIDDEN TESTS" not in line)
            last = ast.parse(code).body[-1]
            is_print = (isinstance(last, ast.Expr) and isinstance(last.value, ast.Call)
                        and getattr(last.value.func, "id", None) == "print")
            assert not isinstance(last, ast.Expr) or is_print, nbgrader_meta(cell)["grade_id"]


@by_name
def test_release_hides_solutions_and_hidden_tests(assignment):
    release = helpers.read_notebook(assignment.release_notebook)
    text = helpers.normalize_space("\n".join(cell.source for cell in release.cells))
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text
    stubs = [cell for cell in release.cells if nbgrader_meta(cell).get("solution")]
    assert len(stubs) == len(assignment.solution_answers()) == assignment.expect.answer_cells
    for cell in stubs:
        # Every solution region became the stub, indented like the code it replaced; the cell ends in one.
        lines = [line.strip() for line in cell.source.rstrip().split("\n")]
        assert lines[-2:] == STUB.split("\n"), f"{nbgrader_meta(cell)['grade_id']} should end in the stub"
    # The private names the hidden tests define (oracles, helpers, constants) must not appear in the release.
    hidden_names = set()
    for line in assignment.hidden_test_lines():
        match = DEFINITION.match(line)
        if match:
            hidden_names.add(match.group(1) or match.group(2))
    assert assignment.expect.hidden_names <= hidden_names
    leaked = sorted(name for name in hidden_names if re.search(rf"\b{name}\b", text))
    assert not leaked, f"names defined by the hidden tests appear in the release: {leaked}"
    # No line of the instructor's answers survives, unless the source has it outside the answers too (for example
    # `with torch.no_grad():` in a visible test).
    elsewhere = helpers.normalize_space("\n".join(assignment.source_lines_outside_solutions()))
    solution_lines = [line.strip() for source in assignment.solution_answers().values() for line in source.split("\n")
                      if ("torch." in line or "F." in line) and helpers.normalize_space(line) not in elsewhere]
    assert solution_lines and not [line for line in solution_lines if helpers.normalize_space(line) in text]


@pytest.mark.slow
@by_name
def test_release_is_what_nbgrader_generates(tmp_path, assignment):
    course = helpers.make_course(tmp_path)
    completed = helpers.run_tool(course, "release", assignment.name)
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-4000:]
    generated_folder = course / "assignments" / assignment.name
    committed_folder = helpers.REPO / "assignments" / assignment.name
    assert sorted(p.name for p in generated_folder.iterdir()) == sorted(p.name for p in committed_folder.iterdir())
    generated = helpers.notebook_json(generated_folder / assignment.notebook)
    committed = helpers.notebook_json(committed_folder / assignment.notebook)
    assert generated == committed, (f"assignments/{assignment.name} is stale: run `make release` "
                                    f"(python -m tools.release {assignment.name}) and commit the result")
