#!/usr/bin/env python3
"""Write an F16 GGUF with the exact shape of Code Llama 7B Instruct and random weights.

llama arch, 32 layers, 4096 dim, 11008 ffn, 32 heads (no GQA), vocab 32016,
RoPE freq_base 1e6, context 16384, and a SentencePiece-style ("llama") vocabulary
with Code Llama's infill tokens at their real ids (32007..32010).

Weights: normal(0, 0.02) in F16, norms all ones. Tensors are generated and written
one at a time (header and tensor infos first, then each tensor's data), so memory
stays around one tensor (the 32016 x 4096 embedding, ~0.8 GB while generating).

Uses llama.cpp's own gguf-py: pass its folder with --gguf-py (or put it on PYTHONPATH).
Smaller shapes (--layers, --dim, ...) are for testing the pipeline quickly.

    make-codellama-shaped.py --gguf-py VENDOR/llama.cpp/gguf-py --out X.f16.gguf
"""
from __future__ import annotations

import argparse
import itertools
import os
import string
import sys
import time

VOCAB = 32016
INFILL = {32007: "▁<PRE>", 32008: "▁<SUF>", 32009: "▁<MID>", 32010: "▁<EOT>"}

# token types as llama.cpp's gguf-py defines them (TokenType)
NORMAL, UNKNOWN, CONTROL, BYTE = 1, 2, 3, 6

KEYWORDS = """fn let mut pub struct enum impl trait use mod match if else for while loop return
break continue self Self super crate where async await move ref static const type unsafe
extern dyn def class import from as with try except finally raise lambda yield pass None True
False and or not in is global nonlocal assert del print int str float bool list dict set tuple
len range open read write function var const new this null undefined typeof instanceof void
switch case default do goto sizeof struct union typedef include define ifdef endif public
private protected static final abstract interface package extends implements throws throw
catch string char long short double unsigned signed auto register volatile inline template
typename namespace using virtual override operator friend delete nullptr true false vector
map std size value key name data result error index count item node list array buffer file
path line text number string object error message config option request response client
server user test main init update create remove get set add find sort filter reduce format
parse load save close start stop run call send recv push pop insert clear copy clone hash
the a an of to and in is it that for on with as was by at be this from or have not are but
""".split()


def build_vocab(n_vocab: int) -> tuple[list[str], list[float], list[int]]:
    """<unk> <s> </s>, 256 byte tokens, SentencePiece-like pieces, infill tokens at 32007.."""
    tokens: list[str] = ["<unk>", "<s>", "</s>"]
    types: list[int] = [UNKNOWN, CONTROL, CONTROL]
    tokens += [f"<0x{b:02X}>" for b in range(256)]
    types += [BYTE] * 256
    seen = set(tokens)
    reserved_top = 32000 if n_vocab >= 32016 else n_vocab

    def pieces():
        # what a code-trained SentencePiece vocabulary starts with: whitespace runs,
        # single characters, then short and long word pieces with and without "▁".
        for n in range(2, 17):
            yield "▁" * n
        yield "▁"
        for c in string.ascii_lowercase + string.ascii_uppercase:
            yield "▁" + c
        for c in string.printable:
            if c not in " \t\n\r\x0b\x0c":
                yield c
        yield "\t"
        yield "\n"
        for w in KEYWORDS:
            yield "▁" + w
            yield w
            yield "▁" + w.capitalize()
        for a, b in itertools.product(string.ascii_lowercase, repeat=2):
            yield a + b
            yield "▁" + a + b
        for p in "(){}[];:,.=<>!&|+-*/%\"'#@$^~`?\\":
            for q in "(){}[];:,.=<>!&|+-*/%\"'#@$^~`?\\ ":
                yield "▁" + p + q.strip() if q == " " else p + q
        consonants = "bcdfghjklmnprstvwxz"
        vowels = "aeiouy"
        syll = [c + v for c in consonants for v in vowels] + [v + c for v in vowels for c in consonants]
        for n in (2, 3, 4):
            for combo in itertools.product(syll, repeat=n):
                w = "".join(combo)
                yield "▁" + w
                yield w

    gen = pieces()
    while len(tokens) < reserved_top:
        p = next(gen)
        if p not in seen:
            seen.add(p)
            tokens.append(p)
            types.append(NORMAL)
    # ids 32000..32015: infill tokens at Code Llama's ids, filler pieces around them.
    while len(tokens) < n_vocab:
        i = len(tokens)
        if i in INFILL:
            p = INFILL[i]
        else:
            p = next(gen)
            while p in seen:
                p = next(gen)
        seen.add(p)
        tokens.append(p)
        # Code Llama's SentencePiece model has the infill pieces as ordinary pieces
        # (llama.cpp marks them control at load time by their text).
        types.append(NORMAL)
    # SentencePiece scores: 0 for specials/bytes, decreasing log-probabilities for pieces.
    scores = [0.0 if t != NORMAL else -float(i - 258) for i, t in enumerate(types)]
    for i in INFILL:
        if i < n_vocab:
            scores[i] = 0.0
    assert len(tokens) == n_vocab and len(set(tokens)) == n_vocab
    return tokens, scores, types


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--gguf-py", help="llama.cpp's gguf-py folder")
    ap.add_argument("--layers", type=int, default=32)
    ap.add_argument("--dim", type=int, default=4096)
    ap.add_argument("--ffn", type=int, default=11008)
    ap.add_argument("--heads", type=int, default=32)
    ap.add_argument("--kv-heads", type=int, default=32)
    ap.add_argument("--vocab", type=int, default=VOCAB)
    ap.add_argument("--ctx", type=int, default=16384)
    ap.add_argument("--name", default="codellama-7b-instruct-shaped (random weights)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    if args.gguf_py:
        sys.path.insert(0, args.gguf_py)
    import numpy as np
    import gguf

    head_dim = args.dim // args.heads
    tokens, scores, types = build_vocab(args.vocab)

    tmp = args.out + ".partial"
    w = gguf.GGUFWriter(tmp, "llama")
    w.add_name(args.name)
    w.add_context_length(args.ctx)
    w.add_embedding_length(args.dim)
    w.add_block_count(args.layers)
    w.add_feed_forward_length(args.ffn)
    w.add_head_count(args.heads)
    w.add_head_count_kv(args.kv_heads)
    w.add_rope_dimension_count(head_dim)
    w.add_rope_freq_base(1_000_000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)

    # (name, numpy shape = (rows, cols) = GGUF ne reversed, kind)
    plan: list[tuple[str, tuple[int, ...], str]] = [
        ("token_embd.weight", (args.vocab, args.dim), "rand"),
    ]
    kv_dim = head_dim * args.kv_heads
    for i in range(args.layers):
        b = f"blk.{i}"
        plan += [
            (f"{b}.attn_norm.weight", (args.dim,), "ones"),
            (f"{b}.attn_q.weight", (args.dim, args.dim), "rand"),
            (f"{b}.attn_k.weight", (kv_dim, args.dim), "rand"),
            (f"{b}.attn_v.weight", (kv_dim, args.dim), "rand"),
            (f"{b}.attn_output.weight", (args.dim, args.dim), "rand"),
            (f"{b}.ffn_norm.weight", (args.dim,), "ones"),
            (f"{b}.ffn_gate.weight", (args.ffn, args.dim), "rand"),
            (f"{b}.ffn_up.weight", (args.ffn, args.dim), "rand"),
            (f"{b}.ffn_down.weight", (args.dim, args.ffn), "rand"),
        ]
    plan += [
        ("output_norm.weight", (args.dim,), "ones"),
        ("output.weight", (args.vocab, args.dim), "rand"),
    ]

    def dtype_of(kind: str, shape: tuple[int, ...]):
        # llama.cpp keeps 1-D norms in F32
        return np.float32 if len(shape) == 1 else np.float16

    for name, shape, kind in plan:
        dt = np.dtype(dtype_of(kind, shape))
        w.add_tensor_info(name, shape, dt, int(np.prod(shape)) * dt.itemsize)

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()

    rng = np.random.default_rng(args.seed)
    total = sum(int(np.prod(s)) for _, s, _ in plan)
    done = 0
    t0 = time.time()
    for n, (name, shape, kind) in enumerate(plan):
        if kind == "ones":
            t = np.ones(shape, dtype=np.float32)
        else:
            f = rng.standard_normal(shape, dtype=np.float32)
            f *= 0.02
            t = f.astype(np.float16)
            del f
        w.write_tensor_data(t)
        done += t.size
        del t
        if n % 9 == 0 or n == len(plan) - 1:
            el = time.time() - t0
            print(f"  {done / total * 100:5.1f}%  {done / 1e9:.2f} G params  {el:.0f} s  ({name})", file=sys.stderr, flush=True)
    w.close()
    os.replace(tmp, args.out)
    print(f"wrote {args.out}: {total / 1e9:.3f} G params, {os.path.getsize(args.out) / 2**30:.2f} GiB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
