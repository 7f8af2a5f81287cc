//! Streaming: standard input and large files of any size are scanned to their end in bounded memory, in
//! overlapping chunks; a secret across a chunk boundary is found exactly once, at its line and column in
//! the whole input. `--max-file-size` is a limit only when given, and what it leaves out is named.

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use keyhound::sources::chunk::{CHUNK_LEN, OVERLAP};

use crate::util::{github_token, TestDir};

/// A CI log: build lines up to `buf.len() == until` (the last line cut short with dots).
fn log_until(buf: &mut Vec<u8>, until: usize) {
    let mut n = buf.len();
    while buf.len() < until {
        let line = format!("2026-11-30T05:00:00Z INFO step {n}: compiling crate foo v1.2.3\n");
        n += 1;
        if buf.len() + line.len() <= until {
            buf.extend_from_slice(line.as_bytes());
        } else {
            buf.resize(until, b'.');
        }
    }
}

/// 1-based line and column (bytes; the log is ASCII) of `offset` in `bytes`.
fn position(bytes: &[u8], offset: usize) -> (u64, u64) {
    let before = &bytes[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    (line as u64, (offset - start + 1) as u64)
}

/// Writes `GITHUB_TOKEN=<token>` so that the token starts at `at`; returns (line, column) of the token.
fn plant(buf: &mut Vec<u8>, at: usize, seed: u64) -> (u64, u64) {
    let prefix = b" GITHUB_TOKEN=";
    log_until(buf, at - prefix.len());
    buf.extend_from_slice(prefix);
    let place = position(buf, buf.len());
    buf.extend_from_slice(github_token(seed).as_bytes());
    buf.push(b'\n');
    place
}

/// A log of about 48 MB with four tokens: one across the first chunk's end, one across the point where
/// the second chunk takes over (the middle of the overlap), one in the middle and one near the end.
/// Returns the log and each token's (line, column).
fn big_log() -> (Vec<u8>, Vec<(u64, u64)>) {
    let mut buf = Vec::with_capacity(49 << 20);
    let places = vec![
        plant(&mut buf, CHUNK_LEN - OVERLAP / 2 - 20, 1),
        plant(&mut buf, CHUNK_LEN - 20, 2),
        plant(&mut buf, 20 << 20, 3),
        plant(&mut buf, (48 << 20) - 100, 4),
    ];
    log_until(&mut buf, 48 << 20);
    (buf, places)
}

/// The high-water mark of `pid`'s resident set (`VmHWM`, KiB), while it runs.
fn resident_peak(pid: u32) -> Option<i64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs keyhound with `stdin` and returns (exit code, stdout, peak resident set in KiB). The peak is the
/// kernel's high-water mark for the process's own memory after `exec` (`VmHWM`: it only grows), read
/// while it runs; the last reading before it exits is its peak so far. (`wait4`'s `ru_maxrss` would not
/// do: it counts the test process's memory, which the child shares until `exec`.)
fn run_measured(dir: &TestDir, args: &[&str], stdin: Vec<u8>) -> (i32, String, i64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyhound"))
        .args(args)
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run keyhound");
    let mut input = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        stdout.read_to_string(&mut out).unwrap();
        out
    });
    let mut peak = None;
    let status = loop {
        if let Some(kib) = resident_peak(child.id()) {
            peak = peak.max(Some(kib));
        }
        match child.try_wait().expect("wait") {
            Some(status) => break status,
            None => std::thread::sleep(std::time::Duration::from_millis(2)),
        }
    };
    writer.join().unwrap();
    let out = reader.join().unwrap();
    let peak = peak.expect("keyhound's memory was read while it ran");
    (status.code().expect("exit code"), out, peak)
}

#[test]
fn a_48_mb_stdin_log_is_scanned_to_its_end_in_bounded_memory() {
    let dir = TestDir::new();
    let (log, places) = big_log();
    let len = log.len();
    let (code, out, peak_kib) = run_measured(&dir, &["scan", "stdin", "--format", "json"], log);
    assert_eq!(code, 1, "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["summary"]["bytes_scanned"], len as u64);
    assert_eq!(json["summary"]["files_scanned"], 1);
    let mut found: Vec<(u64, u64)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(f["path"], "<stdin>");
            assert_eq!(f["rule_id"], "github-pat-classic");
            assert_eq!(f["end_line"], f["line"]);
            (f["line"].as_u64().unwrap(), f["column"].as_u64().unwrap())
        })
        .collect();
    found.sort();
    // every token once (none lost at a boundary, none found twice in an overlap), at its place
    assert_eq!(found, places);
    // Reading the log whole would need at least its 48 MiB; streaming holds a few chunks.
    assert!(
        peak_kib < 48 * 1024,
        "peak resident set {peak_kib} KiB for a 48 MiB input"
    );
}

#[test]
fn a_large_file_is_streamed_and_its_lines_are_the_files() {
    let dir = TestDir::new();
    let (log, places) = big_log();
    dir.write("logs/build.log", &log);
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    let found = run.findings();
    let lines: Vec<u64> = found.iter().map(|(_, line, _)| *line).collect();
    let expected: Vec<u64> = places.iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, expected, "{found:?}");
    assert_eq!(run.code(), 1);
}

#[test]
fn binary_and_utf16_chunks_are_read_as_text() {
    let dir = TestDir::new();
    // A NUL in every chunk's first bytes: every chunk is read as its printable runs.
    let mut bin = Vec::new();
    while bin.len() < 2 * CHUNK_LEN {
        bin.extend_from_slice(b"\0\x01\x02 some binary record with text  \n");
    }
    let token = github_token(7);
    let at = CHUNK_LEN + 1000;
    bin.splice(at..at, format!("\0TOKEN={token}\0").into_bytes());
    dir.write("data.bin", &bin);
    // UTF-16 (little-endian, with a mark) longer than a chunk, a token after the first chunk.
    let mut text = String::new();
    while text.len() < CHUNK_LEN {
        text.push_str("SETTING=some value for a windows tool\r\n");
    }
    let token16 = github_token(8);
    text.push_str(&format!("TOKEN={token16}\r\n"));
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    dir.write("win.env", &utf16);
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    let json = run.json();
    let findings = json["findings"].as_array().unwrap();
    let at_path = |p: &str| findings.iter().filter(|f| f["path"] == p).count();
    assert_eq!(at_path("data.bin"), 1, "{}", run.stdout());
    assert_eq!(at_path("win.env"), 1, "{}", run.stdout());
    let win = findings.iter().find(|f| f["path"] == "win.env").unwrap();
    let lines = text.matches('\n').count() as u64;
    assert_eq!(win["line"], lines, "the token's line in the decoded text");
    assert_eq!(run.code(), 1);
}

#[test]
fn max_file_size_applies_only_when_given_and_names_what_it_left_out() {
    let dir = TestDir::new();
    let token = github_token(11);
    let mut big = "x = 1\n".repeat(300_000);
    big.push_str(&format!("TOKEN={token}\n"));
    dir.write("big.env", &big);
    // no limit by default
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    assert_eq!(run.findings().len(), 1);
    assert_eq!(run.code(), 1);
    // an explicit limit is the user's choice, and the report says what it left out
    let run = dir
        .cmd(&[
            "scan",
            "dir",
            ".",
            "--format",
            "json",
            "--max-file-size",
            "1M",
        ])
        .run();
    let json = run.json();
    assert_eq!(json["summary"]["skipped_too_large"], 1);
    let notes = json["notes"].to_string();
    assert!(
        notes.contains("big.env") && notes.contains("--max-file-size"),
        "{notes}"
    );
    assert_eq!(run.code(), 0);
    // standard input is read to its end whatever the limit
    let run = dir
        .cmd(&["scan", "stdin", "--format", "json", "--max-file-size", "1K"])
        .stdin(big)
        .run();
    assert_eq!(run.findings().len(), 1, "{}", run.stdout());
    assert_eq!(run.code(), 1);
}
