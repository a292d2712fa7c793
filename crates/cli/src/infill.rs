use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use desk_engine::LoadOptions;
use desk_protocol::{ChatEvent, SamplingParams, StopReason};
use futures::StreamExt;

use crate::args::ModelArgs;
use crate::load::open;

const MARKER: &str = "<FILL>";

#[derive(Args, Debug)]
pub struct InfillArgs {
    /// Code with a hole: a file, or stdin when omitted.
    pub file: Option<PathBuf>,
    /// Where the hole is (1-based LINE:COL); default: the `<FILL>` marker in the text.
    #[arg(long)]
    pub at: Option<String>,
    #[arg(long, default_value_t = 256)]
    pub max_tokens: usize,
    /// 0 = greedy.
    #[arg(long, default_value_t = 0.0)]
    pub temperature: f32,
    /// Print only the filled-in part instead of the whole code.
    #[arg(long)]
    pub only_fill: bool,
    #[command(flatten)]
    pub model: ModelArgs,
}

/// Split `code` at the hole: `--at LINE:COL` or the `<FILL>` marker.
pub fn split_at_hole(code: &str, at: Option<&str>) -> Result<(String, String)> {
    match at {
        Some(at) => {
            let (line, col) = at.split_once(':').context("--at wants LINE:COL, e.g. 12:5")?;
            let (line, col): (usize, usize) = (line.parse()?, col.parse()?);
            if line == 0 || col == 0 {
                bail!("--at is 1-based: the first character is 1:1");
            }
            let mut offset = 0;
            for (i, l) in code.split_inclusive('\n').enumerate() {
                if i + 1 == line {
                    let within = l.char_indices().nth(col - 1).map(|(b, _)| b).unwrap_or(l.trim_end_matches('\n').len());
                    offset += within;
                    return Ok((code[..offset].to_string(), code[offset..].to_string()));
                }
                offset += l.len();
            }
            bail!("line {line} is past the end of the code ({} lines)", code.lines().count())
        }
        None => {
            let Some((prefix, suffix)) = code.split_once(MARKER) else {
                bail!("no hole: put {MARKER} where the code should go, or pass --at LINE:COL")
            };
            if suffix.contains(MARKER) {
                bail!("more than one {MARKER} marker");
            }
            Ok((prefix.to_string(), suffix.to_string()))
        }
    }
}

pub async fn run(args: InfillArgs) -> Result<()> {
    let code = crate::out::read_input(args.file.as_deref(), "the code")?;
    let (prefix, suffix) = split_at_hole(&code, args.at.as_deref())?;
    let engine = open(&args.model, LoadOptions::default()).await?;
    let params = SamplingParams { temperature: args.temperature, max_tokens: args.max_tokens, ..SamplingParams::greedy(args.max_tokens) };
    let (mut stream, _) = engine.infill(&prefix, &suffix, &params).await?;
    let mut out = std::io::stdout().lock();
    if !args.only_fill && !args.model.json {
        out.write_all(prefix.as_bytes())?;
    }
    let mut fill = String::new();
    let mut reason = StopReason::EndOfText;
    while let Some(event) = stream.next().await {
        match event {
            ChatEvent::Text { delta } if !args.model.json => {
                out.write_all(delta.as_bytes())?;
                out.flush()?;
            }
            ChatEvent::Notice { message } => eprintln!("[{message}]"),
            ChatEvent::Stopped { reason: r, text } => {
                fill = text;
                reason = r;
            }
            _ => {}
        }
    }
    if args.model.json {
        println!("{}", serde_json::json!({ "prefix": prefix, "fill": fill, "suffix": suffix, "reason": reason }));
    } else if !args.only_fill {
        out.write_all(suffix.as_bytes())?;
    }
    if let StopReason::Error { message } | StopReason::Interrupted { message } = reason {
        bail!("generation failed: {message}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_and_position_split_the_same_way() {
        let code = "def f(x):\n    <FILL>\n    return y\n";
        let (p, s) = split_at_hole(code, None).unwrap();
        assert_eq!((p.as_str(), s.as_str()), ("def f(x):\n    ", "\n    return y\n"));
        let plain = "def f(x):\n    \n    return y\n";
        let (p2, s2) = split_at_hole(plain, Some("2:5")).unwrap();
        assert_eq!((p2.as_str(), s2.as_str()), ("def f(x):\n    ", "\n    return y\n"));
        assert!(split_at_hole(plain, None).is_err());
        assert!(split_at_hole(plain, Some("9:1")).is_err());
        assert!(split_at_hole("a<FILL>b<FILL>", None).is_err());
    }
}
