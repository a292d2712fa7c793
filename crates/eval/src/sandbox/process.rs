//! Starting a child under resource limits in its own process group, and
//! waiting for it with a wall-clock deadline.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

/// Values for setrlimit; `Copy` so the pre-exec closure owns them outright.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub cpu_seconds: u64,
    pub memory_bytes: u64,
    pub file_size_bytes: u64,
    pub max_processes: u64,
}

/// Makes `command` start as the leader of a new process group (so a timeout
/// can kill everything it started) with `limits` applied.
pub(crate) fn confine(command: &mut Command, limits: Limits) {
    command.process_group(0);
    // SAFETY: the closure runs between fork and exec, where only
    // async-signal-safe functions may be called; getrlimit and setrlimit are
    // plain system calls, and nothing here allocates or takes a lock.
    unsafe {
        command.pre_exec(move || apply(limits));
    }
}

fn apply(limits: Limits) -> io::Result<()> {
    // The CPU soft limit sends SIGXCPU; the hard limit a second later SIGKILL,
    // for a process that ignores the first.
    let cpu_hard = limits.cpu_seconds.saturating_add(1);
    set(libc::RLIMIT_CPU, limits.cpu_seconds, cpu_hard)?;
    set(libc::RLIMIT_AS, limits.memory_bytes, limits.memory_bytes)?;
    set(
        libc::RLIMIT_FSIZE,
        limits.file_size_bytes,
        limits.file_size_bytes,
    )?;
    // Counts every process and thread of the user, not just the sandbox's, and
    // root (CAP_SYS_RESOURCE) is exempt: a backstop, not the main defence.
    set(
        libc::RLIMIT_NPROC,
        limits.max_processes,
        limits.max_processes,
    )?;
    set(libc::RLIMIT_CORE, 0, 0)
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
type Resource = libc::__rlimit_resource_t;
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
type Resource = libc::c_int;

fn set(resource: Resource, soft: u64, hard: u64) -> io::Result<()> {
    let mut current = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `current` is a valid, writable rlimit.
    if unsafe { libc::getrlimit(resource, &mut current) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // Without privilege a hard limit can only be lowered, never raised.
    let hard = (hard as libc::rlim_t).min(current.rlim_max);
    let wanted = libc::rlimit {
        rlim_cur: (soft as libc::rlim_t).min(hard),
        rlim_max: hard,
    };
    // SAFETY: `wanted` is a valid rlimit.
    if unsafe { libc::setrlimit(resource, &wanted) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

pub(crate) struct Finished {
    pub status: ExitStatus,
    pub timed_out: bool,
    pub duration: Duration,
}

/// Waits until `child` exits or `timeout` passes; then kills its whole process
/// group either way, so nothing it started outlives the run.
pub(crate) fn wait_with_timeout(mut child: Child, timeout: Duration) -> io::Result<Finished> {
    let started = Instant::now();
    let pid = child.id();
    let mut poll = Duration::from_millis(1);
    let timed_out = loop {
        if has_exited(pid)? {
            break false;
        }
        let elapsed = started.elapsed();
        if elapsed >= timeout {
            break true;
        }
        std::thread::sleep(poll.min(timeout - elapsed));
        poll = (poll * 2).min(Duration::from_millis(20));
    };
    let duration = started.elapsed();
    // The leader is not reaped yet (a zombie at worst), so its pid, which is
    // also the group id, cannot have been reused.
    kill_group(pid);
    let status = child.wait()?;
    Ok(Finished {
        status,
        timed_out,
        duration,
    })
}

/// Whether `pid` has exited, without reaping it.
pub(crate) fn has_exited(pid: u32) -> io::Result<bool> {
    loop {
        // SAFETY: an all-zero siginfo_t is valid; waitid fills it in.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let options = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
        // SAFETY: `info` is valid and writable for the call.
        let rc = unsafe { libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, options) };
        if rc == 0 {
            // With WNOHANG and no state change, si_signo stays zero.
            return Ok(info.si_signo == libc::SIGCHLD);
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

pub(crate) fn kill_group(pgid: u32) {
    // ESRCH (the group is already gone) is the common, harmless outcome.
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(-(pgid as libc::pid_t), libc::SIGKILL);
    }
}
