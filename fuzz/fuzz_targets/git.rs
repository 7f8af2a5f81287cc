//! libFuzzer target: see `keyhound_fuzz::git`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| keyhound_fuzz::git(data));
