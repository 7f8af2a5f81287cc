//! SARIF 2.1.0 for code-scanning uploads (GitHub, Azure DevOps). Built with `serde-sarif`'s typed structs;
//! validated against the official schema in the tests. URIs are relative to `%SRCROOT%`, regions use code
//! point columns, and each result carries its fingerprint in `partialFingerprints` so that a platform can
//! track it across runs even when lines move.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use serde_json::json;
use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location, Message, MultiformatMessageString, Notification,
    PhysicalLocation, PropertyBag, Region, ReportingDescriptor, Result as SarifResult, ResultLevel,
    Run, Sarif as SarifLog, Tool, ToolComponent, VersionControlDetails,
};

use crate::finding::{Finding, VerifyStatus};
use crate::outcome::ScanOutcome;
use crate::rules::{Confidence, Rule};

use super::{Report, ReportContext, ROTATE_ADVICE};
use crate::census::Census;

/// The key under which keyhound fingerprints appear in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "keyhound/v1";
/// The key under which a result's secret identity (the census groups results by it) appears in
/// `partialFingerprints`; also the `secretId` property.
pub const SECRET_KEY: &str = "keyhoundSecret/v1";
const SRCROOT: &str = "%SRCROOT%";
const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The SARIF report.
#[derive(Debug, Clone, Copy)]
pub struct Sarif;

impl Report for Sarif {
    fn name(&self) -> &'static str {
        "sarif"
    }

    fn about(&self) -> &'static str {
        "SARIF 2.1.0, for code-scanning uploads"
    }

    fn write(
        &self,
        outcome: &ScanOutcome,
        ctx: &ReportContext<'_>,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        write(outcome, ctx, out)
    }
}

/// Writes one SARIF log with one run.
fn write(
    outcome: &ScanOutcome,
    ctx: &ReportContext<'_>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let log = build(outcome, ctx);
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

fn bag(props: serde_json::Value) -> PropertyBag {
    let additional_properties = match props {
        serde_json::Value::Object(map) => map.into_iter().collect(),
        _ => BTreeMap::new(),
    };
    PropertyBag::builder()
        .additional_properties(additional_properties)
        .build()
}

fn text(s: &str) -> MultiformatMessageString {
    MultiformatMessageString::builder()
        .text(s.to_string())
        .build()
}

/// GitHub maps `security-severity` to critical/high/medium/low.
fn severity(confidence: Confidence) -> &'static str {
    match confidence {
        Confidence::High => "9.0",
        Confidence::Medium => "7.0",
        Confidence::Low => "5.0",
    }
}

fn descriptor(rule: &Rule) -> ReportingDescriptor {
    let description = rule
        .description
        .clone()
        .unwrap_or_else(|| rule.name.clone());
    let help = format!(
        "{description} {ROTATE_ADVICE}{}",
        rule.references
            .first()
            .map(|r| format!(" See {r}."))
            .unwrap_or_default()
    );
    let mut b = ReportingDescriptor::builder()
        .id(rule.id.clone())
        .name(pascal_case(&rule.id))
        .short_description(text(&rule.name))
        .full_description(text(&description))
        .help(text(&help))
        .properties(bag(json!({
            "tags": ["security", "secret"],
            "precision": match rule.confidence { Confidence::High => "high", Confidence::Medium => "medium", Confidence::Low => "low" },
            "security-severity": severity(rule.confidence),
        })))
        .build();
    b.help_uri = rule.references.first().cloned();
    b
}

fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|part| {
            let mut c = part.chars();
            match c.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn result(f: &Finding, rule_index: usize, secret_id: Option<&str>) -> SarifResult {
    let region = Region::builder()
        .start_line(f.line as i64)
        .start_column(f.column as i64)
        .end_line(f.end_line as i64)
        .end_column(f.end_column as i64)
        .build();
    let location = Location::builder()
        .physical_location(
            PhysicalLocation::builder()
                .artifact_location(
                    ArtifactLocation::builder()
                        .uri(percent_encode_path(&f.path))
                        .uri_base_id(SRCROOT.to_string())
                        .build(),
                )
                .region(region)
                .build(),
        )
        .build();
    let mut props = json!({
        "confidence": f.confidence.as_str(),
        "entropy": f.entropy,
        "redacted": f.redacted,
    });
    if let Some(secret) = &f.secret {
        props["secret"] = json!(secret);
    }
    if let Some(d) = &f.decoded {
        props["decoded"] = json!(d);
    }
    if let Some(r) = &f.related {
        props["pairedWith"] =
            json!({ "ruleId": r.rule_id, "line": r.line, "redacted": r.redacted });
    }
    if let Some(v) = &f.verification {
        props["verification"] = json!(v);
    }
    if !f.also_related.is_empty() {
        props["alsoPairedWith"] = f
            .also_related
            .iter()
            .map(|r| json!({ "ruleId": r.rule_id, "line": r.line, "redacted": r.redacted }))
            .collect();
    }
    git_properties(f, &mut props);
    let mut fingerprints = BTreeMap::from([(FINGERPRINT_KEY.to_string(), f.fingerprint.clone())]);
    if let Some(id) = secret_id {
        props["secretId"] = json!(id);
        fingerprints.insert(SECRET_KEY.to_string(), id.to_string());
    }
    let where_ = match &f.git {
        Some(g) => format!(
            " (introduced in commit {})",
            &g.commit[..g.commit.len().min(12)]
        ),
        None => String::new(),
    };
    SarifResult::builder()
        .rule_id(f.rule_id.clone())
        .rule_index(rule_index as i64)
        .level(ResultLevel::Error)
        .message(
            Message::builder()
                .text(format!(
                    "{}{} found: {}{}",
                    live_mark(f),
                    f.rule_name,
                    f.redacted,
                    where_
                ))
                .build(),
        )
        .locations(vec![location])
        .partial_fingerprints(fingerprints)
        .properties(bag(props))
        .build()
}

/// A history scan's facts about the result: the introducing commit, where the secret still is, and
/// the refs that contain it.
fn git_properties(f: &Finding, props: &mut serde_json::Value) {
    if let Some(g) = &f.git {
        props["commit"] = json!(g.commit);
        props["author"] = json!(g.author_name);
        props["email"] = json!(g.author_email);
        props["date"] = json!(g.date);
        props["commitSummary"] = json!(g.summary);
        props["commits"] = json!(g.commits);
        props["presentAtHead"] = json!(g.present_at_head);
        if !g.refs.is_empty() {
            props["refs"] = json!(g.refs);
        }
    }
}

/// `LIVE ` before the message of a secret its provider accepted (`--verify`).
fn live_mark(f: &Finding) -> &'static str {
    match &f.verification {
        Some(v) if v.status == VerifyStatus::Live => "LIVE ",
        _ => "",
    }
}

fn build(outcome: &ScanOutcome, ctx: &ReportContext<'_>) -> SarifLog {
    let (descriptors, results) = rules_and_results(outcome, ctx);
    let driver = ToolComponent::builder()
        .name("keyhound".to_string())
        .version(env!("CARGO_PKG_VERSION").to_string())
        .semantic_version(env!("CARGO_PKG_VERSION").to_string())
        .information_uri("https://github.com/keyhound/keyhound".to_string())
        .rules(descriptors)
        .build();
    let mut run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .invocations(vec![invocation(outcome)])
        .column_kind(json!("unicodeCodePoints"))
        .build();
    let root = ctx
        .root
        .as_ref()
        .and_then(|r| std::fs::canonicalize(r).ok());
    if let Some(root) = &root {
        let mut uri = file_uri(root);
        if !uri.ends_with('/') {
            uri.push('/');
        }
        run.original_uri_base_ids = Some(BTreeMap::from([(
            SRCROOT.to_string(),
            ArtifactLocation::builder().uri(uri).build(),
        )]));
    }
    if let Some(vcs) = &ctx.vcs {
        run.version_control_provenance = Some(vec![version_control(vcs, root.as_deref())]);
    }
    let mut log = SarifLog::builder()
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build();
    log.schema = Some(SCHEMA_URI.to_string());
    log
}

/// The descriptors of the rules that produced results (in first-use order) and the results.
fn rules_and_results(
    outcome: &ScanOutcome,
    ctx: &ReportContext<'_>,
) -> (Vec<ReportingDescriptor>, Vec<SarifResult>) {
    let mut index_of: HashMap<&str, usize> = HashMap::new();
    let mut descriptors = Vec::new();
    let mut results = Vec::new();
    let census = Census::of(outcome);
    let mut secret_of: Vec<Option<&str>> = vec![None; outcome.findings.len()];
    for s in &census.secrets {
        for &i in &s.findings {
            secret_of[i] = Some(&s.id);
        }
    }
    for (i, f) in outcome.findings.iter().enumerate() {
        let next = index_of.len();
        let idx = *index_of.entry(f.rule_id.as_str()).or_insert_with(|| {
            if let Some(rule) = ctx.rules.get(&f.rule_id) {
                descriptors.push(descriptor(rule));
            } else {
                descriptors.push(
                    ReportingDescriptor::builder()
                        .id(f.rule_id.clone())
                        .short_description(text(&f.rule_name))
                        .build(),
                );
            }
            next
        });
        results.push(result(f, idx, secret_of[i]));
    }
    (descriptors, results)
}

/// The invocation: successful only when every input was read; each error is a notification, and so is
/// each note (level `note`: a gitleaks config replacing the built-in rules, where config was read from).
fn invocation(outcome: &ScanOutcome) -> Invocation {
    let notification = |text: String, level: &str| {
        Notification::builder()
            .message(Message::builder().text(text).build())
            .level(json!(level))
            .build()
    };
    let notifications: Vec<Notification> = (outcome.errors.iter())
        .map(|e| notification(format!("{}: {}", e.path, e.message), "error"))
        .chain(
            outcome
                .notes
                .iter()
                .map(|n| notification(n.clone(), "note")),
        )
        .collect();
    let mut invocation = Invocation::builder()
        .execution_successful(outcome.errors.is_empty())
        .build();
    if !notifications.is_empty() {
        invocation.tool_execution_notifications = Some(notifications);
    }
    invocation
}

/// Version-control provenance; without a remote, the repository is named by its local path.
fn version_control(
    vcs: &super::VersionControl,
    root: Option<&std::path::Path>,
) -> VersionControlDetails {
    let mut details = VersionControlDetails::builder()
        .repository_uri(
            vcs.repository_uri
                .clone()
                .unwrap_or_else(|| root.map(file_uri).unwrap_or_else(|| "file:///".into())),
        )
        .build();
    details.revision_id = vcs.revision_id.clone();
    details.branch = vcs.branch.clone();
    details.mapped_to = Some(
        ArtifactLocation::builder()
            .uri_base_id(SRCROOT.to_string())
            .build(),
    );
    details
}

fn file_uri(path: &std::path::Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let text = if text.starts_with('/') {
        text
    } else {
        format!("/{text}")
    };
    format!("file://{}", percent_encode_path(&text))
}

/// Percent-encodes a relative path for a URI reference, keeping `/` and RFC 3986 unreserved characters.
pub fn percent_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding() {
        assert_eq!(percent_encode_path("src/a b.rs"), "src/a%20b.rs");
        assert_eq!(percent_encode_path("<stdin>"), "%3Cstdin%3E");
        assert_eq!(pascal_case("github-pat-classic"), "GithubPatClassic");
    }
}
