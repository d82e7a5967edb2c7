"""Start the IPython kernel that runs one student's notebook, confined and limited.

    python tools/sandbox_kernel.py [--memory-gb G] [--no-sandbox] [--files DIR] -f CONNECTION_FILE

This is the `argv` of the kernelspec that tools/grade.py writes for each submission (see `_write_worker_course`);
nbclient starts it with the working directory set to the folder of the notebook being graded. It is started by its
path and imports nothing from the tools package (tests import it as `tools.sandbox_kernel`).

With bubblewrap (`bwrap`, Debian package `bubblewrap`) the kernel sees:
- read-only: the operating system (/usr, /bin, /lib*, /sbin, /etc), the Python installation and the virtual
  environment running the grader, and the `dgm_utils` package;
- read-write: its working directory, which holds a scratch copy of this one student's files (and the data files
  the instructor ships with the assignment) but NOT the notebook nbgrader is running (that copy holds the hidden
  tests): `--files DIR` is mounted at the working directory's path; and the folder holding the kernel's connection
  file and sockets (nothing else is in it);
- a private empty /tmp (HOME is /tmp/home), its own /proc and a minimal /dev;
- a clean environment: HOME, PATH, LANG, MPLCONFIGDIR, and from the grading process only PASSED_ENV (the thread
  counts, nbgrader's NBGRADER_EXECUTION, TQDM_DISABLE=1, which tools/grade.py sets to keep progress bars off);
- no network (its own network namespace with only a loopback device), its own PID, IPC and UTS namespaces.
Everything else of the machine (the course's solutions/, tools/ with its grading metadata, gradebook.db, other
submissions, the instructor's home folder) does not exist inside. The kernel talks to nbgrader over Unix sockets in
the connection folder (ZeroMQ's `ipc` transport; TCP cannot cross the network namespace).

In every mode the kernel gets an address-space limit (`--memory-gb`, RLIMIT_AS: an allocation beyond it fails with
MemoryError / a torch RuntimeError in that cell instead of exhausting the machine), a file-size limit, and is killed
when the grading process dies. Without bubblewrap (`--no-sandbox`) only these limits apply.
"""

import argparse
import ctypes
import os
import resource
import shutil
import signal
import sys
from pathlib import Path

FILE_SIZE_LIMIT = 512 << 20  # bytes one file written by the kernel may reach
PR_SET_PDEATHSIG = 1
# The variables of the grading process that reach the kernel inside the sandbox (every other one is cleared).
PASSED_ENV = ("NBGRADER_EXECUTION", "TQDM_DISABLE", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "PYTHONHASHSEED")


def _python_roots():
    """Folders that must be readable for this interpreter, its packages and dgm_utils to import."""
    import importlib.util

    roots = {Path(sys.base_prefix), Path(sys.prefix)}
    spec = importlib.util.find_spec("dgm_utils")
    if spec is not None and spec.origin:
        roots.add(Path(spec.origin).resolve().parent)
    executable = Path(sys.executable)
    roots.add(executable.parent)
    roots.add(executable.resolve().parent)
    return sorted({r.resolve() for r in roots} | roots)


def bwrap_command(kernel_command, workdir, connection_dir, files=None):
    """The bubblewrap command line that runs `kernel_command` confined as described in the module docstring: the
    folder `files` (default: `workdir` itself) is mounted at `workdir`, the kernel's working directory."""
    command = ["bwrap", "--die-with-parent", "--unshare-all", "--hostname", "grading",
               "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--dir", "/tmp/home"]
    for system in ("/usr", "/etc", "/opt"):
        command += ["--ro-bind-try", system, system]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            command += ["--symlink", os.readlink(path), str(path)]
        elif path.exists():
            command += ["--ro-bind", str(path), str(path)]
    for root in _python_roots():
        if root.exists() and not str(root).startswith(("/usr/", "/opt/")):
            command += ["--ro-bind", str(root), str(root)]
    command += ["--bind", str(connection_dir), str(connection_dir),
                "--bind", str(files or workdir), str(workdir), "--chdir", str(workdir),
                "--clearenv", "--setenv", "HOME", "/tmp/home", "--setenv", "MPLCONFIGDIR", "/tmp/home/matplotlib",
                "--setenv", "PATH", os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin",
                                                     "/bin"]),
                "--setenv", "LANG", "C.UTF-8"]
    for name in PASSED_ENV:
        if name in os.environ:
            command += ["--setenv", name, os.environ[name]]
    return command + ["--", *kernel_command]


def _limit_resources(memory_gb):
    memory = int(memory_gb * (1 << 30))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:  # die with the grading process (bwrap does this itself with --die-with-parent)
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-f", dest="connection_file", required=True, help="the kernel's connection file")
    parser.add_argument("--memory-gb", type=float, default=4.0, help="address-space limit of the kernel (GiB)")
    parser.add_argument("--no-sandbox", action="store_true", help="run without bubblewrap (limits only)")
    parser.add_argument("--files", type=Path, default=None,
                        help="folder mounted as the kernel's working directory (default: the working directory)")
    args = parser.parse_args(argv)

    connection_file = Path(args.connection_file).resolve()
    kernel_command = [sys.executable, "-m", "ipykernel_launcher", "-f", str(connection_file),
                      "--HistoryManager.hist_file=:memory:"]
    _limit_resources(args.memory_gb)
    if args.no_sandbox:
        os.execv(sys.executable, kernel_command)
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SystemExit("bubblewrap (bwrap) is not installed: install it (apt-get install bubblewrap) or grade with "
                         "--no-sandbox")
    command = bwrap_command(kernel_command, Path.cwd().resolve(), connection_file.parent,
                            args.files.resolve() if args.files else None)
    os.execv(bwrap, command)


if __name__ == "__main__":
    main()
