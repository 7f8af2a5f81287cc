//! Verifiers as data: the syntax of `providers.toml`, its compiled form, the templates that turn a
//! secret into a request, and the conditions that turn an answer into live or invalid. This module decides
//! nothing about the network (see [`super::http`]) or about scheduling (see [`super`]).

use std::collections::BTreeMap;

use regex::Regex;
use serde::Deserialize;

use crate::error::Error;

use super::http::{HostPattern, Request, Response};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSyntax {
    verifier: Vec<VerifierSyntax>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifierSyntax {
    id: String,
    name: String,
    rules: Vec<String>,
    #[serde(default)]
    kind: Kind,
    docs: String,
    method: String,
    url: String,
    #[serde(default)]
    hosts: Vec<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    body: Option<String>,
    basic_auth: Option<[String; 2]>,
    parts: Option<String>,
    companion: Option<CompanionSyntax>,
    live: Vec<Condition>,
    invalid: Vec<Condition>,
    identity: Option<String>,
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CompanionSyntax {
    #[serde(default)]
    rules: Vec<String>,
    pattern: Option<String>,
    #[serde(default = "default_within")]
    within_lines: usize,
    what: String,
}

fn default_within() -> usize {
    5
}

/// How a verifier builds its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// The request as written in the data.
    #[default]
    Http,
    /// The request as written, signed with AWS Signature Version 4 (secret key + access key ID).
    AwsSigv4,
    /// A GCP service-account JWT grant (private key + client email), signed RS256.
    GcpJwt,
}

/// One answer pattern. All the fields given must hold.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// Any of these statuses.
    #[serde(default)]
    pub status: Vec<u16>,
    /// JSON pointer → expected value.
    #[serde(default)]
    pub json: BTreeMap<String, serde_json::Value>,
    /// JSON pointers that must be present (and not null).
    #[serde(default)]
    pub json_present: Vec<String>,
    /// Text the body must contain (ASCII case-insensitive).
    pub body_contains: Option<String>,
    /// The body must be JSON.
    #[serde(default)]
    pub is_json: bool,
}

impl Condition {
    /// `HTTP 200, /login present`: the condition in words, for `keyhound verifiers`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.status.is_empty() {
            let codes: Vec<String> = self.status.iter().map(u16::to_string).collect();
            parts.push(format!("HTTP {}", codes.join("/")));
        }
        for (ptr, want) in &self.json {
            parts.push(format!("{ptr} = {want}"));
        }
        for ptr in &self.json_present {
            parts.push(format!("{ptr} present"));
        }
        if let Some(needle) = &self.body_contains {
            parts.push(format!("body contains \"{needle}\""));
        }
        if self.is_json {
            parts.push("JSON body".into());
        }
        parts.join(", ")
    }

    fn holds(&self, resp: &Response, json: Option<&serde_json::Value>) -> bool {
        let status = self.status.is_empty() || self.status.contains(&resp.status);
        let values = self
            .json
            .iter()
            .all(|(ptr, want)| json.and_then(|j| j.pointer(ptr)) == Some(want));
        let present = self.json_present.iter().all(|ptr| {
            json.and_then(|j| j.pointer(ptr))
                .is_some_and(|v| !v.is_null())
        });
        let contains = self.body_contains.as_ref().is_none_or(|needle| {
            let hay = String::from_utf8_lossy(&resp.body).to_ascii_lowercase();
            hay.contains(&needle.to_ascii_lowercase())
        });
        status && values && present && contains && (!self.is_json || json.is_some())
    }
}

/// Where a verifier finds the second value it needs.
#[derive(Debug, Clone)]
pub struct Companion {
    /// Rules whose findings supply it (a composite finding's companion, or a finding on a nearby line).
    pub rules: Vec<String>,
    /// A regex whose group 1 supplies it from the lines around the secret.
    pub pattern: Option<Regex>,
    /// How far from the secret a companion may be, in lines.
    pub within_lines: usize,
    /// What it is, for messages (`access key ID`).
    pub what: String,
}

/// A compiled verifier.
#[derive(Debug, Clone)]
pub struct Verifier {
    /// Provider id (`--verify-only`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Rule ids whose secrets it checks.
    pub rules: Vec<String>,
    /// How the request is built.
    pub kind: Kind,
    /// The endpoint's documentation.
    pub docs: String,
    /// HTTP method.
    pub method: String,
    /// URL template.
    pub url: String,
    /// The only hosts a request may go to.
    pub hosts: Vec<HostPattern>,
    /// Header templates, in order.
    pub headers: Vec<(String, String)>,
    /// Body (no secret inside; code-built kinds make their own).
    pub body: Option<String>,
    /// Basic-auth user and password templates.
    pub basic_auth: Option<(String, String)>,
    /// Named groups on the secret that templates may use.
    pub parts: Option<Regex>,
    /// The second value the check needs, if any.
    pub companion: Option<Companion>,
    /// Answers that mean live.
    pub live: Vec<Condition>,
    /// Answers that mean invalid.
    pub invalid: Vec<Condition>,
    /// Identity template.
    pub identity: Option<String>,
    /// Said with every result.
    pub note: Option<String>,
}

/// The values a request is built from.
#[derive(Clone, Default)]
pub struct Values {
    /// The secret, as found.
    pub secret: String,
    /// The companion value, when the verifier needs one.
    pub companion: Option<String>,
    /// Named groups of `parts` on the secret.
    pub parts: BTreeMap<String, String>,
}

/// Why a candidate cannot be checked (reported as `unknown`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unverifiable(pub String);

/// What an answer means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judgement {
    /// A live condition held; the identity, if the answer gave one.
    Live(Option<String>),
    /// An invalid condition held.
    Invalid,
    /// The provider said something that settles nothing (`error` when it is a failure, else `unknown`).
    Unclear {
        /// A rate limit, a server error or a malformed answer: the check failed.
        failed: bool,
        /// What happened.
        note: String,
    },
}

/// Parses and compiles a verifier file; errors name the file, the line and the verifier.
pub fn parse_file(file: &str, text: &str) -> Result<Vec<Verifier>, Error> {
    let syntax: FileSyntax = toml::from_str(text).map_err(|e| Error::RuleFile {
        file: file.to_string(),
        line: e
            .span()
            .map(|s| text[..s.start].matches('\n').count() + 1)
            .unwrap_or(1),
        rule: None,
        message: e.message().to_string(),
    })?;
    let mut out: Vec<Verifier> = Vec::new();
    for v in syntax.verifier {
        let line = text
            .find(&format!("id = \"{}\"", v.id))
            .map(|at| text[..at].matches('\n').count() + 1)
            .unwrap_or(1);
        let id = v.id.clone();
        let fail = |message: String| Error::RuleFile {
            file: file.to_string(),
            line,
            rule: Some(format!("verifier {id}")),
            message,
        };
        if out.iter().any(|o| o.id == v.id) {
            return Err(fail("duplicate verifier id".into()));
        }
        out.push(compile(v).map_err(fail)?);
    }
    Ok(out)
}

fn compile(v: VerifierSyntax) -> Result<Verifier, String> {
    let parts = v
        .parts
        .as_deref()
        .map(Regex::new)
        .transpose()
        .map_err(|e| format!("parts: {e}"))?;
    let mut names = vec!["secret".to_string()];
    names.extend(
        parts
            .iter()
            .flat_map(|r| r.capture_names().flatten().map(str::to_string)),
    );
    if v.companion.is_some() {
        names.push("companion".into());
    }
    let mut templates: Vec<&str> = vec![&v.url];
    templates.extend(v.headers.values().map(String::as_str));
    if let Some([user, pass]) = &v.basic_auth {
        templates.extend([user.as_str(), pass.as_str()]);
    }
    for t in &templates {
        for name in placeholders(t) {
            if !names.contains(&name) {
                return Err(format!("template `{t}` uses unknown value `{{{name}}}`"));
            }
        }
    }
    if v.body.as_deref().is_some_and(|b| b.contains("{secret}")) {
        return Err("the body may not carry the secret (use a header)".into());
    }
    if v.live.is_empty() || v.invalid.is_empty() {
        return Err("needs at least one live and one invalid condition".into());
    }
    let hosts = compile_hosts(&v.url, &v.hosts)?;
    let companion = v
        .companion
        .map(|c| -> Result<Companion, String> {
            if c.rules.is_empty() && c.pattern.is_none() {
                return Err("companion needs rules or a pattern".into());
            }
            Ok(Companion {
                rules: c.rules,
                pattern: c
                    .pattern
                    .as_deref()
                    .map(Regex::new)
                    .transpose()
                    .map_err(|e| format!("companion pattern: {e}"))?,
                within_lines: c.within_lines,
                what: c.what,
            })
        })
        .transpose()?;
    Ok(Verifier {
        id: v.id,
        name: v.name,
        rules: v.rules,
        kind: v.kind,
        docs: v.docs,
        method: v.method.to_ascii_uppercase(),
        url: v.url,
        hosts,
        headers: v.headers.into_iter().collect(),
        body: v.body,
        basic_auth: v.basic_auth.map(|[u, p]| (u, p)),
        parts,
        companion,
        live: v.live,
        invalid: v.invalid,
        identity: v.identity,
        note: v.note,
    })
}

/// The hosts a verifier may contact: as listed, or the URL's own literal host. A literal URL host must be
/// one of them.
fn compile_hosts(url: &str, listed: &[String]) -> Result<Vec<HostPattern>, String> {
    let literal_host = url
        .strip_prefix("https://")
        .map(|rest| rest.split(['/', '?']).next().unwrap_or(""))
        .filter(|h| !h.contains('{'));
    if !url.starts_with("https://") && url != "{secret}" {
        return Err(format!(
            "url `{url}` must be https:// or exactly {{secret}}"
        ));
    }
    let hosts = if listed.is_empty() {
        let host = literal_host.ok_or("a templated url needs `hosts`")?;
        vec![HostPattern::new(host)?]
    } else {
        listed
            .iter()
            .map(|h| HostPattern::new(h))
            .collect::<Result<Vec<_>, _>>()?
    };
    if let Some(host) = literal_host {
        if !hosts.iter().any(|p| p.matches(host)) {
            return Err(format!("url host `{host}` is not in `hosts`"));
        }
    }
    Ok(hosts)
}

/// The `{name}` placeholders of a template.
fn placeholders(template: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        out.push(rest[open + 1..open + close].to_string());
        rest = &rest[open + close + 1..];
    }
    out
}

/// Fills `template`; in a URL (other than one that is the whole secret) values must be URL-safe so that
/// they cannot change where the request goes.
fn fill(template: &str, values: &Values, in_url: bool) -> Result<String, Unverifiable> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..]
            .find('}')
            .map(|c| open + c)
            .unwrap_or(rest.len());
        let name = &rest[open + 1..close];
        let value = match name {
            "secret" => Some(values.secret.as_str()),
            "companion" => values.companion.as_deref(),
            part => values.parts.get(part).map(String::as_str),
        }
        .ok_or_else(|| Unverifiable(format!("no value for {{{name}}}")))?;
        let url_safe = value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._~:-".contains(&b));
        if in_url && template != "{secret}" && !url_safe {
            return Err(Unverifiable(
                "the value has characters that cannot go into the provider's URL".into(),
            ));
        }
        out.push_str(value);
        rest = rest.get(close + 1..).unwrap_or("");
    }
    out.push_str(rest);
    Ok(out)
}

impl Verifier {
    /// The values for `secret` (and its companion): the named parts, or why it cannot be checked.
    pub fn values(&self, secret: &str, companion: Option<String>) -> Result<Values, Unverifiable> {
        let mut parts = BTreeMap::new();
        if let Some(re) = &self.parts {
            let caps = re.captures(secret).ok_or_else(|| {
                Unverifiable("the secret lacks a part the provider's URL needs".into())
            })?;
            for name in re.capture_names().flatten() {
                if let Some(m) = caps.name(name) {
                    parts.insert(name.to_string(), m.as_str().to_string());
                }
            }
        }
        if companion.is_none() {
            if let Some(c) = &self.companion {
                return Err(Unverifiable(format!(
                    "needs the {} as well; none found within {} lines of the secret",
                    c.what, c.within_lines
                )));
            }
        }
        Ok(Values {
            secret: secret.to_string(),
            companion,
            parts,
        })
    }

    /// The request as the data describes it (code-built kinds add to it).
    pub fn request(&self, values: &Values) -> Result<Request, Unverifiable> {
        let mut headers = Vec::new();
        for (name, template) in &self.headers {
            headers.push((name.clone(), fill(template, values, false)?));
        }
        if let Some((user, pass)) = &self.basic_auth {
            use base64::Engine as _;
            let pair = format!(
                "{}:{}",
                fill(user, values, false)?,
                fill(pass, values, false)?
            );
            let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
            headers.push(("Authorization".into(), format!("Basic {encoded}")));
        }
        Ok(Request {
            method: self.method.clone(),
            url: fill(&self.url, values, true)?,
            headers,
            body: self.body.as_ref().map(|b| b.as_bytes().to_vec()),
        })
    }

    /// What an answer means.
    pub fn judge(&self, resp: &Response, values: &Values) -> Judgement {
        let json: Option<serde_json::Value> = serde_json::from_slice(&resp.body).ok();
        if self.live.iter().any(|c| c.holds(resp, json.as_ref())) {
            return Judgement::Live(self.identity(resp, json.as_ref(), values));
        }
        if self.invalid.iter().any(|c| c.holds(resp, json.as_ref())) {
            return Judgement::Invalid;
        }
        let status = resp.status;
        let expected = self
            .live
            .iter()
            .chain(&self.invalid)
            .any(|c| c.status.contains(&status));
        let (failed, note) = match status {
            429 => (true, "rate limited by the provider (HTTP 429)".to_string()),
            500..=599 => (true, format!("the provider failed (HTTP {status})")),
            _ if expected => (true, format!("malformed answer (HTTP {status})")),
            _ => (false, format!("unexpected answer (HTTP {status})")),
        };
        Judgement::Unclear { failed, note }
    }

    /// Fills the identity template from the answer; `None` when the answer filled none of it.
    fn identity(
        &self,
        resp: &Response,
        json: Option<&serde_json::Value>,
        values: &Values,
    ) -> Option<String> {
        let template = self.identity.as_deref()?;
        let mut out = String::new();
        let mut filled = false;
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let close = rest[open..].find('}').map(|c| open + c)?;
            let key = &rest[open + 1..close];
            let value = if key == "companion" {
                values.companion.clone()
            } else if let Some(tag) = key.strip_prefix('<').and_then(|k| k.strip_suffix('>')) {
                xml_text(&resp.body, tag)
            } else {
                json.and_then(|j| j.pointer(key)).and_then(json_text)
            };
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                filled = true;
                out.push_str(&v);
            }
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
        let clean: String = out.chars().filter(|c| !c.is_control()).take(200).collect();
        filled.then(|| clean.trim().to_string())
    }

    /// `METHOD URL` with the templates as written, the headers' names and templates, and the body: what
    /// `keyhound verifiers` shows.
    pub fn describe_request(&self) -> Vec<String> {
        let mut lines = vec![format!("{} {}", self.method, self.url)];
        for (name, value) in &self.headers {
            lines.push(format!("{name}: {value}"));
        }
        if let Some((user, pass)) = &self.basic_auth {
            lines.push(format!("Authorization: Basic base64({user}:{pass})"));
        }
        match self.kind {
            Kind::Http => {}
            Kind::AwsSigv4 => lines.push(
                "Authorization: AWS4-HMAC-SHA256 signature by {secret} for {companion} (the secret itself is not sent)"
                    .into(),
            ),
            Kind::GcpJwt => lines.push(
                "body: grant_type=jwt-bearer&assertion=<JWT for {companion}, signed RS256 with {secret}> (the key itself is not sent)"
                    .into(),
            ),
        }
        if let Some(body) = &self.body {
            lines.push(format!("body: {body}"));
        }
        lines
    }
}

/// `value` quoted for a POSIX shell.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

impl Verifier {
    /// A shell command that makes the same check by hand, from `values` as they should be shown (the
    /// caller redacts them). Code-built checks use curl's own SigV4 signing, or gcloud for a JWT grant.
    pub fn command(&self, values: &Values) -> String {
        let show = |t: &str| fill_unchecked(t, values);
        if self.kind == Kind::GcpJwt {
            // The key is a file's worth of PEM: gcloud takes the key file rather than the key.
            return format!(
                "gcloud auth activate-service-account {} --key-file=KEY.json && gcloud auth print-access-token   # KEY.json: the key file this private key is in",
                shell_quote(values.companion.as_deref().unwrap_or_default()),
            );
        }
        let mut parts = vec![format!("curl -sS -X {}", self.method)];
        if self.kind == Kind::AwsSigv4 {
            parts.push("--aws-sigv4 'aws:amz:us-east-1:sts'".into());
            parts.push(format!(
                "-u {}",
                shell_quote(&format!(
                    "{}:{}",
                    values.companion.as_deref().unwrap_or_default(),
                    values.secret
                ))
            ));
        }
        for (name, template) in &self.headers {
            parts.push(format!(
                "-H {}",
                shell_quote(&format!("{name}: {}", show(template)))
            ));
        }
        if let Some((user, pass)) = &self.basic_auth {
            parts.push(format!(
                "-u {}",
                shell_quote(&format!("{}:{}", show(user), show(pass)))
            ));
        }
        if let Some(body) = &self.body {
            parts.push(format!("--data {}", shell_quote(body)));
        }
        parts.push(shell_quote(&show(&self.url)));
        parts.join(" ")
    }
}

/// Fills a template for display: no URL-safety check, a missing value shows as its placeholder.
fn fill_unchecked(template: &str, values: &Values) -> String {
    let mut out = template.replace("{secret}", &values.secret);
    if let Some(c) = &values.companion {
        out = out.replace("{companion}", c);
    }
    for (name, value) in &values.parts {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

fn json_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        serde_json::Value::Array(items) => Some(
            items
                .iter()
                .filter_map(json_text)
                .collect::<Vec<_>>()
                .join(","),
        ),
        _ => None,
    }
}

/// The text of the first `<tag>…</tag>` in an XML answer.
fn xml_text(body: &[u8], tag: &str) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let open = format!("<{tag}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find(&format!("</{tag}>"))? + start;
    Some(text[start..end].trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(toml: &str) -> Result<Verifier, String> {
        parse_file("t.toml", toml)
            .map(|mut v| v.remove(0))
            .map_err(|e| e.to_string())
    }

    const BASE: &str = r#"[[verifier]]
id = "x"
name = "X"
rules = ["r"]
docs = "https://example.com/docs"
method = "GET"
live = [{ status = [200] }]
invalid = [{ status = [401] }]
"#;

    #[test]
    fn templates_must_name_known_values_and_hosts() {
        let ok = one(&format!(
            "{BASE}url = \"https://api.example.com/me\"\nheaders = {{ A = \"Bearer {{secret}}\" }}\n"
        ))
        .unwrap();
        assert_eq!(ok.hosts, vec![HostPattern::new("api.example.com").unwrap()]);
        let err = one(&format!(
            "{BASE}url = \"https://api.example.com/{{nope}}\"\n"
        ))
        .unwrap_err();
        assert!(
            err.contains("t.toml:2: rule `verifier x`: template"),
            "{err}"
        );
        let err = one(&format!("{BASE}url = \"{{secret}}\"\n")).unwrap_err();
        assert!(err.contains("needs `hosts`"), "{err}");
        let err = one(&format!(
            "{BASE}url = \"https://a.example.com/\"\nhosts = [\"b.example.com\"]\n"
        ))
        .unwrap_err();
        assert!(err.contains("not in `hosts`"), "{err}");
        let err = one(&format!("{BASE}url = \"http://a.example.com/\"\n")).unwrap_err();
        assert!(err.contains("https://"), "{err}");
        let err = one(&format!(
            "{BASE}url = \"https://a.example.com/\"\nbody = \"k={{secret}}\"\n"
        ))
        .unwrap_err();
        assert!(err.contains("body"), "{err}");
    }

    #[test]
    fn url_values_cannot_redirect_the_request() {
        let v = one(&format!(
            "{BASE}url = \"https://api.example.com/bot{{secret}}/me\"\n"
        ))
        .unwrap();
        let values = v.values("123:AAx-y_z", None).unwrap();
        assert_eq!(
            v.request(&values).unwrap().url,
            "https://api.example.com/bot123:AAx-y_z/me"
        );
        for evil in ["a/../../x", "a@evil.example", "a?x=1", "a#b", "a%2f"] {
            let values = v.values(evil, None).unwrap();
            assert!(v.request(&values).is_err(), "{evil} went into the URL");
        }
    }

    #[test]
    fn judging_follows_the_conditions() {
        let v = one(&format!(
            "{BASE}url = \"https://api.example.com/me\"\nidentity = \"{{/user/login}} ({{<Arn>}})\"\n"
        ))
        .unwrap();
        let values = Values::default();
        let resp = |status, body: &str| Response {
            status,
            body: body.as_bytes().to_vec(),
        };
        assert_eq!(
            v.judge(&resp(200, r#"{"user":{"login":"octo"}}"#), &values),
            Judgement::Live(Some("octo ()".into()))
        );
        assert_eq!(v.judge(&resp(200, "nope"), &values), Judgement::Live(None));
        assert_eq!(v.judge(&resp(401, ""), &values), Judgement::Invalid);
        assert!(matches!(
            v.judge(&resp(429, ""), &values),
            Judgement::Unclear { failed: true, .. }
        ));
        assert!(matches!(
            v.judge(&resp(418, ""), &values),
            Judgement::Unclear { failed: false, .. }
        ));
    }
}
