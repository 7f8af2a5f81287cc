//! From a scan's findings to verification candidates and back. A check that needs two values (a secret
//! key and its access key ID, an auth token and its account SID) takes the second from the finding's
//! composite companion, else from a finding of the companion rule at the same path within the verifier's
//! line distance, else from the lines around the secret. A finding that *is* such a companion (an access
//! key ID) shares the verdict of the secret it pairs with; equal pairs are sent once.

use crate::finding::{Finding, Verification, VerifyStatus};
use crate::rules::RuleSet;

use super::{Candidate, Options, Verifiers};

/// Verifies every finding's secret and stores the result in [`Finding::verification`]. Fails only if the
/// client cannot be set up.
pub fn verify_findings(
    findings: &mut [Finding],
    verifiers: &Verifiers,
    rules: &RuleSet,
    options: &Options,
) -> Result<(), String> {
    let prepared = candidates(findings, verifiers);
    let to_check: Vec<Candidate> = prepared
        .iter()
        .filter_map(|p| p.as_ref().ok().cloned())
        .collect();
    let mut results = verifiers.verify(rules, &to_check, options)?.into_iter();
    for (finding, p) in findings.iter_mut().zip(prepared) {
        finding.verification = Some(match p {
            Ok(_) => results.next().expect("one result per candidate"),
            Err(done) => done,
        });
    }
    Ok(())
}

/// Proof-of-concept commands for the live findings: `(finding index, command)`, with the secret
/// redacted unless `show_secrets`. Nothing is sent.
pub fn poc_commands(
    findings: &[Finding],
    verifiers: &Verifiers,
    show_secrets: bool,
) -> Vec<(usize, String)> {
    candidates(findings, verifiers)
        .into_iter()
        .enumerate()
        .filter(|(i, _)| {
            findings[*i]
                .verification
                .as_ref()
                .is_some_and(|v| v.status == VerifyStatus::Live)
        })
        .filter_map(|(i, c)| Some((i, verifiers.poc(&c.ok()?, show_secrets)?)))
        .collect()
}

/// One candidate per finding, or the finding's result when there is nothing to send.
pub fn candidates(
    findings: &[Finding],
    verifiers: &Verifiers,
) -> Vec<Result<Candidate, Verification>> {
    findings
        .iter()
        .map(|f| candidate(f, findings, verifiers))
        .collect()
}

fn candidate(
    f: &Finding,
    all: &[Finding],
    verifiers: &Verifiers,
) -> Result<Candidate, Verification> {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    if let Some(v) = verifiers.for_rule(&f.rule_id) {
        let companion = v.companion.as_ref().and_then(|c| {
            let related = f
                .related
                .as_ref()
                .filter(|r| c.rules.contains(&r.rule_id))
                .map(|r| text(&r.secret_bytes));
            related.or_else(|| {
                nearest(f, all, &c.rules, c.within_lines).map(|g| text(&g.secret_bytes))
            })
        });
        return Ok(Candidate {
            rule_id: f.rule_id.clone(),
            secret: text(&f.secret_bytes),
            companion,
            context: (!f.context.is_empty()).then(|| text(&f.context)),
        });
    }
    if let Some(v) = verifiers.for_companion_rule(&f.rule_id) {
        let c = v.companion.as_ref().expect("found by its companion");
        return match nearest(f, all, &v.rules, c.within_lines) {
            Some(primary) => Ok(Candidate {
                rule_id: primary.rule_id.clone(),
                secret: text(&primary.secret_bytes),
                companion: Some(text(&f.secret_bytes)),
                context: None,
            }),
            None => Err(Verification {
                status: VerifyStatus::Unknown,
                verifier: Some(v.id.clone()),
                identity: None,
                checked_at: None,
                note: Some(format!(
                    "an {} is checked with its secret; none found within {} lines",
                    c.what, c.within_lines
                )),
            }),
        };
    }
    Ok(Candidate {
        rule_id: f.rule_id.clone(),
        secret: text(&f.secret_bytes),
        ..Candidate::default()
    })
}

/// The finding of one of `rules` at `f`'s path (and commit) nearest to it, at most `within` lines away.
fn nearest<'a>(
    f: &Finding,
    all: &'a [Finding],
    rules: &[String],
    within: usize,
) -> Option<&'a Finding> {
    let commit = |x: &Finding| x.git.as_ref().map(|g| g.commit.clone());
    all.iter()
        .filter(|g| g.path == f.path && commit(g) == commit(f) && rules.contains(&g.rule_id))
        .filter(|g| g.line.abs_diff(f.line) <= within)
        .min_by_key(|g| g.line.abs_diff(f.line))
}
