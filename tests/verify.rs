//! `--verify` end to end: the binary scans a tree, sends its secrets to providers played by a local
//! server on 127.0.0.1 (through the hidden test endpoint flag), and reports what they said; the exit
//! policy, the proof-of-concept commands, provider selection; and, under strace, that a scan without
//! `--verify` opens no network socket at all.

use std::process::Command;

use crate::util::http_server::{reply, Seen, Server};
use crate::util::{github_token, random_token, TestDir};

const UPPER32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+";

/// A tree with a GitHub token and an AWS key pair; the values the server must recognise.
struct Planted {
    dir: TestDir,
    github: String,
    aws_key_id: String,
    aws_secret: String,
}

fn planted(seed: u64) -> Planted {
    let dir = TestDir::new();
    let github = github_token(seed);
    let aws_key_id = format!("AKIA{}", random_token(seed + 1, 16, UPPER32));
    let aws_secret = random_token(seed + 2, 40, B64);
    dir.write("deploy.env", format!("GITHUB_TOKEN={github}\n"));
    dir.write(
        "aws/credentials",
        format!(
            "[default]\naws_access_key_id = {aws_key_id}\naws_secret_access_key = {aws_secret}\n"
        ),
    );
    Planted {
        dir,
        github,
        aws_key_id,
        aws_secret,
    }
}

/// GitHub and STS as the providers would answer: live for the planted values, invalid otherwise.
fn providers(
    p: &Planted,
) -> impl Fn(&Seen) -> crate::util::http_server::Reply + Send + Sync + 'static {
    let (github, key_id) = (p.github.clone(), p.aws_key_id.clone());
    move |s: &Seen| {
        if s.visible.starts_with("GET /user") {
            if s.visible.contains(&github) {
                reply(200, r#"{"login":"octocat"}"#)
            } else {
                reply(401, r#"{"message":"Bad credentials"}"#)
            }
        } else if s.visible.contains(&format!("Credential={key_id}/")) {
            reply(200, "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/deploy</Arn></GetCallerIdentityResult></GetCallerIdentityResponse>")
        } else {
            reply(
                403,
                "<ErrorResponse><Error><Code>InvalidClientTokenId</Code></Error></ErrorResponse>",
            )
        }
    }
}

fn verify_args<'a>(server: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "scan",
        "dir",
        ".",
        "--verify",
        "--verify-endpoint-override",
        server,
    ];
    args.extend_from_slice(extra);
    args
}

fn status_of<'a>(doc: &'a serde_json::Value, rule: &str) -> &'a serde_json::Value {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == rule)
        .unwrap_or_else(|| panic!("no {rule} finding in {doc}"))
        .get("verification")
        .expect("verification")
}

#[test]
fn live_secrets_are_reported_with_who_owns_them() {
    let p = planted(11);
    let server = Server::start(providers(&p));
    let base = server.base();
    let run = p.dir.cmd(&verify_args(&base, &["--format", "json"])).run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let doc = run.json();
    let gh = status_of(&doc, "github-pat-classic");
    assert_eq!(gh["status"], "live", "{gh}");
    assert_eq!(gh["identity"], "octocat");
    assert_eq!(gh["verifier"], "github");
    assert!(gh["checked_at"].as_str().unwrap().ends_with("+00:00"));
    for rule in ["aws-access-key-id", "aws-secret-access-key-near-key-id"] {
        let v = status_of(&doc, rule);
        assert_eq!(v["status"], "live", "{rule}: {v}");
        assert_eq!(v["identity"], "arn:aws:iam::123456789012:user/deploy");
    }
    // A negative control per verifier and format, then each distinct secret once: the AWS pair is
    // one check although it is two findings.
    assert_eq!(server.requests(), 4);
    assert!(
        run.stderr().contains("verified 3 findings: 3 live"),
        "{}",
        run.stderr()
    );
    let out = run.stdout();
    assert!(!out.contains(&p.github) && !out.contains(&p.aws_secret));
}

#[test]
fn text_marks_live_findings_and_sarif_carries_the_verdict() {
    let p = planted(12);
    let server = Server::start(providers(&p));
    let base = server.base();
    let text = p.dir.cmd(&verify_args(&base, &["--color", "never"])).run();
    assert!(
        text.stdout().contains("LIVE Finding: GitHub"),
        "{}",
        text.stdout()
    );
    assert!(
        text.stdout()
            .contains("Verified:    LIVE: octocat (github, checked "),
        "{}",
        text.stdout()
    );
    let sarif = p.dir.cmd(&verify_args(&base, &["--format", "sarif"])).run();
    let doc = sarif.json();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let gh = results
        .iter()
        .find(|r| r["ruleId"] == "github-pat-classic")
        .unwrap();
    assert_eq!(gh["properties"]["verification"]["status"], "live");
    assert!(gh["message"]["text"].as_str().unwrap().starts_with("LIVE "));
}

#[test]
fn fail_on_live_gates_only_on_live_secrets_and_errors_still_fail() {
    let p = planted(13);
    let server = Server::start(providers(&p));
    let base = server.base();
    let live = p
        .dir
        .cmd(&verify_args(&base, &["--fail-on", "live", "-q"]))
        .run();
    assert_eq!(live.code(), 1);

    server.set(|s: &Seen| {
        if s.visible.starts_with("GET /user") {
            reply(401, "{}")
        } else {
            reply(403, "InvalidClientTokenId")
        }
    });
    let revoked = p
        .dir
        .cmd(&verify_args(
            &base,
            &["--fail-on", "live", "--format", "json"],
        ))
        .run();
    assert_eq!(
        revoked.code(),
        0,
        "findings, none live: {}",
        revoked.stderr()
    );
    assert_eq!(
        status_of(&revoked.json(), "github-pat-classic")["status"],
        "invalid"
    );
    let any = p.dir.cmd(&verify_args(&base, &["-q"])).run();
    assert_eq!(
        any.code(),
        1,
        "--fail-on any (the default) still fails on every finding"
    );

    server.set(|_: &Seen| reply(503, "down"));
    let down = p
        .dir
        .cmd(&verify_args(&base, &["--fail-on", "live", "-q"]))
        .run();
    assert_eq!(
        down.code(),
        2,
        "a check that failed could hide a live secret"
    );

    let unasked = p.dir.cmd(&["scan", "dir", ".", "--fail-on", "live"]).run();
    assert_eq!(unasked.code(), 2);
    assert!(
        unasked.stderr().contains("needs --verify"),
        "{}",
        unasked.stderr()
    );
}

#[test]
fn poc_commands_redact_unless_secrets_are_shown() {
    let p = planted(14);
    let server = Server::start(providers(&p));
    let base = server.base();
    let run = p
        .dir
        .cmd(&verify_args(&base, &["--verify-poc", "-q"]))
        .run();
    let err = run.stderr();
    assert!(
        err.contains("keyhound: live: deploy.env:1 [github-pat-classic]"),
        "{err}"
    );
    assert!(err.contains("curl -sS -X GET -H 'Accept: application/vnd.github+json' -H 'Authorization: Bearer ghp_***'"), "{err}");
    assert!(err.contains(" 'https://api.github.com/user'"), "{err}");
    assert!(err.contains("--aws-sigv4 'aws:amz:us-east-1:sts'"), "{err}");
    assert!(
        !err.contains(&p.github) && !err.contains(&p.aws_secret),
        "{err}"
    );
    let shown = p
        .dir
        .cmd(&verify_args(
            &base,
            &["--verify-poc", "-q", "--show-secrets"],
        ))
        .run();
    assert!(shown.stderr().contains(&format!("Bearer {}", p.github)));
}

#[test]
fn only_the_chosen_providers_are_asked() {
    let p = planted(15);
    let server = Server::start(providers(&p));
    let base = server.base();
    let run = p
        .dir
        .cmd(&[
            "scan",
            "dir",
            ".",
            "--verify-only",
            "aws",
            "--verify-endpoint-override",
            &base,
            "--format",
            "json",
        ])
        .run();
    let doc = run.json();
    assert_eq!(
        status_of(&doc, "aws-secret-access-key-near-key-id")["status"],
        "live"
    );
    let gh = status_of(&doc, "github-pat-classic");
    assert_eq!(gh["status"], "unknown");
    assert!(gh["note"].as_str().unwrap().contains("no verifier"), "{gh}");
    assert!(server
        .seen
        .lock()
        .unwrap()
        .iter()
        .all(|s| !s.visible.contains("/user")));

    let none = p
        .dir
        .cmd(&verify_args(
            &base,
            &["--no-verify-provider", "github,aws", "-q"],
        ))
        .run();
    assert_eq!(none.code(), 1);
    let bad = p
        .dir
        .cmd(&verify_args(&base, &["--verify-only", "nosuch"]))
        .run();
    assert_eq!(bad.code(), 2);
    assert!(
        bad.stderr().contains("unknown verifier `nosuch`"),
        "{}",
        bad.stderr()
    );
}

#[test]
fn verifiers_lists_every_endpoint_and_what_is_sent() {
    let dir = TestDir::new();
    let run = dir.cmd(&["verifiers", "--format", "json"]).run();
    assert_eq!(run.code(), 0);
    let list = run.json();
    let list = list.as_array().unwrap();
    assert!(list.len() >= 25);
    let gh = list.iter().find(|v| v["id"] == "github").unwrap();
    assert_eq!(gh["hosts"][0], "api.github.com");
    assert_eq!(gh["sends"][0], "GET https://api.github.com/user");
    assert!(gh["sends"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l == "Authorization: Bearer {secret}"));
    let text = dir.cmd(&["verifiers"]).run().stdout();
    assert!(
        text.contains("sends:    POST https://sts.amazonaws.com/"),
        "{text}"
    );
}

/// Runs keyhound under `strace -f`, recording every `socket` and `connect` call; returns the trace.
fn syscalls(dir: &TestDir, args: &[&str]) -> String {
    let trace = dir.path().join("trace.txt");
    let status = Command::new("strace")
        .args(["-f", "-e", "trace=socket,connect", "-o"])
        .arg(&trace)
        .arg(env!("CARGO_BIN_EXE_keyhound"))
        .args(args)
        .current_dir(dir.path())
        .output()
        .expect("strace is needed for this test (apt-get install strace; .ci/run installs it)");
    assert!(status.status.code().is_some());
    let text = std::fs::read_to_string(&trace).unwrap();
    std::fs::remove_file(&trace).unwrap();
    text
}

#[test]
fn without_verify_no_network_socket_is_opened() {
    let p = planted(16);
    let quiet = syscalls(&p.dir, &["scan", "dir", ".", "--format", "json"]);
    assert!(
        quiet.contains("exited with 1"),
        "the scan ran and found the secrets: {quiet}"
    );
    for family in ["AF_INET", "AF_INET6", "AF_NETLINK", "AF_PACKET"] {
        assert!(
            !quiet.contains(family),
            "a {family} socket without --verify:\n{quiet}"
        );
    }
    // The same trace does see the sockets that --verify opens, so the check above can fail.
    let server = Server::start(providers(&p));
    let loud = syscalls(&p.dir, &verify_args(&server.base(), &["-q"]));
    assert!(loud.contains("socket(AF_INET"), "{loud}");
}

#[test]
fn pairs_are_completed_from_the_scan_gcp_twilio_and_shopify() {
    let dir = TestDir::new();
    let key =
        std::fs::read_to_string(crate::util::fixtures().join("verify/gcp-test-key.pem")).unwrap();
    let sa = serde_json::json!({
        "type": "service_account", "project_id": "proj", "private_key_id": "k1",
        "private_key": key, "client_email": "svc@proj.iam.gserviceaccount.com", "client_id": "1",
    });
    dir.write("sa.json", serde_json::to_string_pretty(&sa).unwrap());
    let sid = format!("AC{}", random_token(21, 32, b"0123456789abcdef"));
    let token = random_token(22, 32, b"0123456789abcdef");
    dir.write(
        "twilio.env",
        format!("TWILIO_ACCOUNT_SID={sid}\nTWILIO_AUTH_TOKEN={token}\n"),
    );
    let shopify = format!("shpat_{}", random_token(23, 32, b"0123456789abcdef"));
    dir.write(
        "shop.env",
        format!("SHOPIFY_SHOP=acme-test.myshopify.com\nSHOPIFY_TOKEN={shopify}\n"),
    );
    let (sid2, token2, shopify2) = (sid.clone(), token.clone(), shopify.clone());
    let server = Server::start(move |s: &Seen| {
        let v = &s.visible;
        if v.starts_with("POST /token") {
            // The JWT's claims are decoded into `visible`: the email came from the key file.
            if v.contains("\"iss\":\"svc@proj.iam.gserviceaccount.com\"") {
                reply(200, r#"{"access_token":"ya29.x","token_type":"Bearer"}"#)
            } else {
                reply(400, r#"{"error":"invalid_grant"}"#)
            }
        } else if v.starts_with(&format!("GET /2010-04-01/Accounts/{sid2}.json"))
            && v.contains(&format!("{sid2}:{token2}"))
        {
            reply(
                200,
                r#"{"sid":"AC","friendly_name":"Acme","status":"active"}"#,
            )
        } else if v.starts_with("GET /admin/api/") && v.contains(&shopify2) {
            reply(
                200,
                r#"{"shop":{"name":"Acme Shop","myshopify_domain":"acme-test.myshopify.com"}}"#,
            )
        } else {
            reply(401, "{}")
        }
    });
    let base = server.base();
    let run = dir.cmd(&verify_args(&base, &["--format", "json"])).run();
    let doc = run.json();
    let gcp = status_of(&doc, "gcp-service-account-private-key");
    assert_eq!(gcp["status"], "live", "{gcp}");
    assert_eq!(gcp["identity"], "svc@proj.iam.gserviceaccount.com");
    let twilio = status_of(&doc, "twilio-auth-token-near-account-sid");
    assert_eq!(twilio["status"], "live", "{twilio}");
    assert!(
        twilio["identity"].as_str().unwrap().starts_with("Acme"),
        "{twilio}"
    );
    let shop = status_of(&doc, "shopify-access-token");
    assert_eq!(shop["status"], "live", "{shop}");
    assert_eq!(shop["identity"], "Acme Shop (acme-test.myshopify.com)");
    let out = run.stdout();
    assert!(!out.contains(&token) && !out.contains(&shopify) && !out.contains("BEGIN PRIVATE KEY"));
}

#[test]
fn the_readme_table_lists_every_verifier_with_its_endpoint() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let rows: Vec<(String, String)> = readme
        .lines()
        .filter(|l| l.starts_with("| `"))
        .filter_map(|l| {
            let cells: Vec<&str> = l.split(" | ").collect();
            let endpoint = cells.get(2)?.trim_matches('`');
            Some((
                cells[0]
                    .trim_start_matches("| ")
                    .trim_matches('`')
                    .to_string(),
                endpoint.to_string(),
            ))
        })
        .filter(|(_, endpoint)| endpoint.starts_with("GET ") || endpoint.starts_with("POST "))
        .collect();
    let listed = TestDir::new()
        .cmd(&["verifiers", "--format", "json"])
        .run()
        .json();
    let listed: Vec<(String, String)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["id"].as_str().unwrap().to_string(),
                v["sends"][0].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        rows, listed,
        "README's verifier table differs from `keyhound verifiers`"
    );
}
