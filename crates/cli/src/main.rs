//! `desk`: headless chat, benchmarks and model listing on the same engine as the app.

mod args;
mod ask;
mod bench;
mod chat;
mod complete;
mod draft;
mod eval;
mod history;
mod infill;
mod load;
mod models;
mod out;
mod record;
mod render_cmd;
mod serve;
mod tokenize;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "desk", version, about = "Codellama Desk from the terminal: offline coding help on a local GGUF model")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Ask one question (a pasted snippet on stdin is appended) and stream the answer.
    Ask(ask::AskArgs),
    /// Multi-turn chat in the terminal (/reset, /system TEXT, /quit; Ctrl-C stops a reply).
    Chat(chat::ChatArgs),
    /// Measure load time, time to first token, prompt and decode speed, peak memory.
    Bench(bench::BenchArgs),
    /// The model library: list, inspect PATH, catalog, pull NAME, import PATH, rm NAME.
    Models(models::ModelsArgs),
    /// Render a saved reply (markdown file) as the app shows it: text, --json document or --html page.
    Render(render_cmd::RenderArgs),
    /// Stored conversations: list, show ID, search TEXT, rm ID, export [ID], import FILE.
    History(history::HistoryArgs),
    /// Fill a hole in code (Code Llama 7B/13B): a <FILL> marker, or --at LINE:COL.
    Infill(infill::InfillArgs),
    /// Continue text or code (completion mode, for base and Python models).
    Complete(complete::CompleteArgs),
    /// The token ids of a text on a model (FILE or stdin), as the engine encodes it; --json adds the pieces.
    Tokenize(tokenize::TokenizeArgs),
    /// Benchmarks of answer quality: humaneval (pass@k) and infill, tests run in a sandbox.
    Eval(eval::EvalArgs),
    /// An OpenAI-compatible API on 127.0.0.1 (chat, completions with fill in the middle, /infill) for editors.
    Serve(serve::ServeArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Ask(a) => ask::run(a).await,
            Command::Chat(a) => chat::run(a).await,
            Command::Bench(a) => bench::run(a).await,
            Command::Models(a) => models::run(a),
            Command::Render(a) => render_cmd::run(a),
            Command::History(a) => history::run(a),
            Command::Infill(a) => infill::run(a).await,
            Command::Complete(a) => complete::run(a).await,
            Command::Eval(a) => eval::run(a).await,
            Command::Tokenize(a) => tokenize::run(a),
            Command::Serve(a) => serve::run(a).await,
        }
    });
    // mistralrs keeps engine threads alive; leave without waiting for them.
    match result {
        Ok(()) => std::process::exit(0),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(1)
        }
    }
}
