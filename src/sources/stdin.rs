//! Standard input as one blob (CI logs, pasted output).

use std::io::Read;

use super::{looks_binary, Blob, Item, SkipReason};

/// The path findings in standard input are reported at.
pub const STDIN_PATH: &str = "<stdin>";

/// Reads all of standard input.
pub fn read_stdin(max_size: u64) -> Item {
    let mut bytes = Vec::new();
    let stdin = std::io::stdin();
    let mut handle = stdin.lock().take(max_size.saturating_add(1));
    if let Err(e) = handle.read_to_end(&mut bytes) {
        return Item::Error {
            path: STDIN_PATH.into(),
            message: e.to_string(),
        };
    }
    if bytes.len() as u64 > max_size {
        return Item::Skipped {
            path: STDIN_PATH.into(),
            reason: SkipReason::TooLarge,
        };
    }
    if looks_binary(&bytes) {
        return Item::Skipped {
            path: STDIN_PATH.into(),
            reason: SkipReason::Binary,
        };
    }
    Item::Blob(Blob {
        path: STDIN_PATH.into(),
        bytes,
    })
}
