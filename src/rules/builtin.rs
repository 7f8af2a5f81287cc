//! The built-in rule files, embedded in the binary. The list is explicit so that adding a file is a
//! visible change; `tests/rules.rs` checks that it names every file in `rules/`.

/// `(file name, contents)` of every built-in rule file.
pub const BUILTIN_RULE_FILES: &[(&str, &str)] = &[
    ("ai.toml", include_str!("../../rules/ai.toml")),
    ("atlassian.toml", include_str!("../../rules/atlassian.toml")),
    ("aws.toml", include_str!("../../rules/aws.toml")),
    ("azure.toml", include_str!("../../rules/azure.toml")),
    ("chat.toml", include_str!("../../rules/chat.toml")),
    ("ci.toml", include_str!("../../rules/ci.toml")),
    ("cloud.toml", include_str!("../../rules/cloud.toml")),
    ("credfiles.toml", include_str!("../../rules/credfiles.toml")),
    ("data.toml", include_str!("../../rules/data.toml")),
    ("databases.toml", include_str!("../../rules/databases.toml")),
    ("files.toml", include_str!("../../rules/files.toml")),
    (
        "frameworks.toml",
        include_str!("../../rules/frameworks.toml"),
    ),
    ("gcp.toml", include_str!("../../rules/gcp.toml")),
    ("generic.toml", include_str!("../../rules/generic.toml")),
    ("github.toml", include_str!("../../rules/github.toml")),
    ("gitlab.toml", include_str!("../../rules/gitlab.toml")),
    ("identity.toml", include_str!("../../rules/identity.toml")),
    (
        "keymaterial.toml",
        include_str!("../../rules/keymaterial.toml"),
    ),
    ("keys.toml", include_str!("../../rules/keys.toml")),
    ("messaging.toml", include_str!("../../rules/messaging.toml")),
    (
        "observability.toml",
        include_str!("../../rules/observability.toml"),
    ),
    ("paas.toml", include_str!("../../rules/paas.toml")),
    ("payments.toml", include_str!("../../rules/payments.toml")),
    (
        "registries.toml",
        include_str!("../../rules/registries.toml"),
    ),
    ("saas.toml", include_str!("../../rules/saas.toml")),
    (
        "secretsmanagers.toml",
        include_str!("../../rules/secretsmanagers.toml"),
    ),
    ("social.toml", include_str!("../../rules/social.toml")),
    ("support.toml", include_str!("../../rules/support.toml")),
];
