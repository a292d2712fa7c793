use anyhow::Result;
use clap::Args;
use desk_engine::discover;

#[derive(Args, Debug)]
pub struct ModelsArgs {
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: ModelsArgs) -> Result<()> {
    let dirs = discover::model_dirs();
    let models = discover::list_models(&dirs);
    if args.json {
        let items: Vec<_> = models
            .iter()
            .map(|(path, facts)| match facts {
                Ok(f) => serde_json::json!({ "path": path, "ok": true, "facts": f }),
                Err(e) => serde_json::json!({ "path": path, "ok": false, "error": e.to_string() }),
            })
            .collect();
        println!("{}", serde_json::Value::Array(items));
        return Ok(());
    }
    if models.is_empty() {
        let shown: Vec<_> = dirs.iter().map(|d| d.display().to_string()).collect();
        println!("no GGUF files in {}", shown.join(" or "));
        return Ok(());
    }
    for (path, facts) in models {
        match facts {
            Ok(f) => println!(
                "{}\n  {} · {} · {:.0} MiB · {} · context {} · rope base {} · vocab {} · {:?}{}",
                path.display(),
                f.name.as_deref().unwrap_or("(unnamed)"),
                f.architecture,
                f.file_size as f64 / (1 << 20) as f64,
                f.file_type_name.as_deref().unwrap_or("?"),
                f.context_length.map_or("?".into(), |c| c.to_string()),
                f.rope_freq_base.map_or("?".into(), |r| r.to_string()),
                f.vocab_size.map_or("?".into(), |v| v.to_string()),
                f.format,
                if f.has_chat_template { " · chat template" } else { "" },
            ),
            Err(e) => println!("{}\n  unusable: {e}", path.display()),
        }
    }
    Ok(())
}
