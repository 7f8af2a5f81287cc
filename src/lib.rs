//! keyhound: a repository secret scanner.
//!
//! The pipeline, one module per stage, each importing only the ones above it:
//!
//! ```text
//! error, entropy → rules, sources → engine, finding → suppress, config, report → scan
//! ```
//!
//! * [`rules`] parses and compiles the rule files (`rules/*.toml`, embedded).
//! * [`sources`] yields bytes and paths (directories, standard input, git) and knows nothing of rules.
//! * [`engine`] runs the keyword prefilter, the regexes near keyword hits and the gates.
//! * [`finding`] turns matches into findings with redaction and fingerprints.
//! * [`suppress`] applies allowlists, inline markers and the ignore file; [`config`] reads `.keyhound.toml`.
//! * [`report`] writes text, JSON and SARIF.
//! * [`scan`] ties it together in parallel.

pub mod config;
pub mod engine;
pub mod error;
pub mod finding;
pub mod gitleaks;
pub mod randomness;
pub mod report;
pub mod rules;
pub mod scan;
pub mod sources;
pub mod suppress;

pub use error::{Error, Result};
