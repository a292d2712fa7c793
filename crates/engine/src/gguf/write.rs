//! A minimal GGUF v3 writer (f32 tensors only), used to make test fixtures and
//! synthetic models of a given shape without any outside tool.

use std::io::{BufWriter, Write};
use std::path::Path;

#[derive(Debug, Clone)]
pub enum MetaValue {
    U32(u32),
    F32(f32),
    Bool(bool),
    Str(String),
    StrArray(Vec<String>),
    F32Array(Vec<f32>),
    I32Array(Vec<i32>),
}

#[derive(Debug, Default)]
pub struct GgufWriter {
    metadata: Vec<(String, MetaValue)>,
    /// name, dims (innermost first, as GGUF stores them), data
    tensors: Vec<(String, Vec<u64>, Vec<f32>)>,
}

const ALIGN: u64 = 32;

impl GgufWriter {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn meta(&mut self, key: &str, value: MetaValue) -> &mut Self {
        self.metadata.push((key.to_string(), value));
        self
    }

    pub fn tensor(&mut self, name: &str, dims: &[u64], data: Vec<f32>) -> &mut Self {
        debug_assert_eq!(dims.iter().product::<u64>() as usize, data.len());
        self.tensors.push((name.to_string(), dims.to_vec(), data));
        self
    }

    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let mut w = BufWriter::new(std::fs::File::create(path)?);
        w.write_all(b"GGUF")?;
        w.write_all(&3u32.to_le_bytes())?;
        w.write_all(&(self.tensors.len() as u64).to_le_bytes())?;
        w.write_all(&(self.metadata.len() as u64).to_le_bytes())?;
        let mut pos = 24u64;
        for (key, value) in &self.metadata {
            pos += write_str(&mut w, key)?;
            pos += write_value(&mut w, value)?;
        }
        let mut offset = 0u64;
        for (name, dims, data) in &self.tensors {
            pos += write_str(&mut w, name)?;
            w.write_all(&(dims.len() as u32).to_le_bytes())?;
            for d in dims {
                w.write_all(&d.to_le_bytes())?;
            }
            w.write_all(&0u32.to_le_bytes())?; // F32
            w.write_all(&offset.to_le_bytes())?;
            pos += 4 + 8 * dims.len() as u64 + 4 + 8;
            offset += (data.len() as u64 * 4).div_ceil(ALIGN) * ALIGN;
        }
        let padding = pos.div_ceil(ALIGN) * ALIGN - pos;
        w.write_all(&vec![0u8; padding as usize])?;
        for (_, _, data) in &self.tensors {
            for v in data {
                w.write_all(&v.to_le_bytes())?;
            }
            let len = data.len() as u64 * 4;
            w.write_all(&vec![0u8; (len.div_ceil(ALIGN) * ALIGN - len) as usize])?;
        }
        w.flush()
    }
}

fn write_str(w: &mut impl Write, s: &str) -> std::io::Result<u64> {
    w.write_all(&(s.len() as u64).to_le_bytes())?;
    w.write_all(s.as_bytes())?;
    Ok(8 + s.len() as u64)
}

fn write_value(w: &mut impl Write, value: &MetaValue) -> std::io::Result<u64> {
    let (ty, body): (u32, Vec<u8>) = match value {
        MetaValue::U32(v) => (4, v.to_le_bytes().to_vec()),
        MetaValue::F32(v) => (6, v.to_le_bytes().to_vec()),
        MetaValue::Bool(v) => (7, vec![*v as u8]),
        MetaValue::Str(s) => {
            let mut b = (s.len() as u64).to_le_bytes().to_vec();
            b.extend_from_slice(s.as_bytes());
            (8, b)
        }
        MetaValue::StrArray(items) => {
            let mut b = 8u32.to_le_bytes().to_vec();
            b.extend_from_slice(&(items.len() as u64).to_le_bytes());
            for s in items {
                b.extend_from_slice(&(s.len() as u64).to_le_bytes());
                b.extend_from_slice(s.as_bytes());
            }
            (9, b)
        }
        MetaValue::F32Array(items) => {
            let mut b = 6u32.to_le_bytes().to_vec();
            b.extend_from_slice(&(items.len() as u64).to_le_bytes());
            items.iter().for_each(|v| b.extend_from_slice(&v.to_le_bytes()));
            (9, b)
        }
        MetaValue::I32Array(items) => {
            let mut b = 5u32.to_le_bytes().to_vec();
            b.extend_from_slice(&(items.len() as u64).to_le_bytes());
            items.iter().for_each(|v| b.extend_from_slice(&v.to_le_bytes()));
            (9, b)
        }
    };
    w.write_all(&ty.to_le_bytes())?;
    w.write_all(&body)?;
    Ok(4 + body.len() as u64)
}
