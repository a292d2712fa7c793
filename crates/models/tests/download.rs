//! Downloads against a fake hub on 127.0.0.1: the happy path, and each way a
//! real network or a hostile name can go wrong.

mod support;

use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use desk_models::{Downloaded, Error, Outcome, Progress, RemoteFile};
use support::{content, sha256_hex, Behaviour, FakeFile, FakeHub};

const REPO: &str = "TheBloke/CodeLlama-7B-GGUF";
const FILE: &str = "codellama-7b.Q4_K_M.gguf";
const TARGET: RemoteFile<'static> = RemoteFile {
    repo: REPO,
    file: FILE,
};
const LEN: usize = 1 << 20;
const TIMEOUT: Duration = Duration::from_secs(5);

fn hub_with(behaviour: Behaviour) -> FakeHub {
    FakeHub::start(vec![FakeFile::new(REPO, FILE, content(LEN))], behaviour)
}

fn fetch(hub: &FakeHub, dir: &Path, retries: u32) -> Result<Downloaded, Error> {
    let cancel = AtomicBool::new(false);
    hub.downloader(TIMEOUT, retries)
        .download(TARGET, dir, &mut |_| {}, &cancel)
}

fn assert_landed(dir: &Path) {
    assert_eq!(fs::read(dir.join(FILE)).unwrap(), content(LEN));
    assert!(!dir.join(format!("{FILE}.part")).exists());
}

#[test]
fn downloads_verifies_and_lands_the_file() {
    let hub = hub_with(Behaviour::default());
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("models");
    let mut seen = Vec::new();
    let cancel = AtomicBool::new(false);
    let got = hub
        .downloader(TIMEOUT, 0)
        .download(TARGET, &library, &mut |p: Progress| seen.push(p), &cancel)
        .unwrap();
    assert_eq!(got.path, library.join(FILE));
    assert_eq!(got.size, LEN as u64);
    assert_eq!(got.sha256, sha256_hex(&content(LEN)));
    assert_eq!(got.outcome, Outcome::Downloaded { resumed_from: 0 });
    assert_landed(&library);
    assert_eq!(
        seen.first(),
        Some(&Progress {
            downloaded: 0,
            total: LEN as u64
        })
    );
    assert_eq!(
        seen.last(),
        Some(&Progress {
            downloaded: LEN as u64,
            total: LEN as u64
        })
    );
    assert!(seen.windows(2).all(|w| w[0].downloaded <= w[1].downloaded));
    let paths: Vec<_> = hub
        .requests()
        .into_iter()
        .map(|r| (r.path, r.status))
        .collect();
    assert_eq!(
        paths,
        [
            (format!("/api/models/{REPO}/tree/main"), 200),
            (format!("/{REPO}/resolve/main/{FILE}"), 302),
            (format!("/cdn/{REPO}/{FILE}"), 200),
        ]
    );

    // A second run finds the file and fetches nothing.
    let again = fetch(&hub, &library, 0).unwrap();
    assert_eq!(again.outcome, Outcome::AlreadyPresent);
    assert_eq!(hub.content_requests().len(), 2);
}

#[test]
fn a_dropped_connection_resumes_with_a_range_request() {
    let half = LEN / 2;
    let hub = hub_with(Behaviour {
        drop_at: Some(half),
        drops: 1,
        ..Behaviour::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let got = fetch(&hub, dir.path(), 3).unwrap();
    assert_landed(dir.path());
    assert_eq!(got.outcome, Outcome::Downloaded { resumed_from: 0 });
    let ranges: Vec<_> = hub
        .content_requests()
        .into_iter()
        .filter_map(|r| r.range)
        .collect();
    // Sent to the resolve URL and kept across the redirect to the CDN.
    assert_eq!(ranges, [format!("bytes={half}-"), format!("bytes={half}-")]);
    assert!(hub.content_requests().iter().any(|r| r.status == 206));
}

#[test]
fn a_server_that_ignores_range_still_yields_the_right_file() {
    let hub = hub_with(Behaviour {
        drop_at: Some(LEN / 3),
        drops: 1,
        ignore_range: true,
        ..Behaviour::default()
    });
    let dir = tempfile::tempdir().unwrap();
    fetch(&hub, dir.path(), 3).unwrap();
    assert_landed(dir.path());
    let cdn: Vec<_> = hub
        .content_requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/cdn/"))
        .collect();
    assert_eq!(cdn.len(), 2);
    assert!(cdn[1].range.is_some() && cdn[1].status == 200);
}

#[test]
fn a_connection_that_keeps_failing_keeps_the_part_for_a_rerun() {
    let hub = hub_with(Behaviour {
        drop_at: Some(LEN / 4),
        drops: 100,
        ..Behaviour::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let error = fetch(&hub, dir.path(), 2).unwrap_err();
    let message = error.to_string();
    match error {
        Error::Interrupted {
            downloaded,
            total,
            part,
            ..
        } => {
            assert_eq!((downloaded, total), ((LEN / 4) as u64, LEN as u64));
            assert_eq!(fs::metadata(&part).unwrap().len(), downloaded);
        }
        other => panic!("expected Interrupted, got {other:?}"),
    }
    assert!(
        message.contains("running the download again resumes it"),
        "{message}"
    );
    assert!(!dir.path().join(FILE).exists());

    hub.set_behaviour(Behaviour::default());
    let got = fetch(&hub, dir.path(), 0).unwrap();
    assert_eq!(
        got.outcome,
        Outcome::Downloaded {
            resumed_from: (LEN / 4) as u64
        }
    );
    assert_landed(dir.path());
}

#[test]
fn cancelling_keeps_the_part_and_the_next_call_resumes() {
    let hub = hub_with(Behaviour::default());
    let dir = tempfile::tempdir().unwrap();
    let cancel = AtomicBool::new(false);
    let mut on_progress = |p: Progress| {
        if p.downloaded >= p.total / 2 && p.downloaded < p.total {
            cancel.store(true, Ordering::Relaxed);
        }
    };
    let error = hub
        .downloader(TIMEOUT, 0)
        .download(TARGET, dir.path(), &mut on_progress, &cancel)
        .unwrap_err();
    let Error::Cancelled { part, downloaded } = error else {
        panic!("expected Cancelled, got {error:?}");
    };
    assert!(downloaded >= LEN as u64 / 2 && downloaded < LEN as u64);
    assert_eq!(
        fs::read(&part).unwrap(),
        content(LEN)[..downloaded as usize]
    );
    assert!(!dir.path().join(FILE).exists());

    let got = fetch(&hub, dir.path(), 0).unwrap();
    assert_eq!(
        got.outcome,
        Outcome::Downloaded {
            resumed_from: downloaded
        }
    );
    assert_landed(dir.path());
    let last = hub.content_requests().pop().unwrap();
    assert_eq!(
        (last.range, last.status),
        (Some(format!("bytes={downloaded}-")), 206)
    );
}

#[test]
fn a_wrong_checksum_deletes_everything() {
    let mut file = FakeFile::new(REPO, FILE, content(LEN));
    file.listed_sha256 = sha256_hex(b"something else");
    let hub = FakeHub::start(vec![file], Behaviour::default());
    let dir = tempfile::tempdir().unwrap();
    match fetch(&hub, dir.path(), 0).unwrap_err() {
        Error::ChecksumMismatch {
            file,
            expected,
            actual,
        } => {
            assert_eq!(file, FILE);
            assert_eq!(expected, sha256_hex(b"something else"));
            assert_eq!(actual, sha256_hex(&content(LEN)));
        }
        other => panic!("expected ChecksumMismatch, got {other:?}"),
    }
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn more_bytes_than_listed_is_a_size_mismatch() {
    let mut file = FakeFile::new(REPO, FILE, content(LEN));
    file.listed_size = LEN as u64 - 10;
    let hub = FakeHub::start(vec![file], Behaviour::default());
    let dir = tempfile::tempdir().unwrap();
    let error = fetch(&hub, dir.path(), 0).unwrap_err();
    assert!(
        matches!(error, Error::SizeMismatch { expected, actual, .. } if expected == LEN as u64 - 10 && actual == LEN as u64),
        "{error:?}"
    );
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn missing_repos_files_and_content_are_not_found() {
    let hub = hub_with(Behaviour::default());
    let dir = tempfile::tempdir().unwrap();
    let downloader = hub.downloader(TIMEOUT, 3);
    let cancel = AtomicBool::new(false);
    let get = |repo, file| {
        downloader
            .download(RemoteFile { repo, file }, dir.path(), &mut |_| {}, &cancel)
            .unwrap_err()
    };

    let Error::NotFound { url } = get("Nobody/Nothing-GGUF", FILE) else {
        panic!()
    };
    assert_eq!(
        url,
        format!(
            "{}/api/models/Nobody/Nothing-GGUF/tree/main",
            hub.endpoint()
        )
    );

    let Error::NotFound { url } = get(REPO, "codellama-7b.Q2_K.gguf") else {
        panic!()
    };
    assert_eq!(
        url,
        format!(
            "{}/{REPO}/resolve/main/codellama-7b.Q2_K.gguf",
            hub.endpoint()
        )
    );

    hub.set_behaviour(Behaviour {
        content_missing: true,
        ..Behaviour::default()
    });
    let Error::NotFound { url } = get(REPO, FILE) else {
        panic!()
    };
    assert!(url.ends_with(&format!("/{REPO}/resolve/main/{FILE}")));
    // A 404 is final: no retries.
    assert_eq!(hub.content_requests().len(), 2);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn a_stalled_server_times_out_in_bounded_time() {
    let hub = hub_with(Behaviour {
        chunk_delay: Some(Duration::from_secs(5)),
        ..Behaviour::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let cancel = AtomicBool::new(false);
    let start = Instant::now();
    let error = hub
        .downloader(Duration::from_millis(300), 1)
        .download(TARGET, dir.path(), &mut |_| {}, &cancel)
        .unwrap_err();
    let elapsed = start.elapsed();
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
    match error {
        Error::Network { reason, .. } => assert!(reason.contains("no data for 0.3 s"), "{reason}"),
        other => panic!("expected a network timeout, got {other:?}"),
    }
    // Two tries: the first and one retry.
    assert_eq!(
        hub.requests()
            .iter()
            .filter(|r| r.path.starts_with("/cdn/"))
            .count(),
        2
    );
}

#[test]
fn unsafe_names_are_refused_before_any_request() {
    let hub = hub_with(Behaviour::default());
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("models");
    let cancel = AtomicBool::new(false);
    let downloader = hub.downloader(TIMEOUT, 0);
    for (repo, file) in [
        (REPO, "../../etc/passwd"),
        (REPO, "a/../../x.gguf"),
        (REPO, "C:\\x.gguf"),
        (REPO, ""),
        (REPO, ".gguf"),
        (REPO, "/tmp/x.gguf"),
        ("../../TheBloke", FILE),
        ("TheBloke/../../x", FILE),
    ] {
        let result = downloader.download(RemoteFile { repo, file }, &library, &mut |_| {}, &cancel);
        assert!(
            matches!(result, Err(Error::UnsafeName { .. })),
            "{repo} {file}: {result:?}"
        );
    }
    assert!(hub.requests().is_empty());
    assert!(!library.exists());
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[cfg(unix)]
#[test]
fn not_enough_disk_space_is_refused_with_both_numbers() {
    let mut file = FakeFile::new(REPO, FILE, content(1024));
    file.listed_size = 1 << 60;
    let hub = FakeHub::start(vec![file], Behaviour::default());
    let dir = tempfile::tempdir().unwrap();
    let error = fetch(&hub, dir.path(), 0).unwrap_err();
    let message = error.to_string();
    let Error::NoSpace {
        needed, available, ..
    } = error
    else {
        panic!("{error:?}")
    };
    assert!(needed >= 1 << 60 && available < needed);
    assert!(message.contains(&needed.to_string()) && message.contains(&available.to_string()));
    assert!(hub.content_requests().is_empty());
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn a_complete_part_left_by_a_crash_is_verified_without_refetching() {
    let hub = hub_with(Behaviour::default());
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(format!("{FILE}.part")), content(LEN)).unwrap();
    let got = fetch(&hub, dir.path(), 0).unwrap();
    assert_eq!(
        got.outcome,
        Outcome::Downloaded {
            resumed_from: LEN as u64
        }
    );
    assert_landed(dir.path());
    assert!(hub.content_requests().is_empty());
}

#[test]
fn a_catalogue_entry_downloads_by_its_repo_and_file() {
    let entry = desk_models::catalogue::find("codellama-7b-instruct:q4_k_m").unwrap();
    let hub = FakeHub::start(
        vec![FakeFile::new(&entry.repo, &entry.file, content(4096))],
        Behaviour::default(),
    );
    let dir = tempfile::tempdir().unwrap();
    let cancel = AtomicBool::new(false);
    let got = hub
        .downloader(TIMEOUT, 0)
        .download(entry, dir.path(), &mut |_| {}, &cancel)
        .unwrap();
    assert_eq!(
        got.path,
        dir.path().join("codellama-7b-instruct.Q4_K_M.gguf")
    );
    assert_eq!(fs::read(&got.path).unwrap(), content(4096));
}
