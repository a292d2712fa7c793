//! Which Code Llama a file is. GGUF has no field for it, so the flavour comes
//! from `general.name` and the file name (TheBloke's names carry it), and the
//! size from the name or, failing that, the layer count.

use desk_protocol::{CodeLlama, Flavour, Modes, PromptFormat};

use super::CODE_LLAMA_VOCAB;

pub fn code_llama(
    architecture: &str,
    vocab_size: Option<u64>,
    name: Option<&str>,
    file_name: &str,
    block_count: Option<u64>,
) -> Option<CodeLlama> {
    if architecture != "llama" || vocab_size != Some(CODE_LLAMA_VOCAB) {
        return None;
    }
    let label = format!("{} {}", name.unwrap_or_default(), file_name).to_ascii_lowercase();
    let flavour = if label.contains("python") {
        Flavour::Python
    } else if label.contains("instruct") {
        Flavour::Instruct
    } else {
        Flavour::Base
    };
    let size_b = size_from_label(&label).or(match block_count {
        Some(32) => Some(7),
        Some(40) => Some(13),
        Some(48) => Some(34),
        Some(80) => Some(70),
        _ => None,
    });
    // Meta trained only 7B and 13B (base and Instruct) with the infilling objective.
    let infill = flavour != Flavour::Python && !matches!(size_b, Some(34) | Some(70));
    Some(CodeLlama { flavour, size_b, infill })
}

fn size_from_label(label: &str) -> Option<u32> {
    [7, 13, 34, 70].into_iter().find(|n| {
        let tag = format!("{n}b");
        label.match_indices(&tag).any(|(i, _)| {
            let before = label[..i].chars().next_back();
            let after = label[i + tag.len()..].chars().next();
            !before.is_some_and(|c| c.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_alphanumeric())
        })
    })
}

pub fn modes(format: PromptFormat, code_llama: Option<CodeLlama>) -> Modes {
    Modes {
        chat: format != PromptFormat::Completion,
        // Every model can continue text; for base and Python models it is the main mode.
        complete: true,
        infill: code_llama.is_some_and(|c| c.infill),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(name: &str, file: &str, blocks: u64) -> Option<CodeLlama> {
        code_llama("llama", Some(32016), Some(name), file, Some(blocks))
    }

    #[test]
    fn flavours_sizes_and_infill_follow_metas_release() {
        let k = kind("codellama_codellama-7b-instruct-hf", "codellama-7b-instruct.Q4_K_M.gguf", 32).unwrap();
        assert_eq!((k.flavour, k.size_b, k.infill), (Flavour::Instruct, Some(7), true));
        let k = kind("codellama_codellama-13b-python-hf", "codellama-13b-python.Q5_K_M.gguf", 40).unwrap();
        assert_eq!((k.flavour, k.size_b, k.infill), (Flavour::Python, Some(13), false));
        let k = kind("codellama_codellama-34b-hf", "codellama-34b.Q8_0.gguf", 48).unwrap();
        assert_eq!((k.flavour, k.size_b, k.infill), (Flavour::Base, Some(34), false));
        // No size in the names: the layer count decides.
        let k = kind("", "my-model.gguf", 40).unwrap();
        assert_eq!((k.flavour, k.size_b, k.infill), (Flavour::Base, Some(13), true));
        // "17b" is not 7B.
        assert_eq!(size_from_label("foo-17b.gguf"), None);
    }

    #[test]
    fn other_vocabularies_are_not_code_llama() {
        assert_eq!(code_llama("llama", Some(32000), Some("Llama-2-7b"), "llama-2-7b.gguf", Some(32)), None);
        assert_eq!(code_llama("qwen2", Some(32016), None, "x.gguf", None), None);
        let m = modes(PromptFormat::ChatTemplate, None);
        assert_eq!((m.chat, m.complete, m.infill), (true, true, false));
    }
}
