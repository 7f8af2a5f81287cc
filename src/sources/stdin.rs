//! Standard input (CI logs, pasted output), streamed: any length is scanned, in bounded memory
//! ([`super::chunk`]). `--max-file-size` does not apply to it: a log is read to its end or the scan is an
//! error. An archive on standard input is expanded when it fits in one chunk; a larger one is scanned
//! as bytes and is an error (its entries were not read).

use std::io::BufRead;

use super::{archive, chunk, Enumerate, Enumerated, Item, SinkFactory, Source};
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
        let is_archive = handle
            .fill_buf()
            .is_ok_and(|head| archive::kind(head).is_some());
        let mut buf = Vec::new();
        match chunk::stream(&mut handle, STDIN_PATH, &mut buf, sink.as_mut()) {
            Err(e) => sink.accept(Item::Error {
                path: STDIN_PATH.into(),
                message: format!("reading standard input: {e}"),
            }),
            Ok(read) if is_archive && read >= chunk::CHUNK_LEN as u64 => sink.accept(Item::Error {
                path: STDIN_PATH.into(),
                message: format!(
                    "archive larger than {} bytes on standard input: its entries are not read (its bytes are scanned as they are)",
                    chunk::CHUNK_LEN
                ),
            }),
            Ok(_) => {}
        }
        Ok(Enumerated::default())
    }
}
