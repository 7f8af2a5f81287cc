//! Issue 8 end to end: passwords in real config files whatever their strength (weak ones under their own
//! rule ids), credential groups with their parts as related locations, literals parsed rather than
//! guessed (punctuation, JSON-escaped notebook cells, a bare value ending a log line), framework secret
//! keys, and the look-alikes that must stay quiet.

use crate::util::{github_token_from, random_token, Run, TestDir, ALNUM};

fn sorted(run: &Run) -> Vec<String> {
    let mut found: Vec<String> = run
        .findings()
        .into_iter()
        .map(|(p, l, r)| format!("{p}:{l} {r}"))
        .collect();
    found.sort();
    found
}

const PUNCT: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&()*+-/:;<=>?@[]^_{|}~";

#[test]
fn weak_passwords_count_in_config_files_but_not_in_tests_docs_or_translations() {
    let dir = TestDir::new();
    let strong = random_token(801, 16, ALNUM);
    dir.write(
        "app/.env",
        format!(
            "DB_PASSWORD=admin123\nREDIS_PASSWORD=hunter22\nMAIL_PASSWORD=Summer2023!\n\
             POSTGRES_PASSWORD=postgres\nSMTP_PASSWORD=${{SMTP_PASSWORD}}\nAPI_PASSWORD={strong}\n"
        ),
    );
    dir.write(
        "app/db.py",
        "DB_PASS = 'letmein99'\npassword = request.form['password']\n",
    );
    dir.write("tests/fixtures/app.env", "DB_PASSWORD=admin123\n");
    dir.write(
        "docs/setup.md",
        "Set `password: hunter22` in your config.\n",
    );
    dir.write("config/locales/de.yml", "de:\n  password: Passwort\n");
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    assert_eq!(
        sorted(&run),
        vec![
            "app/.env:1 weak-password-config",
            "app/.env:2 weak-password-config",
            "app/.env:3 weak-password-config",
            "app/.env:6 dotenv-secret",
            "app/db.py:1 weak-password",
        ],
        "{}",
        run.stdout()
    );
    // the report says why a word-made value was kept
    let text = dir.cmd(&["scan", "dir", "app"]).run();
    assert!(text.stdout().contains("Weak password"), "{}", text.stdout());
    assert!(!text.stdout().contains("hunter22"));
}

#[test]
fn host_user_and_password_together_are_one_credential_with_related_parts() {
    let dir = TestDir::new();
    dir.write(
        "web/db.js",
        "var pg_host = \"10.0.3.17\";\nvar pg_user = \"webuser\";\nvar pg_pass=\"sup3rstr0ngpass1ForGG\";\n",
    );
    dir.write("web/other.js", "var pg_pass=\"sup3rstr0ngpass1ForGG\";\n");
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    assert_eq!(
        sorted(&run),
        vec![
            "web/db.js:3 credential-group",
            "web/other.js:1 weak-password"
        ],
        "{}",
        run.stdout()
    );
    let doc = run.json();
    let group = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "credential-group")
        .unwrap()
        .clone();
    assert_eq!(group["confidence"], "medium");
    assert_eq!(group["related"]["rule_id"], "credential-host");
    assert_eq!(group["related"]["line"], 1);
    assert_eq!(group["also_related"][0]["rule_id"], "credential-user");
    assert_eq!(group["also_related"][0]["line"], 2);
    let text = dir.cmd(&["scan", "dir", "web/db.js"]).run();
    assert_eq!(
        text.stdout().matches("Paired with:").count(),
        2,
        "{}",
        text.stdout()
    );
}

#[test]
fn punctuated_and_escaped_literals_are_read_whole() {
    let dir = TestDir::new();
    let django = random_token(
        802,
        50,
        b"abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)",
    );
    let smtp = random_token(803, 16, PUNCT).replace(['"', '\\'], "x");
    let logged = random_token(804, 14, ALNUM);
    dir.write("mysite/settings.py", format!("SECRET_KEY = '{django}'\n"));
    dir.write(
        "notebooks/report.ipynb",
        format!("{{\"cells\": [{{\"source\": [\n    \"SMTP_PASSWORD = \\\"{smtp}\\\"\\n\",\n    \"x = 1\"\n]}}]}}\n"),
    );
    dir.write(
        "logs/worker.log",
        format!("10:12:02 DEBUG connecting to db.internal (password={logged}!)\n"),
    );
    let run = dir
        .cmd(&["scan", "dir", ".", "--format", "json", "--show-secrets"])
        .run();
    assert_eq!(
        sorted(&run),
        vec![
            "logs/worker.log:1 generic-password",
            "mysite/settings.py:1 django-secret-key",
            "notebooks/report.ipynb:2 generic-password",
        ],
        "{}",
        run.stdout()
    );
    let doc = run.json();
    let secrets: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["secret"].as_str().unwrap())
        .collect();
    assert!(secrets.contains(&django.as_str()));
    assert!(secrets.contains(&smtp.as_str()));
    assert!(
        secrets.contains(&format!("{logged}!").as_str()),
        "{secrets:?}"
    );
}

#[test]
fn look_alikes_stay_quiet_and_checksummed_tokens_are_never_placeholders() {
    let dir = TestDir::new();
    // a checksum-valid token that happens to spell `Todo`
    let body = format!(
        "{}Todo{}",
        random_token(805, 9, ALNUM),
        random_token(806, 17, ALNUM)
    );
    let token = github_token_from(&body);
    let pg = format!(
        "{}todo{}",
        random_token(807, 6, ALNUM),
        random_token(808, 8, ALNUM)
    );
    dir.write(
        "ops/tokens.env",
        format!("GITHUB_TOKEN={token}\nDATABASE_URL=postgres://app:{pg}@db.internal:5432/app\n"),
    );
    let resource = format!("cmp2-qat-{}", random_token(809, 10, b"0123456789"));
    let sumo = random_token(810, 64, ALNUM);
    let csrf = random_token(811, 64, ALNUM);
    dir.write(
        "quiet/settings.py",
        format!(
            "LLM_SECRET_NAME = \"NEXUS-GPT4-API-KEY\"\nsumOfExposures = \"{sumo}\"\n\
             STRIPE_SECRET_KEY = \"sk_test_4eC39HqLyjWDarjtT1zdp7dc\"\n"
        ),
    );
    dir.write(
        "quiet/vault.yml",
        format!("keyVaultToStoreSecrets: {resource}\n"),
    );
    dir.write(
        "quiet/form.html",
        format!("<input type=\"hidden\" name=\"authenticity_token\" value=\"{csrf}\">\n"),
    );
    dir.write(
        "quiet/passwd.c",
        "/* Each line: username:password:uid:gid:gecos:home:shell */\n",
    );
    dir.write(
        "quiet/t-urlmatch.c",
        "check_url_length(\"Http://%4d%65:%4d^%70@The.Host\", 25);\n",
    );
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    assert_eq!(
        sorted(&run),
        vec![
            "ops/tokens.env:1 github-pat-classic",
            "ops/tokens.env:2 postgres-connection-uri",
        ],
        "{}",
        run.stdout()
    );
}

/// The config-file shapes a second look found missed (a synthetic evaluation set of leaked config files):
/// unquoted .env groups, command lines, SQL, login calls, Go DSNs, Gradle and C literals.
#[test]
fn command_lines_sql_calls_and_bare_groups_are_credentials() {
    let dir = TestDir::new();
    let pw = |seed| random_token(seed, 14, ALNUM);
    let (p1, p2, p3, p4, p5, p6, p7) = (
        pw(820),
        pw(821),
        pw(822),
        pw(823),
        pw(824),
        pw(825),
        pw(826),
    );
    dir.write(
        "deploy/.env",
        "DB_HOST=db.internal\nDB_USERNAME=forge\nDB_PASSWORD=forge2024\n",
    );
    dir.write(
        "scripts/backup.sh",
        format!(
            "mysqldump -uroot -p{p1} --all-databases > all.sql\nsshpass -p '{p2}' scp all.sql deploy@10.0.0.5:/srv/\n\
             mysql -u root -p\"$MYSQL_ROOT_PASSWORD\" -e 'select 1'\n"
        ),
    );
    dir.write(
        "db/init.sql",
        format!("CREATE USER 'app'@'%' IDENTIFIED BY '{p3}';\nCREATE TABLE t (password varchar(255));\n"),
    );
    dir.write(
        "inc/db.php",
        format!("<?php\n$link = mysqli_connect(\"localhost\", \"root\", \"{p4}\", \"blog\");\n"),
    );
    dir.write(
        "cmd/main.go",
        format!("db, err := sql.Open(\"mysql\", \"app:{p5}@tcp(127.0.0.1:3306)/shop\")\n"),
    );
    dir.write(
        "app/build.gradle",
        format!("signingConfigs {{\n  release {{\n    storePassword \"{p6}\"\n  }}\n  debug {{\n    storePassword \"android\"\n  }}\n}}\n"),
    );
    dir.write("fw/secrets.h", format!("#define WIFI_PASSWORD \"{p7}\"\n"));
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    assert_eq!(
        sorted(&run),
        vec![
            "app/build.gradle:3 generic-password",
            "cmd/main.go:1 mysql-go-dsn-password",
            "db/init.sql:1 sql-password-literal",
            "deploy/.env:3 credential-group-config",
            "fw/secrets.h:1 generic-password",
            "inc/db.php:2 password-argument",
            "scripts/backup.sh:1 command-line-password",
            "scripts/backup.sh:2 command-line-password",
        ],
        "{}",
        run.stdout()
    );
}

/// Every way a config file points at a value held elsewhere is a reference, whatever the rule.
#[test]
fn references_in_every_style_are_not_secrets() {
    let dir = TestDir::new();
    dir.write(
        "config/app.yml",
        "db_password: $(DB_PASSWORD)\nsmtp_password: \"#{SmtpPassword}\"\nmq_password: \"@MQ_PASSWORD@\"\n\
         svc_password: \"__SVC_PASSWORD__\"\nwin_password: \"%SVC_PASSWORD%\"\nps_password: $env:SVC_PASSWORD\n\
         vault_password: !vault |\nhass_password: !secret mqtt_password\nbackup_password: *default_password\n\
         jasypt_password: \"ENC(Jd8s2KqL9xWm4Vt7RzPb)\"\ncloud_password: '{cipher}AQBkd92jfhs8Lq'\n\
         ldap_password: \"vault:secret/data/ldap#password\"\npassword_hash_algorithm: argon2\n",
    );
    dir.write(
        "NuGet.Config",
        "<packageSourceCredentials><Feed>\n<add key=\"ClearTextPassword\" value=\"%NUGET_PAT%\" />\n</Feed></packageSourceCredentials>\n",
    );
    dir.write(".env", "PASSWORD_RESET_URL=https://acme.io/account/reset\nLDAP_PASSWORD=\"$(cat /run/secrets/ldap)\"\n");
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    assert_eq!(sorted(&run), Vec::<String>::new(), "{}", run.stdout());
}

/// A rule's `test_confidence` lowers, never drops, what is found in tests or marked fake.
#[test]
fn test_data_is_reported_at_the_rules_test_confidence() {
    let dir = TestDir::new();
    let pw = random_token(830, 16, ALNUM);
    let line = format!("DATABASE_URL=postgres://app:{pw}@db.internal:5432/app\n");
    dir.write("src/app.env", &line);
    dir.write("tests/fixtures/app.env", &line);
    dir.write(
        "src/fake.env",
        "DATABASE_URL=postgres://app:fake-db-pass-7@db.internal:5432/app\n",
    );
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    let doc = run.json();
    let mut got: Vec<(String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["confidence"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    let want = [
        ("src/app.env", "high"),
        ("src/fake.env", "low"),
        ("tests/fixtures/app.env", "low"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(p, c)| (p.to_string(), c.to_string()))
        .collect();
    assert_eq!(got, want, "{}", run.stdout());
    let high = dir
        .cmd(&[
            "scan",
            "dir",
            ".",
            "--format",
            "json",
            "--min-confidence",
            "medium",
        ])
        .run();
    assert_eq!(
        sorted(&high),
        vec!["src/app.env:1 postgres-connection-uri"],
        "{}",
        high.stdout()
    );
}
