//! `keyhound scrub-plan [REPO] -o DIR [--from-report FILE]`: a scrub plan for `git filter-repo`, made
//! from a history scan of every ref or from a saved JSON report of this repository. The library reads
//! every secret back from the repository and confirms it ([`keyhound::scrub::plan`]); this writes the
//! files and prints what it did on stderr.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;

use keyhound::exit_code::ExitCode as Outcome;
use keyhound::report::summary;
use keyhound::sources::git::Selection;
use keyhound::target::GitTarget;

use super::args::{Keep, ScanningArgs};
use super::scan::{build_scanner, scan_git, write_scrub_plan, GitScan};

/// `keyhound scrub-plan`.
#[derive(Args, Debug)]
pub struct ScrubArgs {
    /// The repository whose history is to be rewritten.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// The directory the plan is written to: replacements.txt and messages.txt (the secrets, mode
    /// 0600), paths.txt, RUNBOOK.md.
    #[arg(long, short = 'o', value_name = "DIR")]
    output: PathBuf,
    /// Make the plan from this saved JSON report of the repository (`scan git --format json`) instead
    /// of scanning: each secret is read back at the place the report names and checked against its
    /// fingerprint.
    #[arg(long, value_name = "FILE")]
    from_report: Option<PathBuf>,
    #[command(flatten)]
    scanning: ScanningArgs,
}

/// Runs `keyhound scrub-plan`: 0 when the plan is written; 2 (and no plan) when the scan or report is
/// incomplete or a finding does not match the repository.
pub fn run(args: ScrubArgs) -> Result<ExitCode> {
    let (scanner, mut outcome) = match &args.from_report {
        None => {
            let request = GitScan {
                path: &args.path,
                selection: Selection::AllRefs,
                all_occurrences: false,
                allow_config_changes: true,
                cache: None,
            };
            let scanned = scan_git(request, &args.scanning, Keep::default())?;
            (scanned.scanner, scanned.outcome)
        }
        Some(file) => {
            let mut reports = keyhound::readback::read(file)?;
            if reports.len() != 1 {
                bail!(
                    "{} holds {} reports: a scrub plan is made from the report of one repository",
                    file.display(),
                    reports.len()
                );
            }
            let (trusted, _) = GitTarget::config(&args.path, &Selection::AllRefs)?;
            let (scanner, _) = build_scanner(
                &args.scanning,
                trusted.store.as_ref(),
                false,
                Keep::default(),
            )?;
            let mut outcome = reports.remove(0).outcome;
            outcome.notes.clear(); // the report's notes are about the scan that made it
            (scanner, outcome)
        }
    };
    write_scrub_plan(&args.output, &args.path, &scanner, &mut outcome)?;
    if !args.scanning.quiet {
        for line in summary::messages(&outcome) {
            eprintln!("{line}");
        }
    }
    Ok(super::status(Outcome::Clean))
}
