//! The staff workspace's records on every store: one-time sign-in links,
//! sessions with their timeouts and sign-out everywhere, the accounts
//! added from the panel, the audit log, and their purge, through
//! `agora_core::panel::PanelStore` over SQLite (in memory) and DynamoDB
//! Local, never a fake. `on_every_store!` runs each story on both.

use std::sync::Arc;

use agora_core::panel::{Account, AuditAction, AuditEntry, PanelStore, Role, Session, SignInLink};
use agora_core::store::Store;
use chrono::{DateTime, Duration, TimeZone, Utc};

fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, hour, minute, 0)
        .single()
        .expect("a valid time")
}

fn link(token_hash: &str, email: &str) -> SignInLink {
    SignInLink {
        token_hash: token_hash.to_owned(),
        email: email.to_owned(),
        created_at: at(9, 0),
        expires_at: at(9, 15),
    }
}

fn session(id_hash: &str, email: &str) -> Session {
    Session {
        id_hash: id_hash.to_owned(),
        email: email.to_owned(),
        created_at: at(9, 0),
        last_seen: at(9, 0),
    }
}

fn ambassador(email: &str, area: &str) -> Account {
    Account {
        email: email.to_owned(),
        role: Role::Ambassador,
        area: Some(area.to_owned()),
        added_by: Some("biuro@example.pl".to_owned()),
        added_at: Some(at(8, 0)),
    }
}

fn entry(minute: u32, action: AuditAction) -> AuditEntry {
    AuditEntry {
        at: at(10, minute),
        actor: "biuro@example.pl".to_owned(),
        action,
        form_id: None,
        reference: None,
        detail: None,
    }
}

pub async fn a_sign_in_link_works_once<S: Store + PanelStore>(store: S) {
    store
        .put_sign_in_link(&link("a1", "anna@example.pl"))
        .await
        .expect("kept");
    assert_eq!(
        store.take_sign_in_link("zz", at(9, 1)).await.expect("read"),
        None,
        "an unknown link"
    );
    let taken = store.take_sign_in_link("a1", at(9, 1)).await.expect("read");
    assert_eq!(taken, Some(link("a1", "anna@example.pl")));
    assert_eq!(
        store.take_sign_in_link("a1", at(9, 2)).await.expect("read"),
        None,
        "used once already"
    );
}

pub async fn an_expired_link_is_refused<S: Store + PanelStore>(store: S) {
    store
        .put_sign_in_link(&link("b1", "anna@example.pl"))
        .await
        .expect("kept");
    assert_eq!(
        store
            .take_sign_in_link("b1", at(9, 15))
            .await
            .expect("read"),
        None,
        "at its expiry it is gone"
    );
    store
        .put_sign_in_link(&link("b2", "anna@example.pl"))
        .await
        .expect("kept");
    assert!(store
        .take_sign_in_link("b2", at(9, 14))
        .await
        .expect("read")
        .is_some());
}

pub async fn one_link_used_at_once_by_many_signs_in_once<S>(store: S)
where
    S: Store + PanelStore + 'static,
{
    let store = Arc::new(store);
    store
        .put_sign_in_link(&link("c1", "anna@example.pl"))
        .await
        .expect("kept");
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.take_sign_in_link("c1", at(9, 1)).await })
        })
        .collect();
    let mut signed_in = 0;
    for task in tasks {
        if task.await.expect("joined").expect("read").is_some() {
            signed_in += 1;
        }
    }
    assert_eq!(signed_in, 1);
}

pub async fn a_session_is_found_touched_and_ended<S: Store + PanelStore>(store: S) {
    let kept = session("s1", "anna@example.pl");
    store.put_session(&kept, at(19, 0)).await.expect("kept");
    assert_eq!(
        store.session("s1", at(9, 5)).await.expect("read"),
        Some(kept.clone())
    );
    assert_eq!(store.session("s2", at(9, 5)).await.expect("read"), None);

    store.touch_session("s1", at(9, 20)).await.expect("touched");
    let touched = store.session("s1", at(9, 21)).await.expect("read");
    assert_eq!(
        touched.map(|s| s.last_seen),
        Some(at(9, 20)),
        "the idle timeout counts from the last request"
    );

    assert!(store.end_session("s1").await.expect("ended"));
    assert_eq!(store.session("s1", at(9, 22)).await.expect("read"), None);
    assert!(
        !store.end_session("s1").await.expect("ended"),
        "ended already"
    );
    store.touch_session("s1", at(9, 23)).await.expect("touched");
    assert_eq!(
        store.session("s1", at(9, 24)).await.expect("read"),
        None,
        "touching does not bring an ended session back"
    );
}

pub async fn a_session_past_its_expiry_is_gone<S: Store + PanelStore>(store: S) {
    store
        .put_session(&session("e1", "anna@example.pl"), at(19, 0))
        .await
        .expect("kept");
    assert!(store
        .session("e1", at(18, 59))
        .await
        .expect("read")
        .is_some());
    assert_eq!(store.session("e1", at(19, 0)).await.expect("read"), None);
}

pub async fn signing_out_everywhere_ends_only_that_accounts_sessions<S: Store + PanelStore>(
    store: S,
) {
    for id in ["x1", "x2", "x3"] {
        store
            .put_session(&session(id, "anna@example.pl"), at(19, 0))
            .await
            .expect("kept");
    }
    store
        .put_session(&session("y1", "jan@example.pl"), at(19, 0))
        .await
        .expect("kept");
    assert_eq!(
        store
            .end_sessions_of("anna@example.pl")
            .await
            .expect("ended"),
        3
    );
    for id in ["x1", "x2", "x3"] {
        assert_eq!(store.session(id, at(9, 1)).await.expect("read"), None);
    }
    assert!(store.session("y1", at(9, 1)).await.expect("read").is_some());
    assert_eq!(
        store
            .end_sessions_of("anna@example.pl")
            .await
            .expect("ended"),
        0
    );
}

pub async fn accounts_are_added_replaced_listed_and_removed<S: Store + PanelStore>(store: S) {
    assert_eq!(store.accounts().await.expect("listed"), []);
    let zofia = ambassador("zofia@example.pl", "XIII");
    let adam = Account {
        email: "adam@example.pl".to_owned(),
        role: Role::Verifier,
        area: None,
        added_by: Some("biuro@example.pl".to_owned()),
        added_at: Some(at(8, 30)),
    };
    store.put_account(&zofia).await.expect("added");
    store.put_account(&adam).await.expect("added");
    assert_eq!(
        store.account("zofia@example.pl").await.expect("read"),
        Some(zofia.clone())
    );
    assert_eq!(store.account("nikt@example.pl").await.expect("read"), None);
    assert_eq!(
        store.accounts().await.expect("listed"),
        [adam.clone(), zofia.clone()],
        "by address"
    );

    let moved = ambassador("zofia@example.pl", "I");
    store.put_account(&moved).await.expect("replaced");
    assert_eq!(
        store.accounts().await.expect("listed"),
        [adam.clone(), moved],
        "one account per address"
    );

    assert!(store
        .remove_account("zofia@example.pl")
        .await
        .expect("removed"));
    assert!(!store
        .remove_account("zofia@example.pl")
        .await
        .expect("removed"));
    assert_eq!(store.account("zofia@example.pl").await.expect("read"), None);
    assert_eq!(store.accounts().await.expect("listed"), [adam]);
}

pub async fn the_audit_log_reads_newest_first_and_forgets_in_time<S: Store + PanelStore>(store: S) {
    let full = AuditEntry {
        form_id: Some("ambasadorzy".to_owned()),
        reference: Some("K7QX-M3PA".to_owned()),
        detail: Some("zofia@example.pl (ambassador)".to_owned()),
        ..entry(2, AuditAction::AccountAdded)
    };
    store
        .append_audit(&entry(1, AuditAction::SignedIn), at(12, 0))
        .await
        .expect("appended");
    store
        .append_audit(&full, at(23, 0))
        .await
        .expect("appended");
    store
        .append_audit(&entry(3, AuditAction::SignedOut), at(23, 0))
        .await
        .expect("appended");
    // Two lines at the same moment are both kept.
    store
        .append_audit(&entry(3, AuditAction::SignedOut), at(23, 0))
        .await
        .expect("appended");

    let log = store.audit_log(at(11, 0), 100).await.expect("read");
    let actions: Vec<AuditAction> = log.iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        [
            AuditAction::SignedOut,
            AuditAction::SignedOut,
            AuditAction::AccountAdded,
            AuditAction::SignedIn
        ]
    );
    assert_eq!(log[2], full, "every field read back");
    assert_eq!(store.audit_log(at(11, 0), 2).await.expect("read").len(), 2);
    let later = store.audit_log(at(12, 0), 100).await.expect("read");
    assert_eq!(later.len(), 3, "the first line's time ended: {later:?}");
}

pub async fn the_purge_erases_what_has_ended<S: Store + PanelStore>(store: S) {
    store
        .put_sign_in_link(&link("p1", "anna@example.pl"))
        .await
        .expect("kept");
    store
        .put_session(&session("p2", "anna@example.pl"), at(19, 0))
        .await
        .expect("kept");
    store
        .append_audit(&entry(1, AuditAction::SignedIn), at(12, 0))
        .await
        .expect("appended");
    store
        .append_audit(&entry(2, AuditAction::SignedOut), at(23, 0))
        .await
        .expect("appended");
    store
        .put_account(&ambassador("zofia@example.pl", "XIII"))
        .await
        .expect("added");

    assert_eq!(store.purge_panel(at(9, 0)).await.expect("purged"), 0);
    // The link (9:15) and the first line (12:00) have ended by 13:00.
    assert_eq!(store.purge_panel(at(13, 0)).await.expect("purged"), 2);
    assert_eq!(store.purge_panel(at(13, 0)).await.expect("purged"), 0);
    assert!(store
        .session("p2", at(13, 0))
        .await
        .expect("read")
        .is_some());
    // The session (19:00) and the second line (23:00) by midnight; the
    // account stays until it is removed.
    let midnight = at(23, 0) + Duration::hours(1);
    assert_eq!(store.purge_panel(midnight).await.expect("purged"), 2);
    assert_eq!(store.accounts().await.expect("listed").len(), 1);
}

agora_test_support::on_every_store!(
    a_sign_in_link_works_once,
    an_expired_link_is_refused,
    one_link_used_at_once_by_many_signs_in_once,
    a_session_is_found_touched_and_ended,
    a_session_past_its_expiry_is_gone,
    signing_out_everywhere_ends_only_that_accounts_sessions,
    accounts_are_added_replaced_listed_and_removed,
    the_audit_log_reads_newest_first_and_forgets_in_time,
    the_purge_erases_what_has_ended,
);
