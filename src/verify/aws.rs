//! AWS Signature Version 4, enough to sign one STS `GetCallerIdentity` call: the access key ID travels in
//! the `Authorization` header, the secret access key only as the HMAC key of the signature. Written from
//! AWS's published signing process (canonical request → string to sign → derived key → signature).

use ring::hmac;
use sha2::{Digest, Sha256};

use super::http::Request;

/// The region and service the STS global endpoint signs for.
const REGION: &str = "us-east-1";
const SERVICE: &str = "sts";

/// Signs `req` (its URL must be `https://host/path[?query]`) in place for `key_id` / `secret` at
/// `amz_date` (`YYYYMMDDTHHMMSSZ`): adds `X-Amz-Date` and `Authorization`.
pub fn sign(req: &mut Request, key_id: &str, secret: &str, amz_date: &str) {
    let (host, path, query) = split_url(&req.url);
    req.headers
        .push(("X-Amz-Date".into(), amz_date.to_string()));
    let mut headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    headers.push(("host".into(), host.to_string()));
    headers.sort();
    let body = req.body.as_deref().unwrap_or(&[]);
    let signature = signature(
        &Canonical {
            method: &req.method,
            path,
            query,
            headers: &headers,
            payload: body,
        },
        secret,
        amz_date,
        REGION,
        SERVICE,
    );
    let signed: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
    let scope = format!("{}/{REGION}/{SERVICE}/aws4_request", &amz_date[..8]);
    req.headers.push((
        "Authorization".into(),
        format!(
            "AWS4-HMAC-SHA256 Credential={key_id}/{scope}, SignedHeaders={}, Signature={signature}",
            signed.join(";")
        ),
    ));
}

/// The parts of a request that are signed; `headers` are lowercase, trimmed and sorted by name.
struct Canonical<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a str,
    headers: &'a [(String, String)],
    payload: &'a [u8],
}

fn signature(
    c: &Canonical<'_>,
    secret: &str,
    amz_date: &str,
    region: &str,
    service: &str,
) -> String {
    let mut query: Vec<&str> = c.query.split('&').filter(|p| !p.is_empty()).collect();
    query.sort();
    let header_lines: String = c
        .headers
        .iter()
        .map(|(n, v)| format!("{n}:{v}\n"))
        .collect();
    let signed: Vec<&str> = c.headers.iter().map(|(n, _)| n.as_str()).collect();
    let canonical = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        c.method,
        c.path,
        query.join("&"),
        header_lines,
        signed.join(";"),
        hex(&Sha256::digest(c.payload))
    );
    let date = &amz_date[..8];
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut key = format!("AWS4{secret}").into_bytes();
    for part in [date, region, service, "aws4_request"] {
        key = mac(&key, part.as_bytes());
    }
    hex(&mac(&key, to_sign.as_bytes()))
}

fn mac(key: &[u8], data: &[u8]) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data)
        .as_ref()
        .to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `https://host/path?query` → (host, path, query).
fn split_url(url: &str) -> (&str, &str, &str) {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (authority, path_query) = rest.find('/').map_or((rest, "/"), |i| rest.split_at(i));
    let (path, query) = path_query.split_once('?').unwrap_or((path_query, ""));
    (authority, path, query)
}

/// `YYYYMMDDTHHMMSSZ` for a Unix time.
pub fn amz_date(unix_seconds: i64) -> String {
    let rfc = crate::sources::git::rfc3339(unix_seconds, 0);
    // 2013-05-24T00:00:00+00:00 → 20130524T000000Z
    let digits: String = rfc[..19]
        .chars()
        .filter(|c| *c != '-' && *c != ':')
        .collect();
    format!("{digits}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's published example: S3 `GET /test.txt` with a range header, signed by the documentation's
    /// example credentials on 2013-05-24 (AmazonS3 API reference, "Signature Calculations for the
    /// Authorization Header", example "GET Object").
    #[test]
    fn matches_the_published_signature_example() {
        let headers = vec![
            (
                "host".to_string(),
                "examplebucket.s3.amazonaws.com".to_string(),
            ),
            ("range".to_string(), "bytes=0-9".to_string()),
            (
                "x-amz-content-sha256".to_string(),
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".to_string(),
            ),
            ("x-amz-date".to_string(), "20130524T000000Z".to_string()),
        ];
        let sig = signature(
            &Canonical {
                method: "GET",
                path: "/test.txt",
                query: "",
                headers: &headers,
                payload: b"",
            },
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "20130524T000000Z",
            "us-east-1",
            "s3",
        );
        assert_eq!(
            sig,
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn signs_an_sts_request_without_sending_the_secret() {
        let mut req = Request {
            method: "POST".into(),
            url: "https://sts.amazonaws.com/".into(),
            headers: vec![(
                "Content-Type".into(),
                "application/x-www-form-urlencoded; charset=utf-8".into(),
            )],
            body: Some(b"Action=GetCallerIdentity&Version=2011-06-15".to_vec()),
        };
        // AWS's documentation example credentials.
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        sign(&mut req, "AKIAIOSFODNN7EXAMPLE", secret, "20261130T020000Z");
        let auth = &req.headers.last().unwrap().1;
        assert!(auth.starts_with(
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261130/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature="
        ), "{auth}");
        assert!(req.headers.iter().all(|(_, v)| !v.contains(secret)));
        assert_eq!(amz_date(1_369_353_600), "20130524T000000Z");
    }
}
