//! Verification (`--verify`): asking each secret's provider whether it still works. Off unless asked for:
//! nothing in this module runs, and no socket is opened, unless the caller calls [`Verifiers::verify`].
//!
//! * [`spec`]: verifiers as data (`providers.toml`, embedded): endpoint, what is sent, what answers mean.
//! * [`http`]: the guarded client (named hosts only, no redirects, no private addresses, no proxy).
//! * [`aws`], [`gcp`]: the two checks that need code (SigV4 signing, an RS256 JWT grant).
//! * [`fake`]: negative controls, well-formed fakes a trustworthy verifier must call invalid.
//!
//! A run first asks every verifier it will use about a fake of each rule format it will check. A verifier
//! that calls a fake live is unreliable for the run: its real candidates are not sent at all and come back
//! `unknown` with a note. A verifier whose control is inconclusive (an error, an unexpected answer) still
//! checks, but its `live` answers are reported `unknown`, since nothing showed it can say "invalid".
//! Equal candidates (same verifier, secret and companion) are checked once. Requests run on a fixed number
//! of threads, with a minimum interval between two requests to the same provider.

pub mod aws;
pub mod fake;
pub mod findings;
pub mod gcp;
pub mod http;
pub mod spec;

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use regex::Regex;

use crate::error::Error;
use crate::finding::{redact, Verification, VerifyStatus};
use crate::rules::RuleSet;

use self::http::{Client, NetPolicy};
use self::spec::{Judgement, Kind, Unverifiable, Values, Verifier};

/// The embedded verifier file.
pub const BUILTIN: (&str, &str) = ("src/verify/providers.toml", include_str!("providers.toml"));

/// One secret to verify, as found.
#[derive(Clone, Default)]
pub struct Candidate {
    /// The rule that found it.
    pub rule_id: String,
    /// The secret.
    pub secret: String,
    /// The second value its check needs, when the scan found it (a composite finding's companion, or a
    /// companion rule's finding on a nearby line).
    pub companion: Option<String>,
    /// The lines around the secret, where a verifier's companion pattern may find that value.
    pub context: Option<String>,
}

impl fmt::Debug for Candidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Candidate")
            .field("rule_id", &self.rule_id)
            .field("secret", &redact(self.secret.as_bytes()))
            .finish_non_exhaustive()
    }
}

/// How a run verifies.
#[derive(Debug, Clone)]
pub struct Options {
    /// Requests in flight at once, across providers.
    pub concurrency: usize,
    /// Minimum time between two requests to one provider.
    pub per_provider_interval: Duration,
    /// Network policy: timeout, private addresses, test endpoint.
    pub net: NetPolicy,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            concurrency: 4,
            per_provider_interval: Duration::from_millis(250),
            net: NetPolicy {
                allow_private: false,
                endpoint_override: None,
                timeout: Duration::from_secs(10),
            },
        }
    }
}

/// The verifiers of a run.
#[derive(Debug, Clone)]
pub struct Verifiers {
    list: Vec<Verifier>,
}

/// What one check came to, before negative controls are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Checked {
    Live(Option<String>),
    Invalid,
    Unknown(String),
    Error(String),
}

/// One request to make: a verifier and the values to check.
struct Job {
    verifier: usize,
    values: Values,
}

/// What a negative control said about a verifier, per rule format.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Control {
    /// The fake was called invalid: live answers can be trusted.
    Trusted,
    /// The fake was called live: nothing this verifier says is trusted this run.
    Unreliable,
    /// No answer either way: live answers are not trusted.
    Inconclusive(String),
}

impl Verifiers {
    /// The built-in verifiers, checked against the built-in rules' ids.
    pub fn builtin() -> Result<Self, Error> {
        Ok(Verifiers {
            list: spec::parse_file(BUILTIN.0, BUILTIN.1)?,
        })
    }

    /// Every verifier.
    pub fn all(&self) -> &[Verifier] {
        &self.list
    }

    /// Only the verifiers in `only` (all when empty), minus those in `exclude`. Unknown ids are an error.
    pub fn select(&self, only: &[String], exclude: &[String]) -> Result<Self, String> {
        for id in only.iter().chain(exclude) {
            if !self.list.iter().any(|v| v.id == *id) {
                let known: Vec<&str> = self.list.iter().map(|v| v.id.as_str()).collect();
                return Err(format!(
                    "unknown verifier `{id}` (known: {})",
                    known.join(", ")
                ));
            }
        }
        let list = self
            .list
            .iter()
            .filter(|v| only.is_empty() || only.contains(&v.id))
            .filter(|v| !exclude.contains(&v.id))
            .cloned()
            .collect();
        Ok(Verifiers { list })
    }

    /// The verifier of a rule.
    pub fn for_rule(&self, rule_id: &str) -> Option<&Verifier> {
        self.list
            .iter()
            .find(|v| v.rules.iter().any(|r| r == rule_id))
    }

    /// The verifier whose companion findings come from `rule_id` (an access key ID for AWS).
    pub fn for_companion_rule(&self, rule_id: &str) -> Option<&Verifier> {
        self.list.iter().find(|v| {
            v.companion
                .as_ref()
                .is_some_and(|c| c.rules.iter().any(|r| r == rule_id))
        })
    }

    /// Verifies `candidates` (one result each, in order). `rules` shape the negative controls. Fails only
    /// if the client cannot be set up (a bad test endpoint).
    pub fn verify(
        &self,
        rules: &RuleSet,
        candidates: &[Candidate],
        options: &Options,
    ) -> Result<Vec<Verification>, String> {
        let client = Client::new(&options.net)?;
        let limiter = Limiter::new(options.per_provider_interval);
        let run =
            |jobs: &[Option<Job>]| run_jobs(self, jobs, &client, &limiter, options.concurrency);
        let prepared: Vec<Result<(usize, Values), Verification>> =
            candidates.iter().map(|c| self.prepare(c)).collect();
        let controls = self.controls(rules, candidates, &prepared, run);
        let unreliable = |v: usize| {
            controls
                .iter()
                .any(|((cv, _), c)| *cv == v && *c == Control::Unreliable)
        };
        let (jobs, job_of) = plan(&prepared, unreliable);
        let results = run(&jobs);
        Ok(candidates
            .iter()
            .zip(prepared)
            .zip(job_of)
            .map(|((c, p), job)| match (p, job) {
                (Err(done), _) => done,
                (Ok((v, values)), Some(j)) => {
                    let control = if unreliable(v) {
                        &Control::Unreliable
                    } else {
                        &controls[&(v, c.rule_id.clone())]
                    };
                    self.finish(v, &values, results[j].clone(), control)
                }
                (Ok(_), None) => unreachable!("every prepared candidate has a job"),
            })
            .collect())
    }

    /// Runs the negative controls, one per (verifier, rule format) in use, with `run`.
    fn controls(
        &self,
        rules: &RuleSet,
        candidates: &[Candidate],
        prepared: &[Result<(usize, Values), Verification>],
        run: impl Fn(&[Option<Job>]) -> Vec<(Checked, Option<String>)>,
    ) -> HashMap<(usize, String), Control> {
        let mut formats: Vec<(usize, &str, &Values)> = Vec::new();
        for (c, p) in candidates.iter().zip(prepared) {
            if let Ok((v, values)) = p {
                if !formats.iter().any(|(fv, r, _)| fv == v && *r == c.rule_id) {
                    formats.push((*v, &c.rule_id, values));
                }
            }
        }
        let jobs: Vec<Option<Job>> = formats
            .iter()
            .map(|(v, rule, values)| self.control_job(*v, rules, rule, values))
            .collect();
        formats
            .iter()
            .zip(run(&jobs))
            .map(|((v, rule, _), res)| ((*v, rule.to_string()), control_of(res)))
            .collect()
    }

    /// A command that repeats `c`'s check by hand (`--verify-poc`), with the secret and companion
    /// redacted unless `show_secrets`; `None` when `c` has no verifier or lacks a value. Sends nothing.
    pub fn poc(&self, c: &Candidate, show_secrets: bool) -> Option<String> {
        let (index, mut values) = self.prepare(c).ok()?;
        if !show_secrets {
            values.secret = redact(values.secret.as_bytes());
            values.companion = values.companion.map(|v| redact(v.as_bytes()));
        }
        Some(self.list[index].command(&values))
    }

    /// The verifier index and values of a candidate, or its final (unknown) result.
    fn prepare(&self, c: &Candidate) -> Result<(usize, Values), Verification> {
        let Some(index) = self.list.iter().position(|v| v.rules.contains(&c.rule_id)) else {
            return Err(unknown(None, format!("no verifier for rule {}", c.rule_id)));
        };
        let v = &self.list[index];
        let companion = c.companion.clone().or_else(|| {
            let companion = v.companion.as_ref()?;
            nearest_match(
                companion.pattern.as_ref()?,
                c.context.as_deref()?,
                &c.secret,
                companion.within_lines,
            )
        });
        match v.values(&c.secret, companion) {
            Ok(values) => Ok((index, values)),
            Err(Unverifiable(why)) => Err(unknown(Some(&v.id), why)),
        }
    }

    /// The negative control for verifier `v` on `rule`'s format, shaped like `real`.
    fn control_job(&self, v: usize, rules: &RuleSet, rule: &str, real: &Values) -> Option<Job> {
        let verifier = &self.list[v];
        let fake_rule = |id: &str| rules.get(id).and_then(fake::fake_secret);
        let (secret, companion) = match verifier.kind {
            // The key signs only: a never-issued account name makes the pair fake.
            Kind::GcpJwt => (real.secret.clone(), fake::fake_service_account_email()),
            _ => {
                let companion = match &verifier.companion {
                    Some(c) => c
                        .rules
                        .first()
                        .map_or_else(|| real.companion.clone(), |r| fake_rule(r)),
                    None => None,
                };
                (fake_rule(rule)?, companion)
            }
        };
        let values = verifier.values(&secret, companion).ok()?;
        Some(Job {
            verifier: v,
            values,
        })
    }

    /// The final result of a check under its verifier's negative control.
    fn finish(
        &self,
        v: usize,
        values: &Values,
        checked: (Checked, Option<String>),
        control: &Control,
    ) -> Verification {
        let verifier = &self.list[v];
        let (checked, at) = checked;
        let mut notes: Vec<String> = verifier.note.iter().cloned().collect();
        let (status, identity) = match (checked, control) {
            (_, Control::Unreliable) => {
                notes.push("unreliable this run: it called a generated fake live, so no candidate was sent".into());
                (VerifyStatus::Unknown, None)
            }
            (Checked::Live(_), Control::Inconclusive(why)) => {
                notes.push(format!(
                    "the provider said live, but its negative control was inconclusive ({why})"
                ));
                (VerifyStatus::Unknown, None)
            }
            (Checked::Live(identity), Control::Trusted) => (VerifyStatus::Live, identity),
            (Checked::Invalid, _) => (VerifyStatus::Invalid, None),
            (Checked::Unknown(why), _) => {
                notes.push(why);
                (VerifyStatus::Unknown, None)
            }
            (Checked::Error(why), _) => {
                notes.push(why);
                (VerifyStatus::Error, None)
            }
        };
        let scrub = |s: String| scrub_secret(s, values);
        Verification {
            status,
            verifier: Some(verifier.id.clone()),
            identity: identity.map(scrub),
            checked_at: at,
            note: (!notes.is_empty()).then(|| scrub(notes.join("; "))),
        }
    }
}

/// The requests for the prepared candidates: each distinct (verifier, secret, companion) once, none to an
/// `unreliable` verifier (a `None` job); and, per candidate, the index of its job.
fn plan(
    prepared: &[Result<(usize, Values), Verification>],
    unreliable: impl Fn(usize) -> bool,
) -> (Vec<Option<Job>>, Vec<Option<usize>>) {
    let mut keys: HashMap<(usize, &str, Option<&str>), usize> = HashMap::new();
    let mut jobs: Vec<Option<Job>> = Vec::new();
    let mut job_of = Vec::new();
    for p in prepared {
        let Ok((v, values)) = p else {
            job_of.push(None);
            continue;
        };
        let key = (*v, values.secret.as_str(), values.companion.as_deref());
        let next = jobs.len();
        let index = *keys.entry(key).or_insert(next);
        if index == next {
            jobs.push((!unreliable(*v)).then(|| Job {
                verifier: *v,
                values: values.clone(),
            }));
        }
        job_of.push(Some(index));
    }
    (jobs, job_of)
}

/// Group 1 of `pattern`'s match nearest to `secret` in `context`, at most `within` lines away. When
/// the secret is not in the text as such (it was found decoded), any match in the text counts.
fn nearest_match(pattern: &Regex, context: &str, secret: &str, within: usize) -> Option<String> {
    let line_of = |at: usize| context[..at].matches('\n').count();
    let secret_line = context.find(secret).map(line_of);
    pattern
        .captures_iter(context)
        .filter_map(|caps| caps.get(1))
        .map(|m| {
            let distance = secret_line.map_or(0, |l| l.abs_diff(line_of(m.start())));
            (distance, m.as_str())
        })
        .filter(|(distance, _)| *distance <= within)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, m)| m.to_string())
}

/// A control's result as a verdict on its verifier.
fn control_of(result: (Checked, Option<String>)) -> Control {
    match result.0 {
        Checked::Invalid => Control::Trusted,
        Checked::Live(_) => Control::Unreliable,
        Checked::Unknown(why) | Checked::Error(why) => Control::Inconclusive(why),
    }
}

fn unknown(verifier: Option<&str>, note: String) -> Verification {
    Verification {
        status: VerifyStatus::Unknown,
        verifier: verifier.map(str::to_string),
        identity: None,
        checked_at: None,
        note: Some(note),
    }
}

/// Replaces the secret, wherever a provider echoed it, by its redacted form. (The companion is an
/// account name, ID or domain, which is what an identity is for.)
fn scrub_secret(text: String, values: &Values) -> String {
    let secret = values.secret.as_str();
    if secret.len() >= 4 && text.contains(secret) {
        text.replace(secret, &redact(secret.as_bytes()))
    } else {
        text
    }
}

/// Runs `jobs` (a `None` is skipped) on `concurrency` threads; results in job order, with the time each
/// request was sent.
fn run_jobs(
    verifiers: &Verifiers,
    jobs: &[Option<Job>],
    client: &Client,
    limiter: &Limiter,
    concurrency: usize,
) -> Vec<(Checked, Option<String>)> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(Checked, Option<String>)>> = Mutex::new(vec![
        (
            Checked::Unknown("no negative control could be made for this format".into()),
            None
        );
        jobs.len()
    ]);
    std::thread::scope(|scope| {
        for _ in 0..concurrency.clamp(1, 64).min(jobs.len().max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(slot) = jobs.get(i) else { break };
                let Some(job) = slot else { continue };
                let verifier = &verifiers.list[job.verifier];
                limiter.wait(job.verifier);
                let now = unix_now();
                let checked = check(verifier, &job.values, client, now);
                let at = crate::sources::git::rfc3339(now, 0);
                results.lock().unwrap_or_else(|p| p.into_inner())[i] = (checked, Some(at));
            });
        }
    });
    results.into_inner().unwrap_or_else(|p| p.into_inner())
}

/// One request and what its answer means.
fn check(verifier: &Verifier, values: &Values, client: &Client, now: i64) -> Checked {
    let request = match build(verifier, values, now) {
        Ok(r) => r,
        Err(Unverifiable(why)) => return Checked::Unknown(why),
    };
    match client.send(&request, &verifier.hosts) {
        Err(e) => Checked::Error(e.to_string()),
        Ok(resp) => match verifier.judge(&resp, values) {
            Judgement::Live(identity) => Checked::Live(identity),
            Judgement::Invalid => Checked::Invalid,
            Judgement::Unclear { failed: true, note } => Checked::Error(note),
            Judgement::Unclear {
                failed: false,
                note,
            } => Checked::Unknown(note),
        },
    }
}

/// The request for `values`, signed or with a grant body where the verifier's kind needs one.
fn build(verifier: &Verifier, values: &Values, now: i64) -> Result<http::Request, Unverifiable> {
    let mut request = verifier.request(values)?;
    let companion = values.companion.as_deref().unwrap_or_default();
    match verifier.kind {
        Kind::Http => {}
        Kind::AwsSigv4 => {
            if companion.starts_with("ASIA") {
                return Err(Unverifiable(
                    "temporary credentials (ASIA…) need their session token".into(),
                ));
            }
            aws::sign(&mut request, companion, &values.secret, &aws::amz_date(now));
        }
        Kind::GcpJwt => {
            request.body = Some(gcp::grant_body(
                &values.secret,
                companion,
                &verifier.url,
                now,
            )?);
        }
    }
    Ok(request)
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Spaces requests to one provider at least `interval` apart.
struct Limiter {
    interval: Duration,
    next: Mutex<HashMap<usize, Instant>>,
}

impl Limiter {
    fn new(interval: Duration) -> Self {
        Limiter {
            interval,
            next: Mutex::new(HashMap::new()),
        }
    }

    fn wait(&self, provider: usize) {
        let now = Instant::now();
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let slot = next.get(&provider).copied().unwrap_or(now).max(now);
            next.insert(provider, slot + self.interval);
            slot
        };
        std::thread::sleep(slot.saturating_duration_since(now));
    }
}

#[cfg(test)]
mod tests;
