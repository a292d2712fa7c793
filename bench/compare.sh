#!/usr/bin/env bash
# CPU speed: `desk bench` (mistralrs) against llama.cpp's `llama-bench`, same threads,
# same GGUF, runs alternating, on the demo model and (when it exists) the Code Llama
# 7B-shaped Q4_K_M from make-codellama-shaped.sh.
#
#   bench/compare.sh [--quick] [--make-7b] [--reps N] [--threads N] [--no-bf16]
#                    [--no-warm] [--no-fidelity] [--max-load X] [--max-busy P] [--max-wait S]
#                    [--model PATH]... [--run-timeout S] [--summarize DIR]
#
#   --quick      demo model only, one round, no bf16 row, no warm or fidelity rows
#   --make-7b    build the 7B-shaped file first if missing (~10 min, ~14 GB transient disk)
#   --reps N     rounds of alternating runs per model (median reported; default 1)
#   --threads N  threads for both engines (default: nproc); mistralrs gets RAYON_NUM_THREADS
#   --no-bf16    skip the second mistralrs row (--dtype bf16, what mistralrs's Auto picks on
#                CPU; desk's default `auto` is f32 there). --no-f32 is the old spelling.
#   --no-warm    skip the time-to-first-token rows (`desk bench --warm --turn2`, once per model:
#                a 512-token paste + a 20-token question sent cold and after prefill while typing,
#                and a follow-up turn)
#   --no-fidelity  skip the agreement row (bench/fidelity.sh on the demo model, 20 HumanEval
#                prompts, greedy, desk auto and bf16 against llama-completion)
#   --max-load X / --max-busy P / --max-wait S   before each run wait (up to S s, default
#                180) until the 1-minute load average is <= X (default 1.5) and the cores were
#                <= P % busy (default 30) over 5 s; both are recorded, and so is the share of
#                the cores that other processes used during each run (column "others%")
#   --model P    benchmark these files instead of the defaults (repeatable)
#   --run-timeout S  give up on one engine run after S s (default 1800): a 2-thread llama.cpp
#                run on a 2-core machine that something else keeps busy can crawl (spin barriers)
#   --summarize DIR  only print the table for an existing results folder (an interrupted run)
#
# Output (stable, the ratios are tracked over time): a table
#   model | engine | prompt tok/s | decode tok/s | TTFT ms | load ms | peak RSS MiB | load1 | others%
# then one line per model and mistralrs dtype:
#   ratio prompt X.XXx decode Y.YYx  model=<file> mistralrs=<dtype>[  NOISY (others% > 25)]
# (mistralrs / llama.cpp; NOISY: other processes took > 25 % of the cores during either run)
# then the TTFT-after-Enter and turn-2 lines and the agreement line:
#   after Enter ... cold X ms, prefilled while typing Y ms (R x)  model=<file>
#   turn 2 ... (R x turn 1)  model=<file>
#   agreement with llama.cpp: auto A% bf16 B% (llama.cpp against itself C%)  model=<file>
# Raw JSON and logs: $DESK_BENCH_DIR/results-<timestamp>/ (default dir $HOME/.cache/desk-bench).
#
# llama.cpp figures: prompt/decode = llama-bench pp512 / tg64 avg_ts; TTFT = 512 / pp rate;
# peak RSS = /usr/bin/time's max RSS of the llama-bench run (the mmap'd weights count once
# touched); load = wall time of a `-p 0 -n 1 -r 1 --no-warmup` run minus its one-token test time.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
dir="${DESK_BENCH_DIR:-$HOME/.cache/desk-bench}"
desk="${DESK_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/desk-target}/release/desk}"
PROMPT=512
GEN=64

quick=0 make7b=0 reps=1 threads="$(nproc)" f32=1 warm=1 fidelity=1 max_load=1.5 max_busy=30 max_wait=180
run_timeout=1800 summarize_dir=""
models=()
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --make-7b) make7b=1 ;;
        --reps) reps="$2"; shift ;;
        --threads) threads="$2"; shift ;;
        --no-f32|--no-bf16) f32=0 ;;
        --no-warm) warm=0 ;;
        --no-fidelity) fidelity=0 ;;
        --max-load) max_load="$2"; shift ;;
        --max-wait) max_wait="$2"; shift ;;
        --max-busy) max_busy="$2"; shift ;;
        --run-timeout) run_timeout="$2"; shift ;;
        --summarize) summarize_dir="$2"; shift ;;
        --model) models+=("$2"); shift ;;
        -h|--help) sed -n '2,45p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
log() { echo "[compare] $*" >&2; }

summarize() { # results-dir
    python3 - "$1" "$PROMPT" "$(getconf CLK_TCK)" <<'PY'
import json, os, statistics, sys

out, prompt = sys.argv[1], int(sys.argv[2])

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None

def load_json(path):
    try:
        with open(path) as f:
            text = f.read()
        start = min([i for i in (text.find("{"), text.find("[")) if i >= 0])
        return json.loads(text[start:])
    except Exception:
        return None

def timing(stem):
    """/usr/bin/time fields and the share of all cores other processes used (percent)."""
    t = {}
    try:
        for word in open(stem + ".time").read().split():
            if "=" in word:
                k, v = word.split("=", 1)
                t[k] = float(v)
    except (OSError, ValueError):
        return t
    try:
        (b0, t0), (b1, t1) = [tuple(map(int, l.split())) for l in open(stem + ".stat").read().split("\n") if l.strip()]
        clk = float(sys.argv[3])
        ours = t.get("user", 0.0) + t.get("sys", 0.0)
        all_cores = (t1 - t0) / clk
        if all_cores > 0:
            t["others"] = max(0.0, 100.0 * ((b1 - b0) / clk - ours) / all_cores)
    except (OSError, ValueError):
        pass
    return t

def llama_figures(path):
    j = load_json(path)
    if not isinstance(j, list) or not j:
        return None
    pp = next((t for t in j if t.get("n_prompt", 0) > 0 and t.get("n_gen", 0) == 0), None)
    tg = next((t for t in j if t.get("n_gen", 0) > 0 and t.get("n_prompt", 0) == 0), None)
    r = {"prompt": pp and pp["avg_ts"], "decode": tg and tg["avg_ts"], "threads": j[0].get("n_threads")}
    r["ttft"] = 1000.0 * prompt / r["prompt"] if r["prompt"] else None
    t = timing(path[:-5])
    r["rss"] = t["maxrss_kb"] / 1024.0 if "maxrss_kb" in t else None
    r["others"] = t.get("others")
    lp = path.replace(".llama.cpp.", ".llama.cpp-load.")
    lj, lt = load_json(lp), timing(lp[:-5])
    r["load"] = None
    if "wall" in lt:
        test_ms = lj[0]["avg_ns"] / 1e6 if isinstance(lj, list) and lj else 0.0
        r["load"] = max(0.0, lt["wall"] * 1000.0 - test_ms)
    return r

def desk_figures(path):
    j = load_json(path)
    if not isinstance(j, dict):
        return None
    t = timing(path[:-5])
    return {"prompt": j.get("prompt_tok_per_s"), "decode": j.get("decode_tok_per_s"), "ttft": j.get("ttft_ms"),
            "load": j.get("load_ms"), "rss": j.get("peak_rss_mib"), "threads": j.get("threads"),
            "others": t.get("others")}

rows = {}  # (label, engine) -> list of (figures, load1, busy before)
order = []
for line in open(os.path.join(out, "runs.tsv")):
    label, engine, rep, load1, busy, path, status = line.rstrip("\n").split("\t")
    key = (label, engine)
    if key not in rows:
        rows[key] = []
        order.append(key)
    fig = (llama_figures(path) if engine == "llama.cpp" else desk_figures(path)) if status == "ok" else None
    rows[key].append((fig, float(load1), float(busy)))

summary = []
for key in order:
    figs = [f for f, _, _ in rows[key] if f]
    agg = {k: med([f.get(k) for f in figs]) for k in ("prompt", "decode", "ttft", "load", "rss")}
    summary.append({"model": key[0], "engine": key[1], "runs": len(rows[key]), "ok": len(figs),
                    "threads": figs[0].get("threads") if figs else None,
                    "load1_max": max(l for _, l, _ in rows[key]),
                    "busy_before_max": max(b for _, _, b in rows[key]),
                    "others_max": max([f["others"] for f in figs if f.get("others") is not None], default=None),
                    **agg})

def fmt(v, spec):
    if v is None:
        width = spec.split(".")[0]
        return format("n/a", ">" + width) if width else "n/a"
    return format(v, spec)

hdr = (f"{'model':<36} {'engine':<16} {'prompt tok/s':>12} {'decode tok/s':>12} {'TTFT ms':>9} {'load ms':>8} "
       f"{'peak RSS MiB':>12} {'load1':>5} {'others%':>7}")
print()
print(hdr)
print("-" * len(hdr))
for s in summary:
    print(f"{s['model'][:36]:<36} {s['engine']:<16} {fmt(s['prompt'], '12.1f')} {fmt(s['decode'], '12.1f')} "
          f"{fmt(s['ttft'], '9.0f')} {fmt(s['load'], '8.0f')} {fmt(s['rss'], '12.0f')} {s['load1_max']:5.2f} "
          f"{fmt(s['others_max'], '7.0f')}")
print()
ratios = []
for s in summary:
    if not s["engine"].startswith("mistralrs"):
        continue
    ref = next((r for r in summary if r["model"] == s["model"] and r["engine"] == "llama.cpp"), None)
    if not ref:
        continue
    rp = s["prompt"] / ref["prompt"] if s["prompt"] and ref["prompt"] else None
    rd = s["decode"] / ref["decode"] if s["decode"] and ref["decode"] else None
    dtype = s["engine"].split()[1]
    noisy = any((r["others_max"] or 0) > 25 for r in (s, ref))
    ratios.append({"model": s["model"], "mistralrs": dtype, "prompt": rp, "decode": rd, "noisy": noisy})
    print(f"ratio prompt {fmt(rp, '.2f')}x decode {fmt(rd, '.2f')}x  model={s['model']} mistralrs={dtype}"
          + ("  NOISY (others% > 25)" if noisy else ""))
print()
with open(os.path.join(out, "summary.json"), "w") as f:
    json.dump({"format": 1, "prompt_tokens": prompt, "rows": summary, "ratios": ratios}, f, indent=1)
for key in dict.fromkeys(k[0] for k in order):
    lines = [l for l in open(os.path.join(out, key + ".warm.json"))] if os.path.exists(os.path.join(out, key + ".warm.json")) else []
    figs = {}
    for l in lines:
        try:
            figs.update(json.loads(l))
        except ValueError:
            pass
    if "warm_ttft_ms" in figs:
        print(f"after Enter {figs['prompt_tokens']} prompt tokens: cold {figs['cold_ttft_ms']:.0f} ms, prefilled while typing "
              f"{figs['warm_ttft_ms']:.0f} ms ({figs['warm_over_cold']:.3f}x; {figs['prefilled_tokens']} tokens prefilled in "
              f"{figs['prefill_ms']:.0f} ms)  model={key}")
    if "turn2_ttft_ms" in figs:
        print(f"turn 2 {figs['turn2_prompt_tokens']} prompt tokens: {figs['turn2_ttft_ms']:.0f} ms vs turn 1 {figs['turn1_ttft_ms']:.0f} ms "
              f"({figs['turn2_over_turn1']:.3f}x turn 1)  model={key}")
fid = load_json(os.path.join(out, "fidelity.json"))
if isinstance(fid, dict):
    parts = " ".join(f"{d} {v['agree_pct']:.1f}%" for d, v in fid.get("summary", {}).items())
    print(f"agreement with llama.cpp: {parts} (llama.cpp against itself {fid.get('llama_cpp_self_agree_pct', 0):.1f}%; "
          f"prompt ids equal {fid.get('ids_equal')}/{len(fid.get('rows', [])) // max(1, len(fid.get('summary', {})))})  model={fid.get('model')}")
print()
print(f"load1 = 1-minute load average before a run; others% = share of all cores that other processes used during it (max over rounds)")
print(f"raw results: {out}")
PY
}

if [ -n "$summarize_dir" ]; then summarize "$summarize_dir"; exit 0; fi

[ -x "$desk" ] || { log "desk is not built: $desk (bash .ci/setup)"; exit 1; }
mapfile -t bins < <(bash "$here/build-llama-cpp.sh")
llama_bench="${bins[0]}"

demo="$repo/models/SmolLM2-135M-Instruct.Q4_1.gguf"
big="$dir/codellama-7b-shaped.Q4_K_M.gguf"
if [ ${#models[@]} -eq 0 ]; then
    [ -f "$demo" ] || bash "$repo/models/fetch-demo-model.sh" >&2
    models=("$demo")
    if [ "$quick" = 0 ]; then
        if [ "$make7b" = 1 ] && [ ! -f "$big" ]; then
            bash "$here/make-codellama-shaped.sh" >&2
        fi
        if [ -f "$big" ]; then models+=("$big"); else log "no $big (--make-7b makes it): demo only"; fi
    fi
fi
if [ "$quick" = 1 ]; then reps=1; f32=0; warm=0; fidelity=0; fi

out="$dir/results-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
log "results in $out"

load1() { cut -d' ' -f1 /proc/loadavg; }
# "busy" jiffies and all jiffies so far, from /proc/stat's cpu line
jiffies() { awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6, t; exit }' /proc/stat; }
# share of all cores busy (percent) over a short sample
busy_pct() {
    local a b
    a=($(jiffies)); sleep "${1:-5}"; b=($(jiffies))
    awk -v b="$((b[0] - a[0]))" -v t="$((b[1] - a[1]))" 'BEGIN { printf "%.0f", (t > 0 ? 100 * b / t : 0) }'
}
# Wait (bounded) for a calm machine; echo "load1 busy%" at the start of the run.
# Calm = the cores were at most --max-busy % busy over the last 5 s (load1 alone lags a
# minute behind) and load1 <= --max-load.
calm() {
    local waited=0 b
    while :; do
        b="$(busy_pct 5)"
        if [ "$b" -le "$max_busy" ] && awk -v l="$(load1)" -v m="$max_load" 'BEGIN { exit !(l <= m) }'; then break; fi
        [ "$waited" -ge "$max_wait" ] && break
        sleep 10; waited=$((waited + 15))
    done
    log "load average $(cut -d' ' -f1-3 /proc/loadavg), cores ${b}% busy (waited ${waited}s)"
    echo "$(load1) $b"
}
# run a command under /usr/bin/time with /proc/stat snapshots around it: FILE.time, FILE.stat
timed() { # file-stem cmd...
    local stem="$1"; shift
    jiffies > "$stem.stat"
    local rc=0
    /usr/bin/time -f 'wall=%e user=%U sys=%S maxrss_kb=%M' -o "$stem.time" \
        timeout "$run_timeout" "$@" || rc=$?
    jiffies >> "$stem.stat"
    return $rc
}

# one run = one line in runs.tsv: label engine rep load1 busy% raw-file status
runs="$out/runs.tsv"
: > "$runs"
{
    echo "threads=$threads reps=$reps prompt=$PROMPT gen=$GEN clk_tck=$(getconf CLK_TCK) ncpu=$(nproc)"
    echo "desk=$desk ($(date -r "$desk" '+%F %T'))"
    echo "llama-bench=$llama_bench"
    echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
    uname -a
} > "$out/env.txt"

desk_run() { # model label dtype rep
    local m="$1" label="$2" dtype="$3" rep="$4" c f st=ok
    c="$(calm)"
    f="$out/$label.mistralrs-$dtype.$rep.json"
    log "$label: desk bench --dtype $dtype (round $rep)"
    if ! RAYON_NUM_THREADS="$threads" timed "${f%.json}" "$desk" bench --json --model "$m" \
            --prompt-tokens "$PROMPT" --gen-tokens "$GEN" --dtype "$dtype" > "$f" 2> "${f%.json}.log"; then
        st=failed; log "  failed: see ${f%.json}.log"
    fi
    printf '%s\tmistralrs %s\t%s\t%s\t%s\t%s\n' "$label" "$dtype" "$rep" "${c// /$'\t'}" "$f" "$st" >> "$runs"
}

llama_run() { # model label rep
    local m="$1" label="$2" rep="$3" c f st=ok
    c="$(calm)"
    f="$out/$label.llama.cpp.$rep.json"
    log "$label: llama-bench -t $threads -p $PROMPT -n $GEN -r 2 (round $rep)"
    if ! timed "${f%.json}" "$llama_bench" -m "$m" -t "$threads" -p "$PROMPT" -n "$GEN" \
            -r 2 -o json > "$f" 2> "${f%.json}.log"; then
        st=failed; log "  failed: see ${f%.json}.log"
    fi
    # load time: a run that only loads, makes a context and decodes one token
    local lf="$out/$label.llama.cpp-load.$rep.json"
    if ! timed "${lf%.json}" "$llama_bench" -m "$m" -t "$threads" -p 0 -n 1 -r 1 \
            --no-warmup -o json > "$lf" 2> "${lf%.json}.log"; then
        log "  load run failed: see ${lf%.json}.log"
    fi
    printf '%s\tllama.cpp\t%s\t%s\t%s\t%s\n' "$label" "$rep" "${c// /$'\t'}" "$f" "$st" >> "$runs"
}

for rep in $(seq 1 "$reps"); do
    for m in "${models[@]}"; do
        label="$(basename "$m" .gguf)"
        desk_run "$m" "$label" auto "$rep"
        llama_run "$m" "$label" "$rep"
        if [ "$f32" = 1 ]; then desk_run "$m" "$label" bf16 "$rep"; fi
    done
done

if [ "$warm" = 1 ]; then
    for m in "${models[@]}"; do
        label="$(basename "$m" .gguf)"
        calm > /dev/null
        log "$label: desk bench --warm --turn2 (time to first token after Enter)"
        RAYON_NUM_THREADS="$threads" timeout "$run_timeout" "$desk" bench --json --model "$m" --prompt-tokens "$PROMPT" \
            --gen-tokens 16 --warm --turn2 > "$out/$label.warm.json" 2> "$out/$label.warm.log" || log "  failed: see $out/$label.warm.log"
    done
fi
if [ "$fidelity" = 1 ] && [ -f "$demo" ]; then
    calm > /dev/null
    log "agreement with llama.cpp on the demo model (bench/fidelity.sh)"
    if DESK="$desk" bash "$here/fidelity.sh" --model "$demo" --dtype auto --dtype bf16 > "$out/fidelity.txt" 2>&1; then
        cp "$(sed -n 's/^raw results: //p' "$out/fidelity.txt" | tail -1)" "$out/fidelity.json" || true
    else
        log "  failed: see $out/fidelity.txt"
    fi
fi

summarize "$out"
