//! libFuzzer target: see `keyhound_fuzz::loaders`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| keyhound_fuzz::loaders(data));
