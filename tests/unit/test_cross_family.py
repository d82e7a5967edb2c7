"""The cross-family benchmark (`make bench`): the harness's --quick run, the committed table, and its renderer."""

import copy
import json
import math
import sys
from pathlib import Path

import pytest

from dgm_utils import applications
from dgm_utils.applications import cross_family

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "cross_family.json"
FAMILIES = {"autoregressive", "flow", "latent variable (VAE)", "implicit (GAN)", "energy-based", "diffusion",
            "flow matching", "baseline", "floor"}


@pytest.fixture(scope="module")
def committed():
    return applications.load_cross_family(RESULTS)


def _harness():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import cross_family as harness  # benchmarks/cross_family.py
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return harness


def test_quick_run_writes_the_committed_schema(tmp_path, committed):
    harness = _harness()
    harness.main(["--quick", "--tasks", "digits", "ring", "--only", "digits:independent", "digits:floor", "ring:made",
                  "ring:floor", "--workers", "1", "--out", str(tmp_path)])
    results = applications.load_cross_family(tmp_path / "cross_family.json")
    assert results["quick"] is True
    assert [(r["task"], r["job"]) for r in results["records"]] == [("digits", "independent"), ("digits", "floor"),
                                                                   ("ring", "made"), ("ring", "floor")]
    assert set(results) == set(committed)
    assert all(set(r) == set(committed["records"][0]) for r in results["records"])
    assert "--quick" in results["command"] and "ring:made" in results["command"]
    markdown = (tmp_path / "cross_family.md").read_text(encoding="utf-8")
    assert "independent pixels" in markdown and "## ring" in markdown


def test_only_that_selects_nothing_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="selects no job"):
        _harness().main(["--quick", "--only", "digits:no_such_model", "--out", str(tmp_path)])


def test_committed_table_has_every_family_task_and_kind(committed):
    assert committed["quick"] is False
    assert {"digits", "ring", "checkerboard"} <= set(committed["tasks"])
    for task in committed["tasks"]:
        records = [r for r in committed["records"] if r["task"] == task]
        assert sum(r["kind"] == "floor" for r in records) == 1, task
        assert all(r["seed"] == committed["seed"] for r in records)
    assert {r["family"] for r in committed["records"]} == FAMILIES
    kinds = {item["kind"] for r in committed["records"] for item in r["likelihoods"]}
    assert kinds == {"exact", "bound", "estimate"}
    for r in committed["records"]:
        if r["kind"] == "model":
            assert r["steps"] > 0 and r["train_cpu_seconds"] > 0 and r["parameters"] > 0, r["model"]


def test_committed_digits_numbers_are_plausible(committed):
    digits = {r["job"]: r for r in committed["records"] if r["task"] == "digits"}
    baseline = digits["independent"]["likelihoods"][0]["nll"]
    assert 100 < baseline < 130  # independent pixels, about 2.4 bits/dim
    for job in ("pixelcnn", "flow", "vae", "ddpm"):
        for item in digits[job]["likelihoods"]:
            assert 60 < item["nll"] < baseline, (job, item)
            assert math.isclose(item["bits_per_dim"], item["nll"] / (64 * math.log(2)), rel_tol=1e-9)
    assert digits["gan"]["likelihoods"] == [] and digits["ebm"]["likelihoods"] == []
    floor, memorizer = digits["floor"]["sample_metrics"], digits["memorizer"]["sample_metrics"]
    assert 10 < floor["frechet"] < 60 and 0.5 < floor["precision"] < 0.95
    assert memorizer["precision"] > floor["precision"] and memorizer["frechet"] < floor["frechet"]
    assert digits["memorizer"]["extra"]["copy_fraction"] > 0.9
    for job in ("pixelcnn", "flow", "vae", "gan", "ebm", "ddpm", "independent"):
        assert digits[job]["sample_metrics"]["frechet"] > floor["frechet"] / 2, job


def test_committed_toy_numbers_are_plausible(committed):
    for task, info in committed["tasks"].items():
        if info["type"] != "toy":
            continue
        records = {r["job"]: r for r in committed["records"] if r["task"] == task}
        floor = records.pop("floor")
        assert floor["likelihoods"][0]["nll"] == pytest.approx(info["entropy"])
        assert abs(floor["sample_metrics"]["mmd2_z"]) < 4
        for job, r in records.items():
            if job == "gan":
                assert r["kl"] is None and r["likelihoods"] == []
                continue
            assert r["kl"]["value"] >= -3 * r["kl"]["se"], (task, job)  # KL(p || q) >= 0 up to noise
            assert r["kl"]["value"] < 1.0, (task, job)  # the checkerboard's sharp edges cost the diffusion models most
            assert r["likelihoods"][0]["nll"] == pytest.approx(info["entropy"] + r["kl"]["value"], abs=0.05)


@pytest.mark.parametrize("corrupt, message", [
    (lambda r: r.update(schema="other/0"), "schema"),
    (lambda r: r["records"][0].pop("task"), "no field 'task'"),
    (lambda r: r["records"][0]["likelihoods"].append(dict(kind="guess", nll=1.0, method="m")), "kind in"),
    (lambda r: r["records"][0]["likelihoods"].append(dict(kind="exact", nll=float("nan"), method="m")), "finite"),
    (lambda r: r["records"][0].update(kind="winner"), "kind must be one of"),
    (lambda r: r["records"][0].update(task="imagenet"), "not in tasks"),
    (lambda r: r["records"][0]["sample_metrics"].update(frechet="low"), "finite number"),
    (lambda r: r["records"][0].update(train_cpu_seconds=-1.0), "non-negative"),
    (lambda r: r.update(records=[]), "no records"),
])
def test_renderer_refuses_a_malformed_file(committed, corrupt, message):
    broken = copy.deepcopy(committed)
    corrupt(broken)
    with pytest.raises(ValueError, match=message):
        applications.cross_family_markdown(broken, "digits")


def test_loader_reports_missing_and_invalid_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="make bench"):
        applications.load_cross_family(tmp_path / "absent.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        applications.load_cross_family(bad)
    with pytest.raises(TypeError, match="path or a dict"):
        applications.load_cross_family(3)


def test_markdown_has_one_row_per_record_and_labels_every_nll(committed):
    for task in committed["tasks"]:
        table = applications.cross_family_markdown(committed, task).splitlines()
        records = [r for r in committed["records"] if r["task"] == task]
        assert len(table) == 2 + len(records)
        for line, record in zip(table[2:], records):
            assert line.startswith(f"| {record['model']} |")
            assert line.count("(exact") + line.count("(bound") + line.count("(estimate") == len(record["likelihoods"])
    with pytest.raises(ValueError, match="task must be one of"):
        applications.cross_family_markdown(committed, "no_such_task")
    assert json.loads(RESULTS.read_text(encoding="utf-8"))["schema"] == cross_family.SCHEMA
