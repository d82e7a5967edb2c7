"""Looks for the instructor's solution notebook (relative paths, then the whole file system outside its own folder)
and runs its mixture_log_prob; it also tries the gradebook and the other students' folders. In the sandbox none of
them exists, so mixture_log_prob raises and those cells score 0. Without the sandbox it would get full marks.

expect-zero: test_log_prob_values test_log_prob_stable test_log_prob_normalized test_fit_runs test_fit_quality
"""
# %% mixture_log_prob
import json
import os

_FOUND = []
for _path in ["../../../solutions/hw0_mle/hw0_mle.ipynb", "../../solutions/hw0_mle/hw0_mle.ipynb",
              "../../../gradebook.db", "../../../submitted", "../../../../submitted"]:
    if os.path.exists(_path):
        _FOUND.append(_path)
_HERE = os.getcwd()  # its own folder holds its own notebook, which is no secret
for _root, _dirs, _files in os.walk("/"):
    _dirs[:] = [d for d in _dirs if d not in ("proc", "sys", "dev", "usr", "lib", "lib64", "site-packages")]
    for _name in _files:
        if (_name == "hw0_mle.ipynb" or _name == "gradebook.db") and not _root.startswith(_HERE):
            _FOUND.append(os.path.join(_root, _name))
print("found:", _FOUND)

_LEAKED = None
_MARKER = "### BEGIN " + "SOLUTION"  # built, so that this cell's own source does not contain it
for _path in _FOUND:
    if _path.endswith(".ipynb"):
        with open(_path) as _f:
            _notebook = json.load(_f)
        for _cell in _notebook["cells"]:
            _source = "".join(_cell["source"])
            if _MARKER in _source and "def mixture_log_prob" in _source:
                _LEAKED = _source


def mixture_log_prob(x, means, log_stds, logits):
    if _LEAKED is None:
        raise RuntimeError("could not find the solutions")
    namespace = {"torch": torch, "math": math}
    exec(_LEAKED, namespace)
    return namespace["mixture_log_prob"](x, means, log_stds, logits)
