//! JUnit XML for CI systems that show test results (GitLab `artifacts:reports:junit`, Jenkins, Azure
//! Pipelines). One `<testsuite>` named `keyhound`; one `<testcase>` per finding, failed, whose `classname` is
//! the path and whose `<failure>` carries the rule and location with the secret redacted; one `<testcase>`
//! per input that could not be read, with an `<error>`. A clean, complete scan is one passing test case, so
//! that the suite is never empty. Every string is XML-escaped, and characters XML 1.0 cannot carry are
//! replaced, so a hostile path cannot break the document.

use std::io::Write;

use crate::finding::Finding;
use crate::outcome::{ScanError, ScanOutcome};

use super::{Report, ReportContext};

/// The JUnit XML report.
#[derive(Debug, Clone, Copy)]
pub struct Junit;

impl Report for Junit {
    fn name(&self) -> &'static str {
        "junit"
    }

    fn about(&self) -> &'static str {
        "JUnit XML: one failed test case per finding, for CI test views"
    }

    fn write(
        &self,
        outcome: &ScanOutcome,
        _: &ReportContext<'_>,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        write(outcome, out)
    }
}

/// Writes one `<testsuites>` document.
fn write(outcome: &ScanOutcome, out: &mut dyn Write) -> std::io::Result<()> {
    let clean = outcome.findings.is_empty() && outcome.errors.is_empty();
    let tests = outcome.findings.len() + outcome.errors.len() + usize::from(clean);
    let (failures, errors) = (outcome.findings.len(), outcome.errors.len());
    let time = outcome.stats.duration_secs;
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="keyhound" tests="{tests}" failures="{failures}" errors="{errors}" time="{time:.3}">"#
    )?;
    writeln!(
        out,
        r#"  <testsuite name="keyhound" tests="{tests}" failures="{failures}" errors="{errors}" skipped="0" time="{time:.3}">"#
    )?;
    for f in &outcome.findings {
        finding_case(f, out)?;
    }
    for e in &outcome.errors {
        error_case(e, out)?;
    }
    if clean {
        writeln!(
            out,
            r#"    <testcase classname="keyhound" name="no secrets found ({} files scanned)"/>"#,
            outcome.stats.files_scanned
        )?;
    }
    writeln!(out, "  </testsuite>")?;
    writeln!(out, "</testsuites>")
}

fn finding_case(f: &Finding, out: &mut dyn Write) -> std::io::Result<()> {
    let location = format!("{}:{}:{}", f.path, f.line, f.column);
    writeln!(
        out,
        r#"    <testcase classname="{}" name="{} at {}" file="{}" line="{}">"#,
        escape(&f.path),
        escape(&f.rule_id),
        escape(&location),
        escape(&f.path),
        f.line
    )?;
    let mut body = format!(
        "{} ({}) at {location}\nsecret: {}\nconfidence: {}\nfingerprint: {}",
        f.rule_name,
        f.rule_id,
        f.redacted,
        f.confidence.as_str(),
        f.fingerprint
    );
    if let Some(g) = &f.git {
        body.push_str(&format!("\nintroduced in commit {}", g.commit));
    }
    if let Some(v) = &f.verification {
        body.push_str(&format!("\nverification: {}", v.status.as_str()));
    }
    writeln!(
        out,
        r#"      <failure type="{}" message="{} found at {}: {}">{}</failure>"#,
        escape(&f.rule_id),
        escape(&f.rule_name),
        escape(&location),
        escape(&f.redacted),
        escape(&body)
    )?;
    writeln!(out, "    </testcase>")
}

fn error_case(e: &ScanError, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        r#"    <testcase classname="{}" name="read {}">"#,
        escape(&e.path),
        escape(&e.path)
    )?;
    writeln!(
        out,
        r#"      <error type="scan-error" message="{}">{}: {}</error>"#,
        escape(&e.message),
        escape(&e.path),
        escape(&e.message)
    )?;
    writeln!(out, "    </testcase>")
}

/// Escapes text for an XML attribute or element; characters XML 1.0 forbids become U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_markup_and_control_characters_out() {
        assert_eq!(
            escape("a<b>&\"c'\u{1}\n"),
            "a&lt;b&gt;&amp;&quot;c&apos;\u{FFFD}\n"
        );
    }
}
