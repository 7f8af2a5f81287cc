//! Randomness scores for candidate secrets. Shannon entropy (bits per byte) is the gate rules declare with
//! `min_entropy`; it is what gitleaks and detect-secrets use, so thresholds carry over between tools.

/// Shannon entropy of `bytes` in bits per byte (0.0 for an empty slice).
pub fn shannon(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    f64::from(entropy::shannon_entropy(bytes))
}

#[cfg(test)]
mod tests {
    use super::shannon;

    #[test]
    fn uniform_and_constant_inputs() {
        assert_eq!(shannon(b""), 0.0);
        assert_eq!(shannon(b"aaaaaaaa"), 0.0);
        assert!((shannon(b"abcdefgh") - 3.0).abs() < 1e-6);
        assert!((shannon(b"abab") - 1.0).abs() < 1e-6);
    }
}
