//! Downloads from the Code Llama catalogue (wired to desk-models).

use anyhow::{bail, Result};

pub fn catalog(_json: bool) -> Result<()> {
    bail!("pending")
}

pub fn pull(_name: &str, _json: bool) -> Result<()> {
    bail!("pending")
}
