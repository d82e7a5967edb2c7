"""dgm_utils.checks.protect_grading_environment, run in a real IPython shell (in a subprocess: it changes torch and
dgm_utils.checks for the rest of the process)."""

import json
import subprocess
import sys
import textwrap

SHELL = textwrap.dedent('''
    import json, sys
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    results = []
    for source in json.loads(sys.stdin.read()):
        result = shell.run_cell(source, silent=False)
        results.append(None if result.error_in_exec is None else type(result.error_in_exec).__name__)
    print("RESULTS " + json.dumps(results))
''')

SETUP = "import torch, numpy, dgm_utils.checks\n_torch, _checks = torch, dgm_utils.checks\n"
PROTECT = "_checks.protect_grading_environment(globals())\n"
ATTACK = ("torch.allclose = lambda *a, **k: True\n"
          "numpy.allclose = lambda *a, **k: True\n"
          "torch.Tensor.__eq__ = lambda self, other: torch.ones(self.shape, dtype=torch.bool)\n"
          "vars(dgm_utils.checks)['assert_close'] = lambda *a, **k: None\n"
          "_checks = None\n")
PROBE = ("print('PROBE', torch.allclose(torch.zeros(1), torch.ones(1)), numpy.allclose(0, 1),\n"
         "      bool((torch.zeros(2) == torch.ones(2)).all()), _checks is dgm_utils.checks,\n"
         "      dgm_utils.checks.assert_close.__module__)")


def run_cells(cells):
    completed = subprocess.run([sys.executable, "-c", SHELL], input=json.dumps(cells), capture_output=True,
                               text=True, timeout=180)
    assert "RESULTS" in completed.stdout, completed.stdout[-2000:] + completed.stderr[-2000:]
    return completed.stdout


def probe_line(output):
    return next(line for line in output.splitlines() if line.startswith("PROBE"))


def test_rebound_functions_are_put_back_before_the_next_cell():
    output = run_cells([SETUP + PROTECT, ATTACK, PROBE])
    assert probe_line(output) == "PROBE False False False True dgm_utils.checks"
    assert "Note: this notebook had replaced" in output and "torch.allclose" in output


def test_without_protection_the_attack_works():  # so the test above can fail
    output = run_cells([SETUP, ATTACK, PROBE])
    assert probe_line(output) == "PROBE True True True False __main__"


def test_checks_is_read_only_and_hidden_test_helpers_are_kept():
    cells = [SETUP + PROTECT,
             "try:\n    dgm_utils.checks.assert_close = None\nexcept AttributeError as error:\n    print('REFUSED', error)",
             "# test cell\n### BEGIN HIDDEN TESTS\n_oracle = lambda: 'real'\n### END HIDDEN TESTS",
             "_oracle = lambda: 'fake'\n_mine = 1",
             "_mine = 2",
             "print('ORACLE', _oracle(), _mine)"]
    output = run_cells(cells)
    assert "REFUSED dgm_utils.checks is read-only" in output
    assert "ORACLE real 2" in output  # the student's own private names are theirs to change


def test_torch_rewrapping_its_own_functions_is_not_reported():
    # importing torch._dynamo replaces torch.manual_seed by a wrapper defined in torch: not the notebook's doing
    output = run_cells([SETUP + PROTECT, "import torch._dynamo", "print('SEEDED', torch.manual_seed(0) is not None)"])
    assert "SEEDED True" in output and "had replaced" not in output
