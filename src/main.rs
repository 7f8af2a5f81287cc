//! The `keyhound` command: a thin layer over the library. [`cli`] parses arguments, calls the library and
//! prints; an error that ends the run is printed here and exits 2 (the library's
//! [`ExitCode::Error`](keyhound::exit_code::ExitCode::Error)), except a closed pipe, which is not a failure.
//! A scan whose report meets a closed pipe (`keyhound scan dir . | head -1`) does not end here: it exits
//! with the code its outcome earned (findings 1, errors 2), because a gate's status must not depend on
//! its reader.

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
            // The message can carry repository text (a path, a config value): no raw control characters.
            let message = keyhound::report::escape::terminal_lines(&format!("{err:#}"));
            eprintln!("keyhound: error: {message}");
            ExitCode::from(keyhound::exit_code::ExitCode::ERROR_STATUS)
        }
    }
}
