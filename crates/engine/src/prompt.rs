//! Conversation -> token ids. Pure functions over an [`Encoder`], so the exact
//! sequences are testable with any tokenizer.

use desk_protocol::{Conversation, Role};

use crate::error::EngineError;

pub const BOS: u32 = 1;
pub const EOS: u32 = 2;
const B_INST: &str = "[INST]";
const E_INST: &str = "[/INST]";
const B_SYS: &str = "<<SYS>>\n";
const E_SYS: &str = "\n<</SYS>>\n\n";

/// SentencePiece-style encoding of plain text: no BOS/EOS added, and special
/// token strings in the text are encoded as text, never as control tokens.
pub trait Encoder {
    fn encode(&self, text: &str) -> Result<Vec<u32>, EngineError>;
}

impl<F: Fn(&str) -> Result<Vec<u32>, EngineError>> Encoder for F {
    fn encode(&self, text: &str) -> Result<Vec<u32>, EngineError> {
        self(text)
    }
}

/// Check the shape every format relies on: user/assistant alternating, starting
/// and ending with the user.
pub fn validate(conv: &Conversation) -> Result<(), EngineError> {
    if conv.messages.last().map(|m| m.role) != Some(Role::User) {
        return Err(EngineError::NoQuestion);
    }
    for (i, m) in conv.messages.iter().enumerate() {
        let expected = if i % 2 == 0 { Role::User } else { Role::Assistant };
        if m.role != expected {
            return Err(EngineError::BadConversation(format!(
                "message {i} is from the {:?} but the {expected:?} was expected (turns must alternate, starting with the user)",
                m.role
            )));
        }
    }
    Ok(())
}

/// Meta's `chat_completion()` for Llama 2 / Code Llama Instruct, token for token:
/// every finished exchange is `BOS [INST] {user} [/INST] {answer} EOS`, the open
/// one `BOS [INST] {user} [/INST]`, and the system prompt goes inside the first
/// user message between `<<SYS>>` markers.
pub fn code_llama_instruct(conv: &Conversation, enc: &dyn Encoder) -> Result<Vec<u32>, EngineError> {
    validate(conv)?;
    let mut contents: Vec<String> = conv.messages.iter().map(|m| m.content.clone()).collect();
    if let Some(sys) = &conv.system {
        contents[0] = format!("{B_SYS}{sys}{E_SYS}{}", contents[0]);
    }
    let mut tokens = Vec::new();
    let mut pairs = contents.chunks_exact(2);
    for pair in pairs.by_ref() {
        tokens.push(BOS);
        tokens.extend(enc.encode(&format!("{B_INST} {} {E_INST} {} ", pair[0].trim(), pair[1].trim()))?);
        tokens.push(EOS);
    }
    let last = pairs.remainder().first().ok_or(EngineError::NoQuestion)?;
    tokens.push(BOS);
    tokens.extend(enc.encode(&format!("{B_INST} {} {E_INST}", last.trim()))?);
    Ok(tokens)
}

/// Base and Python models just continue the text.
pub fn completion(conv: &Conversation, bos: Option<u32>, enc: &dyn Encoder) -> Result<Vec<u32>, EngineError> {
    let mut text = String::new();
    if let Some(sys) = &conv.system {
        text.push_str(sys);
        text.push('\n');
    }
    let parts: Vec<&str> = conv.messages.iter().map(|m| m.content.as_str()).collect();
    text.push_str(&parts.join("\n"));
    if text.is_empty() {
        return Err(EngineError::NoQuestion);
    }
    continuation(&text, bos, enc)
}

/// Plain text the model continues: base and Python models, `desk complete`.
pub fn continuation(text: &str, bos: Option<u32>, enc: &dyn Encoder) -> Result<Vec<u32>, EngineError> {
    if text.is_empty() {
        return Err(EngineError::NoQuestion);
    }
    let mut tokens: Vec<u32> = bos.into_iter().collect();
    tokens.extend(enc.encode(text)?);
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;
    use desk_protocol::Message;

    /// One id per character keeps expected sequences readable.
    fn chars(text: &str) -> Result<Vec<u32>, EngineError> {
        Ok(text.chars().map(|c| c as u32).collect())
    }
    fn ids(s: &str) -> Vec<u32> {
        s.chars().map(|c| c as u32).collect()
    }

    #[test]
    fn one_turn_with_system_prompt_matches_meta() {
        let conv = Conversation { system: Some("Be brief.".into()), messages: vec![Message::user("  Hi  ")] };
        let got = code_llama_instruct(&conv, &chars).unwrap();
        let mut want = vec![BOS];
        // Meta strips the merged content as a whole: the user's leading spaces survive.
        want.extend(ids("[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\n  Hi [/INST]"));
        assert_eq!(got, want);
    }

    #[test]
    fn past_turns_end_with_a_space_and_eos() {
        let conv = Conversation {
            system: None,
            messages: vec![Message::user("a"), Message::assistant(" b\n"), Message::user("c")],
        };
        let got = code_llama_instruct(&conv, &chars).unwrap();
        let mut want = vec![BOS];
        want.extend(ids("[INST] a [/INST] b "));
        want.push(EOS);
        want.push(BOS);
        want.extend(ids("[INST] c [/INST]"));
        assert_eq!(got, want);
    }

    #[test]
    fn conversations_must_alternate_and_end_with_the_user() {
        let ends_with_answer = Conversation { system: None, messages: vec![Message::user("a"), Message::assistant("b")] };
        assert!(matches!(code_llama_instruct(&ends_with_answer, &chars), Err(EngineError::NoQuestion)));
        let two_users = Conversation { system: None, messages: vec![Message::user("a"), Message::user("b")] };
        assert!(matches!(code_llama_instruct(&two_users, &chars), Err(EngineError::BadConversation(_))));
        assert!(matches!(code_llama_instruct(&Conversation::default(), &chars), Err(EngineError::NoQuestion)));
    }
}
