"""The grading tests import the instructor tools as the package `tools` of the repository root (as the tools run:
`python -m tools.grade` from the course root), whatever folder pytest was started from."""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
