"""The pieces tools/grade.py adds to nbgrader, one by one (fast): the preprocessors of tools/autograde_filters.py,
the feedback scrubber of tools/feedback_filters.py, the kernel sandbox of tools/sandbox_kernel.py, and the review
patterns. The whole path, with real submissions, is tested in test_grading_faults.py."""

import importlib.util
import json
import shutil
import subprocess
import sys

import nbformat
import pytest

import grading_helpers as helpers


def load_tool(name):
    spec = importlib.util.spec_from_file_location(f"tool_{name}", helpers.REPO / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cell(source, grade_id=None, *, grade=False, solution=False, locked=False, outputs=()):
    c = nbformat.v4.new_code_cell(source)
    if grade_id:
        c.metadata["nbgrader"] = {"grade": grade, "solution": solution, "locked": locked, "grade_id": grade_id}
        if grade:
            c.metadata["nbgrader"]["points"] = 1
    c.outputs = list(outputs)
    return c


def stream(name, text):
    return nbformat.v4.new_output("stream", name=name, text=text)


def test_stderr_of_test_cells_becomes_marked_stdout_and_other_cells_keep_it():
    filters = load_tool("autograde_filters")
    notebook = nbformat.v4.new_notebook(cells=[
        cell("f()", "test", grade=True, locked=True, outputs=[stream("stderr", "50%|###  |\nwarning\n")]),
        cell("g()", "answer", solution=True, outputs=[stream("stderr", "kept\n")]),
    ])
    notebook, _ = filters.KeepStderrOutOfGrades().preprocess(notebook, {})
    test_output, answer_output = notebook.cells[0].outputs[0], notebook.cells[1].outputs[0]
    assert test_output["name"] == "stdout" and test_output["text"] == "[stderr] 50%|###  |\n[stderr] warning\n"
    assert answer_output["name"] == "stderr"
    # nbgrader's own rule: now the test cell scores full points, an error would still score 0
    from nbgrader.utils import determine_grade
    assert determine_grade(notebook.cells[0]) == (1.0, 1.0)
    notebook.cells[0].outputs.append(nbformat.v4.new_output("error", ename="AssertionError", evalue="", traceback=[]))
    assert determine_grade(notebook.cells[0]) == (0, 1.0)


def test_long_outputs_are_cut_per_cell():
    filters = load_tool("autograde_filters")
    notebook = nbformat.v4.new_notebook(cells=[cell("print()", outputs=[stream("stdout", "x" * 50_000),
                                                                       stream("stdout", "y" * 10)])])
    notebook, _ = filters.CapOutputs(max_characters=1000).preprocess(notebook, {})
    texts = [o["text"] for o in notebook.cells[0].outputs]
    assert texts[0].startswith("x" * 1000) and "49000 more characters" in texts[0] and len(texts[0]) < 1100
    assert "y" not in texts[1]  # the cell's budget was used up


def test_output_lines_with_hidden_test_code_are_scrubbed():
    filters = load_tool("feedback_filters")
    test_source = ("# visible part\nassert f(1) == 2\n### BEGIN HIDDEN TESTS\n_secret_oracle_value = compute(41)\n"
                   "x = 1\n### END HIDDEN TESTS")
    notebook = nbformat.v4.new_notebook(cells=[
        cell("def f(x): ...", "answer", solution=True, outputs=[stream("stdout", "ok\n_secret_oracle_value = compute(41)\n")]),
        cell(test_source, "test", grade=True, locked=True, outputs=[
            nbformat.v4.new_output("error", ename="E", evalue="saw _secret_oracle_value = compute(41)",
                                   traceback=["line\n\x1b[31m_secret_oracle_value = compute(41)\x1b[0m"])]),
    ])
    notebook, _ = filters.ScrubHiddenTestText().preprocess(notebook, {})
    outputs = json.dumps([c.outputs for c in notebook.cells])  # the sources are ClearHiddenTests' business
    assert "_secret_oracle_value" not in outputs and filters.SCRUBBED_LINE in outputs
    assert notebook.cells[0].outputs[0]["text"].startswith("ok\n")
    assert "x = 1" not in filters.hidden_test_lines(notebook)  # too short to be telling
    assert "assert f(1) == 2" not in filters.hidden_test_lines(notebook)  # visible part


@pytest.fixture()
def sandbox():
    if shutil.which("bwrap") is None:
        pytest.fail("bubblewrap (bwrap) is not installed (`apt-get install bubblewrap`; .ci/run installs it)")
    return load_tool("sandbox_kernel")


def run_in_sandbox(sandbox, code, tmp_path, files=None):
    workdir, connection = tmp_path / "work", tmp_path / "runtime"
    workdir.mkdir(exist_ok=True)
    connection.mkdir(exist_ok=True)
    command = sandbox.bwrap_command([sys.executable, "-c", code], workdir, connection, files)
    return subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=120)


def test_the_sandbox_shows_the_working_files_and_python_but_not_the_course(sandbox, tmp_path):
    secret = tmp_path / "solutions" / "hw.ipynb"
    secret.parent.mkdir()
    secret.write_text("### BEGIN SOLUTION")
    files = tmp_path / "files"
    files.mkdir()
    (files / "mine.txt").write_text("student file")
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "graded.ipynb").write_text("hidden tests")  # what nbgrader runs: not visible
    code = ("import os, torch, dgm_utils, socket\n"
            f"print(sorted(os.listdir('.')), os.path.exists({str(secret)!r}), os.path.exists({str(helpers.REPO / 'solutions')!r}))\n"
            "try:\n    socket.create_connection(('1.1.1.1', 53), timeout=2); print('network')\n"
            "except OSError:\n    print('no network')\n")
    completed = run_in_sandbox(sandbox, code, tmp_path, files)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.split("\n")[:2] == ["['mine.txt'] False False", "no network"], completed.stdout
    # the same code outside the sandbox sees all of it (the check above can fail)
    plain = subprocess.run([sys.executable, "-c", code], cwd=tmp_path / "work", capture_output=True, text=True)
    assert "True True" in plain.stdout


def test_the_kernel_gets_a_memory_limit(sandbox, tmp_path, monkeypatch):
    code = ("import resource\nprint(resource.getrlimit(resource.RLIMIT_AS)[0] >> 30)\n"
            "try:\n    b = bytearray(3 << 30)\n    print('allocated')\nexcept MemoryError:\n    print('MemoryError')\n")
    launcher = helpers.REPO / "tools" / "sandbox_kernel.py"
    # the launcher applies the limit to itself and what it runs; check it through a child that inherits it
    completed = subprocess.run([sys.executable, "-c", (
        f"import runpy, sys, subprocess; sys.argv = ['x']\n"
        f"m = runpy.run_path({str(launcher)!r}); m['_limit_resources'](2)\n"
        f"print(subprocess.run([sys.executable, '-c', {code!r}], capture_output=True, text=True).stdout)")],
        capture_output=True, text=True, timeout=120)
    assert completed.stdout.split() == ["2", "MemoryError"], completed.stdout + completed.stderr


def test_review_flags_tampering_but_not_ordinary_code(tmp_path):
    grade = load_tool("grade")
    folder = tmp_path / "sub"
    folder.mkdir()
    notebook = nbformat.v4.new_notebook(cells=[
        cell("torch.allclose = lambda *a, **k: True\nimport sys\nsys.modules['x'] = 1", "answer", solution=True),
        cell("os._exit(0)", "locked_test", grade=True, locked=True),  # locked cells are restored: not flagged
    ])
    nbformat.write(notebook, str(folder / "a.ipynb"))
    found = grade.review_findings(folder)
    assert found == ["rebinds a torch/numpy function", "touches sys.modules"]
    plain = nbformat.v4.new_notebook(cells=[cell("x = torch.zeros(3)\nif torch.allclose(x, x):\n    y = x == 0",
                                                 "answer", solution=True)])
    nbformat.write(plain, str(folder / "a.ipynb"))
    assert grade.review_findings(folder) == []
