//! A form's registrations in the staff workspace, through the one router
//! of Lambda and `agora serve`, on SQLite and DynamoDB Local: the list
//! (filter, search, pages), one registration, the actions (withdraw with a
//! reason, resend the links, mark the address bounced) and the export,
//! each in the audit log and none of them with a person's data there;
//! office only, with the session's CSRF token.

mod common;

use common::{workspace, Desk, Stored, OFFICE};

use agora_core::panel::Role;
use agora_core::registration::{
    token_hash, Admission, ConsentRecord, MailProblem, NewRegistration, Status,
};
use agora_core::staff::{self, ExportFormat};
use agora_core::store::Inserted;
use agora_test_support::krakow;
use axum::http::{header, StatusCode};
use chrono::{DateTime, Duration, TimeZone, Utc};

const AMBASSADOR: &str = "ambasadorka@example.pl";
const VERIFIER: &str = "weryfikator@example.pl";
/// A first-come form with a district to choose: two places in the tests.
const FORM: &str = "ambasadorzy";
const LOTTERY: &str = "warsztaty-wspolne-projekty-miejskie-2020";
const LIST: &str = "/panel/formularze/ambasadorzy";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
        .single()
        .expect("a valid time")
}

/// A person's data as the form takes it.
struct Person<'a> {
    name: &'a str,
    email: &'a str,
    district: &'a str,
}

async fn desk<S: Stored>(store: S) -> Desk<S> {
    let mut forms = krakow::forms();
    for form in &mut forms {
        if form.id == FORM {
            form.capacity = Some(2);
        }
    }
    let form = forms
        .iter()
        .find(|f| f.id == FORM)
        .expect("the form")
        .clone();
    let panel = workspace(store, forms, now());
    panel
        .put_account(AMBASSADOR, Role::Ambassador, Some("XIII"))
        .await;
    panel.put_account(VERIFIER, Role::Verifier, None).await;
    Desk { panel, form }
}

impl<S: Stored> Desk<S> {
    /// Registers `person`, confirmed (admitted: a place or the waiting
    /// list) or not; the reference.
    async fn register(&self, person: &Person<'_>, confirmed: bool) -> String {
        let admission = Admission::FirstCome {
            capacity: self.form.capacity,
        };
        let values = [
            ("full_name", person.name),
            ("email", person.email),
            ("district", person.district),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let new = NewRegistration {
            form_id: FORM.to_owned(),
            reference: format!(
                "R{:03}-TEST",
                self.store().list(FORM, now()).await.expect("a list").len()
            ),
            unique_key: person.email.to_owned(),
            values,
            consents: vec![ConsentRecord {
                name: "processing".to_owned(),
                version: "2020-02-19".to_owned(),
                given_at: now(),
            }],
            confirm_token_hash: (!confirmed).then(|| token_hash(&format!("c-{}", person.email))),
            withdraw_token_hash: token_hash(&format!("w-{}", person.email)),
            spam: None,
            created_at: now(),
            expires_at: now() + Duration::days(365),
        };
        match self
            .store()
            .insert(new, confirmed.then_some(admission))
            .await
        {
            Ok(Inserted::New(registration)) => registration.reference,
            other => panic!("not registered: {other:?}"),
        }
    }
}

fn detail_path(reference: &str) -> String {
    format!("{LIST}/zgloszenia/{reference}")
}

fn person(n: usize) -> (String, String) {
    (format!("Osoba {n:02}"), format!("osoba{n:02}@example.pl"))
}

async fn the_list_filters_searches_and_pages<S>(store: S)
where
    S: Stored,
{
    let desk = desk(store).await;
    let lucja = Person {
        name: "Łucja Żak",
        email: "lucja@example.pl",
        district: "XIII",
    };
    let first = desk.register(&lucja, true).await;
    for n in 1..55 {
        let (name, email) = person(n);
        let district = if n == 1 { "XIII" } else { "I" };
        let someone = Person {
            name: &name,
            email: &email,
            district,
        };
        desk.register(&someone, true).await;
    }
    let office = desk.sign_in(OFFICE).await;

    let all = desk.get(LIST, Some(&office)).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    assert_eq!(all.header(header::CACHE_CONTROL), "no-store");
    for part in [
        "<p>55 zgłoszeń</p>",
        "Zgłoszenia, strona 1 z 2",
        "<th scope=\"col\">Imię i nazwisko</th><th scope=\"col\">Adres e-mail</th>",
        &format!("<a href=\"{}\">{first}</a>", detail_path(&first)),
        "ma miejsce",
        "lista oczekujących",
        "href=\"/panel/formularze/ambasadorzy?strona=2\" rel=\"next\"",
        "/panel/formularze/ambasadorzy/eksport?format=csv",
        "/panel/formularze/ambasadorzy/eksport?format=json",
        "<label class=\"label\" for=\"stan\">Stan</label>",
        "<label class=\"label\" for=\"szukaj\">Szukaj</label>",
    ] {
        assert!(all.has(part), "{part} in {}", all.body);
    }
    assert!(!all.has("Numer telefonu"), "only the first few fields");
    assert!(!all.has("/losowanie"), "no draw of a first-come form");
    assert_eq!(all.body.matches("<tr><th scope=\"row\">").count(), 50);

    let second = desk.get(&format!("{LIST}?strona=2"), Some(&office)).await;
    assert!(second.has("Strona 2 z 2") && second.has("rel=\"prev\""));
    assert_eq!(second.body.matches("<tr><th scope=\"row\">").count(), 5);
    for (query, page) in [
        ("strona=99", 2),
        ("strona=abc", 1),
        ("strona=-1", 1),
        ("stan=nic", 1),
    ] {
        let answer = desk.get(&format!("{LIST}?{query}"), Some(&office)).await;
        assert_eq!(answer.status, StatusCode::OK, "{query}");
        assert!(answer.has(&format!("Strona {page} z 2")), "{query}");
    }

    let registered = desk
        .get(&format!("{LIST}?stan=registered"), Some(&office))
        .await;
    assert!(
        registered.has("Pasuje 2 zgłoszenia (spośród 55)"),
        "{}",
        registered.body
    );
    assert!(registered.has("<option value=\"registered\" selected>ma miejsce</option>"));

    let found = desk
        .get(&format!("{LIST}?szukaj=%C5%81UCJA"), Some(&office))
        .await;
    assert!(
        found.has("Pasuje 1 zgłoszenie (spośród 55)"),
        "{}",
        found.body
    );
    assert!(found.has("Łucja Żak") && found.has("value=\"ŁUCJA\""));
    let by_label = desk
        .get(&format!("{LIST}?szukaj=podg%C3%B3rze"), Some(&office))
        .await;
    assert!(
        by_label.has("Pasuje 2 zgłoszenia"),
        "a district by its name"
    );
    let by_reference = desk
        .get(
            &format!("{LIST}?szukaj={}", first.to_lowercase()),
            Some(&office),
        )
        .await;
    assert!(by_reference.has("Pasuje 1 zgłoszenie"));
    let none = desk
        .get(&format!("{LIST}?szukaj=nikogo"), Some(&office))
        .await;
    assert!(none.has("Pasuje 0 zgłoszeń") && none.has("Nie ma zgłoszeń, które pasują"));

    let kept = desk
        .get(&format!("{LIST}?stan=waiting&szukaj=osoba"), Some(&office))
        .await;
    assert!(
        kept.has(
            "href=\"/panel/formularze/ambasadorzy?stan=waiting&amp;szukaj=osoba&amp;strona=2\""
        ),
        "the next page keeps the filter and the search: {}",
        kept.body
    );

    let lottery = desk
        .get(&format!("/panel/formularze/{LOTTERY}"), Some(&office))
        .await;
    assert!(lottery.has(&format!("/panel/formularze/{LOTTERY}/losowanie")));
    assert!(lottery.has("<p>0 zgłoszeń</p>"));

    let views: Vec<String> = desk
        .audit()
        .await
        .into_iter()
        .filter(|e| e.action.as_str() == "list-viewed")
        .map(|e| format!("{:?} {}", e.form_id, e.detail.unwrap_or_default()))
        .collect();
    assert!(
        views
            .contains(&"Some(\"ambasadorzy\") stan=waiting; strona=1; wyszukiwanie=tak".to_owned()),
        "{views:?}"
    );
    assert!(
        views.contains(
            &"Some(\"ambasadorzy\") stan=wszystkie; strona=2; wyszukiwanie=nie".to_owned()
        ),
        "{views:?}"
    );
}

async fn a_registration_shows_every_field_by_its_label<S>(store: S)
where
    S: Stored,
{
    let desk = desk(store).await;
    let reference = desk
        .register(
            &Person {
                name: "Jan <b>Kowalski</b>",
                email: "jan@example.pl",
                district: "XIII",
            },
            true,
        )
        .await;
    let office = desk.sign_in(OFFICE).await;
    let page = desk.get(&detail_path(&reference), Some(&office)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for part in [
        &format!("<h1>Zgłoszenie {reference}</h1>"),
        "<dt>Imię i nazwisko</dt><dd>Jan &lt;b&gt;Kowalski&lt;/b&gt;</dd>",
        "<dt>Dzielnica</dt><dd>Dzielnica XIII Podgórze</dd>",
        "<dt>Numer telefonu</dt><dd>–</dd>",
        "<dt>Stan</dt><dd>ma miejsce</dd>",
        "<td>2020-02-19</td>",
        "Wycofaj zgłoszenie",
        "Wyślij ponownie e-mail z linkami",
        "Oznacz adres jako niedziałający",
    ] {
        assert!(page.has(part), "{part} in {}", page.body);
    }
    let log = desk.audit().await;
    assert!(log
        .iter()
        .any(|e| e.action.as_str() == "registration-viewed"
            && e.reference.as_deref() == Some(reference.as_str())
            && e.actor == OFFICE));

    for path in [
        format!("{LIST}/zgloszenia/NIE-MA"),
        "/panel/formularze/nie-ma-takiego".to_owned(),
        "/panel/formularze/nie-ma-takiego/eksport".to_owned(),
        format!("{LIST}/eksport?format=xlsx"),
    ] {
        let missing = desk.get(&path, Some(&office)).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{path}");
        assert!(missing.has("<h1>Nie znaleziono</h1>"), "{path}");
    }
}

async fn withdrawing_needs_a_reason_and_passes_the_place_on<S>(store: S)
where
    S: Stored,
{
    let desk = desk(store).await;
    let mut references = Vec::new();
    for n in 1..=3 {
        let (name, email) = person(n);
        let someone = Person {
            name: &name,
            email: &email,
            district: "I",
        };
        references.push(desk.register(&someone, true).await);
    }
    let office = desk.sign_in(OFFICE).await;
    let path = detail_path(&references[0]);
    let csrf = desk.get(&path, Some(&office)).await.csrf();
    let action = format!("{path}/wycofaj");

    let refused = desk.post(&action, Some(&office), &[("csrf", &csrf)]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    for part in [
        "<a href=\"#powod\">Wybierz powód wycofania zgłoszenia.</a>",
        "class=\"field field--error\"",
        "aria-describedby=\"powod-hint powod-error\"",
        "id=\"powod\" name=\"powod\" value=\"asked-by-email\" aria-invalid=\"true\"",
    ] {
        assert!(refused.has(part), "{part} in {}", refused.body);
    }
    let made_up = [("csrf", csrf.as_str()), ("powod", "dzwonił Pan Nowak")];
    let free_text = desk.post(&action, Some(&office), &made_up).await;
    assert_eq!(free_text.status, StatusCode::UNPROCESSABLE_ENTITY);
    let still = desk
        .store()
        .find(FORM, &references[0], now())
        .await
        .expect("found");
    assert_eq!(still.map(|r| r.status), Some(Status::Registered));

    let reason = [("csrf", csrf.as_str()), ("powod", "asked-by-phone")];
    let withdrawn = desk.post(&action, Some(&office), &reason).await;
    assert_eq!(withdrawn.status, StatusCode::SEE_OTHER);
    assert_eq!(
        withdrawn.header(header::LOCATION),
        format!("{path}?zrobione=wycofano")
    );
    let erased = desk
        .store()
        .find(FORM, &references[0], now())
        .await
        .expect("found");
    let erased = erased.expect("kept as withdrawn");
    assert_eq!(erased.status, Status::Withdrawn);
    assert!(erased.values.is_empty(), "personal data erased");

    let waiting = desk
        .store()
        .find(FORM, &references[2], now())
        .await
        .expect("found");
    assert_eq!(
        waiting.map(|r| r.status),
        Some(Status::Registered),
        "the place passed on"
    );
    let told = desk.mails_to("osoba03@example.pl");
    assert!(
        told.iter().any(|m| m.contains("Masz zapewnione miejsce.")),
        "{told:?}"
    );

    let after = desk
        .get(&format!("{path}?zrobione=wycofano"), Some(&office))
        .await;
    assert!(after.has("Zgłoszenie wycofano i usunięto dane osobowe."));
    assert!(after.has("<dt>Stan</dt><dd>wycofane</dd>"));
    assert!(!after.has("Wycofaj zgłoszenie") && !after.has("/wyslij-ponownie"));
    let again = desk.post(&action, Some(&office), &reason).await;
    assert_eq!(
        again.header(header::LOCATION),
        format!("{path}?zrobione=bez-zmian")
    );

    let log = desk.audit().await;
    let lines: Vec<_> = log
        .iter()
        .filter(|e| e.action.as_str() == "withdrawn")
        .collect();
    assert_eq!(lines.len(), 1, "{log:?}");
    assert_eq!(lines[0].reference.as_deref(), Some(references[0].as_str()));
    assert_eq!(lines[0].detail.as_deref(), Some("powod=asked-by-phone"));
}

async fn resending_gives_new_links_and_the_old_ones_stop_working<S>(store: S)
where
    S: Stored,
{
    let desk = desk(store).await;
    let email = "nowa@example.pl";
    let pending = Person {
        name: "Nowa Osoba",
        email,
        district: "I",
    };
    let reference = desk.register(&pending, false).await;
    let office = desk.sign_in(OFFICE).await;
    let path = detail_path(&reference);
    let csrf = desk.get(&path, Some(&office)).await.csrf();
    let sent = desk
        .post(
            &format!("{path}/wyslij-ponownie"),
            Some(&office),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    assert_eq!(
        sent.header(header::LOCATION),
        format!("{path}?zrobione=wyslano")
    );

    let mails = desk.mails_to(email);
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].contains("Wysyłamy ponownie linki do Twojego zgłoszenia"));
    let marker = "/api/forms/ambasadorzy/potwierdz?token=";
    let start = mails[0].find(marker).expect("a confirmation link") + marker.len();
    let token: String = mails[0][start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect();
    let form = desk.service.form(FORM).expect("the form");
    let old = desk
        .service
        .confirm(&form, &format!("c-{email}"), now())
        .await;
    assert_eq!(
        old.expect("an answer"),
        None,
        "the old link stopped working"
    );
    let new = desk
        .service
        .confirm(&form, &token, now())
        .await
        .expect("an answer");
    assert_eq!(new.map(|r| r.status), Some(Status::Registered));

    let log = desk.audit().await;
    assert!(log
        .iter()
        .any(|e| e.action.as_str() == "confirmation-resent"
            && e.reference.as_deref() == Some(reference.as_str())));
}

async fn marking_an_address_bounced_stops_mail_to_it<S>(store: S)
where
    S: Stored,
{
    let desk = desk(store).await;
    let someone = Person {
        name: "Ktoś",
        email: "zwrot@example.pl",
        district: "I",
    };
    let reference = desk.register(&someone, true).await;
    let office = desk.sign_in(OFFICE).await;
    let path = detail_path(&reference);
    let csrf = desk.get(&path, Some(&office)).await.csrf();
    let marked = desk
        .post(
            &format!("{path}/adres-nie-dziala"),
            Some(&office),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(marked.status, StatusCode::SEE_OTHER);
    assert_eq!(
        marked.header(header::LOCATION),
        format!("{path}?zrobione=oznaczono")
    );
    let stored = desk
        .store()
        .find(FORM, &reference, now())
        .await
        .expect("found");
    assert_eq!(
        stored.and_then(|r| r.mail_problem),
        Some(MailProblem::Bounced)
    );
    let page = desk.get(&path, Some(&office)).await;
    assert!(page.has("<dt>Poczta</dt><dd>adres nie działa (zwrot)</dd>"));
    assert!(!page.has("/wyslij-ponownie") && !page.has("/adres-nie-dziala"));
    let resent = desk
        .post(
            &format!("{path}/wyslij-ponownie"),
            Some(&office),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(
        resent.header(header::LOCATION),
        format!("{path}?zrobione=bez-zmian")
    );
    assert!(desk.mails_to("zwrot@example.pl").is_empty());
    let log = desk.audit().await;
    assert!(log.iter().any(|e| e.action.as_str() == "marked-bounced"
        && e.reference.as_deref() == Some(reference.as_str())));
}

async fn the_export_is_the_commands_file<S>(store: S)
where
    S: Stored,
{
    let desk = desk(store).await;
    for n in 1..=3 {
        let (name, email) = person(n);
        let mut someone = Person {
            name: &name,
            email: &email,
            district: "I",
        };
        // A cell Excel would run, and a line break in a cell.
        if n == 2 {
            someone.name = "=HYPERLINK(\"x\")\nLinia";
        }
        desk.register(&someone, n != 3).await;
    }
    let office = desk.sign_in(OFFICE).await;
    for (format, extension, content_type) in [
        (ExportFormat::Csv, "csv", "text/csv; charset=utf-8"),
        (ExportFormat::Json, "json", "application/json"),
    ] {
        let download = desk
            .get(&format!("{LIST}/eksport?format={extension}"), Some(&office))
            .await;
        assert_eq!(download.status, StatusCode::OK);
        let expected = staff::export(&desk.form, desk.store(), format, now())
            .await
            .expect("an export");
        assert_eq!(download.body.as_bytes(), expected.as_slice(), "{extension}");
        assert_eq!(download.header(header::CONTENT_TYPE), content_type);
        assert_eq!(download.header(header::CACHE_CONTROL), "no-store");
        assert_eq!(
            download.header(header::CONTENT_DISPOSITION),
            format!("attachment; filename=\"ambasadorzy-2026-03-02.{extension}\"")
        );
    }
    let default = desk.get(&format!("{LIST}/eksport"), Some(&office)).await;
    assert_eq!(
        default.header(header::CONTENT_TYPE),
        "text/csv; charset=utf-8"
    );
    // The clock stands still: the three lines are of the same moment.
    let mut details: Vec<String> = desk
        .audit()
        .await
        .into_iter()
        .filter(|e| e.action.as_str() == "exported")
        .filter_map(|e| e.detail)
        .collect();
    details.sort();
    let expected = [
        "format=csv; wiersze=3",
        "format=csv; wiersze=3",
        "format=json; wiersze=3",
    ];
    assert_eq!(details, expected);
}

async fn the_audit_log_holds_no_searched_text_or_values<S>(store: S)
where
    S: Stored,
{
    let desk = desk(store).await;
    let someone = Person {
        name: "Grzegorz Brzęczyszczykiewicz",
        email: "grzegorz@example.pl",
        district: "XIII",
    };
    let reference = desk.register(&someone, true).await;
    let office = desk.sign_in(OFFICE).await;
    desk.get(
        &format!("{LIST}?szukaj=Brz%C4%99czyszczykiewicz"),
        Some(&office),
    )
    .await;
    desk.get(
        &format!("{LIST}?szukaj=grzegorz%40example.pl"),
        Some(&office),
    )
    .await;
    let page = desk.get(&detail_path(&reference), Some(&office)).await;
    desk.get(&format!("{LIST}/eksport?format=json"), Some(&office))
        .await;
    let csrf = page.csrf();
    let reason = [("csrf", csrf.as_str()), ("powod", "duplicate")];
    let action = format!("{}/wycofaj", detail_path(&reference));
    desk.post(&action, Some(&office), &reason).await;
    let log = desk.audit().await;
    assert!(log.len() >= 6, "{log:?}");
    let text = format!("{log:?}").to_lowercase();
    for secret in ["brzęczyszczykiewicz", "grzegorz", "dzielnica", "xiii"] {
        assert!(!text.contains(secret), "{secret} in the log: {text}");
    }
}

async fn only_office_may_see_or_act<S>(store: S)
where
    S: Stored,
{
    let desk = desk(store).await;
    let someone = Person {
        name: "Ktoś",
        email: "ktos@example.pl",
        district: "I",
    };
    let reference = desk.register(&someone, true).await;
    let detail = detail_path(&reference);
    let pages = [
        LIST.to_owned(),
        format!("{LIST}/eksport?format=csv"),
        format!("{LIST}/eksport?format=json"),
        detail.clone(),
    ];
    let actions = [
        format!("{detail}/wycofaj"),
        format!("{detail}/wyslij-ponownie"),
        format!("{detail}/adres-nie-dziala"),
    ];
    for path in &pages {
        let answer = desk.get(path, None).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(answer.header(header::LOCATION), "/panel/logowanie");
    }
    for path in &actions {
        let answer = desk
            .post(path, None, &[("csrf", "x"), ("powod", "other")])
            .await;
        assert_eq!(
            answer.header(header::LOCATION),
            "/panel/logowanie",
            "{path}"
        );
    }
    for email in [AMBASSADOR, VERIFIER] {
        let cookie = desk.sign_in(email).await;
        let csrf = desk.get("/panel/", Some(&cookie)).await.csrf();
        for path in &pages {
            let answer = desk.get(path, Some(&cookie)).await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{email} {path}");
            assert!(!answer.has("ktos@example.pl") && !answer.has("Ktoś"));
        }
        for path in &actions {
            let fields = [("csrf", csrf.as_str()), ("powod", "other")];
            let answer = desk.post(path, Some(&cookie), &fields).await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{email} {path}");
        }
    }
    let office = desk.sign_in(OFFICE).await;
    for path in &actions {
        for fields in [
            vec![("powod", "other")],
            vec![("csrf", "00ff"), ("powod", "other")],
        ] {
            let answer = desk.post(path, Some(&office), &fields).await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path} {fields:?}");
        }
    }
    let stored = desk
        .store()
        .find(FORM, &reference, now())
        .await
        .expect("found");
    let stored = stored.expect("still there");
    assert_eq!(
        (stored.status, stored.mail_problem),
        (Status::Registered, None)
    );
    assert!(
        desk.audit().await.iter().all(|e| e.reference.is_none()),
        "nothing was seen"
    );
}

agora_test_support::on_every_store!(
    the_list_filters_searches_and_pages,
    a_registration_shows_every_field_by_its_label,
    withdrawing_needs_a_reason_and_passes_the_place_on,
    resending_gives_new_links_and_the_old_ones_stop_working,
    marking_an_address_bounced_stops_mail_to_it,
    the_export_is_the_commands_file,
    the_audit_log_holds_no_searched_text_or_values,
    only_office_may_see_or_act,
);
