"""Preprocessors for `nbgrader generate_feedback` that keep hidden test code out of the feedback.

nbgrader builds the feedback HTML from the autograded notebook, whose test cells hold the hidden tests again.
`ClearHiddenTests` (configured in nbgrader_config.py) removes the hidden regions from the cells' source, but an
error's traceback still quotes the lines around the failing line of the test cell. `HideTestFrames` removes,
from every error output, the traceback entries that show code of a test cell (a cell that carries points and is
not a solution), keeping the error message and the frames in the student's own cells and in libraries.
`HideMachinePaths` (also run by `nbgrader autograde`, see tools/grade.py) shortens the grading machine's file paths
in every output: the scratch folders, the course root, the virtual environment.
"""

import re

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from .cells import is_test_cell
from .course import BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# How IPython names a cell in a traceback: "Cell In[12], line 3" (IPython >= 8), "Input In [12]" (7.x),
# "<ipython-input-12-...>" (older).
CELL_FRAME = re.compile(r"^\s*(?:Cell In\s*\[(\d+)\]|Input In\s*\[(\d+)\]|<ipython-input-(\d+)-)")
HIDDEN_FRAME_NOTE = "(a frame in the test code of cell [{}] is not shown)"


def _frame_cell(entry):
    """The execution count named by a traceback entry that shows a cell frame, else None."""
    match = CELL_FRAME.match(ANSI_ESCAPE.sub("", entry))
    if match is None:
        return None
    return int(next(group for group in match.groups() if group is not None))


class HideTestFrames(Preprocessor):
    """Remove traceback entries that quote test cells (see the module docstring)."""

    enabled = Bool(True, help="nbconvert preprocessors are off by default; this one always runs").tag(config=True)

    def preprocess(self, nb, resources):
        test_counts = {cell.get("execution_count") for cell in nb.cells if is_test_cell(cell)} - {None}
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = self._filter(output.get("traceback", []), test_counts)
        return nb, resources

    @staticmethod
    def _filter(traceback, test_counts):
        kept = []
        for entry in traceback:
            count = _frame_cell(entry)
            if count in test_counts:
                kept.append(HIDDEN_FRAME_NOTE.format(count))
            else:
                kept.append(entry)
        return kept


SCRUBBED_LINE = "[a line of hidden test code was removed here]"
MIN_SCRUBBED_LENGTH = 12  # shorter lines ("pass", "return x") are too common to be telling


def hidden_test_lines(nb):
    """The stripped lines of the hidden regions of the notebook's test cells (at least MIN_SCRUBBED_LENGTH long)."""
    lines = set()
    for cell in nb.cells:
        if not is_test_cell(cell):
            continue
        inside = False
        for line in cell.get("source", "").split("\n"):
            if BEGIN_HIDDEN_TESTS in line:  # nbgrader's rule: a line holding the marker opens or closes a region
                inside = True
            elif END_HIDDEN_TESTS in line:
                inside = False
            elif inside and len(line.strip()) >= MIN_SCRUBBED_LENGTH:
                lines.add(line.strip())
    return lines


class ScrubHiddenTestText(Preprocessor):
    """Remove hidden test code that shows up in *outputs* (run before ClearHiddenTests, which drops it from the
    sources). Student code runs in the same process as the tests, so it could print a test's source (from IPython's
    input history, a traceback, inspect); every output line that contains a line of a hidden region is replaced."""

    enabled = Bool(True, help="nbconvert preprocessors are off by default; this one always runs").tag(config=True)

    def preprocess(self, nb, resources):
        hidden = hidden_test_lines(nb)
        if not hidden:
            return nb, resources
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                if "text" in output:
                    output["text"] = self._scrub(output["text"], hidden)
                if output.get("output_type") == "error":
                    output["evalue"] = self._scrub(output.get("evalue", ""), hidden)
                    output["traceback"] = [self._scrub(entry, hidden) for entry in output.get("traceback", [])]
                for key, value in list(output.get("data", {}).items()):
                    if isinstance(value, str) and key.startswith("text/"):
                        output["data"][key] = self._scrub(value, hidden)
        return nb, resources

    @staticmethod
    def _scrub(text, hidden):
        if isinstance(text, list):
            text = "".join(text)
        lines = text.split("\n")
        plain = [ANSI_ESCAPE.sub("", line) for line in lines]
        return "\n".join(SCRUBBED_LINE if any(h in p for h in hidden) else line for line, p in zip(lines, plain))


# --- the grading machine's file paths -------------------------------------------------------------------------
# A path in an output: absolute, or under the home folder (IPython writes those as ~/...), with at least two parts;
# it ends at a character that cannot be part of it here (a colon starts a line number).
_PATH_CHAR = r"[^\s/'\"`(),;:<>\[\]{}=|*?]"
MACHINE_PATH = re.compile(rf"(?<![\w.~/:\\-])~?/(?:{_PATH_CHAR}+/)+{_PATH_CHAR}*")
# IPython's name for the code of a notebook cell (warnings and some tracebacks print it).
CELL_FILE = re.compile(r"^/tmp/ipykernel_\d+/\d+\.py$")
CELL_LABEL = "<notebook cell>"
# The first parts of a path that name the grading machine's folders (scratch, home, course, installation); other
# absolute-looking text (/dev/null, "1 /2/3" in a line of code) is left alone.
MACHINE_TOP_FOLDERS = {"tmp", "var", "work", "home", "root", "Users", "usr", "opt", "srv", "mnt", "media", "run",
                       "scratch", "data", "private", "nix", "snap", "lib", "lib64", "etc", "bin", "~"}


def machine_prefixes(extra=()):
    """Folders whose paths are shown relative to them, longest first: `extra`, the course root, the folder that
    holds dgm_utils, Python's package and standard-library folders, the interpreter's prefixes."""
    import importlib.util
    import sys
    import sysconfig
    from pathlib import Path

    from .course import ROOT

    folders = [str(f) for f in extra] + [str(ROOT), sys.prefix, sys.base_prefix, sys.exec_prefix]
    folders += [value for key, value in sysconfig.get_paths().items() if key in ("stdlib", "platstdlib", "purelib",
                                                                                 "platlib")]
    spec = importlib.util.find_spec("dgm_utils")
    if spec is not None and spec.origin:
        folders.append(str(Path(spec.origin).resolve().parent.parent))
    folders = {f.rstrip("/") for f in folders if f and f != "/"}
    folders |= {str(Path(f).resolve()) for f in folders}
    return sorted(folders, key=len, reverse=True)


def shorten_path(path, prefixes):
    """What the feedback shows for `path`: the part below site-packages (the library's own path), the part below
    one of `prefixes` (dgm_utils/checks.py, the student's own file), "<notebook cell>" for IPython's cell files,
    the file name alone for any other path of the grading machine; other text as it was."""
    if CELL_FILE.match(path):
        return CELL_LABEL
    if path.startswith("~/"):
        import os

        path = os.path.expanduser("~") + path[1:]
    for marker in ("/site-packages/", "/dist-packages/"):
        if marker in path:
            return path.rsplit(marker, 1)[1] or path
    for prefix in prefixes:
        if path.startswith(prefix + "/") and len(path) > len(prefix) + 1:
            return path[len(prefix) + 1:]
    tops = MACHINE_TOP_FOLDERS | {prefix.split("/")[1] for prefix in prefixes if prefix.startswith("/")}
    if path.startswith("~") or path.split("/")[1] in tops:
        return path.rstrip("/").rsplit("/", 1)[-1] or path
    return path


def scrub_paths(text, prefixes):
    """`text` with every path of the grading machine shortened (see shorten_path); ANSI colour codes are kept and
    never taken for part of a path."""
    if isinstance(text, list):
        text = "".join(text)
    pieces = re.split(f"({ANSI_ESCAPE.pattern})", text)
    for i in range(0, len(pieces), 2):  # the even pieces are text, the odd ones escape codes
        pieces[i] = MACHINE_PATH.sub(lambda match: shorten_path(match.group(0), prefixes), pieces[i])
    return "".join(pieces)


class HideMachinePaths(Preprocessor):
    """Shorten the grading machine's file paths in every output (tracebacks, error messages, printed text): the
    scratch folders, the course root, the virtual environment and Python's folders never reach a student, while
    the cell, the line, the library file and the message stay. Runs in `nbgrader autograde` (so the autograded
    notebook has no such paths; the notebook's folder counts as the student's own) and in
    `nbgrader generate_feedback`."""

    enabled = Bool(True, help="nbconvert preprocessors are off by default; this one always runs").tag(config=True)

    def preprocess(self, nb, resources):
        folder = (resources or {}).get("metadata", {}).get("path")
        prefixes = machine_prefixes([folder] if folder else [])
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                if "text" in output:
                    output["text"] = scrub_paths(output["text"], prefixes)
                if output.get("output_type") == "error":
                    output["evalue"] = scrub_paths(output.get("evalue", ""), prefixes)
                    output["traceback"] = [scrub_paths(entry, prefixes) for entry in output.get("traceback", [])]
                for key, value in list(output.get("data", {}).items()):
                    if isinstance(value, (str, list)) and key.startswith("text/"):
                        output["data"][key] = scrub_paths(value, prefixes)
        return nb, resources
