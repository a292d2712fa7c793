//! `desk serve`: the OpenAI-compatible local API on one loaded model.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use anyhow::Result;
use clap::Args;
use desk_api::{Config, Fixed, KeySource, Recorder};
use desk_engine::{Backend, LoadOptions};
use desk_protocol::{Conversation, Message, Usage};
use desk_store::{NewConversation, Store};

use crate::args::ModelArgs;

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Address to listen on; anything but loopback needs DESK_API_KEY.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port (0: any free one; the URL line says which).
    #[arg(long, default_value_t = desk_api::DEFAULT_PORT)]
    port: u16,
    /// The key clients must send (default: DESK_API_KEY, else one kept in the data folder).
    #[arg(long, env = "DESK_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// Keep each chat exchange in the conversation history.
    #[arg(long)]
    record: bool,
}

pub async fn run(args: ServeArgs) -> Result<()> {
    let (key, key_source) = desk_api::key::resolve(args.api_key.as_deref(), &desk_engine::discover::data_dir())?;
    // With --remote, editors reach the server through this API, prompts still built here.
    let backend: Arc<dyn Backend> = crate::load::open(&args.model, LoadOptions::default()).await?;
    let recorder = if args.record {
        Some(Arc::new(History(Mutex::new(crate::record::open_store()?))) as Arc<dyn Recorder>)
    } else {
        None
    };
    let config = Config { host: args.host, port: args.port, key, key_source: key_source.clone() };
    let server = desk_api::start(config, Arc::new(Fixed(backend)), recorder).await?;
    // The URL line comes first and alone on stdout: scripts and tests read it.
    println!("{}", server.url());
    match key_source {
        KeySource::Given => eprintln!("serving; clients send the key given in DESK_API_KEY / --api-key"),
        KeySource::File(path) => eprintln!("serving; clients send the key in {}", path.display()),
    }
    if args.record {
        eprintln!("chat exchanges are kept in the conversation history");
    }
    server.run_until_ctrl_c().await;
    Ok(())
}

/// `--record`: each exchange becomes a conversation of its own.
struct History(Mutex<Store>);

impl Recorder for History {
    fn record(&self, conv: &Conversation, reply: &str, _usage: &Usage, model: &str) {
        let Ok(store) = self.0.lock() else { return };
        let kept = (|| -> desk_store::Result<()> {
            let new = NewConversation { model: Some(model.to_string()), system: conv.system.clone(), ..Default::default() };
            let id = store.create_conversation(&new)?;
            let mut parent = None;
            for m in conv.messages.iter().chain(std::iter::once(&Message::assistant(reply))) {
                parent = Some(store.add_message(id, parent, m)?);
            }
            Ok(())
        })();
        if let Err(e) = kept {
            eprintln!("warning: an exchange was not recorded: {e}");
        }
    }
}
