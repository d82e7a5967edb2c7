"""The instructor tools are the package `tools` of the course root: importable, run with `python -m`, the one source
of the course settings that nbgrader_config.py and the per-submission configs of tools/grade.py read (fast)."""

import ast
import json
import os
import subprocess
import sys

import pytest

import grading_helpers as helpers
from tools import course, grade

MODULES = sorted(p.stem for p in (helpers.REPO / "tools").glob("*.py") if p.stem != "__init__")


def python(code, cwd, **env):
    """Run `python -c code` in `cwd` in a fresh interpreter (nothing of this test process on its sys.path)."""
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NBGRADER_DB_URL")} | env
    completed = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=environment, capture_output=True,
                               text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed.stdout


def test_the_tools_import_as_a_package_from_the_course_root():
    out = python("import tools.release, tools.grade, tools.assignments, tools.sandbox_kernel\n"
                 "from tools.grade import grade_assignment\n"
                 "print(tools.grade.ROOT, tools.release.main.__module__, grade_assignment.__module__)",
                 helpers.REPO)
    assert out.split() == [str(helpers.REPO), "tools.release", "tools.grade"]


@pytest.mark.parametrize("tool", ["release", "grade"])
def test_the_scripts_run_with_python_dash_m(tool):
    completed = subprocess.run([sys.executable, "-m", f"tools.{tool}", "--help"], cwd=helpers.REPO,
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0 and f"python -m tools.{tool}" in completed.stdout, completed.stderr[-3000:]


@pytest.mark.parametrize("module", MODULES)
def test_no_tool_changes_sys_path_or_loads_code_by_path(module):
    """Imports are relative (`from .course import ...`); a generated config file may put the course root on its
    own sys.path (that is text the module writes, not code it runs)."""
    tree = ast.parse((helpers.REPO / "tools" / f"{module}.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            assert not (node.attr == "path" and getattr(node.value, "id", None) == "sys"), f"{module}: sys.path"
            assert node.attr not in ("spec_from_file_location", "run_path"), f"{module}: {node.attr}"
        if isinstance(node, ast.ImportFrom) and node.level == 0 and module != "sandbox_kernel":
            assert node.module.split(".")[0] not in MODULES + ["tools"], f"{module}: absolute import {node.module}"
    if module == "sandbox_kernel":  # started by path as a program: it must not import the package
        assert not [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level > 0]


CONFIG_PROBE = """
import json, sys
from traitlets.config.loader import PyFileConfigLoader
config = PyFileConfigLoader("nbgrader_config.py", path=sys.argv[1]).load_config()
def modules(section, name):
    value = config[section][name] if name in config[section] else []
    return [getattr(p, "__module__", p) for p in value]
print(json.dumps({"course": dict(config.CourseDirectory),
                  "feedback": modules("GenerateFeedback", "preprocessors"),
                  "autograde": modules("Autograde", "autograde_preprocessors"),
                  "tools": sys.modules["tools"].__path__[0] if "tools" in sys.modules else None}))
"""


def load_config(folder, **env):
    """The settings of folder/nbgrader_config.py as nbgrader loads them (exec'd, from another working directory)."""
    return json.loads(python(f"import sys; sys.argv[1:] = [{str(folder)!r}]\n" + CONFIG_PROBE, "/", **env))


def test_nbgrader_config_takes_the_course_settings_from_tools_course(tmp_path):
    copy = helpers.make_course(tmp_path)
    loaded = load_config(copy)
    assert loaded["course"] == course.course_directory(copy) | {"db_url": course.sqlite_url(copy)}
    assert loaded["course"]["course_id"] == course.COURSE_ID
    assert loaded["course"]["source_directory"] == "solutions" and loaded["course"]["release_directory"] == "assignments"
    # the feedback filters are this course's tools package, imported by name
    assert loaded["tools"] == str(copy / "tools")
    assert loaded["feedback"].count("tools.feedback_filters") == 3
    shared = "postgresql://grader@db.example/dgm"
    assert load_config(copy, NBGRADER_DB_URL=shared)["course"]["db_url"] == shared


def test_the_per_submission_config_imports_the_autograde_filters_by_name(tmp_path):
    work = tmp_path / "work" / "student"
    settings = {"memory_gb": 3, "sandbox": True, "cell_timeout": 30, "interrupt_grace": 5, "threads": 1}
    grade._write_worker_course(work, "hw0_mle", settings)
    loaded = load_config(work, NBGRADER_DB_URL="postgresql://grader@db.example/dgm")
    assert loaded["tools"] == str(course.ROOT / "tools")
    assert loaded["autograde"][0] == "tools.autograde_filters" and loaded["autograde"].count("tools.autograde_filters") == 3
    # the grading machine's paths are shortened right after the notebook ran (the autograded notebook has none)
    assert loaded["autograde"][1] == "tools.feedback_filters"
    # a scratch course keeps its own SQLite gradebook whatever NBGRADER_DB_URL says
    assert loaded["course"] == course.course_directory(work, db_url=course.sqlite_url(work))
