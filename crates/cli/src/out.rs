//! Standard output that tolerates a closed pipe (`desk models | head`): the
//! reader has all it wanted, so leave quietly instead of panicking in println!.

use std::io::Write;

pub fn print_line(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => Ok(other?),
    }
}
