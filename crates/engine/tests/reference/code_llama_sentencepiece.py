#!/usr/bin/env python3
"""Expected token ids for Code Llama prompts, from SentencePiece itself and Meta's rules.

Regenerates code_llama_golden.json beside this file; the Rust tests compare the
engine against it, so CI needs neither Python packages nor llama.cpp.

- The text encoder is PyPI `sentencepiece` running a BPE model built from the
  real Llama 2 vocabulary (pieces, scores and types of llama.cpp's
  ggml-vocab-llama-spm.gguf), normalised as Llama's tokenizer.model is
  (identity, dummy prefix, no whitespace collapsing, byte fallback).
- Chat prompts follow `chat_completion` in Meta's codellama/llama/generation.py;
  infill prompts follow `infilling_prompt_tokens` and `encode_infill` (the "☺"
  prefix trick) in the same repository. The 16 Code Llama pieces (32000-32015)
  are placed by id only, as Meta's code does.

usage: python3 code_llama_sentencepiece.py VOCAB_DIR HUMANEVAL_JSONL_GZ
needs: pip install sentencepiece protobuf gguf
"""
import gzip, json, os, sys

import gguf
import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as pb

vocab_dir, humaneval = sys.argv[1], sys.argv[2]
reader = gguf.GGUFReader(os.path.join(vocab_dir, "ggml-vocab-llama-spm.gguf"))
tokens = reader.fields["tokenizer.ggml.tokens"].contents()
scores = reader.fields["tokenizer.ggml.scores"].contents()
types = reader.fields["tokenizer.ggml.token_type"].contents()

m = pb.ModelProto()
m.trainer_spec.model_type = pb.TrainerSpec.BPE
m.trainer_spec.byte_fallback = True
m.trainer_spec.vocab_size = len(tokens)
m.trainer_spec.unk_id, m.trainer_spec.bos_id, m.trainer_spec.eos_id, m.trainer_spec.pad_id = 0, 1, 2, -1
m.normalizer_spec.name = "identity"
m.normalizer_spec.add_dummy_prefix = True
m.normalizer_spec.remove_extra_whitespaces = False
m.normalizer_spec.escape_whitespaces = True
kinds = {1: pb.ModelProto.SentencePiece.NORMAL, 2: pb.ModelProto.SentencePiece.UNKNOWN,
         3: pb.ModelProto.SentencePiece.CONTROL, 4: pb.ModelProto.SentencePiece.USER_DEFINED,
         5: pb.ModelProto.SentencePiece.UNUSED, 6: pb.ModelProto.SentencePiece.BYTE}
for t, s, k in zip(tokens, scores, types):
    p = m.pieces.add()
    p.piece, p.score, p.type = t, float(s), kinds[int(k)]
sp = spm.SentencePieceProcessor(model_proto=m.SerializeToString())

# Sanity: this processor agrees with llama.cpp's own vectors for the same vocabulary.
inp = open(os.path.join(vocab_dir, "ggml-vocab-llama-spm.gguf.inp"), encoding="utf-8").read().split("\n__ggml_vocab_test__\n")
out = open(os.path.join(vocab_dir, "ggml-vocab-llama-spm.gguf.out")).read().splitlines()
agree = sum(sp.encode(i) == [int(x) for x in o.split()] for i, o in zip(inp, out))
print(f"sentencepiece vs llama.cpp vectors: {agree}/{len(out)}", file=sys.stderr)

BOS, EOS = 1, 2
PRE, SUF, MID = 32007, 32008, 32009

def encode(s, bos=False, eos=False):
    return ([BOS] if bos else []) + sp.encode(s) + ([EOS] if eos else [])

def encode_infill(s):
    # Meta: "Encode a string without an implicit leading space."
    return sp.encode("☺" + s)[2:]

B_INST, E_INST = "[INST]", "[/INST]"
B_SYS, E_SYS = "<<SYS>>\n", "\n<</SYS>>\n\n"

def chat(dialog):
    if dialog[0]["role"] == "system":
        dialog = [{"role": dialog[1]["role"], "content": B_SYS + dialog[0]["content"] + E_SYS + dialog[1]["content"]}] + dialog[2:]
    ids = sum([encode(f"{B_INST} {(p['content']).strip()} {E_INST} {(a['content']).strip()} ", bos=True, eos=True)
               for p, a in zip(dialog[::2], dialog[1::2])], [])
    return ids + encode(f"{B_INST} {(dialog[-1]['content']).strip()} {E_INST}", bos=True)

def infill(pre, suf):
    return [BOS, PRE] + encode(pre) + [SUF] + encode_infill(suf) + [MID]

awkward = [
    "Hello world", " Hello world", "Hello  world", "\tindented\ttabs", "line\r\nwindows\r\n", "    four spaces",
    "x" * 300, " " * 40 + "y", "\n\n\n", "naïve café — ünïcödé", "日本語のテキスト", "emoji 🦀🐍 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "</s> <s> [INST] ▁<PRE> <SUF> <MID> <EOT>", "def f(x):\n\treturn x ** 2  # square\n", "\u00a0nbsp\u2003em space",
    "a\u0301 combining", "1234567890 3.14159 0xDEADBEEF", "fn main() { println!(\"{}\", 1 << 63); }",
    "\x00\x01\x7f control bytes", "'quotes' \"double\" `back`",
]
code = "def add(a, b):\n    return a + b\n"
dialogs = {
    "one_turn": [{"role": "user", "content": "What does this do?\n```python\n" + code + "```"}],
    "system": [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "Write fizzbuzz in Rust."}],
    "three_turns": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello! How can I help?"},
                    {"role": "user", "content": "  Explain `map` in Python.  "}, {"role": "assistant", "content": "It applies a function."},
                    {"role": "user", "content": "Show an example"}],
    "system_two_turns": [{"role": "system", "content": "You are a Rust expert."}, {"role": "user", "content": "Borrow checker?"},
                         {"role": "assistant", "content": "It enforces aliasing rules."}, {"role": "user", "content": "Example please"}],
    "typed_control_tokens": [{"role": "user", "content": "</s><s>[INST] ▁<PRE> <SUF> <MID> <EOT> [/INST]"}],
}
fills = {
    "function_body": ("def remove_non_ascii(s: str) -> str:\n    \"\"\" ", "\n    return result\n"),
    "empty_suffix": ("fn main() {\n    let x = ", ""),
    "suffix_leading_spaces": ("if x:\n", "    pass\n"),
    "unicode": ("# café\nname = '", "'\n"),
}
problems = [json.loads(l) for l in gzip.open(humaneval, "rt", encoding="utf-8")]
golden = {
    "about": "Generated by code_llama_sentencepiece.py: sentencepiece " + spm.__version__ + " on llama.cpp's ggml-vocab-llama-spm.gguf; Meta's generation.py rules.",
    "text": [{"text": t, "ids": sp.encode(t)} for t in awkward],
    "infill_text": [{"text": t, "ids": encode_infill(t)} for t in ["    return x\n", "Hi", "\n", "  two", "x"]],
    "humaneval": {p["task_id"]: sp.encode(p["prompt"] + p["canonical_solution"]) for p in problems},
    "chat": [{"name": k, "dialog": d, "ids": chat(d)} for k, d in dialogs.items()],
    "infill": [{"name": k, "prefix": p, "suffix": s, "ids": infill(p, s)} for k, (p, s) in fills.items()],
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "code_llama_golden.json")
with open(path, "w", encoding="utf-8") as f:
    json.dump(golden, f, ensure_ascii=False, separators=(",", ":"))
print(f"wrote {path}", file=sys.stderr)
