"""What nbgrader's metadata says about a notebook cell (an nbformat node or the plain dict of a notebook's JSON)."""

from .course import BEGIN_SOLUTION, END_SOLUTION


def nbgrader_metadata(cell):
    """The cell's nbgrader metadata ({} for a cell nbgrader does not manage)."""
    return cell.get("metadata", {}).get("nbgrader", {})


def grade_id(cell):
    """The cell's nbgrader id (None for a cell nbgrader does not manage)."""
    return nbgrader_metadata(cell).get("grade_id")


def is_graded(cell):
    """True for a cell that carries points (a test cell, or an answer cell graded by hand)."""
    return bool(nbgrader_metadata(cell).get("grade", False))


def is_test_cell(cell):
    """True for a test cell: code that carries points and is not a solution."""
    meta = nbgrader_metadata(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade", False)) and not meta.get("solution", False)


def strip_solution_markers(source):
    """A solution cell's source as it runs in the instructor's notebook: the lines holding the region markers
    (``### BEGIN SOLUTION`` / ``### END SOLUTION``) removed, every other line kept as it is."""
    return "".join(line for line in source.splitlines(keepends=True)
                   if BEGIN_SOLUTION not in line and END_SOLUTION not in line)


def split_region(source, begin, end):
    """(lines inside, lines outside) the regions between lines holding ``begin`` and ``end`` (e.g. ``BEGIN
    SOLUTION`` / ``END SOLUTION``); the marker lines themselves are in neither."""
    inside, outside, in_region = [], [], False
    for line in source.split("\n"):
        if begin in line:
            in_region = True
        elif end in line:
            in_region = False
        else:
            (inside if in_region else outside).append(line)
    return inside, outside
