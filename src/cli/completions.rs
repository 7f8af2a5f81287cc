//! `keyhound completions SHELL` and `keyhound man`: generated from the clap definitions, so they never
//! drift from the real flags. Both print to stdout.

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

/// Prints the manual page in roff.
pub fn man() -> Result<ExitCode> {
    let mut w = BufWriter::new(std::io::stdout().lock());
    clap_mangen::Man::new(command()).render(&mut w)?;
    w.flush()?;
    Ok(status(Outcome::Clean))
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
    }
}
