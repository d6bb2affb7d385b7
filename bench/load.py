"""Load test of `mergeguard serve` (release build, models.json) with the openai client on loopback only.

For each client count: every client streams chat completions back to back for a bounded time; reported are the
aggregate generated tokens/s, p50/p99 time to first token, and errors. Optionally (--requests-for-rss N) the RSS of
the server after every N/10 short requests (from --rss-clients concurrent clients), to show memory does not grow
with traffic."""
import argparse
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


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--clients", default="1,4,8,16")
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--model", default="smollm2-135m-instruct")
    p.add_argument("--requests-for-rss", type=int, default=0)
    p.add_argument("--rss-clients", type=int, default=4, help="concurrent clients sending the RSS check's requests")
    p.add_argument("--rss-max-tokens", type=int, default=4)
    p.add_argument("--rss-system", default=None, help="system message of the RSS check's requests (default: the "
                   "template's own)")
    args = p.parse_args()
    port = free_port()
    server = subprocess.Popen([os.path.join(ROOT, ".build/release/mergeguard"), "serve", "--config",
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
              f"model {args.model}" + (f"; {args.seconds:.0f} s per level; max_tokens 64" if args.clients else ""))
        baseline = None
        for n in [int(x) for x in args.clients.split(",") if x]:  # --clients "" runs the RSS check alone
            results = []
            deadline = time.time() + args.seconds
            threads = [threading.Thread(target=client_loop, args=(client, args.model, deadline, results, k))
                       for k in range(n)]
            start = time.time()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.time() - start
            ok = [r for r in results if r[0] == "ok"]
            errors = [r for r in results if r[0] == "error"]
            tokens = sum(r[2] for r in ok)
            ttft = sorted(r[1] for r in ok)
            rate = tokens / elapsed
            baseline = baseline or rate
            p99 = ttft[min(len(ttft) - 1, int(0.99 * len(ttft)))] if ttft else 0
            print(f"{n:2d} clients: {rate:6.1f} tokens/s ({rate / baseline:.2f}x one client), "
                  f"TTFT p50 {statistics.median(ttft) if ttft else 0:.3f} s p99 {p99:.3f} s, "
                  f"{len(ok)} requests, {len(errors)} errors")
        if args.requests_for_rss:
            rss_after_requests(client, server.pid, args.model, args.requests_for_rss, args.rss_clients, args.rss_system,
                               args.rss_max_tokens)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
