//! The few file-system calls std does not offer. Where a platform lacks them
//! they degrade to "unknown" / no-op rather than failing the download.

use std::fs::File;
use std::io;
use std::path::Path;

/// Bytes an unprivileged user may still write on the file system holding `dir`,
/// or `None` where that cannot be asked.
#[cfg(unix)]
#[allow(clippy::useless_conversion)] // the statvfs field types differ between unixes
pub(crate) fn free_space(dir: &Path) -> io::Result<Option<u64>> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;

    let c_path = CString::new(dir.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains NUL"))?;
    // SAFETY: statvfs is plain old data, so all-zero is a valid value to fill in.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: c_path is NUL-terminated and outlives the call; stat is a valid out pointer.
    if unsafe { libc::statvfs(c_path.as_ptr(), &mut stat) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // f_frsize is the unit f_bavail counts in; some systems leave it 0 and mean f_bsize.
    let unit = if stat.f_frsize > 0 {
        u64::from(stat.f_frsize)
    } else {
        u64::from(stat.f_bsize)
    };
    Ok(Some(u64::from(stat.f_bavail).saturating_mul(unit)))
}

#[cfg(not(unix))]
pub(crate) fn free_space(_dir: &Path) -> io::Result<Option<u64>> {
    Ok(None)
}

/// Takes an exclusive advisory lock on `file` without waiting; `Ok(false)`
/// when another process holds it. The lock goes away with the handle.
#[cfg(unix)]
pub(crate) fn try_lock(file: &File) -> io::Result<bool> {
    use std::os::unix::io::AsRawFd;

    // SAFETY: the descriptor is valid for as long as `file` is borrowed.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return Ok(true);
    }
    let error = io::Error::last_os_error();
    if error.kind() == io::ErrorKind::WouldBlock {
        Ok(false)
    } else {
        Err(error)
    }
}

#[cfg(not(unix))]
pub(crate) fn try_lock(_file: &File) -> io::Result<bool> {
    Ok(true)
}

/// Makes a rename inside `dir` durable. Best effort: some file systems refuse
/// to fsync a directory, and the renamed file itself is already synced.
pub(crate) fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn free_space_of_temp_dir_is_known() {
        let dir = tempfile::tempdir().unwrap();
        assert!(free_space(dir.path()).unwrap().unwrap() > 0);
        assert!(free_space(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn second_lock_on_the_same_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.part");
        let first = File::create(&path).unwrap();
        let second = File::options().write(true).open(&path).unwrap();
        assert!(try_lock(&first).unwrap());
        assert!(!try_lock(&second).unwrap());
        drop(first);
        assert!(try_lock(&second).unwrap());
    }
}
