//! libFuzzer target: see `keyhound_fuzz::decode`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| keyhound_fuzz::decode(data));
