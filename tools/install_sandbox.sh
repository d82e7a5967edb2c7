#!/usr/bin/env bash
# Make sure bubblewrap (`bwrap`), the grading sandbox of tools/sandbox_kernel.py, is installed: `make test` and
# `make grade` call this. Installs the Debian package with apt-get (as root, or through sudo). Never fails the
# caller: without bubblewrap, grading runs unconfined (and says so) and the sandbox tests fail with a clear message.
BWRAP=${BWRAP:-bwrap}
if command -v "$BWRAP" >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else SUDO=none; fi
if [ "$SUDO" != none ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing bubblewrap (the grading sandbox)"
  $SUDO apt-get install -y -q bubblewrap >/dev/null 2>&1 \
    || { $SUDO apt-get update -q >/dev/null 2>&1 && $SUDO apt-get install -y -q bubblewrap >/dev/null 2>&1; } \
    && exit 0
fi
echo "WARNING: bubblewrap (bwrap) is not installed and could not be installed here: grading runs without the" \
     "sandbox and the sandbox tests fail. Install the package 'bubblewrap'." >&2
exit 0
