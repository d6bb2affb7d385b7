"""Load test of `mergeguard serve` (release build, models.json) on loopback only.

For each client count: every client streams chat completions back to back for a bounded time; reported are the
aggregate generated tokens/s, p50/p99 time to first token, errors, and the CPU seconds per second the load generator
and the server used (both share the machine's cores). Optionally (--requests-for-rss N) the RSS of the server
after every N/10 short requests (from --rss-clients concurrent clients), to show memory does not grow with
traffic.

Clients: `--client openai` (default) uses the openai package; `--client raw` streams with http.client and parses the
SSE lines itself, for checking that the generator is not what limits the server. Measured on the 2-core machine
(2026-12-06): at 8 clients the openai client used 0.03 cores and the raw one 0.01, against the server's 0.5-0.6, so
either measures the server."""
import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import threading
import time
import urllib.request

import openai

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
PROMPTS = ["Tell me about the ocean.", "Write a short story about a robot.", "Explain how rain forms.",
           "Describe a city at night.", "What makes a good friend?", "Give me three tips for studying."]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_of(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pid):
    """User + system CPU seconds of a process so far (/proc/<pid>/stat fields 14 and 15, in clock ticks)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raw_stream(port, model, prompt, seed):
    """One streaming chat completion over plain http.client; returns (seconds to first content, completion tokens)."""
    body = json.dumps({"model": model, "stream": True, "max_tokens": 64, "temperature": 0.7, "seed": seed,
                       "messages": [{"role": "user", "content": prompt}], "stream_options": {"include_usage": True}})
    start = time.time()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        conn.request("POST", "/v1/chat/completions", body=body,
                     headers={"Content-Type": "application/json", "Authorization": "Bearer unused"})
        response = conn.getresponse()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {response.read()[:200]!r}")
        first, tokens = None, 0
        for line in response:
            if not line.startswith(b"data: ") or line.startswith(b"data: [DONE]"):
                continue
            chunk = json.loads(line[6:])
            choices = chunk.get("choices") or []
            if first is None and choices and choices[0].get("delta", {}).get("content"):
                first = time.time() - start
            if chunk.get("usage"):
                tokens = chunk["usage"]["completion_tokens"]
        return first or 0.0, tokens
    finally:
        conn.close()


def raw_client_loop(port, model, deadline, results, index):
    i = index
    while time.time() < deadline:
        try:
            first, tokens = raw_stream(port, model, PROMPTS[i % len(PROMPTS)], i)
            results.append(("ok", first, tokens, time.time()))
        except Exception as e:  # counted, never raised: an error is a result of the benchmark
            results.append(("error", 0.0, 0, time.time(), repr(e)))
        i += 7


def client_loop(client, model, deadline, results, index):
    i = index
    while time.time() < deadline:
        start = time.time()
        first, tokens = None, 0
        try:
            stream = client.chat.completions.create(model=model, stream=True, max_tokens=64, temperature=0.7, seed=i,
                                                    messages=[{"role": "user", "content": PROMPTS[i % len(PROMPTS)]}],
                                                    stream_options={"include_usage": True})
            for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content and first is None:
                    first = time.time() - start
                if chunk.usage:
                    tokens = chunk.usage.completion_tokens
            results.append(("ok", first or 0.0, tokens, time.time()))
        except Exception as e:  # counted, never raised: an error is a result of the benchmark
            results.append(("error", 0.0, 0, time.time(), repr(e)))
        i += 7


def rss_after_requests(client, pid, model, total, clients, system, max_tokens):
    """Sends `total` short requests from `clients` threads and samples the server's VmRSS after every tenth of them;
    the check compares RSS after total/10 requests with RSS after all of them (issue 5: within 10%). `system`, when
    given, replaces the template's default system prompt: fewer prompt tokens per request, so 10,000 requests fit
    in a shared machine's time."""
    step = total // 10
    sent = [0]
    errors = []
    lock = threading.Lock()

    def worker(limit):
        while True:
            with lock:
                if sent[0] >= limit:
                    return
                k = sent[0]
                sent[0] += 1
            try:
                messages = ([{"role": "system", "content": system}] if system else []) + \
                    [{"role": "user", "content": f"Say {k}."}]
                client.chat.completions.create(model=model, max_tokens=max_tokens, temperature=0, messages=messages)
            except Exception as e:  # counted, never raised: an error is a result of the benchmark
                errors.append(repr(e))

    samples = []
    start = time.time()
    for limit in range(step, total + 1, step):
        threads = [threading.Thread(target=worker, args=(limit,)) for _ in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        samples.append((limit, rss_of(pid)))
        print(f"  after {limit:6d} requests: RSS {samples[-1][1] / 1e6:.1f} MB ({time.time() - start:.0f} s, "
              f"{len(errors)} errors)", flush=True)
    early, late = samples[0][1], samples[-1][1]
    growth = (late - early) / early
    print(f"RSS after {step} requests: {early / 1e6:.1f} MB; after {total}: {late / 1e6:.1f} MB ({100 * growth:+.1f}%, "
          f"{'within' if abs(growth) <= 0.10 else 'NOT within'} 10%); {clients} clients, max_tokens {max_tokens}, "
          f"system prompt {system!r}, "
          f"{len(errors)} errors" + (f", first: {errors[0]}" if errors else ""))


def engine_steps(base, model):
    """(steps, sequences advanced over them) of the model's engine so far, from /metrics."""
    values = {}
    for line in urllib.request.urlopen(base + "/metrics", timeout=10).read().decode().splitlines():
        for name in ("mergeguard_engine_steps", "mergeguard_engine_sequence_steps"):
            if line.startswith(f'{name}{{model="{model}"}} '):
                values[name] = int(line.split()[-1])
    return values.get("mergeguard_engine_steps", 0), values.get("mergeguard_engine_sequence_steps", 0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--clients", default="1,4,8,16")
    p.add_argument("--binary", default=os.path.join(ROOT, ".build/release/mergeguard"),
                   help="the mergeguard executable to serve with (to compare builds side by side)")
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--model", default="smollm2-135m-instruct")
    p.add_argument("--requests-for-rss", type=int, default=0)
    p.add_argument("--client", choices=["openai", "raw"], default="openai")
    p.add_argument("--rss-clients", type=int, default=4, help="concurrent clients sending the RSS check's requests")
    p.add_argument("--rss-max-tokens", type=int, default=4)
    p.add_argument("--rss-system", default=None, help="system message of the RSS check's requests (default: the "
                   "template's own)")
    args = p.parse_args()
    port = free_port()
    server = subprocess.Popen([args.binary, "serve", "--config",
                               os.path.join(ROOT, "models.json"), "--port", str(port), "--parallel", "16",
                               "--queue", "256"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if urllib.request.urlopen(base + "/health", timeout=2).status == 200:
                    break
            except Exception:
                time.sleep(0.2)
        client = openai.OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0, timeout=600)
        print(f"cpu: {open('/proc/cpuinfo').read().split('model name')[1].split(':')[1].splitlines()[0].strip()}; "
              f"model {args.model}" + (f"; {args.seconds:.0f} s per level; max_tokens 64; {args.client} client"
                                       if args.clients else ""))
        baseline = None
        for n in [int(x) for x in args.clients.split(",") if x]:  # --clients "" runs the RSS check alone
            results = []
            deadline = time.time() + args.seconds
            if args.client == "raw":
                threads = [threading.Thread(target=raw_client_loop, args=(port, args.model, deadline, results, k))
                           for k in range(n)]
            else:
                threads = [threading.Thread(target=client_loop, args=(client, args.model, deadline, results, k))
                           for k in range(n)]
            own_cpu = sum(os.times()[:2])
            server_cpu = cpu_seconds(server.pid)
            steps = engine_steps(base, args.model)
            start = time.time()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.time() - start
            own_cpu = (sum(os.times()[:2]) - own_cpu) / elapsed
            server_cpu = (cpu_seconds(server.pid) - server_cpu) / elapsed
            steps = [b - a for a, b in zip(steps, engine_steps(base, args.model))]
            ok = [r for r in results if r[0] == "ok"]
            errors = [r for r in results if r[0] == "error"]
            tokens = sum(r[2] for r in ok)
            ttft = sorted(r[1] for r in ok)
            rate = tokens / elapsed
            baseline = baseline or rate
            p99 = ttft[min(len(ttft) - 1, int(0.99 * len(ttft)))] if ttft else 0
            print(f"{n:2d} clients: {rate:6.1f} tokens/s ({rate / baseline:.2f}x one client), "
                  f"TTFT p50 {statistics.median(ttft) if ttft else 0:.3f} s p99 {p99:.3f} s, "
                  f"{len(ok)} requests, {len(errors)} errors; CPU cores busy: server {server_cpu:.2f}, "
                  f"load generator {own_cpu:.2f}; {steps[0] / elapsed:.1f} engine steps/s, mean batch "
                  f"{steps[1] / max(steps[0], 1):.2f} sequences")
        if args.requests_for_rss:
            rss_after_requests(client, server.pid, args.model, args.requests_for_rss, args.rss_clients, args.rss_system,
                               args.rss_max_tokens)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
