//! SARIF 2.1.0 for code-scanning uploads (GitHub, Azure DevOps). Built with `serde-sarif`'s typed structs;
//! validated against the official schema in the tests. URIs are relative to `%SRCROOT%`, regions use code
//! point columns, and each result carries its fingerprint in `partialFingerprints` so that a platform can
//! track it across runs even when lines move.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::json;
use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location, Message, MultiformatMessageString, Notification,
    PhysicalLocation, PropertyBag, Region, ReportingDescriptor, Result as SarifResult, ResultLevel,
    Run, RunAutomationDetails, Sarif as SarifLog, Tool, ToolComponent, VersionControlDetails,
};

use crate::finding::{Finding, VerifyStatus};
use crate::outcome::ScanOutcome;
use crate::repotext;
use crate::rules::{Confidence, Rule};

use super::{Report, ReportContext, Written, ROTATE_ADVICE};
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

    fn write_files(
        &self,
        outcome: &ScanOutcome,
        ctx: &ReportContext<'_>,
        path: &Path,
    ) -> std::io::Result<Written> {
        write_files(outcome, ctx, path)
    }
}

/// Writes one SARIF log: every run [`logs`] makes under [`GITHUB`]'s limits, in one document (a
/// stream cannot be split into files; [`Report::write_files`] splits them).
fn write(
    outcome: &ScanOutcome,
    ctx: &ReportContext<'_>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut logs = logs(outcome, ctx, &GITHUB).into_iter();
    let mut log = logs.next().expect("at least one log");
    for more in logs {
        log.runs.extend(more.runs);
    }
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

/// Writes each log [`logs`] makes to its own file: `path`, then `path` with `.2`, `.3` … before its
/// extension (`out.sarif`, `out.2.sarif`). Returns the files written, and a note when there is more than
/// one run or file.
fn write_files(
    outcome: &ScanOutcome,
    ctx: &ReportContext<'_>,
    path: &Path,
) -> std::io::Result<Written> {
    let logs = logs(outcome, ctx, &GITHUB);
    let runs: usize = logs.iter().map(|l| l.runs.len()).sum();
    let mut paths = Vec::new();
    for (k, log) in logs.iter().enumerate() {
        let file = part_path(path, k + 1);
        let mut w = std::io::BufWriter::new(std::fs::File::create(&file)?);
        serde_json::to_writer_pretty(&mut w, log)?;
        writeln!(w)?;
        w.flush()?;
        paths.push(file);
    }
    let note = (runs > 1).then(|| {
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        format!(
            "SARIF: {} results in {runs} runs of at most {} (most severe first, categories \
             keyhound/part-N/) and {} file(s), to stay within GitHub's code-scanning upload limits \
             (25,000 results per run of which 5,000 are shown, 20 runs per file, 10 MB compressed); \
             upload every file: {}",
            outcome.findings.len(),
            GITHUB.results_per_run,
            paths.len(),
            names.join(", ")
        )
    });
    Ok(Written { paths, note })
}

/// The name of the `k`th file of a split report (1-based): `path` itself for the first.
pub fn part_path(path: &Path, k: usize) -> PathBuf {
    if k == 1 {
        return path.to_path_buf();
    }
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let name = match path.extension() {
        Some(ext) => format!("{stem}.{k}.{}", ext.to_string_lossy()),
        None => format!("{stem}.{k}"),
    };
    path.with_file_name(name)
}

/// Limits a SARIF upload must stay within, and the ones keyhound keeps to.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Results in one run.
    pub results_per_run: usize,
    /// Runs in one file.
    pub runs_per_file: usize,
    /// Size of one file once compressed (bytes).
    pub compressed_bytes: usize,
}

/// GitHub code scanning's published limits ("SARIF support for code scanning"): a run may hold 25,000
/// results, of which only the 5,000 most severe are shown; a file may hold 20 runs and must be at most
/// 10 MB gzip-compressed. keyhound keeps runs to 5,000 results (so that every result is shown, the most
/// severe in the first run) and files to 9 MiB compressed (a margin for gzip's framing).
pub const GITHUB: Limits = Limits {
    results_per_run: 5_000,
    runs_per_file: 20,
    compressed_bytes: 9 << 20,
};

/// The SARIF logs of `outcome` within `limits`: findings ordered most severe first (live, then by
/// confidence; the report's order within each), cut into runs of at most `limits.results_per_run`
/// (halved again while a run compresses past a file's limit), runs packed into as few files as the
/// limits allow. Each finding is in exactly one run. With more than one run, each gets its own
/// category (`automationDetails.id` `keyhound/part-N/`: GitHub refuses several runs of one tool and
/// category in one upload) and a note saying which part it is.
pub fn logs(outcome: &ScanOutcome, ctx: &ReportContext<'_>, limits: &Limits) -> Vec<SarifLog> {
    let parts = Parts::new(outcome, ctx);
    let mut order: Vec<usize> = (0..outcome.findings.len()).collect();
    order.sort_by_key(|&i| severity_rank(&outcome.findings[i]));
    let mut pending: std::collections::VecDeque<&[usize]> =
        order.chunks(limits.results_per_run.max(1)).collect();
    let mut runs = Vec::new();
    while let Some(chunk) = pending.pop_front() {
        let run = parts.run(chunk);
        let size = compressed_size(&run);
        if size > limits.compressed_bytes && chunk.len() > 1 {
            let (a, b) = chunk.split_at(chunk.len() / 2);
            pending.push_front(b);
            pending.push_front(a);
            continue;
        }
        runs.push((run, size, chunk.len()));
    }
    if runs.is_empty() {
        runs.push((parts.run(&[]), 0, 0));
    }
    label_parts(&mut runs, outcome.findings.len());
    pack(runs, limits)
}

/// Most severe first: a live secret, then by confidence (high first).
fn severity_rank(f: &Finding) -> (bool, std::cmp::Reverse<Confidence>) {
    let live = matches!(&f.verification, Some(v) if v.status == VerifyStatus::Live);
    (!live, std::cmp::Reverse(f.confidence))
}

/// Gives each of several runs its category and a note saying which results it holds.
fn label_parts(runs: &mut [(Run, usize, usize)], total: usize) {
    let count = runs.len();
    if count < 2 {
        return;
    }
    let mut first = 1;
    for (k, (run, _, len)) in runs.iter_mut().enumerate() {
        run.automation_details = Some(
            RunAutomationDetails::builder()
                .id(format!("keyhound/part-{}/", k + 1))
                .build(),
        );
        let note = format!(
            "part {} of {count}: results {first} to {} of {total}, most severe first; keyhound splits \
             its results into runs of at most {} so that GitHub code scanning shows every one",
            k + 1,
            first + *len - 1,
            GITHUB.results_per_run
        );
        first += *len;
        let invocation = run.invocations.get_or_insert_with(Vec::new);
        if let Some(inv) = invocation.first_mut() {
            (inv.tool_execution_notifications
                .get_or_insert_with(Vec::new))
            .push(notification(note, "note"));
        }
    }
}

/// Runs packed into logs: a new log when the current one has `runs_per_file` runs or the next run
/// would take it past `compressed_bytes`.
fn pack(runs: Vec<(Run, usize, usize)>, limits: &Limits) -> Vec<SarifLog> {
    let mut logs = Vec::new();
    let mut current = Vec::new();
    let mut bytes = 0;
    for (run, size, _) in runs {
        let full = current.len() >= limits.runs_per_file.max(1);
        if !current.is_empty() && (full || bytes + size > limits.compressed_bytes) {
            logs.push(log_of(std::mem::take(&mut current)));
            bytes = 0;
        }
        bytes += size;
        current.push(run);
    }
    logs.push(log_of(current));
    logs
}

fn log_of(runs: Vec<Run>) -> SarifLog {
    let mut log = SarifLog::builder()
        .version(json!("2.1.0"))
        .runs(runs)
        .build();
    log.schema = Some(SCHEMA_URI.to_string());
    log
}

/// The size of `run` as pretty-printed JSON, zlib-compressed (gzip adds a few bytes of framing).
fn compressed_size(run: &Run) -> usize {
    struct Count(usize);
    impl Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut z = gix_zlib::stream::deflate::Write::new(Count(0), gix_zlib::Compression::DEFAULT);
    let written = serde_json::to_writer_pretty(&mut z, run).map_err(std::io::Error::from);
    match written.and_then(|()| z.flush()) {
        Ok(()) => z.into_inner().0,
        Err(_) => usize::MAX,
    }
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

/// What every run of one report shares: the outcome, the context, each finding's secret identity and
/// the scan root's URI.
struct Parts<'a> {
    outcome: &'a ScanOutcome,
    ctx: &'a ReportContext<'a>,
    secret_of: Vec<Option<String>>,
    root: Option<PathBuf>,
}

impl<'a> Parts<'a> {
    fn new(outcome: &'a ScanOutcome, ctx: &'a ReportContext<'a>) -> Self {
        let mut secret_of = vec![None; outcome.findings.len()];
        for s in Census::of(outcome).secrets {
            for &i in &s.findings {
                secret_of[i] = Some(s.id.clone());
            }
        }
        let root = (ctx.root.as_ref()).and_then(|r| std::fs::canonicalize(r).ok());
        Parts {
            outcome,
            ctx,
            secret_of,
            root,
        }
    }

    /// One run with the findings at `indexes`.
    fn run(&self, indexes: &[usize]) -> Run {
        let (descriptors, results) = self.rules_and_results(indexes);
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
            .invocations(vec![invocation(self.outcome)])
            .column_kind(json!("unicodeCodePoints"))
            .build();
        if let Some(root) = &self.root {
            let mut uri = file_uri(root);
            if !uri.ends_with('/') {
                uri.push('/');
            }
            run.original_uri_base_ids = Some(BTreeMap::from([(
                SRCROOT.to_string(),
                ArtifactLocation::builder().uri(uri).build(),
            )]));
        }
        if let Some(vcs) = &self.ctx.vcs {
            run.version_control_provenance = Some(vec![version_control(vcs, self.root.as_deref())]);
        }
        run
    }

    /// The descriptors of the rules that produced the results at `indexes` (in first-use order) and
    /// the results.
    fn rules_and_results(&self, indexes: &[usize]) -> (Vec<ReportingDescriptor>, Vec<SarifResult>) {
        let mut index_of: HashMap<&str, usize> = HashMap::new();
        let mut descriptors = Vec::new();
        let mut results = Vec::new();
        for &i in indexes {
            let f = &self.outcome.findings[i];
            let next = index_of.len();
            let idx = *index_of.entry(f.rule_id.as_str()).or_insert_with(|| {
                descriptors.push(match self.ctx.rules.get(&f.rule_id) {
                    Some(rule) => descriptor(rule),
                    None => ReportingDescriptor::builder()
                        .id(f.rule_id.clone())
                        .short_description(text(&f.rule_name))
                        .build(),
                });
                next
            });
            results.push(result(f, idx, self.secret_of[i].as_deref()));
        }
        (descriptors, results)
    }
}

fn notification(text: String, level: &str) -> Notification {
    Notification::builder()
        .message(Message::builder().text(text).build())
        .level(json!(level))
        .build()
}

/// The invocation: successful only when every input was read; each error is a notification, and so is
/// each note (level `note`: a gitleaks config replacing the built-in rules, where config was read from).
fn invocation(outcome: &ScanOutcome) -> Invocation {
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
/// A path in the text form of [`repotext::path_text`] is encoded as the bytes it stands for, so that a
/// byte that is not UTF-8 is one `%NN`.
pub fn percent_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in repotext::path_bytes(path).iter() {
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
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn encoding() {
        assert_eq!(percent_encode_path("src/a b.rs"), "src/a%20b.rs");
        assert_eq!(percent_encode_path("<stdin>"), "%3Cstdin%3E");
        assert_eq!(percent_encode_path("a\\xff.env"), "a%FF.env");
        assert_eq!(percent_encode_path("a\\\\xff.env"), "a%5Cxff.env");
        assert_eq!(pascal_case("github-pat-classic"), "GithubPatClassic");
    }

    /// `n` findings of three confidences at `n` paths, each with its own fingerprint and secret.
    fn many(n: usize) -> ScanOutcome {
        let finding = |i: usize| Finding {
            rule_id: format!("rule-{}", i % 7),
            rule_name: "R".into(),
            description: None,
            confidence: [Confidence::Low, Confidence::Medium, Confidence::High][i % 3],
            path: format!("dir/f{i}.env"),
            repository: None,
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 40,
            redacted: "ghp_***".into(),
            secret: None,
            entropy: 4.5,
            fingerprint: format!("{i:032x}"),
            decoded: None,
            related: None,
            also_related: Vec::new(),
            git: None,
            verification: None,
            secret_id: String::new(),
            context: Vec::new(),
            excerpt: None,
            secret_bytes: format!("secret-{i}").into_bytes(),
            rule_index: 0,
        };
        let mut outcome = ScanOutcome::default();
        outcome.add_findings((0..n).map(finding).collect());
        outcome
    }

    /// Every result's fingerprint, file by file and run by run.
    fn fingerprints(logs: &[SarifLog]) -> Vec<String> {
        (logs.iter().flat_map(|l| &l.runs))
            .flat_map(|r| r.results.iter().flatten())
            .map(|r| r.partial_fingerprints.as_ref().unwrap()[FINGERPRINT_KEY].clone())
            .collect()
    }

    #[test]
    fn thirty_thousand_results_stay_within_githubs_limits_each_once() {
        let outcome = many(30_000);
        let rules = crate::rules::RuleSet::default();
        let ctx = ReportContext {
            rules: &rules,
            root: None,
            color: false,
            vcs: None,
        };
        let logs = logs(&outcome, &ctx, &GITHUB);
        let runs: Vec<&Run> = logs.iter().flat_map(|l| &l.runs).collect();
        assert_eq!(runs.len(), 6);
        for log in &logs {
            assert!(log.runs.len() <= 20);
            let size: usize = log.runs.iter().map(compressed_size).sum();
            assert!(size <= 10_000_000, "{size}");
        }
        let mut categories = HashSet::new();
        for run in &runs {
            let n = run.results.as_ref().unwrap().len();
            assert!(n <= 25_000, "{n}");
            assert!(n <= GITHUB.results_per_run, "{n}");
            let id = run.automation_details.as_ref().unwrap().id.clone().unwrap();
            assert!(categories.insert(id));
        }
        // every finding exactly once
        let seen = fingerprints(&logs);
        assert_eq!(seen.len(), 30_000);
        let distinct: HashSet<&String> = seen.iter().collect();
        assert_eq!(distinct.len(), 30_000);
        // most severe first: the first run holds only high-confidence results (10,000 of them)
        let first = runs[0].results.as_ref().unwrap();
        let high = |r: &SarifResult| {
            let props = &r.properties.as_ref().unwrap().additional_properties;
            props["confidence"] == "high"
        };
        assert!(first.iter().all(high));
        // rule indexes point into each run's own rules
        for run in &runs {
            let rules = run.tool.driver.rules.as_ref().unwrap();
            for r in run.results.as_ref().unwrap() {
                let rule = &rules[r.rule_index.unwrap() as usize];
                assert_eq!(Some(&rule.id), r.rule_id.as_ref());
            }
        }
    }

    #[test]
    fn runs_are_packed_into_files_within_the_limits() {
        let outcome = many(2_500);
        let rules = crate::rules::RuleSet::default();
        let ctx = ReportContext {
            rules: &rules,
            root: None,
            color: false,
            vcs: None,
        };
        let small = Limits {
            results_per_run: 100,
            runs_per_file: 3,
            compressed_bytes: 1 << 30,
        };
        let logs = logs(&outcome, &ctx, &small);
        assert_eq!(logs.len(), 9, "25 runs, 3 a file");
        assert!(logs.iter().all(|l| l.runs.len() <= 3));
        let seen = fingerprints(&logs);
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 2_500);
        assert_eq!(seen.len(), 2_500);
        // a file limit that one run of 100 passes: runs are halved until each fits
        let tight = Limits {
            compressed_bytes: compressed_size(&logs[0].runs[0]) / 3,
            ..small
        };
        let logs = super::logs(&outcome, &ctx, &tight);
        let runs: Vec<&Run> = logs.iter().flat_map(|l| &l.runs).collect();
        assert!(runs.len() > 25, "{}", runs.len());
        assert!(runs
            .iter()
            .all(|r| compressed_size(r) <= tight.compressed_bytes));
        assert_eq!(fingerprints(&logs).len(), 2_500);
        // no findings: one log, one run, no category
        let logs = super::logs(&ScanOutcome::default(), &ctx, &GITHUB);
        assert_eq!(logs.len(), 1);
        assert!(logs[0].runs[0].automation_details.is_none());
        assert_eq!(
            part_path(Path::new("out/r.sarif"), 2),
            Path::new("out/r.2.sarif")
        );
        assert_eq!(part_path(Path::new("r"), 3), Path::new("r.3"));
    }
}
