//! The Kraków forms as the tests rehearse them: a frozen copy of
//! `content/forms/` and its data files in `fixtures/content/` (see its
//! README), so that an editor changing the site's forms cannot break a
//! library test. [`forms`] runs the recruitments in the windows the tests
//! were written for: the sources give no closing dates (the site shows
//! none) and the 2020 workshops were called off; these windows are test
//! fixtures, never site facts.

use std::path::{Path, PathBuf};

use agora_core::forms::{self, FormDefinition, Moment};
use chrono::TimeZone;
use chrono_tz::Tz;

/// The ambassadors' recruitment closes at the end of March 2020.
pub const AMBASSADORS_CLOSE: (u32, u32) = (3, 31);
/// The workshops' applications close on 20 March 2020, before the draw.
pub const WORKSHOPS_CLOSE: (u32, u32) = (3, 20);

/// The fixtures' content folder: `forms/` and `data/`, as in a site.
pub fn content_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/content")
}

/// A data file of the fixtures by name, as `options_from: { data: … }`
/// reads it.
pub fn data(name: &str) -> Option<serde_json::Value> {
    let path = content_dir()
        .join(forms::DATA_DIR)
        .join(format!("{name}.yaml"));
    serde_yaml::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// The forms as their files say, errors named as under `content/`.
pub fn as_written() -> Vec<FormDefinition> {
    forms::load_site(&content_dir(), Path::new("content")).expect("the fixture forms are valid")
}

/// The forms in the windows the tests rehearse.
pub fn forms() -> Vec<FormDefinition> {
    as_written().into_iter().map(rehearsed).collect()
}

/// The form `id` in the window the tests rehearse.
pub fn form(id: &str) -> FormDefinition {
    forms().into_iter().find(|f| f.id == id).expect("the form")
}

fn rehearsed(mut form: FormDefinition) -> FormDefinition {
    let close = |(month, day): (u32, u32)| {
        let at = Tz::Europe__Warsaw
            .with_ymd_and_hms(2020, month, day, 23, 59, 0)
            .single()
            .expect("a valid time");
        Some(Moment { at, day: None })
    };
    match form.id.as_str() {
        "ambasadorzy" => form.closes = close(AMBASSADORS_CLOSE),
        "warsztaty-wspolne-projekty-miejskie-2020" => {
            form.cancelled = None;
            form.closes = close(WORKSHOPS_CLOSE);
        }
        _ => {}
    }
    form
}
