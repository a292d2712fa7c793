//! The model library in the window: a Code Llama file downloaded from a fake
//! hub on 127.0.0.1 (progress, one download at a time, cancel, resume), a
//! GGUF imported by link and removed again, and "Load anyway" asking the
//! shell to skip its memory check. On the scripted fake backend.

use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::json;

use crate::common::gguf::{self, Shape, CODE_LLAMA_70B_INSTRUCT_F32};
use crate::common::*;

// The hub stand-in the downloader's own tests use: tree API, CDN redirect, Range.
#[allow(dead_code)]
#[path = "../../../../crates/models/tests/support/mod.rs"]
mod hub;

const REPO: &str = "TheBloke/CodeLlama-7B-Instruct-GGUF";
const FILE: &str = "codellama-7b-instruct.Q4_K_M.gguf";
const NAME: &str = "codellama-7b-instruct:q4_k_m";
const DEMO: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
const SEVENTY_B: &str = "codellama-70b-instruct.F32.gguf";

/// Code Llama 7B Instruct's header over 2 MiB of weights: a valid GGUF the
/// picker reads as Code Llama, small enough to serve in a few seconds.
pub(crate) const TINY_7B: Shape = Shape {
    name: "codellama_codellama-7b-instruct-hf",
    blocks: 2,
    embedding: 256,
    heads: 4,
    kv_heads: 4,
    file_type: 15,
    ggml_type: 0,
    block: (1, 4),
    parameters: 256 * 2048,
};

fn entry(name: &str, inner: &str) -> String {
    format!(".catalog-entry[data-name='{name}'] {inner}")
}

fn card(file: &str, inner: &str) -> String {
    format!(".model-card[data-file='{file}'] {inner}")
}

async fn wait_gone(c: &fantoccini::Client, css: &str, secs: u64) -> Result<()> {
    for _ in 0..secs * 4 {
        if count(c, css).await? == 0 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    anyhow::bail!("`{css}` was still there after {secs}s")
}

/// "0 MiB of 2 MiB (31%)" -> 31
fn percent_in(text: &str) -> u32 {
    text.rsplit('(').next().and_then(|t| t.strip_suffix("%)")).and_then(|n| n.parse().ok()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn download_import_and_remove_models() -> Result<()> {
    let dir = models_dir(&[])?;
    gguf::write(&dir.path().join("models").join(SEVENTY_B), &CODE_LLAMA_70B_INSTRUCT_F32)?;
    let tiny = dir.path().join("tiny.gguf");
    gguf::write(&tiny, &TINY_7B)?;
    let bytes = std::fs::read(&tiny)?;
    // Slow enough (32 chunks of 64 KiB, 200 ms apart) to watch the progress and cancel it.
    let slow = hub::Behaviour { chunk_delay: Some(Duration::from_millis(200)), ..Default::default() };
    let fake = hub::FakeHub::start(vec![hub::FakeFile::new(REPO, FILE, bytes.clone())], slow);
    let fake = &fake;
    let data = dir.path().join("data");
    let library = data.join("models");
    let reply = root().join("tests/fixtures/code-reply.md");
    let demo = root().join("models").join(DEMO);
    let env = [
        ("DESK_FAKE_REPLY", reply.to_str().context("path")?),
        ("DESK_DATA_DIR", data.to_str().context("path")?),
        ("DESK_HF_ENDPOINT", fake.endpoint()),
    ];
    let (library, bytes, reply, demo) = (&library, &bytes, &reply, &demo);
    with_app("library", dir.path(), 4514, &env, |c| async move {
        wait_css(&c, "#model-ready", 30).await?;

        // The catalogue is local: opening it reaches nothing.
        click(&c, "#get-code-llama summary", false).await?;
        wait_css(&c, &entry(NAME, ".download"), 10).await?;
        assert!(fake.requests().is_empty(), "the app reached the hub unasked: {:?}", fake.requests());

        // Suggested filter: Instruct at Q4_K_M, one row per size.
        assert_eq!(count(&c, ".catalog-entry").await?, 3);
        let row = text_of(&c, &entry(NAME, ""), false).await?.unwrap_or_default();
        for part in ["Code Llama 7B Instruct", "Q4_K_M", "≈ 3.80 GiB", "infill"] {
            assert!(row.contains(part), "`{part}` missing from: {row}");
        }
        assert!(!row.contains("in library"), "{row}");
        assert_eq!(count(&c, &entry("codellama-34b-instruct:q4_k_m", ".badge.infill")).await?, 0, "34B was not trained to fill");
        assert_eq!(text_of(&c, "#catalog-quant .chip.on", false).await?.as_deref(), Some("Q4_K_M"));
        click(&c, "#catalog-flavour .chip[data-value='python']", false).await?;
        click(&c, "#catalog-quant .chip[data-value='']", false).await?;
        assert_eq!(count(&c, ".catalog-entry").await?, 9, "3 sizes x 3 quants of Python");
        assert_eq!(count(&c, ".catalog-entry .badge.infill").await?, 0, "Python was not trained to fill");
        click(&c, "#catalog-size .chip[data-value='13']", false).await?;
        assert_eq!(count(&c, ".catalog-entry").await?, 3);
        assert_eq!(attr_of(&c, "#catalog-size .chip[data-value='13']", "aria-pressed").await?.as_deref(), Some("true"));
        click(&c, "#catalog-flavour .chip[data-value='instruct']", false).await?;
        click(&c, "#catalog-quant .chip[data-value='Q4_K_M']", false).await?;
        click(&c, "#catalog-size .chip[data-value='']", false).await?;
        assert_eq!(count(&c, ".catalog-entry").await?, 3);

        // Download: progress, and the other rows wait their turn.
        click(&c, &entry(NAME, ".download"), false).await?;
        let progress = wait_text(&c, "#pull-text", 10, |t| t.contains("of 2 MiB") && percent_in(t) > 0).await?;
        assert!(percent_in(&progress) < 100, "{progress}");
        assert_eq!(prop_of(&c, &entry("codellama-13b-instruct:q4_k_m", ".download"), "disabled").await?, true, "one download at a time");
        assert_eq!(text_of(&c, &entry(NAME, ".download"), false).await?.as_deref(), Some("Downloading…"));
        let summary = text_of(&c, "#get-code-llama summary", false).await?.unwrap_or_default();
        assert!(summary.contains('%'), "{summary}");
        c.execute("document.querySelector('#pull-progress').scrollIntoView({ block: 'center' })", vec![]).await?;
        shot(&c, "library-download.png").await?;

        // Cancel keeps the partial file and says how to resume.
        click(&c, "#pull-cancel", false).await?;
        let result = wait_text(&c, "#pull-result", 10, |t| !t.is_empty()).await?;
        assert!(result.contains("Download again to resume"), "{result}");
        assert_eq!(count(&c, "#pull-progress").await?, 0);
        assert_eq!(prop_of(&c, &entry("codellama-13b-instruct:q4_k_m", ".download"), "disabled").await?, false);
        let kept = std::fs::metadata(library.join(format!("{FILE}.part")))?.len();
        assert!(kept > 0 && kept < bytes.len() as u64, "kept {kept} of {}", bytes.len());

        // Download again resumes where it stopped, then the model is listed.
        fake.set_behaviour(hub::Behaviour::default());
        click(&c, &entry(NAME, ".download"), false).await?;
        wait_text(&c, "#pull-result", 30, |t| t.contains(&format!("Downloaded {FILE}"))).await?;
        let last = fake.content_requests().pop().context("no content request")?;
        assert_eq!((last.status, last.range.as_deref()), (206, Some(format!("bytes={kept}-").as_str())), "{last:?}");
        assert_eq!(&std::fs::read(library.join(FILE))?, bytes);
        wait_text(&c, &entry(NAME, ""), 10, |t| t.contains("in library")).await?;
        assert_eq!(count(&c, &entry(NAME, ".download")).await?, 0);
        let seven = wait_text(&c, &card(FILE, ""), 10, |t| t.contains("in library")).await?;
        assert!(seven.contains("Code Llama 7B Instruct"), "{seven}");

        // Import: a file that is not a model is refused with its reason; ~ gets a hint.
        click(&c, "#import-gguf summary", false).await?;
        set_value(&c, "#import-path", reply.to_str().context("path")?).await?;
        click(&c, "#import-link", false).await?;
        let refused = wait_text(&c, "#import-error", 10, |t| !t.is_empty()).await?;
        assert!(refused.contains("not a GGUF"), "{refused}");
        set_value(&c, "#import-path", "~/nothing.gguf").await?;
        click(&c, "#import-copy", false).await?;
        wait_text(&c, "#import-error", 10, |t| t.contains("~ is not expanded")).await?;

        // Import the demo model by link.
        set_value(&c, "#import-path", demo.to_str().context("path")?).await?;
        click(&c, "#import-link", false).await?;
        wait_text(&c, "#import-result", 10, |t| t.contains(&format!("Linked {DEMO}"))).await?;
        wait_text(&c, &card(DEMO, ""), 10, |t| t.contains("in library")).await?;
        assert!(library.join(DEMO).symlink_metadata()?.file_type().is_symlink());
        assert_eq!(prop_of(&c, "#import-path", "value").await?, "");
        // The project's own models/ is never offered for removal.
        assert_eq!(count(&c, &card("a-demo.gguf", ".remove")).await?, 0);
        assert_eq!(count(&c, &card("a-demo.gguf", ".badge.present")).await?, 0);
        // The imported and downloaded cards, then the catalogue with its row "in library".
        c.execute("document.querySelector(arguments[0]).scrollIntoView({ block: 'start' })", vec![card(DEMO, "").into()]).await?;
        shot(&c, "library.png").await?;

        // Remove asks first; Cancel keeps it, the confirm removes the link only.
        click(&c, &card(DEMO, ".remove"), false).await?;
        let ask = wait_text(&c, &card(DEMO, ".remove-confirm"), 5, |t| t.contains("Delete")).await?;
        assert!(ask.contains(DEMO), "{ask}");
        click(&c, &card(DEMO, ".remove-no"), false).await?;
        assert_eq!(count(&c, &card(DEMO, ".remove-confirm")).await?, 0);
        assert!(library.join(DEMO).symlink_metadata().is_ok(), "Cancel removed the model");
        click(&c, &card(DEMO, ".remove"), false).await?;
        click(&c, &card(DEMO, ".remove-yes"), false).await?;
        wait_gone(&c, &card(DEMO, ""), 10).await?;
        assert!(library.join(DEMO).symlink_metadata().is_err(), "the link is still in the library");
        assert!(demo.is_file(), "removing a linked model deleted its target");
        assert_eq!(count(&c, &card("a-demo.gguf", "")).await?, 1);

        // "Load anyway" asks the shell to skip its memory check; a plain load does not.
        c.execute(
            "const core = window.__TAURI__.core; window.__loads = [];
             window.__TAURI__.core = Object.assign({}, core, { invoke: (cmd, args, options) => {
               if (cmd === 'load_model') window.__loads.push(args.force === undefined ? null : args.force);
               return core.invoke(cmd, args, options);
             } });",
            vec![],
        )
        .await?;
        click(&c, &card(SEVENTY_B, ".load"), false).await?;
        wait_css(&c, &card(SEVENTY_B, ".load-anyway"), 5).await?;
        click(&c, &card(SEVENTY_B, ".load-anyway"), false).await?;
        wait_text(&c, "#model-ready", 30, |t| t.contains(SEVENTY_B)).await?;
        click(&c, &card(FILE, ".load"), false).await?;
        wait_text(&c, "#model-ready", 30, |t| t.contains(FILE)).await?;
        assert_eq!(c.execute("return window.__loads", vec![]).await?, json!([true, null]));
        // The model in use cannot be removed from under the engine.
        assert_eq!(prop_of(&c, &card(FILE, ".remove"), "disabled").await?, true);
        Ok(())
    })
    .await
}
