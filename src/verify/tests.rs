//! Every verifier against a local HTTP server on 127.0.0.1 playing its provider: live, invalid,
//! rate-limited and malformed answers; and the guards (negative controls, redirects, private addresses,
//! named hosts), each with a test that fails without it.

#[path = "../../tests/util/http_server.rs"]
mod http_server;

use http_server::{reply, Reply, Seen, Server};

use super::*;
use crate::rules::RuleSet;

fn options(base: &str) -> Options {
    Options {
        concurrency: 2,
        per_provider_interval: Duration::ZERO,
        net: NetPolicy {
            allow_private: true,
            endpoint_override: Some(base.to_string()),
            timeout: Duration::from_secs(20),
        },
    }
}

/// How each built-in provider answers: live status and body, invalid status and body, and what the
/// identity must then contain. Every verifier must have a row (a new verifier without one fails).
const PROVIDERS: &[(&str, u16, &str, u16, &str, &str)] = &[
    ("aws", 200, "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/ci</Arn><UserId>AIDAX</UserId><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>", 403, "<ErrorResponse><Error><Code>InvalidClientTokenId</Code></Error></ErrorResponse>", "arn:aws:iam::123456789012:user/ci"),
    ("github", 200, r#"{"login":"octocat","id":1}"#, 401, r#"{"message":"Bad credentials"}"#, "octocat"),
    ("github-app-installation", 200, r#"{"total_count":3,"repositories":[{"owner":{"login":"acme"}}]}"#, 401, r#"{"message":"Bad credentials"}"#, "acme"),
    ("gitlab", 200, r#"{"id":7,"name":"ci-token","user_id":42,"scopes":["api","read_user"]}"#, 401, r#"{"message":"401 Unauthorized"}"#, "ci-token (user 42, scopes api,read_user)"),
    ("slack", 200, r#"{"ok":true,"url":"https://acme.slack.com/","team":"Acme","user":"deploybot"}"#, 200, r#"{"ok":false,"error":"invalid_auth"}"#, "deploybot @ Acme"),
    ("slack-webhook", 400, "no_text", 404, "no_service", ""),
    ("stripe", 200, r#"{"id":"acct_1Abc","settings":{"dashboard":{"display_name":"Acme Inc"}}}"#, 401, r#"{"error":{"type":"invalid_request_error"}}"#, "acct_1Abc Acme Inc"),
    ("openai", 200, r#"{"object":"list","data":[{"id":"gpt-4o"}]}"#, 401, r#"{"error":{"code":"invalid_api_key"}}"#, ""),
    ("openai-admin", 200, r#"{"data":[{"name":"Default project"}]}"#, 401, r#"{"error":{"code":"invalid_api_key"}}"#, "Default project"),
    ("anthropic", 200, r#"{"data":[{"id":"claude"}],"has_more":true}"#, 401, r#"{"type":"error","error":{"type":"authentication_error"}}"#, ""),
    ("anthropic-admin", 200, r#"{"id":"org-1","name":"Acme","type":"organization"}"#, 401, r#"{"type":"error"}"#, "Acme (org-1)"),
    ("google-api-key", 200, r#"{"models":[{"name":"models/gemini"}]}"#, 400, r#"{"error":{"code":400,"status":"INVALID_ARGUMENT","details":[{"reason":"API_KEY_INVALID"}]}}"#, ""),
    ("gcp-service-account", 200, r#"{"access_token":"ya29.x","expires_in":3599,"token_type":"Bearer"}"#, 400, r#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#, "svc@proj.iam.gserviceaccount.com"),
    ("sendgrid", 200, r#"{"scopes":["mail.send","user.profile.read"]}"#, 401, r#"{"errors":[{"message":"authorization required"}]}"#, "scopes: mail.send,user.profile.read"),
    ("twilio", 200, r#"{"sid":"AC0","friendly_name":"Acme prod","status":"active"}"#, 401, r#"{"code":20003}"#, "Acme prod"),
    ("mailgun", 200, r#"{"total_count":1,"items":[{"name":"mg.acme.example"}]}"#, 401, "Forbidden", "mg.acme.example"),
    ("mailchimp", 200, r#"{"account_id":"a1","account_name":"Acme","login_id":"l1"}"#, 401, r#"{"title":"API Key Invalid"}"#, "Acme (l1)"),
    ("npm", 200, r#"{"username":"acme-bot"}"#, 401, r#"{"error":"unauthorized"}"#, "acme-bot"),
    ("huggingface", 200, r#"{"name":"acme","auth":{"accessToken":{"role":"write"}}}"#, 401, r#"{"error":"Invalid credentials"}"#, "acme (write)"),
    ("digitalocean", 200, r#"{"account":{"email":"ops@acme.example","team":{"name":"Acme"}}}"#, 401, r#"{"id":"unauthorized"}"#, "ops@acme.example (Acme)"),
    ("datadog", 200, r#"{"valid":true}"#, 403, r#"{"errors":["Forbidden"]}"#, ""),
    ("discord-webhook", 200, r#"{"id":"1","name":"alerts","guild_id":"9","channel_id":"8"}"#, 404, r#"{"code":10015}"#, "alerts (guild 9, channel 8)"),
    ("discord-bot", 200, r#"{"id":"77","username":"acmebot"}"#, 401, r#"{"code":0}"#, "acmebot (77)"),
    ("telegram", 200, r#"{"ok":true,"result":{"id":1,"username":"acme_bot"}}"#, 401, r#"{"ok":false,"error_code":401}"#, "@acme_bot"),
    ("sentry", 200, r#"[{"slug":"acme"}]"#, 401, r#"{"detail":"Invalid token"}"#, "acme"),
    ("heroku", 200, r#"{"id":"u1","email":"dev@acme.example"}"#, 401, r#"{"id":"unauthorized"}"#, "dev@acme.example"),
    ("postman", 200, r#"{"user":{"username":"acme","email":"a@acme.example"}}"#, 401, r#"{"error":{"name":"AuthenticationError"}}"#, "acme (a@acme.example)"),
    ("linear", 200, r#"{"data":{"viewer":{"id":"v1","name":"Ada","email":"ada@acme.example"}}}"#, 400, r#"{"errors":[{"extensions":{"code":"AUTHENTICATION_ERROR"}}]}"#, "ada@acme.example"),
    ("doppler", 200, r#"{"name":"ci","type":"service_account","workplace":{"name":"Acme"}}"#, 401, r#"{"success":false}"#, "Acme: ci (service_account)"),
    ("shopify", 200, r#"{"shop":{"name":"Acme Shop","myshopify_domain":"acme-test.myshopify.com"}}"#, 401, r#"{"errors":"[API] Invalid API key"}"#, "Acme Shop (acme-test.myshopify.com)"),
];

/// A candidate for `verifier`'s first rule: a fresh fake secret, plus a companion where one is needed;
/// and the text the server must see for the request to be this candidate's.
fn candidate_for(v: &Verifier, rules: &RuleSet) -> (Candidate, String) {
    let rule = v.rules[0].clone();
    let fake = |id: &str| fake::fake_secret(rules.get(id).unwrap()).unwrap();
    let (secret, companion, marker) = match v.id.as_str() {
        "aws" => {
            let key_id = fake("aws-access-key-id");
            (fake(&rule), Some(key_id.clone()), key_id)
        }
        "gcp-service-account" => {
            let email = "svc@proj.iam.gserviceaccount.com".to_string();
            (
                gcp::tests::TEST_KEY.replace('\n', "\\n"),
                Some(email.clone()),
                email,
            )
        }
        "twilio" => {
            let secret = fake(&rule);
            (secret.clone(), Some(fake("twilio-account-sid")), secret)
        }
        "shopify" => {
            let secret = fake(&rule);
            (
                secret.clone(),
                Some("acme-test.myshopify.com".into()),
                secret,
            )
        }
        _ => {
            let secret = fake(&rule);
            // A secret that is a URL reaches the server as its path.
            let marker = match secret.strip_prefix("https://") {
                Some(rest) => rest[rest.find('/').unwrap()..].to_string(),
                None => secret.clone(),
            };
            (secret, None, marker)
        }
    };
    let c = Candidate {
        rule_id: rule,
        secret,
        companion,
        context: None,
    };
    (c, marker)
}

fn verify_one(verifiers: &Verifiers, rules: &RuleSet, c: &Candidate, base: &str) -> Verification {
    let mut out = verifiers
        .verify(rules, std::slice::from_ref(c), &options(base))
        .unwrap();
    out.remove(0)
}

#[test]
fn every_verifier_against_its_provider_played_locally() {
    let rules = RuleSet::builtin().unwrap();
    let verifiers = Verifiers::builtin().unwrap();
    assert!(verifiers.all().len() >= 25);
    for v in verifiers.all() {
        let row = PROVIDERS.iter().find(|p| p.0 == v.id);
        let &(_, live_status, live_body, bad_status, bad_body, identity) =
            row.unwrap_or_else(|| panic!("verifier {} has no row in PROVIDERS", v.id));
        let only = verifiers.select(std::slice::from_ref(&v.id), &[]).unwrap();
        let (c, marker) = candidate_for(v, &rules);
        let server = Server::start(|_| reply(500, ""));
        let is_real = move |s: &Seen| s.visible.contains(&marker);

        let real = is_real.clone();
        server.set(move |s| {
            if real(s) {
                reply(live_status, live_body)
            } else {
                reply(bad_status, bad_body)
            }
        });
        let r = verify_one(&only, &rules, &c, &server.base());
        assert_eq!(r.status, VerifyStatus::Live, "{}: {r:?}", v.id);
        assert_eq!(
            server.requests(),
            2,
            "{}: a control and the candidate",
            v.id
        );
        if !identity.is_empty() {
            assert!(
                r.identity.as_deref().unwrap_or("").contains(identity),
                "{}: {r:?}",
                v.id
            );
        }
        assert!(r.checked_at.is_some());

        server.set(move |_| reply(bad_status, bad_body));
        let r = verify_one(&only, &rules, &c, &server.base());
        assert_eq!(r.status, VerifyStatus::Invalid, "{}: {r:?}", v.id);

        server.set(|_| reply(429, r#"{"error":"slow down"}"#));
        let r = verify_one(&only, &rules, &c, &server.base());
        assert_eq!(r.status, VerifyStatus::Error, "{}: {r:?}", v.id);
        assert!(
            r.note.as_deref().unwrap().contains("rate limited"),
            "{}: {r:?}",
            v.id
        );

        let real = is_real.clone();
        server.set(move |s| {
            if real(s) {
                reply(live_status, "<html>oops")
            } else {
                reply(bad_status, bad_body)
            }
        });
        let r = verify_one(&only, &rules, &c, &server.base());
        assert_eq!(r.status, VerifyStatus::Error, "{}: {r:?}", v.id);
        assert!(
            r.note.as_deref().unwrap().contains("malformed"),
            "{}: {r:?}",
            v.id
        );
        let json = serde_json::to_string(&r).unwrap();
        assert!(!json.contains(&c.secret), "{}: secret in {json}", v.id);
    }
}

#[test]
fn a_verifier_that_calls_a_fake_live_is_not_trusted_and_gets_no_secret() {
    let rules = RuleSet::builtin().unwrap();
    let verifiers = Verifiers::builtin()
        .unwrap()
        .select(&["github".into()], &[])
        .unwrap();
    let (c, marker) = candidate_for(&verifiers.all()[0], &rules);
    let server = Server::start(|_| reply(200, r#"{"login":"anyone"}"#));
    let r = verify_one(&verifiers, &rules, &c, &server.base());
    assert_eq!(r.status, VerifyStatus::Unknown, "{r:?}");
    assert!(r.note.as_deref().unwrap().contains("fake live"), "{r:?}");
    let seen = server.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "only the control was sent");
    assert!(!seen[0].visible.contains(&marker));
}

#[test]
fn redirects_are_not_followed() {
    let rules = RuleSet::builtin().unwrap();
    let verifiers = Verifiers::builtin()
        .unwrap()
        .select(&["github".into()], &[])
        .unwrap();
    let (c, _) = candidate_for(&verifiers.all()[0], &rules);
    let elsewhere = Server::start(|_| reply(200, r#"{"login":"someone"}"#));
    let target = format!("{}/user", elsewhere.base());
    let server = Server::start(move |_| Reply {
        status: 302,
        body: String::new(),
        headers: vec![("Location".into(), target.clone())],
    });
    let r = verify_one(&verifiers, &rules, &c, &server.base());
    assert_eq!(r.status, VerifyStatus::Error, "{r:?}");
    assert!(r.note.as_deref().unwrap().contains("redirect"), "{r:?}");
    assert_eq!(elsewhere.requests(), 0, "the redirect target was contacted");
}

#[test]
fn private_addresses_are_refused_unless_allowed() {
    let rules = RuleSet::builtin().unwrap();
    let verifiers = Verifiers::builtin()
        .unwrap()
        .select(&["github".into()], &[])
        .unwrap();
    let (c, _) = candidate_for(&verifiers.all()[0], &rules);
    let server = Server::start(|_| reply(401, "{}"));
    let mut opts = options(&server.base());
    opts.net.allow_private = false;
    let r = verifiers
        .verify(&rules, std::slice::from_ref(&c), &opts)
        .unwrap()
        .remove(0);
    assert_eq!(r.status, VerifyStatus::Error, "{r:?}");
    assert!(
        r.note.as_deref().unwrap().contains("non-public address"),
        "{r:?}"
    );
    assert_eq!(server.requests(), 0, "a loopback address was contacted");
}

#[test]
fn requests_go_only_to_the_hosts_a_verifier_names() {
    let rules = RuleSet::builtin().unwrap();
    let verifiers = Verifiers::builtin().unwrap();
    // Every request is answered "invalid": only the negative control may arrive.
    let server = Server::start(|_| reply(404, "no_service"));
    let c = Candidate {
        rule_id: "slack-incoming-webhook".into(),
        secret: "https://hooks.slack.com.evil.example/services/T0ABCDEFG/B0ABCDEFG/abcdefghijklmnopqrstuvwx".into(),
        ..Candidate::default()
    };
    let r = verify_one(&verifiers, &rules, &c, &server.base());
    assert_eq!(r.status, VerifyStatus::Error, "{r:?}");
    assert!(
        r.note.as_deref().unwrap().contains("does not name"),
        "{r:?}"
    );
    assert_eq!(server.requests(), 1, "only the negative control");
}

#[test]
fn missing_companions_and_unknown_rules_are_unknown_without_a_request() {
    let rules = RuleSet::builtin().unwrap();
    let verifiers = Verifiers::builtin().unwrap();
    let server = Server::start(|_| reply(200, "{}"));
    let twilio = Candidate {
        rule_id: "twilio-auth-token".into(),
        secret: "0123456789abcdef0123456789abcdef".into(),
        ..Candidate::default()
    };
    let other = Candidate {
        rule_id: "generic-password".into(),
        secret: "hunter2hunter2".into(),
        ..Candidate::default()
    };
    let out = verifiers
        .verify(&rules, &[twilio, other], &options(&server.base()))
        .unwrap();
    assert_eq!(out[0].status, VerifyStatus::Unknown);
    assert!(
        out[0].note.as_deref().unwrap().contains("Account SID"),
        "{:?}",
        out[0]
    );
    assert_eq!(out[1].status, VerifyStatus::Unknown);
    assert_eq!(out[1].verifier, None);
    assert_eq!(server.requests(), 0);
}

#[test]
fn a_companion_is_found_in_the_context_and_equal_candidates_are_sent_once() {
    let rules = RuleSet::builtin().unwrap();
    let verifiers = Verifiers::builtin().unwrap();
    let secret = fake::fake_secret(rules.get("shopify-access-token").unwrap()).unwrap();
    let server = Server::start({
        let secret = secret.clone();
        move |s| {
            if s.visible.contains(&secret) {
                reply(200, r#"{"shop":{"name":"S"}}"#)
            } else {
                reply(401, "{}")
            }
        }
    });
    let c = Candidate {
        rule_id: "shopify-access-token".into(),
        secret,
        companion: None,
        context: Some("SHOP=acme-test.myshopify.com\nTOKEN=...".into()),
    };
    let out = verifiers
        .verify(&rules, &[c.clone(), c], &options(&server.base()))
        .unwrap();
    assert_eq!(out[0].status, VerifyStatus::Live, "{:?}", out[0]);
    assert_eq!(out[0], out[1]);
    assert_eq!(server.requests(), 2, "one control, one check");
}

#[test]
fn every_verifier_rule_exists_and_has_a_negative_control() {
    let rules = RuleSet::builtin().unwrap();
    let verifiers = Verifiers::builtin().unwrap();
    for v in verifiers.all() {
        for id in v
            .rules
            .iter()
            .chain(v.companion.iter().flat_map(|c| &c.rules))
        {
            let rule = rules
                .get(id)
                .unwrap_or_else(|| panic!("{}: unknown rule {id}", v.id));
            if v.kind != Kind::GcpJwt {
                assert!(
                    fake::fake_secret(rule).is_some(),
                    "{}: no fake for {id}",
                    v.id
                );
            }
        }
    }
}

#[test]
fn a_companion_in_the_text_is_the_nearest_one_within_reach() {
    let pattern = Regex::new(r"\b(AC[0-9a-f]{4})\b").unwrap();
    let text = "AC1111\n\n\n\n\n\nAC2222\nTOKEN=s3cr3t\nAC3333\n";
    assert_eq!(
        nearest_match(&pattern, text, "s3cr3t", 5).as_deref(),
        Some("AC2222")
    );
    let far = "AC1111\n\n\n\n\n\n\nTOKEN=s3cr3t\n";
    assert_eq!(nearest_match(&pattern, far, "s3cr3t", 5), None);
    // Found decoded: the secret is not in the text, any match counts.
    assert_eq!(
        nearest_match(&pattern, far, "elsewhere", 5).as_deref(),
        Some("AC1111")
    );
}
