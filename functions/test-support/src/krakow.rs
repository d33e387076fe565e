//! The Kraków forms of `content/forms/`, as the tests rehearse them: the
//! recruitments run in the windows the tests were written for. The sources
//! give no closing dates (the site shows none) and the 2020 workshops were
//! called off; these windows are test fixtures, never site facts.

use std::path::Path;

use agora_core::forms::{self, FormDefinition, Moment};
use chrono::TimeZone;
use chrono_tz::Tz;

/// The ambassadors' recruitment closes at the end of March 2020.
pub const AMBASSADORS_CLOSE: (u32, u32) = (3, 31);
/// The workshops' applications close on 20 March 2020, before the draw.
pub const WORKSHOPS_CLOSE: (u32, u32) = (3, 20);

pub fn forms() -> Vec<FormDefinition> {
    let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content");
    let data = |name: &str| {
        let text =
            std::fs::read_to_string(content.join("data").join(format!("{name}.yaml"))).ok()?;
        serde_yaml::from_str(&text).ok()
    };
    forms::load_all(&content, Path::new("content"), &data)
        .expect("the Kraków forms")
        .into_iter()
        .map(rehearsed)
        .collect()
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
