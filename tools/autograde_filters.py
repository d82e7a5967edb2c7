"""Preprocessors that `tools/grade.py` adds to `nbgrader autograde` (configured per submission, see grade.py).

- `GuardedExecute`: nbgrader's `Execute`, plus a watchdog. After a cell times out nbclient interrupts the kernel
  and moves on; a kernel that ignores the interrupt (SIGINT ignored inside the student's function, a C loop) would
  then make every later cell time out too. Here the kernel must answer a `kernel_info` request within
  `interrupt_grace` seconds after the interrupt, or it is killed and the notebook stops with a `GradingFault`
  whose message tools/grade.py reports as the reason the submission could not be graded.
- `KeepStderrOutOfGrades`: nbgrader gives 0 points to a test cell with *any* stderr output, so a progress bar or a
  library warning in a correct submission would cost points. This turns stderr stream outputs of graded cells into
  stdout outputs marked "[stderr]" (the text stays visible in the feedback); errors still score 0.
- `CapOutputs`: a cell's stream text is cut to `max_characters` (nbgrader's LimitOutput counts lines, and one huge
  line would still fill the gradebook and the feedback).

Every message a grading fault leaves in the log starts with FAULT_MARKER so that grade.py can find it.
"""

import asyncio
from pathlib import Path

import nbformat

from jupyter_core.utils import ensure_async
from nbclient.exceptions import DeadKernelError
from nbconvert.preprocessors import Preprocessor
from nbgrader.preprocessors import Execute
from traitlets import Bool, Float, Integer, Unicode

from .cells import grade_id, is_graded

FAULT_MARKER = "GRADING FAULT:"


class GradingFault(DeadKernelError):
    """The kernel had to be killed; the notebook cannot be graded."""


class GuardedExecute(Execute):
    interrupt_grace = Float(10.0, help="seconds a kernel has to answer after an interrupt before it is killed").tag(
        config=True)
    # nbgrader raises (and loses the whole notebook) when a cell's output lags 4 s behind its reply, which happens
    # on a loaded machine with chatty code. Wait longer and never fail on it: an error still scores 0, because
    # nbgrader adds the error of the execute reply when its output did not arrive (Execute.on_cell_executed).
    iopub_timeout = Integer(30, help="seconds to wait for a cell's output after its reply").tag(config=True)
    raise_on_iopub_timeout = Bool(False, help="fail the notebook when output is late").tag(config=True)

    async def _async_handle_timeout(self, timeout, cell=None):
        reply = await super()._async_handle_timeout(timeout, cell)
        if self.interrupt_on_timeout and not await self._answers_within(self.interrupt_grace):
            message = (f"{FAULT_MARKER} a cell ran longer than the {timeout} s limit and the kernel did not respond "
                       f"to the interrupt within {self.interrupt_grace:g} s (SIGINT ignored?); the kernel was killed")
            self.log.error(message)
            await self._kill_kernel()
            raise GradingFault(message)
        return reply

    async def _answers_within(self, seconds):
        """True when the kernel replies to a kernel_info request within `seconds` (its shell is free again)."""
        msg_id = self.kc.kernel_info()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            try:
                message = await self.kc.get_shell_msg(timeout=remaining)
            except Exception:  # queue.Empty on timeout
                return False
            if message.get("parent_header", {}).get("msg_id") == msg_id:
                return True

    async def _kill_kernel(self):
        try:
            await ensure_async(self.km.shutdown_kernel(now=True))
        except Exception as error:  # the kernel is being killed anyway; note why the shutdown complained
            self.log.warning("while killing the kernel: %s", error)


class KeepStderrOutOfGrades(Preprocessor):
    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.get("cell_type") == "code" and is_graded(cell):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "stream" and output.get("name") == "stderr":
                    output["name"] = "stdout"
                    output["text"] = "".join(f"[stderr] {line}" for line in output.get("text", "").splitlines(True))
        return cell, resources


class CapOutputs(Preprocessor):
    enabled = Bool(True).tag(config=True)
    max_characters = Integer(20_000, help="characters of stream output kept per cell").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        budget = self.max_characters
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                text = output.get("text", "")
                if len(text) > budget:
                    output["text"] = text[:budget] + f"\n[... output cut: {len(text) - budget} more characters]\n"
                budget = max(0, budget - len(output["text"]))
        return cell, resources


class RestoreLockedCells(Preprocessor):
    """Put back the read-only cells a submission deleted, and run the read-only cells that open the notebook first.

    nbgrader restores the *source* of an edited locked cell and re-adds deleted *test* cells, but a deleted read-only
    cell without points (the setup cell, which takes the tests' private references and protects them) stays deleted,
    and a student could put code above the setup cell. This preprocessor (run after nbgrader's OverwriteCells) puts
    every missing locked cell back after its predecessor in the source notebook, and moves the locked cells that come
    before the first answer cell of the source notebook to the top of the submission, in their source order.
    """

    enabled = Bool(True).tag(config=True)
    source_directory = Unicode("", help="folder of the source notebooks (solutions/<assignment>), for the cell "
                                        "order; without it the gradebook's order is used").tag(config=True)

    def _source_order(self, notebook_name):
        path = Path(self.source_directory) / f"{notebook_name}.ipynb"
        if not self.source_directory or not path.exists():
            return None
        cells = nbformat.read(str(path), as_version=4).cells
        return [grade_id(c) for c in cells]

    def preprocess(self, nb, resources):
        from nbformat.v4 import new_code_cell, new_markdown_cell
        from nbgrader.api import Gradebook

        with Gradebook(resources["nbgrader"]["db_url"]) as gradebook:
            source = gradebook.find_notebook(resources["nbgrader"]["notebook"], resources["nbgrader"]["assignment"])
            source_cells = [(cell.name, cell.cell_type, cell.locked, cell.source, cell.checksum)
                            for cell in source.source_cells]
            solution_ids = {cell.name for cell in source.solution_cells}
        order = self._source_order(resources["nbgrader"]["notebook"])
        if order is not None:
            source_cells.sort(key=lambda cell: order.index(cell[0]) if cell[0] in order else len(order))

        present = {grade_id(cell): cell for cell in nb.cells if grade_id(cell)}
        order = [name for name, *_ in source_cells]
        for position, (name, cell_type, locked, text, checksum) in enumerate(source_cells):
            if not locked or name in present:
                continue
            self.log.warning("Read-only cell %s was missing from the submission; putting it back", name)
            make = new_code_cell if cell_type == "code" else new_markdown_cell
            cell = make(source=text)
            cell.metadata["nbgrader"] = {"grade": False, "solution": False, "locked": True, "grade_id": name,
                                         "checksum": checksum, "schema_version": 3}
            earlier = [present[n] for n in order[:position] if n in present]
            index = nb.cells.index(earlier[-1]) + 1 if earlier else 0
            nb.cells.insert(index, cell)
            present[name] = cell

        first_answer = next((i for i, (name, *_) in enumerate(source_cells) if name in solution_ids), len(source_cells))
        opening = [present[name] for name, _, locked, *_ in source_cells[:first_answer] if locked and name in present]
        if opening:
            rest = [cell for cell in nb.cells if all(cell is not c for c in opening)]
            if nb.cells[:len(opening)] != opening:
                self.log.warning("Moving the read-only opening cells (%s) to the top of the notebook",
                                 ", ".join(grade_id(c) for c in opening))
            nb.cells = opening + rest
        return nb, resources
