#!/usr/bin/env python3
"""The real `openai` client (PyPI) against `desk serve` on the demo model.

Usage: openai_client.py BASE_URL KEY  (BASE_URL like http://127.0.0.1:PORT/v1)
Run by crates/cli/tests/serve.rs; exits non-zero on the first failed check.
Only the loopback address it is given is ever contacted.
"""
import json
import sys
import threading
import time
import urllib.request

import openai

BASE, KEY = sys.argv[1], sys.argv[2]
assert BASE.startswith("http://127.0.0.1:"), BASE
ROOT = BASE.rsplit("/v1", 1)[0]


def client(**kw):
    return openai.OpenAI(base_url=BASE, api_key=kw.pop("api_key", KEY), max_retries=0, timeout=300, **kw)


def health():
    with urllib.request.urlopen(ROOT + "/health", timeout=30) as r:
        return json.loads(r.read())


def check(name, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + name + (f": {detail}" if detail else ""), flush=True)
    if not cond:
        sys.exit(1)


def refused(name, status, exc_type, call):
    try:
        call()
    except exc_type as e:
        check(name, e.status_code == status, f"{e.status_code} {e.message[:120]}")
        return e
    except openai.APIStatusError as e:
        check(name, False, f"got {type(e).__name__} {e.status_code}: {e.message[:200]}")
    check(name, False, "no error")


c = client()
models = c.models.list()
model = models.data[0].id
check("models list", len(models.data) == 1 and "SmolLM2" in model, model)

question = [{"role": "system", "content": "You are a helpful coding assistant."},
            {"role": "user", "content": "What does `print(1 + 1)` print in Python?"}]
whole = c.chat.completions.create(model=model, messages=question, max_tokens=16, temperature=0)
check("chat reply", whole.choices[0].message.content != "" and whole.choices[0].finish_reason in ("stop", "length"),
      repr(whole.choices[0].message.content))
check("chat usage", whole.usage.completion_tokens <= 16 and whole.usage.prompt_tokens > 10
      and whole.usage.total_tokens == whole.usage.prompt_tokens + whole.usage.completion_tokens, str(whole.usage))

parts, finish, usage = [], None, None
for chunk in c.chat.completions.create(model=model, messages=question, max_tokens=16, temperature=0, stream=True,
                                       stream_options={"include_usage": True}):
    if chunk.usage:
        usage = chunk.usage
    for choice in chunk.choices:
        parts.append(choice.delta.content or "")
        finish = choice.finish_reason or finish
streamed = "".join(parts)
check("streamed chat equals the whole reply (greedy)", streamed == whole.choices[0].message.content, repr(streamed))
check("streamed usage", usage is not None and usage.completion_tokens == whole.usage.completion_tokens
      and finish == whole.choices[0].finish_reason, f"{usage} {finish}")

done = c.completions.create(model=model, prompt="def add(a, b):\n", max_tokens=8, temperature=0)
check("completion", done.choices[0].text != "" and done.usage.completion_tokens <= 8 and done.usage.prompt_tokens > 3,
      repr(done.choices[0].text))

refused("wrong key -> 401", 401, openai.AuthenticationError,
        lambda: client(api_key="wrong").models.list())
refused("evil Host -> 403", 403, openai.PermissionDeniedError,
        lambda: client(default_headers={"Host": "evil.example:8677"}).models.list())
refused("evil Origin -> 403", 403, openai.PermissionDeniedError,
        lambda: client(default_headers={"Origin": "https://evil.example"}).models.list())
refused("9 MiB body -> 413", 413, openai.APIStatusError,
        lambda: c.chat.completions.create(model=model, messages=[{"role": "user", "content": "x" * (9 << 20)}]))
e = refused("prompt past the context -> 400", 400, openai.BadRequestError,
            lambda: c.chat.completions.create(model=model, messages=[{"role": "user", "content": "word " * 10000}]))
check("the 400 gives the numbers", "8192" in e.message and "tokens" in e.message, e.message[:160])

# Two streams at once: both finish, each as it would alone, one after the other.
prompts = ["Write a haiku about Rust.", "Name three sorting algorithms."]
alone = [c.chat.completions.create(model=model, messages=[{"role": "user", "content": p}], max_tokens=24,
                                   temperature=0).choices[0].message.content for p in prompts]
got, spans = [None, None], [None, None]


def stream_one(i):
    first = last = None
    text = []
    for chunk in client().chat.completions.create(model=model, messages=[{"role": "user", "content": prompts[i]}],
                                                  max_tokens=24, temperature=0, stream=True):
        for choice in chunk.choices:
            if choice.delta.content:
                now = time.monotonic()
                first = first or now
                last = now
                text.append(choice.delta.content)
    got[i], spans[i] = "".join(text), (first, last)


threads = [threading.Thread(target=stream_one, args=(i,)) for i in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join(timeout=600)
check("two concurrent streams both finish, unmixed", got == alone, repr(got))
a, b = sorted(spans)
check("queued: one stream's text all came before the other's", a[1] <= b[0], f"{spans}")

# A client that goes away mid-stream stops its generation.
before = health()["tokens_sampled"]
stream = c.chat.completions.create(model=model, messages=[{"role": "user", "content": "Count from 1 to 1000."}],
                                   max_tokens=400, temperature=0, stream=True, extra_body={"ignore_eos": True})
read = 0
for chunk in stream:
    if chunk.choices and chunk.choices[0].delta.content:
        read += 1
        if read == 3:
            break
stream.close()
deadline = time.monotonic() + 120
while health()["in_flight"] and time.monotonic() < deadline:
    time.sleep(0.05)
# Anything the engine still samples after its stream is gone shows up here.
time.sleep(1.0)
h = health()
extra = h["tokens_sampled"] - before - read
print(f"dropped client: read {read} deltas, engine sampled {h['tokens_sampled'] - before} (+{extra})", flush=True)
check("a dropped client stops its generation", h["in_flight"] == 0 and extra <= 6, str(h))

again = c.chat.completions.create(model=model, messages=question, max_tokens=16, temperature=0)
check("still serving, and the same answer", again.choices[0].message.content == whole.choices[0].message.content)
print("all checks passed")
