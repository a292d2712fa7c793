//! A chat template is code from the model file, run by mistralrs's Jinja
//! engine on every message. Chat templates need loops and conditionals, never
//! other files, so a template that reaches for them, or nests loops deep
//! enough to run for hours, is refused before the model is loaded.

/// Longer than any real chat template (the largest tool-calling ones are ~20 KB).
const MAX_LEN: usize = 256 * 1024;
/// Real templates nest at most two loops (messages, then content parts or tools).
const MAX_LOOP_DEPTH: usize = 3;
/// `range(n)` beyond this is not formatting a conversation.
const MAX_RANGE: u64 = 10_000;

pub fn check(template: &str) -> Result<(), String> {
    if template.len() > MAX_LEN {
        return Err(format!("its chat template is {} KiB, far larger than any real one", template.len() / 1024));
    }
    let mut depth = 0usize;
    let mut rest = template;
    while let Some(start) = rest.find("{%") {
        let after = &rest[start + 2..];
        let end = after.find("%}").ok_or("its chat template has an unclosed `{%` tag")?;
        let tag = after[..end].trim_matches(|c: char| c == '-' || c == '+' || c.is_whitespace());
        let keyword = tag.split(|c: char| !c.is_ascii_alphanumeric() && c != '_').next().unwrap_or_default();
        match keyword {
            "include" | "import" | "from" | "extends" => {
                return Err(format!("its chat template uses `{keyword}`, which reads other templates or files"));
            }
            "for" => {
                depth += 1;
                if depth > MAX_LOOP_DEPTH {
                    return Err(format!("its chat template nests {depth} loops; a chat needs at most {MAX_LOOP_DEPTH}"));
                }
            }
            "endfor" => depth = depth.saturating_sub(1),
            _ => {}
        }
        rest = &after[end + 2..];
    }
    check_ranges(template)
}

fn check_ranges(template: &str) -> Result<(), String> {
    for (i, _) in template.match_indices("range(") {
        let args = &template[i + 6..];
        let args = &args[..args.find(')').unwrap_or(args.len())];
        for arg in args.split(',') {
            let digits: String = arg.trim().chars().filter(|c| c.is_ascii_digit()).collect();
            // `**`, `*` or `e` make a literal far larger than its digits show.
            let arithmetic = arg.contains('*') || arg.to_ascii_lowercase().contains('e') && !digits.is_empty();
            let too_big = digits.len() > 6 || digits.parse::<u64>().is_ok_and(|n| n > MAX_RANGE);
            if !digits.is_empty() && (too_big || arithmetic) {
                return Err(format!("its chat template loops over `range({})`, far more than a chat needs", args.trim()));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn real_templates_pass() {
        let chatml = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";
        assert_eq!(check(chatml), Ok(()));
        let llama2 = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate') }}{% endif %}{{ bos_token + '[INST] ' + message['content'] | trim + ' [/INST]' }}{% endfor %}";
        assert_eq!(check(llama2), Ok(()));
        assert_eq!(check("{% for t in tools %}{% for p in t.params %}{{ p }}{% endfor %}{% endfor %}{{ range(3) }}"), Ok(()));
    }

    #[test]
    fn hostile_templates_are_refused() {
        for t in [
            "{% include '/etc/passwd' %}",
            "{%- import 'x.j2' as x -%}",
            "{% from '/proc/self/environ' import a %}",
            "{% extends '../../secret' %}",
            "{% for a in range(100000000) %}x{% endfor %}",
            "{% for a in range(10**9) %}x{% endfor %}",
            "{% for a in range(1e9|int) %}x{% endfor %}",
            "{% for a in messages %}{% for b in messages %}{% for c in messages %}{% for d in messages %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}",
            "{% for a in messages %",
        ] {
            assert!(check(t).is_err(), "accepted: {t}");
        }
        assert!(check(&"x".repeat(300 * 1024)).is_err());
    }
}
