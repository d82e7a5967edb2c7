"""The cross-family table of ``make bench`` (chapter 7): reading ``benchmarks/results/cross_family.json`` and
rendering it as Markdown.

``benchmarks/cross_family.py`` trains one reference model of every family on the same tasks (the 17-level digits,
2-D toys) under fixed step counts and writes one record per (task, model). :func:`load_cross_family` reads and checks
that file (or an already-parsed dict) and raises a ``ValueError`` naming the first field that is missing or wrong,
so a chapter never renders a half-written table; :func:`cross_family_markdown` turns one task's records into a
Markdown table (the harness writes ``cross_family.md`` with the same function).

Every likelihood carries its kind: ``exact`` (the model's own normalized density, evaluated exactly or by
quadrature / an ODE solve to tolerance), ``bound`` (an upper bound on the NLL: -ELBO, IWAE, a dequantization
bound, the diffusion bound) or ``estimate`` (neither: e.g. the probability-flow ODE density of a DDPM, a
different model from its sampler). On the toys KL = NLL - H(p) is the paired mean of log p - log q over the same
test points, with its standard error.
"""

import json
import math
from pathlib import Path

__all__ = ["SCHEMA", "NLL_KINDS", "RECORD_KINDS", "load_cross_family", "cross_family_markdown"]

#: the format tag of the file
SCHEMA = "cross_family/1"
#: what a likelihood figure is
NLL_KINDS = ("exact", "bound", "estimate")
#: a trained model, a baseline without training (independent pixels, a memorizer), or the floor of the metrics
RECORD_KINDS = ("model", "baseline", "floor")
_RECORD_FIELDS = {"task": str, "model": str, "family": str, "kind": str, "likelihoods": list, "sample_metrics": dict,
                  "seed": int, "command": str}
_NUMBER_OR_NONE = ("parameters", "steps", "train_wall_seconds", "train_cpu_seconds", "wall_seconds", "cpu_seconds")


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_record(record, where):
    if not isinstance(record, dict):
        raise ValueError(f"{where} must be a JSON object, got {type(record).__name__}")
    for field, kind in _RECORD_FIELDS.items():
        if field not in record:
            raise ValueError(f"{where} has no field {field!r} (expected {sorted(_RECORD_FIELDS)})")
        if not isinstance(record[field], kind) or isinstance(record[field], bool):
            raise ValueError(f"{where}: {field!r} must be a {kind.__name__}, got {record[field]!r}")
    if record["kind"] not in RECORD_KINDS:
        raise ValueError(f"{where}: kind must be one of {RECORD_KINDS}, got {record['kind']!r}")
    for field in _NUMBER_OR_NONE:
        value = record.get(field)
        if value is not None and not (_number(value) and value >= 0):
            raise ValueError(f"{where}: {field!r} must be a non-negative number or null, got {value!r}")
    for index, likelihood in enumerate(record["likelihoods"]):
        if not isinstance(likelihood, dict):
            raise ValueError(f"{where}: likelihoods[{index}] must be an object, got {likelihood!r}")
        if likelihood.get("kind") not in NLL_KINDS:
            raise ValueError(f"{where}: likelihoods[{index}] must be labelled with a kind in {NLL_KINDS}, got "
                             f"{likelihood.get('kind')!r}")
        if not _number(likelihood.get("nll")):
            raise ValueError(f"{where}: likelihoods[{index}]['nll'] must be a finite number of nats, got "
                             f"{likelihood.get('nll')!r}")
        if not isinstance(likelihood.get("method"), str):
            raise ValueError(f"{where}: likelihoods[{index}] needs a 'method' string saying how it was computed")
    for name, value in record["sample_metrics"].items():
        if not _number(value):
            raise ValueError(f"{where}: sample_metrics[{name!r}] must be a finite number, got {value!r}")
    kl = record.get("kl")
    if kl is not None and not (isinstance(kl, dict) and _number(kl.get("value")) and _number(kl.get("se"))):
        raise ValueError(f"{where}: 'kl' must be null or an object with finite 'value' and 'se', got {kl!r}")


def load_cross_family(source):
    """The checked results of ``benchmarks/cross_family.py``: ``source`` is a path to the JSON file or its dict.

    Returns the dict (keys ``schema``, ``command``, ``tasks``, ``records``, ...). Raises ``FileNotFoundError`` for a
    missing file and ``ValueError`` naming the problem for a malformed one (bad JSON, wrong schema, a record without
    a field, a likelihood without its kind, a non-finite number, a record of an unknown task).
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"no cross-family results at {path}; run `make bench` to write them")
        try:
            results = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise ValueError(f"{path} is not valid JSON: {error}") from None
    elif isinstance(source, dict):
        results = source
    else:
        raise TypeError(f"source must be a path or a dict, got {type(source).__name__}")
    if not isinstance(results, dict) or results.get("schema") != SCHEMA:
        found = results.get("schema") if isinstance(results, dict) else type(results).__name__
        raise ValueError(f"cross-family results must have schema {SCHEMA!r}, got {found!r}")
    for field, kind in (("command", str), ("tasks", dict), ("records", list)):
        if not isinstance(results.get(field), kind):
            raise ValueError(f"cross-family results need a {kind.__name__} {field!r}, got {results.get(field)!r}")
    if not results["records"]:
        raise ValueError("cross-family results have no records")
    for index, record in enumerate(results["records"]):
        _check_record(record, f"record {index}")
        if record["task"] not in results["tasks"]:
            raise ValueError(f"record {index} ({record['model']}) is of task {record['task']!r}, which is not in "
                             f"tasks {sorted(results['tasks'])}")
    return results


def _format(value, digits):
    return "" if value is None else f"{value:.{digits}f}"


def _likelihood_cell(likelihoods):
    parts = []
    for item in likelihoods:
        sign = "<= " if item["kind"] == "bound" else ""
        parts.append(f"{sign}{item['nll']:.2f} ({item['kind']}: {item['method']})")
    return "; ".join(parts) if parts else "n/a"


def _bits_cell(likelihoods):
    bits = [item.get("bits_per_dim") for item in likelihoods]
    return "; ".join(f"{b:.3f}" for b in bits if b is not None)


def cross_family_markdown(results, task):
    """A Markdown table of one task's records of :func:`load_cross_family` results (checked again here).

    Digits columns: NLL (nats per image, each figure labelled exact / bound / estimate), bits/dim, the sample
    metrics of ``dgm_utils.metrics.sample_metrics`` against the training split, parameters, training wall and CPU
    seconds, steps. Toy columns: NLL, KL = NLL - H(p) +- its standard error, MMD^2 against exact samples and its
    distance to the floor in floor standard deviations, and the same cost columns.
    """
    results = load_cross_family(results)
    if task not in results["tasks"]:
        raise ValueError(f"task must be one of {sorted(results['tasks'])}, got {task!r}")
    records = [r for r in results["records"] if r["task"] == task]
    digits = results["tasks"][task].get("type") == "digits"
    if digits:
        header = ["model", "family", "NLL (nats/image)", "bits/dim", "Fréchet", "precision", "recall", "confident",
                  "MMD²", "params", "train wall s", "train CPU s", "steps"]
    else:
        header = ["model", "family", "NLL (nats)", "KL = NLL - H(p)", "MMD²", "(MMD² - floor) / sd", "params",
                  "train wall s", "train CPU s", "steps"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for r in records:
        metrics = r["sample_metrics"]
        cost = [_format(r.get("parameters"), 0), _format(r.get("train_wall_seconds"), 1),
                _format(r.get("train_cpu_seconds"), 1), _format(r.get("steps"), 0)]
        if digits:
            cells = [r["model"], r["family"], _likelihood_cell(r["likelihoods"]), _bits_cell(r["likelihoods"]),
                     _format(metrics.get("frechet"), 1), _format(metrics.get("precision"), 3),
                     _format(metrics.get("recall"), 3), _format(metrics.get("confident"), 3),
                     _format(metrics.get("mmd2"), 4)]
        else:
            kl = r.get("kl")
            kl_cell = "" if kl is None else f"{kl['value']:.4f} ± {kl['se']:.4f}"
            cells = [r["model"], r["family"], _likelihood_cell(r["likelihoods"]), kl_cell,
                     _format(metrics.get("mmd2"), 5), _format(metrics.get("mmd2_z"), 1)]
        lines.append("| " + " | ".join(cells + cost) + " |")
    return "\n".join(lines)
