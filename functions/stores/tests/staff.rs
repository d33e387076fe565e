//! The staff's work on real registrations, against every store: the
//! lists, exports and the ambassadors' list, the lottery (listed, drawn
//! once, verified) and the results e-mails, through `agora_core::staff`
//! over SQLite (in memory) and DynamoDB Local, never a fake. Each story is
//! a generic function; `on_every_store!` runs it on both. The `agora`
//! command's side is `generator/tests/staff.rs`.

use std::collections::BTreeMap;
use std::sync::Mutex;

use agora_core::forms::FormDefinition;
use agora_core::lottery::{self, PublishedList};
use agora_core::mail::{Email, MailError, Mailer};
use agora_core::panel::{Appointment, Decision, StaffRecords};
use agora_core::registration::{
    new_reference, new_token, token_hash, Admission, MailProblem, NewRegistration, Status,
};
use agora_core::staff::{self, ExportFormat};
use agora_core::store::Store;
use agora_test_support::krakow::{self, form};
use agora_test_support::staff::{listed_counts, register_at};
use chrono::{DateTime, TimeZone, Utc};

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0)
        .single()
        .expect("a valid time")
}

/// A registration to `form` made on 5 March 2020; its reference.
async fn register<S: Store>(
    store: &S,
    form: &FormDefinition,
    values: &[(&str, &str)],
    consents: &[&str],
    admission: Admission,
) -> String {
    register_at(store, form, values, consents, admission, at(2020, 3, 5)).await
}

/// An application to the ambassadors' form (first come, no limit).
async fn ambassador<S: Store>(store: &S, values: &[(&str, &str)], consents: &[&str]) -> String {
    let admission = Admission::FirstCome { capacity: None };
    register(store, &form("ambasadorzy"), values, consents, admission).await
}

/// An application to the 2020 workshops (drawn by lot).
async fn applicant<S: Store>(store: &S, values: &[(&str, &str)]) -> String {
    let workshops = form("warsztaty-wspolne-projekty-miejskie-2020");
    register(
        store,
        &workshops,
        values,
        &["processing"],
        Admission::Lottery,
    )
    .await
}

pub async fn a_csv_export_opens_in_excel_with_polish_letters_and_no_formulas<S: Store>(store: S) {
    let ambassadors = form("ambasadorzy");
    let reference = ambassador(
        &store,
        &[
            ("full_name", "Łucja Żółć"),
            ("email", "l@example.pl"),
            ("district", "XIII"),
            ("area", "=HYPERLINK(\"http://zle.example\")"),
        ],
        &["processing"],
    )
    .await;
    // SES reported that mail to her bounced: staff see it.
    assert!(store
        .mark_mail_problem("ambasadorzy", &reference, MailProblem::Bounced)
        .await
        .expect("marked"));
    let bytes = staff::export(&ambassadors, &store, ExportFormat::Csv, at(2020, 3, 6))
        .await
        .expect("exported");
    let text = String::from_utf8(bytes).expect("UTF-8");
    assert!(text.starts_with('\u{feff}'), "a byte order mark for Excel");
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0].starts_with("numer;stan;pozycja;zgłoszono;potwierdzono;poczta;Imię i nazwisko;"),
        "{}",
        lines[0]
    );
    assert!(lines[1].contains("Łucja Żółć"), "{}", lines[1]);
    assert!(
        lines[1].contains(";adres nie istnieje (zwrot);"),
        "{}",
        lines[1]
    );
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

pub async fn a_draw_gives_60_places_and_anyone_can_verify_it<S: Store>(store: S) {
    let workshops = form("warsztaty-wspolne-projekty-miejskie-2020");
    for i in 0..75 {
        applicant(
            &store,
            &[
                ("full_name", "Osoba"),
                ("email", &format!("o{i}@example.pl")),
                ("attends_all", "tak"),
            ],
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
    let drawn = staff::draw(&workshops, &store, &list, seed, after_closing)
        .await
        .expect("drawn");
    assert!(!drawn.resumed);
    assert_eq!(drawn.drawn_at, after_closing);
    let result = drawn.result;
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
    assert!(page.contains(&list.sha256_hex()) && page.contains(&format!("\n{seed}\n")));
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

pub async fn a_stale_list_is_refused<S: Store>(store: S) {
    let workshops = form("warsztaty-wspolne-projekty-miejskie-2020");
    applicant(&store, &[("email", "a@example.pl")]).await;
    let list = staff::lottery_list(&workshops, &store, at(2020, 3, 21))
        .await
        .expect("a list");
    applicant(&store, &[("email", "b@example.pl")]).await;
    let refused = staff::draw(&workshops, &store, &list, "seed", at(2020, 3, 21))
        .await
        .expect_err("stale");
    assert!(
        refused.to_string().contains("publish the list again"),
        "{refused}"
    );
}

/// The office's decision on an application, on 6 March 2020.
async fn decide<S: StaffRecords>(store: &S, reference: &str, decision: Decision) {
    let appointment = Appointment {
        form_id: "ambasadorzy".to_owned(),
        reference: reference.to_owned(),
        decision,
        decided_by: "biuro@example.pl".to_owned(),
        decided_at: at(2020, 3, 6),
    };
    store.put_appointment(&appointment).await.expect("decided");
}

pub async fn only_appointed_consenting_ambassadors_are_published_with_their_public_fields<
    S: Store + StaffRecords,
>(
    store: S,
) {
    let ambassadors = form("ambasadorzy");
    let public = ambassador(
        &store,
        &[
            ("full_name", "Anna Nowak"),
            ("email", "anna@example.pl"),
            ("phone", "600 100 200"),
            ("district", "XIII"),
            ("area", "Osiedle Kabel"),
        ],
        &["processing", "publication"],
    )
    .await;
    let private = ambassador(
        &store,
        &[
            ("full_name", "Jan Prywatny"),
            ("email", "jan@example.pl"),
            ("district", "I"),
            ("area", "Kazimierz"),
        ],
        &["processing"],
    )
    .await;
    let (_, count) = staff::ambassadors_yaml(&ambassadors, &store, at(2020, 3, 6))
        .await
        .expect("published");
    assert_eq!(count, 0, "nobody is appointed yet");
    let declined = ambassador(
        &store,
        &[
            ("full_name", "Ewa Niepowołana"),
            ("email", "ewa@example.pl"),
            ("district", "II"),
            ("area", "Grzegórzki"),
        ],
        &["processing", "publication"],
    )
    .await;
    decide(&store, &public, Decision::Appointed).await;
    decide(&store, &private, Decision::Appointed).await;
    decide(&store, &declined, Decision::Declined).await;
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
    for private in [
        "Jan Prywatny",
        "Ewa Niepowołana",
        "anna@example.pl",
        "600 100 200",
    ] {
        assert!(
            !yaml.contains(private),
            "{private} must not be published: {yaml}"
        );
    }
    let parsed: serde_json::Value = serde_yaml::from_str(&yaml).expect("valid YAML");
    assert_eq!(parsed["ambassadors"][0]["area"], "Osiedle Kabel");
}

pub async fn the_forms_list_counts_each_forms_registrations<S: Store>(store: S) {
    let forms = krakow::forms();
    let ambassadors = form("ambasadorzy");
    let workshops = form("warsztaty-wspolne-projekty-miejskie-2020");
    for email in ["a@example.pl", "b@example.pl"] {
        ambassador(&store, &[("email", email)], &["processing"]).await;
    }
    for email in ["c@example.pl", "d@example.pl", "e@example.pl"] {
        applicant(&store, &[("email", email)]).await;
    }
    let listed = staff::list_forms(&forms, &store, at(2020, 3, 6))
        .await
        .expect("listed");
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), forms.len() + 1, "{listed}");
    assert!(
        lines[0].starts_with("form ") && lines[0].ends_with("pending  taken waiting applied"),
        "{listed}"
    );
    let counts = |id: &str| listed_counts(&listed, id);
    // pending, taken, waiting, applied
    assert_eq!(counts(&ambassadors.id), ["0", "2", "0", "0"], "{listed}");
    assert_eq!(counts(&workshops.id), ["0", "0", "0", "3"], "{listed}");
    for other in forms
        .iter()
        .filter(|f| f.id != ambassadors.id && f.id != workshops.id)
    {
        assert_eq!(counts(&other.id), ["0", "0", "0", "0"], "{listed}");
    }
}

/// Keeps every message; refuses those to `failing`.
#[derive(Default)]
struct Recording {
    sent: Mutex<Vec<Email>>,
    failing: Option<String>,
}

impl Mailer for Recording {
    async fn send(&self, email: Email) -> Result<(), MailError> {
        if self.failing.as_deref() == Some(email.to.as_str()) {
            return Err(MailError::Send("the server said no".to_owned()));
        }
        self.sent.lock().expect("not poisoned").push(email);
        Ok(())
    }
}

/// The workshops form with `count` confirmed applications, and its list
/// after closing.
async fn applications<S: Store>(store: S, count: usize) -> (S, FormDefinition, PublishedList) {
    let workshops = form("warsztaty-wspolne-projekty-miejskie-2020");
    for i in 0..count {
        applicant(
            &store,
            &[
                ("full_name", "Osoba"),
                ("email", &format!("o{i}@example.pl")),
            ],
        )
        .await;
    }
    let list = staff::lottery_list(&workshops, &store, at(2020, 3, 21))
        .await
        .expect("a list");
    (store, workshops, list)
}

pub async fn a_form_is_drawn_once_and_the_same_draw_can_be_finished<S: Store>(store: S) {
    let (store, workshops, list) = applications(store, 70).await;
    let seed = "Lotto 2020-03-21: 3 11 19 27 35 44";
    let first = staff::draw(&workshops, &store, &list, seed, at(2020, 3, 21))
        .await
        .expect("drawn");

    // Another seed a day later would give other winners and, with places
    // counted again, more than the capacity: refused, naming the draw.
    let refused = staff::draw(&workshops, &store, &list, "another seed", at(2020, 3, 22))
        .await
        .expect_err("drawn already");
    let message = refused.to_string();
    assert!(
        message.contains("drawn already")
            && message.contains("2020-03-21 13:00")
            && message.contains(&format!("{seed:?}")),
        "{message}"
    );
    let counts = store
        .counts(&workshops.id, at(2020, 3, 22))
        .await
        .expect("counts");
    assert_eq!((counts.taken, counts.waiting, counts.applied), (60, 10, 0));

    // The same draw again (after a run that stopped half-way) is taken
    // as finishing it: nothing changes, the first time is kept.
    let again = staff::draw(&workshops, &store, &list, seed, at(2020, 3, 22))
        .await
        .expect("resumed");
    assert!(again.resumed);
    assert_eq!(again.drawn_at, at(2020, 3, 21));
    assert_eq!(again.result, first.result);
    let counts = store
        .counts(&workshops.id, at(2020, 3, 22))
        .await
        .expect("counts");
    assert_eq!((counts.taken, counts.waiting, counts.applied), (60, 10, 0));
}

pub async fn nothing_is_listed_or_drawn_while_the_form_is_open_nor_confirmed_late<S: Store>(
    store: S,
) {
    let (store, workshops, list) = applications(store, 3).await;
    let open = at(2020, 3, 10);
    let refused = staff::lottery_list(&workshops, &store, open)
        .await
        .expect_err("still open");
    assert!(
        refused
            .to_string()
            .contains("still open until 2020-03-20 23:59"),
        "{refused}"
    );
    assert!(staff::draw(&workshops, &store, &list, "seed", open)
        .await
        .is_err());

    // Confirmed after closing: not in the list, which therefore cannot
    // grow once published.
    let confirm = new_token().expect("randomness");
    let late = NewRegistration {
        form_id: workshops.id.clone(),
        reference: new_reference().expect("randomness"),
        unique_key: "late@example.pl".to_owned(),
        values: BTreeMap::from([("email".to_owned(), "late@example.pl".to_owned())]),
        consents: Vec::new(),
        confirm_token_hash: Some(token_hash(&confirm)),
        withdraw_token_hash: token_hash(&new_token().expect("randomness")),
        spam: None,
        created_at: at(2020, 3, 20),
        expires_at: at(2021, 3, 20),
    };
    store.insert(late.clone(), None).await.expect("stored");
    let confirmed = store
        .confirm(
            &workshops.id,
            &token_hash(&confirm),
            Admission::Lottery,
            at(2020, 3, 21),
        )
        .await
        .expect("answered")
        .expect("confirmed");
    assert_eq!(confirmed.status, Status::Applied);
    let after = staff::lottery_list(&workshops, &store, at(2020, 3, 22))
        .await
        .expect("a list");
    assert_eq!(after, list);
    assert!(!after.references().contains(&late.reference));
}

pub async fn everyone_drawn_is_emailed_the_result_and_a_failure_keeps_the_draw<S: Store>(store: S) {
    let (store, workshops, list) = applications(store, 62).await;
    let drawn = staff::draw(&workshops, &store, &list, "seed", at(2020, 3, 21))
        .await
        .expect("drawn");
    let winner = store
        .find(&workshops.id, &drawn.result.winners[0], at(2020, 3, 22))
        .await
        .expect("read")
        .expect("found");
    let second_reserve = store
        .find(&workshops.id, &drawn.result.reserve[1], at(2020, 3, 22))
        .await
        .expect("read")
        .expect("found");
    let mailer = Recording {
        failing: Some(winner.values["email"].clone()),
        ..Recording::default()
    };
    let mailed = staff::mail_draw_results(
        &workshops,
        &store,
        &mailer,
        &drawn.result,
        "budzet@example.pl",
        at(2020, 3, 21),
    )
    .await
    .expect("mailed");
    assert_eq!((mailed.people, mailed.sent), (62, 61));
    assert_eq!(mailed.failed.len(), 1);
    assert_eq!(mailed.failed[0].0, winner.reference);
    let counts = store
        .counts(&workshops.id, at(2020, 3, 22))
        .await
        .expect("counts");
    assert_eq!((counts.taken, counts.waiting), (60, 2), "the draw stands");

    let sent = mailer.sent.into_inner().expect("not poisoned");
    let to = |registration: &agora_core::registration::Registration| {
        sent.iter()
            .find(|e| e.to == registration.values["email"])
            .cloned()
            .expect("e-mailed")
    };
    let reserve = to(&second_reserve);
    assert!(
        reserve.subject.contains(&second_reserve.reference),
        "{reserve:?}"
    );
    assert!(
        reserve
            .body
            .contains(&format!("Numer zgłoszenia: {}", second_reserve.reference))
            && reserve.body.contains("liście rezerwowej, na pozycji 2.")
            && reserve.body.contains("wycofaj zgłoszenie")
            && reserve.body.contains("budzet@example.pl"),
        "{}",
        reserve.body
    );
    let other_winner = store
        .find(&workshops.id, &drawn.result.winners[1], at(2020, 3, 22))
        .await
        .expect("read")
        .expect("found");
    let place = to(&other_winner);
    assert!(
        place.body.contains("Masz miejsce przyznane w losowaniu.")
            && place.body.contains("wycofaj zgłoszenie")
            && !place.body.contains("rezerwowej, na pozycji"),
        "{}",
        place.body
    );
}

#[test]
fn the_draw_page_shows_the_seed_exactly() {
    let workshops = form("warsztaty-wspolne-projekty-miejskie-2020");
    let list = PublishedList::new(&workshops.id, ["ABCD-EFGH", "JKLM-NPQR"]).expect("a list");
    let seed = "  ``Lotto`` `3` ";
    let result = lottery::draw(&list, seed, 1).expect("drawn");
    let page = staff::draw_page(&workshops, &result, "21 marca 2020");
    assert!(
        page.contains(&format!("\n```text\n{seed}\n```\n")),
        "{page}"
    );
}

agora_test_support::on_every_store!(
    a_csv_export_opens_in_excel_with_polish_letters_and_no_formulas,
    a_draw_gives_60_places_and_anyone_can_verify_it,
    a_stale_list_is_refused,
    only_appointed_consenting_ambassadors_are_published_with_their_public_fields,
    the_forms_list_counts_each_forms_registrations,
    a_form_is_drawn_once_and_the_same_draw_can_be_finished,
    nothing_is_listed_or_drawn_while_the_form_is_open_nor_confirmed_late,
    everyone_drawn_is_emailed_the_result_and_a_failure_keeps_the_draw,
);
