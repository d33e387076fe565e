//! The verifiable lottery: when more residents apply than there are places,
//! a draw that anyone can re-run assigns the places.
//!
//! The procedure (`docs/lottery.md` tells it to staff and residents):
//!
//! 1. Before the draw, staff publish the list of eligible, confirmed
//!    applications as pseudonymous references ([`PublishedList`], in its
//!    canonical text form) and its SHA-256, and announce where the seed will
//!    come from (a public lottery result on a given date, say).
//! 2. When the seed is known, [`draw`] scores every reference with
//!    `SHA-256(seed || 0x00 || reference)`, both in UTF-8, and ranks them by
//!    the lowercase hex digest, ascending (a tie, which would take a SHA-256
//!    collision, is broken by the reference). The first `places` win; the
//!    rest form the reserve list, in order. [`Draw::to_text`] is the result
//!    staff publish.
//! 3. [`verify`] re-runs the draw from the published list and seed and
//!    compares it with the published result line by line.
//!
//! Everything here is pure: no I/O, no clock, no randomness. The same list,
//! seed and number of places give the same result on every machine, and a
//! resident can reproduce it with `sha256sum` alone.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The first line of a published list.
pub const LIST_HEADER: &str = "agora-lottery-list v1";
/// The first line of a published result.
pub const RESULT_HEADER: &str = "agora-lottery-result v1";

/// The lines of a result before its ranking.
const RESULT_HEADER_LINES: usize = 6;

/// The list of applications taking part in a draw, as published before it:
/// the form and the references, sorted and each once.
///
/// Its canonical text ([`PublishedList::to_text`]) is
///
/// ```text
/// agora-lottery-list v1
/// form: warsztaty-2026
/// ABCD-2345
/// K7QX-M3PA
/// ```
///
/// with LF line endings, the last line ended too; its SHA-256
/// ([`PublishedList::sha256_hex`]) is what `sha256sum lista.txt` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedList {
    form: String,
    references: Vec<String>,
}

impl PublishedList {
    /// The list of `references` of the form `form`, in any order. Fails on
    /// an invalid form id or reference, on a reference given twice (a double
    /// registration should be resolved before the list is published) and on
    /// an empty list.
    pub fn new<S: Into<String>>(
        form: impl Into<String>,
        references: impl IntoIterator<Item = S>,
    ) -> Result<Self, LotteryError> {
        let form = form.into();
        if !is_form_id(&form) {
            return Err(LotteryError::InvalidForm { form });
        }
        let mut references: Vec<String> = references.into_iter().map(Into::into).collect();
        for reference in &references {
            if let Some(problem) = reference_problem(reference) {
                return Err(LotteryError::InvalidReference {
                    reference: reference.clone(),
                    problem,
                });
            }
        }
        if references.is_empty() {
            return Err(LotteryError::EmptyList);
        }
        references.sort();
        if let Some(pair) = references.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(LotteryError::DuplicateReference {
                reference: pair[0].clone(),
            });
        }
        Ok(Self { form, references })
    }

    /// The form the applications were made to.
    pub fn form(&self) -> &str {
        &self.form
    }

    /// The references, sorted (byte order), each once.
    pub fn references(&self) -> &[String] {
        &self.references
    }

    /// The canonical text: the header, the form, one reference a line.
    pub fn to_text(&self) -> String {
        let mut text = format!("{LIST_HEADER}\nform: {}\n", self.form);
        for reference in &self.references {
            text.push_str(reference);
            text.push('\n');
        }
        text
    }

    /// The SHA-256 of the canonical text, in lowercase hex.
    pub fn sha256_hex(&self) -> String {
        hex::encode(Sha256::digest(self.to_text().as_bytes()))
    }

    /// Reads a list in its canonical text form, strictly: a text this
    /// accepts is byte for byte what [`PublishedList::to_text`] writes, so
    /// its SHA-256 is the list's.
    pub fn parse(text: &str) -> Result<Self, LotteryError> {
        let error = |line, message| LotteryError::ListSyntax { line, message };
        let lines = canonical_lines(text, LIST_HEADER, error)?;
        check_header(&lines, LIST_HEADER, "list", error)?;
        let form = parse_form(&lines, error)?;
        let mut references: Vec<String> = Vec::new();
        for &(number, line) in &lines[2..] {
            if line.is_empty() {
                return Err(error(
                    number,
                    "the line is empty; the list has one reference a line and no blank lines"
                        .to_owned(),
                ));
            }
            if let Some(problem) = reference_problem(line) {
                return Err(error(number, problem));
            }
            if let Some(previous) = references.last() {
                if line == previous {
                    return Err(error(
                        number,
                        format!(
                            "`{line}` is listed twice (also on line {}); each application is listed once",
                            number - 1
                        ),
                    ));
                }
                if line < previous.as_str() {
                    return Err(error(
                        number,
                        format!(
                            "`{line}` is out of order: references are sorted, and it comes before `{previous}` of line {}",
                            number - 1
                        ),
                    ));
                }
            }
            references.push(line.to_owned());
        }
        if references.is_empty() {
            return Err(error(
                3,
                "the list has no references: there is nobody to draw".to_owned(),
            ));
        }
        Ok(Self { form, references })
    }
}

/// One reference of a draw with its score, `SHA-256(seed || 0x00 ||
/// reference)` in lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ranked {
    pub reference: String,
    pub score_hex: String,
}

/// The result of a draw: every reference ranked, the first `places` winning
/// a place and the rest on the reserve list, in order.
///
/// Its canonical text ([`Draw::to_text`]) is
///
/// ```text
/// agora-lottery-result v1
/// form: warsztaty-2026
/// list-sha256: <the SHA-256 of the published list>
/// seed: "Lotto 2026-03-14: 3 11 19 24 38 45"
/// places: 2
/// applicants: 3
/// 1 W K7QX-M3PA c0b86d74d80610757d7bea16d1fc301412a0f8c32b602ca2cb840234a4b2b874
/// 2 W …
/// 3 R …
/// ```
///
/// The seed is written as a JSON string, so that spaces around it and any
/// invisible character show; each ranking line is `<rank> <W|R> <reference>
/// <score>`, `W` for a place, `R` for the reserve (reserve position: rank
/// minus places).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draw {
    pub form: String,
    /// The SHA-256 of the list drawn from, in lowercase hex.
    pub list_sha256: String,
    /// The seed, exactly as used: not trimmed.
    pub seed: String,
    pub places: usize,
    /// Every reference, best (lowest) score first.
    pub ranking: Vec<Ranked>,
    /// The references of the first `places` of `ranking`.
    pub winners: Vec<String>,
    /// The references of the rest of `ranking`, in order.
    pub reserve: Vec<String>,
}

impl Draw {
    fn from_ranking(
        form: String,
        list_sha256: String,
        seed: String,
        places: usize,
        ranking: Vec<Ranked>,
    ) -> Self {
        let (winners, reserve) = ranking.split_at(places.min(ranking.len()));
        let references = |ranked: &[Ranked]| ranked.iter().map(|r| r.reference.clone()).collect();
        Self {
            winners: references(winners),
            reserve: references(reserve),
            form,
            list_sha256,
            seed,
            places,
            ranking,
        }
    }

    /// The canonical, human-readable result (see [`Draw`]).
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{RESULT_HEADER}\nform: {}\nlist-sha256: {}\nseed: {}\nplaces: {}\napplicants: {}\n",
            self.form,
            self.list_sha256,
            quote_seed(&self.seed),
            self.places,
            self.ranking.len()
        );
        for (index, ranked) in self.ranking.iter().enumerate() {
            let rank = index + 1;
            let marker = if rank <= self.places { 'W' } else { 'R' };
            text.push_str(&format!(
                "{rank} {marker} {} {}\n",
                ranked.reference, ranked.score_hex
            ));
        }
        text
    }

    /// Reads a result in its canonical text form, strictly. This checks the
    /// form of every line, not the scores: [`verify`] re-runs the draw.
    pub fn parse(text: &str) -> Result<Self, LotteryError> {
        let lines = canonical_lines(text, RESULT_HEADER, result_error)?;
        check_header(&lines, RESULT_HEADER, "result", result_error)?;
        let form = parse_form(&lines, result_error)?;
        let list_sha256 = parse_list_sha256(&lines)?;
        let seed = parse_seed(&lines)?;
        let places = parse_count_field(&lines, 4, "places")?;
        let applicants = parse_count_field(&lines, 5, "applicants")?;
        let entries = &lines[RESULT_HEADER_LINES.min(lines.len())..];
        if entries.len() != applicants {
            return Err(result_error(
                RESULT_HEADER_LINES,
                format!(
                    "the result says {applicants} applicants but ranks {}",
                    entries.len()
                ),
            ));
        }
        let ranking = parse_ranking(entries, places)?;
        let draw = Self::from_ranking(form, list_sha256.to_owned(), seed, places, ranking);
        // Every line was checked above; this only guards the two against
        // drifting apart.
        if let Some((line, expected, _)) = first_difference(&draw.to_text(), text) {
            return Err(result_error(
                line,
                format!(
                    "not in canonical form: expected {:?}",
                    expected.unwrap_or_default()
                ),
            ));
        }
        Ok(draw)
    }
}

fn result_error(line: usize, message: String) -> LotteryError {
    LotteryError::ResultSyntax { line, message }
}

/// The value of the result's header line `index` (from 0), `<key>: <value>`.
fn result_field<'a>(
    lines: &[(usize, &'a str)],
    index: usize,
    key: &str,
) -> Result<&'a str, LotteryError> {
    let Some(&(number, line)) = lines.get(index) else {
        return Err(result_error(
            index + 1,
            format!("the result ends before its `{key}: …` line"),
        ));
    };
    line.strip_prefix(key)
        .and_then(|rest| rest.strip_prefix(": "))
        .ok_or_else(|| result_error(number, format!("expected `{key}: …`, found {line:?}")))
}

fn parse_list_sha256<'a>(lines: &[(usize, &'a str)]) -> Result<&'a str, LotteryError> {
    let list_sha256 = result_field(lines, 2, "list-sha256")?;
    if !is_sha256_hex(list_sha256) {
        return Err(result_error(
            3,
            format!("{list_sha256:?} is not a SHA-256: expected 64 lowercase hexadecimal digits"),
        ));
    }
    Ok(list_sha256)
}

/// The seed, a JSON string written as [`quote_seed`] writes it.
fn parse_seed(lines: &[(usize, &str)]) -> Result<String, LotteryError> {
    let quoted = result_field(lines, 3, "seed")?;
    let seed: String = serde_json::from_str(quoted).map_err(|e| {
        result_error(
            4,
            format!("the seed is not a JSON string in double quotes ({e}): {quoted:?}"),
        )
    })?;
    check_seed(&seed).map_err(|e| result_error(4, e.to_string()))?;
    if quote_seed(&seed) != quoted {
        return Err(result_error(
            4,
            format!(
                "the seed is not written in canonical form: expected `seed: {}`",
                quote_seed(&seed)
            ),
        ));
    }
    Ok(seed)
}

/// A header line counting `key` (places, applicants): 1 or more.
fn parse_count_field(
    lines: &[(usize, &str)],
    index: usize,
    key: &str,
) -> Result<usize, LotteryError> {
    let count = result_field(lines, index, key)?;
    parse_count(count).filter(|&n| n >= 1).ok_or_else(|| {
        let problem = format!("is not a number of {key}: 1 or more, without leading zeros");
        result_error(index + 1, format!("{count:?} {problem}"))
    })
}

/// The ranking lines: ranked from 1, `places` of them winning, each
/// reference once, each with a score.
fn parse_ranking(entries: &[(usize, &str)], places: usize) -> Result<Vec<Ranked>, LotteryError> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut ranking = Vec::with_capacity(entries.len());
    for (index, &(number, line)) in entries.iter().enumerate() {
        let (reference, score) = parse_ranked(line, index + 1, places)
            .map_err(|message| result_error(number, message))?;
        if let Some(first) = seen.insert(reference, number) {
            return Err(result_error(
                number,
                format!("`{reference}` is ranked twice (also on line {first})"),
            ));
        }
        if !is_sha256_hex(score) {
            return Err(result_error(
                number,
                format!("the score {score:?} is not a SHA-256: expected 64 lowercase hexadecimal digits"),
            ));
        }
        ranking.push(Ranked {
            reference: reference.to_owned(),
            score_hex: score.to_owned(),
        });
    }
    Ok(ranking)
}

/// One ranking line, `<rank> <W|R> <reference> <score>`, which should be
/// rank `expected_rank`: its reference and its score (not checked yet),
/// or why it is not that line.
fn parse_ranked(line: &str, expected_rank: usize, places: usize) -> Result<(&str, &str), String> {
    let parts: Vec<&str> = line.split(' ').collect();
    let &[rank, marker, reference, score] = parts.as_slice() else {
        return Err(format!(
            "expected `<rank> <W or R> <reference> <score>`, found {line:?}"
        ));
    };
    if parse_count(rank) != Some(expected_rank) {
        return Err(format!(
            "the rank is {rank:?}, expected {expected_rank}: ranks count from 1, one a line"
        ));
    }
    let expected_marker = if expected_rank <= places { "W" } else { "R" };
    if marker != expected_marker {
        let meaning = if expected_marker == "W" {
            "a place (`W`)"
        } else {
            "the reserve list (`R`)"
        };
        return Err(format!(
            "rank {expected_rank} is marked {marker:?}, but with {places} places it is on {meaning}"
        ));
    }
    match reference_problem(reference) {
        Some(problem) => Err(problem),
        None => Ok((reference, score)),
    }
}

/// The score of `reference` under `seed`: `SHA-256(seed || 0x00 ||
/// reference)`, both in UTF-8, in lowercase hex. The same as
/// `printf '%s\0%s' "$seed" "$reference" | sha256sum`.
pub fn score_hex(seed: &str, reference: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(seed.as_bytes());
    hasher.update([0u8]);
    hasher.update(reference.as_bytes());
    hex::encode(hasher.finalize())
}

/// Draws `places` places among the references of `list` with `seed`,
/// taken exactly as given (spaces around it count). Everyone wins when
/// there are no more applicants than places.
pub fn draw(list: &PublishedList, seed: &str, places: usize) -> Result<Draw, LotteryError> {
    check_seed(seed)?;
    if places == 0 {
        return Err(LotteryError::NoPlaces);
    }
    let mut ranking: Vec<Ranked> = list
        .references
        .iter()
        .map(|reference| Ranked {
            score_hex: score_hex(seed, reference),
            reference: reference.clone(),
        })
        .collect();
    ranking.sort_by(|a, b| {
        a.score_hex
            .cmp(&b.score_hex)
            .then_with(|| a.reference.cmp(&b.reference))
    });
    Ok(Draw::from_ranking(
        list.form.clone(),
        list.sha256_hex(),
        seed.to_owned(),
        places,
        ranking,
    ))
}

/// Re-runs a published draw: reads the list (strictly, as published),
/// checks its SHA-256 against `expected_list_sha256` when given (the one
/// published before the draw), draws with `seed` and `places`, and compares
/// the outcome with `published_result_text` line by line. Returns the
/// re-run draw, or the first difference.
///
/// The result's line endings do not matter (CRLF, a missing last LF or
/// blank lines at the end are accepted): only its content is compared.
pub fn verify(
    list_text: &str,
    expected_list_sha256: Option<&str>,
    seed: &str,
    places: usize,
    published_result_text: &str,
) -> Result<Draw, LotteryError> {
    let list = PublishedList::parse(list_text)?;
    if let Some(expected) = expected_list_sha256 {
        let given = expected;
        let expected = given.trim().to_ascii_lowercase();
        if !is_sha256_hex(&expected) {
            return Err(LotteryError::InvalidHash {
                hash: given.to_owned(),
            });
        }
        let actual = list.sha256_hex();
        if expected != actual {
            return Err(LotteryError::ListHashMismatch { expected, actual });
        }
    }
    let rerun = draw(&list, seed, places)?;
    let published = published_result_text
        .strip_prefix('\u{feff}')
        .unwrap_or(published_result_text);
    if let Some((line, expected, actual)) = first_difference(&rerun.to_text(), published) {
        return Err(LotteryError::ResultMismatch {
            line,
            expected: expected.map(str::to_owned),
            actual: actual.map(str::to_owned),
        });
    }
    Ok(rerun)
}

/// What can go wrong making, reading, drawing or verifying a lottery.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LotteryError {
    #[error(
        "{form:?} cannot name a form: a form id is lowercase letters, digits and hyphens, starting with a letter"
    )]
    InvalidForm { form: String },
    #[error("the reference {reference:?} is not valid: {problem}")]
    InvalidReference { reference: String, problem: String },
    #[error(
        "the reference `{reference}` is given twice: each application is listed once (resolve the double registration before publishing the list)"
    )]
    DuplicateReference { reference: String },
    #[error("the list has no references: there is nobody to draw")]
    EmptyList,
    #[error("line {line} of the list: {message}")]
    ListSyntax { line: usize, message: String },
    #[error("line {line} of the result: {message}")]
    ResultSyntax { line: usize, message: String },
    #[error("the seed is empty or only whitespace: the draw needs the seed announced before it")]
    EmptySeed,
    #[error(
        "the seed contains a NUL character (U+0000), which nobody can type or pass to a shell command: announce a seed of ordinary text"
    )]
    SeedHasNul,
    #[error("the number of places must be at least 1")]
    NoPlaces,
    #[error("{hash:?} is not a SHA-256: expected 64 hexadecimal digits")]
    InvalidHash { hash: String },
    #[error(
        "the list's SHA-256 is {actual}, but the SHA-256 published before the draw is {expected}: this is not the published list"
    )]
    ListHashMismatch { expected: String, actual: String },
    /// `expected` is the line the re-run draw gives, `actual` the published
    /// one; `None` where that text has no such line.
    #[error("{}", mismatch_message(*.line, .expected.as_deref(), .actual.as_deref()))]
    ResultMismatch {
        line: usize,
        expected: Option<String>,
        actual: Option<String>,
    },
}

fn mismatch_message(line: usize, expected: Option<&str>, actual: Option<&str>) -> String {
    let what = match (expected.map(show_line), actual.map(show_line)) {
        (Some(expected), Some(actual)) => format!(
            "line {line} of the published result is {actual}, but re-running the draw gives {expected}"
        ),
        (Some(expected), None) => format!(
            "the published result ends before line {line}; re-running the draw gives {expected} there"
        ),
        (None, Some(actual)) => format!(
            "the published result goes on at line {line} with {actual}, but the re-run draw ends before it"
        ),
        (None, None) => format!("line {line} differs"),
    };
    format!("the published result does not match the draw: {what}")
}

/// A line in backticks, or quoted with escapes when it holds a backtick or
/// a control character, so that what is shown is what is there.
fn show_line(line: &str) -> String {
    if line.chars().any(|c| c == '`' || c.is_control()) {
        format!("{line:?}")
    } else {
        format!("`{line}`")
    }
}

/// The first line (from 1) where `published` differs from `expected`, with
/// both lines; line endings and blank lines at the end of `published` do
/// not count.
fn first_difference<'a, 'b>(
    expected: &'a str,
    published: &'b str,
) -> Option<(usize, Option<&'a str>, Option<&'b str>)> {
    let expected: Vec<&str> = expected.lines().collect();
    let mut published: Vec<&str> = published.lines().collect();
    while published.last().is_some_and(|line| line.trim().is_empty()) {
        published.pop();
    }
    (0..expected.len().max(published.len())).find_map(|index| {
        let (e, p) = (expected.get(index).copied(), published.get(index).copied());
        (e != p).then_some((index + 1, e, p))
    })
}

/// Splits a canonical text into numbered lines: LF endings only, the last
/// line ended too, no byte order mark.
fn canonical_lines<'a>(
    text: &'a str,
    header: &str,
    error: impl Fn(usize, String) -> LotteryError,
) -> Result<Vec<(usize, &'a str)>, LotteryError> {
    if text.is_empty() {
        return Err(error(
            1,
            format!("the text is empty; it should start with `{header}`"),
        ));
    }
    if text.starts_with('\u{feff}') {
        return Err(error(
            1,
            "the text starts with a byte order mark (U+FEFF): save it as UTF-8 without BOM"
                .to_owned(),
        ));
    }
    let Some(body) = text.strip_suffix('\n') else {
        return Err(error(
            text.split('\n').count(),
            "the last line does not end with a line feed (LF): every line ends with one, the last too"
                .to_owned(),
        ));
    };
    let lines: Vec<(usize, &str)> = body
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .collect();
    if let Some(&(number, _)) = lines.iter().find(|(_, line)| line.contains('\r')) {
        return Err(error(
            number,
            "the line contains a carriage return (CR, as in Windows CRLF line endings): lines end with LF alone; the SHA-256 is over the exact bytes, so use the file as published".to_owned(),
        ));
    }
    Ok(lines)
}

fn check_header(
    lines: &[(usize, &str)],
    header: &str,
    what: &str,
    error: impl Fn(usize, String) -> LotteryError,
) -> Result<(), LotteryError> {
    let first = lines.first().map_or("", |&(_, line)| line);
    if first == header {
        return Ok(());
    }
    let family = header.split(' ').next().unwrap_or(header);
    let message = match first.strip_prefix(family).and_then(|r| r.strip_prefix(' ')) {
        Some(version) => format!(
            "version {version:?} of the {what} format is not known here: this reads `{header}`"
        ),
        None => format!("expected `{header}`, found {first:?}: is this a lottery {what}?"),
    };
    Err(error(1, message))
}

fn parse_form(
    lines: &[(usize, &str)],
    error: impl Fn(usize, String) -> LotteryError,
) -> Result<String, LotteryError> {
    let Some(&(number, line)) = lines.get(1) else {
        return Err(error(
            2,
            "the text ends before its `form: <form id>` line".to_owned(),
        ));
    };
    let Some(form) = line.strip_prefix("form: ") else {
        return Err(error(
            number,
            format!("expected `form: <form id>`, found {line:?}"),
        ));
    };
    if !is_form_id(form) {
        return Err(error(
            number,
            LotteryError::InvalidForm {
                form: form.to_owned(),
            }
            .to_string(),
        ));
    }
    Ok(form.to_owned())
}

/// Form ids as `content/forms/<id>.yaml` names them: lowercase letters,
/// digits and hyphens, starting with a letter.
fn is_form_id(form: &str) -> bool {
    form.starts_with(|c: char| c.is_ascii_lowercase())
        && form
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Why `reference` is not a valid reference, if it is not: references use
/// the capitals A-Z, the digits 2-9 and `-`.
fn reference_problem(reference: &str) -> Option<String> {
    const ALPHABET: &str = "references use only the capitals A-Z, the digits 2-9 and `-`";
    if reference.is_empty() {
        return Some("a reference cannot be empty".to_owned());
    }
    let bad = reference
        .chars()
        .find(|&c| !(c.is_ascii_uppercase() || ('2'..='9').contains(&c) || c == '-'))?;
    let what = if bad.is_whitespace() {
        format!("{reference:?} contains whitespace ({bad:?})")
    } else if bad.is_ascii_lowercase() {
        format!("{reference:?} contains the lowercase letter `{bad}`")
    } else if bad == '0' || bad == '1' {
        format!("{reference:?} contains the digit `{bad}`, which references never use")
    } else {
        format!("{reference:?} contains {bad:?}")
    };
    Some(format!("{what}; {ALPHABET}"))
}

fn check_seed(seed: &str) -> Result<(), LotteryError> {
    if seed.trim().is_empty() {
        return Err(LotteryError::EmptySeed);
    }
    if seed.contains('\0') {
        return Err(LotteryError::SeedHasNul);
    }
    Ok(())
}

/// The seed as a JSON string: quotes, backslashes, control characters and
/// invisible ones (any whitespace but the plain space, soft hyphens,
/// zero-width and direction marks) escaped, so a reader sees every
/// character of it. All of those are in the Basic Multilingual Plane, so
/// `\uXXXX` writes each.
fn quote_seed(seed: &str) -> String {
    let mut quoted = String::with_capacity(seed.len() + 2);
    quoted.push('"');
    for c in seed.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            c if c.is_control()
                || (c.is_whitespace() && c != ' ')
                || matches!(
                    c,
                    '\u{00ad}'
                        | '\u{200b}'..='\u{200f}'
                        | '\u{202a}'..='\u{202e}'
                        | '\u{2060}'..='\u{2064}'
                        | '\u{feff}'
                ) =>
            {
                quoted.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A count written canonically: digits, no leading zero.
fn parse_count(text: &str) -> Option<usize> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    canonical.then(|| text.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "Lotto 2026-03-14: 3 11 19 24 38 45";

    /// Computes a score the long way, without the module's helper.
    fn independent_score(seed: &str, reference: &str) -> String {
        let mut bytes = seed.as_bytes().to_vec();
        bytes.push(0);
        bytes.extend_from_slice(reference.as_bytes());
        hex::encode(Sha256::digest(&bytes))
    }

    /// `count` distinct valid references, deterministically.
    fn references(count: usize) -> Vec<String> {
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        (0..count)
            .map(|i| {
                let code: String = (0..8)
                    .map(|k| char::from(ALPHABET[(i * 7 + k * (i + 3) + k * k) % ALPHABET.len()]))
                    .collect();
                format!("{}-{}-{i}", &code[..4], &code[4..]).replace(['0', '1'], "Q")
            })
            .collect()
    }

    fn list(count: usize) -> PublishedList {
        PublishedList::new("warsztaty-2026", references(count))
            .expect("generated references are valid")
    }

    fn five() -> PublishedList {
        PublishedList::new(
            "warsztaty-2026",
            [
                "K7QX-M3PA",
                "ABCD-2345",
                "ZZZZ-9999",
                "M3PA-K7QX",
                "HJKL-MNPQ",
            ],
        )
        .expect("valid references")
    }

    #[test]
    fn generated_references_are_distinct() {
        let refs = references(2000);
        let mut sorted = refs.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), refs.len());
    }

    #[test]
    fn known_answer() {
        // Pinned: `printf '%s\0%s' "$SEED" K7QX-M3PA | sha256sum`.
        assert_eq!(
            score_hex(SEED, "K7QX-M3PA"),
            "c0b86d74d80610757d7bea16d1fc301412a0f8c32b602ca2cb840234a4b2b874"
        );
        let list = five();
        // Pinned: `printf 'agora-lottery-list v1\nform: warsztaty-2026\nABCD-2345\nHJKL-MNPQ\nK7QX-M3PA\nM3PA-K7QX\nZZZZ-9999\n' | sha256sum`.
        assert_eq!(list.sha256_hex(), LIST_FIVE_SHA256);

        let mut expected: Vec<(String, String)> = list
            .references()
            .iter()
            .map(|r| (independent_score(SEED, r), r.clone()))
            .collect();
        expected.sort();
        let result = draw(&list, SEED, 2).expect("a valid draw");
        let got: Vec<(String, String)> = result
            .ranking
            .iter()
            .map(|r| (r.score_hex.clone(), r.reference.clone()))
            .collect();
        assert_eq!(got, expected);
        let order: Vec<&str> = expected.iter().map(|(_, r)| r.as_str()).collect();
        assert_eq!(result.winners, order[..2]);
        assert_eq!(result.reserve, order[2..]);
        assert_eq!(result.list_sha256, LIST_FIVE_SHA256);
        assert_eq!(result.seed, SEED);
        assert_eq!(result.places, 2);
    }

    const LIST_FIVE_SHA256: &str =
        "93b5f70d095aec778099bb528a4603bfd587e8ce1e8e885fe0e4a3b62e9e35a8";

    #[test]
    fn list_text_is_canonical() {
        assert_eq!(
            five().to_text(),
            "agora-lottery-list v1\nform: warsztaty-2026\nABCD-2345\nHJKL-MNPQ\nK7QX-M3PA\nM3PA-K7QX\nZZZZ-9999\n"
        );
    }

    #[test]
    fn order_of_the_input_does_not_matter() {
        let refs = references(50);
        let mut reversed = refs.clone();
        reversed.reverse();
        let mut rotated = refs.clone();
        rotated.rotate_left(17);
        let a = PublishedList::new("warsztaty-2026", refs).expect("valid");
        for other in [reversed, rotated] {
            let b = PublishedList::new("warsztaty-2026", other).expect("valid");
            assert_eq!(a, b);
            assert_eq!(a.to_text(), b.to_text());
            assert_eq!(a.sha256_hex(), b.sha256_hex());
            assert_eq!(
                draw(&a, SEED, 10).expect("draw"),
                draw(&b, SEED, 10).expect("draw")
            );
        }
    }

    #[test]
    fn one_byte_of_the_seed_changes_the_ranking() {
        let list = list(50);
        let base = draw(&list, SEED, 10).expect("draw");
        let changed_seeds = [
            "Lotto 2026-03-14: 3 11 19 24 38 46",
            "lotto 2026-03-14: 3 11 19 24 38 45",
            // The seed is not trimmed: spaces around it count.
            " Lotto 2026-03-14: 3 11 19 24 38 45",
            "Lotto 2026-03-14: 3 11 19 24 38 45 ",
        ];
        for seed in changed_seeds {
            let other = draw(&list, seed, 10).expect("draw");
            assert_ne!(other.ranking, base.ranking, "seed {seed:?}");
            let base_order: Vec<&String> = base.ranking.iter().map(|r| &r.reference).collect();
            let other_order: Vec<&String> = other.ranking.iter().map(|r| &r.reference).collect();
            assert_ne!(other_order, base_order, "seed {seed:?}");
            assert_ne!(other.winners, base.winners, "seed {seed:?}");
        }
    }

    #[test]
    fn everyone_wins_when_places_suffice() {
        let list = five();
        for places in [5, 6, 60] {
            let result = draw(&list, SEED, places).expect("draw");
            assert_eq!(result.winners.len(), 5);
            assert!(result.reserve.is_empty());
            let text = result.to_text();
            assert_eq!(text.lines().filter(|l| l.contains(" W ")).count(), 5);
            assert!(!text.contains(" R "));
            assert_eq!(Draw::parse(&text).expect("parses"), result);
        }
        let one = draw(&list, SEED, 1).expect("draw");
        assert_eq!(one.winners.len(), 1);
        assert_eq!(one.reserve.len(), 4);
    }

    #[test]
    fn bad_seeds_and_places_are_refused() {
        let list = five();
        assert_eq!(draw(&list, "", 2), Err(LotteryError::EmptySeed));
        assert_eq!(draw(&list, " \t\n", 2), Err(LotteryError::EmptySeed));
        assert_eq!(draw(&list, "a\0b", 2), Err(LotteryError::SeedHasNul));
        assert_eq!(draw(&list, SEED, 0), Err(LotteryError::NoPlaces));
    }

    #[test]
    fn duplicates_are_refused() {
        assert_eq!(
            PublishedList::new("warsztaty-2026", ["K7QX-M3PA", "ABCD-2345", "K7QX-M3PA"]),
            Err(LotteryError::DuplicateReference {
                reference: "K7QX-M3PA".to_owned()
            })
        );
        let text = "agora-lottery-list v1\nform: warsztaty-2026\nABCD-2345\nK7QX-M3PA\nK7QX-M3PA\n";
        let error = PublishedList::parse(text).expect_err("a duplicate");
        assert!(
            matches!(&error, LotteryError::ListSyntax { line: 5, message } if message.contains("listed twice (also on line 4)")),
            "{error}"
        );
    }

    #[test]
    fn invalid_references_and_forms_are_refused() {
        for (reference, needle) in [
            ("", "cannot be empty"),
            ("k7qx-m3pa", "lowercase letter `k`"),
            ("K7QX M3PA", "whitespace"),
            ("K7QX-M3PA\n", "whitespace"),
            ("K0QX-M3PA", "the digit `0`"),
            ("K1QX-M3PA", "the digit `1`"),
            ("K7QX_M3PA", "'_'"),
            ("KÓQX-M3PA", "'Ó'"),
        ] {
            match PublishedList::new("warsztaty-2026", [reference]) {
                Err(LotteryError::InvalidReference { problem, .. }) => {
                    assert!(problem.contains(needle), "{reference:?}: {problem}");
                }
                other => panic!("{reference:?}: {other:?}"),
            }
        }
        assert_eq!(
            PublishedList::new("Warsztaty 2026", ["K7QX-M3PA"]),
            Err(LotteryError::InvalidForm {
                form: "Warsztaty 2026".to_owned()
            })
        );
        assert_eq!(
            PublishedList::new("warsztaty-2026", Vec::<String>::new()),
            Err(LotteryError::EmptyList)
        );
    }

    #[test]
    fn list_round_trip() {
        for list in [five(), list(50)] {
            let text = list.to_text();
            let parsed = PublishedList::parse(&text).expect("the canonical text parses");
            assert_eq!(parsed, list);
            assert_eq!(parsed.to_text(), text);
            assert_eq!(parsed.sha256_hex(), list.sha256_hex());
        }
    }

    fn list_error(text: &str) -> (usize, String) {
        match PublishedList::parse(text) {
            Err(LotteryError::ListSyntax { line, message }) => (line, message),
            other => panic!("expected a syntax error for {text:?}, got {other:?}"),
        }
    }

    #[test]
    fn list_parsing_is_strict() {
        let good = five().to_text();
        let cases: Vec<(String, usize, &str)> = vec![
            (String::new(), 1, "empty"),
            (format!("\u{feff}{good}"), 1, "byte order mark"),
            (good.replace('\n', "\r\n"), 1, "carriage return"),
            (good.trim_end().to_owned(), 7, "line feed"),
            (good.replace("v1", "v2"), 1, "version \"v2\""),
            (
                good.replace("agora-lottery-list v1", "references"),
                1,
                "expected `agora-lottery-list v1`",
            ),
            (
                good.replace("form: ", "form:"),
                2,
                "expected `form: <form id>`",
            ),
            (
                good.replace("warsztaty-2026", "Warsztaty"),
                2,
                "cannot name a form",
            ),
            ("agora-lottery-list v1\n".to_owned(), 2, "ends before"),
            (
                "agora-lottery-list v1\nform: warsztaty-2026\n".to_owned(),
                3,
                "no references",
            ),
            (good.replace("HJKL-MNPQ\n", "HJKL-MNPQ\n\n"), 5, "empty"),
            (good.replace("HJKL-MNPQ", "hjkl-mnpq"), 4, "lowercase"),
            (good.replace("HJKL-MNPQ", "HJKL-MNPQ "), 4, "whitespace"),
            (
                good.replace("HJKL-MNPQ\nK7QX-M3PA", "K7QX-M3PA\nHJKL-MNPQ"),
                5,
                "out of order",
            ),
        ];
        for (text, line, needle) in cases {
            let (got_line, message) = list_error(&text);
            assert_eq!(got_line, line, "{text:?}: {message}");
            assert!(message.contains(needle), "{text:?}: {message}");
        }
    }

    #[test]
    fn result_text_is_canonical_and_round_trips() {
        let result = draw(&five(), SEED, 2).expect("draw");
        let text = result.to_text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "agora-lottery-result v1");
        assert_eq!(lines[1], "form: warsztaty-2026");
        assert_eq!(lines[2], format!("list-sha256: {LIST_FIVE_SHA256}"));
        assert_eq!(lines[3], format!("seed: \"{SEED}\""));
        assert_eq!(lines[4], "places: 2");
        assert_eq!(lines[5], "applicants: 5");
        assert_eq!(lines.len(), 11);
        for (index, ranked) in result.ranking.iter().enumerate() {
            let marker = if index < 2 { "W" } else { "R" };
            assert_eq!(
                lines[6 + index],
                format!(
                    "{} {marker} {} {}",
                    index + 1,
                    ranked.reference,
                    ranked.score_hex
                )
            );
        }
        assert!(text.ends_with('\n'));
        assert_eq!(Draw::parse(&text).expect("parses"), result);

        let json = serde_json::to_string(&result).expect("serialises");
        let back: Draw = serde_json::from_str(&json).expect("deserialises");
        assert_eq!(back, result);
        assert!(json.contains("\"score_hex\""), "{json}");
    }

    #[test]
    fn any_seed_round_trips_and_shows_every_character() {
        let list = five();
        for (seed, shown) in [
            (
                "Dziennik Polski: „Kraków wybiera” — 14.03",
                "\"Dziennik Polski: „Kraków wybiera” — 14.03\"",
            ),
            (" spaces around ", "\" spaces around \""),
            (
                "quote \" and \\ backslash",
                "\"quote \\\" and \\\\ backslash\"",
            ),
            ("two\nlines\ttab", "\"two\\nlines\\ttab\""),
            ("no\u{a0}break", "\"no\\u00a0break\""),
            ("zero\u{200b}width", "\"zero\\u200bwidth\""),
            ("emoji 🎲", "\"emoji 🎲\""),
        ] {
            let result = draw(&list, seed, 2).expect("draw");
            let text = result.to_text();
            assert!(text.contains(&format!("\nseed: {shown}\n")), "{text}");
            let parsed = Draw::parse(&text).expect("parses");
            assert_eq!(parsed.seed, seed);
            assert_eq!(parsed, result);
            verify(&list.to_text(), None, seed, 2, &text).expect("verifies");
        }
    }

    fn result_error(text: &str) -> (usize, String) {
        match Draw::parse(text) {
            Err(LotteryError::ResultSyntax { line, message }) => (line, message),
            other => panic!("expected a syntax error for {text:?}, got {other:?}"),
        }
    }

    #[test]
    fn result_parsing_is_strict() {
        let good = draw(&five(), SEED, 2).expect("draw").to_text();
        let lines: Vec<&str> = good.lines().collect();
        let with_line = |index: usize, replacement: &str| {
            let mut changed = lines.clone();
            changed[index] = replacement;
            changed.join("\n") + "\n"
        };
        let third = lines[8].split(' ').collect::<Vec<_>>();
        let cases: Vec<(String, usize, &str)> = vec![
            (
                good.replace("result v1", "list v1"),
                1,
                "expected `agora-lottery-result v1`",
            ),
            (with_line(2, "list-sha256: ABC"), 3, "not a SHA-256"),
            (with_line(3, "seed: Lotto"), 4, "not a JSON string"),
            (with_line(3, "seed: \"  \""), 4, "empty"),
            (with_line(3, "seed: \"no\u{a0}break\""), 4, "canonical form"),
            (with_line(4, "places: 02"), 5, "not a number of places"),
            (with_line(4, "places: 0"), 5, "not a number of places"),
            (
                with_line(5, "applicants: 6"),
                6,
                "says 6 applicants but ranks 5",
            ),
            (
                with_line(5, "applicants: 4"),
                6,
                "says 4 applicants but ranks 5",
            ),
            (
                with_line(8, &format!("4 {} {} {}", third[1], third[2], third[3])),
                9,
                "the rank is \"4\"",
            ),
            (
                with_line(8, &format!("3 W {} {}", third[2], third[3])),
                9,
                "on the reserve list",
            ),
            (
                with_line(8, &format!("3  R {} {}", third[2], third[3])),
                9,
                "expected `<rank>",
            ),
            (
                with_line(
                    8,
                    &format!(
                        "3 R {} {}",
                        lines[6].split(' ').nth(2).unwrap_or(""),
                        third[3]
                    ),
                ),
                9,
                "ranked twice (also on line 7)",
            ),
            (
                with_line(8, &format!("3 R {} {}", third[2], third[3].to_uppercase())),
                9,
                "not a SHA-256",
            ),
            (good.replace('\n', "\r\n"), 1, "carriage return"),
        ];
        for (text, line, needle) in cases {
            let (got_line, message) = result_error(&text);
            assert_eq!(got_line, line, "{text}: {message}");
            assert!(message.contains(needle), "{text}: {message}");
        }
    }

    /// A list of 75, 60 places, the published texts.
    fn published() -> (String, String, String) {
        let list = list(75);
        let result = draw(&list, SEED, 60).expect("draw");
        (list.to_text(), list.sha256_hex(), result.to_text())
    }

    fn mismatch(error: LotteryError) -> (usize, Option<String>, Option<String>) {
        match error {
            LotteryError::ResultMismatch {
                line,
                expected,
                actual,
            } => (line, expected, actual),
            other => panic!("expected a mismatch, got {other:?}"),
        }
    }

    #[test]
    fn verify_accepts_the_genuine_result() {
        let (list, hash, result) = published();
        let rerun = verify(&list, Some(&hash), SEED, 60, &result).expect("genuine");
        assert_eq!(rerun.to_text(), result);
        assert_eq!(rerun.winners.len(), 60);
        assert_eq!(rerun.reserve.len(), 15);
        // The published hash may be written in capitals or with spaces
        // around, and the result saved with Windows line endings.
        verify(
            &list,
            Some(&format!(" {} ", hash.to_uppercase())),
            SEED,
            60,
            &result,
        )
        .expect("the same hash");
        verify(&list, None, SEED, 60, &result.replace('\n', "\r\n")).expect("CRLF result");
        verify(&list, None, SEED, 60, result.trim_end()).expect("no last LF");
    }

    #[test]
    fn verify_rejects_swapped_winners() {
        let (list, hash, result) = published();
        let mut lines: Vec<String> = result.lines().map(str::to_owned).collect();
        // Rank 3 and rank 70 exchange references: a reserve gets a place.
        let reference = |line: &str| line.split(' ').nth(2).unwrap_or_default().to_owned();
        let (a, b) = (reference(&lines[8]), reference(&lines[75]));
        lines[8] = lines[8].replace(&a, &b);
        lines[75] = lines[75].replace(&b, &a);
        let tampered = lines.join("\n") + "\n";
        let error = verify(&list, Some(&hash), SEED, 60, &tampered).expect_err("tampered");
        let message = error.to_string();
        let (line, expected, actual) = mismatch(error);
        assert_eq!(line, 9);
        assert!(
            expected.as_deref().is_some_and(|e| e.contains(&a)),
            "{message}"
        );
        assert!(
            actual.as_deref().is_some_and(|e| e.contains(&b)),
            "{message}"
        );
        assert!(
            message.contains("line 9 of the published result"),
            "{message}"
        );

        // Two winners swapped (scores kept) are caught too.
        let mut lines: Vec<String> = result.lines().map(str::to_owned).collect();
        let (a, b) = (reference(&lines[6]), reference(&lines[7]));
        lines[6] = lines[6].replace(&a, &b);
        lines[7] = lines[7].replace(&b, &a);
        let tampered = lines.join("\n") + "\n";
        let (line, _, _) =
            mismatch(verify(&list, None, SEED, 60, &tampered).expect_err("tampered"));
        assert_eq!(line, 7);
    }

    #[test]
    fn verify_rejects_an_altered_list() {
        let (list, hash, result) = published();
        // One application added after the list was published.
        let mut parsed = PublishedList::parse(&list)
            .expect("parses")
            .references()
            .to_vec();
        parsed.push("ZZZZ-ZZZZ".to_owned());
        let altered = PublishedList::new("warsztaty-2026", parsed)
            .expect("valid")
            .to_text();
        match verify(&altered, Some(&hash), SEED, 60, &result) {
            Err(LotteryError::ListHashMismatch { expected, actual }) => {
                assert_eq!(expected, hash);
                assert_ne!(actual, hash);
            }
            other => panic!("expected a hash mismatch, got {other:?}"),
        }
        // Without the published hash, the result's own list-sha256 line
        // catches it.
        let (line, expected, actual) =
            mismatch(verify(&altered, None, SEED, 60, &result).expect_err("altered"));
        assert_eq!(line, 3);
        assert_eq!(actual, Some(format!("list-sha256: {hash}")));
        assert!(expected.is_some_and(|e| e.starts_with("list-sha256: ")));
        // One application dropped.
        let dropped = list.replacen(
            &format!("{}\n", list.lines().nth(5).unwrap_or_default()),
            "",
            1,
        );
        let (line, _, _) =
            mismatch(verify(&dropped, None, SEED, 60, &result).expect_err("dropped"));
        assert_eq!(line, 3);
        // A list that is not canonical cannot be the published one.
        assert!(matches!(
            verify(&list.replace('\n', "\r\n"), Some(&hash), SEED, 60, &result),
            Err(LotteryError::ListSyntax { line: 1, .. })
        ));
        assert!(matches!(
            verify(&list, Some("not a hash"), SEED, 60, &result),
            Err(LotteryError::InvalidHash { .. })
        ));
    }

    #[test]
    fn verify_rejects_a_wrong_seed_or_number_of_places() {
        let (list, hash, result) = published();
        let (line, expected, actual) = mismatch(
            verify(
                &list,
                Some(&hash),
                "Lotto 2026-03-14: 3 11 19 24 38 46",
                60,
                &result,
            )
            .expect_err("wrong seed"),
        );
        assert_eq!(line, 4);
        assert_eq!(
            expected.as_deref(),
            Some("seed: \"Lotto 2026-03-14: 3 11 19 24 38 46\"")
        );
        assert_eq!(actual, Some(format!("seed: \"{SEED}\"")));

        let (line, expected, actual) =
            mismatch(verify(&list, Some(&hash), SEED, 59, &result).expect_err("wrong places"));
        assert_eq!(line, 5);
        assert_eq!(expected.as_deref(), Some("places: 59"));
        assert_eq!(actual.as_deref(), Some("places: 60"));

        // A result whose seed line was edited to match, with the ranking of
        // another seed, is caught at its first ranking line that differs.
        let other = draw(
            &PublishedList::parse(&list).expect("parses"),
            "another seed",
            60,
        )
        .expect("draw")
        .to_text()
        .replace("seed: \"another seed\"", &format!("seed: \"{SEED}\""));
        let (line, _, _) =
            mismatch(verify(&list, None, SEED, 60, &other).expect_err("another ranking"));
        assert!(line > RESULT_HEADER_LINES, "line {line}");
    }

    #[test]
    fn verify_rejects_a_cut_or_extended_result() {
        let (list, _, result) = published();
        let cut: String = result.lines().take(70).map(|l| format!("{l}\n")).collect();
        let error = verify(&list, None, SEED, 60, &cut).expect_err("cut");
        assert!(error.to_string().contains("ends before line 71"), "{error}");
        let (line, expected, actual) = mismatch(error);
        assert_eq!((line, actual), (71, None));
        assert!(expected.is_some());

        let extended = format!("{result}76 R ZZZZ-ZZZZ {}\n", "f".repeat(64));
        let (line, expected, actual) =
            mismatch(verify(&list, None, SEED, 60, &extended).expect_err("extended"));
        assert_eq!((line, expected), (82, None));
        assert!(actual.is_some());
    }

    #[test]
    fn each_reference_wins_a_single_place_about_equally_often() {
        let list = list(10);
        let mut wins: HashMap<String, usize> = HashMap::new();
        for i in 0..2000 {
            let result = draw(&list, &format!("seed {i}"), 1).expect("draw");
            *wins.entry(result.winners[0].clone()).or_default() += 1;
        }
        assert_eq!(wins.len(), 10, "{wins:?}");
        for (reference, count) in &wins {
            assert!(
                (150..=250).contains(count),
                "{reference} won {count} of 2000: {wins:?}"
            );
        }
    }
}
