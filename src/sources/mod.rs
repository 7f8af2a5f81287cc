//! Sources: where bytes come from. Each source yields [`Blob`]s (bytes plus the path to report them at)
//! and tells about what it skipped or could not read. Sources know nothing of rules or findings.

pub mod dir;
pub mod git;
pub mod range;
pub mod stdin;

/// Bytes to scan and the path to report findings at.
#[derive(Debug)]
pub struct Blob {
    /// Path relative to the scan root, `/`-separated (`<stdin>` for standard input).
    pub path: String,
    /// The content.
    pub bytes: Vec<u8>,
}

/// Why a file was not scanned for content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// It contains a NUL byte in its first 8 KiB.
    Binary,
    /// It is larger than `--max-file-size`.
    TooLarge,
    /// It is a symbolic link (links are not followed, so loops cannot occur).
    Symlink,
}

/// What a source hands the scanner for each entry it meets.
#[derive(Debug)]
pub enum Item {
    /// Content to scan.
    Blob(Blob),
    /// A file whose content is not scanned; its path still is (for path-only rules).
    Skipped {
        /// Relative path.
        path: String,
        /// Why.
        reason: SkipReason,
    },
    /// Something that could not be read; the scan goes on but is incomplete.
    Error {
        /// Path (or a description of the place) that failed.
        path: String,
        /// What went wrong.
        message: String,
    },
}

/// How many bytes are sniffed for a NUL to call a file binary (as git does).
pub const BINARY_SNIFF_LEN: usize = 8192;

/// True when `bytes` looks binary: a NUL byte near the start.
pub fn looks_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(BINARY_SNIFF_LEN)]).is_some()
}
