//! libFuzzer target: see `keyhound_fuzz::archive`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| keyhound_fuzz::archive(data));
