//! Settings → Local API in the real window: on, curl and the real `openai`
//! client get answers from the window's model over 127.0.0.1; after a model
//! switch it serves the new model; off, the port is closed.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, ensure, Context, Result};
use fantoccini::Client;

use crate::common::*;

pub struct Api {
    pub url: String,
    pub key: String,
}

fn curl(args: &[&str]) -> Result<(bool, String)> {
    let out = Command::new("curl").args(["-sS", "--max-time", "120"]).args(args).output().context("curl runs")?;
    Ok((out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)))
}

/// The model id `GET /v1/models` names.
pub fn served_model(api: &Api) -> Result<String> {
    let (ok, body) = curl(&["-H", &format!("Authorization: Bearer {}", api.key), &format!("{}/models", api.url)])?;
    ensure!(ok, "GET /v1/models failed: {body}");
    let v: serde_json::Value = serde_json::from_str(&body).with_context(|| format!("not JSON: {body}"))?;
    Ok(v["data"][0]["id"].as_str().unwrap_or_default().to_string())
}

pub async fn switch_on(c: &Client) -> Result<Api> {
    if !prop_of(c, "details.settings", "open").await.is_ok_and(|v| v == serde_json::Value::Bool(true)) {
        click(c, "#settings-toggle", false).await?;
    }
    wait_css(c, "#local-api-toggle", 5).await?;
    ensure!(count(c, "#local-api-url").await? == 0, "the API is off by default");
    click(c, "#local-api-toggle", false).await?;
    let url = wait_text(c, "#local-api-url", 10, |t| t.starts_with("http://127.0.0.1:")).await?;
    let key = text_of(c, "#local-api-key", false).await?.context("the key is shown")?;
    ensure!(key.starts_with("desk-"), "{key}");
    Ok(Api { url, key })
}

pub async fn check_answers(api: &Api, model: &str) -> Result<()> {
    ensure!(served_model(api)? == model, "the API serves the window's model {model}");
    // curl, streamed: OpenAI's event stream, ending with [DONE].
    let body = r#"{"messages":[{"role":"user","content":"Say hi."}],"max_tokens":6,"temperature":0,"stream":true}"#;
    let (ok, out) = curl(&[
        "-N", "-H", &format!("Authorization: Bearer {}", api.key), "-H", "Content-Type: application/json",
        "-d", body, &format!("{}/chat/completions", api.url),
    ])?;
    ensure!(ok && out.contains("chat.completion.chunk") && out.trim_end().ends_with("data: [DONE]"), "{out}");
    let (_, refused) = curl(&["-o", "/dev/null", "-w", "%{http_code}", &format!("{}/models", api.url)])?;
    ensure!(refused == "401", "no key: {refused}");
    // The real openai client.
    let openai = PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/desk-py/openai");
    let script = "import sys, openai\n\
        c = openai.OpenAI(base_url=sys.argv[1], api_key=sys.argv[2], max_retries=0)\n\
        r = c.chat.completions.create(model=c.models.list().data[0].id, messages=[{'role': 'user', 'content': 'Say hi.'}], max_tokens=6, temperature=0)\n\
        assert r.usage.completion_tokens > 0, r\n\
        print('openai ok', repr(r.choices[0].message.content))\n";
    let out = Command::new("python3").args(["-c", script, &api.url, &api.key]).env("PYTHONPATH", &openai).output()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    ensure!(out.status.success() && text.contains("openai ok"), "the openai client against the app: {text}");
    Ok(())
}

pub async fn switch_off(c: &Client, api: &Api) -> Result<()> {
    click(c, "#local-api-toggle", false).await?;
    for _ in 0..100 {
        if count(c, "#local-api-url").await? == 0 {
            let (ok, out) = curl(&["--max-time", "5", &format!("{}/models", api.url)])?;
            ensure!(!ok && out.contains("onnect"), "off, the port is closed: {out}");
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    bail!("the switch did not turn off")
}
