//! Standard input as one blob (CI logs, pasted output).

use std::io::Read;

use super::{Enumerate, Enumerated, Item, Origin, SinkFactory, Source};
use crate::error::Result;

/// The path findings in standard input are reported at.
pub const STDIN_PATH: &str = "<stdin>";

/// Standard input, read whole and scanned as one file at [`STDIN_PATH`].
#[derive(Debug, Default)]
pub struct Stdin;

impl Source for Stdin {
    fn enumerate(&self, how: &Enumerate<'_>, sinks: &SinkFactory<'_>) -> Result<Enumerated> {
        let mut sink = sinks();
        let mut bytes = Vec::new();
        let stdin = std::io::stdin();
        // +1 so that input past the limit is seen as too large rather than cut
        let mut handle = stdin.lock().take(how.max_file_size.saturating_add(1));
        let origin = Origin::Path(STDIN_PATH.into());
        match handle.read_to_end(&mut bytes) {
            Err(e) => sink.accept(Item::Error {
                path: STDIN_PATH.into(),
                message: e.to_string(),
            }),
            Ok(_) => match how.skip(&bytes) {
                Some(reason) => sink.accept(Item::Skipped { origin, reason }),
                None => sink.accept(Item::Blob {
                    origin,
                    bytes: &bytes,
                }),
            },
        }
        Ok(Enumerated::default())
    }
}
