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


# --- the grading machine's paths ------------------------------------------------------------------------------

SCRATCH = "/tmp/dgm-grading-k3x9/work/alice/submitted/alice/hw0_mle"  # the kernel's working directory


def colour(text, code="32"):
    return f"\x1b[{code}m{text}\x1b[39m"


def machine_paths(notebook_folder=SCRATCH):
    """(traceback entries, error message, printed text) as IPython and Python write them on the grading machine."""
    from tools.course import ROOT

    site = str(ROOT / ".venv" / "lib" / "python3.11" / "site-packages")
    traceback = [
        colour("-" * 20, "31"),
        colour("RuntimeError", "31") + "        Traceback (most recent call last)",
        colour("Cell", "36") + colour(" ", "36") + colour("In[4]") + colour(", line 7") + "\n----> 7 model(x)",
        colour("File ", "36") + colour(f"{site}/torch/nn/modules/module.py:1751") + ", in " + colour("Module._call_impl",
                                                                                                     "36"),
        colour("File ", "36") + colour(f"{ROOT}/dgm_utils/checks.py:95") + ", in " + colour("assert_tensor", "36"),
        colour("File ", "36") + colour(f"{notebook_folder}/helpers/layers.py:12") + ", in " + colour("forward", "36"),
        colour("RuntimeError", "31") + ": mat1 and mat2 shapes cannot be multiplied (4x3 and 2x5)",
    ]
    message = f"[Errno 2] No such file or directory: '{notebook_folder}/data/digits.npy'"
    printed = (f"/tmp/ipykernel_4242/1234567.py:3: UserWarning: slow\n{site}/torch/functional.py:505: UserWarning: "
               f"meshgrid\nsaved to /tmp/dgm-grading-k3x9/work/alice/files/out.txt; see https://pytorch.org/docs/a/b.html"
               f" and /dev/null\nx = y /2/3\n")
    return traceback, message, printed


def test_the_grading_machines_paths_are_shortened_and_the_rest_kept():
    from tools.course import ROOT

    traceback, message, printed = machine_paths()
    notebook = nbformat.v4.new_notebook(cells=[code_cell(4, {"grade": False, "solution": True, "grade_id": "answer",
                                                             "locked": False}, traceback=traceback)])
    notebook.cells[0].outputs[0]["evalue"] = message
    notebook.cells[0].outputs.append(nbformat.v4.new_output("stream", name="stdout", text=printed))
    notebook.cells[0].outputs.append(nbformat.v4.new_output("execute_result", data={"text/plain": f"PosixPath('{ROOT}/x')"}))
    notebook, _ = filters.HideMachinePaths().preprocess(notebook, {"metadata": {"path": SCRATCH}})
    error, stream, result = notebook.cells[0].outputs
    shown = "\n".join(error["traceback"] + [error["evalue"], stream["text"], result["data"]["text/plain"]])
    for secret in ("/tmp/", str(ROOT), "site-packages", ".venv", "dgm-grading", "ipykernel_"):
        assert secret not in shown, secret
    # the student's cell and line, the libraries' own file names and lines, and the messages stay
    assert error["traceback"][:3] == traceback[:3] and error["traceback"][-1] == traceback[-1]
    assert colour("torch/nn/modules/module.py:1751") in error["traceback"][3]
    assert colour("dgm_utils/checks.py:95") in error["traceback"][4]
    assert colour("helpers/layers.py:12") in error["traceback"][5]  # the student's own file, from their folder
    assert error["evalue"] == "[Errno 2] No such file or directory: 'data/digits.npy'"
    assert stream["text"] == ("<notebook cell>:3: UserWarning: slow\ntorch/functional.py:505: UserWarning: meshgrid\n"
                              "saved to out.txt; see https://pytorch.org/docs/a/b.html and /dev/null\nx = y /2/3\n")
    assert result["data"]["text/plain"] == "PosixPath('x')"


def test_paths_are_shortened_without_knowing_the_notebooks_folder():
    """generate_feedback runs on the autograded copy, in another folder: any scratch path still goes."""
    traceback, message, _ = machine_paths()
    prefixes = filters.machine_prefixes()
    assert filters.scrub_paths(message, prefixes) == "[Errno 2] No such file or directory: 'digits.npy'"
    assert "/tmp/" not in "".join(filters.scrub_paths(entry, prefixes) for entry in traceback)
    assert filters.scrub_paths(["File /opt/conda/lib/python3.11/", "json/decoder.py:3"], prefixes) == \
        "File decoder.py:3"  # a list of text pieces, as nbformat may hold stream text


def test_the_feedback_configuration_hides_machine_paths_last():
    from traitlets.config.loader import PyFileConfigLoader

    import grading_helpers as helpers

    config = PyFileConfigLoader("nbgrader_config.py", path=str(helpers.REPO)).load_config()
    preprocessors = config.GenerateFeedback.preprocessors
    assert filters.HideMachinePaths in preprocessors
    assert preprocessors.index(filters.HideMachinePaths) > preprocessors.index(filters.HideTestFrames)
