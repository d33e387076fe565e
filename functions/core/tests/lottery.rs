//! `docs/lottery.md` against the library: the examples it shows are what the
//! library writes, and the ways it gives residents to check a draw without
//! Agora (a shell script with `sha256sum`, a Python script) agree with the
//! library's draw and catch a tampered result.

use std::path::Path;
use std::process::{Command, Output};

use agora_core::lottery::{draw, score_hex, verify, PublishedList};

const DOC: &str = include_str!("../../../docs/lottery.md");
/// The seed and number of places the doc's scripts are written with.
const SEED: &str = "Lotto 2026-03-14: 3 11 19 24 38 45";
const PLACES: usize = 60;

/// The doc's example list.
const EXAMPLE: [&str; 8] = [
    "K7QX-M3PA",
    "B4TW-9HRE",
    "C2MZ-7KQD",
    "D8PL-X5VN",
    "F3JY-6WSB",
    "G9RC-2TMH",
    "H5VK-8DPZ",
    "J6XN-4QLE",
];

/// The fenced block (without its fences, dedented) that follows the first
/// line containing `marker`, or the first block whose first line is
/// `marker` when `marker` is a first line.
fn block_after(marker: &str) -> String {
    let lines: Vec<&str> = DOC.lines().collect();
    let at = lines
        .iter()
        .position(|line| line.contains(marker))
        .unwrap_or_else(|| panic!("docs/lottery.md has no line with {marker:?}"));
    let open = (at..lines.len())
        .find(|&i| lines[i].trim_start().starts_with("```"))
        .unwrap_or_else(|| panic!("no fenced block after {marker:?}"));
    let indent = lines[open].len() - lines[open].trim_start().len();
    let body: Vec<String> = lines[open + 1..]
        .iter()
        .take_while(|line| line.trim() != "```")
        .map(|line| line.get(indent..).unwrap_or("").to_owned())
        .collect();
    body.join("\n") + "\n"
}

/// The fenced block whose first line is `first_line`.
fn block_starting_with(first_line: &str) -> String {
    let lines: Vec<&str> = DOC.lines().collect();
    let at = lines
        .iter()
        .position(|line| line.trim() == first_line)
        .unwrap_or_else(|| panic!("docs/lottery.md has no block starting {first_line:?}"));
    let indent = lines[at].len() - lines[at].trim_start().len();
    let body: Vec<String> = lines[at..]
        .iter()
        .take_while(|line| line.trim() != "```")
        .map(|line| line.get(indent..).unwrap_or("").to_owned())
        .collect();
    body.join("\n") + "\n"
}

#[test]
fn the_doc_examples_are_what_the_library_writes() {
    let list = PublishedList::new("warsztaty-2026", EXAMPLE).expect("valid references");
    assert_eq!(block_starting_with("agora-lottery-list v1"), list.to_text());
    let hash = list.sha256_hex();
    assert!(
        DOC.contains(&format!("`{hash}`")),
        "the doc should give {hash}"
    );

    let result = draw(&list, SEED, 3).expect("a draw");
    assert_eq!(
        block_starting_with("agora-lottery-result v1"),
        result.to_text()
    );
    assert_eq!(
        result.reserve[0], "J6XN-4QLE",
        "the doc names the first reserve"
    );

    let score = score_hex(SEED, "K7QX-M3PA");
    assert!(
        DOC.contains(&format!("prints `{score}  -`")),
        "the doc should give the score {score}"
    );

    // The mismatch message the doc shows.
    let error = verify(
        &list.to_text(),
        None,
        "Lotto 2026-03-14: 3 11 19 24 38 46",
        3,
        &result.to_text(),
    )
    .expect_err("another seed");
    assert_eq!(
        block_after("the first difference, for example"),
        format!("{error}\n")
    );
}

/// 75 references in the doc's alphabet, deterministically.
fn references() -> Vec<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut state: u64 = 2026;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        char::from(ALPHABET[((state >> 33) % ALPHABET.len() as u64) as usize])
    };
    let mut references: Vec<String> = (0..75)
        .map(|_| {
            let code: String = (0..8).map(|_| next()).collect();
            format!("{}-{}", &code[..4], &code[4..])
        })
        .collect();
    references.sort();
    references.dedup();
    assert_eq!(references.len(), 75, "generated references collide");
    references
}

/// A folder with the list and the genuine result, and the list's SHA-256.
fn published() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let list = PublishedList::new("warsztaty-2026", references()).expect("valid references");
    let result = draw(&list, SEED, PLACES).expect("a draw").to_text();
    std::fs::write(dir.path().join("lista.txt"), list.to_text()).expect("write lista.txt");
    std::fs::write(dir.path().join("wynik.txt"), &result).expect("write wynik.txt");
    (dir, list.sha256_hex(), result)
}

/// The result with the references of ranks 3 (a place) and 70 (reserve)
/// exchanged.
fn tampered(result: &str) -> String {
    let mut lines: Vec<String> = result.lines().map(str::to_owned).collect();
    let reference = |line: &str| line.split(' ').nth(2).expect("a ranking line").to_owned();
    let (a, b) = (reference(&lines[8]), reference(&lines[75]));
    lines[8] = lines[8].replace(&a, &b);
    lines[75] = lines[75].replace(&b, &a);
    lines.join("\n") + "\n"
}

fn run(dir: &Path, program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
}

fn available(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
}

#[test]
fn the_shell_check_without_agora_agrees_with_the_library() {
    assert!(
        available("bash") && available("sha256sum"),
        "this test needs bash and sha256sum (coreutils), as residents checking a draw do"
    );
    let script = block_after("verify-without-agora: shell");
    assert!(script.contains(&format!("seed='{SEED}'")), "{script}");
    assert!(script.contains(&format!("places={PLACES} ")), "{script}");
    let (dir, hash, result) = published();
    std::fs::write(dir.path().join("verify.sh"), &script).expect("write verify.sh");

    let output = run(dir.path(), "bash", &["verify.sh"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(&format!("{hash}  lista.txt")), "{stdout}");
    assert!(
        stdout.contains("OK: the published ranking is the draw's"),
        "{stdout}"
    );
    let mine = std::fs::read_to_string(dir.path().join("my-ranking.txt")).expect("my-ranking.txt");
    let published: String = result.lines().skip(6).map(|l| format!("{l}\n")).collect();
    assert_eq!(mine, published);

    // The single-reference one-liner of the doc.
    let output = run(
        dir.path(),
        "bash",
        &[
            "-c",
            "printf '%s\\0%s' \"$1\" \"$2\" | sha256sum",
            "-",
            SEED,
            "K7QX-M3PA",
        ],
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("{}  -\n", score_hex(SEED, "K7QX-M3PA"))
    );

    std::fs::write(dir.path().join("wynik.txt"), tampered(&result)).expect("write wynik.txt");
    let output = run(dir.path(), "bash", &["verify.sh"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "{stdout}");
    assert!(!stdout.contains("OK"), "{stdout}");
}

#[test]
fn the_python_check_without_agora_agrees_with_the_library() {
    assert!(
        available("python3"),
        "this test needs python3, as residents checking a draw with Python do"
    );
    let script = block_after("verify-without-agora: python");
    assert!(script.contains(&format!("seed = \"{SEED}\"")), "{script}");
    assert!(script.contains(&format!("places = {PLACES} ")), "{script}");
    let (dir, hash, result) = published();
    std::fs::write(dir.path().join("verify.py"), &script).expect("write verify.py");

    let output = run(dir.path(), "python3", &["verify.py"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(&format!("SHA-256 of the list: {hash}")),
        "{stdout}"
    );
    assert!(
        stdout.contains("OK: the published ranking is the draw's"),
        "{stdout}"
    );

    std::fs::write(dir.path().join("wynik.txt"), tampered(&result)).expect("write wynik.txt");
    let output = run(dir.path(), "python3", &["verify.py"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("DIFFERENT"));
}
