//! Fill in the middle, token-exact to Meta's Code Llama `generation.py`:
//! `[BOS, ▁<PRE>] + encode(prefix) + [▁<SUF>] + encode_infill(suffix) + [▁<MID>]`,
//! generated until `▁<EOT>`.

use desk_protocol::{Flavour, ModelFacts, SamplingParams};

use crate::engine::Engine;
use crate::error::EngineError;
use crate::prompt::BOS;
use crate::stream::ReplyStream;

pub const PRE: u32 = 32007;
pub const SUF: u32 = 32008;
pub const MID: u32 = 32009;
pub const EOT: u32 = 32010;

/// Code Llama 7B and 13B, base and Instruct, were trained to infill; Python and 34B were not.
pub fn supports_infill(facts: &ModelFacts) -> Result<(), String> {
    match facts.code_llama {
        None => Err(format!("{} is not a Code Llama model (infilling needs Code Llama's 32016-token vocabulary)", facts.file_name)),
        Some(k) if k.flavour == Flavour::Python => {
            Err("Code Llama - Python was not trained for infilling; use the base or Instruct 7B/13B model".into())
        }
        Some(k) if !k.infill => Err(format!(
            "Code Llama {} was not trained for infilling; use a 7B or 13B model",
            k.size_b.map_or("of this size".into(), |b| format!("{b}B"))
        )),
        Some(_) => Ok(()),
    }
}

/// The exact prompt for filling the hole between `prefix` and `suffix`.
pub fn infill_tokens(
    prefix: &str,
    suffix: &str,
    encode: impl Fn(&str) -> Result<Vec<u32>, EngineError>,
    encode_infill: impl Fn(&str) -> Result<Vec<u32>, EngineError>,
) -> Result<Vec<u32>, EngineError> {
    let mut tokens = vec![BOS, PRE];
    tokens.extend(encode(prefix)?);
    tokens.push(SUF);
    tokens.extend(encode_infill(suffix)?);
    tokens.push(MID);
    Ok(tokens)
}

impl Engine {
    /// Stream the code that belongs between `prefix` and `suffix`.
    pub async fn infill(&self, prefix: &str, suffix: &str, params: &SamplingParams) -> Result<ReplyStream, EngineError> {
        let tokens = self.prompter.infill_within(prefix, suffix, self.context_limit)?;
        self.stream_tokens_until(tokens, None, params, &[EOT]).await
    }

    pub fn infill_prompt(&self, prefix: &str, suffix: &str) -> Result<Vec<u32>, EngineError> {
        self.prompter.infill_prompt(prefix, suffix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_meta() {
        let enc = |t: &str| Ok(t.bytes().map(|b| 1000 + b as u32).collect());
        let enc_infill = |t: &str| Ok(t.bytes().map(|b| 2000 + b as u32).collect());
        let got = infill_tokens("ab", "c", enc, enc_infill).unwrap();
        assert_eq!(got, vec![BOS, PRE, 1097, 1098, SUF, 2099, MID]);
    }
}
