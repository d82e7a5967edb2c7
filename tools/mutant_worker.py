"""A worker process of tools/mutants.py: imports torch once, then runs the notebook's code cells again and again.

`main(connection, cells, memory_gb)` is the process's entry point (started by multiprocessing). `cells` is the list
of (name, source, is_test) of the notebook's code cells in order; each job names the cells to replace (a mutant's
cell, or none for the baseline) and gets back a `dict` result: "passed", or "failed" with the cell that failed and
why (an exception, or a test cell writing to stderr, which nbgrader scores 0).

Each job runs every cell, in order, in a fresh globals dictionary, with the same random state a fresh kernel
starts with, and stops at the first failing cell. Cells run with `exec` (not IPython: there are no magics and no
display hook in the course's cells). Whatever a run may have changed in torch, torch.nn.functional, math or
torch.Tensor is put back before the next one. Output is captured, never printed.
"""

import builtins
import contextlib
import importlib
import io
import os
import random
import sys
import time
import traceback
import warnings

_RESTORED_MODULES = ("torch", "torch.nn", "torch.nn.functional", "torch.distributions", "math", "numpy")
_OUTPUT_KEPT = 1500  # characters of a failing cell's output kept for the report


class _Snapshot:
    """The attributes of the modules above and of torch.Tensor, to put back after every run."""

    def __init__(self, torch):
        self.torch = torch
        self.modules = {name: (sys.modules[name], dict(vars(sys.modules[name])))
                        for name in _RESTORED_MODULES if name in sys.modules}
        self.tensor = dict(vars(torch.Tensor))
        self.seed = torch.initial_seed()

    def restore(self):
        torch = self.torch
        for name, (module, saved) in self.modules.items():
            sys.modules[name] = module
            current = vars(module)
            for key, value in saved.items():
                if current.get(key, saved) is not value:
                    current[key] = value
        for key, value in self.tensor.items():
            if vars(torch.Tensor).get(key, self.tensor) is not value:
                type.__setattr__(torch.Tensor, key, value)
        for key in set(vars(torch.Tensor)) - set(self.tensor):
            type.__delattr__(torch.Tensor, key)
        torch.set_grad_enabled(True)
        torch.set_default_dtype(torch.float32)
        torch.set_num_threads(1)

    def reseed(self):
        """The random state of a fresh kernel (torch's default seed; fixed seeds for random and numpy)."""
        self.torch.manual_seed(self.seed)
        random.seed(0)
        numpy = sys.modules.get("numpy")
        if numpy is not None:
            numpy.random.seed(0)


def _describe(error):
    """One line: the exception's type and the first line of its message."""
    message = str(error).strip().splitlines()
    return type(error).__name__ + (f": {message[0]}" if message else "")


def run_cells(cells, codes, replaced, snapshot):
    """Run the cells (with `replaced` = {index: source} substituted); return the result dict."""
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    seconds = []
    snapshot.reseed()
    result = {"status": "passed"}
    with warnings.catch_warnings():  # filters and the "shown once" registries as at the start, for every run
        for index, (name, source, is_test) in enumerate(cells):
            stdout, stderr = io.StringIO(), io.StringIO()
            start = time.perf_counter()
            error = None
            try:
                code = codes[index] if index not in replaced else compile(replaced[index], f"<cell {name}>", "exec")
                with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                    exec(code, namespace)
            except BaseException as exception:  # noqa: B036 - a cell may raise anything, SystemExit included
                error = exception
                trace = "".join(traceback.format_exception(exception)[-6:])
            seconds.append(round(time.perf_counter() - start, 3))
            if error is None and not (is_test and stderr.getvalue()):
                continue
            if error is not None:
                reason = _describe(error)
                output = (stdout.getvalue() + stderr.getvalue())[-_OUTPUT_KEPT:] + trace[-_OUTPUT_KEPT:]
            else:
                reason = "wrote to stderr (nbgrader scores such a test cell 0): " + stderr.getvalue().strip()[:200]
                output = stderr.getvalue()[-_OUTPUT_KEPT:]
            result = {"status": "failed", "cell": name, "test": is_test, "reason": reason, "output": output}
            break
    del namespace
    snapshot.restore()
    result["cell_seconds"] = seconds
    return result


def main(connection, cells, memory_gb):
    os.environ.update(TQDM_DISABLE="1", MPLBACKEND="Agg", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    if memory_gb:
        import resource
        limit = int(memory_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    devnull = os.open(os.devnull, os.O_WRONLY)  # what C code writes to the terminal goes nowhere
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    import torch

    torch.set_num_threads(1)
    importlib.import_module("dgm_utils.checks")  # imported once here, not by the first job

    codes = [compile(source, f"<cell {name}>", "exec") for name, source, _ in cells]
    snapshot = _Snapshot(torch)
    connection.send(("ready", os.getpid()))
    while True:
        try:
            job = connection.recv()
        except EOFError:
            return
        if job is None:
            return
        job_id, replaced = job
        start = time.perf_counter()
        result = run_cells(cells, codes, replaced, snapshot)
        result["seconds"] = round(time.perf_counter() - start, 3)
        connection.send((job_id, result))
