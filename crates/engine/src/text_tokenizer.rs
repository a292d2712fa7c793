//! Copies of the model's tokenizer for encoding user text exactly as
//! SentencePiece would. Each is an edit of the tokenizer's JSON form.

use serde_json::Value;
use tokenizers::Tokenizer;

/// Round-trip `tok` through JSON with `edit` applied. Special-token strings in
/// the text are never split out as control tokens by the copy.
fn edited(tok: &Tokenizer, edit: impl FnOnce(&mut Value)) -> Result<Tokenizer, String> {
    let text = tok.to_string(false).map_err(|e| e.to_string())?;
    let mut json: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    edit(&mut json);
    let mut out: Tokenizer = json.to_string().parse().map_err(|e: tokenizers::Error| e.to_string())?;
    out.set_encode_special_tokens(true);
    Ok(out)
}

/// A copy that can only produce text pieces, as SentencePiece does: `</s>` or
/// `▁<PRE>` typed by a user stays text and never becomes a control token.
/// mistralrs builds llama vocabularies as a Unigram model that still holds the
/// control pieces, so they are renamed to strings with a plain space, which
/// the normalizer (space -> `▁`) never lets through. Byte pieces keep their
/// names: byte fallback looks them up by name.
pub(crate) fn text_only(tok: &Tokenizer) -> Result<Tokenizer, String> {
    let special: Vec<u32> = tok.get_added_tokens_decoder().iter().filter(|(_, t)| t.special).map(|(id, _)| *id).collect();
    edited(tok, |json| {
        if json.pointer("/model/type").and_then(Value::as_str) != Some("Unigram") {
            return;
        }
        let Some(vocab) = json.pointer_mut("/model/vocab").and_then(Value::as_array_mut) else { return };
        for id in special {
            if let Some(piece) = vocab.get_mut(id as usize).and_then(|e| e.get_mut(0)) {
                let is_byte = piece.as_str().is_some_and(|p| p.len() == 6 && p.starts_with("<0x") && p.ends_with('>'));
                if !is_byte {
                    *piece = Value::String(format!("control {id}"));
                }
            }
        }
    })
}

/// A copy whose normalizer does not prepend `▁`: Meta's `encode_infill`.
pub(crate) fn without_leading_space(tok: &Tokenizer) -> Result<Tokenizer, String> {
    edited(tok, |json| {
        if let Some(list) = json.pointer_mut("/normalizer/normalizers").and_then(Value::as_array_mut) {
            list.retain(|n| n.get("type").and_then(Value::as_str) != Some("Prepend"));
        } else if json.pointer("/normalizer/type").and_then(Value::as_str) == Some("Prepend") {
            json["normalizer"] = Value::Null;
        }
    })
}
