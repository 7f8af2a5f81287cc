//! The `keyhound` command: a thin layer over the library. Parses arguments, resolves them into a scan, and
//! maps the outcome to an exit code in one place: 0 clean, 1 findings (`--exit-code`), 2 error.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(code) => code,
        Err(err) => {
            // A closed pipe (`keyhound ... | head`) is not a failure.
            if err.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("keyhound: error: {err:#}");
            ExitCode::from(cli::EXIT_ERROR)
        }
    }
}
