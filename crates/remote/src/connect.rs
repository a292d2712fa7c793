//! Connecting: check the address, list the server's models, pick one, and
//! decide whether prompts can go out as our own token ids.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use desk_engine::{EngineError, Prompter};
use desk_protocol::{Modes, ModelFacts, PromptFormat};
use serde_json::{json, Value};

use crate::address::Address;
use crate::http::Http;
use crate::Remote;

/// Text whose ids differ between any two vocabularies worth telling apart:
/// code, indentation, digits, accents and CJK.
const PROBE: &str = "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)  # 1024 ünïcödé 日本語\n\t}";

#[derive(Debug, Clone)]
pub struct RemoteConfig {
    pub url: String,
    pub key: Option<String>,
    /// The server's model id; `None` takes the first it lists.
    pub model: Option<String>,
    /// A GGUF with the server model's vocabulary, when its name differs.
    pub vocab: Option<PathBuf>,
    /// Folders searched for a GGUF named as the server's model.
    pub search: Vec<PathBuf>,
    /// How long a reply may go without a byte before it is called stalled.
    pub stall: Duration,
    pub connect_timeout: Duration,
    /// Retries of a busy (429/503) answer, waiting its Retry-After or 1, 2, 4, 8 s.
    pub retries: usize,
    /// PEM certificates to trust besides the OS's, for a server with a private CA.
    pub ca: Option<PathBuf>,
}

impl RemoteConfig {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            key: None,
            model: None,
            vocab: None,
            search: desk_engine::discover::model_dirs(),
            stall: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(10),
            retries: 4,
            ca: None,
        }
    }
}

/// One model a server lists.
#[derive(Debug, Clone, PartialEq)]
struct Listed {
    id: String,
    n_vocab: Option<u64>,
    context: Option<usize>,
}

/// The ids of the models `url` serves (the app's "Test connection").
pub async fn list_models(config: &RemoteConfig, notice: &mut (dyn FnMut(String) + Send)) -> Result<Vec<String>, EngineError> {
    let address = Address::check(&config.url).await?;
    let mut http = Http::new(address, config.key.clone(), config.connect_timeout, config.ca.as_deref())?;
    http.retries = config.retries;
    Ok(listed(&http, notice).await?.into_iter().map(|m| m.id).collect())
}

async fn listed(http: &Http, notice: &mut (dyn FnMut(String) + Send)) -> Result<Vec<Listed>, EngineError> {
    let models = http.json(http.address.api_url("models"), None, "model list (/v1/models); is this an OpenAI-compatible server?", notice).await?;
    let data = models.get("data").and_then(Value::as_array).ok_or_else(|| {
        EngineError::Remote(format!("{} answered /v1/models without a model list: {}", http.address.shown(), crate::http::snippet(&models.to_string())))
    })?;
    Ok(data
        .iter()
        .filter_map(|m| {
            let id = m.get("id").and_then(Value::as_str)?.to_string();
            let n_vocab = m.pointer("/meta/n_vocab").and_then(Value::as_u64);
            // vLLM says max_model_len; llama-server's meta gives the training context.
            let context = m.get("max_model_len").and_then(Value::as_u64).map(|c| c as usize);
            Some(Listed { id, n_vocab, context })
        })
        .collect())
}

impl Remote {
    pub async fn connect(config: RemoteConfig, notice: &mut (dyn FnMut(String) + Send)) -> Result<Remote, EngineError> {
        let address = Address::check(&config.url).await?;
        let warning = address.warning.clone();
        let mut http = Http::new(address, config.key.clone(), config.connect_timeout, config.ca.as_deref())?;
        http.retries = config.retries;
        let server = http.address.shown();
        let models = listed(&http, notice).await?;
        let names = || models.iter().map(|m| m.id.as_str()).collect::<Vec<_>>().join(", ");
        let chosen = match &config.model {
            Some(want) => models.iter().find(|m| &m.id == want).cloned().ok_or_else(|| {
                EngineError::Remote(format!("{server} has no model named {want:?}; it serves: {}", names()))
            })?,
            None => models.first().cloned().ok_or_else(|| EngineError::Remote(format!("{server} serves no model")))?,
        };
        let context = match chosen.context {
            Some(c) => Some(c),
            None => server_context(&http).await,
        };
        let (prompter, note) = match vocabulary(&config, &chosen.id)? {
            None => (None, Some(format!(
                "{server} builds the prompt with its own chat template: no GGUF named like `{}` is in the model folders, so the format is the server's, not this app's exact one",
                chosen.id
            ))),
            Some((prompter, named)) => match agrees(&http, &prompter, &chosen, named).await {
                Ok(()) => (Some(prompter), None),
                Err(why) if config.vocab.is_some() => return Err(EngineError::Remote(why)),
                Err(why) => (None, Some(format!("{server} builds the prompt with its own chat template: {why}"))),
            },
        };
        let mut facts = match &prompter {
            Some(p) => p.facts().clone(),
            None => ModelFacts {
                format: PromptFormat::ChatTemplate,
                has_chat_template: true,
                modes: Modes { chat: true, complete: true, infill: false },
                architecture: "remote".into(),
                ..ModelFacts::default()
            },
        };
        // llama-server's id is the path it was started with: the history keeps the file's name.
        facts.file_name = base_name(&chosen.id).to_string();
        facts.path = http.address.api.as_str().trim_end_matches('/').to_string();
        let context_limit = context.or(facts.context_length.map(|c| c as usize)).unwrap_or(4096).max(16);
        Ok(Remote { http: Arc::new(http), model: chosen.id, prompter, facts, context_limit, note, warning, stall: config.stall })
    }
}

/// The context the server allocated (llama-server's `/props`), when it says.
async fn server_context(http: &Http) -> Option<usize> {
    let props = http.json(http.address.root_url("props"), None, "props", &mut |_| {}).await.ok()?;
    let n = props.pointer("/default_generation_settings/n_ctx").or_else(|| props.get("n_ctx")).and_then(Value::as_u64)?;
    Some(n as usize)
}

/// The GGUF whose header is the server model's vocabulary: the one given,
/// or one in the model folders named as the model (`true`: matched by name).
fn vocabulary(config: &RemoteConfig, model_id: &str) -> Result<Option<(Prompter, bool)>, EngineError> {
    if let Some(path) = &config.vocab {
        return Ok(Some((Prompter::open(path)?, true)));
    }
    let wanted = base_name(model_id).to_lowercase();
    let wanted_stem = wanted.strip_suffix(".gguf").unwrap_or(&wanted).to_string();
    for dir in &config.search {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        for path in files {
            let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
            let Some(stem) = name.strip_suffix(".gguf") else { continue };
            if stem == wanted_stem {
                if let Ok(p) = Prompter::open(&path) {
                    return Ok(Some((p, true)));
                }
            }
        }
    }
    Ok(None)
}

/// llama-server names a model by the path it was given.
fn base_name(id: &str) -> &str {
    id.rsplit(['/', '\\']).next().unwrap_or(id)
}

/// Whether the server tokenizes as `prompter` does: its vocabulary size when
/// listed, and the ids of a probe through `/tokenize` when the server has it.
async fn agrees(http: &Http, prompter: &Prompter, model: &Listed, named: bool) -> Result<(), String> {
    let file = &prompter.facts().file_name;
    let ours = prompter.tokenizer().vocab_size() as u64;
    if let Some(theirs) = model.n_vocab.filter(|&n| n != ours) {
        return Err(format!("its model has {theirs} tokens in its vocabulary and {file} has {ours}"));
    }
    let body = json!({ "content": PROBE, "add_special": false, "prompt": PROBE, "add_special_tokens": false, "model": model.id });
    match http.json(http.address.root_url("tokenize"), Some(&body), "tokenize route", &mut |_| {}).await {
        Ok(answer) => {
            let theirs: Option<Vec<u32>> = answer.get("tokens").and_then(Value::as_array).map(|ids| {
                ids.iter().filter_map(|t| t.as_u64().or_else(|| t.get("id").and_then(Value::as_u64))).map(|t| t as u32).collect()
            });
            match theirs {
                Some(theirs) if theirs == prompter.encode(PROBE) => Ok(()),
                Some(_) => Err(format!("the server's tokenizer splits text differently from {file}")),
                None if named => Ok(()),
                None => Err("the server's /tokenize gave no ids to compare".into()),
            }
        }
        // No /tokenize (or it refused): the name is all there is to go on.
        Err(_) if named => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_ids_name_files_by_their_last_part() {
        assert_eq!(base_name("/srv/models/CodeLlama-34b-Instruct.Q4_K_M.gguf"), "CodeLlama-34b-Instruct.Q4_K_M.gguf");
        assert_eq!(base_name("codellama"), "codellama");
        assert_eq!(base_name(r"C:\m\a.gguf"), "a.gguf");
    }

    #[test]
    fn a_gguf_named_as_the_model_is_its_vocabulary_and_others_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = RemoteConfig::new("http://127.0.0.1:1");
        config.search = vec![dir.path().to_path_buf()];
        assert!(vocabulary(&config, "x.gguf").unwrap().is_none());
        // A broken file with the right name is skipped, not an error.
        std::fs::write(dir.path().join("x.gguf"), b"not a gguf").unwrap();
        assert!(vocabulary(&config, "/models/X.gguf").unwrap().is_none());
        config.vocab = Some(dir.path().join("x.gguf"));
        assert!(vocabulary(&config, "whatever").is_err(), "a given vocabulary that cannot be read is an error");
    }
}
