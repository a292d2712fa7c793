//! The `.part` file a download grows in, and the running SHA-256 of its bytes.
//!
//! The hash always covers exactly the bytes on disk: an existing part is hashed
//! from the file itself before appending, so a crash or a failed write can
//! never leave the two out of step.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use sha2::{Digest, Sha256};

use crate::{platform, Error};

/// Large enough that hashing a 30 GB part is disk-bound, small enough to
/// notice a cancel quickly.
const HASH_BUFFER: usize = 1 << 20;

pub(crate) struct PartFile {
    path: PathBuf,
    file: File,
    len: u64,
    hasher: Sha256,
    /// Bytes kept from an earlier run (0 once restarted from scratch).
    reused: u64,
}

impl PartFile {
    /// Opens or creates the part, locks it against a second downloader, and
    /// hashes what an earlier run left. A part longer than `size` cannot be a
    /// prefix of the file and is emptied.
    pub(crate) fn open(path: PathBuf, size: u64, cancel: &AtomicBool) -> Result<PartFile, Error> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(Error::io(&path))?;
        if !platform::try_lock(&file).map_err(Error::io(&path))? {
            return Err(Error::Busy { part: path });
        }
        let existing = file.metadata().map_err(Error::io(&path))?.len();
        let mut part = PartFile {
            path,
            file,
            len: 0,
            hasher: Sha256::new(),
            reused: 0,
        };
        if existing > size {
            part.restart()?;
        } else {
            part.hash_existing(existing, cancel)?;
        }
        Ok(part)
    }

    fn hash_existing(&mut self, existing: u64, cancel: &AtomicBool) -> Result<(), Error> {
        let io_err = Error::io(&self.path);
        let mut reader = (&self.file).take(existing);
        let mut buf = vec![0u8; HASH_BUFFER];
        loop {
            if cancel.load(Ordering::Relaxed) {
                return Err(Error::Cancelled {
                    part: self.path.clone(),
                    downloaded: existing,
                });
            }
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_err(e)),
            };
            self.hasher.update(&buf[..n]);
            self.len += n as u64;
        }
        self.reused = self.len;
        // Appends go after exactly the hashed bytes.
        self.file
            .seek(SeekFrom::Start(self.len))
            .map_err(Error::io(&self.path))?;
        Ok(())
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    pub(crate) fn reused(&self) -> u64 {
        self.reused
    }

    /// Writes `bytes` at the end; they are hashed only once they are on disk.
    pub(crate) fn append(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.file.write_all(bytes).map_err(Error::io(&self.path))?;
        self.hasher.update(bytes);
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// Empties the part, for a server that answers a range request with the whole file.
    pub(crate) fn restart(&mut self) -> Result<(), Error> {
        self.file.set_len(0).map_err(Error::io(&self.path))?;
        self.file
            .seek(SeekFrom::Start(0))
            .map_err(Error::io(&self.path))?;
        self.hasher = Sha256::new();
        self.len = 0;
        self.reused = 0;
        Ok(())
    }

    /// Deletes the part: its bytes are known not to be the file.
    pub(crate) fn discard(self) -> Result<(), Error> {
        drop(self.file);
        fs::remove_file(&self.path).map_err(Error::io(&self.path))
    }

    /// Checks the complete part against `expected_sha256` and, if it matches,
    /// renames it to `final_path`; if not, deletes it. Returns the hex digest.
    pub(crate) fn finish(self, final_path: &Path, expected_sha256: &str) -> Result<String, Error> {
        // Synced before the rename so a crash cannot leave a final name on
        // unwritten data.
        self.file.sync_all().map_err(Error::io(&self.path))?;
        let actual = hex(&self.hasher.finalize());
        // Closed before renaming: Windows cannot rename an open file.
        drop(self.file);
        if actual != expected_sha256 {
            fs::remove_file(&self.path).map_err(Error::io(&self.path))?;
            let file = final_path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned());
            return Err(Error::ChecksumMismatch {
                file: file.unwrap_or_default(),
                expected: expected_sha256.to_owned(),
                actual,
            });
        }
        fs::rename(&self.path, final_path).map_err(Error::io(final_path))?;
        if let Some(dir) = final_path.parent() {
            platform::sync_dir(dir);
        }
        Ok(actual)
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELLO_SHA: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    fn no_cancel() -> AtomicBool {
        AtomicBool::new(false)
    }

    #[test]
    fn existing_bytes_count_toward_the_hash() {
        let dir = tempfile::tempdir().unwrap();
        let part_path = dir.path().join("x.gguf.part");
        fs::write(&part_path, b"he").unwrap();
        let mut part = PartFile::open(part_path.clone(), 5, &no_cancel()).unwrap();
        assert_eq!((part.len(), part.reused()), (2, 2));
        part.append(b"llo").unwrap();
        let final_path = dir.path().join("x.gguf");
        assert_eq!(part.finish(&final_path, HELLO_SHA).unwrap(), HELLO_SHA);
        assert_eq!(fs::read(&final_path).unwrap(), b"hello");
        assert!(!part_path.exists());
    }

    #[test]
    fn a_part_longer_than_the_file_is_emptied() {
        let dir = tempfile::tempdir().unwrap();
        let part_path = dir.path().join("x.gguf.part");
        fs::write(&part_path, b"too long").unwrap();
        let part = PartFile::open(part_path.clone(), 5, &no_cancel()).unwrap();
        assert_eq!(part.len(), 0);
        assert_eq!(fs::metadata(&part_path).unwrap().len(), 0);
    }

    #[test]
    fn restart_forgets_everything() {
        let dir = tempfile::tempdir().unwrap();
        let part_path = dir.path().join("x.gguf.part");
        fs::write(&part_path, b"xx").unwrap();
        let mut part = PartFile::open(part_path, 5, &no_cancel()).unwrap();
        part.restart().unwrap();
        part.append(b"hello").unwrap();
        assert_eq!(part.reused(), 0);
        part.finish(&dir.path().join("x.gguf"), HELLO_SHA).unwrap();
    }

    #[test]
    fn mismatch_deletes_the_part_and_leaves_no_final_file() {
        let dir = tempfile::tempdir().unwrap();
        let part_path = dir.path().join("x.gguf.part");
        let mut part = PartFile::open(part_path.clone(), 5, &no_cancel()).unwrap();
        part.append(b"hellO").unwrap();
        let final_path = dir.path().join("x.gguf");
        match part.finish(&final_path, HELLO_SHA) {
            Err(Error::ChecksumMismatch {
                file,
                expected,
                actual,
            }) => {
                assert_eq!(file, "x.gguf");
                assert_eq!(expected, HELLO_SHA);
                assert_ne!(actual, HELLO_SHA);
            }
            other => panic!("expected a checksum mismatch, got {other:?}"),
        }
        assert!(!part_path.exists());
        assert!(!final_path.exists());
    }

    #[test]
    fn cancel_while_hashing_keeps_the_part() {
        let dir = tempfile::tempdir().unwrap();
        let part_path = dir.path().join("x.gguf.part");
        fs::write(&part_path, b"he").unwrap();
        let cancelled = AtomicBool::new(true);
        let result = PartFile::open(part_path.clone(), 5, &cancelled);
        assert!(matches!(
            result,
            Err(Error::Cancelled { downloaded: 2, .. })
        ));
        assert_eq!(fs::read(&part_path).unwrap(), b"he");
    }

    #[cfg(unix)]
    #[test]
    fn a_second_downloader_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let part_path = dir.path().join("x.gguf.part");
        let _first = PartFile::open(part_path.clone(), 5, &no_cancel()).unwrap();
        let second = PartFile::open(part_path, 5, &no_cancel());
        assert!(matches!(second, Err(Error::Busy { .. })));
    }
}
