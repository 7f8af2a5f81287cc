//! libFuzzer target: see `keyhound_fuzz::engine`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| keyhound_fuzz::engine(data));
