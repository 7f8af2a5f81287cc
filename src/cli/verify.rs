//! Verification on the command line: the `--verify` flags every scan takes, their translation into the
//! library's options, running the library's verification over a scan's findings, and `keyhound
//! verifiers`, which lists what would be sent where.

use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};

use keyhound::exit_code::{ExitCode as Outcome, FailOn};
use keyhound::finding::Finding;
use keyhound::report::escape::terminal;
use keyhound::report::verifiers::{write_json, write_text};
use keyhound::rules::RuleSet;
use keyhound::verify::findings::{poc_commands, verify_findings};
use keyhound::verify::http::NetPolicy;
use keyhound::verify::{Options, Verifiers};

use super::rules::ListFormat;
use super::status;

/// `--fail-on`.
#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum FailOnArg {
    /// Any finding fails the run.
    Any,
    /// Only findings their provider called live (needs --verify); a check that failed is an error.
    Live,
}

/// The verification flags of every scan.
#[derive(Args, Debug)]
#[command(next_help_heading = "Verification (sends secrets to their providers; off by default)")]
pub struct VerifyArgs {
    /// Check each secret with its provider. THIS SENDS EVERY CANDIDATE SECRET OVER THE NETWORK TO ITS
    /// PROVIDER (GitHub, AWS, Slack, ...), exactly as `keyhound verifiers` lists. Off by default: without
    /// it, keyhound opens no network connection.
    #[arg(long)]
    pub verify: bool,
    /// Verify only with these providers (comma-separated ids from `keyhound verifiers`); implies --verify.
    #[arg(long, value_name = "PROVIDERS", value_delimiter = ',')]
    pub verify_only: Vec<String>,
    /// Never send secrets to this provider (repeatable or comma-separated).
    #[arg(long, value_name = "PROVIDER", value_delimiter = ',')]
    pub no_verify_provider: Vec<String>,
    /// Print a command (curl) that repeats the check of each live secret, secret redacted unless
    /// --show-secrets. Printed on stderr.
    #[arg(long)]
    pub verify_poc: bool,
    /// Which findings fail the run: any, or only live ones (needs --verify).
    #[arg(long, value_enum, default_value_t = FailOnArg::Any)]
    pub fail_on: FailOnArg,
    /// Seconds before one provider request gives up.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub verify_timeout: u64,
    /// Provider requests in flight at once, across providers.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub verify_concurrency: usize,
    /// Requests per second to any one provider, at most.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub verify_rate: u32,
    /// Allow provider hosts that resolve to private, loopback or link-local addresses (a corporate
    /// proxy setup, never needed for the public providers).
    #[arg(long)]
    pub verify_allow_private: bool,
    /// Tests only: send every provider request to this loopback `http://IP:PORT` instead.
    #[arg(long, hide = true, value_name = "URL")]
    pub verify_endpoint_override: Option<String>,
}

impl VerifyArgs {
    /// Whether the user asked for verification.
    pub fn enabled(&self) -> bool {
        self.verify || !self.verify_only.is_empty()
    }

    /// The exit policy; `--fail-on live` without verification is a usage error.
    pub fn fail_on(&self) -> Result<FailOn> {
        match self.fail_on {
            FailOnArg::Any => Ok(FailOn::Any),
            FailOnArg::Live if self.enabled() => Ok(FailOn::Live),
            FailOnArg::Live => {
                bail!("--fail-on live needs --verify (nothing is checked without it)")
            }
        }
    }

    /// The library's options. The test endpoint also allows its loopback address, and nothing else.
    fn options(&self) -> Options {
        Options {
            concurrency: self.verify_concurrency.max(1),
            per_provider_interval: Duration::from_secs(1) / self.verify_rate.max(1),
            net: NetPolicy {
                allow_private: self.verify_allow_private || self.verify_endpoint_override.is_some(),
                endpoint_override: self.verify_endpoint_override.clone(),
                timeout: Duration::from_secs(self.verify_timeout.max(1)),
            },
        }
    }

    /// Verifies `findings` when asked; prints what is going on unless `quiet`.
    pub fn run(&self, findings: &mut [Finding], rules: &RuleSet, quiet: bool) -> Result<()> {
        if !self.enabled() {
            return Ok(());
        }
        let verifiers = Verifiers::builtin()?
            .select(&self.verify_only, &self.no_verify_provider)
            .map_err(anyhow::Error::msg)?;
        if !quiet && !findings.is_empty() {
            eprintln!(
                "keyhound: verifying {} finding(s) with their providers (--verify sends secrets to them)",
                findings.len()
            );
        }
        verify_findings(findings, &verifiers, rules, &self.options()).map_err(anyhow::Error::msg)
    }

    /// With `--verify-poc`, one command per live finding on stderr.
    pub fn print_poc(&self, findings: &[Finding], show_secrets: bool) -> Result<()> {
        if !self.verify_poc || !self.enabled() {
            return Ok(());
        }
        let verifiers = Verifiers::builtin()?;
        for (i, command) in poc_commands(findings, &verifiers, show_secrets) {
            let f = &findings[i];
            eprintln!(
                "keyhound: live: {}:{} [{}]\n  {}",
                terminal(&f.path),
                f.line,
                terminal(&f.rule_id),
                terminal(&command)
            );
        }
        Ok(())
    }
}

/// `keyhound verifiers`: every verifier, its endpoint and what it sends.
pub fn list(format: ListFormat) -> Result<ExitCode> {
    let verifiers = Verifiers::builtin()?;
    let mut w = BufWriter::new(std::io::stdout().lock());
    match format {
        ListFormat::Json => write_json(verifiers.all(), &mut w)?,
        ListFormat::Text => write_text(verifiers.all(), &mut w)?,
    }
    w.flush()?;
    Ok(status(Outcome::Clean))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser, Debug)]
    struct Probe {
        #[command(flatten)]
        args: VerifyArgs,
    }

    fn parse(argv: &[&str]) -> Result<VerifyArgs, String> {
        let argv = std::iter::once("probe").chain(argv.iter().copied());
        Probe::try_parse_from(argv)
            .map(|p| p.args)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn off_by_default_and_on_when_asked() {
        let a = parse(&[]).unwrap();
        assert!(!a.enabled());
        assert_eq!(a.fail_on().unwrap(), FailOn::Any);
        assert!(parse(&["--verify"]).unwrap().enabled());
        let only = parse(&["--verify-only", "github,aws"]).unwrap();
        assert!(only.enabled());
        assert_eq!(only.verify_only, ["github", "aws"]);
        let not = parse(&[
            "--verify",
            "--no-verify-provider",
            "slack",
            "--no-verify-provider",
            "aws",
        ])
        .unwrap();
        assert_eq!(not.no_verify_provider, ["slack", "aws"]);
    }

    #[test]
    fn fail_on_live_needs_verify() {
        let err = parse(&["--fail-on", "live"])
            .unwrap()
            .fail_on()
            .unwrap_err();
        assert!(err.to_string().contains("needs --verify"));
        let a = parse(&["--verify", "--fail-on", "live"]).unwrap();
        assert_eq!(a.fail_on().unwrap(), FailOn::Live);
        assert!(parse(&["--fail-on", "some"]).is_err());
    }

    #[test]
    fn options_reach_the_library_and_only_the_test_endpoint_allows_loopback() {
        let a = parse(&[
            "--verify",
            "--verify-timeout",
            "3",
            "--verify-concurrency",
            "2",
            "--verify-rate",
            "2",
        ])
        .unwrap();
        let o = a.options();
        assert_eq!(o.net.timeout, Duration::from_secs(3));
        assert_eq!(o.concurrency, 2);
        assert_eq!(o.per_provider_interval, Duration::from_millis(500));
        assert!(!o.net.allow_private && o.net.endpoint_override.is_none());
        let t = parse(&[
            "--verify",
            "--verify-endpoint-override",
            "http://127.0.0.1:9",
        ])
        .unwrap();
        assert!(t.options().net.allow_private);
    }
}
