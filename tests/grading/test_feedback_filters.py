"""tools/feedback_filters.py: traceback entries that quote test cells are removed from the feedback."""

import nbformat

from tools import feedback_filters as filters


def code_cell(count, nbgrader=None, traceback=()):
    cell = nbformat.v4.new_code_cell("pass", execution_count=count)
    if nbgrader is not None:
        cell.metadata["nbgrader"] = nbgrader
    if traceback:
        cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="message",
                                               traceback=list(traceback))]
    return cell


def test_frames_of_test_cells_are_dropped_and_the_rest_kept():
    # The way IPython colours a traceback: ANSI escapes around "Cell In[n], line m".
    test_frame = "\x1b[36mCell\x1b[39m\x1b[36m \x1b[39m\x1b[32mIn[3]\x1b[39m\x1b[32m, line 41\x1b[39m\n---> 41 _oracle_secret()"
    student_frame = "\x1b[36mCell\x1b[39m\x1b[36m \x1b[39m\x1b[32mIn[2]\x1b[39m\x1b[32m, line 5\x1b[39m, in f()\n----> 5 g()"
    library_frame = "File /lib/checks.py:120, in assert_close(...)"
    traceback = ["-----", "AssertionError    Traceback (most recent call last)", test_frame, student_frame,
                 library_frame, "AssertionError: message"]
    notebook = nbformat.v4.new_notebook(cells=[
        code_cell(2, {"grade": False, "solution": True, "grade_id": "answer", "locked": False}),
        code_cell(3, {"grade": True, "solution": False, "grade_id": "test", "locked": True, "points": 1},
                  traceback=traceback),
    ])
    notebook, _ = filters.HideTestFrames().preprocess(notebook, {})
    kept = notebook.cells[1].outputs[0]["traceback"]
    assert not any("_oracle_secret" in entry for entry in kept)
    assert kept == traceback[:2] + [filters.HIDDEN_FRAME_NOTE.format(3)] + traceback[3:]


def test_the_filter_is_enabled_without_configuration():
    assert filters.HideTestFrames().enabled
