//! The text report: one block per finding, then a summary line. Colour only when asked (a terminal).

use std::io::Write;

use crate::outcome::{format_duration, ScanOutcome, ScanStats};

use super::ReportContext;

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// Writes the findings and the summary line.
pub fn write(
    outcome: &ScanOutcome,
    ctx: &ReportContext<'_>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let style = Style { on: ctx.color };
    for f in &outcome.findings {
        writeln!(
            out,
            "{} {} {}",
            style.paint("1;31", "Finding:"),
            style.paint("1", &f.rule_name),
            style.paint("2", &format!("[{}]", f.rule_id))
        )?;
        writeln!(
            out,
            "  Secret:      {}",
            style.paint("33", f.secret.as_deref().unwrap_or(&f.redacted))
        )?;
        writeln!(
            out,
            "  Location:    {}:{}:{}",
            style.paint("36", &f.path),
            f.line,
            f.column
        )?;
        if let Some(r) = &f.related {
            writeln!(
                out,
                "  Paired with: {} at line {} ({})",
                r.rule_id, r.line, r.redacted
            )?;
        }
        if let Some(d) = &f.decoded {
            writeln!(
                out,
                "  Decoded:     {d} (the secret is inside encoded text at this location)"
            )?;
        }
        if let Some(g) = &f.git {
            writeln!(
                out,
                "  Commit:      {} ({})",
                &g.commit[..g.commit.len().min(12)],
                g.summary
            )?;
            writeln!(
                out,
                "  Author:      {} <{}>, {}",
                g.author_name, g.author_email, g.date
            )?;
            writeln!(
                out,
                "  History:     in {} commit(s); {}",
                g.commits,
                if g.present_at_head {
                    "still present at HEAD"
                } else {
                    "only in history (not at HEAD)"
                }
            )?;
        }
        writeln!(
            out,
            "  Confidence:  {}   Entropy: {:.2}",
            f.confidence.as_str(),
            f.entropy
        )?;
        writeln!(out, "  Fingerprint: {}", f.fingerprint)?;
        writeln!(out)?;
    }
    for e in &outcome.errors {
        writeln!(
            out,
            "{} {}: {}",
            style.paint("1;35", "Error:"),
            e.path,
            e.message
        )?;
    }
    for n in &outcome.notes {
        writeln!(out, "Note: {n}")?;
    }
    writeln!(out, "{}", summary_line(&outcome.stats))
}

/// `scanned 4812 files (48.2 MB) in 210ms: 3 findings, 12 skipped, 0 errors`
pub fn summary_line(stats: &ScanStats) -> String {
    let mut skipped = Vec::new();
    if stats.skipped_binary > 0 {
        skipped.push(format!("{} binary", stats.skipped_binary));
    }
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
        "keyhound: scanned {} files ({}) in {}: {} finding{}, {} skipped{}, {} suppressed, {} error{}",
        stats.files_scanned,
        human_bytes(stats.bytes_scanned),
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
