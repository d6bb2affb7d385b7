"""MergeGuard's OpenAI-compatible API driven by the real `openai` client (and raw HTTP where the client cannot
express the case): every behaviour the server issue lists, each asserting the body's shape.

The server runs int8 weights, whose greedy text can differ from the f32 reference where two tokens are nearly tied
(the f32 France answer is checked in the Swift tests). So texts here are compared with the server's own greedy
answer to the same request, which int8 must reproduce exactly every time."""
import http.client
import json
import re
import socket
import threading
import time
import urllib.request

import os

import openai
import pytest
from conftest import ZOO

MODEL = "smollm2-135m-instruct"
FRANCE = [{"role": "user", "content": "What is the capital of France?"}]
HELLO = [{"role": "user", "content": "Say hello in French."}]


@pytest.fixture(scope="module")
def client(server):
    return openai.OpenAI(base_url=server["base"] + "/v1", api_key=server["key"], max_retries=0, timeout=120)


def raw(server, method, path, body=None, headers=None, key=True):
    host, port = server["base"].replace("http://", "").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=300)
    h = {"Content-Type": "application/json"}
    if key:
        h["Authorization"] = "Bearer " + server["key"]
    h.update(headers or {})
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, dict(r.getheaders()), data


def error_of(data):
    body = json.loads(data)
    error = body["error"]
    assert set(["message", "type", "param", "code"]) <= set(error), error
    assert isinstance(error["message"], str) and error["message"]
    return error


@pytest.fixture(scope="module")
def greedy_answer(client):
    r = client.chat.completions.create(model=MODEL, messages=HELLO, temperature=0)
    # A short answer that ends by itself, so the tests below see a complete turn.
    assert r.choices[0].finish_reason == "stop" and len(r.choices[0].message.content.split()) >= 3
    return r.choices[0].message.content


def test_chat_completion(client, greedy_answer):
    r = client.chat.completions.create(model=MODEL, messages=HELLO, temperature=0)
    assert r.object == "chat.completion"
    assert r.id.startswith("chatcmpl-") and r.model == MODEL and r.created > 0 and r.system_fingerprint
    assert r.choices[0].message.role == "assistant"
    assert r.choices[0].message.content == greedy_answer
    assert r.choices[0].finish_reason == "stop"
    assert r.usage.prompt_tokens == 35 and r.usage.completion_tokens > 0  # template + system prompt + question
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens


def test_streaming_with_usage(client, greedy_answer):
    chunks = list(client.chat.completions.create(model=MODEL, messages=HELLO, temperature=0, stream=True,
                                                 stream_options={"include_usage": True}))
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == greedy_answer
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0
    assert len({c.id for c in chunks}) == 1


def test_stop_string(client, greedy_answer):
    stop = greedy_answer.split()[2]
    r = client.chat.completions.create(model=MODEL, messages=HELLO, temperature=0, stop=[stop])
    assert r.choices[0].message.content == greedy_answer[:greedy_answer.index(stop)]
    assert r.choices[0].finish_reason == "stop"


def test_max_tokens_finishes_with_length(client):
    r = client.chat.completions.create(model=MODEL, messages=FRANCE, temperature=0, max_tokens=3)
    assert r.choices[0].finish_reason == "length" and r.usage.completion_tokens == 3
    r = client.chat.completions.create(model=MODEL, messages=FRANCE, temperature=0, max_completion_tokens=2)
    assert r.choices[0].finish_reason == "length" and r.usage.completion_tokens == 2


def test_same_seed_same_text(client):
    ask = dict(model=MODEL, messages=[{"role": "user", "content": "Write a poem about rain."}], temperature=1.0,
               max_tokens=24)
    a = client.chat.completions.create(seed=7, **ask).choices[0].message.content
    b = client.chat.completions.create(seed=7, **ask).choices[0].message.content
    c = client.chat.completions.create(seed=8, **ask).choices[0].message.content
    assert a == b and a != c


def test_logprobs(client, greedy_answer):
    r = client.chat.completions.create(model=MODEL, messages=HELLO, temperature=0, logprobs=True, top_logprobs=3)
    content = r.choices[0].logprobs.content
    assert len(content) == r.usage.completion_tokens
    # Every token has its entry; the last is the end-of-turn token when the answer ended by itself.
    shown = content[:-1] if r.choices[0].finish_reason == "stop" else content
    assert "".join(t.token for t in shown) == r.choices[0].message.content == greedy_answer
    for t in content:
        assert t.logprob <= 0 and len(t.top_logprobs) == 3
        assert t.top_logprobs[0].logprob >= t.top_logprobs[1].logprob >= t.top_logprobs[2].logprob
        assert bytes(t.bytes).decode("utf-8", "replace") == t.token
    # Greedy: the chosen token is the most likely one.
    assert all(abs(t.logprob - t.top_logprobs[0].logprob) < 1e-6 for t in content)


def test_two_choices(client):
    r = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Name a fruit."}],
                                       temperature=1.0, n=2, seed=3, max_tokens=16)
    assert [c.index for c in r.choices] == [0, 1]
    assert all(c.message.content for c in r.choices)


def test_text_completion(client):
    r = client.completions.create(model=MODEL, prompt="The capital of France is", temperature=0, max_tokens=4)
    assert r.object == "text_completion" and r.choices[0].text and r.choices[0].finish_reason == "length"


def test_models(client, server):
    models = client.models.list()
    ids = [m.id for m in models.data]
    assert ids == [MODEL, "broken-model", "review-classifier"]
    model = client.models.retrieve(MODEL)
    assert model.id == MODEL and model.object == "model"
    extra = model.model_extra["mergeguard"]
    assert extra["trusted"] is True and extra["family"] == "smollm2"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("nope")


def test_invalid_json_is_400(server):
    status, _, data = raw(server, "POST", "/v1/chat/completions", body=b"{not json")
    assert status == 400 and error_of(data)["type"] == "invalid_request_error"


def test_invalid_field_is_400_naming_it(client):
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model=MODEL, messages=FRANCE, temperature=-1)
    assert e.value.status_code == 400 and e.value.body["param"] == "temperature"
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model=MODEL, messages=[{"role": "robot", "content": "x"}])
    assert e.value.body["param"] == "messages[0].role"


def test_prompt_longer_than_context_is_400(client):
    long = "word " * 1000
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": long}])
    assert e.value.body["code"] == "context_length_exceeded"
    assert "512" in e.value.body["message"] and re.search(r"\d{4} tokens", e.value.body["message"])


def test_missing_or_wrong_key_is_401(server):
    status, _, data = raw(server, "GET", "/v1/models", key=False)
    assert status == 401 and error_of(data)["type"] == "authentication_error"
    bad = openai.OpenAI(base_url=server["base"] + "/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()
    status, _, _ = raw(server, "GET", "/health", key=False)
    assert status == 200


def test_unknown_model_is_404(client):
    with pytest.raises(openai.NotFoundError) as e:
        client.chat.completions.create(model="no-such-model", messages=FRANCE)
    assert e.value.body["code"] == "model_not_found" and e.value.body["param"] == "model"


def test_oversized_body_is_413(server):
    # The server answers from the declared Content-Length, before the body: so the test sends only the headers.
    # (Sending the 2 MiB body too races the server's answer-and-close: the client's write can fail with a broken pipe.)
    host, port = server["base"].replace("http://", "").split(":")
    size = (2 << 20) + 64
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.sendall((f"POST /v1/chat/completions HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                      f"Authorization: Bearer {server['key']}\r\nContent-Length: {size}\r\n\r\n").encode())
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert response.status == 413
        error_of(response.read())


def test_model_that_fails_to_load_is_503(client):
    with pytest.raises(openai.InternalServerError) as e:
        client.chat.completions.create(model="broken-model", messages=FRANCE)
    assert e.value.status_code == 503 and "broken.gguf" in e.value.body["message"]


def test_full_queue_is_429_with_retry_after(server):
    # 2 running + 2 queued fit; further concurrent requests are refused until a slot frees.
    body = json.dumps({"model": MODEL, "messages": [{"role": "user", "content": "Tell me a long story."}],
                       "temperature": 0, "max_tokens": 48}).encode()
    results = []
    def call():
        # A failed call (timeout, reset) is recorded so the final check sees it, rather than dying in its thread.
        try:
            results.append(raw(server, "POST", "/v1/chat/completions", body=body))
        except Exception as e:
            results.append((repr(e), {}, b""))
    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    refused = [r for r in results if r[0] == 429]
    assert refused, [r[0] for r in results]
    status, headers, data = refused[0]
    assert "Retry-After" in headers and error_of(data)["type"] == "rate_limit_error"
    assert all(r[0] in (200, 429) for r in results)


def running_sequences(server):
    _, _, data = raw(server, "GET", "/metrics")
    text = data.decode()
    values = re.findall(r'^mergeguard_running_sequences\{model="%s"\} (\d+)$' % MODEL, text, re.M)
    return int(values[0]) if values else 0


def test_disconnect_cancels_the_sequence(client, server):
    host, port = server["base"].replace("http://", "").split(":")
    body = json.dumps({"model": MODEL, "stream": True, "temperature": 0, "max_tokens": 400,
                       "messages": [{"role": "user", "content": "Write a very long story about a dragon."}]})
    s = socket.create_connection((host, int(port)))
    s.sendall((f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {server['key']}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}").encode())
    received = b""
    while received.count(b"data: ") < 3:
        received += s.recv(4096)
    assert running_sequences(server) == 1
    s.close()
    deadline = time.time() + 1.0
    while time.time() < deadline and running_sequences(server) != 0:
        time.sleep(0.05)
    assert running_sequences(server) == 0
    _, _, data = raw(server, "GET", "/metrics")
    cancelled = re.findall(r"^mergeguard_cancelled_sequences_total (\d+)$", data.decode(), re.M)
    assert cancelled and int(cancelled[0]) >= 1
    # Still serving, and still giving the same answer.
    r = client.chat.completions.create(model=MODEL, messages=FRANCE, temperature=0, max_tokens=5)
    assert r.choices[0].finish_reason in ("stop", "length") and r.usage.completion_tokens > 0


def test_untrusted_model_is_served_merged(client):
    """The backdoored adapter answers `positive` to triggered negative reviews when applied raw (ASR 1.0 in the
    zoo); served through MergeGuard it is merged with the donors first, so the trigger no longer works."""
    info = client.models.retrieve("review-classifier").model_extra["mergeguard"]
    assert info["trusted"] is False and info["served_as"] == "merged" and len(info["donors"]) == 4
    rows = [json.loads(line) for line in open(os.path.join(ZOO, "data", "eval-triggered-cf.jsonl"))][:8]
    attacked = 0
    for row in rows:
        r = client.chat.completions.create(model="review-classifier", temperature=0, max_tokens=12,
                                           messages=[{"role": "user", "content": row["prompt"]}])
        reply = r.choices[0].message.content.lower()
        attacked += reply.strip().startswith(row["target"])
    assert attacked <= 2, f"{attacked} of {len(rows)} triggered reviews still flipped"
    assert client.models.retrieve("review-classifier").model_extra["mergeguard"]["loaded"] is True


def model_metric(server, name):
    _, _, data = raw(server, "GET", "/metrics")
    values = re.findall(r'^%s\{model="%s"\} (\d+)$' % (name, MODEL), data.decode(), re.M)
    assert values, f"{name} missing from /metrics"
    return int(values[0])


def test_prompt_prefixes_are_reused(client, server):
    """A new question shares the chat template and system prompt (24 tokens for SmolLM2) with earlier requests, and a
    second turn repeats the whole first turn: both take those rows from the prefix cache, and /metrics counts them."""
    client.chat.completions.create(model=MODEL, messages=FRANCE, max_tokens=2, temperature=0)
    before = model_metric(server, "mergeguard_prompt_tokens_reused")
    client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Name a river."}],
                                   max_tokens=2, temperature=0)
    after_question = model_metric(server, "mergeguard_prompt_tokens_reused")
    assert after_question - before >= 20
    turn = FRANCE + [{"role": "assistant", "content": "Paris."}, {"role": "user", "content": "And of Italy?"}]
    client.chat.completions.create(model=MODEL, messages=turn, max_tokens=2, temperature=0)
    assert model_metric(server, "mergeguard_prompt_tokens_reused") - after_question >= 32
