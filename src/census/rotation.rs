//! Where to rotate each provider's secrets: `rules/rotate/providers.toml`, embedded and parsed once.
//! Every built-in rule belongs to exactly one provider there (`cargo test --test rules` checks it).

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;

/// The embedded rotation data.
pub const PROVIDERS_TOML: &str = include_str!("../../rules/rotate/providers.toml");

/// One provider: its name, the rules whose secrets it issues, where and how to rotate them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    /// The provider's name.
    pub name: String,
    /// Rule ids of its secrets.
    pub rules: Vec<String>,
    /// Where and how to rotate (console path, command).
    pub rotate: String,
    /// The console's address, where one is known.
    #[serde(default)]
    pub console: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProvidersFile {
    provider: Vec<Provider>,
}

static PROVIDERS: LazyLock<Vec<Provider>> = LazyLock::new(|| {
    toml::from_str::<ProvidersFile>(PROVIDERS_TOML)
        .expect("rules/rotate/providers.toml parses (checked by tests)")
        .provider
});

static BY_RULE: LazyLock<HashMap<&'static str, &'static Provider>> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for p in PROVIDERS.iter() {
        for r in &p.rules {
            map.insert(r.as_str(), p);
        }
    }
    map
});

/// Every provider, in file order.
pub fn providers() -> &'static [Provider] {
    &PROVIDERS
}

/// The provider of rule `rule_id`, if the rotation data names one.
pub fn provider(rule_id: &str) -> Option<&'static Provider> {
    BY_RULE.get(rule_id).copied()
}
