//! Standard output that tolerates a closed pipe (`desk models | head`): the
//! reader has all it wanted, so leave quietly instead of panicking in println!.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;

use anyhow::{bail, Context};

pub fn print_line(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => Ok(other?),
    }
}

/// The text of `file`, or of stdin when none is given (refusing an interactive
/// terminal, which would wait forever); `what` names it in the refusal.
pub fn read_input(file: Option<&Path>, what: &str) -> anyhow::Result<String> {
    match file {
        Some(f) => std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display())),
        None => {
            if std::io::stdin().is_terminal() {
                bail!("pipe {what} on stdin or give a FILE");
            }
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s)?;
            Ok(s)
        }
    }
}
