#!/usr/bin/env bash
# Reference vectors for the tokenizer tests: llama.cpp's vocab-only GGUFs with
# their .inp/.out files (ids llama.cpp and the original tokenizers agree on),
# from vendor/llama.cpp/models in PyPI's llama-cpp-python==0.3.36 sdist, the
# same sdist bench/ builds llama.cpp from. Into DEST_DIR (default
# ~/.cache/desk-data/llama-vocab); idempotent; nothing is committed.
set -euo pipefail

VERSION=0.3.36
SHA256=832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e
DEST="${1:-${DESK_VOCAB_DIR:-$HOME/.cache/desk-data/llama-vocab}}"
# Shared with bench/build-llama-cpp.sh, so the 77 MB sdist is fetched once.
SDIST_DIR="${DESK_BENCH_DIR:-$HOME/.cache/desk-bench}"
SDIST="$SDIST_DIR/llama_cpp_python-$VERSION.tar.gz"
NAMES=(llama-spm gpt-2 llama-bpe qwen2 deepseek-coder deepseek-llm starcoder refact command-r phi-3 mpt)

have_all() {
    for n in "${NAMES[@]}"; do
        for ext in "" .inp .out; do [ -s "$DEST/ggml-vocab-$n.gguf$ext" ] || return 1; done
    done
    [ "$(cat "$DEST/.version" 2>/dev/null)" = "$VERSION" ]
}
if have_all; then
    echo "ok: $DEST"
    exit 0
fi

mkdir -p "$SDIST_DIR" "$DEST"
if [ ! -f "$SDIST" ] || ! echo "$SHA256  $SDIST" | sha256sum -c --status; then
    echo "fetch: llama-cpp-python $VERSION sdist from PyPI"
    # --no-binary for this package only: `:all:` would also force its build
    # requirements to be compiled just to prepare metadata.
    python3 -m pip download --quiet --no-deps --no-binary llama-cpp-python --dest "$SDIST_DIR" "llama-cpp-python==$VERSION"
fi
echo "$SHA256  $SDIST" | sha256sum -c --status || { echo "error: $SDIST does not match its SHA-256" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
patterns=()
for n in "${NAMES[@]}"; do patterns+=("llama_cpp_python-$VERSION/vendor/llama.cpp/models/ggml-vocab-$n.gguf*"); done
tar -xzf "$SDIST" -C "$work" --wildcards "${patterns[@]}"
mv "$work/llama_cpp_python-$VERSION/vendor/llama.cpp/models/"ggml-vocab-* "$DEST/"
echo "$VERSION" > "$DEST/.version"
echo "fetched: $DEST"
