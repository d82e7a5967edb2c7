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

from jupyter_core.utils import ensure_async
from nbclient.exceptions import DeadKernelError
from nbconvert.preprocessors import Preprocessor
from nbgrader.preprocessors import Execute
from traitlets import Bool, Float, Integer

FAULT_MARKER = "GRADING FAULT:"


class GradingFault(DeadKernelError):
    """The kernel had to be killed; the notebook cannot be graded."""


class GuardedExecute(Execute):
    interrupt_grace = Float(10.0, help="seconds a kernel has to answer after an interrupt before it is killed").tag(
        config=True)

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


def _is_graded(cell):
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("grade", False))


class KeepStderrOutOfGrades(Preprocessor):
    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.get("cell_type") == "code" and _is_graded(cell):
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
