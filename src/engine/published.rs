//! Credentials that are published on purpose: providers' documentation samples and vendors' local
//! development keys. They are the same on every machine and grant nothing, so a match of one is dropped
//! (with [`lookup`] naming where it comes from) instead of being reported as a leak.
//!
//! The list is data: add a value with the page or product that publishes it. Values are compared whole
//! and exactly; a look-alike with one character changed is somebody's real key.

/// `(value, where it is published)`.
const PUBLISHED: &[(&str, &str)] = &[
    // Stripe API reference: the test-mode keys shown to signed-out readers
    ("sk_test_4eC39HqLyjWDarjtT1zdp7dc", "Stripe API documentation"),
    ("pk_test_TYooMQauvdEDq54NiTphI7jx", "Stripe API documentation"),
    ("sk_test_BQokikJOvBiI2HlWgH4olfQ2", "Stripe API documentation (older)"),
    // jwt.io debugger's default token (HS256, secret `your-256-bit-secret`)
    (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        "jwt.io example token",
    ),
    // AWS documentation's example credentials
    ("AKIAIOSFODNN7EXAMPLE", "AWS documentation"),
    ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS documentation"),
    ("AKIAI44QH8DHBEXAMPLE", "AWS documentation"),
    ("je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY", "AWS documentation"),
    // Azurite / Azure Storage Emulator account key for devstoreaccount1
    (
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
        "Azure Storage emulator (Azurite) development key",
    ),
    // MinIO's public playground server play.min.io: the `play` alias preconfigured in the mc client
    ("Q3AM3UQ867SPQQA43P2F", "MinIO play server (mc's preconfigured play alias)"),
    (
        "zuf+tfteSlswRu7BJ86wekitnifILbZam1KYY3TG",
        "MinIO play server (mc's preconfigured play alias)",
    ),
    // Google reCAPTCHA v2 FAQ: the test key pair that always passes verification
    (
        "6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe",
        "reCAPTCHA documentation (test secret key)",
    ),
    // Supabase CLI: the local development stack's secret key, the same in every `supabase start`
    (
        "sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz",
        "Supabase CLI local development key",
    ),
    // Azure Cosmos DB emulator's well-known account key
    (
        "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==",
        "Azure Cosmos DB emulator key",
    ),
];

/// Where `secret` is published, when it is a published sample or development credential.
pub fn lookup(secret: &[u8]) -> Option<&'static str> {
    PUBLISHED
        .iter()
        .find(|(value, _)| value.as_bytes() == secret)
        .map(|(_, source)| *source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_values_are_known_and_look_alikes_are_not() {
        assert_eq!(
            lookup(b"sk_test_4eC39HqLyjWDarjtT1zdp7dc"),
            Some("Stripe API documentation")
        );
        assert!(lookup(b"sk_test_4eC39HqLyjWDarjtT1zdp7dd").is_none());
        assert!(lookup(b"").is_none());
        assert!(lookup(b"zuf+tfteSlswRu7BJ86wekitnifILbZam1KYY3TG").is_some());
    }
}
