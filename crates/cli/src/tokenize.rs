//! `desk tokenize`: the ids a text costs on a model, exactly as the engine
//! encodes a person's text (no BOS). Reads only the GGUF header, so a
//! vocab-only file works and nothing is loaded into memory.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use desk_engine::{discover, vocab};

use crate::args::ModelArgs;

#[derive(Args, Debug)]
pub struct TokenizeArgs {
    /// Text to tokenize: a file, or stdin when omitted or `-`.
    pub file: Option<PathBuf>,
    /// Encode as the text after an infill hole (Meta's `encode_infill`: no leading space).
    #[arg(long)]
    pub infill: bool,
    #[command(flatten)]
    pub model: ModelArgs,
}

pub fn run(args: TokenizeArgs) -> Result<()> {
    if args.model.remote.is_some() {
        anyhow::bail!("desk tokenize reads a local GGUF's vocabulary (--model); --remote is not used here");
    }
    let file = args.file.as_deref().filter(|f| f.as_os_str() != "-");
    let text = crate::out::read_input(file, "the text to tokenize")?;
    let path = discover::resolve_model(args.model.model.as_deref())?;
    let tok = vocab::load_tokenizer(&path)?;
    let ids = if args.infill { tok.encode_infill(&text) } else { tok.encode(&text) };
    if args.model.json {
        let pieces: Vec<&str> = ids.iter().map(|&id| tok.piece(id).unwrap_or_default()).collect();
        crate::out::print_line(&serde_json::json!({ "ids": ids, "pieces": pieces, "count": ids.len() }).to_string())
    } else {
        let line: Vec<String> = ids.iter().map(u32::to_string).collect();
        crate::out::print_line(&line.join(" "))
    }
}
