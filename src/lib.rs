//! keyhound: a repository secret scanner.
//!
//! The pipeline, one module per stage. Each module imports only modules on rows above its own, never a
//! sibling's row or a row below (the `keyhound` binary, which parses arguments and prints, sits below
//! them all):
//!
//! ```text
//! error, randomness
//! rules, sources          rules: error, randomness       sources: error
//! engine, finding         engine: rules, randomness      finding: rules
//! suppress, outcome       suppress: engine, rules        outcome: finding
//! config, report          config: rules, suppress        report: outcome, finding, rules
//! scan                    engine, sources, suppress, finding, outcome
//! ```
//!
//! * [`rules`] parses and compiles the rule files (`rules/*.toml`, embedded).
//! * [`sources`] yields bytes and paths (directories, standard input, git) and knows nothing of rules.
//! * [`engine`] runs the keyword prefilter, the regexes near keyword hits and the gates.
//! * [`finding`] turns matches into findings with redaction and fingerprints.
//! * [`suppress`] applies allowlists, inline markers and the ignore file.
//! * [`outcome`] is what a scan produced: findings, errors, counters.
//! * [`config`] decides which `.keyhound.toml` (or `.gitleaks.toml`) and ignore files apply, and resolves
//!   them into the rule set and the suppressor.
//! * [`report`] writes an outcome as text, JSON or SARIF.
//! * [`scan`] ties it together in parallel.

pub mod config;
pub mod engine;
pub mod error;
pub mod finding;
pub mod outcome;
pub mod randomness;
pub mod report;
pub mod rules;
pub mod scan;
pub mod sources;
pub mod suppress;

pub use error::{Error, Result};
