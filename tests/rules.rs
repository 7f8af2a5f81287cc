//! Every built-in rule carries its own examples; this test runs all of them, and checks that the embedded
//! list of rule files is exactly the contents of `rules/`.

use keyhound::engine::{selftest, Engine};
use keyhound::rules::builtin::BUILTIN_RULE_FILES;
use keyhound::rules::RuleSet;

#[test]
fn every_rule_example_passes() {
    let rules = RuleSet::builtin().expect("built-in rules load");
    let engine = Engine::new(rules);
    let problems = selftest::check_examples(&engine);
    let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert!(
        text.is_empty(),
        "{} problem(s):\n{}",
        text.len(),
        text.join("\n")
    );
}

#[test]
fn every_rule_file_is_embedded() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    on_disk.sort();
    let mut embedded: Vec<String> = BUILTIN_RULE_FILES
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    embedded.sort();
    assert_eq!(
        embedded, on_disk,
        "src/rules/builtin.rs must list every file in rules/"
    );
    for (name, text) in BUILTIN_RULE_FILES {
        assert_eq!(
            *text,
            std::fs::read_to_string(dir.join(name)).unwrap(),
            "{name} is stale"
        );
    }
}

#[test]
fn rule_set_is_broad() {
    let rules = RuleSet::builtin().unwrap();
    assert!(rules.len() >= 300, "only {} rules", rules.len());
    // the providers the foundation issue names, by a rule id prefix each
    for prefix in [
        "aws-",
        "gcp-",
        "azure-",
        "github-",
        "gitlab-",
        "bitbucket-",
        "slack-",
        "stripe-",
        "paypal-",
        "square-",
        "shopify-",
        "twilio-",
        "sendgrid-",
        "mailgun-",
        "mailchimp-",
        "openai-",
        "anthropic-",
        "huggingface-",
        "npm-",
        "pypi-",
        "rubygems-",
        "nuget-",
        "docker",
        "heroku-",
        "digitalocean-",
        "linode-",
        "cloudflare-",
        "fastly-",
        "datadog-",
        "newrelic-",
        "sentry-",
        "pagerduty-",
        "atlassian-",
        "linear-",
        "notion-",
        "asana-",
        "discord-",
        "telegram-",
        "twitter-",
        "facebook-",
        "okta-",
        "auth0-",
        "vault-",
        "terraform-",
        "doppler-",
        "pulumi-",
        "1password-",
        "databricks-",
        "snowflake-",
        "supabase-",
        "firebase-",
        "postman-",
        "private-key",
        "postgres",
        "mysql",
        "mongodb",
        "redis",
        "amqp",
        "generic-",
    ] {
        assert!(
            rules.rules().iter().any(|r| r.id.starts_with(prefix)),
            "no rule id starts with `{prefix}`"
        );
    }
}

#[test]
fn every_rule_is_in_the_rules_readme_table() {
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/README.md"),
    )
    .unwrap();
    let rules = RuleSet::builtin().unwrap();
    let missing: Vec<&str> = rules
        .rules()
        .iter()
        .map(|r| r.id.as_str())
        .filter(|id| !readme.contains(&format!("`{id}`")))
        .collect();
    assert!(missing.is_empty(), "not in rules/README.md: {missing:?}");
}
