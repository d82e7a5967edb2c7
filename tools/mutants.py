"""Mutation analysis of an assignment's hidden tests: how many small bugs in the solution do the tests catch?

    python -m tools.mutants ASSIGNMENT [--workers N] [--cells a,b] [--only ID ...] [--limit N] [--timeout S]
                                       [--min-score F] [--report PATH] [--survivors PATH] [--list]
    python -m tools.mutants ASSIGNMENT --rescore REPORT   (count an earlier report again, after editing the list)
    make mutants ASSIGNMENT=hw0_mle [MUTANT_WORKERS=N]

1. Every solution cell of solutions/ASSIGNMENT/ASSIGNMENT.ipynb (nbgrader `solution: true`) is mutated by
   tools/mutations.py: one small change per mutant (operators, signs, dropped terms, off-by-one indices, swapped
   arguments, constants, reduction axes, `.detach()`, removed math functions, flipped booleans), inside the
   solution regions only. Each mutant has a stable id, ``<grade_id>:<operator>:<line>:<column>:<hash>``.
2. The notebook's code cells are taken in order up to its last test cell (markdown skipped; cells after the last
   test cannot change a grade): solution cells without their marker lines, hidden tests included. A pool of
   worker processes (tools/mutant_worker.py; default: one per CPU core) imports torch once; each mutant runs all
   these cells in a fresh namespace with its cell substituted. The unmutated notebook runs first: if a test fails
   there, nothing else runs (exit status 2).
3. A mutant is *killed* when a test cell (nbgrader `grade: true`) raises or writes to stderr, when another cell
   raises, when its worker dies, or when it runs past the timeout (default: 3 x the baseline + 30 s; the worker is
   then replaced). It stops at its first failing cell. Otherwise it *survived*.
4. Mutants with the same behaviour as the solution are listed, each with the reason, in
   tests/mutants/ASSIGNMENT.toml (format: tests/mutants/README.md). They do not count. A listed id that no longer
   exists is reported as stale; a listed mutant that was killed is reported too (the listing is wrong, or a test
   fails a program that behaves like the solution).

Mutation score = killed / (mutants - listed equivalents). A summary goes to stdout, the full result to `--report`
(JSON, default mutants_ASSIGNMENT.json in the current folder). Exit status: 0 when the score is at least
`--min-score` (default 0.95; use 1 to require every unlisted mutant killed), 1 below it, 2 when the baseline fails
or the input is wrong (unknown assignment, cell or id; a malformed equivalents file).
"""

import argparse
import json
import multiprocessing
import sys
import time
import tomllib
from collections import Counter, deque
from dataclasses import asdict
from multiprocessing.connection import wait
from pathlib import Path

from . import mutant_worker
from .cells import grade_id, is_test_cell, nbgrader_metadata, strip_solution_markers
from .course import ROOT, SOURCE_DIRECTORY, assignments_in_source, cpu_cores
from .mutations import generate

EQUIVALENTS_DIRECTORY = ROOT / "tests" / "mutants"
DEFAULT_MIN_SCORE = 0.95
STARTUP_TIMEOUT = 300  # seconds for a worker to import torch on a busy machine


def equivalents_path(assignment):
    return EQUIVALENTS_DIRECTORY / f"{assignment}.toml"


def load_equivalents(path):
    """{mutant id: reason} from an equivalents file ({} when there is none); ValueError when it is malformed."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{path}: not valid TOML: {error}") from None
    unknown = set(data) - {"equivalent"}
    if unknown:
        raise ValueError(f"{path}: unknown top-level keys {sorted(unknown)} (only [[equivalent]] tables)")
    listed = {}
    for number, entry in enumerate(data.get("equivalent", []), 1):
        if not isinstance(entry, dict) or set(entry) != {"id", "reason"}:
            raise ValueError(f"{path}: entry {number} must have exactly the keys id and reason, got {entry!r}")
        if not isinstance(entry["reason"], str) or not entry["reason"].strip():
            raise ValueError(f"{path}: entry {number} ({entry['id']}) needs a non-empty reason")
        if entry["id"] in listed:
            raise ValueError(f"{path}: {entry['id']} is listed twice")
        listed[entry["id"]] = entry["reason"].strip()
    return listed


def load_notebook(assignment, root=ROOT):
    """(cells, solutions): the code cells to run, as (name, source, is_test), up to the last test cell; and
    {index in cells: (grade_id, source as stored)} of the solution cells."""
    path = Path(root) / SOURCE_DIRECTORY / assignment / f"{assignment}.ipynb"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    last_test = max((i for i, cell in enumerate(code) if is_test_cell(cell)), default=-1)
    cells, solutions = [], {}
    for index, cell in enumerate(code[:last_test + 1]):
        source = "".join(cell["source"])
        name = grade_id(cell) or f"cell{index}"
        if nbgrader_metadata(cell).get("solution", False):
            solutions[index] = (name, source)
        cells.append((name, strip_solution_markers(source), is_test_cell(cell)))
    return cells, solutions


def all_mutants(solutions):
    """The mutants of every solution cell, in notebook order, each with the index of its cell."""
    return [(index, mutant) for index, (name, source) in solutions.items() for mutant in generate(source, name)]


class _Workers:
    """Worker processes of tools/mutant_worker.py; a worker that hangs or dies is replaced."""

    def __init__(self, count, cells, memory_gb):
        self.context = multiprocessing.get_context("spawn")
        self.cells, self.memory_gb = cells, memory_gb
        self.slots = [self._start() for _ in range(count)]

    def _start(self):
        ours, theirs = self.context.Pipe()
        process = self.context.Process(target=mutant_worker.main, args=(theirs, self.cells, self.memory_gb),
                                       daemon=True)
        process.start()
        theirs.close()
        return {"process": process, "connection": ours, "ready": False, "job": None, "started": time.monotonic()}

    def replace(self, slot):
        slot["process"].kill()
        slot["process"].join()
        slot["connection"].close()
        slot.update(self._start())

    def close(self):
        for slot in self.slots:
            try:
                slot["connection"].send(None)
            except OSError:
                pass
        for slot in self.slots:
            slot["process"].join(timeout=5)
            if slot["process"].is_alive():
                slot["process"].kill()


def run_jobs(workers, jobs, timeout, on_result):
    """Run jobs [(job_id, replaced)] on the workers; on_result(job_id, result) as each ends (any order)."""
    pending, left = deque(jobs), len(jobs)
    while left:
        for slot in workers.slots:
            if slot["ready"] and slot["job"] is None and pending:
                slot["job"] = pending.popleft()
                slot["started"] = time.monotonic()
                slot["connection"].send(slot["job"])
        busy = [s for s in workers.slots if s["job"] is not None or not s["ready"]]
        now = time.monotonic()
        deadlines = [s["started"] + (timeout if s["ready"] else STARTUP_TIMEOUT) - now for s in busy]
        waited = {s["connection"]: s for s in busy} | {s["process"].sentinel: s for s in busy}
        for handle in wait(list(waited), timeout=max(0.05, min(deadlines, default=1))):
            slot = waited[handle]
            if handle is slot["connection"] and slot["connection"].poll():
                try:
                    message = slot["connection"].recv()
                except EOFError:
                    message = None
                if message is not None and message[0] == "ready":
                    slot["ready"] = True
                    continue
                if message is not None and slot["job"] is not None and message[0] == slot["job"][0]:
                    job_id, slot["job"] = slot["job"][0], None
                    left -= 1
                    on_result(job_id, message[1])
                    continue
            if not slot["process"].is_alive():
                _lost(workers, slot, "crashed", f"the worker died (exit code {slot['process'].exitcode})",
                      on_result)
                left -= slot.pop("lost")
        for slot in workers.slots:
            limit = timeout if slot["ready"] else STARTUP_TIMEOUT
            if (slot["job"] is not None or not slot["ready"]) and time.monotonic() - slot["started"] > limit:
                _lost(workers, slot, "timeout", f"ran longer than {limit:.0f} s", on_result)
                left -= slot.pop("lost")


def _lost(workers, slot, status, reason, on_result):
    """A worker that died or hung: its job (if any) ends with `status`; a worker that never started is fatal."""
    job, ready = slot["job"], slot["ready"]
    workers.replace(slot)
    slot["lost"] = 0
    if not ready:
        raise RuntimeError(f"a mutant worker could not start ({reason}); try: python -c 'import torch, dgm_utils'")
    if job is not None:
        slot["lost"] = 1
        on_result(job[0], {"status": status, "reason": reason})


def _survivor_text(entry):
    return f"{entry['id']}\n    original: {entry['original'].strip()}\n    mutated:  {entry['mutated'].strip()}\n"


def select(mutants, *, cells=None, only=None, limit=None, names=()):
    """The mutants [(cell index, Mutant)] of the given cells, or with the given ids, at most `limit` (spread out)."""
    if cells:
        unknown = set(cells) - set(names)
        if unknown:
            raise ValueError(f"not a solution cell: {', '.join(sorted(unknown))} (solution cells: "
                             f"{', '.join(sorted(names))})")
        mutants = [(i, m) for i, m in mutants if m.cell in cells]
    if only:
        unknown = set(only) - {m.id for _, m in mutants}
        if unknown:
            raise ValueError(f"no such mutant: {', '.join(sorted(unknown))} (--list prints them)")
        mutants = [(i, m) for i, m in mutants if m.id in only]
    if limit is not None and limit < len(mutants):  # spread over the cells rather than the first few lines
        mutants = [mutants[round(k * len(mutants) / limit)] for k in range(limit)]
    return mutants


def run_mutants(cells, mutants, *, workers=None, timeout=None, memory_gb=4, log=print):
    """Run the baseline, then (if it passes) every mutant [(cell index, Mutant)] on the notebook's `cells`.
    Returns (baseline result, {mutant id: result}, the timeout used)."""
    count = workers or cpu_cores()
    pool = _Workers(min(count, max(1, len(mutants))), cells, memory_gb)
    results = {}
    try:
        run_jobs(pool, [("baseline", {})], STARTUP_TIMEOUT + 600, lambda job, result: results.update(baseline=result))
        baseline = results.pop("baseline")
        if baseline["status"] != "passed":
            return baseline, {}, None
        limit_seconds = timeout or 3 * baseline["seconds"] + 30
        log(f"baseline passed in {baseline['seconds']:.1f} s; {len(mutants)} mutants on {len(pool.slots)} workers, "
            f"timeout {limit_seconds:.0f} s each")

        def on_result(job_id, result):
            results[job_id] = result
            shown = {"passed": "survived", "failed": "killed"}.get(result["status"], result["status"])
            where = f" by {result['cell']}" if result.get("cell") else ""
            log(f"[{len(results):4d}/{len(mutants)}] {shown:8s} {job_id}{where}"
                f" ({result.get('seconds', limit_seconds):.1f} s)")

        run_jobs(pool, [(mutant.id, {index: strip_solution_markers(mutant.source)}) for index, mutant in mutants],
                 limit_seconds, on_result)
    finally:
        pool.close()
    return baseline, results, limit_seconds


def _listing(entry, listed):
    """Mark a report entry as listed (equivalent, if it survived) or not, from the equivalents {id: reason}."""
    entry.pop("equivalent_reason", None)
    entry["listed"] = entry["id"] in listed
    if entry["status"] == "equivalent":
        entry["status"] = "survived"
    if entry["listed"]:
        entry["equivalent_reason"] = listed[entry["id"]]
        if entry["status"] == "survived":
            entry["status"] = "equivalent"
    return entry


def entries_of(mutants, results, listed):
    """One report entry per mutant: what it is, its status and, for a killed one, which cell killed it and why."""
    entries = []
    for _, mutant in mutants:
        result = results[mutant.id]
        entry = asdict(mutant)
        del entry["source"]
        status = {"passed": "survived", "failed": "killed"}.get(result["status"], result["status"])
        entry.update(description=mutant.description, status=status, killed_by=result.get("cell"),
                     reason=result.get("reason"), seconds=result.get("seconds"))
        entries.append(_listing(entry, listed))
    return entries


def rescore(report, listed, generated):
    """The report of an earlier run, counted again with another list of equivalents (nothing is run)."""
    entries = [_listing(dict(entry), listed) for entry in report["mutants"]]
    return summarize(report["assignment"], entries, listed, generated, report["baseline"], report["timeout"],
                     report["seconds"], partial=report["partial"])


def analyse(assignment, *, workers=None, cells=None, only=None, limit=None, timeout=None, equivalents=None,
            memory_gb=4, log=print):
    """Run the mutation analysis of an assignment; return the report (a dict, as written to --report)."""
    started = time.monotonic()
    notebook_cells, solutions = load_notebook(assignment)
    every = all_mutants(solutions)
    listed = load_equivalents(equivalents_path(assignment) if equivalents is None else equivalents)
    mutants = select(every, cells=cells, only=only, limit=limit, names=[name for name, _ in solutions.values()])
    log(f"{assignment}: {len(mutants)} of the {len(every)} mutants of {len(solutions)} solution cells; "
        f"{len(set(listed) & {m.id for _, m in mutants})} of them listed as equivalent")
    baseline, results, timeout = run_mutants(notebook_cells, mutants, workers=workers, timeout=timeout,
                                             memory_gb=memory_gb, log=log)
    if baseline["status"] != "passed":
        return {"assignment": assignment, "baseline": baseline, "error": "the unmutated notebook fails its tests"}
    return summarize(assignment, entries_of(mutants, results, listed), listed, {m.id for _, m in every}, baseline,
                     timeout, time.monotonic() - started, partial=bool(cells or only or limit is not None))


def summarize(assignment, entries, listed, generated, baseline, timeout, seconds, partial=False):
    statuses = Counter(e["status"] for e in entries)
    unlisted = [e for e in entries if not e["listed"]]
    killed = sum(e["status"] in ("killed", "timeout", "crashed") for e in unlisted)
    counts = {"total": len(entries), "killed": killed, "survived": statuses["survived"],
              "equivalent": sum(e["listed"] for e in entries), "timeouts": statuses["timeout"],
              "crashed": statuses["crashed"]}
    return {"assignment": assignment, "partial": partial, "seconds": round(seconds, 1), "timeout": timeout,
            "baseline": baseline, "counts": counts, "score": killed / len(unlisted) if unlisted else 1.0,
            "survivors": [e["id"] for e in entries if e["status"] == "survived"],
            "stale_equivalents": sorted(set(listed) - generated),
            "listed_but_killed": [e["id"] for e in entries if e["listed"] and e["status"] != "equivalent"],
            "mutants": entries}


def print_summary(report, out=sys.stdout):
    def say(text=""):
        print(text, file=out)
    by_id = {e["id"]: e for e in report["mutants"]}
    if report["survivors"]:
        say(f"\nSurviving mutants ({len(report['survivors'])}): no test fails on them.")
        for mutant_id in report["survivors"]:
            say(_survivor_text(by_id[mutant_id]))
    for mutant_id in report["listed_but_killed"]:
        entry = by_id[mutant_id]
        say(f"warning: {mutant_id} is listed as equivalent but was killed by {entry['killed_by']} "
            f"({entry['reason']}): the listing is wrong, or that test fails a program that behaves like the solution")
    for mutant_id in report["stale_equivalents"]:
        say(f"warning: {mutant_id} is listed as equivalent but is no longer generated (stale; remove it)")
    c = report["counts"]
    by_cell = Counter((e["killed_by"] or "-") for e in report["mutants"] if e["status"] == "killed")
    say("\nkilled by: " + ", ".join(f"{cell} {n}" for cell, n in by_cell.most_common()))
    say(f"{report['assignment']}{' (partial run)' if report['partial'] else ''}: {c['total']} mutants, "
        f"{c['killed']} killed ({c['timeouts']} by timeout, {c['crashed']} crashed), {c['survived']} survived, "
        f"{c['equivalent']} listed as equivalent; mutation score {report['score']:.3f}; {report['seconds']:.0f} s")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tools.mutants", description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment", help="assignment name, e.g. hw0_mle")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: CPU cores)")
    parser.add_argument("--cells", type=lambda text: [c for c in text.split(",") if c],
                        help="only the mutants of these solution cells (grade ids, comma-separated)")
    parser.add_argument("--only", action="append", metavar="ID", help="only this mutant (repeatable)")
    parser.add_argument("--limit", type=int, help="at most N mutants, spread over the cells")
    parser.add_argument("--timeout", type=float, help="seconds per mutant (default: 3 x baseline + 30)")
    parser.add_argument("--memory-gb", type=float, default=4, help="address-space limit per worker (0: none)")
    parser.add_argument("--min-score", type=float, default=DEFAULT_MIN_SCORE, help="exit 1 below this score")
    parser.add_argument("--equivalents", help="equivalents file (default: tests/mutants/ASSIGNMENT.toml)")
    parser.add_argument("--report", help="JSON report (default: mutants_ASSIGNMENT.json)")
    parser.add_argument("--survivors", help="also write the survivors as text to this file")
    parser.add_argument("--list", action="store_true", help="print the mutants without running them")
    parser.add_argument("--rescore", metavar="REPORT", help="count an earlier JSON report again with the current "
                                                             "equivalents file (runs nothing; rewrites REPORT)")
    args = parser.parse_args(argv)
    if args.assignment not in assignments_in_source():
        parser.error(f"no assignment {args.assignment!r} in {SOURCE_DIRECTORY}/ "
                     f"(there: {', '.join(assignments_in_source())})")
    if args.list:
        for _, mutant in all_mutants(load_notebook(args.assignment)[1]):
            print(f"{mutant.id}\n    {mutant.original.strip()}\n ->  {mutant.mutated.strip()}")
        return 0
    try:
        if args.rescore:
            earlier = json.loads(Path(args.rescore).read_text(encoding="utf-8"))
            if earlier.get("assignment") != args.assignment or "error" in earlier:
                raise ValueError(f"{args.rescore} is not a finished report of {args.assignment}")
            generated = {m.id for _, m in all_mutants(load_notebook(args.assignment)[1])}
            listed = load_equivalents(args.equivalents or equivalents_path(args.assignment))
            report = rescore(earlier, listed, generated)
            args.report = args.report or args.rescore
        else:
            report = analyse(args.assignment, workers=args.workers, cells=args.cells, only=args.only,
                             limit=args.limit, timeout=args.timeout, equivalents=args.equivalents,
                             memory_gb=args.memory_gb)
    except (ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    path = Path(args.report or f"mutants_{args.assignment}.json")
    path.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    if "error" in report:
        baseline = report["baseline"]
        print(f"\nerror: {report['error']}: cell {baseline.get('cell')} failed: {baseline.get('reason')}\n"
              f"{baseline.get('output', '')}\nFix the solution or the tests first; no mutant was run.")
        return 2
    print_summary(report)
    if args.survivors:
        Path(args.survivors).write_text("".join(_survivor_text(e) for e in report["mutants"]
                                                if e["status"] == "survived"), encoding="utf-8")
    print(f"report: {path}")
    return 0 if report["score"] >= args.min_score else 1


if __name__ == "__main__":
    sys.exit(main())
