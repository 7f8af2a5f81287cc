//! `keyhound hook install|uninstall`: the library writes or removes the pre-commit hook; this file says
//! what happened on stderr.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;

use keyhound::exit_code::ExitCode as Outcome;
use keyhound::hook::{self, Uninstalled};

use super::status;

/// The hook subcommands.
#[derive(Subcommand, Debug)]
pub enum HookCommand {
    /// Write a pre-commit hook that runs `keyhound scan staged`.
    Install {
        /// The repository.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Replace an existing pre-commit hook keyhound did not write (it is kept as
        /// pre-commit.keyhound-backup).
        #[arg(long)]
        force: bool,
    },
    /// Remove the pre-commit hook keyhound wrote (never another one), restoring the hook it replaced.
    Uninstall {
        /// The repository.
        #[arg(default_value = ".")]
        path: PathBuf,
    },
}

/// Runs a hook subcommand.
pub fn run(cmd: HookCommand) -> Result<ExitCode> {
    match cmd {
        HookCommand::Install { path, force } => {
            let exe = std::env::current_exe()
                .ok()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "keyhound".into());
            let installed = hook::install(&path, force, &exe)?;
            if let Some(backup) = &installed.backup {
                eprintln!("keyhound: moved the previous hook to {}", backup.display());
            }
            eprintln!("keyhound: installed {}", installed.path.display());
        }
        HookCommand::Uninstall { path } => match hook::uninstall(&path)? {
            Uninstalled::Removed { path, restored } => {
                eprintln!("keyhound: removed {}", path.display());
                if let Some(from) = restored {
                    eprintln!(
                        "keyhound: restored the previous hook from {}",
                        from.display()
                    );
                }
            }
            Uninstalled::NotInstalled { path } => {
                eprintln!("keyhound: no pre-commit hook at {}", path.display());
            }
        },
    }
    Ok(status(Outcome::Clean))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser, Debug)]
    struct Probe {
        #[command(subcommand)]
        cmd: HookCommand,
    }

    fn parse(argv: &[&str]) -> HookCommand {
        Probe::try_parse_from(std::iter::once("probe").chain(argv.iter().copied()))
            .unwrap_or_else(|e| panic!("{e}"))
            .cmd
    }

    #[test]
    fn install_and_uninstall_arguments() {
        match parse(&["install"]) {
            HookCommand::Install { path, force } => {
                assert_eq!(path, PathBuf::from("."));
                assert!(!force);
            }
            other => panic!("{other:?}"),
        }
        match parse(&["install", "repo", "--force"]) {
            HookCommand::Install { path, force } => {
                assert_eq!(path, PathBuf::from("repo"));
                assert!(force);
            }
            other => panic!("{other:?}"),
        }
        match parse(&["uninstall", "repo"]) {
            HookCommand::Uninstall { path } => assert_eq!(path, PathBuf::from("repo")),
            other => panic!("{other:?}"),
        }
    }
}
