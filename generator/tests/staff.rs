//! The staff's commands on real registrations in the embedded store.

use std::collections::BTreeMap;
use std::path::Path;

use agora::staff::{self, ExportFormat};
use agora_functions::forms::{self, FormDefinition};
use agora_functions::lottery;
use agora_functions::registration::{
    new_reference, new_token, token_hash, Admission, ConsentRecord, NewRegistration, Status,
};
use agora_functions::store::sqlite::SqliteStore;
use agora_functions::store::Store;
use chrono::{DateTime, Duration, TimeZone, Utc};

fn krakow_forms() -> Vec<FormDefinition> {
    let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("../content");
    forms::load_site(&content, Path::new("content")).expect("the Kraków forms")
}

fn form(id: &str) -> FormDefinition {
    krakow_forms()
        .into_iter()
        .find(|f| f.id == id)
        .expect("the form")
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0)
        .single()
        .expect("a valid time")
}

async fn register(
    store: &SqliteStore,
    form: &FormDefinition,
    values: &[(&str, &str)],
    consents: &[&str],
    admission: Admission,
) -> String {
    let values: BTreeMap<String, String> = values
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let reference = new_reference().expect("randomness");
    let new = NewRegistration {
        form_id: form.id.clone(),
        reference: reference.clone(),
        unique_key: values.get("email").cloned().unwrap_or_default(),
        values,
        consents: consents
            .iter()
            .map(|name| ConsentRecord {
                name: (*name).to_owned(),
                version: "2020-02-19".to_owned(),
                given_at: at(2020, 3, 5),
            })
            .collect(),
        confirm_token_hash: None,
        withdraw_token_hash: token_hash(&new_token().expect("randomness")),
        spam: None,
        created_at: at(2020, 3, 5),
        expires_at: at(2020, 3, 5) + Duration::days(365),
    };
    store.insert(new, Some(admission)).await.expect("stored");
    reference
}

#[tokio::test]
async fn a_csv_export_opens_in_excel_with_polish_letters_and_no_formulas() {
    let store = SqliteStore::in_memory().expect("a store");
    let ambassadors = form("ambasadorzy");
    let admission = Admission::FirstCome { capacity: None };
    register(
        &store,
        &ambassadors,
        &[
            ("full_name", "Łucja Żółć"),
            ("email", "l@example.pl"),
            ("district", "XIII"),
            ("area", "=HYPERLINK(\"http://zle.example\")"),
        ],
        &["processing"],
        admission,
    )
    .await;
    let bytes = staff::export(&ambassadors, &store, ExportFormat::Csv, at(2020, 3, 6))
        .await
        .expect("exported");
    let text = String::from_utf8(bytes).expect("UTF-8");
    assert!(text.starts_with('\u{feff}'), "a byte order mark for Excel");
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0].starts_with("numer;stan;pozycja;zgłoszono;potwierdzono;Imię i nazwisko;"),
        "{}",
        lines[0]
    );
    assert!(lines[1].contains("Łucja Żółć"), "{}", lines[1]);
    assert!(
        lines[1].contains("\"'=HYPERLINK(\"\"http://zle.example\"\")\""),
        "the formula is defused: {}",
        lines[1]
    );
    assert!(
        lines[1].contains("wersja 2020-02-19"),
        "consents with their version: {}",
        lines[1]
    );

    let json = staff::export(&ambassadors, &store, ExportFormat::Json, at(2020, 3, 6))
        .await
        .expect("exported");
    let parsed: serde_json::Value = serde_json::from_slice(&json).expect("JSON");
    assert_eq!(parsed[0]["values"]["full_name"], "Łucja Żółć");
}

#[tokio::test]
async fn a_draw_gives_60_places_and_anyone_can_verify_it() {
    let store = SqliteStore::in_memory().expect("a store");
    let workshops = form("warsztaty-wspolne-projekty-miejskie-2020");
    for i in 0..75 {
        register(
            &store,
            &workshops,
            &[
                ("full_name", "Osoba"),
                ("email", &format!("o{i}@example.pl")),
                ("attends_all", "tak"),
            ],
            &["processing"],
            Admission::Lottery,
        )
        .await;
    }
    let after_closing = at(2020, 3, 21);
    let list = staff::lottery_list(&workshops, &store, after_closing)
        .await
        .expect("a list");
    assert_eq!(list.references().len(), 75);
    let early = staff::draw(&workshops, &store, &list, "seed", at(2020, 3, 10)).await;
    assert!(early.is_err(), "no draw while applications are open");

    let seed = "Lotto 2020-03-21: 3 11 19 27 35 44";
    let result = staff::draw(&workshops, &store, &list, seed, after_closing)
        .await
        .expect("drawn");
    assert_eq!((result.winners.len(), result.reserve.len()), (60, 15));
    let counts = store
        .counts(&workshops.id, after_closing)
        .await
        .expect("counts");
    assert_eq!((counts.taken, counts.waiting, counts.applied), (60, 15, 0));
    let first_reserve = store
        .find(&workshops.id, &result.reserve[0], after_closing)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(
        (first_reserve.status, first_reserve.position),
        (Status::Reserve, Some(1))
    );

    let page = staff::draw_page(&workshops, &result, "21 marca 2020");
    assert!(
        page.starts_with("---\ntitle: 'Wyniki losowania: Zgłoszenie na warsztaty"),
        "{page}"
    );
    assert!(page.contains("Wzięło w nim udział 75 zgłoszeń"), "{page}");
    assert!(
        page.contains(&format!("1. {}", result.winners[0]))
            && page.contains(&format!("15. {}", result.reserve[14])),
        "{page}"
    );
    assert!(page.contains(&list.sha256_hex()) && page.contains(seed));
    assert!(
        !page.contains("@example.pl") && !page.contains("Osoba"),
        "references only"
    );

    let verified = lottery::verify(
        &list.to_text(),
        Some(&list.sha256_hex()),
        seed,
        60,
        &result.to_text(),
    )
    .expect("it verifies");
    assert_eq!(verified.winners, result.winners);
    assert!(lottery::verify(&list.to_text(), None, "another seed", 60, &result.to_text()).is_err());
}

#[tokio::test]
async fn a_stale_list_is_refused() {
    let store = SqliteStore::in_memory().expect("a store");
    let workshops = form("warsztaty-wspolne-projekty-miejskie-2020");
    register(
        &store,
        &workshops,
        &[("email", "a@example.pl")],
        &["processing"],
        Admission::Lottery,
    )
    .await;
    let list = staff::lottery_list(&workshops, &store, at(2020, 3, 21))
        .await
        .expect("a list");
    register(
        &store,
        &workshops,
        &[("email", "b@example.pl")],
        &["processing"],
        Admission::Lottery,
    )
    .await;
    let refused = staff::draw(&workshops, &store, &list, "seed", at(2020, 3, 21))
        .await
        .expect_err("stale");
    assert!(
        refused.to_string().contains("publish the list again"),
        "{refused}"
    );
}

#[tokio::test]
async fn only_consenting_ambassadors_are_published_with_their_public_fields() {
    let store = SqliteStore::in_memory().expect("a store");
    let ambassadors = form("ambasadorzy");
    let admission = Admission::FirstCome { capacity: None };
    let public = register(
        &store,
        &ambassadors,
        &[
            ("full_name", "Anna Nowak"),
            ("email", "anna@example.pl"),
            ("phone", "600 100 200"),
            ("district", "XIII"),
            ("area", "Osiedle Kabel"),
        ],
        &["processing", "publication"],
        admission,
    )
    .await;
    register(
        &store,
        &ambassadors,
        &[
            ("full_name", "Jan Prywatny"),
            ("email", "jan@example.pl"),
            ("district", "I"),
            ("area", "Kazimierz"),
        ],
        &["processing"],
        admission,
    )
    .await;
    let (yaml, count) = staff::ambassadors_yaml(&ambassadors, &store, at(2020, 3, 6))
        .await
        .expect("published");
    assert_eq!(count, 1);
    assert!(
        yaml.contains(&public)
            && yaml.contains("Anna Nowak")
            && yaml.contains("Dzielnica XIII Podgórze"),
        "{yaml}"
    );
    for private in ["Jan Prywatny", "anna@example.pl", "600 100 200"] {
        assert!(
            !yaml.contains(private),
            "{private} must not be published: {yaml}"
        );
    }
    let parsed: serde_json::Value = serde_yaml::from_str(&yaml).expect("valid YAML");
    assert_eq!(parsed["ambassadors"][0]["area"], "Osiedle Kabel");
}
