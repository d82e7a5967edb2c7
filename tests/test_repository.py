"""Repository conventions that every later chapter and assignment relies on."""

import json
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _tracked_notebooks():
    out = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:  # not a git checkout (e.g. an sdist): fall back to the folders
        return sorted(p for d in ("book", "solutions", "assignments") for p in (ROOT / d).rglob("*.ipynb"))
    return [ROOT / line for line in out.stdout.split()]


def test_notebooks_are_committed_without_outputs():
    with_outputs = []
    for path in _tracked_notebooks():
        notebook = json.loads(path.read_text())
        for cell in notebook["cells"]:
            if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count")):
                with_outputs.append(str(path.relative_to(ROOT)))
                break
    assert not with_outputs, f"clear the outputs of these notebooks before committing: {with_outputs}"


def test_importing_dgm_utils_has_no_side_effects():
    code = ("import sys, dgm_utils; heavy = [m for m in ('torch', 'matplotlib', 'sklearn') if m in sys.modules];"
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"import dgm_utils pulled in {out.stdout.strip()}"
    assert out.stderr == ""


def test_submodules_are_reachable_lazily():
    import dgm_utils
    assert dgm_utils.latent.GaussianMixture is not None
    with pytest.raises(AttributeError, match="submodules are"):
        dgm_utils.no_such_module


def test_pins_that_matter_on_this_machine():
    pins = (ROOT / "requirements.txt").read_text().splitlines()
    assert "torch==2.13.0" in pins  # the CPU build on disk; unpinned torch pulls a CUDA build
    assert any(p.lower().startswith("sqlalchemy==2.0.") for p in pins)
    assert "sphinx-book-theme==1.3.0" in pins
    assert "jupyter-book==1.0.4" in pins


def test_generated_state_is_ignored():
    ignored = (ROOT / ".gitignore").read_text().split()
    for name in ("_build/", ".venv", "gradebook.db", "submitted/", "autograded/", "feedback/", "grading_logs/"):
        assert name in ignored


def test_no_symbolic_links_are_tracked():
    """A tracked link (say, .venv pointing at another checkout) replaces the real folder on checkout."""
    import shutil
    import subprocess

    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listing = subprocess.run(["git", "ls-files", "-s"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    links = [line.split("\t", 1)[1] for line in listing.splitlines() if line.startswith("120000 ")]
    assert not links, f"symbolic links are tracked: {links}"
