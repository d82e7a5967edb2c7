"""The mutation analysis of tools/mutants.py: the generator on synthetic code (fast), the equivalents file (fast),
the worker pool on a tiny synthetic notebook, and one short run on hw0_mle (slow, about 30 s of CPU)."""

import ast
import functools
import json
import subprocess
import sys
import textwrap

import pytest

import grading_helpers as helpers
from tools import mutants as tool
from tools.mutations import OPERATORS, Mutant, generate, solution_lines

# One of everything each operator class mutates, inside a solution region; the code around it must stay untouched.
SYNTHETIC_CELL = textwrap.dedent('''\
    def f(x, y, k, flag):
        """Docstring 1 + 2 is never mutated."""
        ### BEGIN SOLUTION
        a = x + y * 2.0 - x / y
        b = -torch.exp(x) + x ** 2 // 3 % 2
        total = torch.logsumexp(a, dim=1) + b.sum(-1, keepdim=True)
        rows = [x[k] for _ in range(k)]
        if k < 3 and k != 0:
            print(f"k = {k + 1}", 1 - 2)
        z = torch.cat([a, b], 0)
        out = torch.where(a > b, x, y)
        return total + z.mean(dim=0), out
        ### END SOLUTION

    def untouched(x):
        return x + 1
    ''')


@functools.lru_cache(maxsize=1)
def _mutants():
    return tuple(generate(SYNTHETIC_CELL, "synthetic"))


def test_every_operator_class_is_generated():
    found = {m.operator for m in _mutants()}
    assert found == set(OPERATORS), f"missing: {set(OPERATORS) - found}"


@pytest.mark.parametrize("operator, original, mutated", [
    ("arith", "x + y * 2.0", "x - y * 2.0"),
    ("arith", "x / y", "x * y"),
    ("arith", "x ** 2", "x * 2"),
    ("arith", "2 // 3", "2 / 3"),
    ("sign", "b = -torch.exp(x)", "b = torch.exp(x)"),
    ("sign", "return total", "return -total"),
    ("compare", "k < 3", "k <= 3"),
    ("compare", "k != 0", "k == 0"),
    ("compare", "a > b", "a >= b"),
    ("drop", "a = x + y * 2.0 - x / y", "a = x + y * 2.0 - x\n"),
    ("drop", "x + y * 2.0 - x / y", "x + y - x / y"),
    ("index", "x[k]", "x[k + 1]"),
    ("index", "range(k)", "range(k - 1)"),
    ("swap", "torch.where(a > b, x, y)", "torch.where(x, a > b, y)"),
    ("const", "y * 2.0", "y * 4.0"),
    ("const", "y * 2.0", "y * -2.0"),
    ("axis", "logsumexp(a, dim=1)", "logsumexp(a, dim=0)"),
    ("axis", "logsumexp(a, dim=1)", "logsumexp(a)"),
    ("axis", "b.sum(-1, keepdim=True)", "b.sum(0, keepdim=True)"),
    ("axis", "torch.cat([a, b], 0)", "torch.cat([a, b], 1)"),
    ("axis", "z.mean(dim=0)", "z.mean()"),
    ("detach", "torch.logsumexp(a, dim=1)", "torch.logsumexp(a, dim=1).detach()"),
    ("detach", "return total + z.mean(dim=0)", "return (total + z.mean(dim=0)).detach()"),
    ("unwrap", "-torch.exp(x)", "-x"),
    ("bool", "keepdim=True", "keepdim=False"),
])
def test_the_operators_make_the_changes_they_describe(operator, original, mutated):
    lines = SYNTHETIC_CELL.splitlines(keepends=True)
    for mutant in _mutants():
        if mutant.operator == operator and original in mutant.original and mutated in mutant.mutated + "\n":
            line = "".join(lines[mutant.line - 1:mutant.line - 1 + mutant.original.count("\n") + 1])
            assert mutant.original in line and mutant.source.count("\n") == SYNTHETIC_CELL.count("\n")
            return
    pytest.fail(f"no {operator} mutant {original!r} -> {mutated!r}")


def test_only_solution_code_is_mutated_and_every_mutant_is_distinct_and_compiles():
    region = solution_lines(SYNTHETIC_CELL)
    trees = set()
    for mutant in _mutants():
        assert mutant.line in region
        before = [line for n, line in enumerate(SYNTHETIC_CELL.splitlines(), 1) if n not in region]
        after = [line for n, line in enumerate(mutant.source.splitlines(), 1) if n not in region]
        assert before == after, mutant.id  # docstring, signature and the other function unchanged
        assert 'f"k = {k + 1}"' in mutant.source and "1 - 2)" in mutant.source, mutant.id  # print left alone
        compile(mutant.source, mutant.id, "exec")
        trees.add(ast.dump(ast.parse(mutant.source)))
    assert len(trees) == len(_mutants()) and ast.dump(ast.parse(SYNTHETIC_CELL)) not in trees


def test_ids_are_stable_and_name_cell_operator_line_column():
    first, second = _mutants(), _mutants()
    assert [m.id for m in first] == [m.id for m in second]
    assert len({m.id for m in first}) == len(first)
    for mutant in first:
        cell, operator, line, col, digest = mutant.id.split(":")
        assert (cell, operator, int(line), int(col)) == ("synthetic", mutant.operator, mutant.line, mutant.col)
        assert len(digest) == 8
    # a change elsewhere in the cell, after the region, leaves every id as it was
    changed = generate(SYNTHETIC_CELL.replace("return x + 1", "return x + 2"), "synthetic")
    assert [m.id for m in changed] == [m.id for m in first]


def test_ids_do_not_depend_on_the_tests(tmp_path):
    """Editing a test cell (hidden tests included) changes no mutant id."""
    source = helpers.REPO / "solutions" / "hw0_mle" / "hw0_mle.ipynb"
    notebook = json.loads(source.read_text())
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code" and cell["metadata"].get("nbgrader", {}).get("grade"):
            cell["source"] = ["assert True  # a new test\n"] + cell["source"]
    copy = tmp_path / "solutions" / "hw0_mle" / "hw0_mle.ipynb"
    copy.parent.mkdir(parents=True)
    copy.write_text(json.dumps(notebook))
    ids = [m.id for _, m in tool.all_mutants(tool.load_notebook("hw0_mle")[1])]
    assert ids and ids == [m.id for _, m in tool.all_mutants(tool.load_notebook("hw0_mle", root=tmp_path)[1])]


def test_the_equivalents_file(tmp_path):
    path = tmp_path / "a.toml"
    assert tool.load_equivalents(path) == {}
    path.write_text('[[equivalent]]\nid = "c:detach:3:5:0123abcd"\nreason = "under no_grad"\n')
    assert tool.load_equivalents(path) == {"c:detach:3:5:0123abcd": "under no_grad"}
    for bad in ('[[equivalent]]\nid = "x"\n', '[[equivalent]]\nid = "x"\nreason = " "\n',
                '[[equivalent]]\nid = "x"\nreason = "r"\nnote = "n"\n', 'equivalent = 3\n[other]\n',
                '[[equivalent]]\nid = "x"\nreason = "r"\n[[equivalent]]\nid = "x"\nreason = "r"\n', 'id = ='):
        path.write_text(bad)
        with pytest.raises(ValueError):
            tool.load_equivalents(path)


def test_the_committed_equivalents_files_are_valid_and_name_existing_mutants():
    for path in sorted((helpers.REPO / "tests" / "mutants").glob("*.toml")):
        listed = tool.load_equivalents(path)
        ids = {m.id for _, m in tool.all_mutants(tool.load_notebook(path.stem)[1])}
        assert set(listed) <= ids, f"{path.name}: stale ids {sorted(set(listed) - ids)}"


def test_the_script_runs_with_python_dash_m():
    completed = subprocess.run([sys.executable, "-m", "tools.mutants", "--help"], cwd=helpers.REPO,
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0 and "python -m tools.mutants" in completed.stdout, completed.stderr[-3000:]


# --- the worker pool, on a notebook of three cells ------------------------------------------------------------

def _cell(cell_type, source, **nbgrader):
    return {"cell_type": cell_type, "metadata": {"nbgrader": nbgrader} if nbgrader else {}, "source": source,
            **({"outputs": [], "execution_count": None} if cell_type == "code" else {})}


TINY_SOLUTION = "def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION\n"


def _tiny_course(tmp_path):
    cells = [_cell("code", "import os, sys\n", grade_id="setup", solution=False, grade=False),
             _cell("markdown", "Write f."),
             _cell("code", TINY_SOLUTION, grade_id="f", solution=True, grade=False),
             # a run that saw the namespace of an earlier run would count past 1
             _cell("code", "RUNS = globals().get('RUNS', 0) + 1\nassert RUNS == 1\nassert f(1) == 2\n",
                   grade_id="test_f", solution=False, grade=True, points=1),
             _cell("code", "raise RuntimeError('after the last test: never run')\n")]
    path = tmp_path / "solutions" / "tiny" / "tiny.ipynb"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return tool.load_notebook("tiny", root=tmp_path)


def _mutant(name, body, cell="f"):
    source = TINY_SOLUTION.replace("    return x + 1\n", textwrap.indent(body, "    "))
    return Mutant(id=f"{cell}:test:{name}", cell=cell, operator="test", line=3, col=5, original="return x + 1",
                  mutated=body, source=source)


@pytest.mark.slow
def test_the_pool_kills_times_out_survives_and_keeps_runs_apart(tmp_path):
    cells, solutions = _tiny_course(tmp_path)
    assert [name for name, _, _ in cells] == ["setup", "f", "test_f"]
    assert "BEGIN SOLUTION" not in cells[1][1] and list(solutions) == [1]
    assert len(generate(TINY_SOLUTION, "f")) > 3
    mutants = [(1, _mutant(name, body)) for name, body in [
        ("same", "return 1 + x\n"), ("same2", "y = x\nreturn y + 1\n"), ("wrong", "return x - 1\n"),
        ("loops", "while True:\n    pass\n"), ("dies", "os._exit(3)\n"),
        ("stderr", "sys.stderr.write('careful')\nreturn x + 1\n"), ("import", "import no_such_module\n")]]
    mutants.append((1, Mutant(id="f:test:raises", cell="f", operator="test", line=1, col=1, original="",
                              mutated="", source="raise ValueError('at definition')\n" + TINY_SOLUTION)))
    baseline, results, timeout = tool.run_mutants(cells, mutants, workers=2, timeout=8, log=lambda text: None)
    assert baseline["status"] == "passed" and timeout == 8
    status = {key.split(":")[-1]: (value["status"], value.get("cell")) for key, value in results.items()}
    assert status == {"same": ("passed", None), "same2": ("passed", None), "wrong": ("failed", "test_f"),
                      "loops": ("timeout", None), "dies": ("crashed", None), "stderr": ("failed", "test_f"),
                      "import": ("failed", "test_f"), "raises": ("failed", "f")}
    assert "stderr" in results["f:test:stderr"]["reason"]
    # a failing baseline stops the run before any mutant
    broken = [cells[0], (cells[1][0], "def f(x):\n    return x\n", False), cells[2]]
    baseline, results, _ = tool.run_mutants(broken, mutants[:1], workers=1, log=lambda text: None)
    assert baseline["status"] == "failed" and baseline["cell"] == "test_f" and results == {}


# --- hw0_mle: the real notebook, a few mutants -----------------------------------------------------------------

def _region_replaced(source, body):
    """The cell's source with its (first) solution region replaced by `body`, indented like the markers."""
    lines = source.splitlines(keepends=True)
    begin = next(i for i, line in enumerate(lines) if "BEGIN SOLUTION" in line)
    end = next(i for i, line in enumerate(lines) if "END SOLUTION" in line)
    indent = lines[begin][:len(lines[begin]) - len(lines[begin].lstrip())]
    return "".join(lines[:begin + 1]) + textwrap.indent(body, indent) + "".join(lines[end:])


@pytest.mark.slow
def test_a_short_run_on_hw0(tmp_path):
    cells, solutions = tool.load_notebook("hw0_mle")
    index, (name, source) = next((i, s) for i, s in solutions.items() if s[0] == "mixture_log_prob")
    generated = [m for m in generate(source, name) if m.operator == "sign" and "return -" in m.mutated]
    assert generated, "negating the returned log density is among the generated mutants"
    region = source.splitlines(keepends=True)
    body = "".join(line for n, line in enumerate(region, 1) if n in solution_lines(source))
    bad = Mutant(id=f"{name}:test:zero", cell=name, operator="test", line=1, col=1, original="", mutated="zeros",
                 source=_region_replaced(source, "return torch.zeros(x.shape[0])\n"))
    same = Mutant(id=f"{name}:test:pass", cell=name, operator="test", line=1, col=1, original="", mutated="pass",
                  source=_region_replaced(source, "pass\n" + textwrap.dedent(body)))
    mutants = [(index, bad), (index, same), (index, generated[0])]
    baseline, results, timeout = tool.run_mutants(cells, mutants, workers=2, log=lambda text: None)
    assert baseline["status"] == "passed", baseline
    assert results[bad.id]["status"] == "failed" and results[bad.id]["cell"].startswith("test_log_prob")
    assert results[generated[0].id]["status"] == "failed"
    assert results[same.id]["status"] == "passed"
    # unlisted, the equivalent mutant is a survivor; listed (in a temporary file), it no longer counts
    report = tool.summarize("hw0_mle", tool.entries_of(mutants, results, {}), {}, set(results), baseline, timeout, 1)
    assert report["survivors"] == [same.id] and report["counts"]["killed"] == 2 and report["score"] == 2 / 3
    equivalents = tmp_path / "hw0_mle.toml"
    equivalents.write_text(f'[[equivalent]]\nid = "{same.id}"\nreason = "a pass statement does nothing"\n'
                           f'[[equivalent]]\nid = "{name}:test:gone"\nreason = "no longer generated"\n')
    listed = tool.load_equivalents(equivalents)
    report = tool.summarize("hw0_mle", tool.entries_of(mutants, results, listed), listed, set(results), baseline,
                            timeout, 1)
    assert report["survivors"] == [] and report["counts"]["equivalent"] == 1 and report["score"] == 1.0
    assert report["stale_equivalents"] == [f"{name}:test:gone"] and report["listed_but_killed"] == []
