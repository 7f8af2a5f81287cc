//! The HTML report in a real browser: headless Chromium (`/usr/bin/chromium`, or `chromium` on the
//! PATH; `.ci/run` installs it) loads a generated report from a file, and the tests check that its
//! script ran (the filters are built and counted in the DOM Chromium dumps), that the console shows no
//! error and no Content-Security-Policy violation, that screenshots at desktop and phone widths are real
//! renderings (decoded PNGs: size, header colour, text pixels, no horizontal overflow), that hostile
//! repository text shows as text and runs nothing, and that secrets stay redacted.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{github_token, random_token, TestCommand, TestDir, TestRepo};

/// The header's background colour in the report's style sheet (`--head: #1d2b4f`).
const HEADER_RGB: [u8; 3] = [0x1d, 0x2b, 0x4f];

/// The Chromium binary: `/usr/bin/chromium` (Debian's package), else `chromium` on the PATH.
fn chromium_bin() -> PathBuf {
    let debian = Path::new("/usr/bin/chromium");
    if debian.exists() {
        debian.to_path_buf()
    } else {
        PathBuf::from("chromium")
    }
}

/// What one headless Chromium run printed.
struct Browser {
    stdout: String,
    stderr: String,
}

impl Browser {
    /// The console messages and policy refusals Chromium logged for the page.
    fn console_problems(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.contains(":CONSOLE") || l.contains("Refused to"))
            .collect()
    }
}

/// Loads `url` in headless Chromium at `width`×`height` with a fresh profile under `scratch`, with
/// `extra` arguments (`--dump-dom`, `--screenshot=…`), console logging on stderr.
fn chromium(scratch: &Path, url: &str, (width, height): (u32, u32), extra: &[&str]) -> Browser {
    let profile = tempfile::tempdir_in(scratch).unwrap();
    let output = Command::new(chromium_bin())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .args(["--no-first-run", "--enable-logging=stderr", "--v=0"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--window-size={width},{height}"))
        .args(extra)
        .arg(url)
        .current_dir(scratch)
        .output()
        .expect("chromium is needed for this test (apt-get install chromium; .ci/run installs it)");
    let run = Browser {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(output.status.success(), "chromium failed:\n{}", run.stderr);
    run
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// A working tree with secrets of three providers (generated, so fake) at three confidences.
fn fixture() -> (TestDir, Vec<String>) {
    let dir = TestDir::new();
    let github = github_token(801);
    let aws = format!(
        "AKIA{}",
        random_token(802, 16, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    );
    let password = format!(
        "{}#{}",
        random_token(803, 6, b"abcdefghkmnpqrstuvwxyz"),
        random_token(804, 6, b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
    );
    dir.write(
        "deploy/ci.env",
        format!("# deploy settings\nREGION=eu-west-1\nGITHUB_TOKEN={github}\nRETRIES=3\n"),
    );
    dir.write(
        "src/settings.py",
        format!("DEBUG = False\nAWS_ACCESS_KEY_ID = \"{aws}\"\n"),
    );
    dir.write(
        "config/db.yml",
        format!("database:\n  host: db.internal\n  user: app\n  password: \"{password}\"\n"),
    );
    (dir, vec![github, aws, password])
}

/// Writes the HTML report of `args` (a scan run in `dir`) to `report.html` there and returns its path.
fn report(dir: &TestDir, args: &[&str]) -> PathBuf {
    let path = dir.path().join("report.html");
    let mut argv = args.to_vec();
    argv.extend(["--format", "html", "-o", "report.html"]);
    let run = dir.cmd(&argv).run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert!(run.stdout().is_empty(), "the report goes to the file");
    path
}

/// The attributes `#kh-status` carries in a dumped DOM (the page's script writes them).
fn status(dom: &str) -> String {
    let at = dom
        .find("id=\"kh-status\"")
        .expect("the status element is in the DOM");
    let end = at + dom[at..].find('>').unwrap();
    dom[at..end].to_string()
}

#[test]
fn the_report_runs_in_chromium_without_errors_and_filters() {
    let (dir, secrets) = fixture();
    let page = report(&dir, &["scan", "dir", "."]);
    let html = std::fs::read_to_string(&page).unwrap();
    for s in &secrets {
        assert!(!html.contains(s.as_str()), "a secret is in the report");
    }
    assert!(html.contains("3 distinct secrets to rotate (3 still in the working tree)"));
    assert!(
        !html.contains("http://") && !html.contains("src=\""),
        "no external assets"
    );

    let dom = chromium(dir.path(), &file_url(&page), (1280, 900), &["--dump-dom"]);
    assert!(
        dom.console_problems().is_empty(),
        "{:?}",
        dom.console_problems()
    );
    let state = status(&dom.stdout);
    for want in [
        "data-ready=\"1\"",
        "data-findings=\"3\"",
        "data-providers=\"3\"",
        "data-overflow=\"false\"",
    ] {
        assert!(state.contains(want), "{state}");
    }
    assert!(!state.contains("data-errors"), "{state}");
    assert!(
        dom.stdout.contains("Showing 3 of 3 findings"),
        "the script counted the findings"
    );
    assert!(
        dom.stdout.contains(">GitHub</option>"),
        "the provider filter was built"
    );

    // a link's fragment presets the filters: the script hides what does not match
    let url = format!("{}#confidence=high&path=deploy", file_url(&page));
    let filtered = chromium(dir.path(), &url, (1280, 900), &["--dump-dom"]);
    assert!(
        filtered.console_problems().is_empty(),
        "{:?}",
        filtered.console_problems()
    );
    assert!(
        filtered.stdout.contains("Showing 1 of 3 findings"),
        "{}",
        status(&filtered.stdout)
    );
    let hidden = filtered.stdout.matches("class=\"card finding\"").count();
    assert_eq!(hidden, 3);
    assert_eq!(
        filtered
            .stdout
            .matches("data-path=\"config/db.yml\" hidden=\"\"")
            .count(),
        1
    );

    // the phone width lays out without horizontal scrolling
    let phone = chromium(dir.path(), &file_url(&page), (390, 844), &["--dump-dom"]);
    assert!(
        status(&phone.stdout).contains("data-overflow=\"false\""),
        "{}",
        status(&phone.stdout)
    );
}

/// A decoded screenshot: width, height and RGB pixels.
struct Image {
    width: u32,
    height: u32,
    rgb: Vec<[u8; 3]>,
}

impl Image {
    fn read(path: &Path) -> Image {
        let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
        let mut reader = png::Decoder::new(file).read_info().expect("a PNG");
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        let step = match info.color_type {
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
            other => panic!("unexpected colour type {other:?}"),
        };
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        let rgb = buf[..info.buffer_size()]
            .chunks(step)
            .map(|p| [p[0], p[1], p[2]])
            .collect();
        Image {
            width: info.width,
            height: info.height,
            rgb,
        }
    }

    fn at(&self, x: u32, y: u32) -> [u8; 3] {
        self.rgb[(y * self.width + x) as usize]
    }
}

fn near(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 8)
}

#[test]
fn screenshots_at_desktop_and_phone_widths_are_real_renderings() {
    let (dir, _) = fixture();
    let page = report(&dir, &["scan", "dir", "."]);
    for (width, height) in [(1280, 900), (390, 844)] {
        let shot = dir.path().join(format!("shot-{width}.png"));
        let arg = format!("--screenshot={}", shot.display());
        let run = chromium(dir.path(), &file_url(&page), (width, height), &[&arg]);
        assert!(
            run.console_problems().is_empty(),
            "{:?}",
            run.console_problems()
        );
        let image = Image::read(&shot);
        assert_eq!((image.width, image.height), (width, height));
        // the header band spans the whole width (no overflow pushes the page sideways)...
        for x in [2, width / 2, width - 3] {
            assert!(
                near(image.at(x, 4), HEADER_RGB),
                "{width}px: header at x={x} is {:?}",
                image.at(x, 4)
            );
        }
        // ...holds the title in light text...
        let header_rows = 0..40;
        let light = header_rows
            .flat_map(|y| (0..width).map(move |x| (x, y)))
            .filter(|&(x, y)| image.at(x, y).iter().all(|&c| c > 200))
            .count();
        assert!(
            light > 100,
            "{width}px: no title text in the header ({light} light pixels)"
        );
        // ...and the page below it is white with text and the cards' colours on it
        assert!(near(image.at(1, height / 2), [255, 255, 255]));
        let mut colours: Vec<[u8; 3]> = image.rgb[(80 * width) as usize..].to_vec();
        colours.sort();
        colours.dedup();
        assert!(
            colours.len() > 50,
            "{width}px: a blank page ({} colours)",
            colours.len()
        );
        let dark = image.rgb[(80 * width) as usize..]
            .iter()
            .filter(|p| p.iter().all(|&c| c < 90))
            .count();
        assert!(
            dark > 1000,
            "{width}px: no text below the header ({dark} dark pixels)"
        );
    }
}

/// Strings a repository controls that would run script or break out of markup if written raw.
const PAYLOADS: [&str; 4] = [
    "<script>document.title='pwned'</script>",
    "\"><img src=x onerror=\"document.title='pwned'\">",
    "</style><b id=\"injected\">x</b>",
    "bell\u{7}esc\u{1b}[2Jrtl\u{202e}end",
];

#[test]
fn hostile_paths_commit_messages_and_authors_show_as_text_and_run_nothing() {
    let repo = TestRepo::new();
    let token = github_token(810);
    // a path holding each markup payload (a `/` in a payload makes directories: the path keeps it)
    let paths: Vec<String> = PAYLOADS[..3]
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{p}{i}.env"))
        .collect();
    let files: Vec<(&str, Option<String>)> = paths
        .iter()
        .enumerate()
        .map(|(i, p)| {
            (
                p.as_str(),
                Some(format!("GITHUB_TOKEN={}\n", github_token(811 + i as u64))),
            )
        })
        .collect();
    let files: Vec<(&str, Option<&str>)> = files.iter().map(|(p, c)| (*p, c.as_deref())).collect();
    repo.stage(&files);
    let plain = format!("TOKEN={token}\n");
    repo.stage(&[("a.env", Some(plain.as_str()))]);
    let message = PAYLOADS.join(" ");
    let tree = repo
        .repo
        .find_tree(repo.repo.index().unwrap().write_tree().unwrap())
        .unwrap();
    // git refuses `<` and `>` in names: the author breaks out of attributes with quotes instead
    let author = "Mallory\" onmouseover=\"document.title='pwned'";
    let who =
        git2::Signature::new(author, "x@example.org", &git2::Time::new(1_700_000_000, 0)).unwrap();
    repo.repo
        .commit(Some("HEAD"), &who, &who, &message, &tree, &[])
        .unwrap();

    let page = repo.path().join("report.html");
    let run = repo
        .dir
        .cmd(&["scan", "git", ".", "--format", "html", "-o", "report.html"])
        .run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains(&token));
    // in the source: every payload escaped, no markup of its own
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only the report's own script"
    );
    assert!(
        !html.contains("<img") && !html.contains("<b id") && html.matches("</style>").count() == 1
    );
    assert!(html.contains("&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;"));
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=&quot;"));
    assert!(
        html.contains("bell\\x07esc\\x1b[2Jrtl\\u{202e}end"),
        "controls shown visibly"
    );
    assert!(
        html.contains("Mallory&quot; onmouseover=&quot;document.title=&#39;pwned"),
        "{html}"
    );

    // in the browser: nothing ran, nothing was refused, the title is the report's
    let dom = chromium(repo.path(), &file_url(&page), (1280, 900), &["--dump-dom"]);
    assert!(
        dom.console_problems().is_empty(),
        "{:?}",
        dom.console_problems()
    );
    assert!(dom.stdout.contains("<title>keyhound report</title>"));
    // Elements of the dumped DOM: attribute values emptied first (serialised, they escape `"` but may
    // hold `<` raw), and text holds no `<` (serialised as `&lt;`), so every `<name` left is a tag.
    let values = regex::Regex::new(r#"="[^"]*""#).unwrap();
    let emptied = values.replace_all(&dom.stdout, "=\"\"");
    let tag = regex::Regex::new(r"<[a-zA-Z][^>]*>").unwrap();
    let tags: Vec<&str> = tag.find_iter(&emptied).map(|m| m.as_str()).collect();
    let handler = regex::Regex::new(r"\son[a-z]+=").unwrap();
    assert!(
        (tags.iter())
            .all(|t| !t.starts_with("<img") && !t.starts_with("<b ") && !handler.is_match(t)),
        "an element or event handler was injected: {tags:?}"
    );
    assert!(tags.iter().any(|t| t.starts_with("<article")), "{tags:?}");
    assert_eq!(tags.iter().filter(|t| t.starts_with("<script")).count(), 1);
    assert!(
        dom.stdout
            .contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"),
        "shown as text"
    );
    assert!(
        status(&dom.stdout).contains("data-findings=\"4\""),
        "{}",
        status(&dom.stdout)
    );
    assert!(!status(&dom.stdout).contains("data-errors"));
}

#[test]
fn secrets_stay_redacted_in_the_page_and_excerpts_stay_masked_with_show_secrets() {
    let dir = TestDir::new();
    let token = github_token(820);
    let neighbour = random_token(821, 32, b"abcdefghijklmnopqrstuvwxyz0123456789");
    dir.write(
        "app.env",
        format!("SESSION_SALT={neighbour}\nGITHUB_TOKEN={token}\nLOG_LEVEL=info\n"),
    );
    let page = report(&dir, &["scan", "dir", "."]);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains(&token) && !html.contains(&token[4..16]));
    assert!(
        !html.contains(&neighbour),
        "a random value next to the secret is masked too"
    );
    assert!(
        html.contains("GITHUB_TOKEN=ghp_***") && html.contains("LOG_LEVEL=info"),
        "{html}"
    );

    let page = report(&dir, &["scan", "dir", ".", "--show-secrets"]);
    let html = std::fs::read_to_string(&page).unwrap();
    let excerpt = &html[html.find("<pre class=\"code\">").unwrap()..];
    assert!(html.contains(&token), "--show-secrets shows the secret");
    assert!(!excerpt.contains(&token) && !excerpt.contains(&neighbour));
}

#[test]
fn every_scan_mode_writes_the_page() {
    let token = github_token(830);
    let stdin = TestCommand::new(&["scan", "stdin", "--format", "html"])
        .stdin(format!("log line\nTOKEN={token}\n"))
        .run();
    let mut repo = TestRepo::new();
    repo.commit(&[("README.md", Some("hello\n"))], "first");
    let staged_text = format!("TOKEN={token}\n");
    repo.stage(&[("app.env", Some(staged_text.as_str()))]);
    let staged = repo
        .dir
        .cmd(&["scan", "staged", ".", "--format", "html"])
        .run();
    repo.commit_index("second", &[]);
    let git = repo
        .dir
        .cmd(&["scan", "git", ".", "--format", "html"])
        .run();
    let dir = repo
        .dir
        .cmd(&["scan", "dir", ".", "--format", "html"])
        .run();
    for (mode, run, path) in [
        ("stdin", stdin, "&lt;stdin&gt;:2:7"),
        ("staged", staged, "app.env:1:7"),
        ("git", git, "app.env:1:7"),
        ("dir", dir, "app.env:1:7"),
    ] {
        assert_eq!(run.code(), 1, "{mode}: {}", run.stderr());
        let html = run.stdout();
        assert!(
            html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"),
            "{mode}"
        );
        assert!(html.contains("1 distinct secret to rotate"), "{mode}");
        assert!(html.contains(path), "{mode}: {html}");
        assert!(
            html.contains("TOKEN=ghp_***") && !html.contains(&token),
            "{mode}"
        );
    }
}

#[test]
fn excerpts_of_a_streamed_input_carry_the_lines_of_the_whole_input() {
    let chunk = keyhound::sources::chunk::CHUNK_LEN;
    let token = github_token(840);
    let mut log = String::new();
    let mut n = 0;
    while log.len() < chunk + 4096 {
        n += 1;
        log.push_str(&format!("INFO step {n}: compiling\n"));
    }
    log.push_str(&format!("TOKEN={token}\nINFO done\n"));
    let line = n + 1;
    let run = TestCommand::new(&["scan", "stdin", "--format", "html"])
        .stdin(log)
        .run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let html = run.stdout();
    assert!(
        html.contains(&format!("&lt;stdin&gt;:{line}:7")),
        "the finding's line"
    );
    let hit = format!("<span class=\"l hit\"><span class=\"n\">{line}</span>TOKEN=ghp_***</span>");
    assert!(
        html.contains(&hit),
        "the excerpt's line numbers are the input's"
    );
    assert!(html.contains(&format!(
        "<span class=\"n\">{}</span>INFO step {n}: compiling",
        line - 1
    )));
}
