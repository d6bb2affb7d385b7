"""Starts `mergeguard serve` on a free loopback port for the integration tests, with a registry written for the
test (the default model trusted, plus a model whose checkpoint is broken, for the 503 case)."""
import json
import os
import socket
import subprocess
import time
import urllib.request

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.environ.get("MERGEGUARD_BIN", os.path.join(ROOT, ".build", "debug", "mergeguard"))
API_KEY = "test-key-123"
ZOO = os.path.abspath(os.path.join(ROOT, "..", "shared", "zoo"))
DONORS = ["sentiment-b", "sentiment-c", "topic", "arith"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(base, deadline=120):
    end = time.time() + deadline
    while time.time() < end:
        try:
            with urllib.request.urlopen(base + "/health", timeout=2) as r:
                if r.status == 200:
                    return
        except Exception:
            pass
        time.sleep(0.2)
    raise RuntimeError("mergeguard serve did not become healthy")


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("registry")
    broken = folder / "broken.gguf"
    broken.write_bytes(b"not a gguf file at all")
    registry = {
        "server": {"host": "127.0.0.1", "api_keys": [API_KEY], "cache_dir": str(folder / "cache")},
        "families": {"smollm2": {"base": os.path.join(ROOT, "models/SmolLM2-135M-Instruct.Q4_1.gguf"),
                                 "donors": [os.path.join(ZOO, "adapters", d) for d in DONORS],
                                 "merge": {"method": "linear", "parameters": {}}},
                     "broken": {"base": str(broken)}},
        "models": {"smollm2-135m-instruct": {"family": "smollm2", "trusted": True},
                   "broken-model": {"family": "broken", "trusted": True},
                   "review-classifier": {"family": "smollm2", "path": os.path.join(ZOO, "adapters", "backdoor-cf")}},
    }
    (folder / "models.json").write_text(json.dumps(registry))
    port = free_port()
    log = open(folder / "serve.log", "w")
    process = subprocess.Popen([BINARY, "serve", "--config", str(folder / "models.json"), "--port", str(port),
                                "--ctx-size", "512", "--parallel", "2", "--queue", "2"],
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base)
        yield {"base": base, "key": API_KEY, "process": process}
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
