//! A bounded GGUF header reader.
//!
//! mistralrs's own reader trusts every length in the file: a huge key length
//! aborts the process and huge counts panic. Every length here is checked
//! against the bytes that are left before anything is allocated, so a hostile
//! or broken file gives an error, never a crash.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use super::types::{tensor_bytes, GgufValue};
use crate::error::EngineError;

const MAGIC: &[u8; 4] = b"GGUF";
/// Strings above this are not something a sane GGUF contains (chat templates are ~10 KiB).
const MAX_STRING: u64 = 16 << 20;
const MAX_DIMS: u32 = 4;
const MAX_NESTING: u32 = 2;
/// More items than any real model has (vocabularies are ~10^5, tensors ~10^3).
const PLAUSIBLE_COUNT: u64 = 1 << 24;

#[derive(Debug, Clone)]
pub struct TensorInfo {
    pub name: String,
    pub dims: Vec<u64>,
    pub ggml_type: u32,
    pub offset: u64,
}

/// Everything in a GGUF file except the tensor data.
#[derive(Debug, Clone)]
pub struct GgufHeader {
    pub version: u32,
    pub file_size: u64,
    /// Where tensor data begins: the end of the header, aligned.
    pub data_start: u64,
    /// Scalars and strings; arrays are kept only as their length, except the
    /// ones a caller asked to keep in full.
    pub metadata: BTreeMap<String, GgufValue>,
    /// The arrays a caller asked for by key, in full.
    pub arrays: BTreeMap<String, GgufArray>,
    pub tensors: Vec<TensorInfo>,
}

/// A metadata array kept in full (the tokenizer's pieces, scores, types, merges).
#[derive(Debug, Clone, PartialEq)]
pub enum GgufArray {
    Strings(Vec<String>),
    Floats(Vec<f32>),
    Ints(Vec<i64>),
}

impl GgufHeader {
    pub fn get_str(&self, key: &str) -> Option<&str> {
        match self.metadata.get(key)? {
            GgufValue::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn get_bool(&self, key: &str) -> Option<bool> {
        match self.metadata.get(key)? {
            GgufValue::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn get_u64(&self, key: &str) -> Option<u64> {
        self.metadata.get(key)?.as_u64()
    }
    pub fn get_f32(&self, key: &str) -> Option<f32> {
        self.metadata.get(key)?.as_f32()
    }
    pub fn array_len(&self, key: &str) -> Option<u64> {
        match self.metadata.get(key)? {
            GgufValue::ArrayLen(n) => Some(*n),
            _ => None,
        }
    }
}

struct Bounded<R> {
    inner: R,
    pos: u64,
    len: u64,
    path: String,
    /// Where a kept array's items go while it is read.
    kept: Option<GgufArray>,
}

impl<R: Read> Bounded<R> {
    fn corrupt(&self, what: impl std::fmt::Display) -> EngineError {
        EngineError::Corrupt { path: self.path.clone(), reason: format!("{what} (at byte {})", self.pos) }
    }
    fn remaining(&self) -> u64 {
        self.len.saturating_sub(self.pos)
    }
    fn need(&self, n: u64, what: &str) -> Result<(), EngineError> {
        if n > self.remaining() {
            return Err(EngineError::Truncated {
                path: self.path.clone(),
                reason: format!("{what} needs {n} bytes but only {} are left", self.remaining()),
            });
        }
        Ok(())
    }
    fn bytes<const N: usize>(&mut self, what: &str) -> Result<[u8; N], EngineError> {
        self.need(N as u64, what)?;
        let mut buf = [0u8; N];
        self.inner.read_exact(&mut buf).map_err(|e| self.corrupt(format!("{what}: {e}")))?;
        self.pos += N as u64;
        Ok(buf)
    }
    fn u32(&mut self, what: &str) -> Result<u32, EngineError> {
        Ok(u32::from_le_bytes(self.bytes::<4>(what)?))
    }
    fn u64(&mut self, what: &str) -> Result<u64, EngineError> {
        Ok(u64::from_le_bytes(self.bytes::<8>(what)?))
    }
    fn skip(&mut self, n: u64, what: &str) -> Result<(), EngineError> {
        self.need(n, what)?;
        let copied = std::io::copy(&mut (&mut self.inner).take(n), &mut std::io::sink())
            .map_err(|e| self.corrupt(format!("{what}: {e}")))?;
        if copied != n {
            return Err(self.corrupt(format!("{what}: short read")));
        }
        self.pos += n;
        Ok(())
    }
    /// A count whose items cannot fit in what is left: a plausible count means
    /// the file was cut short, an absurd one that it is corrupt or hostile.
    fn check_count(&self, count: u64, min_item: u64, what: &str) -> Result<(), EngineError> {
        match count.checked_mul(min_item) {
            Some(bytes) if bytes <= self.remaining() => Ok(()),
            Some(bytes) if count <= PLAUSIBLE_COUNT => self.need(bytes, what),
            _ => Err(self.corrupt(format!("{what} claims {count} items, more than the file holds"))),
        }
    }

    fn string(&mut self, what: &str) -> Result<String, EngineError> {
        let n = self.u64(what)?;
        if n > MAX_STRING {
            return Err(self.corrupt(format!("{what} claims a length of {n} bytes")));
        }
        self.need(n, what)?;
        let mut buf = vec![0u8; n as usize];
        self.inner.read_exact(&mut buf).map_err(|e| self.corrupt(format!("{what}: {e}")))?;
        self.pos += n;
        String::from_utf8(buf).map_err(|_| self.corrupt(format!("{what} is not UTF-8")))
    }

    fn value(&mut self, ty: u32, depth: u32, key: &str) -> Result<GgufValue, EngineError> {
        Ok(match ty {
            0 => GgufValue::U64(self.bytes::<1>(key)?[0] as u64),
            1 => GgufValue::I64(self.bytes::<1>(key)?[0] as i8 as i64),
            2 => GgufValue::U64(u16::from_le_bytes(self.bytes::<2>(key)?) as u64),
            3 => GgufValue::I64(i16::from_le_bytes(self.bytes::<2>(key)?) as i64),
            4 => GgufValue::U64(self.u32(key)? as u64),
            5 => GgufValue::I64(self.u32(key)? as i32 as i64),
            6 => GgufValue::F32(f32::from_le_bytes(self.bytes::<4>(key)?)),
            7 => GgufValue::Bool(self.bytes::<1>(key)?[0] != 0),
            8 => GgufValue::String(self.string(key)?),
            9 => {
                if depth >= MAX_NESTING {
                    return Err(self.corrupt(format!("array in `{key}` nested too deeply")));
                }
                let item_ty = self.u32(key)?;
                let count = self.u64(key)?;
                let min = min_size(item_ty).ok_or_else(|| self.corrupt(format!("unknown array type {item_ty} in `{key}`")))?;
                self.check_count(count, min, &format!("array `{key}`"))?;
                let keep = depth == 0 && self.kept.is_some();
                if keep && count > PLAUSIBLE_COUNT {
                    return Err(self.corrupt(format!("array `{key}` claims {count} items, more than any vocabulary has")));
                }
                if let (Some(fixed), false) = (fixed_size(item_ty), keep) {
                    self.skip(count * fixed, key)?;
                } else {
                    // The count was checked against the bytes left, so this allocation is bounded by the file.
                    let mut items = Vec::with_capacity(if keep { count as usize } else { 0 });
                    for _ in 0..count {
                        let v = self.value(item_ty, depth + 1, key)?;
                        if keep {
                            items.push(v);
                        }
                    }
                    if keep {
                        self.kept = Some(array_of(items));
                    }
                }
                GgufValue::ArrayLen(count)
            }
            10 => GgufValue::U64(self.u64(key)?),
            11 => GgufValue::I64(self.u64(key)? as i64),
            12 => GgufValue::F32(f64::from_le_bytes(self.bytes::<8>(key)?) as f32),
            other => return Err(self.corrupt(format!("unknown value type {other} for `{key}`"))),
        })
    }
}

/// Items of one scalar kind; anything else becomes an empty list of strings.
fn array_of(items: Vec<GgufValue>) -> GgufArray {
    match items.first() {
        Some(GgufValue::String(_)) => {
            GgufArray::Strings(items.into_iter().map(|v| if let GgufValue::String(s) = v { s } else { String::new() }).collect())
        }
        Some(GgufValue::F32(_)) => GgufArray::Floats(items.iter().map(|v| v.as_f32().unwrap_or(0.0)).collect()),
        Some(GgufValue::U64(_) | GgufValue::I64(_) | GgufValue::Bool(_)) => GgufArray::Ints(
            items
                .iter()
                .map(|v| match *v {
                    GgufValue::U64(u) => u as i64,
                    GgufValue::I64(i) => i,
                    GgufValue::Bool(b) => b as i64,
                    _ => 0,
                })
                .collect(),
        ),
        _ => GgufArray::Strings(Vec::new()),
    }
}

fn fixed_size(ty: u32) -> Option<u64> {
    match ty {
        0 | 1 | 7 => Some(1),
        2 | 3 => Some(2),
        4..=6 => Some(4),
        10..=12 => Some(8),
        _ => None,
    }
}

/// Smallest encoding of one item, so a claimed count can be checked before reading.
fn min_size(ty: u32) -> Option<u64> {
    match ty {
        8 => Some(8),
        9 => Some(12),
        t => fixed_size(t),
    }
}

/// Read and validate the header of the GGUF at `path`.
pub fn read_header(path: &Path) -> Result<GgufHeader, EngineError> {
    let shown = path.display().to_string();
    let file = File::open(path).map_err(|e| EngineError::from_open(path, e))?;
    let meta = file.metadata().map_err(|e| EngineError::from_open(path, e))?;
    if meta.is_dir() {
        return Err(EngineError::NotFound { path: shown, reason: "it is a folder, not a file".into() });
    }
    parse_header(BufReader::with_capacity(1 << 16, file), meta.len(), shown)
}

/// Like [`read_header`], also keeping the arrays named in `keep` in full.
pub fn read_header_keeping(path: &Path, keep: &[&str]) -> Result<GgufHeader, EngineError> {
    let shown = path.display().to_string();
    let file = File::open(path).map_err(|e| EngineError::from_open(path, e))?;
    let meta = file.metadata().map_err(|e| EngineError::from_open(path, e))?;
    if meta.is_dir() {
        return Err(EngineError::NotFound { path: shown, reason: "it is a folder, not a file".into() });
    }
    parse_header_keeping(BufReader::with_capacity(1 << 16, file), meta.len(), shown, keep)
}

/// Validate a header from any reader of `len` bytes (the fuzz target feeds memory).
pub fn parse_header(reader: impl Read, len: u64, shown: String) -> Result<GgufHeader, EngineError> {
    parse_header_keeping(reader, len, shown, &[])
}

pub fn parse_header_keeping(reader: impl Read, len: u64, shown: String, keep: &[&str]) -> Result<GgufHeader, EngineError> {
    if len == 0 {
        return Err(EngineError::NotGguf { path: shown, reason: "the file is empty".into() });
    }
    let mut r = Bounded { inner: reader, pos: 0, len, path: shown.clone(), kept: None };
    if len < 4 {
        return Err(EngineError::NotGguf { path: shown, reason: format!("only {len} bytes long") });
    }
    let magic = r.bytes::<4>("magic")?;
    if &magic != MAGIC {
        let hint = if magic.iter().all(|b| b.is_ascii() && !b.is_ascii_control() || b.is_ascii_whitespace()) {
            "it looks like a text file"
        } else {
            "it does not start with the GGUF magic bytes"
        };
        return Err(EngineError::NotGguf { path: shown, reason: hint.into() });
    }
    let version = r.u32("version")?;
    if !(2..=3).contains(&version) {
        return Err(EngineError::Corrupt { path: shown, reason: format!("GGUF version {version} is not supported (2 and 3 are)") });
    }
    let tensor_count = r.u64("tensor count")?;
    let kv_count = r.u64("metadata count")?;
    // Each entry needs at least a key length, a type and a value byte.
    r.check_count(kv_count, 13, "the metadata")?;
    r.check_count(tensor_count, 24, "the tensor list")?;
    let mut metadata = BTreeMap::new();
    let mut arrays = BTreeMap::new();
    for _ in 0..kv_count {
        let key = r.string("metadata key")?;
        let ty = r.u32("value type")?;
        let wanted = ty == 9 && keep.contains(&key.as_str());
        // A placeholder marks "keep this one"; `value` replaces it with the items.
        r.kept = wanted.then(|| GgufArray::Strings(Vec::new()));
        let value = r.value(ty, 0, &key)?;
        if let Some(array) = r.kept.take().filter(|_| wanted) {
            arrays.insert(key.clone(), array);
        }
        metadata.insert(key, value);
    }
    let mut tensors = Vec::with_capacity(tensor_count.min(1 << 16) as usize);
    for _ in 0..tensor_count {
        let name = r.string("tensor name")?;
        let n_dims = r.u32("tensor dims")?;
        if n_dims == 0 || n_dims > MAX_DIMS {
            return Err(r.corrupt(format!("tensor `{name}` has {n_dims} dimensions")));
        }
        let mut dims = Vec::with_capacity(n_dims as usize);
        for _ in 0..n_dims {
            dims.push(r.u64("tensor dim")?);
        }
        let ggml_type = r.u32("tensor type")?;
        let offset = r.u64("tensor offset")?;
        tensors.push(TensorInfo { name, dims, ggml_type, offset });
    }
    let alignment = metadata.get("general.alignment").and_then(GgufValue::as_u64).unwrap_or(32);
    if alignment == 0 || !alignment.is_power_of_two() || alignment > 1 << 20 {
        return Err(r.corrupt(format!("alignment {alignment} is invalid")));
    }
    let data_start = r.pos.div_ceil(alignment) * alignment;
    let mut spans = Vec::with_capacity(tensors.len());
    for t in &tensors {
        let bytes = tensor_bytes(t.ggml_type, &t.dims)
            .ok_or_else(|| r.corrupt(format!("tensor `{}` has an unknown type {} or impossible shape", t.name, t.ggml_type)))?;
        let end = data_start.checked_add(t.offset).and_then(|s| s.checked_add(bytes));
        if t.offset % alignment != 0 {
            return Err(r.corrupt(format!("tensor `{}` starts at offset {}, not a multiple of the alignment {alignment}", t.name, t.offset)));
        }
        match end {
            Some(end) if end <= len => spans.push((t.offset, t.offset + bytes, &t.name)),
            _ => {
                return Err(EngineError::Truncated {
                    path: shown,
                    reason: format!("tensor `{}` ends past the end of the file ({len} bytes): the download is incomplete", t.name),
                })
            }
        }
    }
    // Two tensors sharing bytes is never a real model: it is a crafted file.
    spans.sort_unstable();
    if let Some(w) = spans.windows(2).find(|w| w[1].0 < w[0].1) {
        return Err(r.corrupt(format!("tensors `{}` and `{}` overlap in the file", w[0].2, w[1].2)));
    }
    Ok(GgufHeader { version, file_size: len, data_start, metadata, arrays, tensors })
}
