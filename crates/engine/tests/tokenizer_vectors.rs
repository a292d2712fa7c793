//! The engine's encoder against outside references, never against itself:
//! llama.cpp's vectors for its vocab-only GGUFs (SentencePiece BPE, GPT-2 and
//! eight more byte-level BPE pre-tokenizers), checked through the engine's API.

mod common;

use common::vocab_file;
use desk_engine::gguf::write::{GgufWriter, MetaValue};
use desk_engine::vocab::load_tokenizer;

/// `.inp` holds inputs separated by a `__ggml_vocab_test__` line, `.out` one line of ids per input.
fn vectors(name: &str) -> Vec<(String, Vec<u32>)> {
    let path = vocab_file(name);
    let inp = std::fs::read_to_string(path.with_extension("gguf.inp")).expect("the .inp file");
    let out = std::fs::read_to_string(path.with_extension("gguf.out")).expect("the .out file");
    let mut inputs: Vec<&str> = inp.split("\n__ggml_vocab_test__\n").collect();
    // The file ends with a separator, as llama.cpp's reader expects.
    if inputs.last() == Some(&"") {
        inputs.pop();
    }
    let outputs: Vec<Vec<u32>> = out.lines().map(|l| l.split_whitespace().map(|x| x.parse().expect("an id")).collect()).collect();
    assert_eq!(inputs.len(), outputs.len(), "{name}: as many inputs as outputs");
    assert!(inputs.len() >= 40, "{name}: the whole set ({} cases)", inputs.len());
    inputs.into_iter().map(str::to_string).zip(outputs).collect()
}

fn check(name: &str) {
    let tok = load_tokenizer(&vocab_file(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let cases = vectors(name);
    let wrong: Vec<String> = cases
        .iter()
        .filter(|(text, want)| &tok.encode(text) != want)
        .map(|(text, want)| format!("{text:?}\n  want {want:?}\n  got  {:?}", tok.encode(text)))
        .collect();
    assert!(wrong.is_empty(), "{name}: {} of {} differ from llama.cpp:\n{}", wrong.len(), cases.len(), wrong.join("\n"));
}

#[test]
fn llama_spm_sentencepiece_bpe_matches_llama_cpp() {
    check("llama-spm");
}

#[test]
fn phi3_sentencepiece_bpe_matches_llama_cpp() {
    check("phi-3");
}

#[test]
fn gpt2_byte_level_bpe_matches_llama_cpp() {
    check("gpt-2");
}

#[test]
fn llama3_pre_tokenizer_with_whole_word_lookup_matches_llama_cpp() {
    check("llama-bpe");
}

#[test]
fn qwen2_pre_tokenizer_matches_llama_cpp() {
    check("qwen2");
}

#[test]
fn deepseek_coder_pre_tokenizer_matches_llama_cpp() {
    check("deepseek-coder");
}

#[test]
fn deepseek_llm_pre_tokenizer_matches_llama_cpp() {
    check("deepseek-llm");
}

/// `smollm` (the demo model's) shares StarCoder's expressions: digits one by one, then GPT-2's.
#[test]
fn starcoder_and_refact_digit_splitting_matches_llama_cpp() {
    check("starcoder");
    check("refact");
}

#[test]
fn command_r_and_mpt_match_llama_cpp() {
    check("command-r");
    check("mpt");
}

fn bpe_vocab_with_pre(dir: &std::path::Path, pre: Option<&str>) -> std::path::PathBuf {
    let path = dir.join(format!("pre-{}.gguf", pre.unwrap_or("none")));
    let mut w = GgufWriter::new();
    w.meta("general.architecture", MetaValue::Str("llama".into()))
        .meta("tokenizer.ggml.model", MetaValue::Str("gpt2".into()))
        .meta("tokenizer.ggml.tokens", MetaValue::StrArray(vec!["a".into(), "b".into(), "ab".into()]))
        .meta("tokenizer.ggml.merges", MetaValue::StrArray(vec!["a b".into()]));
    if let Some(p) = pre {
        w.meta("tokenizer.ggml.pre", MetaValue::Str(p.into()));
    }
    w.write(&path).expect("write");
    path
}

#[test]
fn an_unknown_pre_tokenizer_is_refused_by_name_never_guessed() {
    let dir = tempfile::tempdir().unwrap();
    let err = load_tokenizer(&bpe_vocab_with_pre(dir.path(), Some("falcon-9000"))).err().expect("refused");
    let msg = err.to_string();
    assert!(msg.contains("falcon-9000") && msg.contains("smollm"), "names the pre-tokenizer and what is known: {msg}");
    // Files from before pre-tokenizer names get GPT-2's, as in llama.cpp.
    let tok = load_tokenizer(&bpe_vocab_with_pre(dir.path(), None)).expect("no name: the default");
    assert_eq!(tok.encode("ab"), vec![2]);
}

#[test]
fn a_file_without_a_token_list_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-tokens.gguf");
    let mut w = GgufWriter::new();
    w.meta("general.architecture", MetaValue::Str("llama".into())).meta("tokenizer.ggml.model", MetaValue::Str("llama".into()));
    w.write(&path).unwrap();
    let msg = load_tokenizer(&path).err().expect("refused").to_string();
    assert!(msg.contains("tokenizer.ggml.tokens"), "{msg}");
    let msg = load_tokenizer(&dir.path().join("missing.gguf")).err().expect("refused").to_string();
    assert!(msg.contains("missing.gguf"), "{msg}");
}
