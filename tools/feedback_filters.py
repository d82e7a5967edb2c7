"""Preprocessors for `nbgrader generate_feedback` that keep hidden test code out of the feedback.

nbgrader builds the feedback HTML from the autograded notebook, whose test cells hold the hidden tests again.
`ClearHiddenTests` (configured in nbgrader_config.py) removes the hidden regions from the cells' source, but an
error's traceback still quotes the lines around the failing line of the test cell. `HideTestFrames` removes,
from every error output, the traceback entries that show code of a test cell (a cell that carries points and is
not a solution), keeping the error message and the frames in the student's own cells and in libraries.
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
