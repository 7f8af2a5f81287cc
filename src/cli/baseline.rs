//! `keyhound baseline dir|git|staged -o FILE`: scan, then write (or bring up to date) the baseline of
//! the secrets found. The library decides what the new file holds ([`Baseline::update`]); this prints
//! what changed on stderr.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use keyhound::baseline::Baseline;
use keyhound::exit_code::ExitCode as Outcome;
use keyhound::report::summary;

use super::args::{Keep, ScanningArgs};
use super::scan::{scan_dirs, scan_git, scan_staged, CommitArgs, GitScan, Scanned};

/// `keyhound baseline`: what to scan, and where the baseline goes.
#[derive(Args, Debug)]
pub struct BaselineArgs {
    #[command(subcommand)]
    target: BaselineTarget,
}

/// What a baseline is made from.
#[derive(Subcommand, Debug)]
enum BaselineTarget {
    /// The secrets in files and directories (a working tree).
    Dir {
        /// Files or directories to scan.
        #[arg(default_value = ".")]
        paths: Vec<PathBuf>,
        /// Also scan files that .gitignore excludes.
        #[arg(long)]
        no_ignore: bool,
        #[command(flatten)]
        out: Output,
    },
    /// The secrets in git history (every ref, or a range).
    Git {
        /// The repository.
        #[arg(default_value = ".")]
        path: PathBuf,
        #[command(flatten)]
        commits: CommitArgs,
        #[command(flatten)]
        out: Output,
    },
    /// The secrets in what `git commit` is about to record.
    Staged {
        /// The repository.
        #[arg(default_value = ".")]
        path: PathBuf,
        #[command(flatten)]
        out: Output,
    },
}

/// The baseline file and the scan's flags.
#[derive(Args, Debug)]
struct Output {
    /// The baseline file: created, or brought up to date (new secrets added, old entries kept).
    #[arg(long, short = 'o', value_name = "FILE")]
    output: PathBuf,
    /// Drop entries that match nothing (needs a directory scan or a history scan over every ref,
    /// without errors).
    #[arg(long)]
    prune: bool,
    #[command(flatten)]
    scanning: ScanningArgs,
}

/// Runs `keyhound baseline`: 0 when the file was written from a complete scan, 2 on errors (the file
/// is still written, keeping every old entry, and the errors are listed).
pub fn run(args: BaselineArgs) -> Result<ExitCode> {
    let (scanned, out) = match args.target {
        BaselineTarget::Dir {
            paths,
            no_ignore,
            out,
        } => (
            scan_dirs(&paths, no_ignore, &out.scanning, Keep::default())?,
            out,
        ),
        BaselineTarget::Git { path, commits, out } => {
            let request = GitScan {
                path: &path,
                selection: commits.selection(),
                all_occurrences: false,
                allow_config_changes: true,
                cache: None,
            };
            (scan_git(request, &out.scanning, Keep::default())?, out)
        }
        BaselineTarget::Staged { path, out } => {
            (scan_staged(&path, &out.scanning, Keep::default())?, out)
        }
    };
    write(&scanned, &out)
}

/// Brings `out.output` up to date with `scanned` and says what changed.
fn write(scanned: &Scanned, out: &Output) -> Result<ExitCode> {
    let old = read(&out.output)?;
    let update = old.update(&scanned.outcome, scanned.whole, out.prune)?;
    std::fs::write(&out.output, update.baseline.render())
        .with_context(|| format!("writing baseline {}", out.output.display()))?;
    if !out.scanning.quiet {
        for line in summary::messages(&scanned.outcome) {
            eprintln!("{line}");
        }
        eprintln!(
            "baseline {}: {} entr{} ({} new, {} already listed, {} stale{})",
            out.output.display(),
            update.baseline.entries().count(),
            if update.baseline.entries().count() == 1 {
                "y"
            } else {
                "ies"
            },
            update.added,
            update.kept,
            update.stale.len(),
            if update.pruned {
                ", dropped"
            } else {
                ", kept: --prune drops them"
            }
        );
    }
    let errors = Outcome::of_counts(scanned.outcome.errors.len(), 0);
    Ok(super::status(errors))
}

/// The baseline at `path`, or an empty one when there is no file yet.
fn read(path: &Path) -> Result<Baseline> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Baseline::parse(&text, &path.display().to_string())?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Baseline::default()),
        Err(e) => Err(e).with_context(|| format!("reading baseline {}", path.display())),
    }
}
