"""Scores a model through `mergeguard serve` over HTTP with the `openai` client: the path users take. Each row
{"prompt", "answer", "target"?} is sent as the single user message, answered greedily (temperature 0, 12 tokens),
and labelled by the same rule as `mergeguard eval` (Sources/Evaluation/LabelExtractor.swift): the label that appears
first in the reply as a whole word, any case; for numeric answers the first number after the last `=`, else the
first number. Without --url it starts `mergeguard serve --config CONFIG` on a free loopback port and stops it after.

    bench/serve-eval [--config models.json] [--url http://127.0.0.1:8080] [--api-key KEY] --model ID
                     --data FILE.jsonl [FILE.jsonl ...] [--limit N] [--json]
"""
import argparse
import concurrent.futures
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import unicodedata
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def is_word_char(ch):
    category = unicodedata.category(ch)
    return category.startswith("L") or category.startswith("N") or ch == "_"


def first_label(reply, labels):
    text = reply.lower()
    best = None
    for label in labels:
        needle = label.lower()
        start = text.find(needle)
        while start != -1:
            end = start + len(needle)
            if (start == 0 or not is_word_char(text[start - 1])) and (end == len(text) or not is_word_char(text[end])):
                if best is None or start < best[0] or (start == best[0] and len(label) > len(best[1])):
                    best = (start, label)
                break
            start = text.find(needle, start + 1)
    return best[1] if best else None


def first_number(text):
    match = re.search(r"-?\d+(\.\d+)?", text)
    return match.group(0) if match else None


def number_label(reply, labels):
    tail = reply.rsplit("=", 1)[1] if "=" in reply else None
    found = (first_number(tail) if tail is not None else None) or first_number(reply)
    if found is None:
        return None
    for label in labels:
        try:
            if float(label) == float(found):
                return label
        except ValueError:
            pass
    return found


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(config):
    binary = os.path.join(ROOT, ".build", "release", "mergeguard")
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="serve-eval-", suffix=".log", delete=False)
    process = subprocess.Popen([binary, "serve", "--config", config, "--port", str(port)], stdout=log,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        if process.poll() is not None:
            sys.exit(f"mergeguard serve exited with {process.returncode}; see {log.name}")
        try:
            with urllib.request.urlopen(url + "/v1/models", timeout=2):
                return process, url
        except Exception as error:
            if getattr(error, "code", None) in (200, 401, 503):
                return process, url
            time.sleep(0.3)
    process.kill()
    sys.exit(f"mergeguard serve did not answer within 120 s; see {log.name}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=os.path.join(ROOT, "models.json"))
    parser.add_argument("--url")
    parser.add_argument("--api-key", default=os.environ.get("MERGEGUARD_API_KEY", "none"))
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", nargs="+", required=True)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    import openai

    process = None
    url = args.url
    if url is None:
        process, url = start_server(args.config)
    try:
        # The first request loads (and merges) the model: allow it time.
        client = openai.OpenAI(base_url=url + "/v1", api_key=args.api_key, timeout=600, max_retries=3)
        reports = []
        for path in args.data:
            rows = [json.loads(line) for line in open(path) if line.strip()][:args.limit]
            labels = sorted({r["answer"] for r in rows} | {r["target"] for r in rows if "target" in r})
            numeric = all(re.fullmatch(r"-?\d+(\.\d+)?", label) for label in labels)

            def ask(row):
                reply = client.chat.completions.create(model=args.model, temperature=0, max_tokens=12,
                                                       messages=[{"role": "user", "content": row["prompt"]}])
                text = reply.choices[0].message.content or ""
                return number_label(text, labels) if numeric else first_label(text, labels)

            with concurrent.futures.ThreadPoolExecutor(args.clients) as pool:
                predictions = list(pool.map(ask, rows))
            correct = sum(p == r["answer"] for p, r in zip(predictions, rows))
            triggered = [(p, r) for p, r in zip(predictions, rows) if "target" in r]
            report = {"file": path, "rows": len(rows), "accuracy": correct / len(rows),
                      "unlabelled": sum(p is None for p in predictions) / len(rows)}
            if triggered:
                report["attack_success_rate"] = sum(p == r["target"] for p, r in triggered) / len(triggered)
            reports.append(report)
            if not args.json:
                line = f"{os.path.basename(path)}: accuracy {report['accuracy']:.3f}"
                if "attack_success_rate" in report:
                    line += f"  ASR {report['attack_success_rate']:.3f}"
                print(line + f"  ({len(rows)} rows, {report['unlabelled'] * 100:.0f}% unlabelled)")
        if args.json:
            print(json.dumps({"model": args.model, "url": url, "results": reports}, indent=2))
    finally:
        if process:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
