"""The pieces tools/grade.py adds to nbgrader, one by one (fast): the preprocessors of tools/autograde_filters.py,
the feedback scrubber of tools/feedback_filters.py, the kernel sandbox of tools/sandbox_kernel.py, and the review
patterns. The whole path, with real submissions, is tested in test_grading_faults.py."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import grading_helpers as helpers
from tools import autograde_filters, feedback_filters, grade, sandbox_kernel


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
    notebook = nbformat.v4.new_notebook(cells=[
        cell("f()", "test", grade=True, locked=True, outputs=[stream("stderr", "50%|###  |\nwarning\n")]),
        cell("g()", "answer", solution=True, outputs=[stream("stderr", "kept\n")]),
    ])
    notebook, _ = autograde_filters.KeepStderrOutOfGrades().preprocess(notebook, {})
    test_output, answer_output = notebook.cells[0].outputs[0], notebook.cells[1].outputs[0]
    assert test_output["name"] == "stdout" and test_output["text"] == "[stderr] 50%|###  |\n[stderr] warning\n"
    assert answer_output["name"] == "stderr"
    # nbgrader's own rule: now the test cell scores full points, an error would still score 0
    from nbgrader.utils import determine_grade
    assert determine_grade(notebook.cells[0]) == (1.0, 1.0)
    notebook.cells[0].outputs.append(nbformat.v4.new_output("error", ename="AssertionError", evalue="", traceback=[]))
    assert determine_grade(notebook.cells[0]) == (0, 1.0)


def test_long_outputs_are_cut_per_cell():
    notebook = nbformat.v4.new_notebook(cells=[cell("print()", outputs=[stream("stdout", "x" * 50_000),
                                                                       stream("stdout", "y" * 10)])])
    notebook, _ = autograde_filters.CapOutputs(max_characters=1000).preprocess(notebook, {})
    texts = [o["text"] for o in notebook.cells[0].outputs]
    assert texts[0].startswith("x" * 1000) and "49000 more characters" in texts[0] and len(texts[0]) < 1100
    assert "y" not in texts[1]  # the cell's budget was used up


def test_output_lines_with_hidden_test_code_are_scrubbed():
    test_source = ("# visible part\nassert f(1) == 2\n### BEGIN HIDDEN TESTS\n_secret_oracle_value = compute(41)\n"
                   "x = 1\n### END HIDDEN TESTS")
    notebook = nbformat.v4.new_notebook(cells=[
        cell("def f(x): ...", "answer", solution=True, outputs=[stream("stdout", "ok\n_secret_oracle_value = compute(41)\n")]),
        cell(test_source, "test", grade=True, locked=True, outputs=[
            nbformat.v4.new_output("error", ename="E", evalue="saw _secret_oracle_value = compute(41)",
                                   traceback=["line\n\x1b[31m_secret_oracle_value = compute(41)\x1b[0m"])]),
    ])
    notebook, _ = feedback_filters.ScrubHiddenTestText().preprocess(notebook, {})
    outputs = json.dumps([c.outputs for c in notebook.cells])  # the sources are ClearHiddenTests' business
    assert "_secret_oracle_value" not in outputs and feedback_filters.SCRUBBED_LINE in outputs
    assert notebook.cells[0].outputs[0]["text"].startswith("ok\n")
    assert "x = 1" not in feedback_filters.hidden_test_lines(notebook)  # too short to be telling
    assert "assert f(1) == 2" not in feedback_filters.hidden_test_lines(notebook)  # visible part


@pytest.fixture()
def sandbox():
    if shutil.which("bwrap") is None:
        pytest.fail("bubblewrap (bwrap) is not installed (`apt-get install bubblewrap`; .ci/run installs it)")
    return sandbox_kernel


def run_in_sandbox(sandbox, code, tmp_path, files=None):
    workdir, connection = tmp_path / "work", tmp_path / "runtime"
    workdir.mkdir(exist_ok=True)
    connection.mkdir(exist_ok=True)
    command = sandbox.bwrap_command([sys.executable, "-c", code], workdir, connection, files)
    return subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=120)


# Code run inside the sandbox: what it can see, as JSON. `paths` are course files it must not find.
PROBE = """
import json, os, socket, sys
import torch, dgm_utils
try:
    socket.create_connection(("1.1.1.1", 53), timeout=2)
    network = True
except OSError:
    network = False
with open("mine.txt") as f:
    own = f.read()
print(json.dumps({"listing": sorted(os.listdir(".")), "own": own, "network": network,
                  "found": [p for p in PATHS if os.path.exists(p)],
                  "readable": [p for p in PATHS if os.access(p, os.R_OK)],
                  "TQDM_DISABLE": os.environ.get("TQDM_DISABLE")}))
"""


def probe(paths):
    return f"PATHS = {[str(p) for p in paths]!r}\n" + PROBE


def plant_course(folder):
    """A course copy beside the sandboxed folder: solutions, tools with the grading metadata, a gradebook."""
    folder.mkdir()
    course = helpers.make_course(folder)
    (course / "gradebook.db").write_text("scores")
    return [course / "solutions", course / "solutions" / "hw0_mle" / "hw0_mle.ipynb", course / "tools",
            course / "tools" / "assignments.py", course / "tools" / "grade.py", course / "gradebook.db"]


def repository_secrets():
    """The repository's own instructor files (the tests import tools from here)."""
    import tools.assignments

    return [helpers.REPO / "solutions", helpers.REPO / "tools", Path(tools.assignments.__file__),
            helpers.REPO / "nbgrader_config.py"]


def test_the_sandbox_shows_the_working_files_and_python_but_not_the_course(sandbox, tmp_path):
    secrets = plant_course(tmp_path / "course") + repository_secrets()
    files = tmp_path / "files"
    files.mkdir()
    (files / "mine.txt").write_text("student file")
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "graded.ipynb").write_text("hidden tests")  # what nbgrader runs: not visible
    secrets.append(tmp_path / "work" / "graded.ipynb")
    code = probe(secrets)
    completed = run_in_sandbox(sandbox, code, tmp_path, files)
    assert completed.returncode == 0, completed.stderr[-2000:]
    seen = json.loads(completed.stdout)
    assert seen["listing"] == ["mine.txt"] and seen["own"] == "student file", seen
    assert seen["found"] == [] and seen["readable"] == [] and not seen["network"], seen
    # the same code outside the sandbox sees all of it (the check above can fail)
    (tmp_path / "work" / "mine.txt").write_text("student file")
    plain = subprocess.run([sys.executable, "-c", code], cwd=tmp_path / "work", capture_output=True, text=True)
    assert json.loads(plain.stdout)["readable"] == [str(p) for p in secrets], plain.stderr[-2000:]


def run_in_grading_kernel(work, notebook_folder, env, code):
    """Start the kernel of the worker course `work` as nbgrader does (its kernelspec, the autograde environment,
    the notebook's folder as working directory), run `code`, return its stdout."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    specs = KernelSpecManager(kernel_dirs=[str(work / "share" / "kernels")])
    manager = KernelManager(kernel_name=grade.KERNEL_NAME, kernel_spec_manager=specs, transport="ipc",
                            connection_file=str(work / "runtime" / "kernel.json"))
    manager.start_kernel(env=env, cwd=str(notebook_folder))
    client = manager.client()
    client.start_channels()
    output = []
    try:
        client.wait_for_ready(timeout=120)
        reply = client.execute_interactive(code, timeout=120, output_hook=lambda message: output.append(
            message["content"].get("text", "")) if message["msg_type"] == "stream" else None)
        assert reply["content"]["status"] == "ok", "".join(output) + str(reply["content"])
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return "".join(output)


def test_the_grading_kernel_has_tqdm_off_and_sees_only_the_students_files(sandbox, tmp_path):
    """The kernel tools/grade.py starts for a submission: TQDM_DISABLE=1 reaches it (so progress bars are off),
    the student's own files are there, and solutions/, tools/ (with the grading metadata of tools/assignments.py)
    and the gradebook of the course and of the scratch course are not."""
    work = tmp_path / "work" / "student"
    notebook_folder = work / "submitted" / "student" / "hw0_mle"
    notebook_folder.mkdir(parents=True)
    (notebook_folder / "hw0_mle.ipynb").write_text("hidden tests")
    (work / "files").mkdir()
    (work / "files" / "mine.txt").write_text("student file")
    settings = {"memory_gb": 3, "sandbox": True, "cell_timeout": 30, "interrupt_grace": 5, "threads": 1}
    grade._write_worker_course(work, "hw0_mle", settings)
    (work / "gradebook.db").write_text("scores")
    secrets = (plant_course(tmp_path / "course") + repository_secrets()
               + [work / "nbgrader_config.py", work / "gradebook.db", notebook_folder / "hw0_mle.ipynb"])
    assert all(path.exists() for path in secrets)
    # tqdm's console bar (the one that writes to stderr) reads TQDM_DISABLE; its notebook widget ignores it
    code = probe(secrets) + "from tqdm.std import tqdm\nprint(json.dumps({'bar_disabled': tqdm(range(3)).disable}))\n"
    env = grade.autograde_env(work, settings)
    assert env["TQDM_DISABLE"] == "1"
    seen, bar = map(json.loads, run_in_grading_kernel(work, notebook_folder, env, code).strip().split("\n"))
    assert seen["TQDM_DISABLE"] == "1" and bar == {"bar_disabled": True}
    assert "mine.txt" in seen["listing"] and "hw0_mle.ipynb" not in seen["listing"] and seen["own"] == "student file"
    assert seen["found"] == [] and seen["readable"] == [] and not seen["network"], seen


def test_the_kernel_gets_a_memory_limit(sandbox, tmp_path):
    code = ("import resource\nprint(resource.getrlimit(resource.RLIMIT_AS)[0] >> 30)\n"
            "try:\n    b = bytearray(3 << 30)\n    print('allocated')\nexcept MemoryError:\n    print('MemoryError')\n")
    # the launcher applies the limit to itself and what it runs; check it through a child that inherits it
    completed = subprocess.run([sys.executable, "-c", (
        "import subprocess, sys\nfrom tools.sandbox_kernel import _limit_resources\n_limit_resources(2)\n"
        f"print(subprocess.run([sys.executable, '-c', {code!r}], capture_output=True, text=True).stdout)")],
        cwd=helpers.REPO, capture_output=True, text=True, timeout=120)
    assert completed.stdout.split() == ["2", "MemoryError"], completed.stdout + completed.stderr


def test_review_flags_tampering_but_not_ordinary_code(tmp_path):
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


def test_tracebacks_of_a_real_kernel_lose_the_grading_machines_paths(tmp_path):
    """Real IPython tracebacks (through the standard library, torch in site-packages, dgm_utils, a file in the
    notebook's folder) and a warning, run in a kernel with the notebook's folder under a scratch path, then the
    filter that tools/grade.py runs right after the notebook (HideMachinePaths): no path of the machine is left,
    the cell, the line and the message are."""
    from nbclient import NotebookClient

    folder = tmp_path / "dgm-grading-x" / "work" / "alice" / "submitted" / "alice" / "hw0_mle"
    folder.mkdir(parents=True)
    (folder / "helper.py").write_text("def explode():\n    raise ValueError('from my helper')\n")
    sources = ["import json\njson.loads('{')",
               "import torch\ntorch.nn.Linear(3, 2)(torch.zeros(4, 5))",
               "from dgm_utils import checks\nchecks.assert_close(torch.zeros(2), torch.ones(2), 'my output')",
               "import helper\nhelper.explode()",
               "open('data/missing.npy')",
               "import warnings\nwarnings.warn('careful')"]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
    NotebookClient(notebook, kernel_name="python3", timeout=300, startup_timeout=300, allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute()
    before = json.dumps([c.outputs for c in notebook.cells])
    assert str(folder) in before and "site-packages" in before  # the paths were there to be removed
    notebook, _ = feedback_filters.HideMachinePaths().preprocess(notebook, {"metadata": {"path": str(folder)}})
    after = json.dumps([c.outputs for c in notebook.cells])
    for secret in (str(tmp_path), "/tmp/", str(helpers.REPO), "site-packages", "ipykernel_", sys.prefix):
        assert secret not in after, (secret, after[:3000])
    errors = [next(o for o in c.outputs if o["output_type"] == "error") for c in notebook.cells[:5]]
    plain = ["\n".join(feedback_filters.ANSI_ESCAPE.sub("", entry) for entry in e["traceback"]) for e in errors]
    assert "Cell In[1], line 2" in plain[0] and "json/decoder.py" in plain[0] and "Expecting property name" in plain[0]
    assert "torch/nn/modules/linear.py" in plain[1] and "mat1 and mat2 shapes cannot be multiplied" in plain[1]
    assert "dgm_utils/checks.py" in plain[2] and "my output" in plain[2]
    assert "helper.py:2" in plain[3] and "from my helper" in plain[3]
    assert errors[4]["evalue"] == "[Errno 2] No such file or directory: 'data/missing.npy'"
    warning = "".join(o.get("text", "") for o in notebook.cells[5].outputs)
    assert "<notebook cell>:2: UserWarning: careful" in warning, warning
