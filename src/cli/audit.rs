//! `keyhound audit REPO... [--repos-from FILE] [--shard K/N]`: the full history of many repositories in
//! one run, one JSON Lines record per repository (its redacted JSON report with a `repository` field),
//! written as each finishes. The library picks the shard, shapes the records and decides the exit code
//! ([`keyhound::audit`]); `keyhound merge` combines the records into one census.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;

use keyhound::audit::{self, Shard, Tally};
use keyhound::report::escape::terminal;
use keyhound::sources::git::Selection;

use super::args::{Keep, ScanningArgs};
use super::scan::{scan_git, GitScan};

/// `keyhound audit`.
#[derive(Args, Debug)]
pub struct AuditArgs {
    /// Repositories to audit (work trees or bare repositories), every ref's history.
    #[arg(value_name = "REPO")]
    repos: Vec<String>,
    /// Also audit the repositories listed in this file: one path per line, `#` comments and blank
    /// lines skipped (repeatable).
    #[arg(long, value_name = "FILE")]
    repos_from: Vec<PathBuf>,
    /// Audit only shard K of N (1-based): a repository belongs to the shard its path, as written,
    /// hashes to, so runners given the same list split it without overlap or gaps.
    #[arg(long, value_name = "K/N", value_parser = Shard::parse)]
    shard: Option<Shard>,
    /// Print the repositories this run would audit (after --shard), one per line, and scan nothing:
    /// e.g. to clone only a shard's repositories first.
    #[arg(long)]
    list: bool,
    /// Write the JSON Lines here instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    scanning: ScanningArgs,
}

/// Runs `keyhound audit`: 0 when every repository was read and nothing found, 1 on findings, 2 when
/// any repository had errors or could not be scanned (the others' records are still written).
pub fn run(args: AuditArgs) -> Result<ExitCode> {
    let mut listed = args.repos.clone();
    for file in &args.repos_from {
        listed.extend(audit::parse_list(&read_list(file)?));
    }
    if listed.is_empty() {
        bail!("no repositories to audit: name them, or list them in a file for --repos-from");
    }
    let count = listed.len();
    let selected = audit::select(listed, args.shard);
    if args.list {
        let mut out = std::io::stdout().lock();
        for repo in &selected {
            writeln!(out, "{repo}")?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(BufWriter::new(
            File::create(path).with_context(|| format!("creating {}", path.display()))?,
        )),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let mut tally = Tally::default();
    for repo in &selected {
        let outcome = audit_one(repo, &args.scanning);
        tally.add(&outcome);
        writeln!(out, "{}", audit::record(repo, &outcome))
            .and_then(|()| out.flush())
            .context("writing the audit records")?;
        if !args.scanning.quiet {
            eprintln!(
                "keyhound: audit: {}: {} finding(s), {} error(s)",
                terminal(repo),
                outcome.findings.len(),
                outcome.errors.len()
            );
        }
    }
    if !args.scanning.quiet {
        let shard = (args.shard)
            .map(|s| format!(" (shard {}/{} of {count} listed)", s.index, s.count))
            .unwrap_or_default();
        eprintln!(
            "keyhound: audited {} repositories{shard}: {} with findings, {} with errors",
            tally.repositories, tally.with_findings, tally.with_errors
        );
    }
    Ok(super::status(tally.exit_code()))
}

/// The history scan of `repo` (redacted), or the error that stopped it as the repository's outcome.
fn audit_one(repo: &str, args: &ScanningArgs) -> keyhound::outcome::ScanOutcome {
    let request = GitScan {
        path: Path::new(repo),
        selection: Selection::AllRefs,
        all_occurrences: false,
        allow_config_changes: true,
        cache: None,
    };
    match scan_git(request, args, Keep::default()) {
        Ok(scanned) => {
            let mut outcome = scanned.outcome;
            for f in &mut outcome.findings {
                f.finalize_secret(false);
            }
            outcome
        }
        Err(e) => audit::failed(format!("{e:#}")),
    }
}

/// The text of a `--repos-from` file.
fn read_list(file: &Path) -> Result<String> {
    std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))
}
