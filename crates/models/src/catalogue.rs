//! The built-in list of Code Llama GGUFs (TheBloke's Hugging Face conversions).
//!
//! Sizes here are approximate, copied from the model cards, and only meant for
//! display and rough planning: the exact size and the SHA-256 a download is
//! checked against always come from the hub.

use std::fmt;
use std::sync::OnceLock;

use serde::Serialize;

/// Which Code Llama fine-tune a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Flavour {
    /// The base model: completion and infilling.
    Base,
    /// Further trained on Python; Meta ships it without infilling.
    Python,
    /// Chat / instruction following; the one the app converses with.
    Instruct,
}

impl Flavour {
    const ALL: [Flavour; 3] = [Flavour::Instruct, Flavour::Python, Flavour::Base];

    /// The suffix TheBloke uses in repo and file names ("" for the base model).
    fn suffix(self) -> &'static str {
        match self {
            Flavour::Base => "",
            Flavour::Python => "-python",
            Flavour::Instruct => "-instruct",
        }
    }

    fn repo_suffix(self) -> &'static str {
        match self {
            Flavour::Base => "",
            Flavour::Python => "-Python",
            Flavour::Instruct => "-Instruct",
        }
    }
}

impl fmt::Display for Flavour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Flavour::Base => "base",
            Flavour::Python => "python",
            Flavour::Instruct => "instruct",
        })
    }
}

/// The llama.cpp quantisation of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Quant {
    #[serde(rename = "Q4_K_M")]
    Q4KM,
    #[serde(rename = "Q5_K_M")]
    Q5KM,
    #[serde(rename = "Q8_0")]
    Q8_0,
}

impl Quant {
    const ALL: [Quant; 3] = [Quant::Q4KM, Quant::Q5KM, Quant::Q8_0];

    /// The spelling used in GGUF file names, e.g. `Q4_K_M`.
    pub fn label(self) -> &'static str {
        match self {
            Quant::Q4KM => "Q4_K_M",
            Quant::Q5KM => "Q5_K_M",
            Quant::Q8_0 => "Q8_0",
        }
    }
}

impl fmt::Display for Quant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One downloadable model file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The command-line name, e.g. `codellama-7b-instruct:q4_k_m`.
    pub name: String,
    /// Hugging Face repository, e.g. `TheBloke/CodeLlama-7B-Instruct-GGUF`.
    pub repo: String,
    /// File inside the repository, e.g. `codellama-7b-instruct.Q4_K_M.gguf`.
    pub file: String,
    pub flavour: Flavour,
    /// Parameter count in billions: 7, 13 or 34.
    pub size_b: u32,
    pub quant: Quant,
    /// Approximate file size from the model card (decimal GB × 10⁹), for display only.
    pub approx_bytes: u64,
    /// Whether the model was trained for fill-in-the-middle (`desk infill`).
    pub infill: bool,
}

/// Approximate sizes in bytes, per parameter count, in `Quant::ALL` order.
/// From TheBloke's model cards; the flavours of one size share a file size.
const APPROX_BYTES: [(u32, [u64; 3]); 3] = [
    (7, [4_080_000_000, 4_780_000_000, 7_160_000_000]),
    (13, [7_870_000_000, 9_230_000_000, 13_830_000_000]),
    (34, [20_220_000_000, 23_840_000_000, 35_860_000_000]),
];

fn build() -> Vec<Entry> {
    let mut entries = Vec::with_capacity(27);
    for (size_b, bytes) in APPROX_BYTES {
        for flavour in Flavour::ALL {
            for (quant, approx_bytes) in Quant::ALL.into_iter().zip(bytes) {
                let stem = format!("codellama-{size_b}b{}", flavour.suffix());
                entries.push(Entry {
                    name: format!("{stem}:{}", quant.label().to_ascii_lowercase()),
                    repo: format!("TheBloke/CodeLlama-{size_b}B{}-GGUF", flavour.repo_suffix()),
                    file: format!("{stem}.{}.gguf", quant.label()),
                    flavour,
                    size_b,
                    quant,
                    approx_bytes,
                    // Meta trained infilling into the 7B and 13B base and
                    // Instruct models only; Python and all 34B lack it.
                    infill: size_b != 34 && flavour != Flavour::Python,
                });
            }
        }
    }
    entries
}

/// Every catalogue entry: smallest model first, Instruct before Python before base.
pub fn all() -> &'static [Entry] {
    static ENTRIES: OnceLock<Vec<Entry>> = OnceLock::new();
    ENTRIES.get_or_init(build)
}

/// Looks an entry up by its command-line name or its file name, ignoring case
/// and surrounding whitespace.
pub fn find(name: &str) -> Option<&'static Entry> {
    let name = name.trim();
    all()
        .iter()
        .find(|e| e.name.eq_ignore_ascii_case(name) || e.file.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::safe_file_name;

    #[test]
    fn has_all_27_distinct_entries() {
        let all = all();
        assert_eq!(all.len(), 27);
        let mut names: Vec<_> = all.iter().map(|e| e.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 27);
    }

    #[test]
    fn names_repos_and_files_follow_thebloke() {
        let e = find("codellama-7b-instruct:q4_k_m").unwrap();
        assert_eq!(e.repo, "TheBloke/CodeLlama-7B-Instruct-GGUF");
        assert_eq!(e.file, "codellama-7b-instruct.Q4_K_M.gguf");
        assert_eq!(
            (e.flavour, e.size_b, e.quant),
            (Flavour::Instruct, 7, Quant::Q4KM)
        );
        assert_eq!(e.approx_bytes, 4_080_000_000);

        let e = find("codellama-13b-python:q5_k_m").unwrap();
        assert_eq!(e.repo, "TheBloke/CodeLlama-13B-Python-GGUF");
        assert_eq!(e.file, "codellama-13b-python.Q5_K_M.gguf");
        assert_eq!(e.approx_bytes, 9_230_000_000);

        let e = find("codellama-34b:q8_0").unwrap();
        assert_eq!(e.repo, "TheBloke/CodeLlama-34B-GGUF");
        assert_eq!(e.file, "codellama-34b.Q8_0.gguf");
        assert_eq!(e.flavour, Flavour::Base);
        assert_eq!(e.approx_bytes, 35_860_000_000);
    }

    #[test]
    fn find_ignores_case_and_accepts_file_names() {
        let by_name = find(" CodeLlama-7B-Instruct:Q4_K_M ").unwrap();
        let by_file = find("codellama-7b-instruct.q4_k_m.gguf").unwrap();
        assert_eq!(by_name, by_file);
        assert!(find("codellama-70b:q4_k_m").is_none());
        assert!(find("").is_none());
    }

    #[test]
    fn infill_only_for_7b_and_13b_base_and_instruct() {
        for e in all() {
            let expected = matches!(e.size_b, 7 | 13) && e.flavour != Flavour::Python;
            assert_eq!(e.infill, expected, "{}", e.name);
        }
        assert_eq!(all().iter().filter(|e| e.infill).count(), 12);
    }

    #[test]
    fn every_file_name_is_safe() {
        for e in all() {
            assert_eq!(safe_file_name(&e.file).unwrap(), e.file);
        }
    }

    #[test]
    fn serializes_to_json() {
        let json = serde_json::to_value(find("codellama-7b:q8_0").unwrap()).unwrap();
        assert_eq!(json["name"], "codellama-7b:q8_0");
        assert_eq!(json["flavour"], "base");
        assert_eq!(json["quant"], "Q8_0");
        assert_eq!(json["size_b"], 7);
        assert_eq!(json["infill"], true);
        assert_eq!(json["approx_bytes"], 7_160_000_000u64);
    }
}
