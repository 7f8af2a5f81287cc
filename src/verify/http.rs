//! The guarded HTTP client verifiers send their requests through. It owns the network guards, so that no
//! verifier can forget one:
//!
//! * a request goes only to a host its verifier names ([`HostPattern`]), over HTTPS;
//! * redirects are never followed (a 3xx is an error, whatever its target);
//! * every address a host name resolves to is checked *after* resolution, and private, loopback,
//!   link-local and other non-public addresses are refused unless the caller allows them
//!   ([`is_public`]); the connection then goes to exactly the checked addresses, so a second DNS answer
//!   cannot swap in another;
//! * no proxy from the environment, a global timeout, and a cap on how much of an answer is read.
//!
//! Errors describe what failed (a timeout, a refused address) and never carry the URL or a header, since
//! either may hold the secret.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use ureq::config::Config;
use ureq::http::{self, Uri};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

/// At most this much of a provider's answer is read.
pub const MAX_BODY: u64 = 256 * 1024;

/// A host a verifier may contact: an exact name, or `*.` and a suffix (one extra DNS label, letters,
/// digits and `-`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern(String);

impl HostPattern {
    /// Parses `api.github.com` or `*.api.mailchimp.com`.
    pub fn new(pattern: &str) -> Result<Self, String> {
        let rest = pattern.strip_prefix("*.").unwrap_or(pattern);
        let ok = !rest.is_empty()
            && rest.contains('.')
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
        if ok {
            Ok(HostPattern(pattern.to_string()))
        } else {
            Err(format!("`{pattern}` is not a host name (or `*.` and one)"))
        }
    }

    /// Whether `host` (lowercased by the caller) is this host.
    pub fn matches(&self, host: &str) -> bool {
        match self.0.strip_prefix("*.") {
            None => host == self.0,
            Some(suffix) => host
                .strip_suffix(suffix)
                .and_then(|label| label.strip_suffix('.'))
                .is_some_and(|label| {
                    !label.is_empty()
                        && label
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                }),
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One request, fully built (headers include any authorisation).
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Absolute `https://` URL.
    pub url: String,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    pub body: Option<Vec<u8>>,
}

impl fmt::Debug for Request {
    /// Only the method: the URL, headers and body may all hold the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// At most [`MAX_BODY`] bytes of the body.
    pub body: Vec<u8>,
}

/// Why a request was not sent or got no answer. The messages name no URL and no header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// The URL's host is not one the verifier names (or the URL is not HTTPS).
    #[error("refused: the request would go to a host this verifier does not name")]
    HostNotAllowed,
    /// The host resolved to a private, loopback, link-local or otherwise non-public address.
    #[error("refused: the provider's host resolved to a non-public address ({0})")]
    PrivateAddress(IpAddr),
    /// The provider answered with a redirect; redirects are never followed.
    #[error("refused to follow a redirect (HTTP {0})")]
    Redirect(u16),
    /// No answer in time.
    #[error("timed out")]
    Timeout,
    /// The host name did not resolve.
    #[error("the provider's host name did not resolve")]
    HostNotFound,
    /// TLS failed (certificate, handshake).
    #[error("TLS error")]
    Tls,
    /// The answer was larger than [`MAX_BODY`].
    #[error("the answer was too large")]
    TooLarge,
    /// The request could not be built (a secret with characters a header cannot carry).
    #[error("the request could not be built from this secret")]
    BadRequest,
    /// Any other network failure, by kind.
    #[error("network error ({0})")]
    Network(String),
}

/// Network policy for one run.
#[derive(Debug, Clone, Default)]
pub struct NetPolicy {
    /// Allow private, loopback and link-local addresses (off unless the user asks).
    pub allow_private: bool,
    /// Send every request to this `http://127.0.0.1:PORT`-style base instead of the provider (tests).
    /// Only a loopback IP literal is accepted, so it can never send secrets off the machine.
    pub endpoint_override: Option<String>,
    /// Per-request timeout (the whole exchange).
    pub timeout: Duration,
}

/// The client: one connection pool, the guards, the policy.
pub struct Client {
    agent: ureq::Agent,
    endpoint_override: Option<Uri>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint_override", &self.endpoint_override)
            .finish_non_exhaustive()
    }
}

/// Marks an address refusal inside the `io::Error` the resolver returns, so it can be told apart.
#[derive(Debug)]
struct Refused(IpAddr);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "non-public address {}", self.0)
    }
}

impl std::error::Error for Refused {}

/// Resolves like ureq does, then refuses the whole host if any address is not public.
#[derive(Debug)]
struct GuardResolver {
    allow_private: bool,
    inner: DefaultResolver,
}

impl Resolver for GuardResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let addrs = self.inner.resolve(uri, config, timeout)?;
        if !self.allow_private {
            if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
                return Err(ureq::Error::Io(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    Refused(bad.ip()),
                )));
            }
        }
        Ok(addrs)
    }
}

impl Client {
    /// A client under `policy`. Fails if the endpoint override is not a loopback `http://IP:PORT`.
    pub fn new(policy: &NetPolicy) -> Result<Self, String> {
        let endpoint_override = match &policy.endpoint_override {
            None => None,
            Some(base) => Some(parse_override(base)?),
        };
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .proxy(None)
            .https_only(endpoint_override.is_none())
            .timeout_global(Some(policy.timeout))
            .user_agent(concat!(
                "keyhound/",
                env!("CARGO_PKG_VERSION"),
                " (secret verification)"
            ))
            .build();
        let resolver = GuardResolver {
            allow_private: policy.allow_private,
            inner: DefaultResolver::default(),
        };
        let agent = ureq::Agent::with_parts(config, DefaultConnector::default(), resolver);
        Ok(Client {
            agent,
            endpoint_override,
        })
    }

    /// Sends `req` if its URL is HTTPS to one of `hosts`; the answer, or why there is none.
    pub fn send(&self, req: &Request, hosts: &[HostPattern]) -> Result<Response, HttpError> {
        let uri: Uri = req.url.parse().map_err(|_| HttpError::HostNotAllowed)?;
        if !host_allowed(&uri, hosts) {
            return Err(HttpError::HostNotAllowed);
        }
        let uri = match &self.endpoint_override {
            None => uri,
            Some(base) => rebase(&uri, base).ok_or(HttpError::HostNotAllowed)?,
        };
        let mut builder = http::Request::builder()
            .method(req.method.as_str())
            .uri(uri);
        for (name, value) in &req.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let built = builder
            .body(req.body.clone().unwrap_or_default())
            .map_err(|_| HttpError::BadRequest)?;
        let mut response = self.agent.run(built).map_err(describe)?;
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            return Err(HttpError::Redirect(status));
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(describe)?;
        Ok(Response { status, body })
    }
}

/// HTTPS (the override aside, which is checked separately) to a named host on the default port.
fn host_allowed(uri: &Uri, hosts: &[HostPattern]) -> bool {
    let Some(host) = uri.host() else { return false };
    let host = host.to_ascii_lowercase();
    uri.scheme_str() == Some("https")
        && uri.port().is_none()
        && uri.authority().is_some_and(|a| !a.as_str().contains('@'))
        && hosts.iter().any(|p| p.matches(&host))
}

fn parse_override(base: &str) -> Result<Uri, String> {
    let uri: Uri = base
        .parse()
        .map_err(|_| format!("endpoint override `{base}` is not a URL"))?;
    let loopback = uri
        .host()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']'))
        .and_then(|h| h.parse::<IpAddr>().ok())
        .is_some_and(|ip| ip.is_loopback());
    if uri.scheme_str() != Some("http") || !loopback || uri.port().is_none() {
        return Err(format!(
            "endpoint override `{base}` must be http://<loopback IP>:<port>"
        ));
    }
    Ok(uri)
}

/// `uri`'s path and query on the override's scheme and authority.
fn rebase(uri: &Uri, base: &Uri) -> Option<Uri> {
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    Uri::builder()
        .scheme(base.scheme_str()?)
        .authority(base.authority()?.as_str())
        .path_and_query(path)
        .build()
        .ok()
}

/// Maps ureq's error to ours without keeping its text, which can quote the URL.
fn describe(err: ureq::Error) -> HttpError {
    match err {
        ureq::Error::Timeout(_) => HttpError::Timeout,
        ureq::Error::HostNotFound => HttpError::HostNotFound,
        ureq::Error::Tls(_) => HttpError::Tls,
        ureq::Error::BodyExceedsLimit(_) => HttpError::TooLarge,
        ureq::Error::Http(_) | ureq::Error::BadUri(_) => HttpError::BadRequest,
        ureq::Error::TooManyRedirects | ureq::Error::RedirectFailed => HttpError::Redirect(0),
        ureq::Error::Io(e) => match e.get_ref().and_then(|r| r.downcast_ref::<Refused>()) {
            Some(Refused(ip)) => HttpError::PrivateAddress(*ip),
            None if e.kind() == io::ErrorKind::TimedOut => HttpError::Timeout,
            None => HttpError::Network(format!("{:?}", e.kind())),
        },
        ureq::Error::Protocol(_) => HttpError::Network("malformed HTTP".into()),
        ureq::Error::ConnectionFailed => HttpError::Network("connection failed".into()),
        _ => HttpError::Network("other".into()),
    }
}

/// Whether `ip` is a public unicast address: not loopback, private (RFC 1918, unique local), link-local,
/// shared (CGNAT), unspecified, broadcast, multicast, documentation, benchmarking or reserved, including
/// IPv4 addresses carried inside IPv6 (mapped, compatible, NAT64).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let seg = ip.segments();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let embedded =
        |s: &[u16]| Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if seg[..6] == [0; 6] && !ip.is_loopback() && !ip.is_unspecified() {
        return is_public_v4(embedded(&seg)); // IPv4-compatible
    }
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded(&seg)); // NAT64
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (seg[0] & 0xfe00) == 0xfc00 // unique local
        || (seg[0] & 0xffc0) == 0xfe80 // link-local
        || (seg[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (seg[0] == 0x2001 && seg[1] == 0x0db8)) // documentation
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_public_addresses_are_recognised() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::10.0.0.1",
            "64:ff9b::a00:1",
            "2001:db8::1",
        ] {
            assert!(!is_public(bad.parse().unwrap()), "{bad} counted as public");
        }
        for good in [
            "8.8.8.8",
            "140.82.112.6",
            "172.32.0.1",
            "2606:4700::1111",
            "::ffff:1.1.1.1",
        ] {
            assert!(
                is_public(good.parse().unwrap()),
                "{good} counted as private"
            );
        }
    }

    #[test]
    fn host_patterns_match_one_label_at_most() {
        let exact = HostPattern::new("api.github.com").unwrap();
        assert!(exact.matches("api.github.com"));
        assert!(!exact.matches("api.github.com.evil.example"));
        assert!(!exact.matches("evilapi.github.com"));
        let wild = HostPattern::new("*.api.mailchimp.com").unwrap();
        assert!(wild.matches("us6.api.mailchimp.com"));
        assert!(!wild.matches("api.mailchimp.com"));
        assert!(!wild.matches("a.b.api.mailchimp.com"));
        assert!(!wild.matches("evil.example/.api.mailchimp.com"));
        assert!(HostPattern::new("*").is_err());
        assert!(HostPattern::new("localhost").is_err());
    }

    #[test]
    fn only_https_to_named_hosts_on_the_default_port() {
        let hosts = [HostPattern::new("api.github.com").unwrap()];
        let ok = |u: &str| host_allowed(&u.parse().unwrap(), &hosts);
        assert!(ok("https://api.github.com/user"));
        assert!(ok("https://API.GitHub.com/user"));
        assert!(!ok("http://api.github.com/user"));
        assert!(!ok("https://api.github.com:8443/user"));
        assert!(!ok("https://user@api.github.com/user"));
        assert!(!ok("https://api.github.com.evil.example/user"));
    }

    #[test]
    fn the_override_must_be_a_loopback_ip() {
        assert!(parse_override("http://127.0.0.1:8080").is_ok());
        assert!(parse_override("http://[::1]:8080").is_ok());
        assert!(parse_override("http://localhost:8080").is_err());
        assert!(parse_override("http://10.0.0.1:8080").is_err());
        assert!(parse_override("https://127.0.0.1:8080").is_err());
        assert!(parse_override("http://127.0.0.1").is_err());
    }

    #[test]
    fn resolving_a_name_checks_the_resolved_address() {
        // `localhost` is a name, not an IP literal: only resolution reveals that it is loopback.
        let resolver = GuardResolver {
            allow_private: false,
            inner: DefaultResolver::default(),
        };
        let uri: Uri = "http://localhost:9/".parse().unwrap();
        let err = resolver
            .resolve(&uri, &Config::default(), NextTimeout::default())
            .unwrap_err();
        assert!(matches!(describe(err), HttpError::PrivateAddress(ip) if ip.is_loopback()));
    }
}
