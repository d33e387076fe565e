//! An appointed ambassador leaves the public list when their application
//! ends without the office: withdrawn through the resident's own link (the
//! router of Lambda's withdraw function and `agora serve`), withdrawn by
//! staff on their request, or erased by the purge at the end of its
//! retention. Each publishes the list again; any other withdrawal
//! publishes nothing (on AWS each publishing starts a build); a publisher
//! that fails never fails the withdrawal, and leaves the mark the office's
//! page shows. On SQLite and DynamoDB Local.

mod common;

use common::{answer_of, march_2026 as now, Stored};

use agora_test_support::fixture::{self, TempOutbox};
use agora_test_support::krakow;
use agora_test_support::publishing::Recorded;

use std::collections::BTreeMap;
use std::sync::Arc;

use agora_core::forms::FormDefinition;
use agora_core::panel::ambassadors::{self, ListKeeper};
use agora_core::panel::{Appointment, Decision, Publisher};
use agora_core::purge::purge_and_republish;
use agora_core::registration::NewRegistration;
use agora_core::registration::{new_reference, new_token, token_hash, Admission, ConsentRecord};
use agora_core::service::{Service, StaffWithdrawal};
use agora_functions::http::{router, Clock};
use agora_stores::outbox::Outbox;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, Duration, Utc};

const LIST: &str = "data/ambasadorzy.yaml";
const APPLICATIONS: &str = "ambasadorzy";
const JOINING: &str = "dolacz-do-procesu";

/// The residents' router over a store whose withdrawals keep the
/// ambassadors' list, as the withdraw function and `agora serve` run it.
struct Site<S> {
    router: Router,
    service: Arc<Service<S, Outbox>>,
    keeper: ListKeeper,
    published: Arc<Recorded>,
    _outbox: TempOutbox,
}

/// A registration put into the store: its reference and withdrawal token.
struct Person {
    reference: String,
    withdraw: String,
}

fn site<S: Stored>(store: S) -> Site<S> {
    let published = Arc::new(Recorded::default());
    let publisher = Arc::clone(&published) as Arc<dyn Publisher>;
    let keeper = Arc::new(ListKeeper::new(Arc::clone(&publisher)));
    let (service, outbox) = fixture::service(krakow::forms(), store, 100);
    let service = Arc::new(service.after_withdrawal(keeper as _));
    let clock: Clock = Arc::new(now);
    Site {
        router: router(Arc::clone(&service), clock),
        service,
        keeper: ListKeeper::new(publisher),
        published,
        _outbox: outbox,
    }
}

impl<S: Stored> Site<S> {
    fn store(&self) -> &S {
        self.service.store()
    }

    fn form(&self, id: &str) -> Arc<FormDefinition> {
        self.service.form(id).expect("the form")
    }

    /// A confirmed registration to `form`, made `days_ago`, ending after
    /// the form's retention.
    async fn register(&self, form: &str, values: &[(&str, &str)], days_ago: i64) -> Person {
        let created_at = now() - Duration::days(days_ago);
        let values: BTreeMap<String, String> = values
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let consents = ["processing", "publication"].map(|name| ConsentRecord {
            name: name.to_owned(),
            version: "2020-02-19".to_owned(),
            given_at: created_at,
        });
        let (reference, withdraw) = (
            new_reference().expect("random"),
            new_token().expect("random"),
        );
        let retention = i64::from(self.form(form).retention_days);
        let new = NewRegistration {
            form_id: form.to_owned(),
            reference: reference.clone(),
            unique_key: values.get("email").cloned().unwrap_or_default(),
            values,
            consents: consents.to_vec(),
            confirm_token_hash: None,
            withdraw_token_hash: token_hash(&withdraw),
            spam: None,
            created_at,
            expires_at: created_at + Duration::days(retention),
        };
        let admission = Some(Admission::FirstCome { capacity: None });
        self.store().insert(new, admission).await.expect("stored");
        Person {
            reference,
            withdraw,
        }
    }

    /// An application consenting to the public list, made `days_ago`,
    /// on which the office decided `decision` (if anything).
    async fn applicant(&self, name: &str, decision: Option<Decision>, days_ago: i64) -> Person {
        let email = format!("{}@example.pl", name.to_lowercase().replace(' ', "."));
        let values = [
            ("full_name", name),
            ("email", email.as_str()),
            ("district", "XIII"),
            ("area", "Osiedle przy parku"),
        ];
        let person = self.register(APPLICATIONS, &values, days_ago).await;
        if let Some(decision) = decision {
            let appointment = Appointment {
                form_id: APPLICATIONS.to_owned(),
                reference: person.reference.clone(),
                decision,
                decided_by: "biuro@example.pl".to_owned(),
                decided_at: now() - Duration::days(days_ago) + Duration::hours(1),
            };
            let store = self.store();
            store.put_appointment(&appointment).await.expect("kept");
        }
        person
    }

    /// The office published the list as it is now, as its decisions do.
    async fn published_by_the_office(&self) {
        let form = self.form(APPLICATIONS);
        ambassadors::republish(&form, self.store(), self.published.as_ref(), now())
            .await
            .expect("published");
    }

    /// The person follows their withdrawal link and presses its button:
    /// the page saying it is done.
    async fn withdraws(&self, form: &str, person: &Person) -> String {
        let request = Request::post(format!("/api/forms/{form}/wycofaj"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "text/html")
            .body(Body::from(format!("token={}", person.withdraw)))
            .expect("a request");
        let page = answer_of(&self.router, request).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        page.body
    }

    fn list(&self) -> String {
        self.published.latest(LIST).unwrap_or_default()
    }

    async fn outdated(&self) -> Option<DateTime<Utc>> {
        self.store()
            .list_outdated(APPLICATIONS)
            .await
            .expect("read")
    }

    async fn purge(&self) {
        let forms = self.service.forms();
        purge_and_republish(self.store(), &forms, &self.keeper, now())
            .await
            .expect("purged");
    }
}

async fn an_appointed_ambassadors_withdrawal_publishes_the_list_without_them<S: Stored>(store: S) {
    let site = site(store);
    let anna = site
        .applicant("Anna Nowak", Some(Decision::Appointed), 10)
        .await;
    let jan = site
        .applicant("Jan Kowal", Some(Decision::Appointed), 10)
        .await;
    site.published_by_the_office().await;
    assert!(site.list().contains("Anna Nowak"), "{}", site.list());

    site.withdraws(APPLICATIONS, &anna).await;
    let list = site.list();
    assert!(!list.contains("Anna Nowak"), "{list}");
    assert!(!list.contains(&anna.reference), "{list}");
    assert!(
        list.contains("Jan Kowal") && list.contains(&jan.reference),
        "{list}"
    );
    assert_eq!(site.published.files().len(), 2, "published once more");
    assert_eq!(site.outdated().await, None);

    // Staff withdraw Jan on his request: the same.
    let form = site.form(APPLICATIONS);
    let done = site
        .service
        .withdraw_for(&form, &jan.reference, now())
        .await;
    assert!(matches!(done, Ok(StaffWithdrawal::Done { .. })), "{done:?}");
    assert!(!site.list().contains("Jan Kowal"), "{}", site.list());
    assert_eq!(site.published.files().len(), 3);
}

async fn other_withdrawals_publish_nothing<S: Stored>(store: S) {
    let site = site(store);
    let applicant = site.applicant("Ola Nowa", None, 10).await;
    let declined = site
        .applicant("Piotr Stary", Some(Decision::Declined), 10)
        .await;
    let dismissed = site
        .applicant("Rafał Były", Some(Decision::Dismissed), 10)
        .await;
    let joined = site
        .register(
            JOINING,
            &[
                ("full_name", "Sara Sąsiadka"),
                ("email", "sara@example.pl"),
                ("ambassador", "K7QX-M3PA"),
                ("idea", "Ławki przy placu zabaw"),
            ],
            1,
        )
        .await;
    for person in [&applicant, &declined, &dismissed] {
        site.withdraws(APPLICATIONS, person).await;
    }
    site.withdraws(JOINING, &joined).await;
    assert!(site.published.files().is_empty(), "no build for these");
    assert_eq!(site.outdated().await, None);
}

async fn a_failing_publisher_leaves_the_withdrawal_done_and_the_list_marked<S: Stored>(store: S) {
    let site = site(store);
    let anna = site
        .applicant("Anna Nowak", Some(Decision::Appointed), 10)
        .await;
    site.published_by_the_office().await;
    site.published.fail(true);

    let page = site.withdraws(APPLICATIONS, &anna).await;
    assert!(page.contains("wycofan"), "the withdrawal is done: {page}");
    let left = site
        .store()
        .find(APPLICATIONS, &anna.reference, now())
        .await;
    let left = left.expect("read");
    assert!(
        left.as_ref().is_none_or(|r| r.values.is_empty()),
        "personal data erased: {left:?}"
    );
    assert!(site.list().contains("Anna Nowak"), "the old list stays");
    assert_eq!(site.outdated().await, Some(now()), "marked for the office");

    // Published again (the office's button): the mark goes.
    site.published.fail(false);
    site.published_by_the_office().await;
    assert!(!site.list().contains("Anna Nowak"), "{}", site.list());
    assert_eq!(site.outdated().await, None);
}

async fn the_purge_erasing_an_appointed_ambassador_publishes_the_list<S: Stored>(store: S) {
    let site = site(store);
    let retention = i64::from(site.form(APPLICATIONS).retention_days);
    let old = site
        .applicant("Anna Dawna", Some(Decision::Appointed), retention + 1)
        .await;
    let expired = site.applicant("Ewa Dawna", None, retention + 1).await;
    let _recent = site
        .applicant("Jan Kowal", Some(Decision::Appointed), 10)
        .await;
    site.published_by_the_office().await;
    let published = site.published.files().len();

    site.purge().await;
    let list = site.list();
    assert!(
        !list.contains(&old.reference) && list.contains("Jan Kowal"),
        "{list}"
    );
    assert_eq!(site.published.files().len(), published + 1);
    let gone = site
        .store()
        .find(APPLICATIONS, &expired.reference, now())
        .await;
    assert!(gone.expect("read").is_none());

    // Nothing appointed left to erase: the next purge publishes nothing.
    site.purge().await;
    assert_eq!(site.published.files().len(), published + 1);
}

agora_test_support::on_every_store!(
    an_appointed_ambassadors_withdrawal_publishes_the_list_without_them,
    other_withdrawals_publish_nothing,
    a_failing_publisher_leaves_the_withdrawal_done_and_the_list_marked,
    the_purge_erasing_an_appointed_ambassador_publishes_the_list,
);
