//! The bounded fuzz pass of `cargo test`: the libFuzzer harnesses (`fuzz/src/lib.rs`, shared verbatim)
//! run over their seed corpora (`fuzz/corpus/<target>/`) and a few thousand inputs mutated from them by a
//! fixed-seed generator, so every run is the same. Long coverage-guided runs are `cargo fuzz` (README,
//! "Fuzzing"); this pass keeps what they found from coming back, without nightly or libFuzzer.

#[path = "../fuzz/src/lib.rs"]
mod harness;

use std::path::Path;

/// xorshift64*: a tiny deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Fragments that reach deep paths quickly: TOML structure, regex syntax, encodings, git object text.
const TOKENS: &[&[u8]] = &[
    b"[[rule]]\nid = \"x-y\"\nname = \"n\"\nkeywords = [\"ab\"]\nregex = '''",
    b"[[rules]]\nid = \"g\"\nregex = '''",
    b"[extend]\nuseDefault = true\n",
    b"[allowlist]\npaths = ['''",
    b"'''\n",
    b"{1000}",
    b"\\p{L}",
    b"\\pL",
    b"(?i)",
    b"{",
    b"}",
    b"(?P<secret>",
    b"secret_group = 2\n",
    b"requires = { rule = \"x-y\", within_lines = 3 }\n",
    b"companion_only = true\n",
    b"%41%3d%",
    b"=",
    b"==",
    b"\0",
    b"\xff\xfe",
    b"\n",
    b"dGVzdA",
    b"6170695f6b65793d",
    b"tree ",
    b"parent ",
    b"40000 ",
    b"PK\x03\x04",
    b"PK\x01\x02",
    b"PK\x05\x06",
    b"\x1f\x8b\x08",
    b"ustar\x0000",
];

/// One mutation of `input`, sometimes spliced with `other`.
fn mutate(rng: &mut Rng, input: &mut Vec<u8>, other: &[u8]) {
    let at = rng.below(input.len() + 1);
    match rng.below(6) {
        0 if !input.is_empty() => {
            let i = rng.below(input.len());
            input[i] ^= 1 << rng.below(8);
        }
        1 => input.insert(at, rng.next() as u8),
        2 => {
            let end = (at + rng.below(64)).min(input.len());
            input.drain(at..end);
        }
        3 => {
            let token = TOKENS[rng.below(TOKENS.len())];
            input.splice(at..at, token.iter().copied());
        }
        4 if !other.is_empty() => {
            let from = rng.below(other.len());
            let end = (from + rng.below(256)).min(other.len());
            input.splice(at..at, other[from..end].iter().copied());
        }
        _ => {
            let end = (at + rng.below(32)).min(input.len());
            let copy = input[at..end].to_vec();
            input.splice(at..at, copy);
        }
    }
}

/// Runs `harness` over the seeds of `target` and `count` mutants of them.
fn run(target: &str, count: usize, harness: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| std::fs::read(e.expect("entry").path()).expect("seed"))
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
    for seed in &seeds {
        harness(seed);
    }
    let mut rng = Rng(0x6b65_7968_6f75_6e64 ^ target.len() as u64);
    for _ in 0..count {
        let mut input = seeds[rng.below(seeds.len())].clone();
        let other = &seeds[rng.below(seeds.len())];
        for _ in 0..=rng.below(8) {
            mutate(&mut rng, &mut input, other);
        }
        harness(&input);
    }
}

#[test]
fn fuzz_loaders_bounded() {
    run("loaders", 300, harness::loaders);
}

#[test]
fn fuzz_engine_bounded() {
    run("engine", 600, harness::engine);
}

#[test]
fn fuzz_decode_bounded() {
    run("decode", 5000, harness::decode);
}

#[test]
fn fuzz_git_bounded() {
    run("git", 40, harness::git);
}

#[test]
fn fuzz_archive_bounded() {
    run("archive", 1500, harness::archive);
}
