//! Pre-verification of ideas in the staff workspace, through the one
//! router of Lambda and `agora serve`, on SQLite and DynamoDB Local: the
//! office gives a confirmed idea to a unit, whose experts are e-mailed a
//! link naming no one; an expert answers (after a refused try, the form
//! kept as typed), and the resident is e-mailed the answer with the link
//! whose key opens the idea's private page; when that e-mail failed, the
//! office sends the answer again with a new link (the older ones still
//! open the page). A verifier sees only the
//! ideas of their unit (any other is "not found"), an ambassador none;
//! every step needs the session's CSRF token; of two answers sent at
//! once, one is saved; the audit log has every view and step, and never
//! what anyone typed.

mod common;

use common::{workspace_reading, Answer, Stored, Workspace, OFFICE};

use std::path::{Path, PathBuf};

use agora_core::forms::{self, FormDefinition};
use agora_core::ideas::{IdeaRecord, Stage};
use agora_core::panel::AuditAction;
use agora_core::registration::token_hash;
use agora_test_support::krakow;
use agora_test_support::staff::{put_registration, Confirmation};
use agora_test_support::workspace::idea_link_key;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, TimeZone, Utc};

const FORM: &str = "pomysly";
const EXPERT: &str = "ekspert@zzm.example";
const ROADS: &str = "ekspert@zdmk.example";
const RESIDENT: &str = "anna@example.pl";
/// What an expert types, which no audit line may hold.
const COMMENT: &str = "Proszę wskazać dokładne miejsce ławek przy skwerze.";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 3, 2, 9, 0, 0)
        .single()
        .expect("a valid time")
}

/// The stories' site: the Kraków forms and the form of ideas, whose
/// units the workspace reads from the folder.
fn site() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/common/ideas-site")
}

fn ideas_form() -> FormDefinition {
    let forms = forms::load_site(&site(), Path::new("content")).expect("a valid site");
    forms.into_iter().find(|f| f.id == FORM).expect("the form")
}

fn workspace_of<S: Stored>(store: S) -> Workspace<S> {
    let mut forms = krakow::forms();
    forms.push(ideas_form());
    workspace_reading(store, forms, now(), Some(site()))
}

fn idea_path(reference: &str) -> String {
    format!("/panel/pomysly/{FORM}/{reference}")
}

/// The ideas and steps of these stories.
impl<S: Stored> Workspace<S> {
    /// An idea sent by `email`, confirmed or not: its reference.
    async fn idea(&self, email: &str, district: &str, confirmed: bool) -> String {
        let values = [
            ("title", "Ławki na skwerze"),
            ("district", district),
            ("place", "Skwer przy ul. Długiej"),
            ("description", "Ławki i zieleń przy skwerze dla sąsiadów."),
            ("email", email),
            ("phone", "600 100 200"),
        ];
        let confirmation = Confirmation::first_come(confirmed);
        let created_at = now() - Duration::days(1);
        put_registration(
            self.store(),
            FORM,
            &values,
            &["processing"],
            confirmation,
            created_at,
        )
        .await
        .reference
    }

    /// The office adds the verifier `email` of `unit`, who signs in.
    async fn verifier(&self, office: &str, email: &str, unit: &str) -> String {
        let fields = [("email", email), ("role", "verifier"), ("unit", unit)];
        let added = self.press("/panel/konta", office, &fields).await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
        self.sign_in(email).await
    }

    /// A step's form on the idea's page, posted with the page's token
    /// and version.
    async fn step(
        &self,
        cookie: &str,
        reference: &str,
        step: &str,
        fields: &[(&str, &str)],
    ) -> Answer {
        let page = self.get(&idea_path(reference), Some(cookie)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let version = hidden(&page, "wersja");
        let csrf = page.csrf();
        let mut fields = fields.to_vec();
        fields.extend([("csrf", csrf.as_str()), ("wersja", version.as_str())]);
        let path = format!("{}/{step}", idea_path(reference));
        self.post(&path, Some(cookie), &fields).await
    }

    async fn assign(&self, office: &str, reference: &str, unit: &str) -> Answer {
        self.step(office, reference, "przekaz", &[("jednostka", unit)])
            .await
    }

    async fn resend(&self, office: &str, reference: &str) -> Answer {
        self.step(office, reference, "wyslij-ponownie", &[]).await
    }

    /// A confirmed idea that the office gave to the expert's unit:
    /// (its reference, the office's session, the expert's).
    async fn with_the_unit(&self) -> (String, String, String) {
        let reference = self.idea(RESIDENT, "XIII", true).await;
        let office = self.sign_in(OFFICE).await;
        let expert = self.verifier(&office, EXPERT, "zzm").await;
        let assigned = self.assign(&office, &reference, "zzm").await;
        assert_eq!(assigned.status, StatusCode::SEE_OTHER, "{}", assigned.body);
        (reference, office, expert)
    }

    async fn record(&self, reference: &str) -> IdeaRecord {
        let record = self.store().idea(FORM, reference).await.expect("read");
        record.expect("a record")
    }
}

/// The value of the page's hidden field `name` (in its first form that has one).
fn hidden(page: &Answer, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.body.find(&marker).expect("the field") + marker.len();
    page.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect()
}

async fn the_office_assigns_the_unit_answers_and_the_resident_gets_a_private_link<S: Stored>(
    store: S,
) {
    let panel = workspace_of(store);
    let reference = panel.idea(RESIDENT, "XIII", true).await;
    let office = panel.sign_in(OFFICE).await;
    let list = panel.get("/panel/pomysly", Some(&office)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    for part in [
        reference.as_str(),
        "Ławki na skwerze",
        "Dzielnica XIII Podgórze",
        "czeka na przekazanie jednostce",
        "href=\"/panel/pomysly\" aria-current=\"page\"",
    ] {
        assert!(list.has(part), "{part} in {}", list.body);
    }
    let expert = panel.verifier(&office, EXPERT, "zzm").await;

    let assigned = panel.assign(&office, &reference, "zzm").await;
    assert_eq!(assigned.status, StatusCode::SEE_OTHER, "{}", assigned.body);
    assert_eq!(
        assigned.location(),
        format!("{}?zrobione=przekazano", idea_path(&reference))
    );
    let notices = panel.mails_to(EXPERT);
    let notice = notices
        .iter()
        .find(|m| m.contains("do wstępnej weryfikacji"))
        .expect("the unit's notice");
    assert!(notice.contains(&format!("https://example.org{}", idea_path(&reference))));
    assert!(!notice.contains(RESIDENT) && !notice.contains("Ławki"));

    let dashboard = panel.get("/panel/", Some(&expert)).await;
    assert!(
        dashboard.has("Czekających na odpowiedź: 1."),
        "{}",
        dashboard.body
    );
    let theirs = panel.get("/panel/pomysly", Some(&expert)).await;
    assert!(theirs.has(&reference), "{}", theirs.body);

    let refused = panel
        .step(
            &expert,
            &reference,
            "odpowiedz",
            &[("wynik", "needs_changes"), ("koszt", "120 000 zł")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    for part in [
        "href=\"#komentarz\"",
        "id=\"komentarz-error\"",
        "aria-invalid=\"true\" aria-describedby=\"komentarz-hint komentarz-error\"",
        "value=\"needs_changes\" required checked",
        "value=\"120 000 zł\"",
    ] {
        assert!(refused.has(part), "{part} in {}", refused.body);
    }
    let answered = panel
        .step(
            &expert,
            &reference,
            "odpowiedz",
            &[
                ("wynik", "needs_changes"),
                ("komentarz", COMMENT),
                ("koszt", "120 000 zł"),
            ],
        )
        .await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER, "{}", answered.body);
    let record = panel.record(&reference).await;
    assert_eq!(record.stage(), Stage::Answered);
    let mails = panel.mails_to(RESIDENT);
    assert_eq!(mails.len(), 1);
    for part in ["pomysł wymaga zmian", COMMENT, "120 000 zł"] {
        assert!(mails[0].contains(part), "{part} in {}", mails[0]);
    }
    let key = idea_link_key(&mails[0], FORM, &reference);
    assert!(record.opens_with(&token_hash(&key)));

    let page = panel.get(&idea_path(&reference), Some(&office)).await;
    for part in [
        "Historia",
        COMMENT,
        "120 000 zł",
        "Zarząd Zieleni Miejskiej",
    ] {
        assert!(page.has(part), "{part} in {}", page.body);
    }
    let audit = panel.audit().await;
    let actions: Vec<AuditAction> = audit.iter().map(|line| line.action).collect();
    for action in [
        AuditAction::IdeasViewed,
        AuditAction::IdeaViewed,
        AuditAction::IdeaAssigned,
        AuditAction::IdeaAnswered,
    ] {
        assert!(actions.contains(&action), "{action:?} in {actions:?}");
    }
    let answer_line = audit
        .iter()
        .find(|line| line.action == AuditAction::IdeaAnswered)
        .expect("the answer's line");
    assert_eq!(answer_line.actor, EXPERT);
    assert_eq!(answer_line.reference.as_deref(), Some(reference.as_str()));
    assert_eq!(answer_line.detail.as_deref(), Some("wynik=needs_changes"));
    for line in &audit {
        let text = format!("{line:?}");
        for typed in [COMMENT, "120", RESIDENT, "Ławki"] {
            assert!(!text.contains(typed), "{typed} in {text}");
        }
    }
}

async fn a_verifier_sees_only_the_ideas_of_their_unit<S: Stored>(store: S) {
    let panel = workspace_of(store);
    let benches = panel.idea(RESIDENT, "XIII", true).await;
    let road = panel.idea("jan@example.pl", "I", true).await;
    let office = panel.sign_in(OFFICE).await;
    let expert = panel.verifier(&office, EXPERT, "zzm").await;
    let roads = panel.verifier(&office, ROADS, "zdmk").await;
    let unassigned = panel.get(&idea_path(&benches), Some(&expert)).await;
    assert_eq!(unassigned.status, StatusCode::NOT_FOUND);
    assert_eq!(
        panel.assign(&office, &benches, "zzm").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        panel.assign(&office, &road, "zdmk").await.status,
        StatusCode::SEE_OTHER
    );

    let list = panel.get("/panel/pomysly", Some(&roads)).await;
    assert!(list.has(&road) && !list.has(&benches), "{}", list.body);
    let elsewhere = panel.get(&idea_path(&benches), Some(&roads)).await;
    let nowhere = panel.get(&idea_path("ABCD-EFGH"), Some(&roads)).await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
    assert_eq!(
        elsewhere.body, nowhere.body,
        "the same page: nothing revealed"
    );
    let csrf = panel.csrf(&roads).await;
    let fields = [
        ("csrf", csrf.as_str()),
        ("wynik", "go_ahead"),
        ("wersja", "1"),
    ];
    let answer = format!("{}/odpowiedz", idea_path(&benches));
    let refused = panel.post(&answer, Some(&roads), &fields).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(panel.record(&benches).await.answers().count(), 0);

    // Filtered by stage and district.
    let filtered = panel
        .get(
            "/panel/pomysly?etap=with_unit&dzielnica=XIII",
            Some(&office),
        )
        .await;
    assert!(
        filtered.has(&benches) && !filtered.has(&road),
        "{}",
        filtered.body
    );
    let answered_only = panel
        .get("/panel/pomysly?etap=answered", Some(&office))
        .await;
    assert!(!answered_only.has(&benches) && !answered_only.has(&road));
    let lines = panel.audit().await;
    let details: Vec<Option<&str>> = lines
        .iter()
        .filter(|l| l.action == AuditAction::IdeasViewed && l.actor == OFFICE)
        .map(|l| l.detail.as_deref())
        .collect();
    for detail in [
        "etap=with_unit; dzielnica=XIII; pomysly=1",
        "etap=answered; dzielnica=wszystkie; pomysly=0",
    ] {
        assert!(details.contains(&Some(detail)), "{detail} in {details:?}");
    }
}

async fn the_ideas_refuse_ambassadors_and_steps_need_the_csrf_token<S: Stored>(store: S) {
    let panel = workspace_of(store);
    let reference = panel.idea(RESIDENT, "XIII", true).await;
    let office = panel.sign_in(OFFICE).await;
    let expert = panel.verifier(&office, EXPERT, "zzm").await;
    let added = panel
        .add_account(&office, "zofia@example.pl", "ambassador", "XIII")
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let ambassador = panel.sign_in("zofia@example.pl").await;
    let csrf = panel.csrf(&ambassador).await;
    for path in ["/panel/pomysly".to_owned(), idea_path(&reference)] {
        let page = panel.get(&path, Some(&ambassador)).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
    }
    let assign = format!("{}/przekaz", idea_path(&reference));
    let answer = format!("{}/odpowiedz", idea_path(&reference));
    let fields = [
        ("csrf", csrf.as_str()),
        ("jednostka", "zzm"),
        ("wersja", "0"),
    ];
    let resend = format!("{}/wyslij-ponownie", idea_path(&reference));
    for path in [&assign, &answer, &resend] {
        let refused = panel.post(path, Some(&ambassador), &fields).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}");
    }
    let theirs = panel.csrf(&expert).await;
    let fields = [
        ("csrf", theirs.as_str()),
        ("jednostka", "zzm"),
        ("wersja", "0"),
    ];
    for path in [&assign, &resend] {
        let by_expert = panel.post(path, Some(&expert), &fields).await;
        assert_eq!(
            by_expert.status,
            StatusCode::FORBIDDEN,
            "the office's {path}"
        );
    }

    let token = panel.csrf(&office).await;
    for fields in [
        vec![("jednostka", "zzm"), ("wersja", "0")],
        vec![("csrf", "made-up"), ("jednostka", "zzm"), ("wersja", "0")],
        vec![
            ("csrf", theirs.as_str()),
            ("jednostka", "zzm"),
            ("wersja", "0"),
        ],
    ] {
        for path in [&assign, &resend] {
            let refused = panel.post(path, Some(&office), &fields).await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path} {fields:?}");
        }
    }
    let fields = [
        ("csrf", token.as_str()),
        ("jednostka", "zzm"),
        ("wersja", "0"),
    ];
    let cross = panel
        .post_from("cross-site", &assign, Some(&office), &fields)
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    let by_office = [
        ("csrf", token.as_str()),
        ("wynik", "go_ahead"),
        ("wersja", "0"),
    ];
    let answered = panel.post(&answer, Some(&office), &by_office).await;
    assert_eq!(answered.status, StatusCode::FORBIDDEN, "the unit's step");
    assert!(panel
        .store()
        .idea(FORM, &reference)
        .await
        .expect("read")
        .is_none());
    assert!(panel
        .mails_to(EXPERT)
        .iter()
        .all(|m| !m.contains("do wstępnej weryfikacji")));

    let unknown = panel.assign(&office, &reference, "nieznana").await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.has("href=\"#jednostka\""), "{}", unknown.body);
    let pending = panel.idea("jan@example.pl", "I", false).await;
    let page = panel.get(&idea_path(&pending), Some(&office)).await;
    assert!(
        page.has("Autor nie potwierdził jeszcze pomysłu"),
        "{}",
        page.body
    );
    let fields = [
        ("csrf", token.as_str()),
        ("jednostka", "zzm"),
        ("wersja", "0"),
    ];
    let path = format!("{}/przekaz", idea_path(&pending));
    let unconfirmed = panel.post(&path, Some(&office), &fields).await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unconfirmed.has("potwierdzony linkiem"),
        "{}",
        unconfirmed.body
    );
}

async fn of_two_answers_sent_at_once_one_is_saved<S: Stored>(store: S) {
    let panel = workspace_of(store);
    let (reference, _, expert) = panel.with_the_unit().await;
    let page = panel.get(&idea_path(&reference), Some(&expert)).await;
    let (csrf, version) = (page.csrf(), hidden(&page, "wersja"));
    let path = format!("{}/odpowiedz", idea_path(&reference));
    let fields = |outcome| {
        [
            ("csrf", csrf.as_str()),
            ("wersja", version.as_str()),
            ("wynik", outcome),
            ("komentarz", COMMENT),
        ]
    };
    let (a, b) = (fields("go_ahead"), fields("outside_competence"));
    let (one, two) = tokio::join!(
        panel.post(&path, Some(&expert), &a),
        panel.post(&path, Some(&expert), &b)
    );
    let mut statuses = [one.status, two.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::CONFLICT]);
    let stale = [one, two]
        .into_iter()
        .find(|a| a.status == StatusCode::CONFLICT);
    let stale = stale.expect("the conflict's page");
    assert!(
        stale.has("W międzyczasie ktoś inny zmienił ten pomysł"),
        "{}",
        stale.body
    );
    assert_eq!(panel.record(&reference).await.answers().count(), 1);
    assert_eq!(panel.mails_to(RESIDENT).len(), 1);
}

async fn a_verifier_is_added_with_a_unit_of_the_list<S: Stored>(store: S) {
    let panel = workspace_of(store);
    let office = panel.sign_in(OFFICE).await;
    let accounts = panel.get("/panel/konta", Some(&office)).await;
    assert!(
        accounts.has("<option value=\"zzm\">Zarząd Zieleni Miejskiej</option>"),
        "{}",
        accounts.body
    );
    let refused = panel.add_account(&office, EXPERT, "verifier", "").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    for part in [
        "href=\"#new-unit\"",
        "id=\"new-unit-error\"",
        "value=\"ekspert@zzm.example\"",
    ] {
        assert!(refused.has(part), "{part} in {}", refused.body);
    }
    let fields = [("email", ROADS), ("role", "verifier"), ("unit", "nieznana")];
    let unknown = panel.press("/panel/konta", &office, &fields).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    panel.verifier(&office, EXPERT, "zzm").await;
    let stored = panel.store().accounts().await.expect("accounts");
    let expert = stored.iter().find(|a| a.email == EXPERT).expect("added");
    assert_eq!(expert.area.as_deref(), Some("zzm"));
    assert!(stored.iter().all(|a| a.email != ROADS));
}

async fn the_office_sends_an_unmailed_answer_again_with_a_new_link<S: Stored>(store: S) {
    let panel = workspace_of(store);
    let (reference, office, expert) = panel.with_the_unit().await;
    let page = panel.get(&idea_path(&reference), Some(&office)).await;
    assert!(!page.has("Wyślij odpowiedź ponownie"), "{}", page.body);
    let unanswered = panel.resend(&office, &reference).await;
    assert_eq!(unanswered.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unanswered.has("Jednostka nie odpowiedziała jeszcze na ten pomysł"),
        "{}",
        unanswered.body
    );

    // The answer's e-mail fails: a folder takes the name the outbox
    // writes it under first.
    let outbox = panel.service.mailer().dir();
    let blocked = outbox.join(format!(".{reference}-odpowiedz-2.eml.partial"));
    std::fs::create_dir(&blocked).expect("a folder");
    let fields = [("wynik", "needs_changes"), ("komentarz", COMMENT)];
    let answered = panel.step(&expert, &reference, "odpowiedz", &fields).await;
    std::fs::remove_dir(&blocked).expect("removed");
    assert_eq!(
        answered.location(),
        format!(
            "{}?zrobione=odpowiedziano-bez-poczty",
            idea_path(&reference)
        )
    );
    assert!(panel.mails_to(RESIDENT).is_empty());

    let page = panel.get(&idea_path(&reference), Some(&office)).await;
    let action = format!("action=\"{}/wyslij-ponownie\"", idea_path(&reference));
    assert!(page.has(&action), "{}", page.body);
    let resent = panel.resend(&office, &reference).await;
    let notice = format!("{}?zrobione=wyslano-ponownie", idea_path(&reference));
    assert_eq!(resent.location(), notice, "{}", resent.body);
    let shown = panel.get(&notice, Some(&office)).await;
    assert!(
        shown.has("Wysłano autorowi pomysłu ponownie"),
        "{}",
        shown.body
    );
    let mails = panel.mails_to(RESIDENT);
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains(COMMENT), "{}", mails[0]);
    let first = idea_link_key(&mails[0], FORM, &reference);
    assert!(panel
        .record(&reference)
        .await
        .opens_with(&token_hash(&first)));

    // Lost again: a second e-mail, whose key opens the page as the first's does.
    assert_eq!(panel.resend(&office, &reference).await.location(), notice);
    let mails = panel.mails_to(RESIDENT);
    assert_eq!(mails.len(), 2);
    let second = idea_link_key(&mails[1], FORM, &reference);
    assert_ne!(first, second);
    let record = panel.record(&reference).await;
    assert!(record.opens_with(&token_hash(&second)) && record.opens_with(&token_hash(&first)));

    // A page shown before the last sending: nothing saved over it.
    let csrf = panel.csrf(&office).await;
    let stale = [("csrf", csrf.as_str()), ("wersja", "3")];
    let path = format!("{}/wyslij-ponownie", idea_path(&reference));
    let conflict = panel.post(&path, Some(&office), &stale).await;
    assert_eq!(conflict.status, StatusCode::CONFLICT);
    assert!(conflict.has("W międzyczasie ktoś inny zmienił ten pomysł"));
    assert_eq!(panel.mails_to(RESIDENT).len(), 2);

    let audit = panel.audit().await;
    let lines: Vec<_> = audit
        .iter()
        .filter(|line| line.action == AuditAction::IdeaAnswerResent)
        .collect();
    assert_eq!(lines.len(), 2);
    for line in lines {
        assert_eq!(line.actor, OFFICE);
        assert_eq!(line.form_id.as_deref(), Some(FORM));
        assert_eq!(line.reference.as_deref(), Some(reference.as_str()));
        assert_eq!(line.detail.as_deref(), Some("wynik=needs_changes"));
    }
}

agora_test_support::on_every_store!(
    the_office_assigns_the_unit_answers_and_the_resident_gets_a_private_link,
    a_verifier_sees_only_the_ideas_of_their_unit,
    the_ideas_refuse_ambassadors_and_steps_need_the_csrf_token,
    of_two_answers_sent_at_once_one_is_saved,
    a_verifier_is_added_with_a_unit_of_the_list,
    the_office_sends_an_unmailed_answer_again_with_a_new_link,
);
