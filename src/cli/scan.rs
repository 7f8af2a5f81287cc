//! `keyhound scan dir|stdin|git|staged`: resolve the target and its config through the library, run the
//! scan, write the report to stdout (or `--report-path`), and print the messages on stderr.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{bail, Context, Result};
use clap::Subcommand;

use keyhound::baseline::Baseline;
use keyhound::config::trust::report_config_changes;
use keyhound::config::{ConfigStore, WorkTree};
use keyhound::engine::Engine;
use keyhound::exit_code::ExitCode as Outcome;
use keyhound::finding::Fingerprints;
use keyhound::outcome::ScanOutcome;
use keyhound::report::{summary, Report, ReportContext, VersionControl};
use keyhound::scan::git::{GitProgress, GitScanOptions};
use keyhound::scan::Scanner;
use keyhound::sources::git::Selection;
use keyhound::target::{staged_config, staged_root, GitTarget};

use super::args::{parse_range, ColorArg, Keep, ScanArgs, ScanningArgs};

/// The scan subcommands.
#[derive(Subcommand, Debug)]
pub enum ScanCommand {
    /// Scan files and directories (a working tree): respects .gitignore, includes hidden files.
    Dir {
        /// Files or directories to scan.
        #[arg(default_value = ".")]
        paths: Vec<PathBuf>,
        /// Also scan files that .gitignore excludes.
        #[arg(long)]
        no_ignore: bool,
        /// Explain every candidate in every file on stderr: the rule and keyword that reached it and
        /// the stage that kept or dropped it, with its numbers (one block per candidate: large).
        #[arg(long)]
        explain: bool,
        #[command(flatten)]
        common: ScanArgs,
    },
    /// Scan standard input (CI logs, pasted output).
    Stdin {
        /// Explain every candidate in every file on stderr: the rule and keyword that reached it and
        /// the stage that kept or dropped it, with its numbers (one block per candidate: large).
        #[arg(long)]
        explain: bool,
        #[command(flatten)]
        common: ScanArgs,
    },
    /// Scan git history: every commit reachable from every ref, or a range for CI.
    Git {
        /// The repository (a work tree, a linked worktree or a bare repository).
        #[arg(default_value = ".")]
        path: PathBuf,
        #[command(flatten)]
        commits: CommitArgs,
        /// List every (commit, path, line) a secret appears at, not one finding per secret and path.
        #[arg(long)]
        all_occurrences: bool,
        /// Write a scrub plan for `git filter-repo` into this directory: replacements.txt (the secrets,
        /// mode 0600), paths.txt and RUNBOOK.md.
        #[arg(long, value_name = "DIR")]
        scrub_plan: Option<PathBuf>,
        /// Only note, not report as scanner-config-changed findings, the scanner configuration files
        /// a range changes (when such changes are reviewed another way, e.g. CODEOWNERS).
        #[arg(long)]
        allow_config_changes: bool,
        /// Keep what this scan learns in DIR and reuse it next time: only commits and blobs not seen
        /// before are read (one file per repository, mode 0600: it holds the secrets found). Every ref
        /// or --branch only, not ranges.
        #[arg(long, value_name = "DIR", conflicts_with_all = ["range", "since_commit"])]
        cache: Option<PathBuf>,
        #[command(flatten)]
        common: ScanArgs,
    },
    /// Scan what `git commit` is about to record (for a pre-commit hook).
    Staged {
        /// The repository.
        #[arg(default_value = ".")]
        path: PathBuf,
        #[command(flatten)]
        common: ScanArgs,
    },
}

impl ScanCommand {
    /// `--explain` (directory and standard-input scans take it).
    fn explain(&self) -> bool {
        match self {
            ScanCommand::Dir { explain, .. } | ScanCommand::Stdin { explain, .. } => *explain,
            _ => false,
        }
    }

    /// The flags every scan takes.
    fn common(&self) -> &ScanArgs {
        match self {
            ScanCommand::Dir { common, .. }
            | ScanCommand::Stdin { common, .. }
            | ScanCommand::Git { common, .. }
            | ScanCommand::Staged { common, .. } => common,
        }
    }
}

/// Which commits `scan git` covers; at most one of these flags.
#[derive(clap::Args, Debug)]
pub struct CommitArgs {
    /// Only what the commits of this range add, as git reads `A..B` (`A..` is `A..HEAD`, `..B` is
    /// `HEAD..B`), e.g. `origin/main..HEAD` on a pull request.
    #[arg(long, value_name = "A..B", value_parser = parse_range,
          conflicts_with_all = ["since_commit", "branch", "all_refs"])]
    range: Option<Selection>,
    /// Only what the commits after this one (up to HEAD) add.
    #[arg(long, value_name = "COMMIT", conflicts_with_all = ["branch", "all_refs"])]
    since_commit: Option<String>,
    /// Only commits reachable from these branches, tags or revisions (repeatable).
    #[arg(
        long,
        visible_alias = "ref",
        value_name = "REF",
        conflicts_with = "all_refs"
    )]
    branch: Vec<String>,
    /// Every commit reachable from every branch, tag and remote-tracking ref (the default).
    #[arg(long)]
    all_refs: bool,
}

impl CommitArgs {
    /// The commits, in the library's terms (`--all-refs` and no flag both mean every ref).
    pub fn selection(self) -> Selection {
        keyhound::sources::range::select(self.range, self.since_commit, self.branch)
    }
}

/// Runs a scan subcommand.
pub fn run(cmd: ScanCommand) -> Result<ExitCode> {
    // A flag combination that cannot work is refused before a long scan, not after it.
    cmd.common().verify.fail_on()?;
    let explain = cmd.explain();
    let (scanned, common) = match cmd {
        ScanCommand::Dir {
            paths,
            no_ignore,
            common,
            ..
        } => {
            let keep = common.keep_explaining(explain);
            let scanned = scan_dirs(&paths, no_ignore, &common.scanning, keep)?;
            (scanned, common)
        }
        ScanCommand::Stdin { common, .. } => {
            let keep = common.keep_explaining(explain);
            (scan_stdin(&common.scanning, keep)?, common)
        }
        ScanCommand::Git {
            path,
            commits,
            all_occurrences,
            scrub_plan,
            allow_config_changes,
            cache,
            common,
        } => {
            let request = GitScan {
                path: &path,
                selection: commits.selection(),
                all_occurrences,
                allow_config_changes,
                cache: cache.as_deref(),
            };
            let mut scanned = scan_git(request, &common.scanning, common.keep())?;
            if let Some(dir) = &scrub_plan {
                // every secret, baselined or not
                let Scanned {
                    scanner, outcome, ..
                } = &mut scanned;
                if let Err(e) = write_scrub_plan(dir, &path, scanner, outcome) {
                    // the report still goes out; the plan's failure makes the run exit 2
                    outcome.errors.push(keyhound::outcome::ScanError {
                        path: dir.display().to_string(),
                        message: format!("{e:#}"),
                    });
                }
            }
            (scanned, common)
        }
        ScanCommand::Staged { path, common } => {
            let keep = common.keep();
            (scan_staged(&path, &common.scanning, keep)?, common)
        }
    };
    let Scanned {
        scanner,
        mut outcome,
        root,
        vcs,
        whole,
    } = scanned;
    if explain {
        print_explanations(&scanner, &common)?;
    }
    apply_baseline(&common, &mut outcome, whole)?;
    finish(&scanner, &common, outcome, root, vcs)
}

/// `--explain`: every candidate the scan explained, on stderr (stdout carries only the report).
fn print_explanations(scanner: &Scanner, args: &ScanArgs) -> Result<()> {
    let baseline = args.baseline.as_deref().map(read_baseline).transpose()?;
    let mut err = std::io::stderr().lock();
    super::explain::print(
        scanner,
        None,
        baseline.as_ref(),
        args.show_secrets,
        &mut err,
    )?;
    Ok(())
}

/// `scan stdin`: standard input to its end, with the config found in the current directory.
fn scan_stdin(args: &ScanningArgs, keep: Keep) -> Result<Scanned> {
    let (scanner, notes) = build_scanner(args, &WorkTree::new("."), false, keep)?;
    let mut outcome = scanner.scan_stdin()?;
    outcome.notes.extend(notes);
    Ok(Scanned {
        scanner,
        outcome,
        root: None,
        vcs: None,
        whole: false,
    })
}

/// A finished scan, before baselines and reporting.
pub(super) struct Scanned {
    /// The scanner that ran (its rules name the findings' rules in reports).
    pub scanner: Scanner,
    /// What it found.
    pub outcome: ScanOutcome,
    /// The root findings' paths are relative to.
    pub root: Option<PathBuf>,
    /// For history scans: the repository's remote and HEAD.
    pub vcs: Option<VersionControl>,
    /// The scan saw everything a baseline can name (a directory, every ref's history), so baseline
    /// entries it did not meet are stale.
    pub whole: bool,
}

/// `scan dir`: the files and directories `paths`, with the config found at their root.
pub(super) fn scan_dirs(
    paths: &[PathBuf],
    no_ignore: bool,
    args: &ScanningArgs,
    keep: Keep,
) -> Result<Scanned> {
    let store = WorkTree::for_scan_paths(paths);
    let (scanner, notes) = build_scanner(args, &store, no_ignore, keep)?;
    let mut outcome = scanner.scan_dirs(paths)?;
    outcome.notes.extend(notes);
    Ok(Scanned {
        scanner,
        outcome,
        root: Some(store.root().to_path_buf()),
        vcs: None,
        whole: true,
    })
}

/// What `scan git` is asked to read.
pub(super) struct GitScan<'a> {
    /// The repository.
    pub path: &'a Path,
    /// Its commits.
    pub selection: Selection,
    /// Every occurrence, not one finding per secret and path.
    pub all_occurrences: bool,
    /// Note, not report, changes to the scanner's configuration.
    pub allow_config_changes: bool,
    /// The cache directory of an incremental scan (`--cache`).
    pub cache: Option<&'a Path>,
}

/// `scan git`: the history `request` names, with the config the library trusts for it.
pub(super) fn scan_git(request: GitScan<'_>, args: &ScanningArgs, keep: Keep) -> Result<Scanned> {
    let path = request.path;
    let target = GitTarget::history(path)?;
    let whole = matches!(request.selection, Selection::AllRefs);
    let (trusted, changes) = GitTarget::config(path, &request.selection)?;
    let (scanner, notes) = build_scanner(args, trusted.store.as_ref(), false, keep)?;
    let progress = GitProgress::default();
    let options = GitScanOptions {
        selection: request.selection,
        all_occurrences: request.all_occurrences,
    };
    let mut outcome = with_progress(args.quiet, &progress, || match request.cache {
        Some(dir) => scanner.scan_git_cached(path, &options, &progress, dir),
        None => scanner.scan_git(path, &options, &progress),
    })?;
    outcome.notes.extend(trusted.note.into_iter().chain(notes));
    report_config_changes(&mut outcome, &changes, !request.allow_config_changes);
    Ok(Scanned {
        scanner,
        outcome,
        root: Some(target.root),
        vcs: Some(target.vcs),
        whole,
    })
}

/// `scan staged`: what the next commit of the repository at `path` records, with HEAD's config.
pub(super) fn scan_staged(path: &Path, args: &ScanningArgs, keep: Keep) -> Result<Scanned> {
    let root = staged_root(path)?;
    let trusted = staged_config(path)?;
    let (scanner, notes) = build_scanner(args, trusted.store.as_ref(), false, keep)?;
    let mut outcome = scanner.scan_staged(path)?;
    outcome.notes.extend(trusted.note.into_iter().chain(notes));
    Ok(Scanned {
        scanner,
        outcome,
        root: Some(root),
        vcs: None,
        whole: false,
    })
}

/// The scanner for `args`, with the config and ignore files the library finds in `store`, and the
/// notes the report should carry about them.
pub(super) fn build_scanner(
    args: &ScanningArgs,
    store: &dyn ConfigStore,
    no_ignore: bool,
    keep: Keep,
) -> Result<(Scanner, Vec<String>)> {
    let resolved = keyhound::config::resolve(store, &args.config_request())?;
    let notes = resolved.notes();
    let mut options = args.scan_options(no_ignore, keep);
    options.fingerprints = Fingerprints::from_env()?;
    let scanner = Scanner::new(
        Engine::new(resolved.rules).with_decode_depth(args.decode_depth),
        resolved.suppressor,
        options,
    );
    Ok((scanner, notes))
}

/// Runs `scan` with a progress line on stderr when stderr is a terminal.
fn with_progress<T: Send>(
    quiet: bool,
    progress: &GitProgress,
    scan: impl FnOnce() -> T + Send,
) -> T {
    if quiet || !std::io::stderr().is_terminal() {
        return scan();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {elapsed} {msg}")
            .expect("valid progress template"),
    );
    let done = AtomicBool::new(false);
    let result = std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                bar.set_message(format!(
                    "{} commits walked, {} blobs scanned ({:.1} MB)",
                    progress.commits.load(Ordering::Relaxed),
                    progress.blobs.load(Ordering::Relaxed),
                    progress.bytes.load(Ordering::Relaxed) as f64 / 1e6
                ));
                bar.tick();
                std::thread::sleep(std::time::Duration::from_millis(120));
            }
        });
        let r = scan();
        done.store(true, Ordering::Relaxed);
        r
    });
    bar.finish_and_clear();
    result
}

/// `--scrub-plan DIR`: the plan for the scan's findings in the repository at `repo` (their secrets
/// still in memory, each confirmed there), and a note that its replacements file holds the secrets.
pub(super) fn write_scrub_plan(
    dir: &Path,
    repo: &Path,
    scanner: &Scanner,
    outcome: &mut ScanOutcome,
) -> Result<()> {
    let plan = keyhound::scrub::plan(
        repo,
        scanner.engine(),
        &scanner.options().fingerprints,
        outcome,
    )?;
    plan.write(dir)?;
    outcome.notes.push(format!(
        "scrub plan written to {} ({} secret value(s) in replacements.txt and messages.txt, mode \
         0600: they hold the secrets, keep them private and delete them after use; see RUNBOOK.md \
         there)",
        dir.display(),
        plan.replacement_count()
    ));
    Ok(())
}

/// Reads and parses the baseline file at `path`.
pub(super) fn read_baseline(path: &Path) -> Result<Baseline> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading baseline {}", path.display()))?;
    Ok(Baseline::parse(&text, &path.display().to_string())?)
}

/// `--write-baseline` (every finding's secret, before any baseline is applied), then `--baseline` and
/// `--prune`. `whole`: the scan saw everything a baseline can name, so unmatched entries are stale.
fn apply_baseline(args: &ScanArgs, outcome: &mut ScanOutcome, whole: bool) -> Result<()> {
    if let Some(path) = &args.write_baseline {
        let text = Baseline::of_outcome(outcome).render();
        std::fs::write(path, text)
            .with_context(|| format!("writing baseline {}", path.display()))?;
    }
    let Some(path) = &args.baseline else {
        return Ok(());
    };
    if args.prune && !whole {
        bail!(keyhound::baseline::PRUNE_NEEDS_WHOLE);
    }
    let baseline = read_baseline(path)?;
    let applied = baseline.apply(outcome, whole)?;
    if args.prune && outcome.errors.is_empty() && !applied.stale.is_empty() {
        std::fs::write(path, baseline.without(&applied.stale).render())
            .with_context(|| format!("writing baseline {}", path.display()))?;
        outcome.notes.push(format!(
            "pruned {} stale entr{} from {}",
            applied.stale.len(),
            if applied.stale.len() == 1 { "y" } else { "ies" },
            path.display()
        ));
    }
    Ok(())
}

/// Writes the report (stdout or `--report-path`), then the messages on stderr unless `--quiet`, and
/// returns the library's exit code for the outcome.
fn finish(
    scanner: &Scanner,
    args: &ScanArgs,
    mut outcome: ScanOutcome,
    root: Option<PathBuf>,
    vcs: Option<VersionControl>,
) -> Result<ExitCode> {
    let fail_on = args.verify.fail_on()?;
    args.verify.run(
        &mut outcome.findings,
        scanner.engine().rules(),
        args.scanning.quiet,
    )?;
    for f in &mut outcome.findings {
        f.finalize_secret(args.show_secrets);
    }
    let to_terminal = args.report_path.is_none() && std::io::stdout().is_terminal();
    let ctx = ReportContext {
        rules: scanner.engine().rules(),
        root,
        color: match args.color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
        },
        vcs,
    };
    let note = write_report(args.format.0, &outcome, &ctx, args.report_path.as_deref())?;
    outcome.notes.extend(note);
    args.verify
        .print_poc(&outcome.findings, args.show_secrets)?;
    if !args.scanning.quiet {
        let mut err = std::io::stderr().lock();
        for line in summary::messages(&outcome) {
            // A closed stderr must not turn the earned exit code into a panic.
            let _ = writeln!(err, "{line}");
        }
    }
    let status = Outcome::of_outcome_under(&outcome, fail_on).status(args.exit_code);
    Ok(ExitCode::from(status))
}

/// Writes `outcome` as `report` to `path` (and the further files a split report needs), or to stdout
/// when there is none; returns the report's note about the files it wrote, if any.
pub(super) fn write_report(
    report: &dyn Report,
    outcome: &ScanOutcome,
    ctx: &ReportContext<'_>,
    path: Option<&Path>,
) -> Result<Option<String>> {
    if let Some(path) = path {
        let written = (report.write_files(outcome, ctx, path))
            .with_context(|| format!("writing report {}", path.display()))?;
        return Ok(written.note);
    }
    let mut w = BufWriter::new(std::io::stdout().lock());
    match report.write(outcome, ctx, &mut w).and_then(|()| w.flush()) {
        // The reader went away (`| head`): the report is cut short, but the scan's result is not, so
        // the run still exits with the code it earned.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(None),
        other => Ok(other.map(|()| None)?),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser, Debug)]
    struct Probe {
        #[command(subcommand)]
        cmd: ScanCommand,
    }

    fn git(argv: &[&str]) -> Result<CommitArgs, String> {
        let argv = ["probe", "git"].into_iter().chain(argv.iter().copied());
        match Probe::try_parse_from(argv).map_err(|e| e.to_string())?.cmd {
            ScanCommand::Git { commits, .. } => Ok(commits),
            other => panic!("{other:?}"),
        }
    }

    fn selection(argv: &[&str]) -> String {
        format!("{:?}", git(argv).unwrap().selection())
    }

    #[test]
    fn commit_flags_become_selections() {
        assert_eq!(selection(&[]), format!("{:?}", Selection::AllRefs));
        assert_eq!(
            selection(&["--all-refs"]),
            format!("{:?}", Selection::AllRefs)
        );
        let main_to_head = Selection::Range {
            include: "HEAD".into(),
            exclude: Some("main".into()),
        };
        assert_eq!(
            selection(&["--range", "main..HEAD"]),
            format!("{main_to_head:?}")
        );
        assert_eq!(
            selection(&["--range", "main.."]),
            format!("{main_to_head:?}")
        );
        assert_eq!(
            selection(&["--since-commit", "main"]),
            format!("{main_to_head:?}")
        );
        assert_eq!(
            selection(&["--branch", "a", "--ref", "b"]),
            format!("{:?}", Selection::Refs(vec!["a".into(), "b".into()]))
        );
    }

    #[test]
    fn commit_flags_exclude_each_other() {
        for argv in [
            &["--range", "a..b", "--since-commit", "a"][..],
            &["--range", "a..b", "--branch", "a"],
            &["--range", "a..b", "--all-refs"],
            &["--since-commit", "a", "--branch", "b"],
            &["--since-commit", "a", "--all-refs"],
            &["--branch", "a", "--all-refs"],
        ] {
            let err = git(argv).unwrap_err();
            assert!(err.contains("cannot be used with"), "{argv:?}: {err}");
        }
    }

    #[test]
    fn bad_ranges_are_refused_at_parse_time() {
        for bad in ["a...b", "a....b", "main", ".."] {
            let err = git(&["--range", bad]).unwrap_err();
            assert!(err.contains("--range"), "{bad}: {err}");
        }
    }
}
