//! GitLab's secret-detection report (`artifacts:reports:secret_detection`), schema version 15.0.7 of
//! `security-report-schemas` (`dist/secret-detection-report-format.json`); the tests validate the output
//! against the schema's constraints. Each finding is one vulnerability whose id is a UUID derived from its
//! fingerprint and position (stable across runs), whose location names the file, the lines and, for history
//! scans, the commit that introduced it (GitLab's placeholder `0000000` otherwise), and whose code extract is
//! the redacted secret. An incomplete scan has status `failure` and a `warn` message per unread input.

use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::finding::Finding;
use crate::outcome::ScanOutcome;
use crate::rules::Confidence;
use crate::sources::git::rfc3339;

use super::{Report, ReportContext, ROTATE_ADVICE};

/// The schema version the report conforms to.
pub const GITLAB_SCHEMA_VERSION: &str = "15.0.7";
const SCHEMA_URI: &str = "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v15.0.7/dist/secret-detection-report-format.json";

/// The GitLab secret-detection report.
#[derive(Debug, Clone, Copy)]
pub struct Gitlab;

impl Report for Gitlab {
    fn name(&self) -> &'static str {
        "gitlab"
    }

    fn about(&self) -> &'static str {
        "GitLab secret-detection report (schema 15.0.7), for merge request widgets"
    }

    fn write(
        &self,
        outcome: &ScanOutcome,
        ctx: &ReportContext<'_>,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        let doc = build(outcome, ctx, SystemTime::now());
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)
    }
}

/// The report of `outcome`, for a scan that ended at `end`.
fn build(outcome: &ScanOutcome, ctx: &ReportContext<'_>, end: SystemTime) -> Value {
    let start = end
        .checked_sub(Duration::from_secs_f64(
            outcome.stats.duration_secs.max(0.0),
        ))
        .unwrap_or(end);
    let tool = json!({
        "id": "keyhound",
        "name": "keyhound",
        "version": env!("CARGO_PKG_VERSION"),
        "vendor": { "name": "keyhound" },
    });
    let messages: Vec<Value> = (outcome.errors.iter())
        .map(|e| json!({ "level": "warn", "value": format!("{}: {}", e.path, e.message) }))
        .chain(
            outcome
                .notes
                .iter()
                .map(|n| json!({ "level": "info", "value": n })),
        )
        .collect();
    json!({
        "version": GITLAB_SCHEMA_VERSION,
        "schema": SCHEMA_URI,
        "scan": {
            "analyzer": tool,
            "scanner": tool,
            "type": "secret_detection",
            "start_time": timestamp(start),
            "end_time": timestamp(end),
            "status": if outcome.errors.is_empty() { "success" } else { "failure" },
            "messages": messages,
        },
        "vulnerabilities": outcome.findings.iter().map(|f| vulnerability(f, ctx)).collect::<Vec<_>>(),
    })
}

/// GitLab's `yyyy-mm-ddThh:mm:ss` in UTC.
fn timestamp(at: SystemTime) -> String {
    let secs = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let mut text = rfc3339(i64::try_from(secs).unwrap_or(i64::MAX), 0);
    text.truncate("yyyy-mm-ddThh:mm:ss".len());
    text
}

/// GitLab sorts by severity; these match SARIF's `security-severity` bands.
fn severity(confidence: Confidence) -> &'static str {
    match confidence {
        Confidence::High => "Critical",
        Confidence::Medium => "High",
        Confidence::Low => "Medium",
    }
}

fn vulnerability(f: &Finding, ctx: &ReportContext<'_>) -> Value {
    let rule = ctx.rules.get(&f.rule_id);
    let references: Vec<&String> = rule
        .map(|r| r.references.iter().collect())
        .unwrap_or_default();
    let links: Vec<Value> = (references.iter())
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .map(|u| json!({ "url": u }))
        .collect();
    let commit = match &f.git {
        Some(g) => json!({
            "sha": g.commit, "author": format!("{} <{}>", g.author_name, g.author_email),
            "date": g.date, "message": g.summary,
        }),
        None => json!({ "sha": "0000000" }),
    };
    let mut name = f.rule_name.clone();
    if name.chars().count() > 255 {
        name = name.chars().take(255).collect();
    }
    json!({
        "id": uuid(f),
        "name": name,
        "description": f.description.clone().unwrap_or_else(|| f.rule_name.clone()),
        "severity": severity(f.confidence),
        "solution": ROTATE_ADVICE,
        "identifiers": [{
            "type": "keyhound_rule_id",
            "name": format!("keyhound rule {}", f.rule_id),
            "value": f.rule_id,
        }],
        "links": links,
        "location": {
            "file": f.path,
            "start_line": f.line,
            "end_line": f.end_line,
            "commit": commit,
        },
        "raw_source_code_extract": f.redacted,
    })
}

/// A UUID-shaped id from the fingerprint and the position: stable across runs, distinct per location.
fn uuid(f: &Finding) -> String {
    let mut h = Sha256::new();
    h.update(f.fingerprint.as_bytes());
    h.update(format!(":{}:{}", f.line, f.column).as_bytes());
    let hex: String = h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_have_gitlabs_shape() {
        assert_eq!(
            timestamp(UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
            "2023-11-14T22:13:20"
        );
    }
}
