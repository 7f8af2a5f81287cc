//! Streaming: content too large to hold at once (standard input, a large file) handed out as overlapping
//! chunks, so that memory stays bounded whatever the input's size. Each chunk overlaps the next by
//! [`OVERLAP`] bytes and *owns* the matches that start in its part of the input: from the middle of the
//! overlap with the previous chunk to the middle of the overlap with the next one. A match no longer than
//! half the overlap that spans a chunk boundary lies whole in the chunk that owns its start, which sees
//! at least half the overlap around it; so it is found, and found exactly once.
//!
//! Content that fits in one chunk is handed out whole, as an [`Item::Blob`], exactly as before.

use std::io::{self, Read};
use std::ops::Range;

use super::{Item, Origin, Sink};

/// The size of one chunk: the most of a streamed input held in memory at once.
pub const CHUNK_LEN: usize = 4 << 20;

/// How many bytes consecutive chunks share. Each chunk sees at least half of it on either side of
/// every match it owns: far more than any secret and the lines a rule looks at around its keyword.
pub const OVERLAP: usize = 256 << 10;

/// Where a chunk lies in its stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// The byte offset of the chunk's first byte in the stream.
    pub offset: u64,
    /// True for the stream's last chunk.
    pub last: bool,
}

impl Part {
    /// True for the stream's first chunk.
    pub fn first(&self) -> bool {
        self.offset == 0
    }

    /// The bytes of a chunk of `len` bytes whose matches it reports (by where a match starts): from
    /// the middle of the overlap with the previous chunk (or its start) to the middle of the overlap
    /// with the next (or its end).
    pub fn owned(&self, len: usize) -> Range<usize> {
        let start = if self.first() { 0 } else { OVERLAP / 2 };
        let end = if self.last { len } else { len - OVERLAP / 2 };
        start.min(len)..end.max(start.min(len))
    }

    /// Where the next chunk starts in a chunk of `len` bytes (`None` for the last chunk).
    pub fn next_start(&self, len: usize) -> Option<usize> {
        (!self.last).then(|| len - OVERLAP)
    }

    /// How many bytes of the stream this chunk adds to those before it.
    pub fn new_bytes(&self, len: usize) -> usize {
        if self.first() {
            len
        } else {
            len.saturating_sub(OVERLAP)
        }
    }
}

/// Reads `reader` to its end and hands it to `sink` at `path`: whole, as one [`Item::Blob`], when it
/// fits in one chunk, else as [`Item::Chunk`]s in order. `buf` is the one buffer used (at most
/// [`CHUNK_LEN`] bytes). Returns the number of bytes read; a read error ends the stream (the chunks
/// handed out so far stay scanned) and is returned.
pub fn stream(
    reader: &mut dyn Read,
    path: &str,
    buf: &mut Vec<u8>,
    sink: &mut dyn Sink,
) -> io::Result<u64> {
    buf.clear();
    let mut offset = 0u64;
    loop {
        fill(reader, buf)?;
        let full = buf.len() == CHUNK_LEN;
        if offset == 0 && !full {
            sink.accept(Item::Blob {
                origin: Origin::Path(path.to_string()),
                bytes: buf,
            });
            return Ok(buf.len() as u64);
        }
        let part = Part {
            offset,
            last: !full,
        };
        sink.accept(Item::Chunk {
            path: path.to_string(),
            bytes: buf,
            part,
        });
        match part.next_start(buf.len()) {
            None => return Ok(offset + buf.len() as u64),
            Some(next) => {
                buf.drain(..next);
                offset += next as u64;
            }
        }
    }
}

/// Reads into `buf` until it holds [`CHUNK_LEN`] bytes or the reader ends.
fn fill(reader: &mut dyn Read, buf: &mut Vec<u8>) -> io::Result<()> {
    let want = (CHUNK_LEN - buf.len()) as u64;
    match reader.take(want).read_to_end(buf) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::Interrupted => fill(reader, buf),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records what a stream hands out: (offset, len, last) per chunk, or a whole blob's len.
    struct Record(Vec<(u64, usize, bool)>);

    impl Sink for Record {
        fn accept(&mut self, item: Item<'_>) {
            match item {
                Item::Blob { bytes, .. } => self.0.push((0, bytes.len(), true)),
                Item::Chunk { bytes, part, .. } => {
                    self.0.push((part.offset, bytes.len(), part.last))
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    fn chunks(len: usize) -> Vec<(u64, usize, bool)> {
        let data = vec![b'x'; len];
        let mut sink = Record(Vec::new());
        let read = stream(&mut &data[..], "p", &mut Vec::new(), &mut sink).unwrap();
        assert_eq!(read, len as u64);
        sink.0
    }

    #[test]
    fn small_input_is_one_blob_and_large_input_overlapping_chunks() {
        assert_eq!(chunks(10), vec![(0, 10, true)]);
        let step = (CHUNK_LEN - OVERLAP) as u64;
        assert_eq!(
            chunks(CHUNK_LEN + 10),
            vec![(0, CHUNK_LEN, false), (step, OVERLAP + 10, true)]
        );
        // exactly one chunk long: the second chunk is the overlap alone
        assert_eq!(
            chunks(CHUNK_LEN),
            vec![(0, CHUNK_LEN, false), (step, OVERLAP, true)]
        );
    }

    #[test]
    fn owned_parts_tile_the_stream() {
        let len = 3 * CHUNK_LEN + 12345;
        let mut covered = 0u64;
        for (offset, n, last) in chunks(len) {
            let owned = Part { offset, last }.owned(n);
            assert_eq!(offset + owned.start as u64, covered);
            covered = offset + owned.end as u64;
        }
        assert_eq!(covered, len as u64);
    }
}
