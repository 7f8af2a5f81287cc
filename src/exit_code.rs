//! The exit-code policy, in one place: 0 clean, 1 findings (or the code `--exit-code` picks), 2 error.
//! An error outranks findings, because a scan that could not read everything has not shown the tree is
//! clean. The CLI turns an [`ExitCode`] into the process status; it never decides one itself.

use crate::finding::{VerifyStatus, CONFIG_CHANGED_RULE};
use crate::outcome::ScanOutcome;

/// Which findings fail a run (`--fail-on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailOn {
    /// Every finding (the default).
    #[default]
    Any,
    /// Only findings their provider called live (`--verify`). A finding whose check failed (network,
    /// rate limit, timeout) could be live, so it makes the run an error, as an unreadable file does.
    Live,
}

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Nothing found, everything read.
    Clean,
    /// Findings, and everything read.
    Findings,
    /// An error: bad input, or a scan that could not read everything (incomplete).
    Error,
}

impl ExitCode {
    /// The process status of a clean run.
    pub const CLEAN_STATUS: u8 = 0;
    /// The default process status for findings.
    pub const FINDINGS_STATUS: u8 = 1;
    /// The process status for errors and incomplete scans.
    pub const ERROR_STATUS: u8 = 2;

    /// How a scan ended: errors outrank findings.
    pub fn of_outcome(outcome: &ScanOutcome) -> Self {
        Self::of_counts(outcome.errors.len(), outcome.findings.len())
    }

    /// How a scan ended under `fail_on`: errors outrank findings; under [`FailOn::Live`] only live
    /// findings count (and changes to the scanner's configuration, which no provider can verify), and a
    /// verification that failed counts as an error.
    pub fn of_outcome_under(outcome: &ScanOutcome, fail_on: FailOn) -> Self {
        match fail_on {
            FailOn::Any => Self::of_outcome(outcome),
            FailOn::Live => {
                let status = |s: VerifyStatus| {
                    outcome
                        .findings
                        .iter()
                        .filter(|f| f.verification.as_ref().is_some_and(|v| v.status == s))
                        .count()
                };
                let config_changes = (outcome.findings.iter())
                    .filter(|f| f.rule_id == CONFIG_CHANGED_RULE)
                    .count();
                Self::of_counts(
                    outcome.errors.len() + status(VerifyStatus::Error),
                    status(VerifyStatus::Live) + config_changes,
                )
            }
        }
    }

    /// How a run with this many errors and findings ended.
    pub fn of_counts(errors: usize, findings: usize) -> Self {
        if errors > 0 {
            ExitCode::Error
        } else if findings > 0 {
            ExitCode::Findings
        } else {
            ExitCode::Clean
        }
    }

    /// The process status, with `findings_status` for findings (`--exit-code`, 1 by default).
    pub fn status(self, findings_status: u8) -> u8 {
        match self {
            ExitCode::Clean => Self::CLEAN_STATUS,
            ExitCode::Findings => findings_status,
            ExitCode::Error => Self::ERROR_STATUS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ExitCode;
    use crate::outcome::{ScanError, ScanOutcome};

    #[test]
    fn statuses() {
        assert_eq!(ExitCode::Clean.status(1), 0);
        assert_eq!(ExitCode::Findings.status(1), 1);
        assert_eq!(ExitCode::Findings.status(7), 7);
        assert_eq!(ExitCode::Error.status(7), 2);
    }

    #[test]
    fn of_counts_and_outcome() {
        use ExitCode::*;
        assert_eq!(ExitCode::of_counts(0, 0), Clean);
        assert_eq!(ExitCode::of_counts(0, 3), Findings);
        assert_eq!(ExitCode::of_counts(1, 0), Error);
        assert_eq!(ExitCode::of_counts(1, 3), Error);
        let mut outcome = ScanOutcome::default();
        assert_eq!(ExitCode::of_outcome(&outcome), Clean);
        outcome.errors.push(ScanError {
            path: "a".into(),
            message: "unreadable".into(),
        });
        assert_eq!(ExitCode::of_outcome(&outcome), Error);
    }

    #[test]
    fn fail_on_live_counts_live_findings_and_failed_checks() {
        use super::FailOn;
        use crate::finding::{Verification, VerifyStatus};
        use ExitCode::*;
        let finding = |status| crate::finding::Finding {
            rule_id: "r".into(),
            rule_name: "R".into(),
            description: None,
            confidence: crate::rules::Confidence::High,
            path: "p".into(),
            repository: None,
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 2,
            redacted: "***".into(),
            secret: None,
            entropy: 0.0,
            fingerprint: String::new(),
            decoded: None,
            related: None,
            also_related: Vec::new(),
            git: None,
            verification: Some(Verification {
                status,
                verifier: None,
                identity: None,
                checked_at: None,
                note: None,
            }),
            secret_id: String::new(),
            context: Vec::new(),
            excerpt: None,
            secret_bytes: Vec::new(),
            rule_index: 0,
        };
        let outcome = |statuses: &[VerifyStatus]| ScanOutcome {
            findings: statuses.iter().map(|s| finding(*s)).collect(),
            ..ScanOutcome::default()
        };
        let under = |o: &ScanOutcome| ExitCode::of_outcome_under(o, FailOn::Live);
        let revoked = outcome(&[VerifyStatus::Invalid, VerifyStatus::Unknown]);
        assert_eq!(under(&revoked), Clean);
        assert_eq!(ExitCode::of_outcome_under(&revoked, FailOn::Any), Findings);
        assert_eq!(
            under(&outcome(&[VerifyStatus::Invalid, VerifyStatus::Live])),
            Findings
        );
        assert_eq!(
            under(&outcome(&[VerifyStatus::Live, VerifyStatus::Error])),
            Error
        );
        // A change to the scanner's configuration has no provider to ask: it still fails.
        let mut changed = outcome(&[VerifyStatus::Invalid]);
        changed.findings[0].rule_id = crate::finding::CONFIG_CHANGED_RULE.into();
        changed.findings[0].verification = None;
        assert_eq!(under(&changed), Findings);
    }
}
