"""What nbgrader's metadata says about a notebook cell (an nbformat node or the plain dict of a notebook's JSON)."""


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
