//! The staff workspace as an attacker and its users meet it, through the
//! one router of Lambda and `agora serve`, on SQLite and DynamoDB Local:
//! no session leads to the sign-in page; sign-in answers the same for any
//! address; a link works once, briefly, and only as sent; every action
//! needs the session's CSRF token and a request from our own pages; roles
//! see only their part; signing out (here or everywhere) and removing an
//! account end sessions at once; the audit log records each step.

mod common;

use common::{workspace, Stored, Workspace, OFFICE};

use agora_core::panel::access::LINKS_PER_ADDRESS;
use agora_test_support::krakow;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::{DateTime, Duration, TimeZone, Utc};

const ELSEWHERE: &str = "https://zly.example";

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
        .single()
        .expect("a valid time")
}

/// The workspace of a test deployment whose only office account is
/// [`OFFICE`], with a clock the test moves on.
fn panel<S: Stored>(store: S) -> Workspace<S> {
    workspace(store, krakow::forms(), start())
}

/// How many sign-in links were mailed so far.
fn links_sent<S: Stored>(panel: &Workspace<S>) -> usize {
    let mails = panel.outbox.mails();
    mails
        .iter()
        .filter(|(_, text)| text.contains("/panel/logowanie/link?token="))
        .count()
}

async fn without_a_session_every_page_leads_to_sign_in<S>(store: S)
where
    S: Stored,
{
    let panel = panel(store);
    for path in ["/panel/", "/panel/konta", "/panel/dziennik"] {
        let answer = panel.get(path, None).await;
        assert!(answer.leads_to_sign_in(), "{path}: {}", answer.status);
        let forged = panel.get(path, Some("__Host-agora-panel=made-up")).await;
        assert!(forged.leads_to_sign_in(), "{path} with a made-up cookie");
    }
    let answer = panel.post("/panel/wyloguj", None, &[("csrf", "x")]).await;
    assert!(answer.leads_to_sign_in());
    let page = panel.get("/panel/logowanie", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("name=\"email\""), "{}", page.body);
    assert_eq!(
        page.headers
            .get(header::CACHE_CONTROL)
            .map(|v| v.to_str().ok()),
        Some(Some("no-store"))
    );
}

async fn sign_in_answers_the_same_whether_or_not_the_address_has_an_account<S>(store: S)
where
    S: Stored,
{
    let panel = panel(store);
    let office = panel
        .post("/panel/logowanie", None, &[("email", OFFICE)])
        .await;
    let nobody = panel
        .post("/panel/logowanie", None, &[("email", "nikt@example.pl")])
        .await;
    assert_eq!(office.status, StatusCode::OK);
    assert_eq!(nobody.status, office.status);
    assert_eq!(nobody.body, office.body);
    assert_eq!(links_sent(&panel), 1, "a link only to the account");
    let invalid = panel
        .post("/panel/logowanie", None, &[("email", "nie adres")])
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(invalid.body.contains("aria-invalid=\"true\""));
}

async fn a_link_signs_in_once_and_only_in_time<S>(store: S)
where
    S: Stored,
{
    let panel = panel(store);
    let cookie = panel.sign_in(OFFICE).await;
    let dashboard = panel.get("/panel/", Some(&cookie)).await;
    assert_eq!(dashboard.status, StatusCode::OK);
    assert!(
        dashboard.body.contains("Formularze i zgłoszenia"),
        "{}",
        dashboard.body
    );

    panel
        .post("/panel/logowanie", None, &[("email", OFFICE)])
        .await;
    let used = panel.link_token(OFFICE);
    let first = panel
        .post("/panel/logowanie/link", None, &[("token", &used)])
        .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let again = panel
        .post("/panel/logowanie/link", None, &[("token", &used)])
        .await;
    assert_eq!(again.status, StatusCode::GONE, "a link works once");
    assert!(again.headers.get(header::SET_COOKIE).is_none());

    let made_up = panel
        .post(
            "/panel/logowanie/link",
            None,
            &[("token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")],
        )
        .await;
    assert_eq!(made_up.status, StatusCode::GONE, "a link never sent");

    panel
        .post("/panel/logowanie", None, &[("email", OFFICE)])
        .await;
    let late = panel.link_token(OFFICE);
    panel.later(Duration::minutes(16));
    let expired = panel
        .post("/panel/logowanie/link", None, &[("token", &late)])
        .await;
    assert_eq!(
        expired.status,
        StatusCode::GONE,
        "a quarter of an hour later"
    );
}

async fn a_post_from_another_site_is_refused<S>(store: S)
where
    S: Stored,
{
    let panel = panel(store);
    let asked = panel
        .post_from("cross-site", "/panel/logowanie", None, &[("email", OFFICE)])
        .await;
    assert_eq!(asked.status, StatusCode::FORBIDDEN);
    assert_eq!(links_sent(&panel), 0);

    panel
        .post("/panel/logowanie", None, &[("email", OFFICE)])
        .await;
    let token = panel.link_token(OFFICE);
    let request = Request::post("/panel/logowanie/link")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, ELSEWHERE)
        .header(header::HOST, "example.org")
        .body(Body::from(format!("token={token}")))
        .expect("a request");
    let forced = panel.send(request).await;
    assert_eq!(forced.status, StatusCode::FORBIDDEN, "login CSRF");
    assert!(forced.headers.get(header::SET_COOKIE).is_none());
    // The link is still good for its owner.
    let owner = panel
        .post("/panel/logowanie/link", None, &[("token", &token)])
        .await;
    assert_eq!(owner.status, StatusCode::SEE_OTHER);
}

async fn every_action_needs_the_sessions_csrf_token<S>(store: S)
where
    S: Stored,
{
    let panel = panel(store);
    let cookie = panel.sign_in(OFFICE).await;
    let other = panel.sign_in(OFFICE).await;
    let others_token = panel.csrf(&other).await;
    for fields in [
        vec![],
        vec![("csrf", "")],
        vec![("csrf", "00ff")],
        vec![("csrf", others_token.as_str())],
    ] {
        let refused = panel.post("/panel/wyloguj", Some(&cookie), &fields).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{fields:?}");
        let added = panel
            .post(
                "/panel/konta",
                Some(&cookie),
                &[
                    fields.clone(),
                    vec![("email", "z@example.pl"), ("role", "verifier")],
                ]
                .concat(),
            )
            .await;
        assert_eq!(added.status, StatusCode::FORBIDDEN, "{fields:?}");
    }
    assert!(panel.get("/panel/", Some(&cookie)).await.status == StatusCode::OK);
    let accounts = panel.get("/panel/konta", Some(&cookie)).await;
    assert!(!accounts.body.contains("z@example.pl"), "nothing was added");
    let csrf = panel.csrf(&cookie).await;
    let cross = panel
        .post_from(
            "cross-site",
            "/panel/wyloguj",
            Some(&cookie),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN, "even with the token");
}

async fn a_signed_out_session_cannot_be_used_again<S>(store: S)
where
    S: Stored,
{
    let panel = panel(store);
    let cookie = panel.sign_in(OFFICE).await;
    let csrf = panel.csrf(&cookie).await;
    let out = panel
        .post("/panel/wyloguj", Some(&cookie), &[("csrf", &csrf)])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location(), "/panel/logowanie?wylogowano");
    let cleared = out
        .headers
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    // A copy of the cookie kept by an attacker is worth nothing now.
    assert!((panel.get("/panel/", Some(&cookie)).await).leads_to_sign_in());
    let replayed = panel
        .post("/panel/wyloguj", Some(&cookie), &[("csrf", &csrf)])
        .await;
    assert!(replayed.leads_to_sign_in());
}

async fn signing_out_everywhere_ends_every_session_of_the_account<S>(store: S)
where
    S: Stored,
{
    let panel = panel(store);
    let phone = panel.sign_in(OFFICE).await;
    let laptop = panel.sign_in(OFFICE).await;
    let csrf = panel.csrf(&phone).await;
    let out = panel
        .post("/panel/wyloguj-wszedzie", Some(&phone), &[("csrf", &csrf)])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    for cookie in [&phone, &laptop] {
        assert!((panel.get("/panel/", Some(cookie)).await).leads_to_sign_in());
    }
}

async fn a_session_ends_when_idle<S>(store: S)
where
    S: Stored,
{
    let panel = panel(store);
    let cookie = panel.sign_in(OFFICE).await;
    panel.later(Duration::minutes(29));
    assert_eq!(
        panel.get("/panel/", Some(&cookie)).await.status,
        StatusCode::OK
    );
    panel.later(Duration::minutes(29));
    assert_eq!(
        panel.get("/panel/", Some(&cookie)).await.status,
        StatusCode::OK,
        "each request keeps it alive"
    );
    panel.later(Duration::minutes(31));
    assert!((panel.get("/panel/", Some(&cookie)).await).leads_to_sign_in());
}

async fn roles_see_only_their_part_and_a_removed_account_is_out_at_once<S>(store: S)
where
    S: Stored,
{
    let panel = panel(store);
    let office = panel.sign_in(OFFICE).await;
    let added = panel
        .add_account(&office, "Zofia@Example.pl", "ambassador", "XIII")
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let added = panel
        .add_account(&office, "adam@example.pl", "verifier", "")
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let refused = panel
        .add_account(&office, "ktos@example.pl", "office", "")
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "office accounts are the configuration's"
    );

    for (email, role_text) in [
        ("zofia@example.pl", "ambasador"),
        ("adam@example.pl", "weryfikator"),
    ] {
        let cookie = panel.sign_in(email).await;
        let dashboard = panel.get("/panel/", Some(&cookie)).await;
        assert_eq!(dashboard.status, StatusCode::OK);
        assert!(dashboard.body.contains(role_text), "{}", dashboard.body);
        assert!(
            !dashboard.body.contains("Formularze i zgłoszenia"),
            "no registrations"
        );
        assert!(!dashboard.body.contains("/panel/konta"), "no office menu");
        for path in ["/panel/konta", "/panel/dziennik"] {
            assert_eq!(
                panel.get(path, Some(&cookie)).await.status,
                StatusCode::FORBIDDEN,
                "{path}"
            );
        }
        let csrf = panel.csrf(&cookie).await;
        let fields = [
            ("csrf", csrf.as_str()),
            ("email", "x@example.pl"),
            ("role", "verifier"),
            ("area", ""),
        ];
        let added = panel.post("/panel/konta", Some(&cookie), &fields).await;
        assert_eq!(added.status, StatusCode::FORBIDDEN);
        let removed = panel
            .post(
                "/panel/konta/usun",
                Some(&cookie),
                &[("csrf", &csrf), ("email", OFFICE)],
            )
            .await;
        assert_eq!(removed.status, StatusCode::FORBIDDEN);
    }

    let zofia = panel.sign_in("zofia@example.pl").await;
    let csrf = panel.csrf(&office).await;
    let removed = panel
        .post(
            "/panel/konta/usun",
            Some(&office),
            &[("csrf", &csrf), ("email", "zofia@example.pl")],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert!((panel.get("/panel/", Some(&zofia)).await).leads_to_sign_in());
    panel
        .post("/panel/logowanie", None, &[("email", "zofia@example.pl")])
        .await;
    let sent = links_sent(&panel);
    panel
        .post("/panel/logowanie", None, &[("email", "zofia@example.pl")])
        .await;
    assert_eq!(
        links_sent(&panel),
        sent,
        "no more links to a removed account"
    );

    let log = panel.get("/panel/dziennik", Some(&office)).await;
    assert_eq!(log.status, StatusCode::OK);
    for line in [
        "logowanie",
        "dodanie konta",
        "usunięcie konta",
        "zofia@example.pl (ambassador)",
    ] {
        assert!(log.body.contains(line), "{line} in the log: {}", log.body);
    }
}

async fn sign_in_links_are_rate_limited_per_address<S>(store: S)
where
    S: Stored,
{
    let panel = panel(store);
    for _ in 0..LINKS_PER_ADDRESS {
        let answer = panel
            .post("/panel/logowanie", None, &[("email", OFFICE)])
            .await;
        assert_eq!(answer.status, StatusCode::OK);
    }
    let limited = panel
        .post("/panel/logowanie", None, &[("email", OFFICE)])
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let unknown = panel
        .post("/panel/logowanie", None, &[("email", "nikt@example.pl")])
        .await;
    assert_eq!(unknown.status, StatusCode::OK, "counted per address");
    assert_eq!(links_sent(&panel), LINKS_PER_ADDRESS as usize);
}

async fn a_refused_account_keeps_what_was_typed_and_names_the_field<S>(store: S)
where
    S: Stored,
{
    let panel = panel(store);
    let office = panel.sign_in(OFFICE).await;
    let refused = panel
        .add_account(&office, "zofia@example.pl", "ambassador", " ")
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    for part in [
        "href=\"#new-area\"",
        "value=\"zofia@example.pl\"",
        "<option value=\"ambassador\" selected>",
        "aria-invalid=\"true\" aria-describedby=\"new-area-hint new-area-error\"",
        "id=\"new-area-error\"",
    ] {
        assert!(refused.body.contains(part), "{part} in {}", refused.body);
    }
    let bad_address = panel
        .add_account(&office, "Zofia <z@example.pl>", "verifier", "")
        .await;
    assert_eq!(bad_address.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_address.body.contains("href=\"#new-email\""));
    assert!(bad_address
        .body
        .contains("value=\"Zofia &lt;z@example.pl&gt;\""));
    let accounts = panel.get("/panel/konta", Some(&office)).await;
    assert!(
        !accounts.body.contains("zofia@example.pl"),
        "nothing was added"
    );
}

/// An action's body that is not its page's form (another content type,
/// broken encoding): who may post is settled first, from the headers, and
/// the one who may gets a Polish page, never the parser's message.
async fn a_broken_form_is_refused_after_who_may_post<S>(store: S)
where
    S: Stored,
{
    let panel = panel(store);
    let broken = |cookie: Option<&str>, site: &str| {
        let mut request = Request::post("/panel/konta")
            .header(header::CONTENT_TYPE, "text/plain")
            .header("sec-fetch-site", site);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.body(Body::from("csrf=%zz")).expect("a request")
    };
    let anonymous = panel.send(broken(None, "same-origin")).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(anonymous.location(), "/panel/logowanie");
    let cookie = panel.sign_in(OFFICE).await;
    let cross = panel.send(broken(Some(&cookie), "cross-site")).await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    let unreadable = panel.send(broken(Some(&cookie), "same-origin")).await;
    assert_eq!(unreadable.status, StatusCode::BAD_REQUEST);
    assert!(
        unreadable
            .body
            .contains("Nie udało się odczytać formularza")
            && !unreadable.body.contains("Content-Type"),
        "{}",
        unreadable.body
    );
}

agora_test_support::on_every_store!(
    a_refused_account_keeps_what_was_typed_and_names_the_field,
    a_broken_form_is_refused_after_who_may_post,
    without_a_session_every_page_leads_to_sign_in,
    sign_in_answers_the_same_whether_or_not_the_address_has_an_account,
    a_link_signs_in_once_and_only_in_time,
    a_post_from_another_site_is_refused,
    every_action_needs_the_sessions_csrf_token,
    a_signed_out_session_cannot_be_used_again,
    signing_out_everywhere_ends_every_session_of_the_account,
    a_session_ends_when_idle,
    roles_see_only_their_part_and_a_removed_account_is_out_at_once,
    sign_in_links_are_rate_limited_per_address,
);
