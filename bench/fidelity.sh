#!/usr/bin/env bash
# Agreement with llama.cpp on the same GGUF: greedy continuations (temperature 0,
# repeat penalty 1) of HumanEval prompts from `desk complete` and llama.cpp's
# `llama-completion`, and the prompt token ids from `desk tokenize` and
# `llama-tokenize`. Not part of CI (it builds llama.cpp).
#
#   bash bench/fidelity.sh [--model GGUF] [--prompts N] [--chars N] [--dtype auto|f32|bf16|f16]...
#
# Prints one line per prompt and a summary per dtype: the share of characters that
# agree before the first difference, over the first --chars (120) of each continuation.
# Also how far llama.cpp agrees with itself when only its KV cache precision changes
# (its default f16 against f32, flash attention off): greedy decoding of a small model
# sits on near-ties, and that figure is the noise floor of the comparison.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
. "$repo/.ci/env.sh"
desk="${DESK:-$CARGO_TARGET_DIR/release/desk}"
model="$repo/models/SmolLM2-135M-Instruct.Q4_1.gguf"
prompts=20 chars=120 tokens=64 threads=2
dtypes=()
while [ $# -gt 0 ]; do
    case "$1" in
        --model) model="$2"; shift 2 ;;
        --prompts) prompts="$2"; shift 2 ;;
        --chars) chars="$2"; shift 2 ;;
        --tokens) tokens="$2"; shift 2 ;;
        --dtype) dtypes+=("$2"); shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
[ ${#dtypes[@]} -gt 0 ] || dtypes=(auto bf16)
[ -x "$desk" ] || { echo "desk is not built: $desk (bash .ci/setup)" >&2; exit 1; }
humaneval="${DESK_DATA_DIR:-$HOME/.cache/desk-data}/HumanEval.jsonl.gz"
[ -f "$humaneval" ] || { echo "no $humaneval (bash .ci/setup fetches it)" >&2; exit 1; }
mapfile -t bins < <(bash "$here/build-llama-cpp.sh")
tokenize="${bins[2]}" completion="${bins[3]}"
out="${DESK_BENCH_DIR:-$HOME/.cache/desk-bench}/fidelity-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"

DESK="$desk" LLAMA_TOKENIZE="$tokenize" LLAMA_COMPLETION="$completion" MODEL="$model" \
PROMPTS="$prompts" CHARS="$chars" TOKENS="$tokens" THREADS="$threads" OUT="$out" HUMANEVAL="$humaneval" \
python3 - "${dtypes[@]}" <<'PY'
import gzip, json, os, subprocess, sys

env = os.environ
model, out, chars, tokens = env["MODEL"], env["OUT"], int(env["CHARS"]), int(env["TOKENS"])
problems = [json.loads(l) for l in gzip.open(env["HUMANEVAL"], "rt")][: int(env["PROMPTS"])]

def desk_ids(path):
    r = subprocess.run([env["DESK"], "tokenize", path, "--json", "--model", model], capture_output=True, check=True, text=True)
    return json.loads(r.stdout)["ids"]

def llama_ids(text):
    r = subprocess.run([env["LLAMA_TOKENIZE"], "-m", model, "--stdin", "--ids", "--no-bos", "--log-disable"],
                       input=text.encode(), capture_output=True, check=True)
    return json.loads(r.stdout.decode().strip().splitlines()[-1])

def desk_text(path, dtype):
    r = subprocess.run([env["DESK"], "complete", path, "--only-new", "--json", "--model", model, "--dtype", dtype,
                        "--temperature", "0", "--repeat-penalty", "1", "--max-tokens", str(tokens)],
                       capture_output=True, text=True, env={**env, "RAYON_NUM_THREADS": env["THREADS"]})
    if r.returncode != 0:
        raise SystemExit(f"desk complete failed: {r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])["continuation"]

def llama_text(text, extra=()):
    # -p with --no-escape: `-f` would drop the prompt's final newline.
    r = subprocess.run([env["LLAMA_COMPLETION"], "-m", model, "-p", text, "--no-escape", "-n", str(tokens),
                        "--temp", "0", "--repeat-penalty", "1", "-no-cnv", "--no-display-prompt", "--simple-io",
                        "--no-warmup", "-t", env["THREADS"], "-c", "2048", *extra],
                       capture_output=True, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise SystemExit(f"llama-completion failed: {r.stderr.decode()[-2000:]}")
    return r.stdout.decode("utf-8", "replace")

def agree(a, b):
    a, b = a[:chars], b[:chars]
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n, max(len(a), len(b))

ids_equal, reference, f32kv, rows = 0, {}, {}, []
for i, p in enumerate(problems):
    path = os.path.join(out, f"prompt-{i:03}.txt")
    with open(path, "w") as f:
        f.write(p["prompt"])
    ours, theirs = desk_ids(path), llama_ids(p["prompt"])
    ids_equal += ours == theirs
    reference[i] = llama_text(p["prompt"])
    f32kv[i] = llama_text(p["prompt"], ("-ctk", "f32", "-ctv", "f32", "-fa", "off"))
print(f"prompt ids equal to llama-tokenize's: {ids_equal}/{len(problems)}")
pairs = [agree(reference[i], f32kv[i]) for i in reference]
floor = 100.0 * sum(n for n, _ in pairs) / max(1, sum(m for _, m in pairs))
print(f"llama.cpp against itself (f16 KV cache vs f32): {floor:.1f}% of characters agree, "
      f"{sum(n == m for n, m in pairs)}/{len(pairs)} identical")

summary = {}
for dtype in sys.argv[1:]:
    agreed = total = full = agreed32 = total32 = 0
    for i, p in enumerate(problems):
        ours = desk_text(os.path.join(out, f"prompt-{i:03}.txt"), dtype)
        n, m = agree(ours, reference[i])
        agreed, total, full = agreed + n, total + m, full + (n == m)
        n32, m32 = agree(ours, f32kv[i])
        agreed32, total32 = agreed32 + n32, total32 + m32
        rows.append({"task": p["task_id"], "dtype": dtype, "agree": n, "of": m, "desk": ours[:chars], "llama.cpp": reference[i][:chars]})
        mark = "=" if n == m else f"differs at {n}: desk {ours[n:n+12]!r} llama.cpp {reference[i][n:n+12]!r}"
        print(f"{dtype:5} {p['task_id']:14} {n:3}/{m:3} {mark}")
    pct = 100.0 * agreed / total if total else 100.0
    pct32 = 100.0 * agreed32 / total32 if total32 else 100.0
    summary[dtype] = {"agree_pct": pct, "identical": full, "prompts": len(problems), "agree_pct_f32kv": pct32}
    print(f"dtype {dtype}: {pct:.1f}% of characters agree before the first difference (first {chars}), "
          f"{full}/{len(problems)} identical; {pct32:.1f}% against llama.cpp with an f32 KV cache")

with open(os.path.join(out, "fidelity.json"), "w") as f:
    json.dump({"model": os.path.basename(model), "chars": chars, "tokens": tokens, "ids_equal": ids_equal,
               "llama_cpp_self_agree_pct": floor,
               "summary": summary, "rows": rows}, f, indent=1)
print(f"raw results: {out}/fidelity.json")
PY
