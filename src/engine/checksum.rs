//! Offline structure checks for token formats that carry one. A look-alike that fails its format's check
//! is not reported. Nothing here touches the network.

use base64::Engine as _;

use crate::rules::Checksum;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// True when `secret` passes `check`.
pub fn verify(check: Checksum, secret: &[u8]) -> bool {
    match check {
        Checksum::Crc32Base62 => crc32_base62(secret),
        Checksum::Jwt => jwt(secret),
    }
}

/// Encodes `n` in base62, left-padded with '0' to `width`.
pub fn base62(mut n: u32, width: usize) -> String {
    let mut digits = Vec::new();
    while n > 0 {
        digits.push(BASE62[(n % 62) as usize]);
        n /= 62;
    }
    while digits.len() < width {
        digits.push(b'0');
    }
    digits.reverse();
    String::from_utf8(digits).expect("base62 digits are ASCII")
}

/// GitHub (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`) and npm (`npm_`) tokens: prefix, underscore, 30 random
/// base62 characters, then the CRC32 of those 30 characters in 6 base62 digits.
fn crc32_base62(secret: &[u8]) -> bool {
    let body = match memchr::memrchr(b'_', secret) {
        Some(i) => &secret[i + 1..],
        None => secret,
    };
    if body.len() < 7 {
        return false;
    }
    let (random, check) = body.split_at(body.len() - 6);
    base62(crc32fast::hash(random), 6).as_bytes() == check
}

/// A JWT: `header.payload.signature`, header and payload base64url JSON objects, header with `alg`.
fn jwt(secret: &[u8]) -> bool {
    let mut parts = secret.split(|&b| b == b'.');
    let (Some(header), Some(payload)) = (parts.next(), parts.next()) else {
        return false;
    };
    let decode = |part: &[u8]| -> Option<serde_json::Map<String, serde_json::Value>> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part.strip_suffix(b"=").unwrap_or(part))
            .ok()?;
        match serde_json::from_slice(&bytes).ok()? {
            serde_json::Value::Object(map) => Some(map),
            _ => None,
        }
    };
    match (decode(header), decode(payload)) {
        (Some(h), Some(_)) => h.contains_key("alg"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn github_like(prefix: &str, random: &str) -> String {
        format!(
            "{prefix}{random}{}",
            base62(crc32fast::hash(random.as_bytes()), 6)
        )
    }

    #[test]
    fn crc32_round_trip_and_tamper() {
        let token = github_like("ghp_", "R7tX2mQ9vLk4Wz8NpB3cYs6DfHa1Ju");
        assert!(verify(Checksum::Crc32Base62, token.as_bytes()));
        let mut tampered = token.into_bytes();
        tampered[6] = if tampered[6] == b'a' { b'b' } else { b'a' };
        assert!(!verify(Checksum::Crc32Base62, &tampered));
    }

    #[test]
    fn jwt_structure() {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let good = format!(
            "{}.{}.c2lnbmF0dXJl",
            b64(r#"{"alg":"HS256","typ":"JWT"}"#),
            b64(r#"{"sub":"1"}"#)
        );
        assert!(verify(Checksum::Jwt, good.as_bytes()));
        let bad = format!("{}.{}.c2ln", b64("not json"), b64(r#"{"sub":"1"}"#));
        assert!(!verify(Checksum::Jwt, bad.as_bytes()));
    }
}
