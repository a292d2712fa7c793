//! `desk render FILE`: a reply as the app would show it, for checking the renderer by hand.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

#[derive(Args)]
pub struct RenderArgs {
    /// A markdown file (a saved model reply).
    file: PathBuf,
    /// Print the typed document as JSON.
    #[arg(long, conflicts_with = "html")]
    json: bool,
    /// Print a standalone HTML page (sanitised, highlight CSS inlined).
    #[arg(long)]
    html: bool,
}

pub fn run(args: RenderArgs) -> anyhow::Result<()> {
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    // Model output is not guaranteed UTF-8 once saved by other tools; show what can be shown.
    let text = String::from_utf8_lossy(&bytes);
    let doc = desk_render::render(&text);
    let output = if args.json {
        serde_json::to_string_pretty(&doc)? + "\n"
    } else if args.html {
        let light = desk_render::theme_css(desk_render::Theme::Light)?;
        let dark = desk_render::theme_css(desk_render::Theme::Dark)?;
        let title = args.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        desk_render::to_html_page(&doc, &title, &light, &dark)
    } else {
        desk_render::to_text(&doc)
    };
    // write_all rather than print!: a closed pipe (`| head`) is an error to report, not a panic.
    std::io::stdout().lock().write_all(output.as_bytes()).context("cannot write to stdout")?;
    Ok(())
}
