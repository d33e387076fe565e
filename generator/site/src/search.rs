//! The search index: split into files so that a query fetches only what
//! it needs (as Pagefind does), under `/search-index/`:
//!
//! - `manifest.json`: the stemmer's rules, how many documents, the term
//!   shards (by the prefix their terms start with) and a version (a hash
//!   of every other file, which the script adds to their URLs);
//! - `terms/<prefix>.json`: the stems starting with the prefix, each with
//!   the documents that have it in their title and those that have it
//!   elsewhere (tags, summary, text), as compact lists of numbers;
//! - `pages/<n>.json`: what a result shows (title, URL, date, a short
//!   summary) for [`PAGES_PER_FILE`] documents;
//! - `text/<n>.json`: the documents' words, for exact phrases, fetched
//!   only for a phrase query and only for its candidates.
//!
//! A document's number is its rank among all: the newest first, then the
//! undated ones (sections, plain pages) in the model's order, so that
//! "newer before older" needs no date in the browser. A shard holds the
//! terms of its prefix while they fit in [`SHARD_BUDGET`] bytes, else it is
//! split by the next character: a small site has one shard, a large one
//! many, and every layout follows from the content alone (same content,
//! same bytes). `agora serve` keeps the index to change only the files an
//! edit changes ([`SearchIndex::apply`]).

mod stemmer;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Mutex;

use rayon::prelude::*;
use serde::Serialize;

use crate::output::OutputFile;
use crate::site::{Site, SEARCH_DIR, SEARCH_MANIFEST_PATH};
pub use stemmer::{Rules, Stemmer, POLISH_RULES};

/// Documents per file of `pages/`: a page of results needs a few.
pub const PAGES_PER_FILE: usize = 16;
/// Documents per file of `text/`.
pub const TEXTS_PER_FILE: usize = 8;
/// A shard is split once its terms take more bytes than this.
pub const SHARD_BUDGET: usize = 48 * 1024;
/// The characters of a summary shown with a result, at most.
const SUMMARY_CHARS: usize = 240;
/// The characters of the URL-safe alphabet the lists of documents use.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// What the index knows of one document (a section or a page).
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    /// Newest first; `None` after every dated one.
    date: Option<i64>,
    /// The stems of the title, sorted, each followed by a space (one
    /// allocation a document: a large site has millions of stems).
    title: String,
    /// The stems of the tags, summary and text that the title lacks.
    body: String,
    /// The result's entry in `pages/` (JSON).
    entry: Vec<u8>,
    /// The document's words in `text/` (JSON).
    words: Vec<u8>,
}

/// One stem's documents, by number.
#[derive(Debug, Default, Clone)]
struct Postings {
    title: Vec<u32>,
    body: Vec<u32>,
    /// `"stem":["title","body"]`, as the shard holds it.
    json: Vec<u8>,
}

impl Postings {
    fn is_empty(&self) -> bool {
        self.title.is_empty() && self.body.is_empty()
    }
}

/// The files an edit changed, and those it made unnecessary (their
/// output paths, as [`OutputFile::path`]).
#[derive(Debug, Default)]
pub struct SearchUpdate {
    pub files: Vec<OutputFile>,
    pub removed: Vec<String>,
}

/// What edits put in place changed: the stems, and the files of
/// `pages/` and `text/` (by number).
#[derive(Debug, Default)]
struct Changed {
    terms: BTreeSet<String>,
    pages: BTreeSet<usize>,
    texts: BTreeSet<usize>,
}

/// The index as `agora serve` keeps it between edits.
#[derive(Debug, Default)]
pub struct SearchIndex {
    /// Sections, then pages, in the model's order.
    docs: Vec<Doc>,
    sections: usize,
    /// Document number -> index in `docs`.
    order: Vec<usize>,
    /// Index in `docs` -> document number.
    numbers: Vec<u32>,
    terms: BTreeMap<String, Postings>,
    /// The shards' prefixes, sorted.
    shards: Vec<String>,
    /// Every file but the manifest: path -> hash of its bytes.
    hashes: BTreeMap<String, u64>,
    /// [`SHARD_BUDGET`] (smaller in tests).
    budget: usize,
}

impl SearchIndex {
    /// The index of every section and page of `site`.
    pub fn new(site: &Site<'_>) -> Result<Self, String> {
        let stemmer = Stemmer::polish()?;
        let sections = site.content.sections.len();
        let docs: Vec<Doc> = (0..sections + site.content.pages.len())
            .into_par_iter()
            .map(|index| match index.checked_sub(sections) {
                None => section_doc(site, stemmer, index),
                Some(page) => page_doc(site, stemmer, page),
            })
            .collect::<Result<_, _>>()?;
        Ok(Self::from_docs(docs, sections, SHARD_BUDGET))
    }

    fn from_docs(docs: Vec<Doc>, sections: usize, budget: usize) -> Self {
        let mut index = Self {
            docs,
            sections,
            budget,
            ..Self::default()
        };
        index.number();
        index
    }

    /// The entry of page `index` of `site`, for [`SearchIndex::apply`].
    pub fn page_doc(site: &Site<'_>, index: usize) -> Result<Doc, String> {
        page_doc(site, Stemmer::polish()?, index)
    }

    /// Every file of the index, each handed to `write` as it is made (a
    /// build never holds them all); how many. `problem` makes an error of
    /// a message.
    pub fn write_files<E: Send>(
        &mut self,
        write: &(dyn Fn(OutputFile) -> Result<(), E> + Sync),
        problem: fn(String) -> E,
    ) -> Result<usize, E> {
        let pages = self.docs.len().div_ceil(PAGES_PER_FILE);
        let texts = self.docs.len().div_ceil(TEXTS_PER_FILE);
        let this = &*self;
        let put = |file: OutputFile| -> Result<(String, u64), E> {
            let hashed = (file.path.clone(), hash(&file.bytes));
            write(file)?;
            Ok(hashed)
        };
        let mut hashes: BTreeMap<String, u64> = this
            .term_files(None)
            .into_par_iter()
            .map(put)
            .collect::<Result<_, _>>()?;
        let entries = (0..pages).into_par_iter().map(|n| put(this.pages_file(n)));
        let words = (0..texts).into_par_iter().map(|n| put(this.text_file(n)));
        let more: Vec<(String, u64)> = entries.chain(words).collect::<Result<_, _>>()?;
        hashes.extend(more);
        self.hashes = hashes;
        write(self.manifest().map_err(problem)?)?;
        Ok(self.hashes.len() + 1)
    }

    /// Every file of the index.
    pub fn files(&mut self) -> Result<Vec<OutputFile>, String> {
        let files = Mutex::new(Vec::new());
        let lost = || "cannot write the search index: a thread failed".to_owned();
        self.write_files(
            &|file| {
                files.lock().map_err(|_| lost())?.push(file);
                Ok(())
            },
            |message| message,
        )?;
        let mut files = files.into_inner().map_err(|_| lost())?;
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }

    /// Puts the edited pages' new entries in place: the files that
    /// changed, and those that are gone. An edit that moves a page among
    /// the others (its date) numbers every document again.
    pub fn apply(&mut self, edits: Vec<(usize, Doc)>) -> Result<SearchUpdate, String> {
        let renumber = edits
            .iter()
            .any(|(page, doc)| self.docs[self.sections + page].date != doc.date);
        if renumber {
            return self.renumber(edits);
        }
        let mut changed = Changed::default();
        for (page, doc) in edits {
            self.replace(page, doc, &mut changed);
        }
        self.refresh_terms(&changed.terms);
        let mut update = self.shard_update(&changed.terms);
        update
            .files
            .extend(changed.pages.into_iter().map(|n| self.pages_file(n)));
        update
            .files
            .extend(changed.texts.into_iter().map(|n| self.text_file(n)));
        for file in &update.files {
            self.hashes.insert(file.path.clone(), hash(&file.bytes));
        }
        update.files.push(self.manifest()?);
        Ok(update)
    }

    /// Puts the edits in place and makes the whole index again.
    fn renumber(&mut self, edits: Vec<(usize, Doc)>) -> Result<SearchUpdate, String> {
        for (page, doc) in edits {
            self.docs[self.sections + page] = doc;
        }
        let before: Vec<String> = self.hashes.keys().cloned().collect();
        self.number();
        let files = self.files()?;
        let removed = before
            .into_iter()
            .filter(|path| !self.hashes.contains_key(path))
            .collect();
        Ok(SearchUpdate { files, removed })
    }

    /// Puts `doc` in place of page `page`'s entry, under the same number,
    /// and notes what that changed.
    fn replace(&mut self, page: usize, doc: Doc, changed: &mut Changed) {
        let at = self.sections + page;
        let number = self.numbers[at];
        let old = std::mem::replace(&mut self.docs[at], doc);
        let new = &self.docs[at];
        for (list, in_title) in [(&old.title, true), (&old.body, false)] {
            for stem in stems(list) {
                remove(&mut self.terms, stem, number, in_title);
            }
        }
        for (list, in_title) in [(&new.title, true), (&new.body, false)] {
            for stem in stems(list) {
                insert(&mut self.terms, stem, number, in_title);
            }
        }
        for doc in [&old, new] {
            let doc_stems = stems(&doc.title).chain(stems(&doc.body));
            changed.terms.extend(doc_stems.map(str::to_owned));
        }
        if old.entry != new.entry {
            changed.pages.insert(number as usize / PAGES_PER_FILE);
        }
        if old.words != new.words {
            changed.texts.insert(number as usize / TEXTS_PER_FILE);
        }
    }

    /// Drops the stems no document has any more; the others' JSON anew.
    fn refresh_terms(&mut self, changed: &BTreeSet<String>) {
        for stem in changed {
            if let Some(postings) = self.terms.get_mut(stem) {
                if postings.is_empty() {
                    self.terms.remove(stem);
                } else {
                    postings.json = term_json(stem, postings);
                }
            }
        }
    }

    /// Lays the shards out again: while the layout holds, the files of the
    /// shards with `changed` stems; else every shard's, and the paths of
    /// the shards gone.
    fn shard_update(&mut self, changed: &BTreeSet<String>) -> SearchUpdate {
        let before = std::mem::take(&mut self.shards);
        self.shards = layout(&self.terms, self.budget);
        let mut update = SearchUpdate::default();
        if self.shards == before {
            let shards: BTreeSet<usize> = changed
                .iter()
                .filter_map(|stem| shard_of(&self.shards, stem))
                .collect();
            update.files = self.term_files(Some(&shards));
            // A shard left without terms is written empty, as a whole
            // build writes it.
        } else {
            update.files = self.term_files(None);
            let now: BTreeSet<&String> = self.shards.iter().collect();
            for prefix in before.iter().filter(|p| !now.contains(p)) {
                let path = shard_path(prefix).trim_start_matches('/').to_owned();
                self.hashes.remove(&path);
                update.removed.push(path);
            }
        }
        update
    }

    /// Numbers the documents (newest first) and makes the postings.
    fn number(&mut self) {
        let mut order: Vec<usize> = (0..self.docs.len()).collect();
        order.sort_by_key(|&i| {
            let date = self.docs[i].date;
            (date.is_none(), std::cmp::Reverse(date), i)
        });
        let mut numbers = vec![0; self.docs.len()];
        for (number, &i) in order.iter().enumerate() {
            numbers[i] = number as u32;
        }
        // Hashed while made (a site has millions of stems), sorted after.
        let mut made: HashMap<&str, Postings, BuildHasherDefault<Fnv>> = HashMap::default();
        // Numbers in order: every list is sorted as it is made.
        for (number, &i) in order.iter().enumerate() {
            let doc = &self.docs[i];
            for (list, in_title) in [(&doc.title, true), (&doc.body, false)] {
                for stem in stems(list) {
                    let postings = made.entry(stem).or_default();
                    let list = if in_title {
                        &mut postings.title
                    } else {
                        &mut postings.body
                    };
                    list.push(number as u32);
                }
            }
        }
        let mut terms: BTreeMap<String, Postings> = made
            .into_iter()
            .map(|(stem, postings)| (stem.to_owned(), postings))
            .collect();
        terms
            .par_iter_mut()
            .for_each(|(stem, postings)| postings.json = term_json(stem, postings));
        self.order = order;
        self.numbers = numbers;
        self.shards = layout(&terms, self.budget);
        self.terms = terms;
    }

    /// The shards' files: all, or those of `only`.
    fn term_files(&self, only: Option<&BTreeSet<usize>>) -> Vec<OutputFile> {
        let mut bodies: Vec<Vec<u8>> = vec![b"{".to_vec(); self.shards.len()];
        for (stem, postings) in &self.terms {
            let Some(shard) = shard_of(&self.shards, stem) else {
                continue;
            };
            if only.is_some_and(|only| !only.contains(&shard)) {
                continue;
            }
            let body = &mut bodies[shard];
            if body.len() > 1 {
                body.push(b',');
            }
            body.extend_from_slice(&postings.json);
        }
        bodies
            .into_iter()
            .enumerate()
            .filter(|(shard, _)| only.is_none_or(|only| only.contains(shard)))
            .map(|(shard, mut body)| {
                body.push(b'}');
                OutputFile::at(&shard_path(&self.shards[shard]), body)
            })
            .collect()
    }

    /// `pages/<n>.json`: the entries of documents n × PAGES_PER_FILE on.
    fn pages_file(&self, n: usize) -> OutputFile {
        let entries = self
            .order
            .iter()
            .skip(n * PAGES_PER_FILE)
            .take(PAGES_PER_FILE);
        let bytes = json_list(entries.map(|&i| &self.docs[i].entry[..]));
        OutputFile::at(&format!("{SEARCH_DIR}pages/{n}.json"), bytes)
    }

    /// `text/<n>.json`: the words of documents n × TEXTS_PER_FILE on.
    fn text_file(&self, n: usize) -> OutputFile {
        let words = self
            .order
            .iter()
            .skip(n * TEXTS_PER_FILE)
            .take(TEXTS_PER_FILE);
        let bytes = json_list(words.map(|&i| &self.docs[i].words[..]));
        OutputFile::at(&format!("{SEARCH_DIR}text/{n}.json"), bytes)
    }

    fn manifest(&self) -> Result<OutputFile, String> {
        #[derive(Serialize)]
        struct Manifest<'a> {
            version: String,
            documents: usize,
            pages_per_file: usize,
            texts_per_file: usize,
            shards: &'a [String],
            stemmer: &'a Rules,
        }
        let mut version = Fnv::default();
        for (path, hash) in &self.hashes {
            version.write(path.as_bytes());
            version.write(&hash.to_le_bytes());
        }
        let manifest = Manifest {
            version: format!("{:016x}", version.0),
            documents: self.docs.len(),
            pages_per_file: PAGES_PER_FILE,
            texts_per_file: TEXTS_PER_FILE,
            shards: &self.shards,
            stemmer: Stemmer::polish()?.rules(),
        };
        let bytes = serde_json::to_vec(&manifest).map_err(search_problem)?;
        Ok(OutputFile::at(SEARCH_MANIFEST_PATH, bytes))
    }
}

/// The stems of [`Doc::title`] or [`Doc::body`].
fn stems(list: &str) -> impl Iterator<Item = &str> {
    list.split_terminator(' ')
}

fn insert(terms: &mut BTreeMap<String, Postings>, stem: &str, number: u32, in_title: bool) {
    let postings = match terms.get_mut(stem) {
        Some(postings) => postings,
        None => terms.entry(stem.to_owned()).or_default(),
    };
    let list = if in_title {
        &mut postings.title
    } else {
        &mut postings.body
    };
    if let Err(at) = list.binary_search(&number) {
        list.insert(at, number);
    }
}

fn remove(terms: &mut BTreeMap<String, Postings>, stem: &str, number: u32, in_title: bool) {
    if let Some(postings) = terms.get_mut(stem) {
        let list = if in_title {
            &mut postings.title
        } else {
            &mut postings.body
        };
        if let Ok(at) = list.binary_search(&number) {
            list.remove(at);
        }
    }
}

/// The shards' prefixes: the root, split by one more character while its
/// terms take more than `budget` bytes.
fn layout(terms: &BTreeMap<String, Postings>, budget: usize) -> Vec<String> {
    let sized: Vec<(&str, usize)> = terms
        .iter()
        .filter(|(_, postings)| !postings.is_empty())
        .map(|(stem, postings)| (stem.as_str(), postings.json.len() + 1))
        .collect();
    let mut shards = Vec::new();
    split(&sized, "", budget, &mut shards);
    shards.sort();
    shards
}

/// Splits `terms`, which all start with `prefix`.
fn split(terms: &[(&str, usize)], prefix: &str, budget: usize, shards: &mut Vec<String>) {
    let total: usize = terms.iter().map(|(_, size)| size).sum();
    if terms.is_empty() {
        return;
    }
    if total <= budget || terms.len() == 1 {
        shards.push(prefix.to_owned());
        return;
    }
    let mut rest = terms;
    // A term equal to the prefix keeps a shard of its own (sorted first).
    if rest[0].0.len() == prefix.len() {
        shards.push(prefix.to_owned());
        rest = &rest[1..];
    }
    while let Some(&(first, _)) = rest.first() {
        let Some(next) = first[prefix.len()..].chars().next() else {
            break;
        };
        let child = &first[..prefix.len() + next.len_utf8()];
        let end = rest
            .iter()
            .position(|(stem, _)| !stem.starts_with(child))
            .unwrap_or(rest.len());
        split(&rest[..end], child, budget, shards);
        rest = &rest[end..];
    }
}

/// The shard a stem belongs to: the longest prefix of it.
fn shard_of(shards: &[String], stem: &str) -> Option<usize> {
    (0..=stem.len())
        .rev()
        .filter(|&end| stem.is_char_boundary(end))
        .find_map(|end| {
            shards
                .binary_search_by(|p| p.as_str().cmp(&stem[..end]))
                .ok()
        })
}

/// `terms/<name>.json`: letters and digits as they are, any other
/// character as `_<hex>_`, the empty prefix as `_`.
pub fn shard_path(prefix: &str) -> String {
    let mut name = String::new();
    for c in prefix.chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            name.push(c);
        } else {
            let _ = write!(name, "_{:x}_", u32::from(c));
        }
    }
    if name.is_empty() {
        name.push('_');
    }
    format!("{SEARCH_DIR}terms/{name}.json")
}

/// `"stem":["title","body"]`.
fn term_json(stem: &str, postings: &Postings) -> Vec<u8> {
    let mut json = Vec::with_capacity(stem.len() + 16);
    // A stem is letters and digits: the serialiser escapes nothing
    // but it keeps to JSON whatever it is.
    let _ = serde_json::to_writer(&mut json, stem);
    json.extend_from_slice(b":[\"");
    json.extend_from_slice(encode(&postings.title).as_bytes());
    json.extend_from_slice(b"\",\"");
    json.extend_from_slice(encode(&postings.body).as_bytes());
    json.extend_from_slice(b"\"]");
    json
}

/// A sorted list of document numbers as text, the shorter of two forms:
/// the gaps between numbers (the first is the number plus one), each in
/// base 32, least significant digit first, a digit followed by another
/// written as `ALPHABET[32 + d]`, the last as `ALPHABET[d]`; or `~` and a
/// bitmap, six documents a character (document n is bit n % 6 of
/// character n / 6).
pub fn encode(numbers: &[u32]) -> String {
    let mut gaps = String::new();
    let mut previous: i64 = -1;
    for &n in numbers {
        let mut gap = (i64::from(n) - previous) as u64;
        previous = i64::from(n);
        while gap >= 32 {
            gaps.push(ALPHABET[32 + (gap % 32) as usize] as char);
            gap /= 32;
        }
        gaps.push(ALPHABET[gap as usize] as char);
    }
    let Some(&last) = numbers.last() else {
        return gaps;
    };
    let length = last as usize / 6 + 1;
    if length + 1 >= gaps.len() {
        return gaps;
    }
    let mut bits = vec![0u8; length];
    for &n in numbers {
        bits[n as usize / 6] |= 1 << (n % 6);
    }
    let mut bitmap = String::with_capacity(length + 1);
    bitmap.push('~');
    bitmap.extend(bits.iter().map(|&b| ALPHABET[b as usize] as char));
    bitmap
}

/// The numbers [`encode`] wrote (for tests).
pub fn decode(text: &str) -> Vec<u32> {
    let digit = |c: u8| ALPHABET.iter().position(|&a| a == c).unwrap_or(0) as u64;
    let mut numbers = Vec::new();
    if let Some(bitmap) = text.strip_prefix('~') {
        for (i, c) in bitmap.bytes().enumerate() {
            let bits = digit(c);
            for bit in 0..6 {
                if bits & (1 << bit) != 0 {
                    numbers.push((i * 6 + bit) as u32);
                }
            }
        }
        return numbers;
    }
    let (mut previous, mut gap, mut scale) = (-1i64, 0u64, 1u64);
    for c in text.bytes() {
        let d = digit(c);
        if d >= 32 {
            gap += (d - 32) * scale;
            scale *= 32;
        } else {
            gap += d * scale;
            previous += gap as i64;
            numbers.push(previous as u32);
            gap = 0;
            scale = 1;
        }
    }
    numbers
}

#[derive(Serialize)]
struct Entry<'a> {
    title: &'a str,
    url: String,
    date: Option<String>,
    summary: String,
}

/// A document's index entry.
fn doc(
    stemmer: &Stemmer,
    date: Option<i64>,
    entry: &Entry<'_>,
    tags: &[String],
    summary: &str,
    text: &str,
) -> Result<Doc, String> {
    let mut title_words = String::new();
    stemmer.words(entry.title, |w| push_word(&mut title_words, w));
    let mut body_words = String::new();
    for part in tags.iter().map(String::as_str).chain([summary, text]) {
        stemmer.words(part, |w| push_word(&mut body_words, w));
    }
    let stems = |words: &str| -> Vec<String> {
        let distinct: HashSet<&str, BuildHasherDefault<Fnv>> =
            words.split_terminator(' ').collect();
        let mut stems: Vec<String> = distinct
            .into_iter()
            .map(|w| stemmer.stem(w).into_owned())
            .collect();
        stems.sort_unstable();
        stems.dedup();
        stems
    };
    let title = stems(&title_words);
    let body = joined(
        stems(&body_words)
            .into_iter()
            .filter(|s| title.binary_search(s).is_err()),
    );
    let entry_json = serde_json::to_vec(entry).map_err(search_problem)?;
    let words = serde_json::to_vec(&[title_words, body_words]).map_err(search_problem)?;
    Ok(Doc {
        date,
        title: joined(title.into_iter()),
        body,
        entry: entry_json,
        words,
    })
}

fn section_doc(site: &Site<'_>, stemmer: &Stemmer, index: usize) -> Result<Doc, String> {
    let section = &site.content.sections[index];
    let rendered = &site.documents.sections[index];
    let entry = Entry {
        title: &section.doc.title,
        url: site.config.url(&section.doc.path),
        date: None,
        summary: short(&rendered.summary_text),
    };
    doc(
        stemmer,
        None,
        &entry,
        &[],
        &rendered.summary_text,
        &rendered.text,
    )
}

fn page_doc(site: &Site<'_>, stemmer: &Stemmer, index: usize) -> Result<Doc, String> {
    let page = &site.content.pages[index];
    let rendered = &site.documents.pages[index];
    let entry = Entry {
        title: &page.doc.title,
        url: site.config.url(&page.doc.path),
        date: page.date.map(|d| d.format("%Y-%m-%d").to_string()),
        summary: short(&rendered.summary_text),
    };
    let date = page.date.map(|d| d.timestamp());
    doc(
        stemmer,
        date,
        &entry,
        &page.tags,
        &rendered.summary_text,
        &rendered.text,
    )
}

/// `text` cut to about [`SUMMARY_CHARS`] characters, at a space.
fn short(text: &str) -> String {
    let Some((cut, _)) = text.char_indices().nth(SUMMARY_CHARS) else {
        return text.to_owned();
    };
    let head = &text[..cut];
    let head = head.rfind(' ').map_or(head, |space| &head[..space]);
    format!("{}…", head.trim_end_matches([',', '.', ';', ':', ' ']))
}

/// Stems as [`Doc::title`] keeps them.
fn joined(stems: impl Iterator<Item = String>) -> String {
    let mut list = String::new();
    for stem in stems {
        list.push_str(&stem);
        list.push(' ');
    }
    list.shrink_to_fit();
    list
}

fn push_word(words: &mut String, word: &str) {
    if !words.is_empty() {
        words.push(' ');
    }
    words.push_str(word);
}

fn json_list<'a>(items: impl Iterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut bytes = vec![b'['];
    for (i, item) in items.enumerate() {
        if i > 0 {
            bytes.push(b',');
        }
        bytes.extend_from_slice(item);
    }
    bytes.push(b']');
    bytes
}

/// FNV-1a, 64 bits: a hash that no Rust release changes, and a quick
/// one for short keys.
#[derive(Debug)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

fn hash(bytes: &[u8]) -> u64 {
    let mut fnv = Fnv::default();
    fnv.write(bytes);
    fnv.0
}

fn search_problem(error: serde_json::Error) -> String {
    format!("cannot write the search index: {error}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_of_numbers_round_trip_in_the_shorter_form() {
        for numbers in [
            vec![],
            vec![0],
            vec![5, 31, 32, 1000, 40_000],
            (0..600).collect::<Vec<u32>>(),
            (0..600).filter(|n| n % 3 == 0).collect(),
        ] {
            let text = encode(&numbers);
            assert_eq!(decode(&text), numbers, "{text}");
        }
        assert_eq!(encode(&[0, 100]), "BkD");
        assert!(encode(&(0..600).collect::<Vec<u32>>()).starts_with('~'));
    }

    #[test]
    fn shards_split_by_prefix_past_the_budget() {
        let mut terms = BTreeMap::new();
        for stem in ["pa", "pb", "pra", "prb", "q"] {
            let postings = Postings {
                title: vec![1],
                body: vec![],
                json: vec![b'x'; SHARD_BUDGET / 3],
            };
            terms.insert(stem.to_owned(), postings);
        }
        let shards = layout(&terms, SHARD_BUDGET);
        assert_eq!(shards, ["pa", "pb", "pr", "q"]);
        assert_eq!(
            shard_of(&shards, "pra").map(|s| shards[s].as_str()),
            Some("pr")
        );
        assert_eq!(
            shard_of(&shards, "q").map(|s| shards[s].as_str()),
            Some("q")
        );
        assert_eq!(shard_path(""), "/search-index/terms/_.json");
        assert_eq!(shard_path("pr"), "/search-index/terms/pr.json");
        assert_eq!(shard_path("ж"), "/search-index/terms/_436_.json");
    }

    #[test]
    fn summaries_are_cut_at_a_space() {
        let long = "słowo ".repeat(100);
        let cut = short(&long);
        assert!(cut.chars().count() <= SUMMARY_CHARS + 1, "{cut}");
        assert!(cut.ends_with("słowo…"), "{cut}");
        assert_eq!(short("krótko."), "krótko.");
    }

    fn test_doc(date: Option<i64>, title: &str, body: &str) -> Doc {
        let stems = |text: &str| -> BTreeSet<String> {
            text.split_whitespace().map(str::to_owned).collect()
        };
        let title = stems(title);
        let words = title.iter().cloned().collect::<Vec<_>>().join(" ");
        let body = joined(stems(body).into_iter().filter(|s| !title.contains(s)));
        Doc {
            date,
            entry: format!("{{\"title\":{words:?}}}").into_bytes(),
            words: serde_json::to_vec(&[words, String::new()]).unwrap_or_default(),
            title: joined(title.into_iter()),
            body,
        }
    }

    fn all_files(index: &mut SearchIndex) -> BTreeMap<String, Vec<u8>> {
        let files = index.files().expect("the files");
        files.into_iter().map(|f| (f.path, f.bytes)).collect()
    }

    #[test]
    fn an_edit_changes_the_files_a_whole_build_would() {
        let docs = || {
            vec![
                test_doc(None, "sekcja", "ala alfa"),
                test_doc(Some(10), "ala ma kota", "alfa beta gamma delta"),
                test_doc(Some(20), "beta", "ala bela cela dela"),
                test_doc(Some(5), "gamma", "kot kota kotek"),
            ]
        };
        let edits: Vec<Vec<(usize, Doc)>> = vec![
            // New terms: the layout splits.
            vec![(
                1,
                test_doc(Some(10), "ala ma kota", "alfa alef alba albo alga beta"),
            )],
            // A term gone from every document.
            vec![(2, test_doc(Some(20), "beta", "ala"))],
            // Only the body.
            vec![(0, test_doc(Some(10), "ala ma kota", "kotek"))],
            // A date: documents renumbered.
            vec![(2, test_doc(Some(1), "gamma", "kot"))],
        ];
        let mut live = SearchIndex::from_docs(docs(), 1, 64);
        let mut files = all_files(&mut live);
        let mut expected_docs = docs();
        for edit in edits {
            for (page, doc) in &edit {
                expected_docs[1 + page] = doc.clone();
            }
            let update = live.apply(edit).expect("an update");
            for path in update.removed {
                assert!(files.remove(&path).is_some(), "{path} removed twice");
            }
            files.extend(update.files.into_iter().map(|f| (f.path, f.bytes)));
            let whole = all_files(&mut SearchIndex::from_docs(expected_docs.clone(), 1, 64));
            assert_eq!(
                files.keys().collect::<Vec<_>>(),
                whole.keys().collect::<Vec<_>>()
            );
            for (path, bytes) in &whole {
                assert_eq!(
                    String::from_utf8_lossy(&files[path]),
                    String::from_utf8_lossy(bytes),
                    "{path}"
                );
            }
        }
        assert!(live.shards.len() > 1, "{:?}", live.shards);
    }
}
