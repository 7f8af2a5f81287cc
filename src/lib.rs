//! keyhound: a repository secret scanner.
//!
//! The pipeline, one module per stage. Each module imports only modules on rows above its own, never a
//! sibling's row or a row below (the `keyhound` binary, which parses arguments and prints, sits below
//! them all):
//!
//! ```text
//! error, randomness, repotext
//! rules, sources                   rules: error, randomness,    sources: error, repotext
//!                                  repotext
//! engine, finding                  engine: rules, randomness    finding: rules, repotext,
//!                                  randomness
//! suppress, outcome, verify        suppress: engine, rules      outcome: finding, repotext
//!                                  verify: finding, rules, sources
//! cache                            cache: finding, rules, sources
//! census                           census: outcome, finding, rules
//! baseline, scrub                  baseline: census, outcome, finding
//!                                  scrub: census, finding, engine, outcome, sources,
//!                                  repotext
//! config, report, exit_code, hook  config: rules, sources,      report: outcome, census, finding,
//!                                  finding, suppress, outcome   rules, sources, verify, repotext
//!                                  exit_code: outcome, finding  hook: sources
//! scan, target                     scan: engine, sources, suppress, finding, outcome, census, cache,
//!                                  rules (explain: baseline, report)
//!                                  target: config, report, sources
//! audit, readback                  audit: outcome, report, exit_code
//!                                  readback: outcome, finding, report
//! ```
//!
//! * [`repotext`] bounds what reports copy of repository text and writes non-UTF-8 paths losslessly.
//! * [`rules`] parses and compiles the rule files (`rules/*.toml`, embedded).
//! * [`sources`] yields bytes with their provenance, every scan mode behind one [`sources::Source`] trait
//!   (directories, standard input, git history and ranges, staged changes), and knows nothing of rules;
//!   [`sources::range`] reads `--range` the way git does; [`sources::chunk`] streams large content in
//!   overlapping chunks; [`sources::archive`] hands on the files inside archives, bounded.
//! * [`engine`] runs the keyword prefilter, the regexes near keyword hits and the gates.
//! * [`finding`] turns matches into findings with redaction and fingerprints.
//! * [`suppress`] applies allowlists, inline markers and the ignore file.
//! * [`outcome`] is what a scan produced: findings, errors, counters.
//! * [`cache`] stores what a complete history scan learned (commit records, each blob's findings
//!   before placement) for the next incremental scan, and refuses files it cannot trust.
//! * [`census`] groups findings into distinct secrets (every location, first and last introduction,
//!   refs that contain it, where to rotate it from `rules/rotate/providers.toml`).
//! * [`baseline`] reads, writes and applies baselines of known secrets (keyed by census identity).
//! * [`scrub`] writes what `git filter-repo` needs to remove found secrets from history, and a runbook,
//!   after reading each secret back from the repository and confirming it against its finding.
//! * [`verify`] asks providers whether found secrets still work (`--verify`, off by default).
//! * [`config`] decides which `.keyhound.toml` (or `.gitleaks.toml`) and ignore files apply, read from
//!   where each scan mode trusts (a range's base, `HEAD`, the working tree), and resolves them into the
//!   rule set and the suppressor.
//! * [`report`] writes an outcome in each format behind one trait, the messages after a scan, and the
//!   rule list.
//! * [`exit_code`] is the exit-code policy: errors outrank findings.
//! * [`hook`] installs and removes the git pre-commit hook.
//! * [`target`] resolves what a git scan points at (its root, trusted config and version-control facts).
//! * [`scan`] ties it together in parallel; [`scan::explain`] says, for every candidate, which stage
//!   kept or dropped it and why (`keyhound explain`, `--explain`).
//! * [`audit`] is what an organisation-wide audit adds: the repository list, shards, JSON Lines records.
//! * [`readback`] reads saved JSON and JSON Lines reports back, and merges them into one census.

#![warn(missing_docs)]

pub mod audit;
pub mod baseline;
pub mod cache;
pub mod census;
pub mod config;
pub mod engine;
pub mod error;
pub mod exit_code;
pub mod finding;
pub mod hook;
pub mod outcome;
pub mod randomness;
pub mod readback;
pub mod report;
pub mod repotext;
pub mod rules;
pub mod scan;
pub mod scrub;
pub mod sources;
pub mod suppress;
pub mod target;
pub mod verify;

pub use error::{Error, Result};
