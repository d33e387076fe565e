//! The search index of the Kraków site, as the browser reads it: the
//! Polish recall list (`tests/search/recall-pl.tsv`) must find every page
//! it names, and the stems of every word of the site are kept in
//! `tests/search/stems.tsv`, which `tests/browser/search-stemmer.test.js`
//! compares with the browser's stemmer.

// Each test file uses part of the shared helpers.
#[allow(dead_code)]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use agora_site::search::{decode, shard_path, Stemmer};
use common::{read, workspace_dir, TempSite};
use serde_json::Value;

/// The index as the files hold it.
struct Index {
    shards: Vec<String>,
    /// Stem -> (documents with it in the title, all documents with it).
    terms: BTreeMap<String, (BTreeSet<u32>, BTreeSet<u32>)>,
    /// Per document: URL, title words, other words.
    docs: Vec<(String, String, String)>,
}

fn json(out: &Path, path: &str) -> Value {
    serde_json::from_str(&read(out, path.trim_start_matches('/')))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn load(out: &Path) -> Index {
    let manifest = json(out, "search-index/manifest.json");
    let count = manifest["documents"].as_u64().expect("documents") as usize;
    let per_page = manifest["pages_per_file"].as_u64().expect("pages") as usize;
    let per_text = manifest["texts_per_file"].as_u64().expect("texts") as usize;
    let shards: Vec<String> = manifest["shards"]
        .as_array()
        .expect("shards")
        .iter()
        .map(|s| s.as_str().expect("a prefix").to_owned())
        .collect();
    let mut terms = BTreeMap::new();
    for shard in &shards {
        let file = json(out, &shard_path(shard));
        for (stem, lists) in file.as_object().expect("an object") {
            assert!(stem.starts_with(shard.as_str()), "{stem} in shard {shard}");
            let title: BTreeSet<u32> = decode(lists[0].as_str().expect("title"))
                .into_iter()
                .collect();
            let mut all: BTreeSet<u32> = decode(lists[1].as_str().expect("body"))
                .into_iter()
                .collect();
            all.extend(&title);
            terms.insert(stem.clone(), (title, all));
        }
    }
    let mut docs = Vec::new();
    for n in 0..count {
        let entries = json(out, &format!("search-index/pages/{}.json", n / per_page));
        let texts = json(out, &format!("search-index/text/{}.json", n / per_text));
        let entry = &entries[n % per_page];
        let text = &texts[n % per_text];
        docs.push((
            entry["url"].as_str().expect("url").to_owned(),
            text[0].as_str().expect("title words").to_owned(),
            text[1].as_str().expect("words").to_owned(),
        ));
    }
    Index {
        shards,
        terms,
        docs,
    }
}

impl Index {
    /// The documents a one-word query finds, as `search.js` finds them:
    /// the word's stem, or (3 letters or more) any stem it begins.
    fn find(&self, query: &str) -> BTreeSet<u32> {
        let stemmer = Stemmer::polish().expect("the stemmer");
        let mut found: Option<BTreeSet<u32>> = None;
        for word in stemmer.word_list(query) {
            let stem = stemmer.stem(&word);
            let prefix = word.chars().count() >= 3;
            let mut docs = BTreeSet::new();
            for (term, (_, all)) in &self.terms {
                if *term == stem || (prefix && term.starts_with(&word)) {
                    docs.extend(all);
                }
            }
            found = Some(match found {
                None => docs,
                Some(before) => before.intersection(&docs).copied().collect(),
            });
        }
        found.unwrap_or_default()
    }

    fn number(&self, url: &str) -> Option<u32> {
        self.docs
            .iter()
            .position(|(u, _, _)| u == url)
            .map(|n| n as u32)
    }
}

/// The Kraków site, built as of [`common::NOW`].
fn krakow() -> (TempSite, std::path::PathBuf) {
    let site = TempSite::real();
    site.build_ok("public");
    let out = site.out("public");
    (site, out)
}

/// The recall list: (query, page, forms on the page).
fn recall_list() -> Vec<(String, String, String)> {
    let text = fs::read_to_string(workspace_dir().join("tests/search/recall-pl.tsv"))
        .expect("tests/search/recall-pl.tsv");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| {
            let mut cells = line.split('\t').map(str::to_owned);
            let mut next = || cells.next().unwrap_or_default();
            (next(), next(), next())
        })
        .collect()
}

#[test]
fn every_inflected_query_of_the_recall_list_finds_its_page() {
    let (_site, out) = krakow();
    let index = load(&out);
    let stemmer = Stemmer::polish().expect("the stemmer");
    let list = recall_list();
    assert!(list.len() >= 50, "the recall list has {} pairs", list.len());
    let mut misses = Vec::new();
    let mut wrong = Vec::new();
    for (query, url, forms) in &list {
        let number = index
            .number(url)
            .unwrap_or_else(|| panic!("{url} (for {query}) is not in the index"));
        let (_, title, words) = &index.docs[number as usize];
        let folded = stemmer.word_list(query).join(" ");
        let on_page = format!(" {title} {words} ");
        if on_page.contains(&format!(" {folded} ")) {
            wrong.push(format!(
                "`{query}` is on {url} as it is: the pair tests no inflection"
            ));
        }
        for form in forms.split(", ") {
            let form = stemmer.word_list(form).join(" ");
            if !on_page.contains(&format!(" {form} ")) {
                wrong.push(format!(
                    "{url} has no `{form}` (the recall list says it has)"
                ));
            }
        }
        if !index.find(query).contains(&number) {
            misses.push(format!("{query} -> {url} ({forms})"));
        }
    }
    assert!(
        wrong.is_empty(),
        "the recall list is wrong:\n{}",
        wrong.join("\n")
    );
    let found = list.len() - misses.len();
    println!(
        "Polish recall: {found} of {} inflected queries found their page ({:.1} %)",
        list.len(),
        100.0 * found as f64 / list.len() as f64
    );
    assert!(misses.is_empty(), "not found:\n{}", misses.join("\n"));
}

#[test]
fn the_browser_stems_words_with_the_rules_of_this_fixture() {
    // Every word of the Kraków site and of the recall list, with its stem:
    // the browser's stemmer must give the same (search-stemmer.test.js).
    let (_site, out) = krakow();
    let index = load(&out);
    let stemmer = Stemmer::polish().expect("the stemmer");
    let mut words: BTreeSet<String> = BTreeSet::new();
    for (_, title, text) in &index.docs {
        words.extend(title.split(' ').chain(text.split(' ')).map(str::to_owned));
    }
    for (query, _, forms) in recall_list() {
        words.extend(stemmer.word_list(&query));
        words.extend(stemmer.word_list(&forms));
    }
    words.remove("");
    let mut expected = String::from(
        "# word\tstem: every word of the Kraków site and of recall-pl.tsv (generator/tests/search.rs writes it with AGORA_WRITE_FIXTURES=1)\n",
    );
    for word in &words {
        expected.push_str(&format!("{word}\t{}\n", stemmer.stem(word)));
    }
    let path = workspace_dir().join("tests/search/stems.tsv");
    if std::env::var_os("AGORA_WRITE_FIXTURES").is_some() {
        fs::write(&path, &expected).expect("write tests/search/stems.tsv");
    }
    let kept = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        kept == expected,
        "tests/search/stems.tsv is not what the stemmer gives: run this test with AGORA_WRITE_FIXTURES=1 and review the change"
    );
}

#[test]
fn documents_are_numbered_newest_first_and_titles_rank_apart() {
    let (_site, out) = krakow();
    let index = load(&out);
    let manifest = json(&out, "search-index/manifest.json");
    assert_eq!(manifest["stemmer"]["min_stem"], 3);
    assert!(manifest["version"].as_str().is_some_and(|v| v.len() == 16));
    // The Kraków site is small: one shard.
    assert_eq!(index.shards, [""]);
    let dates: Vec<String> = (0..index.docs.len())
        .map(|n| {
            let entries = json(&out, &format!("search-index/pages/{}.json", n / 16));
            entries[n % 16]["date"].as_str().unwrap_or("").to_owned()
        })
        .collect();
    let dated = dates.iter().take_while(|d| !d.is_empty()).count();
    assert!(
        dated > 0 && dates[dated..].iter().all(String::is_empty),
        "{dates:?}"
    );
    assert!(dates[..dated].windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
    // "ambasador" is in the title of the ambassadors' page: in the title list.
    let (title, _) = &index.terms["ambasador"];
    let page = index
        .number("/wspolne-projekty/ambasadorzy/")
        .expect("the page");
    assert!(title.contains(&page));
}
