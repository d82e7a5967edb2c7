"""The book builds, every page in _toc.yml is published, and nothing of the instructor's material leaks.

The build runs the same command as `make book` (`jupyter-book build --all -W -n --keep-going`) into a
temporary directory (`--path-output`), so it never touches the repository's own `_build/` and can run
beside the other tests under `pytest -n auto --dist loadfile`.

The leak check reads every solution notebook (solutions/**/*.ipynb), takes the code between
`### BEGIN SOLUTION` / `### END SOLUTION` and `### BEGIN HIDDEN TESTS` / `### END HIDDEN TESTS`
(and whole cells marked as solutions without markers, which nbgrader replaces entirely), keeps the
distinctive lines (at least MIN_SECRET_LENGTH characters once stripped, and absent from the released
notebook), and searches the whole built HTML tree for them: pages (with HTML tags removed and entities
decoded, since highlighted code is split into <span>s), the copied sources under _sources/, downloadable
notebooks and searchindex.js. The markers themselves and any path containing "solutions" also count as
leaks. The fast tests at the top check that this scan does find a planted leak.
"""

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tools.cells import split_region

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
ASSIGNMENTS = ROOT / "assignments"
BOOK = ROOT / "book"

#: The build command of `make book`, without the source directory.
BUILD_COMMAND = ["build", "--all", "-W", "-n", "--keep-going"]
#: Whole-book budget (the course's performance budget: the book builds from cold in at most 10 minutes).
BUILD_TIMEOUT_SECONDS = 900
#: Shorter protected lines (`return x`, `pass`, `x = 0`) are too common to mean anything when found.
MIN_SECRET_LENGTH = 12
#: Region markers of nbgrader source notebooks: (begin, end).
REGION_MARKERS = (("BEGIN SOLUTION", "END SOLUTION"), ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"))
LEAK_MARKERS = tuple(marker for pair in REGION_MARKERS for marker in pair)
#: Files in the built tree that hold no text worth searching.
BINARY_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".ico", ".woff", ".woff2", ".ttf", ".eot", ".inv", ".pickle",
                   ".doctree", ".pdf", ".zip"}


# ----------------------------------------------------------------------------------------------------
# Collecting the protected text of the solution notebooks.


def _cell_lines(cell):
    source = cell.get("source", "")
    return ("".join(source) if isinstance(source, list) else source).splitlines()


def _is_marker_line(line):
    return any(marker in line for marker in LEAK_MARKERS)


def protected_lines(notebook):
    """Lines of a nbgrader source notebook (parsed JSON) that the release version must not contain.

    These are the lines strictly inside BEGIN/END SOLUTION and BEGIN/END HIDDEN TESTS regions, plus every
    line of a cell marked ``nbgrader.solution`` that has no markers (nbgrader replaces such cells whole).
    """
    lines = []
    for cell in notebook.get("cells", []):
        cell_lines = _cell_lines(cell)
        has_markers = any(_is_marker_line(line) for line in cell_lines)
        if not has_markers:
            if cell.get("metadata", {}).get("nbgrader", {}).get("solution", False):
                lines.extend(cell_lines)
            continue
        source = "\n".join(cell_lines)
        for begin, end in REGION_MARKERS:
            lines.extend(split_region(source, begin, end)[0])
    return lines


def secret_lines(solution_notebook, release_notebook=None):
    """The distinctive protected lines of one solution notebook (parsed JSON), stripped.

    A line is kept when it has at least MIN_SECRET_LENGTH characters after stripping, is not itself a
    marker, and does not occur anywhere in the release notebook's cells (not even inside a longer line),
    where it is public anyway.
    """
    public = ""
    if release_notebook is not None:
        public = _normalize("\n".join("\n".join(_cell_lines(cell)) for cell in release_notebook.get("cells", [])))
    secrets = set()
    for line in protected_lines(solution_notebook):
        stripped = line.strip()
        if len(stripped) >= MIN_SECRET_LENGTH and not _is_marker_line(stripped) and _normalize(stripped) not in public:
            secrets.add(stripped)
    return secrets


def _read_notebook(path):
    return json.loads(path.read_text(encoding="utf-8"))


def public_notebook(assignments_dir=ASSIGNMENTS, book_dir=BOOK):
    """Every cell of the published sources (all release notebooks and all chapters) as one notebook: a line found
    there is public (``_torch.manual_seed(2)`` in one assignment's visible tests is no secret of another's)."""
    paths = sorted(assignments_dir.rglob("*.ipynb")) + sorted(book_dir.glob("*.ipynb"))
    return {"cells": [cell for path in paths if ".ipynb_checkpoints" not in path.parts
                      for cell in _read_notebook(path).get("cells", [])]}


def repository_secrets(solutions_dir=SOLUTIONS, assignments_dir=ASSIGNMENTS, book_dir=BOOK):
    """{secret line: solution notebook it comes from} over every solutions/**/*.ipynb."""
    secrets = {}
    public = public_notebook(assignments_dir, book_dir)
    for path in sorted(solutions_dir.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        for line in secret_lines(_read_notebook(path), public):
            secrets.setdefault(line, str(path.relative_to(solutions_dir.parent)))
    return secrets


# ----------------------------------------------------------------------------------------------------
# Searching a built HTML tree.


def _normalize(text):
    """Collapse every run of whitespace to one space, so indentation and line breaks do not matter."""
    return " ".join(text.split())


def _html_text(raw):
    """Visible text of an HTML page: tags removed (highlighted code is split into <span>s), entities decoded."""
    without_scripts = re.sub(r"<(script|style)\b[^>]*>.*?</\1\s*>", " ", raw, flags=re.DOTALL | re.IGNORECASE)
    return html.unescape(re.sub(r"<[^>]+>", "", without_scripts))


def _json_unescaped(raw):
    return raw.replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")


def _notebook_text(raw):
    """Sources and text outputs of a notebook file, or None when it is not a notebook."""
    try:
        notebook = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(notebook, dict) or "cells" not in notebook:
        return None
    parts = []
    for cell in notebook["cells"]:
        parts.append("\n".join(_cell_lines(cell)))
        for output in cell.get("outputs", []):
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            parts.append("".join(text) if isinstance(text, list) else str(text))
    return "\n".join(parts)


def searchable_texts(path):
    """The normalized views of one built file in which published text can be found."""
    raw = path.read_bytes().decode("utf-8", errors="replace")
    views = [raw, _json_unescaped(raw)]
    name = path.name.lower()
    if name.endswith((".html", ".htm")):
        views.append(_html_text(raw))
        # Text inside <script> blocks (e.g. embedded widget state) is searched in the raw view above.
    if name.endswith((".ipynb", ".ipynb.txt")):
        notebook_text = _notebook_text(raw)
        if notebook_text is not None:
            views.append(notebook_text)
    return [_normalize(view) for view in views]


def scan_built_tree(html_dir, secrets):
    """Every leak in a built HTML tree, as a list of (relative path, what leaked) pairs.

    Args:
        html_dir: the built site (e.g. _build/html).
        secrets: lines that must not be published (an iterable of strings, or a dict line -> origin).

    A leak is a file whose path contains "solutions", a solution or hidden-test marker, or a secret line.
    """
    html_dir = Path(html_dir)
    origins = secrets if isinstance(secrets, dict) else {line: None for line in secrets}
    needles = {line: _normalize(line) for line in origins}
    leaks = []
    for path in sorted(p for p in html_dir.rglob("*") if p.is_file()):
        relative = path.relative_to(html_dir).as_posix()
        if "solutions" in relative.lower():
            leaks.append((relative, "a published path containing 'solutions'"))
        if path.suffix.lower() in BINARY_SUFFIXES:
            continue
        views = searchable_texts(path)
        for marker in LEAK_MARKERS:
            if any(marker in view for view in views):
                leaks.append((relative, f"the marker {marker!r}"))
        for line, needle in needles.items():
            if any(needle in view for view in views):
                origin = f" (from {origins[line]})" if origins[line] else ""
                leaks.append((relative, f"the protected line {line!r}{origin}"))
    return leaks


def _format_leaks(leaks, limit=20):
    shown = "\n".join(f"  {path}: {what}" for path, what in leaks[:limit])
    more = f"\n  ... and {len(leaks) - limit} more" if len(leaks) > limit else ""
    return shown + more


# ----------------------------------------------------------------------------------------------------
# Fast tests of the scanner itself: it must find a planted leak, else the slow test proves nothing.


def _fake_notebook(cells):
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _code_cell(source, **nbgrader):
    metadata = {"nbgrader": nbgrader} if nbgrader else {}
    return {"cell_type": "code", "source": source, "metadata": metadata, "outputs": [], "execution_count": None}


FAKE_SOLUTION = _fake_notebook([
    _code_cell("def log_prob(x):\n    ### BEGIN SOLUTION\n    return torch.logsumexp(log_terms, dim=1)\n"
               "    y = 1\n    ### END SOLUTION\n", solution=True, grade=False, grade_id="log_prob"),
    _code_cell("assert_close(log_prob(x), expected)\n### BEGIN HIDDEN TESTS\n"
               "assert_close(log_prob(far_away), hidden_expected)\n### END HIDDEN TESTS\n",
               grade=True, grade_id="test_log_prob", points=1),
    _code_cell("answer = 'the whole cell is the solution'\n", solution=True, grade=False, grade_id="whole"),
    _code_cell("print('this line is public everywhere')\n"),
])
FAKE_RELEASE = _fake_notebook([
    _code_cell("def log_prob(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"),
    _code_cell("assert_close(log_prob(x), expected)\n"),
    _code_cell("# YOUR CODE HERE\nraise NotImplementedError()\n"),
    _code_cell("print('this line is public everywhere')\n"),
])
LEAKED = "return torch.logsumexp(log_terms, dim=1)"


def test_secret_lines_are_the_long_solution_and_hidden_test_lines():
    secrets = secret_lines(FAKE_SOLUTION, FAKE_RELEASE)
    assert secrets == {LEAKED, "assert_close(log_prob(far_away), hidden_expected)",
                       "answer = 'the whole cell is the solution'"}


def test_secret_lines_drop_lines_the_release_also_shows():
    release = _fake_notebook(FAKE_RELEASE["cells"] + [_code_cell(f"    {LEAKED}\n")])
    assert LEAKED not in secret_lines(FAKE_SOLUTION, release)
    assert LEAKED in secret_lines(FAKE_SOLUTION, None)
    # Also when the release shows it inside a longer line (e.g. a wrapped call's last argument line).
    release = _fake_notebook(FAKE_RELEASE["cells"] + [_code_cell(f"value = ({LEAKED})\n")])
    assert LEAKED not in secret_lines(FAKE_SOLUTION, release)


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _clean_tree(root):
    _write(root / "index.html", "<html><body><p>Welcome</p><pre>print('this line is public everywhere')</pre>"
                                "</body></html>")
    _write(root / "searchindex.js", 'Search.setIndex({"terms": {"mixture": [0]}})')
    return root


def test_scan_finds_nothing_in_a_clean_tree(tmp_path):
    assert scan_built_tree(_clean_tree(tmp_path), secret_lines(FAKE_SOLUTION, FAKE_RELEASE)) == []


def test_scan_finds_a_line_split_into_highlighted_spans(tmp_path):
    tree = _clean_tree(tmp_path)
    # What Pygments makes of the leaked line inside a rendered code cell.
    highlighted = ('<div class="highlight"><pre><span></span>    <span class="k">return</span> '
                   '<span class="n">torch</span><span class="o">.</span><span class="n">logsumexp</span>'
                   '<span class="p">(</span><span class="n">log_terms</span><span class="p">,</span> '
                   '<span class="n">dim</span><span class="o">=</span><span class="mi">1</span>'
                   '<span class="p">)</span>\n</pre></div>')
    _write(tree / "book" / "chapter.html", f"<html><body>{highlighted}</body></html>")
    leaks = scan_built_tree(tree, secret_lines(FAKE_SOLUTION, FAKE_RELEASE))
    assert leaks == [("book/chapter.html", f"the protected line {LEAKED!r}")]


def test_scan_finds_html_escaped_and_json_escaped_lines(tmp_path):
    tree = _clean_tree(tmp_path)
    secret = "answer = 'the whole cell is the solution'"
    _write(tree / "page.html", "<p>answer = &#x27;the whole cell is the solution&#x27;</p>")
    _write(tree / "_sources" / "book" / "page.ipynb", json.dumps(_fake_notebook([_code_cell(secret + "\n")])))
    leaks = scan_built_tree(tree, {secret})
    assert sorted(path for path, _ in leaks) == ["_sources/book/page.ipynb", "page.html"]


def test_scan_finds_markers_and_solution_paths(tmp_path):
    tree = _clean_tree(tmp_path)
    _write(tree / "notes.html", "<p># ### BEGIN HIDDEN TESTS</p>")
    _write(tree / "_sources" / "solutions" / "hw0" / "hw0.ipynb", "{}")
    leaks = scan_built_tree(tree, set())
    assert ("notes.html", "the marker 'BEGIN HIDDEN TESTS'") in leaks
    assert ("_sources/solutions/hw0/hw0.ipynb", "a published path containing 'solutions'") in leaks


def test_repository_secrets_are_found_for_every_solution_notebook():
    notebooks = [p for p in SOLUTIONS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts]
    if not notebooks:
        pytest.skip("no solution notebooks yet")
    secrets = repository_secrets()
    origins = set(secrets.values())
    missing = [str(p.relative_to(ROOT)) for p in notebooks if str(p.relative_to(ROOT)) not in origins]
    # A solution notebook without distinctive protected lines would make the leak check vacuous for it.
    assert not missing, f"no solution or hidden-test lines found in {missing}; are the markers spelled right?"


# ----------------------------------------------------------------------------------------------------
# The real build (slow).


def _jupyter_book():
    script = Path(sys.executable).with_name("jupyter-book")
    if not script.exists():
        pytest.fail(f"jupyter-book is not installed next to {sys.executable}; run `make venv`")
    return str(script)


def _build(source_dir, output_dir):
    """Run the `make book` build of source_dir into output_dir; return the CompletedProcess."""
    environment = dict(os.environ)
    # pytest-xdist runs other workers beside this build; one torch thread per process avoids oversubscription.
    environment.setdefault("OMP_NUM_THREADS", "1")
    return subprocess.run([_jupyter_book(), *BUILD_COMMAND, "--path-output", str(output_dir), str(source_dir)],
                          capture_output=True, text=True, timeout=BUILD_TIMEOUT_SECONDS, env=environment,
                          cwd=source_dir)


def _toc_files(toc_path):
    """The documents named in a _toc.yml (root and every `file:` entry), without suffixes."""
    toc = yaml.safe_load(toc_path.read_text())
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({key: value for key, value in toc.items() if key != "root"})
    return [str(Path(name).with_suffix("")) if Path(name).suffix in {".md", ".ipynb"} else name for name in files]


@pytest.fixture(scope="module")
def built_book(tmp_path_factory):
    output_dir = tmp_path_factory.mktemp("book")
    result = _build(ROOT, output_dir)
    return result, output_dir / "_build" / "html"


@pytest.mark.slow
def test_book_builds_without_warnings(built_book):
    result, html_dir = built_book
    log = (result.stdout + result.stderr)[-6000:]
    assert result.returncode == 0, f"jupyter-book build failed (exit {result.returncode}):\n{log}"
    assert (html_dir / "index.html").exists(), f"no index.html in {html_dir}:\n{log}"


@pytest.mark.slow
def test_every_toc_page_is_published(built_book):
    _, html_dir = built_book
    pages = _toc_files(ROOT / "_toc.yml")
    assert "book/00_introduction" in pages and any(page.startswith("assignments/") for page in pages)
    missing = [page for page in pages if not (html_dir / f"{page}.html").is_file()]
    assert not missing, f"pages listed in _toc.yml without HTML: {missing}"


@pytest.mark.slow
def test_chapters_are_executed_and_assignments_are_not(built_book):
    _, html_dir = built_book
    chapter = _html_text((html_dir / "book" / "00_introduction.html").read_text(encoding="utf-8"))
    # Numbers printed by the chapter's cells (the f-strings in the source have "{...}" instead of digits).
    assert re.search(r"KL gap = \d", chapter), "the introduction's outputs are missing: was it executed?"
    assert "Traceback" not in chapter
    # Every chapter is executed here and only here (pytest does not collect book/ with nbval: see pyproject.toml).
    chapters = [page for page in _toc_files(ROOT / "_toc.yml")
                if page.startswith("book/") and (ROOT / f"{page}.ipynb").is_file()]
    assert len(chapters) >= 4, chapters
    for page in chapters:
        text = (html_dir / f"{page}.html").read_text(encoding="utf-8")
        assert re.search(r'class="[^"]*\bcell_output\b', text), f"{page}: no outputs: was it executed?"
        assert "Traceback" not in _html_text(text), f"{page}: a cell raised"
    for page in _toc_files(ROOT / "_toc.yml"):
        if page.startswith("assignments/"):
            text = (html_dir / f"{page}.html").read_text(encoding="utf-8")
            assert "cell_input" in text, f"{page}: no code cells rendered"
            executed = re.search(r'class="[^"]*\bcell_output\b', text)
            assert not executed, f"{page} has outputs: it was executed (see execute in _config.yml)"


@pytest.mark.slow
def test_no_solution_or_hidden_test_text_is_published(built_book):
    _, html_dir = built_book
    secrets = repository_secrets()
    if any(SOLUTIONS.rglob("*.ipynb")):
        assert secrets, "solution notebooks exist but no protected lines were extracted"
    leaks = scan_built_tree(html_dir, secrets)
    assert not leaks, f"instructor material in the built book ({len(leaks)} findings):\n{_format_leaks(leaks)}"


@pytest.mark.slow
def test_pages_load_no_script_from_the_network(built_book):
    """Readers offline still get the math: MathJax is served from _static (sphinx-mathjax-offline)."""
    _, html_dir = built_book
    chapter = (html_dir / "book" / "00_introduction.html").read_text(encoding="utf-8")
    assert re.search(r'<script[^>]+src="[./]*_static/mathjax/tex-chtml\.js"', chapter), "MathJax is not served locally"
    assert (html_dir / "_static" / "mathjax" / "tex-chtml.js").is_file()
    remote = {}
    for page in html_dir.rglob("*.html"):
        found = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?://[^"]+)"', page.read_text(encoding="utf-8"))
        if found:
            remote[str(page.relative_to(html_dir))] = sorted(set(found))
    assert not remote, f"pages load scripts or styles from the network: {remote}"


# The configuration must make a broken chapter fail the build (jupyter-book alone exits 0 on errors).

#: failure -> (the cell that causes it, a phrase the build log must contain).
FAILING_CELLS = {
    "raises": ("1 / 0", "ZeroDivisionError"),
    "writes_to_stderr": ("import sys\nprint('something went wrong', file=sys.stderr)", "stderr was found"),
}


@pytest.mark.slow
@pytest.mark.parametrize("failure", sorted(FAILING_CELLS))
def test_a_broken_chapter_fails_the_build(tmp_path, failure):
    cell, expected_message = FAILING_CELLS[failure]
    source = tmp_path / "source"
    (source / "book").mkdir(parents=True)
    (source / "_config.yml").write_text((ROOT / "_config.yml").read_text())
    (source / "book" / "references.bib").write_text((ROOT / "book" / "references.bib").read_text())
    (source / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n  - file: book/broken\n")
    (source / "book" / "intro.md").write_text("# A book with a broken chapter\n")
    notebook = _fake_notebook([{"cell_type": "markdown", "metadata": {}, "source": "# Broken\n"},
                               _code_cell("print('fine')\n"), _code_cell(cell)])
    notebook["metadata"] = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    (source / "book" / "broken.ipynb").write_text(json.dumps(notebook))
    result = _build(source, tmp_path / "out")
    log = result.stdout + result.stderr
    assert result.returncode != 0, f"a chapter that {failure} did not fail the build:\n{log[-3000:]}"
    assert expected_message in log, f"the build failed, but not because the chapter {failure}:\n{log[-3000:]}"
