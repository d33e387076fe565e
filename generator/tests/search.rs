//! The search index as the browser reads it: documents numbered newest
//! first, title words listed apart. (The Kraków site's index, with its
//! Polish recall list and the stems the browser must share, is tested in
//! `krakow.rs`.)

// Each test file uses part of the shared helpers.
#[allow(dead_code)]
mod common;

use common::{built_fixture, json, SearchIndex};

#[test]
fn documents_are_numbered_newest_first_and_titles_rank_apart() {
    let (_site, out) = built_fixture();
    let index = SearchIndex::load(&out);
    let manifest = json(&out, "search-index/manifest.json");
    assert_eq!(manifest["stemmer"]["min_stem"], 3);
    assert!(manifest["version"].as_str().is_some_and(|v| v.len() == 16));
    // The fixture is small: one shard.
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
    // "ambasador" is in the title of the post on recruiting ambassadors
    // ("Nabór ambasadorów"): in the title list.
    let (title, all) = &index.terms["ambasador"];
    let post = index
        .number("/aktualnosci/nabor-ambasadorow/")
        .expect("the post");
    assert!(title.contains(&post));
    // A page with the word in its text alone is not in the title list.
    assert!(all.iter().any(|n| !title.contains(n)), "{all:?} {title:?}");
}
