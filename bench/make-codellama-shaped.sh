#!/usr/bin/env bash
# Makes $DESK_BENCH_DIR/codellama-7b-shaped.Q4_K_M.gguf (default dir $HOME/.cache/desk-bench):
# a Code Llama 7B Instruct-shaped GGUF with random weights, written in F16 by
# make-codellama-shaped.py (llama.cpp's gguf-py), quantized by llama-quantize, then
# checked with `desk models inspect`. Idempotent: an existing output is only re-checked.
# Needs ~14 GB free disk for the transient F16 file (deleted afterwards).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
dir="${DESK_BENCH_DIR:-$HOME/.cache/desk-bench}"
out="$dir/codellama-7b-shaped.Q4_K_M.gguf"
f16="$dir/codellama-7b-shaped.f16.gguf"
desk="${DESK_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/desk-target}/release/desk}"
log() { echo "[make-codellama-shaped] $*" >&2; }

mapfile -t bins < <(bash "$here/build-llama-cpp.sh")
quantize="${bins[1]}"
gguf_py="$(ls -d "$dir"/llama-cpp-python-*/vendor/llama.cpp/gguf-py | tail -1)"

if [ ! -f "$out" ]; then
    venv="$dir/venv"
    if [ ! -x "$venv/bin/python" ]; then
        log "creating $venv (numpy, pyyaml)"
        python3 -m venv "$venv"
    fi
    if ! "$venv/bin/python" -c "import numpy, yaml" 2>/dev/null; then
        "$venv/bin/python" -m pip install --quiet numpy pyyaml >&2
    fi
    if [ ! -f "$f16" ]; then
        log "writing $f16 (random weights, ~13.5 GB)"
        nice -n 10 "$venv/bin/python" "$here/make-codellama-shaped.py" --gguf-py "$gguf_py" --out "$f16"
    fi
    log "quantizing to Q4_K_M with $quantize"
    nice -n 10 "$quantize" "$f16" "$out.partial" Q4_K_M "${JOBS:-2}" >&2
    mv "$out.partial" "$out"
    rm -f "$f16"
fi

log "checking $out with desk models inspect"
if [ -x "$desk" ]; then
    "$desk" models inspect "$out" --json | python3 -c '
import json, sys
j = json.load(sys.stdin); f = j["facts"]
checks = {
    "architecture llama": f["architecture"] == "llama",
    "vocab 32016": f["vocab_size"] == 32016,
    "32 blocks": f["block_count"] == 32,
    "4096 dim": f["embedding_length"] == 4096,
    "32 heads / 32 kv heads": (f["head_count"], f["head_count_kv"]) == (32, 32),
    "rope base 1e6": f["rope_freq_base"] == 1e6,
    "context 16384": f["context_length"] == 16384,
    "Q4_K_M": f["file_type_name"] == "Q4_K_M",
    "code_llama instruct 7b": (f["code_llama"] or {}).get("flavour") == "instruct" and (f["code_llama"] or {}).get("size_b") == 7,
    "supported": j["supported"],
}
for k, ok in checks.items():
    print(("ok   " if ok else "FAIL ") + k, file=sys.stderr)
sys.exit(0 if all(checks.values()) else 1)
'
else
    log "desk not built ($desk): skipped the check"
fi
echo "$out"
