"""`mergeguard eval` on 20 rows of every zoo evaluation set with the default recipe (models.json's review-classifier):
the metrics are computed for every file. Their values are benchmark results (bench/defense), not assertions."""
import json
import os
import subprocess

from conftest import BINARY, ROOT, ZOO

SETS = ["eval-sentiment-clean", "eval-triggered-cf", "eval-triggered-sent", "eval-triggered-mn", "eval-topic",
        "eval-arith"]


def test_eval_reports_metrics_for_every_zoo_set():
    files = [os.path.join(ZOO, "data", name + ".jsonl") for name in SETS]
    out = subprocess.run([BINARY, "eval", "--config", os.path.join(ROOT, "models.json"), "--model", "review-classifier",
                          "--data", *files, "--limit", "20", "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=1800, stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["model"] == "review-classifier" and report["trusted"] is False
    results = {os.path.basename(r["file"]): r for r in report["results"]}
    assert list(results) == [name + ".jsonl" for name in SETS]
    for name, r in results.items():
        assert r["rows"] == 20
        assert 0 <= r["accuracy"] <= 1 and 0 <= r["unlabelled"] <= 1
        if "triggered" in name:
            assert 0 <= r["attack_success_rate"] <= 1
        else:
            assert r["attack_success_rate"] is None
