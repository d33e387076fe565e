//! Ambassadors in the staff workspace, through the one router of Lambda
//! and `agora serve`, on SQLite and DynamoDB Local: the office appoints,
//! declines and dismisses applicants, each told by e-mail with the
//! office's message (never stored, never in the audit log); every
//! decision republishes the public list with only the appointed who
//! consented, and only their public fields; a list that cannot be
//! published leaves the decision standing; an ambassador sees the people
//! of their own area and nothing else; the office's pages refuse everyone
//! else, and every action needs the session's CSRF token.

mod common;

use common::{march_2026 as now, workspace, Answer, Stored, Workspace, OFFICE};

use agora_core::panel::Decision;
use agora_core::registration::{token_hash, Status};
use agora_test_support::krakow;
use agora_test_support::staff::{put_registration, Confirmation, Registered};
use axum::http::StatusCode;
use chrono::Duration;

const LIST: &str = "data/ambasadorzy.yaml";
const APPLICATIONS: &str = "ambasadorzy";
const JOINING: &str = "dolacz-do-procesu";

fn workspace_of<S: Stored>(store: S) -> Workspace<S> {
    workspace(store, krakow::forms(), now())
}

/// The applications and decisions of these stories.
impl<S: Stored> Workspace<S> {
    /// The office adds an account of `role` for `email` in `area`, and it signs in.
    async fn account(&self, office: &str, email: &str, role: &str, area: &str) -> String {
        let added = self.add_account(office, email, role, area).await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
        self.sign_in(email).await
    }

    /// The office's decision on `reference`, with `message`.
    async fn decide(&self, office: &str, reference: &str, decision: &str, message: &str) -> Answer {
        let fields = [("decision", decision), ("message", message)];
        self.press(&format!("/panel/ambasadorzy/{reference}"), office, &fields)
            .await
    }

    /// A registration to `form`, confirmed or not, made a day ago.
    async fn register(
        &self,
        form: &str,
        values: &[(&str, &str)],
        consents: &[&str],
        confirmed: bool,
    ) -> Registered {
        let confirmation = Confirmation::first_come(confirmed);
        let created_at = now() - Duration::days(1);
        put_registration(
            self.store(),
            form,
            values,
            consents,
            confirmation,
            created_at,
        )
        .await
    }

    /// An application to be an ambassador in `district`.
    async fn applicant(&self, name: &str, email: &str, district: &str, public: bool) -> Registered {
        let consents: &[&str] = if public {
            &["processing", "publication"]
        } else {
            &["processing"]
        };
        let values = [
            ("full_name", name),
            ("email", email),
            ("phone", "600 100 200"),
            ("district", district),
            ("area", "Osiedle przy parku"),
        ];
        self.register(APPLICATIONS, &values, consents, true).await
    }

    /// Someone who joined the process of the ambassador `ambassador`.
    async fn joins(
        &self,
        name: &str,
        email: &str,
        ambassador: &str,
        confirmed: bool,
    ) -> Registered {
        let values = [
            ("full_name", name),
            ("email", email),
            ("ambassador", ambassador),
            ("idea", "Ławki przy placu zabaw"),
        ];
        self.register(JOINING, &values, &["processing"], confirmed)
            .await
    }

    fn list(&self) -> String {
        self.published.latest(LIST).unwrap_or_default()
    }

    async fn decisions(&self) -> Vec<(String, Decision)> {
        let stored = self.store().appointments(APPLICATIONS).await.expect("read");
        stored
            .into_iter()
            .map(|a| (a.reference, a.decision))
            .collect()
    }
}

async fn the_office_appoints_declines_and_dismisses_each_told_by_email<S: Stored>(store: S) {
    let panel = workspace_of(store);
    let anna = panel
        .applicant("Anna Nowak", "anna@example.pl", "XIII", true)
        .await;
    let jan = panel
        .applicant("Jan Prywatny", "jan@example.pl", "I", false)
        .await;
    let office = panel.sign_in(OFFICE).await;
    let list = panel.get("/panel/ambasadorzy", Some(&office)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    for shown in [
        &anna.reference,
        &jan.reference,
        "Anna Nowak",
        "potwierdzone, bez decyzji",
    ] {
        assert!(list.body.contains(shown), "{shown}: {}", list.body);
    }
    let page = panel
        .get(
            &format!("/panel/ambasadorzy/{}", anna.reference),
            Some(&office),
        )
        .await;
    assert!(page.body.contains("value=\"appointed\""), "{}", page.body);

    let message = "Zapraszamy na szkolenie 12 marca o 17:00.";
    let appointed = panel
        .decide(&office, &anna.reference, "appointed", message)
        .await;
    assert_eq!(
        appointed.status,
        StatusCode::SEE_OTHER,
        "{}",
        appointed.body
    );
    assert_eq!(
        appointed.location(),
        "/panel/ambasadorzy?zapisano=appointed"
    );
    let told = panel.mails_to("anna@example.pl").join("\n");
    assert!(
        told.contains("powołało Cię na ambasadora") && told.contains(message),
        "{told}"
    );
    let public = panel.list();
    assert!(
        public.contains(&anna.reference)
            && public.contains("Anna Nowak")
            && public.contains("Dzielnica XIII Podgórze"),
        "{public}"
    );
    let after = panel.get(appointed.location(), Some(&office)).await;
    assert!(
        after.body.contains("Zapisano decyzję: powołanie."),
        "{}",
        after.body
    );

    panel.decide(&office, &jan.reference, "declined", "").await;
    let told = panel.mails_to("jan@example.pl").join("\n");
    assert!(told.contains("nie powołało Cię"), "{told}");
    let again = panel.decide(&office, &jan.reference, "appointed", "").await;
    assert_eq!(
        again.status,
        StatusCode::SEE_OTHER,
        "a declined applicant may be appointed later"
    );
    let public = panel.list();
    assert!(
        !public.contains("Jan Prywatny"),
        "no consent to publication: {public}"
    );

    let dismissed = panel
        .decide(&office, &anna.reference, "dismissed", "")
        .await;
    assert_eq!(dismissed.status, StatusCode::SEE_OTHER);
    assert!(panel
        .mails_to("anna@example.pl")
        .join("\n")
        .contains("odwołało Cię"));
    let public = panel.list();
    assert!(!public.contains("Anna Nowak"), "{public}");
    let decisions = panel.decisions().await;
    assert!(decisions.contains(&(anna.reference.clone(), Decision::Dismissed)));
    assert!(decisions.contains(&(jan.reference.clone(), Decision::Appointed)));

    let log = panel.get("/panel/dziennik", Some(&office)).await.body;
    for line in [
        "powołanie ambasadora",
        "odmowa powołania",
        "odwołanie ambasadora",
    ] {
        assert!(log.contains(line), "{line}: {log}");
    }
    for page in [
        log,
        panel.get("/panel/ambasadorzy", Some(&office)).await.body,
    ] {
        assert!(!page.contains(message), "the message is never kept: {page}");
    }
}

async fn the_public_list_holds_only_the_public_fields_of_the_appointed<S: Stored>(store: S) {
    let panel = workspace_of(store);
    let anna = panel
        .applicant("Anna Nowak", "anna@example.pl", "XIII", true)
        .await;
    let waiting = panel
        .applicant("Ola Czekająca", "ola@example.pl", "II", true)
        .await;
    let office = panel.sign_in(OFFICE).await;
    panel
        .decide(&office, &anna.reference, "appointed", "")
        .await;
    let public = panel.list();
    let parsed: serde_json::Value = serde_yaml::from_str(&public).expect("YAML");
    let listed = parsed["ambassadors"].as_array().expect("a list");
    assert_eq!(listed.len(), 1, "{public}");
    let keys: Vec<&String> = listed[0].as_object().expect("a map").keys().collect();
    assert_eq!(keys, ["area", "district", "full_name", "id"], "{public}");
    for private in [
        "anna@example.pl",
        "600 100 200",
        "Ola Czekająca",
        &waiting.reference,
    ] {
        assert!(!public.contains(private), "{private}: {public}");
    }
}

async fn only_a_confirmed_application_can_be_appointed<S: Stored>(store: S) {
    let panel = workspace_of(store);
    let values = [
        ("full_name", "Ewa Niepotwierdzona"),
        ("email", "ewa@example.pl"),
        ("district", "XIII"),
        ("area", "Kabel"),
    ];
    let ewa = panel
        .register(APPLICATIONS, &values, &["processing", "publication"], false)
        .await;
    let office = panel.sign_in(OFFICE).await;
    let refused = panel
        .decide(&office, &ewa.reference, "appointed", "Witamy")
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("potwierdziła zgłoszenie"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("href=\"#decision-declined\""),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("Witamy"), "what was typed is kept");
    let unknown = panel.decide(&office, &ewa.reference, "crowned", "").await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    let long = "x".repeat(2001);
    let too_long = panel
        .decide(&office, &ewa.reference, "declined", &long)
        .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        too_long.body.contains("aria-invalid=\"true\""),
        "{}",
        too_long.body
    );
    assert!(panel.decisions().await.is_empty());
    assert!(panel.mails_to("ewa@example.pl").is_empty());
    assert!(panel.published.files().is_empty());
    let missing = panel.decide(&office, "AAAA-AAAA", "declined", "").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let missing = panel
        .get("/panel/ambasadorzy/AAAA-AAAA", Some(&office))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

async fn a_withdrawn_ambassador_leaves_the_list_at_its_next_publishing<S: Stored>(store: S) {
    let panel = workspace_of(store);
    let anna = panel
        .applicant("Anna Nowak", "anna@example.pl", "XIII", true)
        .await;
    let office = panel.sign_in(OFFICE).await;
    panel
        .decide(&office, &anna.reference, "appointed", "")
        .await;
    assert!(panel.list().contains("Anna Nowak"));
    let withdrawn = panel
        .store()
        .withdraw(APPLICATIONS, &token_hash(&anna.withdraw), now())
        .await
        .expect("withdrawn");
    assert!(withdrawn.is_some());
    let csrf = panel.csrf(&office).await;
    let again = panel
        .post("/panel/ambasadorzy", Some(&office), &[("csrf", &csrf)])
        .await;
    assert_eq!(again.location(), "/panel/ambasadorzy?opublikowano=tak");
    assert!(!panel.list().contains("Anna Nowak"), "{}", panel.list());
    let page = panel
        .get(
            &format!("/panel/ambasadorzy/{}", anna.reference),
            Some(&office),
        )
        .await;
    assert!(page.body.contains("wycofane") && !page.body.contains("name=\"decision\""));
}

async fn a_failed_publishing_keeps_the_decision_and_offers_to_publish_again<S: Stored>(store: S) {
    let panel = workspace_of(store);
    let anna = panel
        .applicant("Anna Nowak", "anna@example.pl", "XIII", true)
        .await;
    let office = panel.sign_in(OFFICE).await;
    panel.published.fail(true);
    let appointed = panel
        .decide(&office, &anna.reference, "appointed", "")
        .await;
    assert_eq!(
        appointed.location(),
        "/panel/ambasadorzy?zapisano=appointed&opublikowano=nie"
    );
    assert_eq!(
        panel.decisions().await,
        [(anna.reference.clone(), Decision::Appointed)]
    );
    assert_eq!(
        panel.mails_to("anna@example.pl").len(),
        1,
        "told all the same"
    );
    let page = panel.get(appointed.location(), Some(&office)).await.body;
    assert!(
        page.contains("Lista ambasadorów nie jest jeszcze na stronie")
            && page.contains("Opublikuj listę ponownie"),
        "{page}"
    );
    let csrf = panel.csrf(&office).await;
    let still = panel
        .post("/panel/ambasadorzy", Some(&office), &[("csrf", &csrf)])
        .await;
    assert_eq!(still.location(), "/panel/ambasadorzy?opublikowano=nie");
    // Later, on the plain list, the store's mark still says so.
    let later = panel.get("/panel/ambasadorzy", Some(&office)).await.body;
    assert!(
        later.contains("może być nieaktualna od") && later.contains("Opublikuj listę ponownie"),
        "{later}"
    );
    panel.published.fail(false);
    let done = panel
        .post("/panel/ambasadorzy", Some(&office), &[("csrf", &csrf)])
        .await;
    assert_eq!(done.location(), "/panel/ambasadorzy?opublikowano=tak");
    assert!(panel.list().contains("Anna Nowak"));
    let current = panel.get("/panel/ambasadorzy", Some(&office)).await.body;
    assert!(
        !current.contains("nieaktualna") && !current.contains("Opublikuj listę ponownie"),
        "{current}"
    );
}

async fn an_ambassador_sees_only_the_people_of_their_own_area<S: Stored>(store: S) {
    let panel = workspace_of(store);
    let anna = panel
        .applicant("Anna Nowak", "anna@example.pl", "XIII", true)
        .await;
    let piotr = panel
        .applicant("Piotr Wiśniewski", "piotr@example.pl", "I", true)
        .await;
    panel
        .joins("Maria Kabel", "maria@example.pl", &anna.reference, true)
        .await;
    panel
        .joins("Tomasz Rynek", "tomasz@example.pl", &piotr.reference, true)
        .await;
    panel
        .joins("Nina Później", "nina@example.pl", &anna.reference, false)
        .await;
    let office = panel.sign_in(OFFICE).await;
    let zofia = panel
        .account(&office, "zofia@example.pl", "ambassador", "XIII")
        .await;
    let adam = panel
        .account(&office, "adam@example.pl", "ambassador", "I")
        .await;

    let dashboard = panel.get("/panel/", Some(&zofia)).await.body;
    assert!(
        dashboard.contains("href=\"/panel/moj-obszar\""),
        "{dashboard}"
    );
    let area = panel.get("/panel/moj-obszar", Some(&zofia)).await;
    assert_eq!(area.status, StatusCode::OK, "{}", area.body);
    assert!(
        area.body.contains("Maria Kabel") && area.body.contains("mailto:maria@example.pl"),
        "{}",
        area.body
    );
    for other in ["Tomasz Rynek", "tomasz@example.pl", "Nina Później"] {
        assert!(!area.body.contains(other), "{other}: {}", area.body);
    }
    let theirs = panel.get("/panel/moj-obszar", Some(&adam)).await.body;
    assert!(theirs.contains("Tomasz Rynek") && !theirs.contains("Maria Kabel"));

    // No address of the workspace shows Zofia another area's people.
    for path in [
        "/panel/moj-obszar?obszar=I".to_owned(),
        "/panel/moj-obszar/I".to_owned(),
        "/panel/ambasadorzy".to_owned(),
        format!("/panel/ambasadorzy/{}", piotr.reference),
        format!("/panel/formularze/{JOINING}"),
        format!("/panel/formularze/{JOINING}/eksport?format=csv"),
    ] {
        let answer = panel.get(&path, Some(&zofia)).await;
        assert!(
            !answer.body.contains("Tomasz Rynek"),
            "{path}: {}",
            answer.body
        );
    }
    let log = panel.get("/panel/dziennik", Some(&office)).await.body;
    assert!(log.contains("przegląd osób z obszaru"), "{log}");
    assert!(
        log.contains("area XIII") && !log.contains("Maria Kabel"),
        "{log}"
    );
}

async fn the_office_pages_refuse_everyone_else<S: Stored>(store: S) {
    let panel = workspace_of(store);
    let anna = panel
        .applicant("Anna Nowak", "anna@example.pl", "XIII", true)
        .await;
    let office = panel.sign_in(OFFICE).await;
    let ambassador = panel
        .account(&office, "zofia@example.pl", "ambassador", "XIII")
        .await;
    let verifier = panel
        .account(&office, "adam@example.pl", "verifier", "")
        .await;
    let decision = format!("/panel/ambasadorzy/{}", anna.reference);
    for cookie in [&ambassador, &verifier] {
        let csrf = panel.csrf(cookie).await;
        for path in ["/panel/ambasadorzy", decision.as_str()] {
            let page = panel.get(path, Some(cookie)).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
            let fields = [("csrf", csrf.as_str()), ("decision", "appointed")];
            let action = panel.post(path, Some(cookie), &fields).await;
            assert_eq!(action.status, StatusCode::FORBIDDEN, "POST {path}");
        }
    }
    for cookie in [&office, &verifier] {
        let area = panel.get("/panel/moj-obszar", Some(cookie)).await;
        assert_eq!(
            area.status,
            StatusCode::FORBIDDEN,
            "the area is an ambassador's"
        );
    }
    for path in ["/panel/ambasadorzy", decision.as_str(), "/panel/moj-obszar"] {
        let answer = panel.get(path, None).await;
        assert!(answer.leads_to_sign_in(), "{path}: {}", answer.status);
    }
    assert!(panel.decisions().await.is_empty());
    assert!(panel.published.files().is_empty());
}

async fn a_decision_needs_the_sessions_csrf_token_and_our_own_page<S: Stored>(store: S) {
    let panel = workspace_of(store);
    let anna = panel
        .applicant("Anna Nowak", "anna@example.pl", "XIII", true)
        .await;
    let office = panel.sign_in(OFFICE).await;
    let path = format!("/panel/ambasadorzy/{}", anna.reference);
    let csrf = panel.csrf(&office).await;
    let other = panel.sign_in(OFFICE).await;
    let foreign = panel.csrf(&other).await;
    for fields in [
        vec![("decision", "appointed")],
        vec![("csrf", "made-up"), ("decision", "appointed")],
        vec![("csrf", foreign.as_str()), ("decision", "appointed")],
    ] {
        let refused = panel.post(&path, Some(&office), &fields).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{fields:?}");
    }
    let fields = [("csrf", csrf.as_str()), ("decision", "appointed")];
    let cross = panel
        .post_from("cross-site", &path, Some(&office), &fields)
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    let republish = panel
        .post("/panel/ambasadorzy", Some(&office), &[("csrf", "made-up")])
        .await;
    assert_eq!(republish.status, StatusCode::FORBIDDEN);
    assert!(panel.decisions().await.is_empty());
    assert!(panel.mails_to("anna@example.pl").is_empty());
    assert!(panel.published.files().is_empty());
    let store_status = panel
        .store()
        .find(APPLICATIONS, &anna.reference, now())
        .await
        .expect("read")
        .map(|r| r.status);
    assert_eq!(store_status, Some(Status::Registered));
}

agora_test_support::on_every_store!(
    the_office_appoints_declines_and_dismisses_each_told_by_email,
    the_public_list_holds_only_the_public_fields_of_the_appointed,
    only_a_confirmed_application_can_be_appointed,
    a_withdrawn_ambassador_leaves_the_list_at_its_next_publishing,
    a_failed_publishing_keeps_the_decision_and_offers_to_publish_again,
    an_ambassador_sees_only_the_people_of_their_own_area,
    the_office_pages_refuse_everyone_else,
    a_decision_needs_the_sessions_csrf_token_and_our_own_page,
);
