//! A GCP service-account JWT grant: a JWT for the account's `client_email`, signed RS256 with its private
//! key, exchanged at Google's token endpoint. Only the signed assertion is sent, never the key. Written from
//! Google's "Using OAuth 2.0 for server to server applications" (HTTP/REST) steps.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};

use super::spec::Unverifiable;

/// The grant type of a JWT bearer assertion.
const GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The scope asked for: read-only, and the token that comes back is never used.
const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform.read-only";

/// The form body of the grant for the key `pem` (as found: a JSON string with `\n` escapes, or plain PEM)
/// of `client_email`, audience `token_url`, issued at `now` (Unix seconds).
pub fn grant_body(
    pem: &str,
    client_email: &str,
    token_url: &str,
    now: i64,
) -> Result<Vec<u8>, Unverifiable> {
    let key = key_pair(pem)?;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let claims = serde_json::json!({
        "iss": client_email,
        "scope": SCOPE,
        "aud": token_url,
        "iat": now,
        "exp": now + 600,
    });
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing_input = format!("{header}.{payload}");
    let mut sig = vec![0; key.public().modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        signing_input.as_bytes(),
        &mut sig,
    )
    .map_err(|_| Unverifiable("the private key could not sign".into()))?;
    let jwt = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig));
    Ok(format!("grant_type={}&assertion={jwt}", GRANT.replace(':', "%3A")).into_bytes())
}

/// Parses a PKCS#8 (`PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`) PEM, with JSON `\n` escapes or not.
fn key_pair(pem: &str) -> Result<RsaKeyPair, Unverifiable> {
    let bad = || Unverifiable("the private key is not a usable RSA key".into());
    let text = pem.replace("\\n", "\n");
    let pkcs1 = text.contains("BEGIN RSA PRIVATE KEY");
    let b64: String = text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .flat_map(|l| l.trim().chars())
        .collect();
    let der = STANDARD.decode(b64).map_err(|_| bad())?;
    if pkcs1 {
        RsaKeyPair::from_der(&der).map_err(|_| bad())
    } else {
        RsaKeyPair::from_pkcs8(&der).map_err(|_| bad())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ring::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};

    /// A throwaway 2048-bit key generated for these tests (`openssl genpkey -algorithm RSA`).
    pub(crate) const TEST_KEY: &str = include_str!("../../fixtures/verify/gcp-test-key.pem");

    /// Checks a grant body's assertion against the test key's public half; returns its claims.
    pub(crate) fn check_assertion(body: &str) -> serde_json::Value {
        let assertion = body
            .split('&')
            .find_map(|kv| kv.strip_prefix("assertion="))
            .expect("assertion");
        let (input, sig) = assertion.rsplit_once('.').unwrap();
        let public = key_pair(TEST_KEY).unwrap().public().as_ref().to_vec();
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public)
            .verify(input.as_bytes(), &URL_SAFE_NO_PAD.decode(sig).unwrap())
            .expect("signature verifies");
        let payload = input.split('.').nth(1).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
    }

    #[test]
    fn signs_a_verifiable_assertion_from_an_escaped_key() {
        let escaped = TEST_KEY.replace('\n', "\\n");
        let body = grant_body(
            &escaped,
            "svc@proj.iam.gserviceaccount.com",
            "https://oauth2.googleapis.com/token",
            1_700_000_000,
        )
        .unwrap();
        let body = String::from_utf8(body).unwrap();
        assert!(body.starts_with(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="
        ));
        let claims = check_assertion(&body);
        assert_eq!(claims["iss"], "svc@proj.iam.gserviceaccount.com");
        assert_eq!(claims["aud"], "https://oauth2.googleapis.com/token");
        assert_eq!(claims["exp"], 1_700_000_600);
        assert!(!body.contains("PRIVATE KEY"));
    }

    #[test]
    fn a_broken_key_is_unverifiable_not_a_crash() {
        let err = grant_body(
            "-----BEGIN PRIVATE KEY-----\\nQUJD\\n-----END PRIVATE KEY-----",
            "a@b.c",
            "https://oauth2.googleapis.com/token",
            0,
        )
        .unwrap_err();
        assert!(err.0.contains("not a usable RSA key"));
    }
}
