//! Reading every blob of a repository's packs once: each pack's delta tree is walked by gitoxide's pack
//! reader in parallel, so every base object is inflated once and its deltas are applied to it in memory.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use git2::Oid;

/// Every blob of the repository's packs, decoded once each by walking the packs' delta trees (each base
/// is inflated once and its deltas applied to it in memory, in parallel), handed to `visit` with its id.
/// `visit` is cloned for each traversal thread. Returns the ids of the blobs visited, and a note for each
/// pack that could not be walked (its blobs are then left to be read one by one).
pub fn for_each_packed_blob<V>(
    git_dir: &Path,
    threads: usize,
    visit: V,
) -> (HashSet<Oid>, Vec<String>)
where
    V: FnMut(Oid, &[u8]) + Send + Clone,
{
    let mut seen = HashSet::new();
    let mut notes = Vec::new();
    for idx in pack_indexes(git_dir) {
        let pack = idx.with_extension("pack");
        match walk_pack(&idx, &pack, threads, visit.clone()) {
            Ok(ids) => seen.extend(ids),
            Err(e) => notes.push(format!(
                "pack {} could not be walked ({e}); its blobs were read one by one",
                pack.display()
            )),
        }
    }
    (seen, notes)
}

/// The pack index files of the repository, in name order.
fn pack_indexes(git_dir: &Path) -> Vec<PathBuf> {
    let pack_dir = git_dir.join("objects").join("pack");
    let Ok(entries) = std::fs::read_dir(&pack_dir) else {
        return Vec::new();
    };
    let mut indexes: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "idx"))
        .collect();
    indexes.sort();
    indexes
}

/// Walks one pack's delta tree with `threads` threads, handing every blob to a clone of `visit`; returns
/// the ids of the blobs visited.
fn walk_pack<V>(idx: &Path, pack: &Path, threads: usize, visit: V) -> Result<Vec<Oid>, String>
where
    V: FnMut(Oid, &[u8]) + Send + Clone,
{
    let seen = std::sync::Mutex::new(Vec::new());
    let index = gix_pack::index::File::at(idx, gix_hash::Kind::Sha1).map_err(|e| e.to_string())?;
    let map = PackMap::open(pack).map_err(|e| e.to_string())?;
    let release = map.releaser();
    let data = gix_pack::data::File::from_data(map, pack.to_path_buf(), gix_hash::Kind::Sha1)
        .map_err(|e| e.to_string())?;
    let interrupt = std::sync::atomic::AtomicBool::new(false);
    let mut progress = gix_utils::progress::Discard;
    let mut state = PackProcessor {
        visit,
        ids: Vec::new(),
        sink: &seen,
        objects: 0,
    };
    let processor = move |kind: gix_object::Kind,
                          bytes: &[u8],
                          entry: &gix_pack::index::Entry,
                          _: &dyn gix_utils::progress::Progress| {
        state.objects += 1;
        if state.objects.is_multiple_of(RELEASE_EVERY) {
            release.release();
        }
        if kind == gix_object::Kind::Blob {
            if let Ok(oid) = Oid::from_bytes(entry.oid.as_bytes()) {
                state.ids.push(oid);
                (state.visit)(oid, bytes);
            }
        }
        Ok(())
    };
    index
        .traverse(
            &data,
            &mut progress,
            &interrupt,
            processor,
            gix_pack::index::traverse::Options {
                traversal: gix_pack::index::traverse::Algorithm::DeltaTreeLookup,
                thread_limit: Some(threads.max(1)),
                check:
                    gix_pack::index::traverse::SafetyCheck::SkipFileAndObjectChecksumVerification,
                alloc_limit_bytes: None,
                make_pack_lookup_cache: || gix_pack::cache::Never,
            },
        )
        .map_err(|e| e.to_string())?;
    Ok(seen.into_inner().unwrap_or_else(|p| p.into_inner()))
}

/// The state of the per-thread processor handed to the pack traversal: its own visitor (its own scratch
/// buffers), and the ids it saw, handed to the shared list when the thread is done (no per-object locking).
struct PackProcessor<'a, V> {
    visit: V,
    ids: Vec<Oid>,
    sink: &'a std::sync::Mutex<Vec<Oid>>,
    objects: u64,
}

/// How many objects a traversal thread decodes between two releases of the pack's resident pages.
const RELEASE_EVERY: u64 = 32768;

/// The pack file mapped read-only for the pack reader. Its pages are handed back to the kernel now and
/// then ([`PackReleaser`]): the traversal jumps around the whole file, so without that every page it ever
/// touched would count as resident memory until the end (the pack of git/git is 318 MiB). Pages come back
/// from the page cache when touched again.
struct PackMap(std::sync::Arc<memmap2::Mmap>);

impl PackMap {
    fn open(path: &Path) -> std::io::Result<Self> {
        let file = std::fs::File::open(path)?;
        // SAFETY: the pack is opened read-only and packs are immutable once written; a concurrent
        // `git gc` replaces packs by writing new files, it does not modify this one.
        let map = unsafe { memmap2::Mmap::map(&file)? };
        Ok(PackMap(std::sync::Arc::new(map)))
    }

    fn releaser(&self) -> PackReleaser {
        PackReleaser(std::sync::Arc::clone(&self.0))
    }
}

impl std::ops::Deref for PackMap {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// Drops the resident pages of a [`PackMap`].
#[derive(Clone)]
struct PackReleaser(std::sync::Arc<memmap2::Mmap>);

impl PackReleaser {
    fn release(&self) {
        #[cfg(unix)]
        // SAFETY: MADV_DONTNEED on a read-only, file-backed shared mapping (memmap2 maps with MAP_SHARED)
        // only drops this process's resident pages; the next access faults them in again from the page
        // cache or the file, which is never written, so readers see the same bytes.
        unsafe {
            libc::madvise(
                self.0.as_ptr() as *mut libc::c_void,
                self.0.len(),
                libc::MADV_DONTNEED,
            );
        }
    }
}

impl<V: Clone> Clone for PackProcessor<'_, V> {
    fn clone(&self) -> Self {
        PackProcessor {
            visit: self.visit.clone(),
            ids: Vec::new(),
            sink: self.sink,
            objects: 0,
        }
    }
}

impl<V> Drop for PackProcessor<'_, V> {
    fn drop(&mut self) {
        self.sink
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .append(&mut self.ids);
    }
}
