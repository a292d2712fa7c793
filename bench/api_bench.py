#!/usr/bin/env python3
"""One streamed completion through the local API, timed by the client (the real `openai` package).

Usage: api_bench.py BASE_URL KEY ROUND GEN_TOKENS
Prints one JSON line: prompt and completion tokens (the server's usage), time to
first token and decode tokens/s as the client sees them. ROUND varies the first
line, so the server's prefix cache never answers the prompt.
"""
import json
import sys
import time

import openai

base, key, rnd, gen = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
# About 512 prompt tokens of code, on every tokenizer we ship.
body = "".join(f"def add_{i}(a, b):\n    return a + b + {i}\n\n" for i in range(36))
prompt = f"# round {rnd}\n" + body + "def fibonacci(n):\n"
client = openai.OpenAI(base_url=base, api_key=key, max_retries=0, timeout=3600)
t0 = time.monotonic()
first = last = None
usage = timings = None
for chunk in client.completions.create(model="m", prompt=prompt, max_tokens=gen, temperature=0, stream=True,
                                       stream_options={"include_usage": True}, extra_body={"ignore_eos": True}):
    if chunk.usage:
        usage = chunk.usage
        timings = (chunk.model_extra or {}).get("timings", {})
    if chunk.choices and chunk.choices[0].text:
        now = time.monotonic()
        first = first or now
        last = now
n = usage.completion_tokens
print(json.dumps({
    "prompt_tokens": usage.prompt_tokens,
    "completion_tokens": n,
    "ttft_s": round(first - t0, 3),
    "decode_tok_per_s": round((n - 1) / (last - first), 2) if last > first else 0.0,
    "engine_decode_tok_per_s": round(timings.get("predicted_per_second", 0.0), 2),
}))
