//! `keyhound completions SHELL` and `keyhound man [SUBCOMMAND...]`: generated from the clap definitions,
//! so they never drift from the real flags. Both print to stdout.

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use clap_complete::Shell;

use keyhound::exit_code::ExitCode as Outcome;

use super::{command, status};

/// `completions` arguments.
#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to print a completion script for.
    #[arg(value_enum)]
    shell: Shell,
}

/// Prints the completion script for a shell.
pub fn completions(args: &CompletionsArgs) -> Result<ExitCode> {
    // Generated into memory first: clap_complete panics on a write error, and a closed pipe
    // (`keyhound completions zsh | head`) must stay a quiet success.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command(), "keyhound", &mut script);
    let mut out = std::io::stdout().lock();
    out.write_all(&script)?;
    out.flush()?;
    Ok(status(Outcome::Clean))
}

/// `man` arguments.
#[derive(Args, Debug)]
pub struct ManArgs {
    /// A subcommand to print the page of, e.g. `scan dir` for keyhound-scan-dir(1) [default: the
    /// top-level page, keyhound(1)].
    subcommand: Vec<String>,
}

/// Prints a manual page in roff: keyhound(1), or a subcommand's (`keyhound-scan-dir(1)`).
pub fn man(args: &ManArgs) -> Result<ExitCode> {
    let page = page(&args.subcommand)?;
    let mut w = BufWriter::new(std::io::stdout().lock());
    let source = format!("keyhound {}", super::VERSION);
    clap_mangen::Man::new(page).source(source).render(&mut w)?;
    w.flush()?;
    Ok(status(Outcome::Clean))
}

/// The command whose page to print, titled `keyhound-sub-sub` as man pages of subcommands are, with
/// `keyhound sub sub` in its synopsis.
fn page(path: &[String]) -> Result<clap::Command> {
    let mut cmd = command();
    let mut invocation = String::from("keyhound");
    for sub in path {
        let found = cmd.find_subcommand(sub).cloned().ok_or_else(|| {
            anyhow::anyhow!("`{invocation} {sub}` is not a command: see `{invocation} --help`")
        })?;
        invocation = format!("{invocation} {sub}");
        cmd = found
            .display_name(invocation.replace(' ', "-"))
            .bin_name(invocation.clone());
    }
    Ok(cmd)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::super::Cli;

    #[test]
    fn every_shell_is_accepted_and_others_are_not() {
        for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
            Cli::try_parse_from(["keyhound", "completions", shell]).unwrap();
        }
        assert!(Cli::try_parse_from(["keyhound", "completions", "tcsh"]).is_err());
        assert!(Cli::try_parse_from(["keyhound", "completions"]).is_err());
        Cli::try_parse_from(["keyhound", "man"]).unwrap();
        Cli::try_parse_from(["keyhound", "man", "scan", "dir"]).unwrap();
    }

    #[test]
    fn subcommand_pages_are_named_after_their_path() {
        let path = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(super::page(&[]).unwrap().get_name(), "keyhound");
        let dir = super::page(&path(&["scan", "dir"])).unwrap();
        assert_eq!(dir.get_display_name(), Some("keyhound-scan-dir"));
        assert_eq!(dir.get_bin_name(), Some("keyhound scan dir"));
        assert!(dir.get_arguments().any(|a| a.get_id() == "no_ignore"));
        let err = super::page(&path(&["scan", "nope"]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`keyhound scan nope` is not a command"),
            "{err}"
        );
    }
}
