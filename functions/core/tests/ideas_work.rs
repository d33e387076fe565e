//! The staff's steps on an idea on the embedded store: the office gives a
//! confirmed idea to a unit, whose experts are e-mailed; an expert
//! answers, and the resident is e-mailed the answer with the link whose
//! key opens the idea's private page; the office may send that answer
//! again with a new link, the older links still opening the page. Steps
//! are refused as the rules say, and never saved over someone else's
//! change.

use std::collections::BTreeMap;
use std::path::Path;

use agora_test_support::fixture::{self, TempOutbox};
use agora_test_support::workspace::{add_account, idea_link_key};

use agora_core::forms::FormDefinition;
use agora_core::ideas::work::{
    self, Answered, Answering, Assignment, Desk, Part, Resending, WorkError,
};
use agora_core::ideas::{Answer, IdeaRecord, IdeaRecords, Outcome, Stage, Units};
use agora_core::panel::Role;
use agora_core::registration::{
    new_reference, token_hash, Admission, ConsentRecord, NewRegistration,
};
use agora_core::service::Settings;
use agora_core::store::Store;
use agora_stores::outbox::Outbox;
use agora_stores::sqlite::SqliteStore;
use chrono::{DateTime, Duration, TimeZone, Utc};

const FORM: &str = "pomysly";
const OFFICE: &str = "biuro@um.example";
const UNITS: &str = "units:\n  - { id: zzm, name: Zarząd Zieleni Miejskiej }\n  - { id: zdmk, name: Zarząd Dróg }\n";

const FORM_FILE: &str = "\
title: Wstępna weryfikacja pomysłu
opens: 2020-02-19
allocation: first_come
unique_field: email
double_opt_in: true
retention_days: 365
purpose: Przyjęcie pomysłów na projekty.
legal_basis: public_task
legal_basis_detail: art. 5a ustawy o samorządzie gminnym
recipients: [cloud]
preverification:
  units: jednostki
  title_field: title
  district_field: district
  revisable: [title, description]
fields:
  - { name: title, type: text, label: Tytuł pomysłu }
  - { name: district, type: text, label: Dzielnica }
  - { name: description, type: textarea, label: Opis }
  - { name: email, type: email, label: Adres e-mail }
";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 3, 2, 9, 0, 0)
        .single()
        .expect("a valid time")
}

fn units() -> Units {
    Units::parse(UNITS, Path::new("jednostki.yaml"))
        .expect("valid units")
        .units
}

fn form() -> FormDefinition {
    let data =
        |name: &str| (name == "jednostki").then(|| serde_yaml::from_str(UNITS).expect("YAML"));
    FormDefinition::parse(FORM, FORM_FILE, Path::new("pomysly.yaml"), &data).expect("a valid form")
}

struct Setup {
    store: SqliteStore,
    mailer: Outbox,
    outbox: TempOutbox,
    settings: Settings,
    form: FormDefinition,
    units: Units,
}

impl Setup {
    async fn new() -> Self {
        let (mailer, outbox) = TempOutbox::new();
        let setup = Self {
            store: fixture::sqlite_store(),
            mailer,
            outbox,
            settings: fixture::settings(100),
            form: form(),
            units: units(),
        };
        for (email, role, area) in [
            ("ekspert@zzm.example", Role::Verifier, Some("zzm")),
            ("druga@zzm.example", Role::Verifier, Some("zzm")),
            ("ekspert@zdmk.example", Role::Verifier, Some("zdmk")),
            ("ambasador@example.pl", Role::Ambassador, Some("zzm")),
        ] {
            add_account(&setup.store, (email, role, area), OFFICE, now()).await;
        }
        setup
    }

    fn desk(&self) -> Desk<'_, SqliteStore, Outbox> {
        Desk {
            store: &self.store,
            mailer: &self.mailer,
            settings: &self.settings,
            now: now(),
        }
    }

    /// An idea sent by `email`, confirmed or not: its reference.
    async fn idea(&self, email: &str, confirmed: bool) -> String {
        let created_at = now() - Duration::days(1);
        let values: BTreeMap<String, String> = [
            ("title", "Ławki na skwerze"),
            ("district", "XIII"),
            ("description", "Ławki i zieleń przy skwerze dla sąsiadów."),
            ("email", email),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let reference = new_reference().expect("randomness");
        let new = NewRegistration {
            form_id: FORM.to_owned(),
            reference: reference.clone(),
            unique_key: email.to_owned(),
            values,
            consents: vec![ConsentRecord {
                name: "processing".to_owned(),
                version: "1".to_owned(),
                given_at: created_at,
            }],
            confirm_token_hash: (!confirmed).then(|| token_hash("confirm")),
            withdraw_token_hash: token_hash(&format!("withdraw-{reference}")),
            spam: None,
            created_at,
            expires_at: created_at + Duration::days(365),
        };
        let admission = confirmed.then_some(Admission::FirstCome { capacity: None });
        self.store.insert(new, admission).await.expect("stored");
        reference
    }

    async fn assign(
        &self,
        reference: &str,
        unit: &str,
        seen: u64,
    ) -> Result<IdeaRecord, WorkError> {
        let checked = Assignment::check(
            &self.store,
            &self.form,
            &self.units,
            (reference, seen),
            (unit, OFFICE),
            now(),
        )
        .await?;
        Ok(work::assign(&self.desk(), &self.form, checked)
            .await?
            .record)
    }

    async fn check_answer(
        &self,
        reference: &str,
        seen: u64,
        answer: Answer,
    ) -> Result<Answering<'_>, WorkError> {
        Answering::check(
            &self.store,
            &self.form,
            &self.units,
            (reference, seen),
            answer,
            now(),
        )
        .await
    }

    /// The unit's answer, going ahead, to the idea shown at version `seen`.
    async fn answer(&self, reference: &str, seen: u64, unit: &str) {
        let checked = self.check_answer(reference, seen, answer(unit, Outcome::GoAhead));
        let checked = checked.await.expect("may answer");
        work::answer(&self.desk(), &self.form, checked)
            .await
            .expect("answered");
    }

    /// The office sends the last answer again from the idea's page shown
    /// at version `seen`.
    async fn resend(&self, reference: &str, seen: u64) -> Result<Answered, WorkError> {
        let checked = Resending::check(
            &self.store,
            &self.form,
            &self.units,
            (reference, seen),
            now(),
        )
        .await?;
        work::resend(&self.desk(), &self.form, checked).await
    }

    fn mails_to(&self, email: &str) -> Vec<(String, String)> {
        let to = format!("To: {email}");
        let mails = self.outbox.mails().into_iter();
        mails.filter(|(_, text)| text.contains(&to)).collect()
    }

    async fn record(&self, reference: &str) -> IdeaRecord {
        let record = self.store.idea(FORM, reference).await.expect("read");
        record.expect("a record")
    }
}

fn answer(unit: &str, outcome: Outcome) -> Answer {
    Answer {
        unit: unit.to_owned(),
        outcome,
        comment: "Proszę wskazać dokładne miejsce ławek.".to_owned(),
        duplicate_of: None,
        cost_estimate: Some(120_000),
        by: "ekspert@zzm.example".to_owned(),
        at: now(),
    }
}

fn refused_part(result: Result<impl Sized, WorkError>) -> Part {
    match result {
        Err(WorkError::Refused { part, .. }) => part,
        Err(other) => panic!("expected a refusal, got {other:?}"),
        Ok(_) => panic!("expected a refusal"),
    }
}

#[tokio::test]
async fn the_unit_gets_the_idea_and_the_resident_its_answer_with_a_private_link() {
    let setup = Setup::new().await;
    let reference = setup.idea("anna@example.pl", true).await;
    let record = setup.assign(&reference, "zzm", 0).await.expect("assigned");
    assert_eq!(record.version, 1);
    assert_eq!(record.unit(), Some("zzm"));
    for expert in ["ekspert@zzm.example", "druga@zzm.example"] {
        let mails = setup.mails_to(expert);
        assert_eq!(mails.len(), 1, "{expert}");
        let (_, text) = &mails[0];
        assert!(text.contains(&reference));
        assert!(text.contains(&format!(
            "https://example.org/panel/pomysly/{FORM}/{reference}"
        )));
        assert!(!text.contains("anna@example.pl") && !text.contains("Ławki"));
    }
    assert!(setup.mails_to("ekspert@zdmk.example").is_empty());
    assert!(setup.mails_to("ambasador@example.pl").is_empty());

    let checked = setup
        .check_answer(&reference, 1, answer("zzm", Outcome::NeedsChanges))
        .await
        .expect("may answer");
    let answered = work::answer(&setup.desk(), &setup.form, checked)
        .await
        .expect("answered");
    assert!(answered.mailed);
    let stored = setup.record(&reference).await;
    assert_eq!(stored, answered.record);
    assert_eq!(stored.version, 2, "the answer and its key in one save");
    assert_eq!(stored.stage(), Stage::Answered);
    let mails = setup.mails_to("anna@example.pl");
    assert_eq!(mails.len(), 1);
    let (name, text) = &mails[0];
    assert_eq!(name, &format!("{reference}-odpowiedz-2.eml"));
    for part in [
        "pomysł wymaga zmian",
        "Proszę wskazać dokładne miejsce ławek.",
        "120 000 zł",
        "Zarząd Zieleni Miejskiej",
        "raz odpowiedzieć",
    ] {
        assert!(text.contains(part), "{part} in {text}");
    }
    let key = idea_link_key(text, FORM, &reference);
    assert!(stored.opens_with(&token_hash(&key)));
    assert!(!stored.opens_with(&token_hash("zgadnięty")));
}

#[tokio::test]
async fn the_office_gives_only_confirmed_unsettled_ideas_to_units_of_the_list() {
    let setup = Setup::new().await;
    let confirmed = setup.idea("anna@example.pl", true).await;
    let pending = setup.idea("jan@example.pl", false).await;
    assert_eq!(
        refused_part(setup.assign(&confirmed, "nieznana", 0).await),
        Part::Unit
    );
    assert_eq!(
        refused_part(setup.assign(&pending, "zzm", 0).await),
        Part::Idea
    );
    assert!(matches!(
        setup.assign("ABCD-EFGH", "zzm", 0).await,
        Err(WorkError::NotFound)
    ));
    assert!(setup
        .store
        .idea(FORM, &pending)
        .await
        .expect("read")
        .is_none());
    assert!(setup.outbox.mails().is_empty());

    setup.assign(&confirmed, "zzm", 0).await.expect("assigned");
    // A page shown before that assignment: nothing saved over it.
    assert!(matches!(
        setup.assign(&confirmed, "zdmk", 0).await,
        Err(WorkError::Conflict)
    ));
    assert_eq!(setup.record(&confirmed).await.unit(), Some("zzm"));
    // Redirected while it waits: the other unit's experts are told.
    setup
        .assign(&confirmed, "zdmk", 1)
        .await
        .expect("redirected");
    assert_eq!(setup.mails_to("ekspert@zdmk.example").len(), 1);

    // Settled: answered, revised by its resident, answered again.
    setup.answer(&confirmed, 2, "zdmk").await;
    let revised = setup
        .record(&confirmed)
        .await
        .revise(BTreeMap::new(), now());
    let saved = setup.store.save_idea(&revised.expect("a reply")).await;
    assert!(saved.expect("saved"));
    setup.answer(&confirmed, 4, "zdmk").await;
    assert_eq!(setup.record(&confirmed).await.stage(), Stage::Settled);
    assert_eq!(
        refused_part(setup.assign(&confirmed, "zzm", 5).await),
        Part::Idea
    );
}

#[tokio::test]
async fn only_the_unit_that_has_the_idea_answers_and_only_a_sufficient_answer() {
    let setup = Setup::new().await;
    let reference = setup.idea("anna@example.pl", true).await;
    setup.assign(&reference, "zzm", 0).await.expect("assigned");
    let other = setup
        .check_answer(&reference, 1, answer("zdmk", Outcome::GoAhead))
        .await;
    assert_eq!(refused_part(other), Part::Idea);

    let mut silent = answer("zzm", Outcome::NeedsChanges);
    silent.comment = " ".to_owned();
    silent.cost_estimate = Some(u64::MAX);
    assert_eq!(
        refused_part(setup.check_answer(&reference, 1, silent).await),
        Part::Comment
    );
    let unnamed = answer("zzm", Outcome::Duplicate);
    assert_eq!(
        refused_part(setup.check_answer(&reference, 1, unnamed).await),
        Part::DuplicateOf
    );
    let mut dear = answer("zzm", Outcome::GoAhead);
    dear.cost_estimate = Some(u64::MAX);
    assert_eq!(
        refused_part(setup.check_answer(&reference, 1, dear).await),
        Part::CostEstimate
    );
    assert_eq!(setup.record(&reference).await.version, 1);
}

#[tokio::test]
async fn of_two_answers_at_once_one_is_saved_and_one_mailed() {
    let setup = Setup::new().await;
    let reference = setup.idea("anna@example.pl", true).await;
    setup.assign(&reference, "zzm", 0).await.expect("assigned");
    let first = setup
        .check_answer(&reference, 1, answer("zzm", Outcome::GoAhead))
        .await
        .expect("may answer");
    let second = setup
        .check_answer(&reference, 1, answer("zzm", Outcome::OutsideCompetence))
        .await
        .expect("may answer");
    let desk = setup.desk();
    let (one, two) = tokio::join!(
        work::answer(&desk, &setup.form, first),
        work::answer(&desk, &setup.form, second)
    );
    let saved = [one.is_ok(), two.is_ok()];
    assert_eq!(saved.iter().filter(|s| **s).count(), 1, "{saved:?}");
    assert!(matches!(one.err().or(two.err()), Some(WorkError::Conflict)));
    assert_eq!(setup.record(&reference).await.answers().count(), 1);
    assert_eq!(setup.mails_to("anna@example.pl").len(), 1);
    // A page shown before the answer: nothing more is saved.
    let stale = setup
        .check_answer(&reference, 1, answer("zzm", Outcome::GoAhead))
        .await;
    assert!(matches!(stale, Err(WorkError::Conflict)));
}

#[tokio::test]
async fn a_withdrawn_idea_is_gone_for_the_staff() {
    let setup = Setup::new().await;
    let reference = setup.idea("anna@example.pl", true).await;
    setup.assign(&reference, "zzm", 0).await.expect("assigned");
    let withdrawn = setup
        .store
        .withdraw(FORM, &token_hash(&format!("withdraw-{reference}")), now())
        .await
        .expect("withdrawn");
    assert!(withdrawn.is_some());
    assert!(setup
        .store
        .idea(FORM, &reference)
        .await
        .expect("read")
        .is_none());
    let late = setup
        .check_answer(&reference, 1, answer("zzm", Outcome::GoAhead))
        .await;
    assert!(matches!(
        late,
        Err(WorkError::NotFound | WorkError::Conflict)
    ));
    let again = setup.assign(&reference, "zzm", 0).await;
    assert!(matches!(
        again,
        Err(WorkError::NotFound | WorkError::Refused { .. })
    ));
}

#[tokio::test]
async fn the_office_sends_the_last_answer_again_with_a_new_link() {
    let setup = Setup::new().await;
    let reference = setup.idea("anna@example.pl", true).await;
    let pending = setup.idea("jan@example.pl", false).await;
    assert_eq!(refused_part(setup.resend(&pending, 0).await), Part::Idea);
    assert!(matches!(
        setup.resend("ABCD-EFGH", 0).await,
        Err(WorkError::NotFound)
    ));
    setup.assign(&reference, "zzm", 0).await.expect("assigned");
    assert_eq!(
        refused_part(setup.resend(&reference, 1).await),
        Part::Idea,
        "no answer yet"
    );

    // The answer's e-mail fails: a folder takes the name the outbox
    // writes it under first.
    let blocked = setup
        .mailer
        .dir()
        .join(format!(".{reference}-odpowiedz-2.eml.partial"));
    std::fs::create_dir(&blocked).expect("a folder");
    let checked = setup
        .check_answer(&reference, 1, answer("zzm", Outcome::NeedsChanges))
        .await
        .expect("may answer");
    let answered = work::answer(&setup.desk(), &setup.form, checked).await;
    assert!(!answered.expect("answered").mailed);
    std::fs::remove_dir(&blocked).expect("removed");
    assert!(setup.mails_to("anna@example.pl").is_empty());

    let resent = setup.resend(&reference, 2).await.expect("resent");
    assert!(resent.mailed);
    assert_eq!(resent.record.version, 3);
    assert_eq!(resent.record.answers().count(), 1, "nothing else changed");
    let mails = setup.mails_to("anna@example.pl");
    assert_eq!(mails.len(), 1);
    let (name, text) = &mails[0];
    assert_eq!(name, &format!("{reference}-odpowiedz-3.eml"));
    for part in [
        "pomysł wymaga zmian",
        "Zarząd Zieleni Miejskiej",
        "120 000 zł",
    ] {
        assert!(text.contains(part), "{part} in {text}");
    }
    let first = idea_link_key(text, FORM, &reference);
    assert!(matches!(
        setup.resend(&reference, 2).await,
        Err(WorkError::Conflict)
    ));

    // Sent again and again: the four newest links open the page.
    let mut keys = vec![first];
    for seen in 3..7 {
        setup.resend(&reference, seen).await.expect("resent");
        let mails = setup.mails_to("anna@example.pl");
        let name = format!("{reference}-odpowiedz-{}.eml", seen + 1);
        let (_, text) = mails.iter().find(|(n, _)| *n == name).expect("the e-mail");
        keys.push(idea_link_key(text, FORM, &reference));
    }
    let stored = setup.record(&reference).await;
    let opens: Vec<bool> = keys
        .iter()
        .map(|k| stored.opens_with(&token_hash(k)))
        .collect();
    assert_eq!(opens, [false, true, true, true, true]);
}
