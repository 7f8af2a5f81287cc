//! Configuration: the user's word on their repository. `.keyhound.toml` adds rules, disables rules and
//! sets a scan-wide allowlist and per-rule allowlists; a `.gitleaks.toml` is imported instead when there is
//! no keyhound config. [`discover`] decides which files apply to a scan and resolves them into the rule
//! set and the [`Suppressor`](crate::suppress::Suppressor); [`file`] reads and applies one file;
//! [`syntax`] is the file as written; [`gitleaks`] converts gitleaks' format; [`trust`] decides where each
//! kind of scan reads configuration from (a range's base, `HEAD`, the working tree) and reports changes
//! to it.
//!
//! ```toml
//! disabled_rules = ["generic-password"]
//! [allowlist]                       # whole scan
//! paths = ['''(^|/)testdata/''']
//! regexes = ['''^AKIA.*TEST$''']
//! stopwords = ["localdev"]
//! [rule_allowlists.github-pat-classic]
//! paths = ['''^docs/''']
//! [[rule]]                          # same format as rules/*.toml
//! id = "acme-internal-token"
//! ...
//! ```
//!
//! Imports: `error`, `rules`, `sources`, `finding`, `suppress`, `outcome`. Inside, imports run one way:
//! `syntax` ← `gitleaks` ← `file` ← `discover` ← `trust`; this file only lists and re-exports them.

pub mod discover;
pub mod file;
pub mod gitleaks;
pub mod syntax;
pub mod trust;

pub use discover::{
    resolve, ConfigRequest, ConfigStore, Resolved, WorkTree, DEFAULT_CONFIG_NAME,
    DEFAULT_IGNORE_NAME, GITLEAKS_CONFIG_NAME, GITLEAKS_IGNORE_NAME,
};
pub use file::Config;
pub use syntax::ConfigSyntax;
