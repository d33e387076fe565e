//! The form functions' decisions end to end on the embedded store: what a
//! resident submits, what they are e-mailed, what is stored.

use agora_test_support::fixture::{self, TempOutbox};
use agora_test_support::krakow;

use agora_core::fill_time::Stamps;
use agora_core::forms::{FormDefinition, Submission};
use agora_core::mail::{Email, MailError, Mailer};
use agora_core::registration::Status;
use agora_core::service::{Client, Service, Submitted};
use agora_core::store::Store;
use agora_stores::outbox::Outbox;
use agora_stores::sqlite::SqliteStore;
use chrono::{DateTime, Duration, TimeZone, Utc};

/// Five requests a client a window: a test can reach the limit.
const RATE_LIMIT: u32 = 5;

/// In the ambassadors' 2020 recruitment window.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 3, 5, 12, 0, 0)
        .single()
        .expect("a valid time")
}

fn client(address: &str) -> Client {
    Client {
        address: address.to_owned(),
    }
}

struct Setup {
    service: Service<SqliteStore, Outbox>,
    outbox: TempOutbox,
}

fn setup() -> Setup {
    let store = SqliteStore::in_memory().expect("a store");
    let (service, outbox) = fixture::service(krakow::forms(), store, RATE_LIMIT);
    Setup { service, outbox }
}

impl Setup {
    fn form(&self, id: &str) -> FormDefinition {
        FormDefinition::clone(&self.service.form(id).expect("the form"))
    }

    /// The outbox's messages: (file name, decoded text).
    fn mails(&self) -> Vec<(String, String)> {
        self.outbox.mails()
    }

    fn link(&self, file: &str, action: &str) -> String {
        let (_, text) = self
            .mails()
            .into_iter()
            .find(|(name, _)| name == file)
            .expect("the message");
        let start = text.find(&format!("/{action}?token=")).expect("the link");
        let token = &text[start + action.len() + 8..];
        token[..token.find(char::is_whitespace).unwrap_or(token.len())].to_owned()
    }
}

/// A fill-time stamp signed with the test settings' secret long before
/// the tests' clock: a person who took their time.
fn stamp(form_id: &str) -> String {
    let long_ago = Utc
        .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
        .single()
        .expect("a valid time");
    Stamps::new(fixture::SALT).issue(form_id, long_ago)
}

fn ambassador(email: &str) -> Submission {
    Submission::from_pairs([
        ("full_name", "Anna Nowak"),
        ("email", email),
        ("district", "XIII"),
        ("area", "Osiedle Kabel"),
        ("processing", "on"),
        ("website", ""),
        ("started_at", &stamp("ambasadorzy")),
    ])
}

fn accepted(outcome: Submitted) -> (Option<String>, Status) {
    match outcome {
        Submitted::Accepted { reference, status } => (reference, status),
        other => panic!("expected acceptance, got {other:?}"),
    }
}

/// The reference of the registration stored for `email`: the answer to a
/// form with double opt-in does not show it.
async fn stored_reference<S: Store>(store: &S, form_id: &str, email: &str) -> String {
    store
        .list(form_id, now())
        .await
        .expect("listed")
        .into_iter()
        .find(|r| r.values.get("email").map(String::as_str) == Some(email))
        .map(|r| r.reference)
        .expect("a stored registration")
}

#[tokio::test]
async fn a_resident_registers_confirms_and_withdraws() {
    let setup = setup();
    let form = setup.form("ambasadorzy");
    let (shown, status) = accepted(
        setup
            .service
            .submit(
                &form,
                &ambassador("anna@example.pl"),
                &client("10.0.0.1"),
                now(),
            )
            .await
            .expect("answered"),
    );
    assert_eq!(status, Status::Pending);
    assert_eq!(shown, None, "shown once the address is proven");
    let reference = stored_reference(setup.service.store(), "ambasadorzy", "anna@example.pl").await;
    let file = format!("{reference}-zgloszenie.eml");
    let mails = setup.mails();
    let (_, text) = mails
        .iter()
        .find(|(name, _)| *name == file)
        .expect("the confirmation e-mail");
    assert!(
        text.contains(&reference) && text.contains("Potwierdź zgłoszenie"),
        "{text}"
    );
    assert!(
        text.contains("/api/forms/ambasadorzy/wycofaj?token="),
        "{text}"
    );
    assert!(
        !mails.iter().any(|(name, _)| name.contains("powiadomienie")),
        "staff hear of confirmed ones only"
    );

    let confirm = setup.link(&file, "potwierdz");
    let confirmed = setup
        .service
        .confirm(&form, &confirm, now())
        .await
        .expect("answered")
        .expect("known token");
    assert_eq!(confirmed.status, Status::Registered);
    let names: Vec<String> = setup.mails().into_iter().map(|(n, _)| n).collect();
    assert!(
        names.contains(&format!("{reference}-registered.eml")),
        "{names:?}"
    );
    let staff = setup
        .mails()
        .into_iter()
        .find(|(n, _)| n == &format!("{reference}-powiadomienie.eml"))
        .expect("a staff notification");
    assert!(
        !staff.1.contains("Anna") && !staff.1.contains("anna@example.pl"),
        "no personal data to staff: {}",
        staff.1
    );

    let withdraw = setup.link(&file, "wycofaj");
    assert!(setup
        .service
        .withdraw(&form, &withdraw, now())
        .await
        .expect("answered"));
    let stored = setup
        .service
        .store()
        .find("ambasadorzy", &reference, now())
        .await
        .expect("read")
        .expect("a tombstone");
    assert_eq!(stored.status, Status::Withdrawn);
    assert!(stored.values.is_empty());
    assert!(
        !setup
            .service
            .withdraw(&form, &withdraw, now())
            .await
            .expect("answered"),
        "a token works once"
    );
}

#[tokio::test]
async fn the_same_person_again_gets_the_same_answer_and_new_links() {
    let setup = setup();
    let form = setup.form("ambasadorzy");
    let first = accepted(
        setup
            .service
            .submit(&form, &ambassador("anna@example.pl"), &client("a"), now())
            .await
            .expect("answered"),
    );
    let reference = stored_reference(setup.service.store(), "ambasadorzy", "anna@example.pl").await;
    let first_mail = format!("{reference}-zgloszenie.eml");
    let old_confirm = setup.link(&first_mail, "potwierdz");
    let old_withdraw = setup.link(&first_mail, "wycofaj");

    // Someone types Anna's address with another name: one registration,
    // and an answer that says nothing of hers.
    let mut stranger = ambassador("ANNA@example.pl");
    stranger
        .values
        .insert("full_name".to_owned(), vec!["Ktoś Inny".to_owned()]);
    let second = accepted(
        setup
            .service
            .submit(&form, &stranger, &client("b"), now())
            .await
            .expect("answered"),
    );
    assert_eq!(first, second, "a new and a repeated submission look alike");
    assert_eq!(second.0, None, "the stored reference is not revealed");
    let stored = setup
        .service
        .store()
        .list("ambasadorzy", now())
        .await
        .expect("listed");
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].values["full_name"], "Anna Nowak",
        "nothing overwritten"
    );

    // The reminder goes to the stored address, with links that replace
    // the first ones (the first e-mail may never have arrived).
    let reminder = format!("{reference}-ponowne-zgloszenie.eml");
    let (_, text) = setup
        .mails()
        .into_iter()
        .find(|(n, _)| *n == reminder)
        .expect("a reminder");
    assert!(text.contains(&reference), "{text}");
    assert!(!text.contains("Ktoś Inny"), "{text}");
    let new_confirm = setup.link(&reminder, "potwierdz");
    assert_ne!(new_confirm, old_confirm);
    assert!(
        setup
            .service
            .confirm(&form, &old_confirm, now())
            .await
            .expect("answered")
            .is_none(),
        "the replaced link stopped working"
    );
    let confirmed = setup
        .service
        .confirm(&form, &new_confirm, now())
        .await
        .expect("answered")
        .expect("the new link confirms");
    assert_eq!(confirmed.status, Status::Registered);
    assert!(!setup
        .service
        .withdraw(&form, &old_withdraw, now())
        .await
        .expect("answered"));

    // Once confirmed, a reminder brings a withdrawal link only.
    accepted(
        setup
            .service
            .submit(&form, &ambassador("anna@example.pl"), &client("c"), now())
            .await
            .expect("answered"),
    );
    let (_, text) = setup
        .mails()
        .into_iter()
        .find(|(n, _)| *n == reminder)
        .expect("a reminder");
    assert!(!text.contains("/potwierdz?token="), "{text}");
    let withdraw = setup.link(&reminder, "wycofaj");
    assert!(setup
        .service
        .withdraw(&form, &withdraw, now())
        .await
        .expect("answered"));
}

#[tokio::test]
async fn bots_are_answered_as_people_but_kept_apart_for_review() {
    let setup = setup();
    let form = setup.form("ambasadorzy");
    let mut honeypot = ambassador("bot@example.pl");
    honeypot
        .values
        .insert("website".to_owned(), vec!["http://spam.example".to_owned()]);
    let (shown, status) = accepted(
        setup
            .service
            .submit(&form, &honeypot, &client("a"), now())
            .await
            .expect("answered"),
    );
    assert_eq!(
        (shown, status),
        (None, Status::Pending),
        "the bot learns nothing"
    );
    let reference = stored_reference(setup.service.store(), "ambasadorzy", "bot@example.pl").await;
    let stored = setup
        .service
        .store()
        .find("ambasadorzy", &reference, now())
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(stored.status, Status::Spam);
    assert!(setup.mails().is_empty(), "no e-mail to a bot's address");

    let mut hasty = ambassador("fast@example.pl");
    let given_out = setup
        .service
        .fill_stamp(&form, now() - Duration::seconds(1));
    hasty
        .values
        .insert("started_at".to_owned(), vec![given_out]);
    accepted(
        setup
            .service
            .submit(&form, &hasty, &client("b"), now())
            .await
            .expect("answered"),
    );
    let reference = stored_reference(setup.service.store(), "ambasadorzy", "fast@example.pl").await;
    let stored = setup
        .service
        .store()
        .find("ambasadorzy", &reference, now())
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(stored.status, Status::Spam);
    assert!(stored
        .spam
        .as_deref()
        .is_some_and(|r| r.contains("ms after")));
}

#[tokio::test]
async fn a_client_over_the_rate_limit_is_told_when_to_retry() {
    let setup = setup();
    let form = setup.form("ambasadorzy");
    for i in 0..5 {
        let outcome = setup
            .service
            .submit(
                &form,
                &ambassador(&format!("p{i}@example.pl")),
                &client("10.0.0.9"),
                now(),
            )
            .await
            .expect("answered");
        assert!(matches!(outcome, Submitted::Accepted { .. }), "{outcome:?}");
    }
    match setup
        .service
        .submit(
            &form,
            &ambassador("p6@example.pl"),
            &client("10.0.0.9"),
            now(),
        )
        .await
        .expect("answered")
    {
        Submitted::RateLimited {
            retry_after_seconds,
        } => assert!((1..=600).contains(&retry_after_seconds)),
        other => panic!("expected a rate limit, got {other:?}"),
    }
}

#[tokio::test]
async fn a_form_outside_its_window_refuses_without_storing() {
    let setup = setup();
    let form = setup.form("ambasadorzy");
    let before = Utc
        .with_ymd_and_hms(2020, 1, 1, 0, 0, 0)
        .single()
        .expect("a time");
    let after = Utc
        .with_ymd_and_hms(2021, 1, 1, 0, 0, 0)
        .single()
        .expect("a time");
    let early = setup
        .service
        .submit(&form, &ambassador("a@example.pl"), &client("a"), before)
        .await
        .expect("answered");
    assert!(matches!(early, Submitted::NotOpenYet { .. }), "{early:?}");
    let late = setup
        .service
        .submit(&form, &ambassador("a@example.pl"), &client("a"), after)
        .await
        .expect("answered");
    assert!(matches!(late, Submitted::Closed { .. }), "{late:?}");
    assert!(setup
        .service
        .store()
        .list("ambasadorzy", before)
        .await
        .expect("listed")
        .is_empty());
}

struct BrokenMailer;

impl Mailer for BrokenMailer {
    async fn send(&self, _: Email) -> Result<(), MailError> {
        Err(MailError::Send("the mail server is down".to_owned()))
    }
}

#[tokio::test]
async fn a_failed_email_loses_no_registration() {
    let store = SqliteStore::in_memory().expect("a store");
    let service = Service::new(
        krakow::forms(),
        store,
        BrokenMailer,
        fixture::settings(RATE_LIMIT),
    );
    let form = FormDefinition::clone(&service.form("ambasadorzy").expect("the form"));
    accepted(
        service
            .submit(&form, &ambassador("anna@example.pl"), &client("a"), now())
            .await
            .expect("answered"),
    );
    let reference = stored_reference(service.store(), "ambasadorzy", "anna@example.pl").await;
    assert!(service
        .store()
        .find("ambasadorzy", &reference, now())
        .await
        .expect("read")
        .is_some());
}

#[tokio::test]
async fn the_public_status_shows_places_but_no_people() {
    let setup = setup();
    let workshops = setup.form("warsztaty-wspolne-projekty-miejskie-2020");
    let status = setup
        .service
        .status(&workshops, now())
        .await
        .expect("status");
    assert!(status.open);
    assert_eq!(status.capacity, Some(60));
    assert_eq!(
        status.places_left, None,
        "a lottery has no places left to count down"
    );
    let json = serde_json::to_string(&status).expect("serialisable");
    assert!(json.contains("\"allocation\":\"lottery\""), "{json}");
}

#[tokio::test]
async fn a_lottery_application_confirmed_after_closing_is_told_it_is_not_in_the_draw() {
    let setup = setup();
    let workshops = setup.form("warsztaty-wspolne-projekty-miejskie-2020");
    let application = |email: &str| {
        Submission::from_pairs([
            ("full_name", "Anna Nowak"),
            ("email", email),
            ("attends_all", "on"),
            ("processing", "on"),
            ("website", ""),
            (
                "started_at",
                &stamp("warsztaty-wspolne-projekty-miejskie-2020"),
            ),
        ])
    };
    let mut confirmations = Vec::new();
    for (email, address) in [("w-czas@example.pl", "a"), ("za-pozno@example.pl", "b")] {
        accepted(
            setup
                .service
                .submit(&workshops, &application(email), &client(address), now())
                .await
                .expect("answered"),
        );
        let reference = stored_reference(setup.service.store(), &workshops.id, email).await;
        let token = setup.link(&format!("{reference}-zgloszenie.eml"), "potwierdz");
        confirmations.push((reference, token));
    }
    let closes = workshops
        .closes
        .expect("a closing date")
        .at
        .with_timezone(&Utc);
    for ((reference, token), at) in confirmations
        .iter()
        .zip([closes - Duration::minutes(1), closes + Duration::minutes(1)])
    {
        let confirmed = setup
            .service
            .confirm(&workshops, token, at)
            .await
            .expect("answered")
            .expect("known token");
        assert_eq!(&confirmed.reference, reference);
        assert_eq!(confirmed.status, Status::Applied);
    }
    let mail = |reference: &str| {
        setup
            .mails()
            .into_iter()
            .find(|(name, _)| *name == format!("{reference}-applied.eml"))
            .map(|(_, text)| text)
            .expect("the decision e-mail")
    };
    let in_time = mail(&confirmations[0].0);
    assert!(in_time.contains("weźmie udział w losowaniu"), "{in_time}");
    let late = mail(&confirmations[1].0);
    assert!(
        late.contains("po zamknięciu naboru") && late.contains("nie weźmie udziału w losowaniu"),
        "{late}"
    );
}
