//! Command-line arguments (clap) and their resolution into a scan, plus the messages on stderr.
//! stdout carries only reports.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

use keyhound::config::{Config, ConfigRequest, WorkTree};
use keyhound::engine::{selftest, Engine};
use keyhound::outcome::ScanOutcome;
use keyhound::report::{self, Format, ReportContext, VersionControl};
use keyhound::rules::{Confidence, RuleSet};
use keyhound::scan::git::{GitProgress, GitScanOptions};
use keyhound::scan::{ScanOptions, Scanner};
use keyhound::sources::git::Selection;
use std::sync::atomic::Ordering;

/// Exit code for a clean scan.
pub const EXIT_CLEAN: u8 = 0;
/// Exit code for errors and incomplete scans; it outranks findings.
pub const EXIT_ERROR: u8 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "keyhound",
    version,
    about = "Find secrets in working trees, git history, staged changes and logs.",
    after_help = "Exit codes: 0 clean, 1 findings (see --exit-code), 2 error or incomplete scan."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Scan something for secrets.
    #[command(subcommand)]
    Scan(ScanCommand),
    /// List or check rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Manage the git pre-commit hook.
    #[command(subcommand)]
    Hook(HookCommand),
}

#[derive(Subcommand, Debug)]
enum ScanCommand {
    /// Scan files and directories (a working tree): respects .gitignore, includes hidden files.
    Dir {
        /// Files or directories to scan.
        #[arg(default_value = ".")]
        paths: Vec<PathBuf>,
        /// Also scan files that .gitignore excludes.
        #[arg(long)]
        no_ignore: bool,
        #[command(flatten)]
        common: ScanArgs,
    },
    /// Scan standard input (CI logs, pasted output).
    Stdin {
        #[command(flatten)]
        common: ScanArgs,
    },
    /// Scan git history: every commit reachable from every ref, or a range for CI.
    Git {
        /// The repository (a work tree, a linked worktree or a bare repository).
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Only what the commits of this range add (`A..B`), e.g. `origin/main..HEAD` on a pull request.
        #[arg(long, value_name = "A..B", conflicts_with_all = ["since_commit", "branch"])]
        range: Option<String>,
        /// Only what the commits after this one (up to HEAD) add.
        #[arg(long, value_name = "COMMIT", conflicts_with = "branch")]
        since_commit: Option<String>,
        /// Only commits reachable from these branches, tags or revisions (repeatable).
        #[arg(long, visible_alias = "ref", value_name = "REF")]
        branch: Vec<String>,
        /// Every commit reachable from every branch, tag and remote-tracking ref (the default).
        #[arg(long)]
        all_refs: bool,
        /// List every (commit, path, line) a secret appears at, not one finding per secret and path.
        #[arg(long)]
        all_occurrences: bool,
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

#[derive(Subcommand, Debug)]
enum HookCommand {
    /// Write a pre-commit hook that runs `keyhound scan staged`.
    Install {
        /// The repository.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Replace an existing pre-commit hook.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand, Debug)]
enum RulesCommand {
    /// List every rule: id, confidence, keywords, name.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
        /// Also list the rules of this config file.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Validate rule files and run their examples (the built-in rules when no file is given).
    Check {
        /// Rule files (TOML with [[rule]] tables).
        files: Vec<PathBuf>,
    },
}

#[derive(Copy, Clone, Debug, ValueEnum)]
enum ListFormat {
    Text,
    Json,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
enum FormatArg {
    Text,
    Json,
    Sarif,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
enum ConfidenceArg {
    Low,
    Medium,
    High,
}

#[derive(Args, Debug)]
struct ScanArgs {
    /// Report format.
    #[arg(long, short = 'f', value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,
    /// Write the report here instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    report_path: Option<PathBuf>,
    /// Config file [default: .keyhound.toml at the scan root, if present].
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,
    /// Fingerprints to ignore [default: .keyhoundignore at the scan root, if present].
    #[arg(long, value_name = "FILE")]
    ignore_file: Option<PathBuf>,
    /// Skip files larger than this (bytes; K, M, G suffixes allowed).
    #[arg(long, default_value = "10M", value_parser = parse_size)]
    max_file_size: u64,
    /// Print secrets in full instead of redacted.
    #[arg(long)]
    show_secrets: bool,
    /// Exit code when there are findings (errors always exit 2).
    #[arg(long, default_value_t = 1)]
    exit_code: u8,
    /// Layers of base64, hex and percent-encoding to decode and scan inside (0: none).
    #[arg(long, default_value_t = keyhound::engine::DEFAULT_DECODE_DEPTH)]
    decode_depth: usize,
    /// Drop findings below this confidence.
    #[arg(long, value_enum, default_value_t = ConfidenceArg::Low)]
    min_confidence: ConfidenceArg,
    /// Worker threads [default: one per core].
    #[arg(long, short = 'j', default_value_t = 0)]
    threads: usize,
    /// Colour in text reports.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    color: ColorArg,
    /// No summary line or error list on stderr.
    #[arg(long, short = 'q')]
    quiet: bool,
}

/// A size limit: bytes with an optional K, M or G suffix. Values past what 64 bits hold saturate (the
/// limit is then "no limit", never a wrapped-around small one), and 0 is refused: it would skip every
/// file and still look like a clean scan.
fn parse_size(s: &str) -> std::result::Result<u64, String> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last() {
        Some((i, 'K' | 'k')) => (&s[..i], 1024),
        Some((i, 'M' | 'm')) => (&s[..i], 1024 * 1024),
        Some((i, 'G' | 'g')) => (&s[..i], 1024 * 1024 * 1024),
        _ => (s, 1),
    };
    let num = num.trim();
    if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{s}` is not a size (e.g. 500K, 10M, 1048576)"));
    }
    let n = num.bytes().fold(0u64, |n, d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    });
    match n.saturating_mul(mult) {
        0 => Err("a limit of 0 would skip every file: give at least 1 byte".into()),
        n => Ok(n),
    }
}

/// Parses arguments and runs the command.
pub fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(ScanCommand::Dir {
            paths,
            no_ignore,
            common,
        }) => {
            let store = WorkTree::for_scan_paths(&paths);
            let scanner = build_scanner(&common, &store, no_ignore)?;
            let outcome = scanner.scan_dirs(&paths);
            finish(&scanner, &common, outcome, Some(store.root().to_path_buf()))
        }
        Command::Scan(ScanCommand::Stdin { common }) => {
            let scanner = build_scanner(&common, &WorkTree::new("."), false)?;
            let outcome = scanner.scan_stdin();
            finish(&scanner, &common, outcome, None)
        }
        Command::Scan(ScanCommand::Git {
            path,
            range,
            since_commit,
            branch,
            all_refs: _,
            all_occurrences,
            common,
        }) => {
            let selection = if let Some(range) = range {
                let Some((a, b)) = range.split_once("..") else {
                    bail!("--range takes A..B (for example origin/main..HEAD), not `{range}`");
                };
                let b = b.trim_start_matches('.');
                let b = if b.is_empty() { "HEAD" } else { b };
                Selection::Range {
                    include: b.to_string(),
                    exclude: (!a.is_empty()).then(|| a.to_string()),
                }
            } else if let Some(since) = since_commit {
                Selection::Range {
                    include: "HEAD".into(),
                    exclude: Some(since),
                }
            } else if !branch.is_empty() {
                Selection::Refs(branch)
            } else {
                Selection::AllRefs
            };
            let repo = keyhound::sources::git::open(&path)?;
            let root = repo
                .workdir()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| repo.path().to_path_buf());
            let head = repo.head().ok();
            let vcs = VersionControl {
                repository_uri: keyhound::sources::git::remote_url(&repo),
                revision_id: head
                    .as_ref()
                    .and_then(|h| h.target())
                    .map(|o| o.to_string()),
                branch: head
                    .as_ref()
                    .filter(|h| h.is_branch())
                    .and_then(|h| h.shorthand().ok().map(str::to_string)),
            };
            drop(head);
            drop(repo);
            let scanner = build_scanner(&common, &WorkTree::new(&root), false)?;
            let progress = GitProgress::default();
            let options = GitScanOptions {
                selection,
                all_occurrences,
            };
            let outcome = with_progress(&common, &progress, || {
                scanner.scan_git(&path, &options, &progress)
            })?;
            finish_with(&scanner, &common, outcome, Some(root), Some(vcs))
        }
        Command::Scan(ScanCommand::Staged { path, common }) => {
            let repo = keyhound::sources::git::open(&path)?;
            let root = repo
                .workdir()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| path.clone());
            drop(repo);
            let scanner = build_scanner(&common, &WorkTree::new(&root), false)?;
            let outcome = scanner.scan_staged(&path)?;
            finish(&scanner, &common, outcome, Some(root))
        }
        Command::Hook(HookCommand::Install { path, force }) => hook_install(&path, force),
        Command::Rules(RulesCommand::List { format, config }) => {
            rules_list(format, config.as_deref())
        }
        Command::Rules(RulesCommand::Check { files }) => rules_check(&files),
    }
}

fn build_scanner(args: &ScanArgs, store: &WorkTree, no_ignore: bool) -> Result<Scanner> {
    let request = ConfigRequest {
        config: args.config.clone(),
        ignore_file: args.ignore_file.clone(),
    };
    let resolved = keyhound::config::resolve(store, &request)?;
    if !args.quiet {
        if let Some(path) = &resolved.config.path {
            for w in &resolved.config.warnings {
                eprintln!("keyhound: note: {}: {w}", path.display());
            }
        }
    }
    let options = ScanOptions {
        max_file_size: args.max_file_size,
        threads: args.threads,
        no_ignore,
        min_confidence: match args.min_confidence {
            ConfidenceArg::Low => Confidence::Low,
            ConfidenceArg::Medium => Confidence::Medium,
            ConfidenceArg::High => Confidence::High,
        },
    };
    Ok(Scanner::new(
        Engine::new(resolved.rules).with_decode_depth(args.decode_depth),
        resolved.suppressor,
        options,
    ))
}

/// Writes the report and messages, and decides the exit code.
fn finish(
    scanner: &Scanner,
    args: &ScanArgs,
    outcome: ScanOutcome,
    root: Option<PathBuf>,
) -> Result<ExitCode> {
    finish_with(scanner, args, outcome, root, None)
}

/// Runs `scan` with a progress line on stderr when stderr is a terminal.
fn with_progress<T: Send>(
    args: &ScanArgs,
    progress: &GitProgress,
    scan: impl FnOnce() -> T + Send,
) -> T {
    if args.quiet || !std::io::stderr().is_terminal() {
        return scan();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {elapsed} {msg}")
            .expect("valid progress template"),
    );
    let done = std::sync::atomic::AtomicBool::new(false);
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

const HOOK_MARKER: &str = "# installed by keyhound";

fn hook_install(path: &Path, force: bool) -> Result<ExitCode> {
    let repo = keyhound::sources::git::open(path)?;
    let hooks_dir = match repo
        .config()
        .ok()
        .and_then(|c| c.get_path("core.hooksPath").ok())
    {
        Some(p) if p.is_absolute() => p,
        Some(p) => repo.workdir().unwrap_or_else(|| repo.path()).join(p),
        None => repo.path().join("hooks"),
    };
    std::fs::create_dir_all(&hooks_dir)
        .with_context(|| format!("creating {}", hooks_dir.display()))?;
    let hook = hooks_dir.join("pre-commit");
    if hook.exists() && !force {
        let existing = std::fs::read_to_string(&hook).unwrap_or_default();
        if !existing.contains(HOOK_MARKER) {
            bail!(
                "{} already exists and was not written by keyhound; add `keyhound scan staged` to it, \
                 or run `keyhound hook install --force` to replace it",
                hook.display()
            );
        }
    }
    let exe = std::env::current_exe()
        .ok()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "keyhound".into());
    let script = HOOK_TEMPLATE
        .replace("@MARKER@", HOOK_MARKER)
        .replace("@EXE@", &exe);
    std::fs::write(&hook, script).with_context(|| format!("writing {}", hook.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("making {} executable", hook.display()))?;
    }
    eprintln!("keyhound: installed {}", hook.display());
    Ok(ExitCode::from(EXIT_CLEAN))
}

/// The pre-commit hook. Prefers `keyhound` on PATH, else the binary that installed the hook.
const HOOK_TEMPLATE: &str = r#"#!/bin/sh
@MARKER@: scans what this commit adds for secrets.
KEYHOUND=$(command -v keyhound || echo "@EXE@")
"$KEYHOUND" scan staged --quiet
status=$?
if [ "$status" -eq 1 ]; then
  cat >&2 <<'MSG'

keyhound: this commit would add the secrets listed above, so it was stopped.
  - A real secret: remove it from the file (read it from the environment or a secret manager),
    `git add` the file again, and rotate the secret if it was ever pushed or shared.
  - A false positive: put `keyhound:allow` in a comment on that line, or add the finding's
    fingerprint to .keyhoundignore (and commit that file).
  - To commit anyway, this once: git commit --no-verify
MSG
elif [ "$status" -ne 0 ]; then
  echo "keyhound: the pre-commit scan failed (exit $status); see the error above." >&2
fi
exit $status
"#;

/// [`finish`] with version-control facts for SARIF.
fn finish_with(
    scanner: &Scanner,
    args: &ScanArgs,
    mut outcome: ScanOutcome,
    root: Option<PathBuf>,
    vcs: Option<VersionControl>,
) -> Result<ExitCode> {
    for f in &mut outcome.findings {
        f.finalize_secret(args.show_secrets);
    }
    let format = match args.format {
        FormatArg::Text => Format::Text,
        FormatArg::Json => Format::Json,
        FormatArg::Sarif => Format::Sarif,
    };
    let to_terminal = args.report_path.is_none() && std::io::stdout().is_terminal();
    let color = match args.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let ctx = ReportContext {
        rules: scanner.engine().rules(),
        root,
        color,
        vcs,
    };
    match &args.report_path {
        Some(path) => {
            let file = File::create(path)
                .with_context(|| format!("creating report {}", path.display()))?;
            let mut w = BufWriter::new(file);
            report::write_report(format, &outcome, &ctx, &mut w)
                .and_then(|()| w.flush())
                .with_context(|| format!("writing report {}", path.display()))?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = BufWriter::new(stdout.lock());
            report::write_report(format, &outcome, &ctx, &mut w)?;
            w.flush()?;
        }
    }
    // The text report already carries errors and the summary when it goes to stdout.
    let text_on_stdout = format == Format::Text && args.report_path.is_none();
    if !args.quiet && !text_on_stdout {
        const SHOWN: usize = 20;
        for e in outcome.errors.iter().take(SHOWN) {
            eprintln!("keyhound: error: {}: {}", e.path, e.message);
        }
        if outcome.errors.len() > SHOWN {
            eprintln!(
                "keyhound: ... and {} more errors (see the report)",
                outcome.errors.len() - SHOWN
            );
        }
        for n in &outcome.notes {
            eprintln!("keyhound: note: {n}");
        }
        eprintln!("{}", report::text::summary_line(&outcome.stats));
    }
    Ok(exit_code(&outcome, args.exit_code))
}

fn exit_code(outcome: &ScanOutcome, findings_code: u8) -> ExitCode {
    if !outcome.errors.is_empty() {
        ExitCode::from(EXIT_ERROR)
    } else if !outcome.findings.is_empty() {
        ExitCode::from(findings_code)
    } else {
        ExitCode::from(EXIT_CLEAN)
    }
}

fn rules_list(format: ListFormat, config: Option<&Path>) -> Result<ExitCode> {
    let config = match config {
        Some(p) => Config::load(p, true)?,
        None => Config::default(),
    };
    let rules = config.rules()?;
    let stdout = std::io::stdout();
    let mut w = BufWriter::new(stdout.lock());
    match format {
        ListFormat::Json => {
            let list: Vec<_> = rules
                .rules()
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id, "name": r.name, "description": r.description,
                        "confidence": r.confidence.as_str(), "keywords": r.keywords,
                        "file": r.origin.file, "references": r.references,
                        "requires": r.requires.as_ref().map(|(id, lines)| {
                            serde_json::json!({"rule": id, "within_lines": lines})
                        }),
                        "companion_only": r.companion_only,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut w, &list)?;
            writeln!(w)?;
        }
        ListFormat::Text => {
            let width = rules.rules().iter().map(|r| r.id.len()).max().unwrap_or(10);
            for r in rules.rules() {
                let kws = if r.keywords.is_empty() {
                    "(path)".to_string()
                } else {
                    r.keywords.join(",")
                };
                writeln!(
                    w,
                    "{:width$}  {:6}  {:30}  {}",
                    r.id,
                    r.confidence.as_str(),
                    truncate(&kws, 30),
                    if r.companion_only {
                        format!("{} (only with a composite rule, never alone)", r.name)
                    } else {
                        r.name.clone()
                    }
                )?;
            }
            writeln!(w, "{} rules", rules.len())?;
        }
    }
    w.flush()?;
    Ok(ExitCode::from(EXIT_CLEAN))
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).collect::<String>() + "…"
    }
}

fn rules_check(files: &[PathBuf]) -> Result<ExitCode> {
    let loaded = if files.is_empty() {
        RuleSet::builtin()
    } else {
        let texts = files
            .iter()
            .map(|f| {
                std::fs::read_to_string(f)
                    .with_context(|| format!("reading {}", f.display()))
                    .map(|t| (f.display().to_string(), t))
            })
            .collect::<Result<Vec<_>>>()?;
        RuleSet::from_sources(texts.iter().map(|(n, t)| (n.as_str(), t.as_str())))
    };
    let rules = match loaded {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            eprintln!("keyhound: rule files are invalid");
            return Ok(ExitCode::from(1));
        }
    };
    let engine = Engine::new(rules);
    let problems = selftest::check_examples(&engine);
    for p in &problems {
        eprintln!("{p}");
    }
    let n = engine.rules().len();
    if problems.is_empty() {
        eprintln!("keyhound: {n} rules OK (every example found, no negative example matched)");
        Ok(ExitCode::from(EXIT_CLEAN))
    } else {
        eprintln!("keyhound: {} problem(s) in {n} rules", problems.len());
        Ok(ExitCode::from(1))
    }
}
