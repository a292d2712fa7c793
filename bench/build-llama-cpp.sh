#!/usr/bin/env bash
# Builds llama.cpp's llama-bench, llama-quantize, llama-tokenize, llama-completion and llama-server (CPU, GGML_NATIVE) from the
# vendor/llama.cpp inside the llama-cpp-python sdist on PyPI (no GitHub needed).
# Everything lands in $DESK_BENCH_DIR (default $HOME/.cache/desk-bench); idempotent.
# Prints the five binary paths on the last five lines of stdout (bench, quantize, tokenize, completion, server).
set -euo pipefail

LLAMA_CPP_PYTHON_VERSION="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
dir="${DESK_BENCH_DIR:-$HOME/.cache/desk-bench}"
jobs="${JOBS:-2}"
src="$dir/llama-cpp-python-$LLAMA_CPP_PYTHON_VERSION"
llama="$src/vendor/llama.cpp"
# AMX: cpuid on these VMs can advertise AMX while its tile state is not enabled, and
# llama.cpp's AMX kernels then die with SIGILL (seen: `tilezero` in tinygemm_kernel_amx
# on an Intel Xeon VM). So -march=native minus AMX unless LLAMA_AMX=1.
LLAMA_AMX="${LLAMA_AMX:-0}"
build="$dir/llama.cpp-build-$LLAMA_CPP_PYTHON_VERSION$([ "$LLAMA_AMX" = 1 ] && echo -amx || echo -noamx)"
mkdir -p "$dir"
# one build at a time (compare.sh and make-codellama-shaped.sh both call this)
exec 9>"$dir/.build-llama-cpp.lock"
flock 9

log() { echo "[build-llama-cpp] $*" >&2; }

extra_flags=""
if [ "$(uname -m)" = x86_64 ] && [ "$LLAMA_AMX" != 1 ]; then
    extra_flags="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
fi
# a build made for another CPU (GGML_NATIVE) or with other flags is redone
stamp="cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-) flags=$(grep -m1 '^flags' /proc/cpuinfo | md5sum | cut -c1-12) extra=$extra_flags"
if [ -f "$build/.desk-bench-stamp" ] && [ "$(cat "$build/.desk-bench-stamp")" != "$stamp" ]; then
    log "CPU or flags changed since the last build: rebuilding"
    rm -rf "$build"
fi

if [ -x "$build/bin/llama-bench" ] && [ -x "$build/bin/llama-quantize" ] && [ -x "$build/bin/llama-tokenize" ] && [ -x "$build/bin/llama-completion" ] && [ -x "$build/bin/llama-server" ] && [ -f "$build/.desk-bench-stamp" ]; then
    log "already built ($build/bin)"
else
    if ! command -v cmake >/dev/null 2>&1; then
        log "installing cmake (apt)"
        if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
        $sudo apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq cmake build-essential >&2
    fi
    if [ ! -f "$llama/CMakeLists.txt" ]; then
        sdist="$dir/llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION.tar.gz"
        if [ ! -f "$sdist" ]; then
            log "downloading llama-cpp-python $LLAMA_CPP_PYTHON_VERSION sdist"
            # --no-binary for this package only: `:all:` would also force the sdist's
            # build requirements (cmake, ninja) to be compiled from source just to
            # prepare its metadata.
            python3 -m pip download --quiet --no-deps --no-binary llama-cpp-python \
                --dest "$dir" "llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION" >&2
        fi
        log "unpacking $sdist"
        tar -xzf "$sdist" -C "$dir"
        # the sdist's folder name uses either spelling
        if [ ! -d "$src" ] && [ -d "$dir/llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION" ]; then
            mv "$dir/llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION" "$src"
        fi
    fi
    [ -f "$llama/CMakeLists.txt" ] || { log "no vendor/llama.cpp in $src"; exit 1; }
    log "configuring ($build)"
    nice -n 10 cmake -S "$llama" -B "$build" \
        -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_C_FLAGS="$extra_flags" -DCMAKE_CXX_FLAGS="$extra_flags" \
        -DGGML_NATIVE=ON \
        -DGGML_CUDA=OFF -DGGML_VULKAN=OFF -DGGML_METAL=OFF -DGGML_BLAS=OFF \
        -DLLAMA_CURL=OFF \
        -DBUILD_SHARED_LIBS=OFF \
        -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=ON -DLLAMA_OPENSSL=OFF >&2
    log "building llama-bench llama-quantize llama-tokenize llama-completion llama-server with -j$jobs (nice 10)"
    nice -n 10 cmake --build "$build" --config Release -j"$jobs" --target llama-bench llama-quantize llama-tokenize llama-completion llama-server >&2
    echo "$stamp" > "$build/.desk-bench-stamp"
fi

echo "$build/bin/llama-bench"
echo "$build/bin/llama-quantize"
echo "$build/bin/llama-tokenize"
echo "$build/bin/llama-completion"
echo "$build/bin/llama-server"
