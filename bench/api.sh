#!/usr/bin/env bash
# Decode speed through the local API (`desk serve`, streamed, timed by the real
# openai client) against `desk bench` on the same model, alternating rounds on
# one machine. Prints figures; asserts nothing (machines are noisy).
#   bash bench/api.sh [MODEL.gguf]   (ROUNDS=3 GEN=128 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/env.sh
model=${1:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
rounds=${ROUNDS:-3}
gen=${GEN:-128}
desk="$CARGO_TARGET_DIR/release/desk"
export PYTHONPATH="$HOME/.cache/desk-py/openai"
data=$(mktemp -d)
DESK_DATA_DIR="$data" "$desk" serve --model "$model" --port 0 >"$data/url" 2>"$data/log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 600); do [ -s "$data/url" ] && break; sleep 0.5; done
url=$(head -1 "$data/url"); key=$(cat "$data/api-key")
echo "model $(basename "$model"), $gen tokens per round, $rounds rounds; server at $url"
api=(); engine=(); direct=()
for r in $(seq "$rounds"); do
  a=$(python3 bench/api_bench.py "$url" "$key" "$r" "$gen")
  p=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["prompt_tokens"])' "$a")
  b=$("$desk" bench --model "$model" --prompt-tokens "$p" --gen-tokens "$gen" --json 2>/dev/null)
  ar=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["decode_tok_per_s"])' "$a")
  er=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["engine_decode_tok_per_s"])' "$a")
  br=$(python3 -c 'import json,sys; print(round(json.loads(sys.argv[1])["decode_tok_per_s"], 2))' "$b")
  echo "round $r: prompt $p tokens; decode through the API $ar tok/s at the client ($er in the engine), desk bench $br tok/s"
  api+=("$ar"); engine+=("$er"); direct+=("$br")
done
python3 - "${api[*]}" "${engine[*]}" "${direct[*]}" <<'PY'
import statistics, sys
api, engine, direct = ([float(x) for x in arg.split()] for arg in sys.argv[1:4])
a, e, d = statistics.median(api), statistics.median(engine), statistics.median(direct)
print(f"median decode: API at the client {a:.2f} tok/s, in the engine {e:.2f}, desk bench {d:.2f}"
      f" -> client/bench {a / d:.3f} (overhead {100 * (1 - a / d):+.1f}%), engine/bench {e / d:.3f}")
PY
