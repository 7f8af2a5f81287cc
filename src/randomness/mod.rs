//! Randomness scores for candidate secrets.
//!
//! [`shannon`] is the entropy gate rules declare with `min_entropy`; gitleaks and detect-secrets use it, so
//! thresholds carry over between tools. It only counts symbol frequencies, so it cannot tell
//! `SuperSecretPassword2024` (3.8 bits per byte) from a generated key, and it penalises short random
//! values, whose entropy can never exceed log2 of their length.
//!
//! [`estimate`] asks the question a guesser would: how many guesses does it take to produce this value?
//! It segments the value into the cheapest sequence of dictionary words (ranked, with case and leetspeak
//! variants), years, digit sequences, repeats and brute-forced characters, the way zxcvbn estimates
//! password strength, and reports the total in bits and per character. A machine-generated key costs
//! the full `log2(alphabet)` per character; a value built from words costs a few bits per word. Rules
//! declare it with `min_randomness` (bits per character).

use std::collections::HashMap;
use std::sync::OnceLock;

/// Shannon entropy of `bytes` in bits per byte (0.0 for an empty slice).
pub fn shannon(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    f64::from(entropy::shannon_entropy(bytes))
}

/// How hard a value is to guess.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Randomness {
    /// Estimated guesses, in bits, for the cheapest way to build the value.
    pub bits: f64,
    /// `bits` divided by the value's length.
    pub per_char: f64,
}

/// Ranked vocabulary, most common first; see `build_words.py` for where it comes from.
const WORDS: &str = include_str!("words.txt");
/// Longest dictionary word tried at each position.
const MAX_WORD: usize = 16;
/// Values longer than this are scored on their first `MAX_SCORED` bytes: the per-character figure
/// is what gates, and a long prefix already shows it.
const MAX_SCORED: usize = 256;

fn dictionary() -> &'static HashMap<&'static [u8], u32> {
    static DICT: OnceLock<HashMap<&'static [u8], u32>> = OnceLock::new();
    DICT.get_or_init(|| {
        let mut dict = HashMap::new();
        for (rank, word) in WORDS.lines().filter(|w| !w.is_empty()).enumerate() {
            dict.entry(word.as_bytes()).or_insert(rank as u32);
        }
        dict
    })
}

/// The letter a leetspeak character stands for.
fn unleet(b: u8) -> Option<u8> {
    Some(match b {
        b'0' => b'o',
        b'1' | b'!' => b'i',
        b'3' => b'e',
        b'4' | b'@' => b'a',
        b'5' | b'$' => b's',
        b'7' => b't',
        _ => return None,
    })
}

/// Bits to guess one character by brute force, from the character classes the value uses.
fn brute_force_bits(value: &[u8]) -> f64 {
    let (mut lower, mut upper, mut digit, mut other) = (false, false, false, false);
    for &b in value {
        match b {
            b'a'..=b'z' => lower = true,
            b'A'..=b'Z' => upper = true,
            b'0'..=b'9' => digit = true,
            _ => other = true,
        }
    }
    let cardinality = 26 * u32::from(lower)
        + 26 * u32::from(upper)
        + 10 * u32::from(digit)
        + 33 * u32::from(other);
    f64::from(cardinality.max(2)).log2()
}

/// Bits for the capitalisation of a dictionary word: free in lower case, one bit for Title or UPPER
/// case, one bit per letter otherwise.
fn case_bits(word: &[u8]) -> f64 {
    let letters = word.iter().filter(|b| b.is_ascii_alphabetic());
    let uppers = letters.clone().filter(|b| b.is_ascii_uppercase()).count();
    let total = letters.count();
    if uppers == 0 {
        0.0
    } else if uppers == total || (uppers == 1 && word[0].is_ascii_uppercase()) {
        1.0
    } else {
        total as f64
    }
}

/// Scores `value`; see the module documentation.
pub fn estimate(value: &[u8]) -> Randomness {
    let value = &value[..value.len().min(MAX_SCORED)];
    let n = value.len();
    if n == 0 {
        return Randomness {
            bits: 0.0,
            per_char: 0.0,
        };
    }
    let dict = dictionary();
    let brute = brute_force_bits(value);
    // cost[i]: cheapest bits for value[..i]
    let mut cost = vec![f64::INFINITY; n + 1];
    cost[0] = 0.0;
    for i in 0..n {
        if !cost[i].is_finite() {
            continue;
        }
        let from = cost[i];
        let mut relax = |end: usize, bits: f64| {
            let c = from + bits;
            if c < cost[end] {
                cost[end] = c;
            }
        };
        // one character by brute force; a separator between words is one of a handful
        let sep = matches!(value[i], b'_' | b'-' | b'.' | b' ' | b'/' | b':');
        relax(i + 1, if sep { 2.0 } else { brute });
        word_steps(value, i, dict, &mut relax);
        digit_steps(value, i, &mut relax);
        // a character repeated
        let repeat = value[i..].iter().take_while(|&&b| b == value[i]).count();
        if repeat >= 3 {
            relax(i + repeat, brute + (repeat as f64).log2());
        }
    }
    let bits = cost[n];
    Randomness {
        bits,
        per_char: bits / n as f64,
    }
}

/// Steps from position `i` over dictionary words, with case and leetspeak variants: calls
/// `relax(end, bits)` for each word `value[i..end]`.
fn word_steps(
    value: &[u8],
    i: usize,
    dict: &HashMap<&[u8], u32>,
    relax: &mut impl FnMut(usize, f64),
) {
    let n = value.len();
    let mut word = [0u8; MAX_WORD];
    let mut leet = 0u32;
    for len in 1..=MAX_WORD.min(n - i) {
        let b = value[i + len - 1];
        word[len - 1] = if b.is_ascii_alphabetic() {
            b.to_ascii_lowercase()
        } else if let Some(letter) = unleet(b).filter(|_| len > 1 || i + 1 < n) {
            leet += 1;
            letter
        } else {
            break;
        };
        if len < 2 {
            continue;
        }
        if let Some(&rank) = dict.get(&word[..len]) {
            let span = &value[i..i + len];
            let bits = f64::from(rank + 2).log2() + case_bits(span) + f64::from(leet);
            relax(i + len, bits);
        }
    }
}

/// Steps from position `i` over digit patterns: any run costs its digits (log2 10 each, not the whole
/// alphabet), years, runs of one digit, ascending or descending sequences.
fn digit_steps(value: &[u8], i: usize, relax: &mut impl FnMut(usize, f64)) {
    let digits = value[i..].iter().take_while(|b| b.is_ascii_digit()).count();
    if digits < 2 {
        return;
    }
    relax(i + digits, digits as f64 * 10f64.log2() + 1.0);
    if digits >= 4 && matches!(&value[i..i + 2], b"19" | b"20") {
        relax(i + 4, 7.0);
    }
    for len in 3..=digits {
        let run = &value[i..i + len];
        let step = i16::from(run[1]) - i16::from(run[0]);
        if step.abs() <= 1
            && run
                .windows(2)
                .all(|w| i16::from(w[1]) - i16::from(w[0]) == step)
        {
            relax(i + len, 3.3 + (len as f64).log2() + 1.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{estimate, shannon};

    #[test]
    fn uniform_and_constant_inputs() {
        assert_eq!(shannon(b""), 0.0);
        assert_eq!(shannon(b"aaaaaaaa"), 0.0);
        assert!((shannon(b"abcdefgh") - 3.0).abs() < 1e-6);
        assert!((shannon(b"abab") - 1.0).abs() < 1e-6);
    }

    #[test]
    fn word_made_values_cost_little_per_character() {
        for v in [
            "SuperSecretPassword2024!",
            "correcthorsebatterystaple",
            "development_secret_key_change_me",
            "ThisIsMyDevToken",
            "p4ssw0rd123",
            "s3cr3t-k3y-f0r-d3v",
            "Summer2023!",
            "my-super-secret-jwt-signing-key",
        ] {
            let r = estimate(v.as_bytes());
            assert!(r.per_char < 3.0, "{v}: {r:?}");
            // Shannon entropy alone would keep most of these
        }
        assert!(shannon(b"SuperSecretPassword2024!") > 3.5);
    }

    #[test]
    fn generated_values_cost_their_alphabet() {
        for v in [
            "x7Kq9mPz",
            "Vq7!rT2mLx9#pZ",
            "q3Lk9VxZ2mWp7RtB8nYe",
            "0edc4f5a9b3e71d2c86a0f4e9b1d7c35",
            "bR4#k9Lw2xQz",
            "Jd8s2KqL9xWm4Vt7RzPb/a+Q==",
        ] {
            let r = estimate(v.as_bytes());
            assert!(r.per_char > 4.0, "{v}: {r:?}");
        }
        // short random values: Shannon entropy is capped at log2(len), the estimate is not
        assert!(shannon(b"x7Kq9mPz") <= 3.0);
    }

    #[test]
    fn empty_and_long_values() {
        assert_eq!(estimate(b"").bits, 0.0);
        let long = "k9Lw2xQzbR4".repeat(100);
        assert!(estimate(long.as_bytes()).per_char.is_finite());
    }
}
