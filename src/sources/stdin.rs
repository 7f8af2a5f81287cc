//! Standard input (CI logs, pasted output), streamed: any length is scanned, in bounded memory
//! ([`super::chunk`]). `--max-file-size` does not apply to it: a log is read to its end or the scan is an
//! error.

use super::{chunk, Enumerate, Enumerated, Item, SinkFactory, Source};
use crate::error::Result;

/// The path findings in standard input are reported at.
pub const STDIN_PATH: &str = "<stdin>";

/// Standard input, scanned to its end as one file at [`STDIN_PATH`].
#[derive(Debug, Default)]
pub struct Stdin;

impl Source for Stdin {
    fn enumerate(&self, _how: &Enumerate<'_>, sinks: &SinkFactory<'_>) -> Result<Enumerated> {
        let mut sink = sinks();
        let stdin = std::io::stdin();
        let mut handle = stdin.lock();
        let mut buf = Vec::new();
        if let Err(e) = chunk::stream(&mut handle, STDIN_PATH, &mut buf, sink.as_mut()) {
            sink.accept(Item::Error {
                path: STDIN_PATH.into(),
                message: format!("reading standard input: {e}"),
            });
        }
        Ok(Enumerated::default())
    }
}
