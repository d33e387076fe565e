//! Someone joins an ambassador's process: once their registration
//! counts (confirmed through its link, or admitted at once by a form
//! without double opt-in), the ambassador accounts of the chosen
//! ambassador's area get an e-mail pointing to their view in the
//! workspace, and nobody else does. The e-mail names no one; a second
//! click of the link sends nothing more; a mailer that fails leaves the
//! confirmation done. On SQLite and DynamoDB Local.

use agora_test_support::workspace::add_account;
use agora_test_support::{fixture, krakow};

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use agora_core::forms::{FormDefinition, Submission, STARTED_FIELD};
use agora_core::mail::{Email, MailError, Mailer};
use agora_core::panel::notify::JoinNotice;
use agora_core::panel::{PanelStore, Role};
use agora_core::registration::{new_token, token_hash, Admission, ConsentRecord};
use agora_core::registration::{NewRegistration, Status};
use agora_core::routes;
use agora_core::service::{Client, Service, Submitted};
use agora_core::store::{Inserted, Store};
use chrono::{DateTime, Duration, TimeZone, Utc};

const APPLICATIONS: &str = "ambasadorzy";
const JOINING: &str = "dolacz-do-procesu";
/// The applications of the ambassadors of areas XIII and I.
const ANNA: &str = "K7QX-M3PA";
const PIOTR: &str = "P2WZ-T4NB";
/// Ambassador accounts: two of area XIII (one typed as staff may), one of I.
const ZOFIA: &str = "zofia@example.pl";
const EWA: &str = "ewa@example.pl";
const ADAM: &str = "adam@example.pl";
const OFFICE: &str = "biuro@example.pl";
const VERIFIER: &str = "weryfikator@example.pl";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
        .single()
        .expect("a valid time")
}

/// What every store these stories run on can do.
pub trait Stored: Store + PanelStore + Clone + 'static {}
impl<S: Store + PanelStore + Clone + 'static> Stored for S {}

/// A mailer keeping what it sends, or failing every message while told to.
#[derive(Clone, Default)]
struct Mail {
    sent: Arc<Mutex<Vec<Email>>>,
    failing: Arc<AtomicBool>,
}

impl Mailer for Mail {
    async fn send(&self, email: Email) -> Result<(), MailError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(MailError::Send("the relay is down".to_owned()));
        }
        self.sent.lock().expect("the mail").push(email);
        Ok(())
    }
}

impl Mail {
    /// The messages sent to the workspace's accounts.
    fn to_staff(&self) -> Vec<Email> {
        let accounts = [ZOFIA, EWA, ADAM, OFFICE, VERIFIER];
        let sent = self.sent.lock().expect("the mail");
        sent.iter()
            .filter(|e| accounts.contains(&e.to.as_str()))
            .cloned()
            .collect()
    }

    fn recipients(&self) -> BTreeSet<String> {
        self.to_staff().into_iter().map(|e| e.to).collect()
    }
}

/// The Kraków forms, the joining one offering Anna's and Piotr's areas.
fn forms(double_opt_in: bool) -> Vec<FormDefinition> {
    let path = krakow::content_dir().join(format!("forms/{JOINING}.yaml"));
    let text = std::fs::read_to_string(&path).expect("the joining form");
    let list = serde_json::json!({ "ambassadors": [
        { "id": ANNA, "area": "Osiedle przy parku", "district": "XIII" },
        { "id": PIOTR, "area": "Stare Miasto", "district": "I" },
    ]});
    let data = |name: &str| (name == APPLICATIONS).then(|| list.clone());
    let mut joining =
        FormDefinition::parse(JOINING, &text, Path::new("join.yaml"), &data).expect("valid");
    joining.double_opt_in = double_opt_in;
    let mut forms = krakow::forms();
    forms.retain(|f| f.id != JOINING);
    forms.push(joining);
    forms
}

struct Site<S> {
    service: Service<S, Mail>,
    mail: Mail,
}

/// The service as the confirm and register functions and `agora serve`
/// run it, with the two ambassadors' applications and every kind of account.
async fn site<S: Stored>(store: S, double_opt_in: bool) -> Site<S> {
    let mail = Mail::default();
    let service = Service::new(
        forms(double_opt_in),
        store,
        mail.clone(),
        fixture::settings(100),
    )
    .after_confirmation(Arc::new(JoinNotice));
    let site = Site { service, mail };
    site.insert(
        APPLICATIONS,
        ANNA,
        &applicant("Anna Nowak", "anna@example.pl", "XIII"),
        None,
    )
    .await;
    site.insert(
        APPLICATIONS,
        PIOTR,
        &applicant("Piotr Wiśniewski", "piotr@example.pl", "I"),
        None,
    )
    .await;
    let accounts = [
        (ZOFIA, Role::Ambassador, Some("XIII")),
        (EWA, Role::Ambassador, Some(" xiii ")),
        (ADAM, Role::Ambassador, Some("I")),
        (OFFICE, Role::Office, None),
        (VERIFIER, Role::Verifier, None),
    ];
    for account in accounts {
        add_account(site.service.store(), account, OFFICE, now()).await;
    }
    site
}

/// An application to be the ambassador of `district`, from `email`.
fn applicant<'a>(name: &'a str, email: &'a str, district: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("full_name", name),
        ("email", email),
        ("district", district),
        ("area", "Osiedle przy parku"),
    ]
}

/// Maria's values, joining the process of the ambassador `chosen`.
fn maria(chosen: &str) -> Vec<(&str, &str)> {
    vec![
        ("full_name", "Maria Kabel"),
        ("email", "maria@example.pl"),
        ("ambassador", chosen),
        ("idea", "Ławki przy placu zabaw"),
    ]
}

impl<S: Stored> Site<S> {
    fn form(&self, id: &str) -> Arc<FormDefinition> {
        self.service.form(id).expect("the form")
    }

    /// Puts a registration made a day ago into the store: admitted, or
    /// waiting for the confirmation token `confirm`.
    async fn insert(
        &self,
        form: &str,
        reference: &str,
        values: &[(&str, &str)],
        confirm: Option<&str>,
    ) {
        let created_at = now() - Duration::days(1);
        let values: BTreeMap<String, String> = values
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let new = NewRegistration {
            form_id: form.to_owned(),
            reference: reference.to_owned(),
            unique_key: values.get("email").cloned().unwrap_or_default(),
            values,
            consents: vec![ConsentRecord {
                name: "processing".to_owned(),
                version: "2026-12-07".to_owned(),
                given_at: created_at,
            }],
            confirm_token_hash: confirm.map(token_hash),
            withdraw_token_hash: token_hash(&new_token().expect("randomness")),
            spam: None,
            created_at,
            expires_at: created_at + Duration::days(365),
        };
        let admission = confirm
            .is_none()
            .then_some(Admission::FirstCome { capacity: None });
        let store = self.service.store();
        let inserted = store.insert(new, admission).await.expect("stored");
        assert!(
            matches!(inserted, Inserted::New(_)),
            "{reference} stored twice"
        );
    }

    /// A registration of the joining form waiting for its person's
    /// click: the token of its link.
    async fn joins(&self, reference: &str, values: &[(&str, &str)]) -> String {
        let token = new_token().expect("randomness");
        self.insert(JOINING, reference, values, Some(&token)).await;
        token
    }

    /// The person opens the link `token` at `at`.
    async fn click(&self, token: &str, at: DateTime<Utc>) -> Status {
        let confirmed = self
            .service
            .confirm(&self.form(JOINING), token, at)
            .await
            .expect("the store answers")
            .expect("the registration");
        assert!(confirmed.confirmed_at.is_some());
        confirmed.status
    }
}

async fn confirming_tells_only_the_ambassadors_of_the_chosen_area<S: Stored>(store: S) {
    let site = site(store, true).await;
    let token = site.joins("M4RI-AKAB", &maria(ANNA)).await;
    assert!(site.mail.to_staff().is_empty());

    assert_eq!(site.click(&token, now()).await, Status::Registered);
    let expected: BTreeSet<String> = [ZOFIA, EWA].map(str::to_owned).into();
    assert_eq!(site.mail.recipients(), expected);
    let notices = site.mail.to_staff();
    let view = format!(
        "{}{}",
        site.service.settings().public_url,
        routes::PANEL_AREA
    );
    for notice in &notices {
        assert!(notice
            .body
            .contains("Ktoś dołączył do procesu w Twoim obszarze (XIII)"));
        assert!(notice.body.contains(&view), "{}", notice.body);
        let text = format!("{} {} {}", notice.subject, notice.body, notice.tag);
        for personal in [
            "Maria",
            "Kabel",
            "maria@example.pl",
            "Ławki",
            "Anna Nowak",
            "anna@example.pl",
        ] {
            assert!(!text.contains(personal), "{personal}: {text}");
        }
        assert_eq!(notice.regarding, None);
    }
    let tags: BTreeSet<&str> = notices.iter().map(|n| n.tag.as_str()).collect();
    assert_eq!(tags.len(), notices.len(), "{tags:?}");

    // The link opened again: confirmed already, nobody told twice.
    let later = now() + Duration::minutes(5);
    assert_eq!(site.click(&token, later).await, Status::Registered);
    assert_eq!(site.mail.to_staff().len(), notices.len());

    // Joining Piotr's process tells the ambassador of area I alone.
    let token = site
        .joins(
            "T0MA-SZRY",
            &[("email", "tomasz@example.pl"), ("ambassador", PIOTR)],
        )
        .await;
    site.click(&token, now()).await;
    let told: Vec<String> = site.mail.to_staff()[notices.len()..]
        .iter()
        .map(|e| e.to.clone())
        .collect();
    assert_eq!(told, [ADAM]);
}

async fn a_form_without_double_opt_in_tells_them_at_once<S: Stored>(store: S) {
    let site = site(store, false).await;
    let form = site.form(JOINING);
    let mut pairs = maria(ANNA);
    let stamp = site.service.fill_stamp(&form, now() - Duration::minutes(2));
    pairs.extend([(STARTED_FIELD, stamp.as_str()), ("processing", "on")]);
    let client = Client {
        address: "203.0.113.7".to_owned(),
    };
    let submission = Submission::from_pairs(pairs);
    let submitted = site
        .service
        .submit(&form, &submission, &client, now())
        .await;
    assert!(
        matches!(
            submitted,
            Ok(Submitted::Accepted {
                status: Status::Registered,
                ..
            })
        ),
        "{submitted:?}"
    );
    let expected: BTreeSet<String> = [ZOFIA, EWA].map(str::to_owned).into();
    assert_eq!(site.mail.recipients(), expected);

    // The same person again: nothing counts anew, nobody is told.
    let again = site.service.with_fresh_stamp(&form, &submission, now());
    site.service
        .submit(&form, &again, &client, now())
        .await
        .expect("stored");
    assert_eq!(site.mail.to_staff().len(), 2);
}

async fn a_mailer_that_fails_leaves_the_confirmation_done<S: Stored>(store: S) {
    let site = site(store, true).await;
    let token = site.joins("M4RI-AKAB", &maria(ANNA)).await;
    site.mail.failing.store(true, Ordering::SeqCst);

    assert_eq!(site.click(&token, now()).await, Status::Registered);
    let stored = site
        .service
        .store()
        .find(JOINING, "M4RI-AKAB", now())
        .await
        .expect("the store answers")
        .expect("the registration");
    assert_eq!(stored.status, Status::Registered);
    assert!(stored.confirmed_at.is_some());
    assert!(site.mail.sent.lock().expect("the mail").is_empty());
}

agora_test_support::on_every_store!(
    confirming_tells_only_the_ambassadors_of_the_chosen_area,
    a_form_without_double_opt_in_tells_them_at_once,
    a_mailer_that_fails_leaves_the_confirmation_done,
);
