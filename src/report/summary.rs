//! The messages that follow a scan on stderr, never on stdout with the report: the inputs that could not
//! be read (the first [`ERRORS_SHOWN`]), notes, and the summary line. The CLI prints them unless `--quiet`.
//! Paths, messages and notes carry repository text: they are escaped with [`terminal`].

use super::escape::terminal;
use crate::finding::VerifyStatus;
use crate::outcome::{format_duration, ScanOutcome, ScanStats};

/// How many errors are listed before "... and N more".
pub const ERRORS_SHOWN: usize = 20;

/// The lines to print after a scan, in order.
pub fn messages(outcome: &ScanOutcome) -> Vec<String> {
    let mut lines: Vec<String> = outcome
        .errors
        .iter()
        .take(ERRORS_SHOWN)
        .map(|e| {
            format!(
                "keyhound: error: {}: {}",
                terminal(&e.path),
                terminal(&e.message)
            )
        })
        .collect();
    if outcome.errors.len() > ERRORS_SHOWN {
        lines.push(format!(
            "keyhound: ... and {} more errors (a JSON or SARIF report lists them all)",
            outcome.errors.len() - ERRORS_SHOWN
        ));
    }
    lines.extend(
        outcome
            .notes
            .iter()
            .map(|n| format!("keyhound: note: {}", terminal(n))),
    );
    lines.extend(verification_line(outcome));
    lines.push(summary_line(&outcome.stats));
    lines
}

/// `keyhound: verified 5 findings: 2 live, 1 invalid, 1 unknown, 1 error`, after a `--verify` scan.
pub fn verification_line(outcome: &ScanOutcome) -> Option<String> {
    let statuses: Vec<VerifyStatus> = outcome
        .findings
        .iter()
        .filter_map(|f| f.verification.as_ref().map(|v| v.status))
        .collect();
    if statuses.is_empty() {
        return None;
    }
    let count = |s: VerifyStatus| statuses.iter().filter(|x| **x == s).count();
    Some(format!(
        "keyhound: verified {} finding{}: {} live, {} invalid, {} unknown, {} error{}",
        statuses.len(),
        if statuses.len() == 1 { "" } else { "s" },
        count(VerifyStatus::Live),
        count(VerifyStatus::Invalid),
        count(VerifyStatus::Unknown),
        count(VerifyStatus::Error),
        if count(VerifyStatus::Error) == 1 {
            ""
        } else {
            "s"
        },
    ))
}

/// `keyhound: scanned 4812 files (48.2 MB) in 210ms: 3 findings, 12 skipped, 0 suppressed, 0 errors`
pub fn summary_line(stats: &ScanStats) -> String {
    let mut skipped = Vec::new();
    if stats.skipped_too_large > 0 {
        skipped.push(format!("{} too large", stats.skipped_too_large));
    }
    if stats.skipped_symlinks > 0 {
        skipped.push(format!("{} symlinks", stats.skipped_symlinks));
    }
    let skipped_detail = if skipped.is_empty() {
        String::new()
    } else {
        format!(" ({})", skipped.join(", "))
    };
    format!(
        "keyhound: scanned {} files ({}{}) in {}: {} finding{}, {} skipped{}, {} suppressed, {} error{}",
        stats.files_scanned,
        human_bytes(stats.bytes_scanned),
        match stats.binary_as_text {
            0 => String::new(),
            n => format!("; {n} binary, read as text"),
        },
        format_duration(stats.duration_secs),
        stats.findings,
        if stats.findings == 1 { "" } else { "s" },
        stats.skipped(),
        skipped_detail,
        stats.suppressed,
        stats.errors,
        if stats.errors == 1 { "" } else { "s" },
    )
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::ScanError;

    #[test]
    fn errors_then_notes_then_summary() {
        let mut outcome = ScanOutcome::default();
        for i in 0..ERRORS_SHOWN + 3 {
            outcome.errors.push(ScanError {
                path: format!("f{i}"),
                message: "unreadable".into(),
            });
        }
        outcome.notes.push("shallow clone".into());
        outcome.stats.files_scanned = 2;
        outcome.stats.bytes_scanned = 1500;
        outcome.stats.errors = outcome.errors.len() as u64;
        let lines = messages(&outcome);
        assert_eq!(lines.len(), ERRORS_SHOWN + 3);
        assert_eq!(lines[0], "keyhound: error: f0: unreadable");
        assert_eq!(
            lines[ERRORS_SHOWN],
            "keyhound: ... and 3 more errors (a JSON or SARIF report lists them all)"
        );
        assert_eq!(lines[ERRORS_SHOWN + 1], "keyhound: note: shallow clone");
        assert!(
            lines[ERRORS_SHOWN + 2].starts_with("keyhound: scanned 2 files (1.5 KB) in "),
            "{}",
            lines[ERRORS_SHOWN + 2]
        );
        assert!(
            lines[ERRORS_SHOWN + 2].ends_with(": 0 findings, 0 skipped, 0 suppressed, 23 errors")
        );
    }

    #[test]
    fn repository_text_in_messages_is_escaped() {
        let mut outcome = ScanOutcome::default();
        outcome.errors.push(ScanError {
            path: "x\x1b]0;t\x07".into(),
            message: "bad\rline".into(),
        });
        outcome.notes.push("\u{202e}note".into());
        let lines = messages(&outcome);
        assert_eq!(lines[0], "keyhound: error: x\\x1b]0;t\\x07: bad\\rline");
        assert_eq!(lines[1], "keyhound: note: \\u{202e}note");
    }

    #[test]
    fn summary_names_what_was_skipped() {
        let stats = ScanStats {
            files_scanned: 1,
            findings: 1,
            errors: 1,
            binary_as_text: 2,
            skipped_too_large: 2,
            skipped_symlinks: 1,
            ..ScanStats::default()
        };
        let line = summary_line(&stats);
        assert!(line.contains("(0 B; 2 binary, read as text)"), "{line}");
        assert!(
            line.ends_with(
                ": 1 finding, 3 skipped (2 too large, 1 symlinks), 0 suppressed, 1 error"
            ),
            "{line}"
        );
    }
}
