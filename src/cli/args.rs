//! The flags every scan takes, their value parsers, and their translation into the library's option
//! types. Each flag's parsing has a unit test below.

use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, ValueEnum};

use keyhound::config::ConfigRequest;
use keyhound::report::{self, Report};
use keyhound::rules::Confidence;
use keyhound::scan::ScanOptions;
use keyhound::sources::git::Selection;

use super::verify::VerifyArgs;

/// A report format, picked by name from the library's list.
#[derive(Clone, Copy)]
pub struct FormatArg(pub &'static dyn Report);

impl std::fmt::Debug for FormatArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.name())
    }
}

/// `--format`: the names (and one-line descriptions) of [`report::FORMATS`].
pub fn format_parser() -> impl TypedValueParser<Value = FormatArg> {
    let values = report::FORMATS
        .iter()
        .map(|f| PossibleValue::new(f.name()).help(f.about()));
    PossibleValuesParser::new(values).map(|name: String| {
        FormatArg(report::format(&name).expect("clap only accepts listed format names"))
    })
}

/// `--color`.
#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum ColorArg {
    /// When writing to a terminal and `NO_COLOR` is not set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// `--min-confidence`.
#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum ConfidenceArg {
    /// Everything.
    Low,
    /// Medium and high.
    Medium,
    /// High only.
    High,
}

impl From<ConfidenceArg> for Confidence {
    fn from(arg: ConfidenceArg) -> Self {
        match arg {
            ConfidenceArg::Low => Confidence::Low,
            ConfidenceArg::Medium => Confidence::Medium,
            ConfidenceArg::High => Confidence::High,
        }
    }
}

/// Flags shared by every scan.
#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Report format.
    #[arg(long, short = 'f', value_parser = format_parser(), default_value = "text")]
    pub format: FormatArg,
    /// Write the report here instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub report_path: Option<PathBuf>,
    /// Report only secrets not in this baseline file (see `keyhound baseline`); a path given here is
    /// trusted as given.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// With --baseline: rewrite the file without its stale entries (needs a scan of a directory or of
    /// every ref's history, without errors).
    #[arg(long, requires = "baseline")]
    pub prune: bool,
    /// Write the findings' secrets as a baseline file (sorted, one per line, no line numbers).
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Print secrets in full instead of redacted.
    #[arg(long)]
    pub show_secrets: bool,
    /// Exit code when there are findings (errors always exit 2).
    #[arg(long, default_value_t = 1)]
    pub exit_code: u8,
    /// Colour in text reports.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
    #[command(flatten)]
    pub scanning: ScanningArgs,
    #[command(flatten)]
    pub verify: VerifyArgs,
}

impl ScanArgs {
    /// What this scan's `--verify` and report need kept around each finding.
    pub fn keep(&self) -> Keep {
        Keep {
            context: self.verify.enabled(),
            excerpts: self.format.0.shows_code(),
            explain: false,
        }
    }

    /// [`ScanArgs::keep`], and every candidate's verdicts when `explain`.
    pub fn keep_explaining(&self, explain: bool) -> Keep {
        Keep {
            explain,
            ..self.keep()
        }
    }
}

/// What a scan keeps around each finding besides the finding itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Keep {
    /// The lines `--verify` looks in for a value a provider's check needs.
    pub context: bool,
    /// A masked excerpt of the code, for a report that shows it (`--format html`).
    pub excerpts: bool,
    /// Every candidate's verdicts (`--explain`, `keyhound explain`).
    pub explain: bool,
}

/// Flags that decide what a scan reads and finds (not how it reports): every scan takes them, and so
/// do `baseline`, `scrub-plan` and `audit`.
#[derive(Args, Debug)]
pub struct ScanningArgs {
    /// Config file [default: .keyhound.toml, else .gitleaks.toml, at the scan root; for a git range,
    /// in its base commit; for a staged scan, in HEAD].
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Fingerprints to ignore, instead of the repository's .keyhoundignore and .gitleaksignore.
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Option<PathBuf>,
    /// Read no config or ignore file from the repository or directory scanned (only --config and
    /// --ignore-file, when given).
    #[arg(long)]
    pub no_repo_config: bool,
    /// Skip files and git blobs larger than this, naming them in a note (bytes; K, M, G suffixes
    /// allowed) [default: no limit; large files and standard input are streamed].
    #[arg(long, value_parser = parse_size)]
    pub max_file_size: Option<u64>,
    /// Layers of base64, hex and percent-encoding to decode and scan inside (0: none).
    #[arg(long, default_value_t = keyhound::engine::DEFAULT_DECODE_DEPTH)]
    pub decode_depth: usize,
    /// Drop findings below this confidence.
    #[arg(long, value_enum, default_value_t = ConfidenceArg::Low)]
    pub min_confidence: ConfidenceArg,
    /// Worker threads [default: one per core; at most 128].
    #[arg(long, short = 'j', default_value_t = 0)]
    pub threads: usize,
    /// No summary, error list, notes or progress on stderr (the exit code still tells).
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

impl ScanningArgs {
    /// The config and ignore files the user named.
    pub fn config_request(&self) -> ConfigRequest {
        ConfigRequest {
            config: self.config.clone(),
            ignore_file: self.ignore_file.clone(),
            no_repo_config: self.no_repo_config,
        }
    }

    /// The scan's options, keeping around each finding what `keep` says.
    pub fn scan_options(&self, no_ignore: bool, keep: Keep) -> ScanOptions {
        ScanOptions {
            max_file_size: self.max_file_size.unwrap_or(u64::MAX),
            threads: self.threads,
            no_ignore,
            min_confidence: self.min_confidence.into(),
            keep_context: keep.context,
            excerpts: keep.excerpts,
            explain: keep.explain,
            ..ScanOptions::default()
        }
    }
}

/// `--max-file-size`: bytes with an optional K, M or G suffix (powers of 1024). Values past what 64
/// bits hold saturate (the limit is then "no limit", never a wrapped-around small one), and 0 is
/// refused: it would skip every file and still look like a clean scan.
pub fn parse_size(s: &str) -> Result<u64, String> {
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

/// `--range`: git's `A..B` (see [`keyhound::sources::range`]).
pub fn parse_range(s: &str) -> Result<Selection, String> {
    keyhound::sources::range::parse_range(s).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser, Debug)]
    struct Probe {
        #[command(flatten)]
        args: ScanArgs,
    }

    fn parse(argv: &[&str]) -> ScanArgs {
        let argv = std::iter::once("probe").chain(argv.iter().copied());
        Probe::try_parse_from(argv)
            .unwrap_or_else(|e| panic!("{e}"))
            .args
    }

    fn refused(argv: &[&str]) -> String {
        let argv = std::iter::once("probe").chain(argv.iter().copied());
        Probe::try_parse_from(argv).unwrap_err().to_string()
    }

    #[test]
    fn defaults() {
        let a = parse(&[]);
        assert_eq!(a.format.0.name(), "text");
        assert_eq!(a.scanning.max_file_size, None);
        assert_eq!(
            a.scanning
                .scan_options(false, Keep::default())
                .max_file_size,
            u64::MAX
        );
        assert_eq!(a.exit_code, 1);
        assert_eq!(a.scanning.min_confidence, ConfidenceArg::Low);
        assert_eq!(a.color, ColorArg::Auto);
        assert_eq!(a.scanning.threads, 0);
        assert!(!a.scanning.quiet && !a.show_secrets);
        assert!(a.scanning.config.is_none() && a.scanning.ignore_file.is_none());
        assert!(a.report_path.is_none());
    }

    #[test]
    fn format_takes_every_listed_name_and_nothing_else() {
        for f in report::FORMATS {
            assert_eq!(parse(&["--format", f.name()]).format.0.name(), f.name());
        }
        assert_eq!(parse(&["-f", "sarif"]).format.0.name(), "sarif");
        let err = refused(&["--format", "xml"]);
        assert!(err.contains("text") && err.contains("sarif"), "{err}");
    }

    #[test]
    fn max_file_size_suffixes() {
        assert_eq!(parse_size("1048576"), Ok(1048576));
        assert_eq!(parse_size("500K"), Ok(500 * 1024));
        assert_eq!(parse_size("10m"), Ok(10 * 1024 * 1024));
        assert_eq!(parse_size(" 2G "), Ok(2 * 1024 * 1024 * 1024));
        assert!(parse_size("ten").unwrap_err().contains("not a size"));
        assert!(parse_size("5T").is_err());
        assert!(parse_size("").is_err());
        assert_eq!(
            parse_size("99999999999999999999999G"),
            Ok(u64::MAX),
            "saturates"
        );
        assert!(parse_size("0").unwrap_err().contains("skip every file"));
        assert!(parse_size("0K").is_err());
        assert_eq!(
            parse(&["--max-file-size", "1K"]).scanning.max_file_size,
            Some(1024)
        );
        assert!(refused(&["--max-file-size", "1.5M"]).contains("--max-file-size"));
    }

    #[test]
    fn exit_code_threads_and_decode_depth_are_numbers() {
        let a = parse(&["--exit-code", "7", "-j", "3", "--decode-depth", "0"]);
        let s = &a.scanning;
        assert_eq!((a.exit_code, s.threads, s.decode_depth), (7, 3, 0));
        assert!(refused(&["--exit-code", "256"]).contains("--exit-code"));
    }

    #[test]
    fn min_confidence_and_color() {
        let a = parse(&["--min-confidence", "high", "--color", "never"]);
        assert_eq!(
            Confidence::from(a.scanning.min_confidence),
            Confidence::High
        );
        assert_eq!(a.color, ColorArg::Never);
        assert_eq!(
            Confidence::from(
                parse(&["--min-confidence", "medium"])
                    .scanning
                    .min_confidence
            ),
            Confidence::Medium
        );
        refused(&["--min-confidence", "certain"]);
        refused(&["--color", "sometimes"]);
    }

    #[test]
    fn files_and_switches_reach_the_library_options() {
        let a = parse(&[
            "-c",
            "k.toml",
            "--ignore-file",
            "ign",
            "-o",
            "out.json",
            "-q",
            "--show-secrets",
            "--no-repo-config",
        ]);
        let request = a.scanning.config_request();
        assert_eq!(request.config, Some(PathBuf::from("k.toml")));
        assert_eq!(request.ignore_file, Some(PathBuf::from("ign")));
        assert!(request.no_repo_config);
        assert!(!parse(&[]).scanning.config_request().no_repo_config);
        assert_eq!(a.report_path, Some(PathBuf::from("out.json")));
        assert!(a.scanning.quiet && a.show_secrets);
        let options = a.scanning.scan_options(true, Keep::default());
        assert!(options.no_ignore);
        assert_eq!(options.max_file_size, u64::MAX);
        let options =
            (parse(&["--max-file-size", "2K"]).scanning).scan_options(false, Keep::default());
        assert_eq!(options.max_file_size, 2048);
    }

    #[test]
    fn range_values_go_through_the_library_parser() {
        assert_eq!(
            format!("{:?}", parse_range("main..").unwrap()),
            format!(
                "{:?}",
                Selection::Range {
                    include: "HEAD".into(),
                    exclude: Some("main".into())
                }
            )
        );
        assert!(parse_range("a...b")
            .unwrap_err()
            .contains("symmetric difference"));
    }
}
