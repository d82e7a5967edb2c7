"""Assertions for the assignments' visible and hidden tests, with messages a student can act on.

Every helper raises ``AssertionError`` (which nbgrader reports as a failed test) with a message that says
what was expected, what came in, and where to look. The torch functions used here are captured when this
module is imported, before any student code runs, so a notebook that later rebinds ``torch.allclose`` or
``torch.isfinite`` cannot change the outcome of a check.

``blocked_references`` runs student code while the course's own reference implementations are disabled,
so an assignment cannot be solved by calling into ``dgm_utils``.
"""

import contextlib
import inspect
import io
import os
import re
import sys
import types
import warnings

import torch

__all__ = [
    "ReferenceBlockedError",
    "assert_close",
    "assert_finite",
    "assert_shape",
    "assert_tensor",
    "blocked_references",
    "protect_grading_environment",
    "silence",
]

# Private references taken at import time (see the module docstring).
_Tensor = torch.Tensor
_Parameter = torch.nn.Parameter
_isfinite = torch.isfinite
_abs = torch.abs
_sub = torch.sub
_maximum = torch.maximum
_argmax = torch.argmax
_all = torch.all
_float64 = torch.float64
_detach = torch.Tensor.detach
_to = torch.Tensor.to
_tensor_type = type
_unravel_index = torch.unravel_index
_TENSOR_TYPES = (torch.Tensor, torch.nn.Parameter)


class ReferenceBlockedError(AssertionError):
    """Raised when code under test calls a reference implementation that the test has blocked."""


def _describe(value):
    if _tensor_type(value) in _TENSOR_TYPES:
        return f"a tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    return f"a {type(value).__name__}"


def _require_tensor(x, name):
    # An exact type check: a Tensor subclass could override comparisons or __torch_function__.
    if _tensor_type(x) not in _TENSOR_TYPES:
        raise AssertionError(f"{name} should be a torch.Tensor, but it is {_describe(x)}. "
                             f"Return a tensor (for example built with torch operations on the inputs).")


def assert_shape(x, shape, name="result"):
    """Check ``x.shape`` against ``shape``; an entry ``None`` matches any size."""
    _require_tensor(x, name)
    actual = tuple(x.shape)
    expected = tuple(shape)
    ok = len(actual) == len(expected) and all(e is None or a == e for a, e in zip(actual, expected))
    if not ok:
        shown = "(" + ", ".join("any" if e is None else str(e) for e in expected) + ("," if len(expected) == 1 else "") + ")"
        raise AssertionError(f"{name} has shape {actual}, expected {shown}. Check which dimension you "
                             f"reduce over (sum/logsumexp over components or dimensions) and the broadcasting.")


def assert_finite(x, name="result"):
    """Check that every entry of ``x`` is finite (no nan, no +-inf)."""
    _require_tensor(x, name)
    finite = _isfinite(_detach(x))
    if not bool(_all(finite)):
        bad = int((~finite).sum())
        raise AssertionError(f"{name} has {bad} non-finite entries (nan or inf) out of {x.numel()}. "
                             f"Typical causes: exp() of a large number or log(0); work in log space "
                             f"(torch.logsumexp, torch.log_softmax) instead of exponentiating and then taking logs.")


def assert_tensor(x, name="result", *, shape=None, dtype=None, finite=True):
    """Check type, optionally shape and dtype, and (by default) finiteness of ``x``."""
    _require_tensor(x, name)
    if shape is not None:
        assert_shape(x, shape, name)
    if dtype is not None and x.dtype != dtype:
        raise AssertionError(f"{name} has dtype {x.dtype}, expected {dtype}.")
    if finite:
        assert_finite(x, name)


def assert_close(actual, expected, name="result", *, rtol=1e-5, atol=1e-6):
    """Check ``|actual - expected| <= atol + rtol * |expected|`` entrywise, and say where it fails.

    Both are compared in float64 on the CPU; ``expected`` is the test's own oracle value.
    """
    _require_tensor(actual, name)
    _require_tensor(expected, "the expected value")
    if tuple(actual.shape) != tuple(expected.shape):
        raise AssertionError(f"{name} has shape {tuple(actual.shape)}, expected {tuple(expected.shape)}.")
    a = _to(_detach(actual), device="cpu", dtype=_float64)
    e = _to(_detach(expected), device="cpu", dtype=_float64)
    a_finite, e_finite = _isfinite(a), _isfinite(e)
    if not bool(_all(a_finite == e_finite)):
        raise AssertionError(f"{name} is not finite where the expected value is (or the reverse): "
                             f"{int((a_finite != e_finite).sum())} entries differ in finiteness.")
    a = torch.where(a_finite, a, torch.zeros_like(a))
    e = torch.where(e_finite, e, torch.zeros_like(e))
    error = _abs(_sub(a, e))
    allowed = atol + rtol * _abs(e)
    if not bool(_all(error <= allowed)):
        worst = int(_argmax(error - allowed))
        index = tuple(int(i) for i in _unravel_index(torch.tensor(worst), a.shape)) if a.dim() else ()
        raise AssertionError(
            f"{name} does not match the expected values: {int((error > allowed).sum())} of {a.numel()} entries "
            f"are off; the worst, at index {index}, is {a[index].item():.6g} but should be {e[index].item():.6g} "
            f"(difference {error[index].item():.3g}, allowed {allowed[index].item():.3g}).")


# --- blocking the reference implementations ----------------------------------------------------------------

_BLOCKER_GLOBAL = "__dgm_reference_blocked__"


def _stub(*args, **kwargs):  # its code object is swapped into blocked functions
    return __dgm_reference_blocked__()  # noqa: F821  (injected into the blocked function's globals)


def _blocked_error(qualname, note=""):
    return ReferenceBlockedError(
        f"Your code called the course's reference implementation `{qualname}` from dgm_utils, which is "
        f"blocked while your solution is tested{note}. Implement this part yourself (torch and "
        f"torch.distributions are fine).")


def _raise_blocked():
    raise _blocked_error(sys._getframe(1).f_code.co_qualname)


def _innermost(function):
    function = getattr(function, "__func__", function)  # bound method -> function
    return inspect.unwrap(function)  # decorators such as torch.no_grad keep __wrapped__


def _class_stub(qualname):
    def blocked(*args, **kwargs):
        raise _blocked_error(qualname, " (subclassing it counts too)")
    return blocked


@contextlib.contextmanager
def blocked_references(*functions):
    """Disable the given functions/methods/classes while the block runs.

    A function's code object is replaced, so aliases taken earlier (``from dgm_utils.latent import
    mixture_log_prob as f``) are blocked too. A class has all its own methods blocked, ``__init__``
    included, so instantiating it, calling it or subclassing it and calling ``super()`` all fail; methods
    whose code cannot be swapped (those using ``super()`` hold a closure) are replaced on the class.
    """
    code_targets, class_targets = [], []
    for item in functions:
        if inspect.isclass(item):
            for key, value in vars(item).items():
                function = inspect.unwrap(getattr(value, "__func__", value))
                if not inspect.isfunction(function) or key in ("__init_subclass__", "__class_getitem__"):
                    continue
                if function.__code__.co_freevars:
                    class_targets.append((item, key, value))
                else:
                    code_targets.append(function)
        elif callable(item):
            target = _innermost(item)
            if not inspect.isfunction(target) or target.__code__.co_freevars:
                raise TypeError(f"cannot block {target!r}: expected a plain Python function without a closure")
            code_targets.append(target)
        else:
            raise TypeError(f"blocked_references takes functions, methods or classes, got {type(item).__name__}")
    saved_code, saved_attributes = [], []
    try:
        for target in code_targets:
            stub_code = _stub.__code__.replace(co_name=target.__code__.co_name,
                                               co_qualname=target.__code__.co_qualname)
            saved_code.append((target, target.__code__))
            target.__globals__[_BLOCKER_GLOBAL] = _raise_blocked
            target.__code__ = stub_code
        for cls, key, value in class_targets:
            saved_attributes.append((cls, key, value))
            setattr(cls, key, _class_stub(f"{cls.__qualname__}.{key}"))
        yield
    finally:
        for cls, key, value in reversed(saved_attributes):
            setattr(cls, key, value)
        for target, code in reversed(saved_code):
            target.__code__ = code
            target.__globals__.pop(_BLOCKER_GLOBAL, None)


@contextlib.contextmanager
def silence():
    """Swallow warnings and anything written to stderr inside the block (nbgrader zeros a test cell that
    writes to stderr). What was written is kept on the returned buffer's ``getvalue()``."""
    buffer = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.redirect_stderr(buffer):
            yield buffer


# --- keeping the grading environment intact ---------------------------------------------------------------

class _ReadOnlyModule(types.ModuleType):
    """The class this module takes once ``protect_grading_environment`` ran: its attributes cannot be rebound."""

    def __setattr__(self, name, value):
        raise AttributeError(f"dgm_utils.checks is read-only while the tests run (the notebook tried to set "
                             f"{name!r}); the tests rely on these helpers, leave them as they are.")

    def __delattr__(self, name):
        raise AttributeError(f"dgm_utils.checks is read-only while the tests run (the notebook tried to delete "
                             f"{name!r}).")


# IPython's own underscore names (output history), which change every cell and are never protected.
_IPYTHON_NAMES = re.compile(r"^_(|_|__|i+|i\d+|\d+|ih|oh|dh|exit_code)$")
_HIDDEN_TESTS_MARKER = "### BEGIN HIDDEN TESTS"
_GUARDED_MODULES = ("torch", "torch.nn", "torch.nn.functional", "torch.distributions", "numpy", "numpy.testing",
                    "math", "dgm_utils", "dgm_utils.checks")


class _GradingGuard:
    """State of ``protect_grading_environment``: the original objects and the IPython hooks that put them back."""

    def __init__(self, namespace):
        self.namespace = namespace
        self.modules = {}  # module name -> (module, {attribute: object})
        for name in _GUARDED_MODULES:
            module = sys.modules.get(name)
            if module is not None:
                self.modules[name] = (module, {k: v for k, v in vars(module).items()
                                               if not (k.startswith("__") and k.endswith("__")) and k != "_guard"})
        self.tensor_methods = dict(vars(torch.Tensor))  # operators and methods (__eq__, allclose, item, ...)
        self.names = {k: v for k, v in namespace.items() if _is_private_name(k)}
        self._before_cell = {}

    def restore(self):
        """Put back every protected object that was rebound; return their names."""
        restored = []
        for name, (module, saved) in self.modules.items():
            if sys.modules.get(name) is not module:
                sys.modules[name] = module
                restored.append(f"sys.modules[{name!r}]")
            current = vars(module)  # the module's own dict: writable even for the read-only module class
            for key, value in saved.items():
                now = current.get(key, _MISSING)
                if now is value:
                    continue
                if _defined_by_library(now):  # torch rewrapping its own function (torch._dynamo does)
                    saved[key] = now
                    continue
                current[key] = value
                restored.append(f"{name}.{key}")
        for key, value in self.tensor_methods.items():
            if vars(torch.Tensor).get(key, _MISSING) is not value:
                type.__setattr__(torch.Tensor, key, value)
                restored.append(f"torch.Tensor.{key}")
        for key in set(vars(torch.Tensor)) - set(self.tensor_methods):
            type.__delattr__(torch.Tensor, key)
            restored.append(f"torch.Tensor.{key} (added)")
        for key, value in self.names.items():
            if self.namespace.get(key, _MISSING) is not value:
                self.namespace[key] = value
                restored.append(key)
        return restored

    def pre_run_cell(self, info=None):
        restored = self.restore()
        if restored:
            shown = ", ".join(restored[:6]) + (f" and {len(restored) - 6} more" if len(restored) > 6 else "")
            print(f"Note: this notebook had replaced {shown}, which the tests rely on; the originals were put back "
                  f"before this cell ran.")
        cell = getattr(info, "raw_cell", "") or ""
        self._before_cell = dict(self.namespace) if _HIDDEN_TESTS_MARKER in cell else None

    def post_run_cell(self, result=None):
        # names a hidden-test cell defined (its helpers) are protected from then on, like the setup cell's
        if self._before_cell is None:
            return
        for key, value in self.namespace.items():
            if _is_private_name(key) and self._before_cell.get(key, _MISSING) is not value:
                self.names[key] = value
        self._before_cell = None


_MISSING = object()
_guard = None
_LIBRARY_FOLDERS = tuple(os.path.dirname(module.__file__) + os.sep for module in (torch,))


def _is_private_name(name):
    """A name the tests' private references use: one leading underscore, not IPython's history names, not dunder."""
    return name.startswith("_") and not _IPYTHON_NAMES.match(name) and not name.startswith("__")


def _defined_by_library(value):
    """True for a function whose code lives in torch's own files (torch replaces some of its functions by wrappers
    on first use of torch._dynamo); such a change is torch's, not the notebook's."""
    code = getattr(value, "__code__", None)
    return code is not None and code.co_filename.startswith(_LIBRARY_FOLDERS)


def protect_grading_environment(namespace):
    """Keep what the tests rely on out of the notebook's reach; called by the read-only setup cell with ``globals()``.

    From then on, before every cell runs, anything the notebook rebound is put back (and a note says so): the
    functions of torch, torch.nn(.functional), torch.distributions, numpy, numpy.testing and math, the methods and
    operators of ``torch.Tensor``, the ``sys.modules`` entries of these modules and of dgm_utils, the setup cell's
    private names (``_torch``, ``_checks``, ... : every name starting with ``_`` defined so far) and the private
    helpers that hidden-test cells define. This module itself becomes read-only. A student's code can still
    change these *while* a test runs it, which is why the checks here use references taken at import time.
    """
    global _guard
    ipython = _get_ipython()
    if _guard is not None and ipython is not None:
        for event, callback in (("pre_run_cell", _guard.pre_run_cell), ("post_run_cell", _guard.post_run_cell)):
            try:
                ipython.events.unregister(event, callback)
            except ValueError:
                pass
    _guard = _GradingGuard(namespace)
    if ipython is not None:
        ipython.events.register("pre_run_cell", _guard.pre_run_cell)
        ipython.events.register("post_run_cell", _guard.post_run_cell)
    module = sys.modules[__name__]
    if type(module) is types.ModuleType:
        module.__class__ = _ReadOnlyModule


def _get_ipython():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()
