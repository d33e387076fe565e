//! Words and stems for the search index: a light Polish stemmer whose
//! rules are data (`polish.json`), written into the site's search
//! manifest so that the browser's script (`themes/default/static/search.js`)
//! stems queries with the very same rules. `polish.json` says how they
//! are applied; `tests/browser/search-stemmer.test.js` checks the script against
//! this code over `tests/search/stems.tsv`.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasherDefault;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::Fnv;

/// The rules, as the site's search manifest carries them.
pub const POLISH_RULES: &str = include_str!("polish.json");

/// The rules of `polish.json`, as they are written into the manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// What the rules are and how they are applied (not written out).
    #[serde(default, skip_serializing)]
    pub about: String,
    pub min_stem: usize,
    pub fold: BTreeMap<char, String>,
    pub roots: Vec<String>,
    pub suffixes: Vec<(String, String)>,
    pub endings: Vec<(String, String)>,
}

/// The stemmer made from [`Rules`].
#[derive(Debug)]
pub struct Stemmer {
    rules: Rules,
    /// `rules.fold`, for a quick look-up of each character.
    fold: HashMap<char, String>,
    suffixes: HashMap<String, String, BuildHasherDefault<Fnv>>,
    /// The longest suffix, in characters.
    longest: usize,
}

impl Stemmer {
    /// The Polish stemmer of `polish.json`.
    pub fn polish() -> Result<&'static Stemmer, String> {
        static POLISH: OnceLock<Result<Stemmer, String>> = OnceLock::new();
        POLISH
            .get_or_init(|| Stemmer::from_json(POLISH_RULES))
            .as_ref()
            .map_err(Clone::clone)
    }

    pub fn from_json(json: &str) -> Result<Self, String> {
        let rules: Rules = serde_json::from_str(json)
            .map_err(|e| format!("the stemmer's rules (polish.json) are not valid: {e}"))?;
        if let Some(c) = rules.fold.keys().find(|c| c.is_ascii()) {
            // `words` takes ASCII letters as they are, without the table.
            return Err(format!(
                "the stemmer's rules (polish.json) fold `{c}`: only other characters than ASCII may be folded"
            ));
        }
        let longest = rules
            .suffixes
            .iter()
            .map(|(suffix, _)| suffix.chars().count())
            .max()
            .unwrap_or(0);
        Ok(Self {
            fold: rules.fold.iter().map(|(c, s)| (*c, s.clone())).collect(),
            suffixes: rules.suffixes.iter().cloned().collect(),
            longest,
            rules,
        })
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Calls `word` with each word of `text`: lowercased, folded (no
    /// diacritics), a run of letters and digits.
    pub fn words(&self, text: &str, mut word: impl FnMut(&str)) {
        let mut current = String::new();
        for c in text.chars() {
            if c.is_ascii_alphanumeric() {
                // Most of a Polish text: no table to look in.
                current.push(c.to_ascii_lowercase());
            } else if c.is_alphanumeric() {
                for lower in c.to_lowercase() {
                    match self.fold.get(&lower) {
                        Some(folded) => current.push_str(folded),
                        None => current.push(lower),
                    }
                }
            } else if !current.is_empty() {
                word(&current);
                current.clear();
            }
        }
        if !current.is_empty() {
            word(&current);
        }
    }

    /// The words of `text`, as [`Stemmer::words`] finds them.
    pub fn word_list(&self, text: &str) -> Vec<String> {
        let mut words = Vec::new();
        self.words(text, |w| words.push(w.to_owned()));
        words
    }

    /// The stem of a word as [`Stemmer::words`] gives it.
    pub fn stem<'w>(&self, word: &'w str) -> Cow<'w, str> {
        if word.chars().any(char::is_numeric) {
            return Cow::Borrowed(word);
        }
        if let Some(root) = self
            .rules
            .roots
            .iter()
            .find(|root| word.starts_with(root.as_str()))
        {
            return Cow::Owned(root.clone());
        }
        let min = self.rules.min_stem;
        let ascii = word.is_ascii();
        let length = if ascii {
            word.len()
        } else {
            word.chars().count()
        };
        let mut stem = Cow::Borrowed(word);
        let mut stem_length = length;
        for k in (1..=self.longest.min(length.saturating_sub(min))).rev() {
            let at = if ascii {
                length - k
            } else {
                char_offset(word, length - k)
            };
            if let Some(replacement) = self.suffixes.get(&word[at..]) {
                let mut replaced = word[..at].to_owned();
                replaced.push_str(replacement);
                stem_length = length - k + replacement.chars().count();
                stem = Cow::Owned(replaced);
                break;
            }
        }
        for (ending, replacement) in &self.rules.endings {
            let ending_length = ending.chars().count();
            if stem.ends_with(ending.as_str())
                && stem_length - ending_length + replacement.chars().count() >= min
            {
                let mut replaced = stem[..stem.len() - ending.len()].to_owned();
                replaced.push_str(replacement);
                return Cow::Owned(replaced);
            }
        }
        stem
    }
}

/// The byte offset of character `n` of `text`.
fn char_offset(text: &str, n: usize) -> usize {
    text.char_indices().nth(n).map_or(text.len(), |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stems(words: &str) -> Vec<String> {
        let stemmer = Stemmer::polish().expect("the rules parse");
        stemmer
            .word_list(words)
            .iter()
            .map(|w| stemmer.stem(w).into_owned())
            .collect()
    }

    #[track_caller]
    fn one_stem(words: &str) {
        let found = stems(words);
        assert!(
            found.iter().all(|s| *s == found[0]),
            "{words}: {}",
            found.join(" ")
        );
    }

    #[test]
    fn words_are_folded_runs_of_letters_and_digits() {
        let stemmer = Stemmer::polish().expect("the rules parse");
        assert_eq!(
            stemmer.word_list("Zażółć GĘŚLĄ jaźń, COVID-19 (Łódź)!"),
            ["zazolc", "gesla", "jazn", "covid", "19", "lodz"]
        );
    }

    #[test]
    fn nouns_in_every_case_and_number_share_a_stem() {
        one_stem("dotacja dotacji dotację dotacją dotacje dotacjom dotacjami dotacjach");
        one_stem("Podgórze Podgórza Podgórzu Podgórzem");
        one_stem("ambasador ambasadora ambasadorowi ambasadorem ambasadorze ambasadorzy ambasadorów ambasadorom ambasadorami ambasadorach");
        one_stem("warsztat warsztatu warsztatowi warsztatem warsztacie warsztaty warsztatów warsztatom warsztatami warsztatach");
        one_stem("projekt projektu projektem projekcie projekty projektów projektom projektami projektach");
        one_stem(
            "spotkanie spotkania spotkaniu spotkaniem spotkań spotkaniom spotkaniami spotkaniach",
        );
        one_stem("ścieżka ścieżki ścieżce ścieżkę ścieżką ścieżek ścieżkom ścieżkami ścieżkach");
        one_stem("mieszkaniec mieszkańca mieszkańcowi mieszkańcem mieszkańcu mieszkańcy mieszkańców mieszkańcom mieszkańcami");
        one_stem(
            "wniosek wniosku wnioskowi wnioskiem wnioski wniosków wnioskom wnioskami wnioskach",
        );
        one_stem("Huta Huty Hucie Hutę Hutą");
    }

    #[test]
    fn adjectives_and_verbs_share_a_stem() {
        one_stem("obywatelski obywatelskiego obywatelskiemu obywatelskim obywatelska obywatelskiej obywatelską obywatelskie obywatelskich obywatelskimi");
        one_stem("nowy nowego nowemu nowym nowa nowej nową nowe nowych nowymi");
        one_stem("przygotować przygotowuje przygotowują przygotowujemy przygotowaliśmy przygotowanie przygotowany");
        one_stem("opiniować opiniuje opiniują");
        one_stem("prowadzi prowadzą prowadzisz prowadzimy");
    }

    #[test]
    fn diacritics_do_not_matter() {
        one_stem("dotację dotacje DOTACJĘ");
        one_stem("Podgórzu podgorzu");
    }

    #[test]
    fn short_words_numbers_and_roots_are_their_own_stems() {
        assert_eq!(
            stems("na ulic 2020 problem problemu problemy"),
            ["na", "ulic", "2020", "problem", "problem", "problem"]
        );
    }
}
