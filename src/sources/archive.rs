//! Archives: the files inside a zip (jar, war, docx, xlsx, …), tar, gzip or tar.gz are handed on as
//! content of their own, at the archive's path joined with the entry's by `!/` (`a.zip!/conf/.env`,
//! nested `a.zip!/b.jar!/x.properties`). Archives are recognised by their first bytes only, so other
//! content costs one comparison.
//!
//! Expansion is bounded ([`LIMITS`]): nesting depth, entries per archive, bytes per entry, bytes in all
//! and the ratio of decompressed to compressed bytes (compression bombs). Past a bound, what is left is
//! not read and an error names the archive (or entry) and the bound, so the scan is incomplete and says
//! so; memory never grows past the bounds and nothing loops. A damaged zip or gzip is an error too, and
//! the entries read before the damage are still scanned; when not even its directory can be read, its
//! bytes are scanned as they are (the printable text in them). A tar stores its entries as they are, so
//! a damaged one is no error: a truncated entry is scanned for the bytes it has and what follows a header
//! that cannot be read is scanned as it is (git's own test suite commits such tars). An encrypted entry
//! cannot be read: an error.
//!
//! [`Expanding`] is a [`Sink`] in front of another: every source's blobs pass through it.

use std::io::{Cursor, Read};

use super::{Item, Origin, Sink, SkipReason};

/// The bounds of one archive's expansion (nested archives included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How many archives deep entries are expanded (an archive in an archive is depth 2).
    pub depth: usize,
    /// Entries read in all.
    pub entries: usize,
    /// Decompressed bytes of one entry.
    pub entry_bytes: u64,
    /// Decompressed bytes in all.
    pub total_bytes: u64,
    /// Decompressed bytes per compressed byte of one entry (above [`RATIO_FLOOR`]).
    pub ratio: u64,
}

/// The bounds every scan applies.
pub const LIMITS: Limits = Limits {
    depth: 4,
    entries: 20_000,
    entry_bytes: 64 << 20,
    total_bytes: 256 << 20,
    ratio: 1000,
};

/// Entries up to this size are never held to the ratio bound (tiny files compress well).
pub const RATIO_FLOOR: u64 = 1 << 20;

/// The `len` bytes of `bytes` from `start`, or as many as there are.
fn clamp(bytes: &[u8], start: u64, len: u64) -> &[u8] {
    let start = usize::try_from(start)
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    &bytes[start..start.saturating_add(len).min(bytes.len())]
}

/// What joins an archive's path and an entry's.
pub const SEPARATOR: &str = "!/";

/// The formats recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// zip and the formats built on it (jar, war, apk, docx, xlsx, odt, …).
    Zip,
    /// gzip (a `.tar.gz` is expanded as its tar).
    Gzip,
    /// POSIX or GNU tar.
    Tar,
}

/// The archive format `bytes` start with, if any.
pub fn kind(bytes: &[u8]) -> Option<Kind> {
    match bytes {
        [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] => Some(Kind::Zip),
        [0x1f, 0x8b, 8, ..] => Some(Kind::Gzip),
        _ if bytes.get(257..262) == Some(b"ustar") => Some(Kind::Tar),
        _ => None,
    }
}

/// The path of `entry` inside the archive at `outer`.
pub fn join(outer: &str, entry: &str) -> String {
    format!("{outer}{SEPARATOR}{entry}")
}

/// What went wrong in an archive: where (an entry's path inside it, or empty for the archive itself)
/// and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The entry, relative to the top archive (`b.jar!/x`), or empty.
    pub at: String,
    /// What went wrong.
    pub message: String,
}

/// What expanding an archive did.
#[derive(Debug, Default)]
pub struct Expansion {
    /// True when the archive's directory could not be read at all (nothing was handed on).
    pub unreadable: bool,
    /// Errors and bounds met.
    pub problems: Vec<Problem>,
}

/// How much of the bounds is left while one archive is expanded.
struct Budget {
    limits: Limits,
    entries: usize,
    bytes: u64,
    /// Set when a bound for the whole archive was met: nothing more is read.
    spent: bool,
}

/// One expansion in progress: the budget, what was met, and where entries go.
struct Expander<'v> {
    budget: Budget,
    problems: Vec<Problem>,
    visit: &'v mut dyn FnMut(&str, &[u8]),
}

/// Expands `bytes` (an archive of kind [`kind`]) within `limits`, handing each file entry to `visit`
/// with its path inside the archive (nested archives expanded, their paths joined with `!/`).
pub fn expand(bytes: &[u8], limits: Limits, visit: &mut dyn FnMut(&str, &[u8])) -> Expansion {
    let mut expander = Expander {
        budget: Budget {
            limits,
            entries: limits.entries,
            bytes: limits.total_bytes,
            spent: false,
        },
        problems: Vec::new(),
        visit,
    };
    let unreadable = !expander.archive(bytes, "", 1);
    Expansion {
        unreadable,
        problems: expander.problems,
    }
}

impl Expander<'_> {
    /// Expands the archive `bytes` found at `prefix` (empty at the top, else ending in `!/`), `depth`
    /// archives deep. False when its directory could not be read at all.
    fn archive(&mut self, bytes: &[u8], prefix: &str, depth: usize) -> bool {
        match kind(bytes) {
            Some(Kind::Zip) => self.zip(bytes, prefix, depth),
            Some(Kind::Tar) => self.tar(bytes, prefix, depth),
            Some(Kind::Gzip) => self.gzip(bytes, prefix, depth),
            None => false,
        }
    }

    fn problem(&mut self, at: &str, message: String) {
        self.problems.push(Problem {
            at: at.trim_end_matches(SEPARATOR).to_string(),
            message,
        });
    }

    /// One file entry at `path`: expanded when it is an archive itself (within the depth bound), else
    /// handed on.
    fn entry(&mut self, path: &str, bytes: &[u8], depth: usize) {
        if kind(bytes).is_some() {
            if depth < self.budget.limits.depth {
                let prefix = format!("{path}{SEPARATOR}");
                if self.archive(bytes, &prefix, depth + 1) {
                    return;
                }
            } else {
                let limit = self.budget.limits.depth;
                self.problem(
                    path,
                    format!("archive nested more than {limit} deep: not expanded (its bytes are scanned as they are)"),
                );
            }
        }
        (self.visit)(path, bytes);
    }

    /// Takes one entry from the budget; false (with a problem) when the entry bound is met.
    fn take_entry(&mut self, prefix: &str) -> bool {
        if self.budget.spent {
            return false;
        }
        if self.budget.entries == 0 {
            let limit = self.budget.limits.entries;
            self.problem(
                prefix,
                format!("more than {limit} entries: the rest are not read"),
            );
            self.budget.spent = true;
            return false;
        }
        self.budget.entries -= 1;
        true
    }

    /// Reads a decompressing `reader` of an entry at `path` (`compressed` bytes in the archive) to its
    /// end, within the bounds; `None` (with a problem) past one.
    fn read(&mut self, reader: &mut dyn Read, compressed: u64, path: &str) -> Option<Vec<u8>> {
        let limits = self.budget.limits;
        let by_ratio = compressed.saturating_mul(limits.ratio).max(RATIO_FLOOR);
        let cap = limits.entry_bytes.min(self.budget.bytes).min(by_ratio);
        let mut out = Vec::new();
        if let Err(e) = reader.take(cap + 1).read_to_end(&mut out) {
            self.problem(path, format!("damaged entry, not scanned: {e}"));
            return None;
        }
        let len = out.len() as u64;
        if len <= cap {
            self.budget.bytes -= len;
            return Some(out);
        }
        let message = if cap == self.budget.bytes {
            self.budget.spent = true;
            format!(
                "the archive expands past {} bytes in all: the rest is not read",
                limits.total_bytes
            )
        } else if cap == by_ratio {
            format!(
                "expands more than {}:1 (a compression bomb?): not scanned",
                limits.ratio
            )
        } else {
            format!(
                "larger than {} bytes decompressed: not scanned",
                limits.entry_bytes
            )
        };
        self.problem(path, message);
        None
    }

    fn zip(&mut self, bytes: &[u8], prefix: &str, depth: usize) -> bool {
        let mut zip = match zip::ZipArchive::new(Cursor::new(bytes)) {
            Ok(zip) => zip,
            Err(e) => {
                self.problem(prefix, format!("damaged zip archive: {e}"));
                return false;
            }
        };
        for i in 0..zip.len() {
            if !self.take_entry(prefix) {
                break;
            }
            let raw = zip.by_index_raw(i).map(|f| {
                let name = String::from_utf8_lossy(f.name_raw()).into_owned();
                (f.encrypted(), format!("{prefix}{name}"))
            });
            let mut file = match raw {
                Ok((true, path)) => {
                    self.problem(&path, "encrypted entry: cannot be scanned".into());
                    continue;
                }
                Ok((false, _)) => match zip.by_index(i) {
                    Ok(file) => file,
                    Err(e) => {
                        self.problem(prefix, format!("damaged zip entry {i}: {e}"));
                        continue;
                    }
                },
                Err(e) => {
                    self.problem(prefix, format!("damaged zip entry {i}: {e}"));
                    continue;
                }
            };
            // Only what holds no bytes is passed over: a directory or link entry that carries data
            // (which no extractor writes out) would otherwise hide it from the scan.
            if file.size() == 0 {
                continue;
            }
            let path = format!("{prefix}{}", String::from_utf8_lossy(file.name_raw()));
            let compressed = file.compressed_size().min(bytes.len() as u64);
            let content = self.read(&mut file, compressed, &path);
            drop(file);
            if let Some(content) = content {
                self.entry(&path, &content, depth);
            }
        }
        true
    }

    /// A tar: its entries are stored as they are, so each is a slice of `bytes` (clamped to what is
    /// there: a truncated last entry is scanned for the bytes it has, nothing else exists to hide).
    /// Where a header cannot be read, the rest of the bytes are handed on as they are, as an entry
    /// named `<tar data from byte N>`, so a damaged tar hides nothing either.
    fn tar(&mut self, bytes: &[u8], prefix: &str, depth: usize) -> bool {
        let mut tar = tar::Archive::new(Cursor::new(bytes));
        let Ok(entries) = tar.entries() else {
            return false;
        };
        let mut next_header = 0u64;
        for entry in entries {
            let Ok(entry) = entry else {
                let rest = clamp(bytes, next_header, u64::MAX);
                if !rest.is_empty() && self.take_entry(prefix) {
                    (self.visit)(&format!("{prefix}<tar data from byte {next_header}>"), rest);
                }
                break;
            };
            let start = entry.raw_file_position();
            next_header = start.saturating_add(entry.size().div_ceil(512) * 512);
            // As in a zip, an entry of any type that carries bytes is scanned.
            if entry.size() == 0 {
                continue;
            }
            if !self.take_entry(prefix) {
                break;
            }
            let path = format!("{prefix}{}", String::from_utf8_lossy(&entry.path_bytes()));
            self.entry(&path, clamp(bytes, start, entry.size()), depth);
        }
        true
    }

    /// A gzip stream: its content, expanded as a tar when it is one (`a.tar.gz!/conf/.env`), else one
    /// entry named as the gzip header names it (or `content`).
    fn gzip(&mut self, bytes: &[u8], prefix: &str, depth: usize) -> bool {
        let mut gz = flate2::read::MultiGzDecoder::new(bytes);
        let name = (gz.header())
            .and_then(|h| h.filename())
            .map(|n| {
                String::from_utf8_lossy(n)
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "content".into());
        if !self.take_entry(prefix) {
            return true;
        }
        let path = format!("{prefix}{name}");
        let Some(content) = self.read(&mut gz, bytes.len() as u64, &path) else {
            return true;
        };
        if kind(&content) == Some(Kind::Tar) && self.tar(&content, prefix, depth) {
            return true;
        }
        self.entry(&path, &content, depth);
        true
    }
}

/// Where an entry of an archive found at `outer` is: a path joined with `!/`, or (for a git blob,
/// whose paths are known only later) the blob and the entry's path inside it.
pub fn entry_origin(outer: &Origin, entry: &str) -> Origin {
    match outer {
        Origin::Path(path) => Origin::Path(join(path, entry)),
        Origin::Git { id, .. } => Origin::GitEntry {
            id: *id,
            entry: entry.to_string(),
        },
        Origin::GitEntry { id, entry: outer } => Origin::GitEntry {
            id: *id,
            entry: join(outer, entry),
        },
    }
}

/// A [`Sink`] that expands the archives among the blobs it is handed and passes everything on to the
/// sink behind it: each entry as a blob of its own, the archive itself as
/// [`SkipReason::Expanded`] (its path still matters to rules that match files by path), and what went
/// wrong as errors.
pub struct Expanding<'s> {
    inner: Box<dyn Sink + 's>,
    limits: Limits,
}

impl<'s> Expanding<'s> {
    /// Expands archives within `limits` in front of `inner`.
    pub fn new(inner: Box<dyn Sink + 's>, limits: Limits) -> Self {
        Expanding { inner, limits }
    }
}

impl Sink for Expanding<'_> {
    fn accept(&mut self, item: Item<'_>) {
        let (origin, bytes) = match item {
            Item::Blob { origin, bytes } if kind(bytes).is_some() => (origin, bytes),
            other => return self.inner.accept(other),
        };
        let inner = &mut self.inner;
        let expansion = expand(bytes, self.limits, &mut |entry, content| {
            inner.accept(Item::Blob {
                origin: entry_origin(&origin, entry),
                bytes: content,
            })
        });
        for problem in expansion.problems {
            let path = match problem.at.as_str() {
                "" => origin.describe(),
                at => join(&origin.describe(), at),
            };
            let message = problem.message;
            self.inner.accept(Item::Error { path, message });
        }
        if expansion.unreadable {
            self.inner.accept(Item::Blob { origin, bytes });
        } else {
            let reason = SkipReason::Expanded;
            self.inner.accept(Item::Skipped { origin, reason });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, content) in entries {
            zip.start_file(*name, options).unwrap();
            zip.write_all(content).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    /// (entries handed on as `path len`, problems as `at: message`)
    fn run(bytes: &[u8], limits: Limits) -> (Vec<String>, Vec<String>) {
        let mut seen = Vec::new();
        let expansion = expand(bytes, limits, &mut |path, content| {
            seen.push(format!("{path} {}", content.len()))
        });
        let problems = (expansion.problems.iter())
            .map(|p| format!("{}: {}", p.at, p.message))
            .collect();
        (seen, problems)
    }

    #[test]
    fn kinds_by_first_bytes() {
        assert_eq!(kind(&zip_of(&[("a", b"x")])), Some(Kind::Zip));
        assert_eq!(kind(&[0x1f, 0x8b, 8, 0]), Some(Kind::Gzip));
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(kind(&tar), Some(Kind::Tar));
        assert_eq!(kind(b"PK"), None);
        assert_eq!(kind(b"plain text"), None);
    }

    #[test]
    fn nested_entries_are_joined_with_bang_slash() {
        let inner = zip_of(&[("x.properties", b"k=v\n")]);
        let outer = zip_of(&[("lib/b.jar", &inner), ("dir/", b"")]);
        let (seen, problems) = run(&outer, LIMITS);
        assert_eq!(seen, vec!["lib/b.jar!/x.properties 4"]);
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn the_ratio_bound_stops_a_bomb() {
        let zeros = vec![0u8; 4 << 20];
        let bomb = zip_of(&[("zeros", &zeros), ("ok.txt", b"fine\n")]);
        let limits = Limits {
            ratio: 50,
            ..LIMITS
        };
        let (seen, problems) = run(&bomb, limits);
        assert_eq!(seen, vec!["ok.txt 5"]);
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].starts_with("zeros: expands more than 50:1"),
            "{problems:?}"
        );
    }

    #[test]
    fn the_total_and_entry_bounds_stop_reading() {
        // incompressible, so that the ratio bound stays out of the way
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let big: Vec<u8> = (0..3 << 20)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let archive = zip_of(&[("one", &big), ("two", &big), ("three", b"3")]);
        let limits = Limits {
            total_bytes: 4 << 20,
            ..LIMITS
        };
        let (seen, problems) = run(&archive, limits);
        assert_eq!(seen, vec![format!("one {}", 3 << 20)]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("expands past 4194304 bytes in all"));
        let limits = Limits {
            entry_bytes: 2 << 20,
            ..LIMITS
        };
        let (seen, problems) = run(&archive, limits);
        assert_eq!(seen, vec!["three 1"]);
        assert_eq!(problems.len(), 2, "{problems:?}");
        let limits = Limits {
            entries: 2,
            ..LIMITS
        };
        let (seen, problems) = run(&archive, limits);
        assert_eq!(seen.len(), 2);
        assert!(problems[0].contains("more than 2 entries"), "{problems:?}");
    }

    #[test]
    fn a_damaged_tar_hides_nothing_and_is_no_error() {
        let mut tar = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(10);
        header.set_cksum();
        tar.append_data(&mut header, "a.txt", &b"some text\n"[..])
            .unwrap();
        let mut good = tar.into_inner().unwrap();
        good.truncate(1024);
        // A second header that claims far more than follows (git's t5000 commits such a tar).
        let mut header = tar::Header::new_ustar();
        header.set_path("huge").unwrap();
        header.set_size(1 << 33);
        header.set_cksum();
        let mut truncated = good.clone();
        truncated.extend_from_slice(header.as_bytes());
        truncated.extend_from_slice(b"token in a cut entry");
        let (seen, problems) = run(&truncated, LIMITS);
        assert_eq!(seen, ["a.txt 10", "huge 20"]);
        assert!(problems.is_empty(), "{problems:?}");
        // A directory entry that carries bytes (no extractor writes them) is scanned all the same.
        let mut tar = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Directory);
        header.set_size(6);
        header.set_cksum();
        tar.append_data(&mut header, "dir/", &b"hidden"[..])
            .unwrap();
        let (seen, problems) = run(&tar.into_inner().unwrap(), LIMITS);
        assert_eq!((seen, problems.len()), (vec!["dir/ 6".to_string()], 0));
        let (seen, problems) = run(&zip_of(&[("dir/", b"hidden")]), LIMITS);
        assert_eq!((seen, problems.len()), (vec!["dir/ 6".to_string()], 0));
        // A header that cannot be read: what follows is scanned as it is.
        let mut garbage = good;
        garbage.extend_from_slice(&[b'x'; 512]);
        let (seen, problems) = run(&garbage, LIMITS);
        assert_eq!(seen, ["a.txt 10", "<tar data from byte 1024> 512"]);
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn damage_is_a_problem_not_a_panic() {
        let good = zip_of(&[("a.txt", b"hello\n")]);
        for cut in [4, 20, good.len() / 2, good.len() - 10] {
            let (_, problems) = run(&good[..cut], LIMITS);
            assert!(!problems.is_empty(), "cut at {cut}");
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"some text\n").unwrap();
        let gz = gz.finish().unwrap();
        let (seen, problems) = run(&gz, LIMITS);
        assert_eq!((seen, problems.len()), (vec!["content 10".to_string()], 0));
        let (_, problems) = run(&gz[..gz.len() - 4], LIMITS);
        assert_eq!(problems.len(), 1);
    }
}
