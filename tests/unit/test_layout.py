"""The package's layout as dgm_utils/__init__.py describes it: files of a few hundred lines, dependencies that
point down only, no module reaching for another module's private names."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "dgm_utils"
MAX_LINES = 400

# Layers, bottom first: a module may import from its own layer's earlier entries and from any lower layer.
BOTTOM = ["_validation", "base", "distributions", "nn"]
SHARED = ["data", "metrics", "plot", "train", "checks", "widgets"]
FAMILIES = ["autoregressive", "flows", "latent", "implicit", "energy", "diffusion"]
HELPERS = ["baselines", "chapter", "applications"]
FAMILIES_LAYER = 2


def _modules():
    return sorted(path for path in PACKAGE.rglob("*.py") if "__pycache__" not in path.parts)


def _top(path):
    """The top-level unit of dgm_utils a file belongs to: 'flows' for dgm_utils/flows/coupling.py."""
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py") if relative.parts[0] != "__init__.py" else None


def _imports(path):
    """(imported dgm_utils unit, imported names) for every `import dgm_utils...` / `from dgm_utils... import`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "dgm_utils":
            parts = node.module.split(".")
            names = [alias.name for alias in node.names]
            if len(parts) == 1:  # from dgm_utils import data, distributions
                found += [(name, []) for name in names]
            else:
                found.append((parts[1], names))
        elif isinstance(node, ast.Import):
            found += [(alias.name.split(".")[1], []) for alias in node.names
                      if alias.name.startswith("dgm_utils.")]
    return found


def _rank(unit):
    for layer, units in enumerate([BOTTOM, SHARED, FAMILIES, HELPERS]):
        if unit in units:
            return layer, units.index(unit)
    raise AssertionError(f"dgm_utils.{unit} is in no layer of this test; add it to the right list")


def test_every_file_is_a_few_hundred_lines_at_most():
    long = {str(path.relative_to(PACKAGE)): n for path in _modules()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"files over {MAX_LINES} lines (split them by idea): {long}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_dependencies_point_down_and_no_private_name_is_imported(path):
    unit = _top(path)
    for imported, names in _imports(path):
        private = [name for name in names if name.startswith("_")]
        assert not private, f"{path.name} imports private names {private} of dgm_utils.{imported}"
        if unit is None or imported == unit:
            continue  # the package's own __init__, or a module of the same subpackage
        layer, position = _rank(unit)
        imported_layer, imported_position = _rank(imported)
        assert imported_layer < layer or (imported_layer == layer and imported_position < position
                                          and layer != FAMILIES_LAYER), (
            f"dgm_utils.{unit} ({path.name}) imports dgm_utils.{imported}, which is not below it; dependencies point "
            f"down only (layers: {BOTTOM} < {SHARED} < {FAMILIES} < {HELPERS}; families never import each other)")


def test_the_layout_check_catches_a_sideways_import(tmp_path):
    # The check above, run on a module of the data layer that imports a family: it must refuse it.
    fake = tmp_path / "toys.py"
    fake.write_text("from dgm_utils.latent import mixture_log_prob\nfrom dgm_utils.metrics import _check_bounds\n")
    (imported, names), (imported_private, private_names) = _imports(fake)
    assert (imported, imported_private) == ("latent", "metrics")
    assert _rank("latent") > _rank("data") and private_names[0].startswith("_")


def test_importing_the_package_has_no_side_effects():
    import subprocess
    import sys

    code = ("import sys, dgm_utils; heavy = [m for m in ('torch', 'matplotlib', 'sklearn') if m in sys.modules]; "
            "print(','.join(heavy))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"import dgm_utils loaded {result.stdout.strip()}; submodules load lazily"
