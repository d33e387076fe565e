//! The resident's side of pre-verification on the embedded store: the
//! private page opens with its link's key only, and the one reply is
//! checked by the form's rules, saved once and told to the unit's
//! verifiers, naming no one.

use std::collections::BTreeMap;

use agora_test_support::fixture::{self, TempOutbox};
use std::path::Path;

use agora_core::forms::{FormDefinition, Submission};
use agora_core::ideas::reply::{open, reply, reply_form};
use agora_core::ideas::{Answer, IdeaRecord, IdeaRecords, Outcome, Refusal, Replied, Stage};
use agora_core::panel::{Account, PanelStore, Role};
use agora_core::registration::{new_reference, new_token, token_hash, Admission};
use agora_core::registration::{NewRegistration, Status};
use agora_core::service::Service;
use agora_core::store::Store;
use agora_stores::outbox::Outbox;
use agora_stores::sqlite::SqliteStore;
use chrono::{DateTime, Duration, TimeZone, Utc};

const FORM: &str = "pomysly";
const UNIT: &str = "zzm";

/// A form of ideas as the tests need it: the fields a reply may change,
/// and the contact it may not.
const IDEAS: &str = r#"
title: Pomysły
opens: 2020-02-19
allocation: first_come
unique_field: email
double_opt_in: true
notify: zespol@example.org
retention_days: 365
purpose: Wstępna weryfikacja pomysłów na projekty.
legal_basis: consent
recipients: [cloud, email]
preverification:
  units: jednostki
  title_field: title
  district_field: place
  revisable: [title, place, description, cost]
fields:
  - { name: title, type: text, label: Tytuł, min_length: 3 }
  - { name: place, type: text, label: Miejsce }
  - { name: description, type: textarea, label: Opis, min_length: 20 }
  - name: cost
    type: number
    label: Koszt
    required: false
    min: 0
    messages: { invalid: Wpisz koszt jako liczbę. }
  - { name: email, type: email, label: E-mail }
consents:
  - { name: processing, required: true, version: "1", text: Zapoznałam się z informacją. }
"#;

fn ideas_form() -> FormDefinition {
    let units = serde_json::json!({ "units": [{ "id": UNIT, "name": "Zieleń" }] });
    let data = |name: &str| (name == "jednostki").then(|| units.clone());
    FormDefinition::parse(FORM, IDEAS, Path::new("pomysly.yaml"), &data).expect("a valid form")
}

fn author(reference: &str) -> String {
    format!("{}@example.pl", reference.to_lowercase())
}

fn march(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 3, day, 10, 0, 0)
        .single()
        .expect("a valid time")
}

struct Setup {
    service: Service<SqliteStore, Outbox>,
    outbox: TempOutbox,
    form: FormDefinition,
}

/// An idea sent and counted: its reference and withdrawal token. Its
/// author's address is [`author`] of the reference: one idea an address.
async fn sent_idea(setup: &Setup) -> (String, String) {
    let reference = new_reference().expect("randomness");
    let email = author(&reference);
    let withdraw = new_token().expect("randomness");
    let values = [
        ("title", "Ławki przy skwerze"),
        ("place", "Skwer przy ul. Długiej"),
        (
            "description",
            "Cztery ławki i zieleń, żeby starsi sąsiedzi mieli gdzie odpocząć.",
        ),
        ("cost", "40000"),
        ("email", &email),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    let new = NewRegistration {
        form_id: FORM.to_owned(),
        reference: reference.clone(),
        unique_key: email.clone(),
        values: values.into(),
        consents: Vec::new(),
        confirm_token_hash: None,
        withdraw_token_hash: token_hash(&withdraw),
        spam: None,
        created_at: march(1),
        expires_at: march(1) + Duration::days(365),
    };
    let admit = Admission::FirstCome { capacity: None };
    setup
        .service
        .store()
        .insert(new, Some(admit))
        .await
        .expect("stored");
    (reference, withdraw)
}

impl Setup {
    async fn new() -> Self {
        let form = ideas_form();
        let store = SqliteStore::in_memory().expect("a store");
        let (service, outbox) = fixture::service(vec![form.clone()], store, 100);
        Self {
            service,
            outbox,
            form,
        }
    }

    fn store(&self) -> &SqliteStore {
        self.service.store()
    }

    /// Saves each step of `record` from `steps`, as the workspace would.
    async fn save_steps(&self, steps: &[IdeaRecord]) {
        for step in steps {
            assert!(
                self.store().save_idea(step).await.expect("saved"),
                "{step:?}"
            );
        }
    }

    /// An idea given to [`UNIT`], answered if `answered`, with a link's
    /// key: its reference and key.
    async fn idea(&self, answered: bool) -> (String, String) {
        let (reference, _) = sent_idea(self).await;
        let key = new_token().expect("randomness");
        let assigned = IdeaRecord::new(FORM, &reference)
            .assign(UNIT, "biuro@example.pl", march(2))
            .expect("assigned");
        let mut steps = vec![assigned.clone()];
        if answered {
            steps.push(assigned.answer(answer()).expect("answered"));
        }
        let last = steps
            .last()
            .expect("a step")
            .with_page_key(token_hash(&key));
        steps.push(last);
        self.save_steps(&steps).await;
        (reference, key)
    }

    async fn reply(&self, reference: &str, key: &str, fields: &[(&str, &str)]) -> Replied {
        let revised = Submission::from_pairs(fields.iter().copied());
        reply(
            &self.service,
            &self.form,
            reference,
            key,
            &revised,
            march(5),
        )
        .await
        .expect("the store")
    }

    async fn record(&self, reference: &str) -> IdeaRecord {
        self.store()
            .idea(FORM, reference)
            .await
            .expect("the store")
            .expect("a record")
    }
}

fn answer() -> Answer {
    Answer {
        unit: UNIT.to_owned(),
        outcome: Outcome::NeedsChanges,
        comment: "Proszę wskazać, po której stronie skweru.".to_owned(),
        duplicate_of: None,
        cost_estimate: Some(60_000),
        by: "ekspert@zzm.example".to_owned(),
        at: march(3),
    }
}

fn revision() -> Vec<(&'static str, &'static str)> {
    vec![
        ("title", "Ławki  przy skwerze"),
        ("place", "Skwer przy ul. Długiej, strona północna"),
        (
            "description",
            "Cztery ławki i zieleń po północnej stronie skweru.",
        ),
        ("cost", ""),
    ]
}

async fn verifier(store: &SqliteStore, email: &str, role: Role, area: &str) {
    let account = Account {
        email: email.to_owned(),
        role,
        area: Some(area.to_owned()),
        added_by: Some("biuro@example.pl".to_owned()),
        added_at: Some(march(1)),
    };
    store.put_account(&account).await.expect("stored");
}

#[tokio::test]
async fn the_page_opens_with_its_key_only_and_reads_the_same_otherwise() {
    let setup = Setup::new().await;
    let (reference, key) = setup.idea(true).await;
    let (other, other_key) = setup.idea(false).await;
    let store = setup.store();
    let opened = open(store, &setup.form, &reference, &key, march(5))
        .await
        .expect("the store")
        .expect("opened");
    assert!(opened.may_reply());
    assert_eq!(opened.latest_values()["cost"], "40000");
    for (reference, key) in [
        (reference.as_str(), other_key.as_str()),
        (reference.as_str(), ""),
        (reference.as_str(), "nie-ten-klucz-wcale-nie-ten"),
        ("ZZZZ-ZZZZ", key.as_str()),
    ] {
        let found = open(store, &setup.form, reference, key, march(5)).await;
        assert_eq!(found.expect("the store"), None, "{reference} {key}");
    }
    let mut not_ideas = setup.form.clone();
    not_ideas.preverification = None;
    let found = open(store, &not_ideas, &reference, &key, march(5)).await;
    assert_eq!(found.expect("the store"), None);
    let unanswered = open(store, &setup.form, &other, &other_key, march(5)).await;
    assert!(!unanswered.expect("the store").expect("opened").may_reply());
}

#[tokio::test]
async fn a_withdrawn_idea_no_longer_opens() {
    let setup = Setup::new().await;
    let (reference, _) = sent_idea(&setup).await;
    let key = new_token().expect("randomness");
    let record = IdeaRecord::new(FORM, &reference)
        .assign(UNIT, "biuro@example.pl", march(2))
        .expect("assigned");
    let keyed = record.with_page_key(token_hash(&key));
    setup.save_steps(&[record, keyed]).await;
    let registration = setup
        .store()
        .find(FORM, &reference, march(5))
        .await
        .expect("the store")
        .expect("found");
    assert_eq!(registration.status, Status::Registered);
    let withdrawn = setup
        .service
        .withdraw_for(&setup.form, &reference, march(4))
        .await;
    withdrawn.expect("withdrawn");
    let found = open(setup.store(), &setup.form, &reference, &key, march(5)).await;
    assert_eq!(found.expect("the store"), None);
}

#[tokio::test]
async fn one_reply_is_saved_in_normal_form_and_told_to_the_units_verifiers() {
    let setup = Setup::new().await;
    verifier(setup.store(), "ekspert@zzm.example", Role::Verifier, UNIT).await;
    verifier(setup.store(), "inny@zdmk.example", Role::Verifier, "zdmk").await;
    verifier(
        setup.store(),
        "ambasador@example.pl",
        Role::Ambassador,
        UNIT,
    )
    .await;
    let (reference, key) = setup.idea(true).await;

    let Replied::Saved(page) = setup.reply(&reference, &key, &revision()).await else {
        panic!("not saved");
    };
    let expected: BTreeMap<String, String> = [
        ("cost", ""),
        (
            "description",
            "Cztery ławki i zieleń po północnej stronie skweru.",
        ),
        ("place", "Skwer przy ul. Długiej, strona północna"),
        ("title", "Ławki przy skwerze"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .into();
    let record = setup.record(&reference).await;
    assert_eq!(record, page.record);
    assert_eq!(record.revision(), Some(&expected));
    assert_eq!(record.stage().as_str(), "revised");
    assert_eq!(page.latest_values()["cost"], "");
    assert_eq!(page.latest_values()["email"], author(&reference));

    let mails = setup.outbox.mails();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let (_, text) = &mails[0];
    assert!(text.contains("To: ekspert@zzm.example"), "{text}");
    assert!(text.contains("poprawioną wersję"), "{text}");
    assert!(
        text.contains(&format!("/panel/pomysly/{FORM}/{reference}")),
        "{text}"
    );
    for personal in [author(&reference).as_str(), "Ławki", "Długiej"] {
        assert!(!text.contains(personal), "{personal} in {text}");
    }

    let again = setup.reply(&reference, &key, &revision()).await;
    assert_eq!(again, Replied::Refused(Refusal::NoReplyNow));
    assert_eq!(setup.record(&reference).await, record);
}

#[tokio::test]
async fn a_reply_needs_an_answer_and_values_the_form_takes() {
    let setup = Setup::new().await;
    let (waiting, waiting_key) = setup.idea(false).await;
    let early = setup.reply(&waiting, &waiting_key, &revision()).await;
    assert_eq!(early, Replied::Refused(Refusal::NoReplyNow));

    let (reference, key) = setup.idea(true).await;
    let bad = [
        ("title", "x"),
        ("place", ""),
        ("description", "Krótko."),
        ("cost", "dużo"),
    ];
    let Replied::Invalid { errors, .. } = setup.reply(&reference, &key, &bad).await else {
        panic!("accepted");
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["title", "place", "description", "cost"]);
    assert_eq!(errors[3].message, "Wpisz koszt jako liczbę.");

    let mut foreign = revision();
    foreign.push(("email", "ktos@example.pl"));
    let refused = setup.reply(&reference, &key, &foreign).await;
    assert_eq!(refused, Replied::NotRevisable(vec!["email".to_owned()]));
    let wrong_key = setup.reply(&reference, &waiting_key, &revision()).await;
    assert_eq!(wrong_key, Replied::NotFound);
    assert_eq!(setup.record(&reference).await.stage(), Stage::Answered);
    assert!(setup.outbox.mails().is_empty());
}

#[test]
fn the_reply_form_has_the_revisable_fields_alone() {
    let form = reply_form(&ideas_form());
    let names: Vec<&str> = form.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["title", "place", "description", "cost"]);
    assert!(form.consents.is_empty());
}
