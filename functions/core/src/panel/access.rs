//! The rules of getting in: a sign-in link is sent only to an account, but
//! the answer is the same for any address; it works once and briefly; a
//! session lives until it is idle or old, or until it is ended; an account
//! removed is signed out at once; each step is in the audit log.

use chrono::{DateTime, Duration, DurationRound, Utc};
use sha2::{Digest, Sha256};

use super::accounts::{Account, Role};
use super::audit::{AuditAction, AuditEntry};
use super::sessions::{self, Session, SignInLink, Timeouts};
use super::store::PanelStore;
use crate::forms::email::{self, EmailProblem};
use crate::mail::{Email, Mailer};
use crate::registration::{new_token, token_hash};
use crate::store::{Store, StoreError};

/// The window in which sign-in requests are counted.
const LINK_WINDOW_MINUTES: i64 = 15;

/// How many days the audit log keeps a line while the site's
/// configuration does not say (`panel.audit_days`; `agora check` warns).
pub const DEFAULT_AUDIT_DAYS: u32 = 365;

/// Links one address may ask for in a window: a few retries of a person
/// waiting for mail, not a flood of a mailbox.
pub const LINKS_PER_ADDRESS: u32 = 5;
/// Links one client may ask for in a window, whatever it types: an office
/// behind one address signs in together in the morning.
pub const LINKS_PER_CLIENT: u32 = 30;

#[derive(Debug, Clone)]
pub struct AccessSettings {
    /// The office accounts of the configuration, canonical addresses.
    pub office: Vec<String>,
    /// Where the workspace is reached, for the link in the e-mail.
    pub public_url: String,
    /// The site's title, naming it in the e-mail.
    pub site_title: String,
    /// The site's time zone, in which the workspace shows times.
    pub timezone: chrono_tz::Tz,
    /// The server's secret: keys the CSRF tokens and salts the hashed
    /// addresses of the rate limits. Keep it across restarts.
    pub key: String,
    pub timeouts: Timeouts,
    /// How long the audit log keeps a line.
    pub audit_days: i64,
    /// Links one address may ask for in a quarter of an hour.
    pub links_per_address: u32,
    /// Links one client (network address) may ask for in a quarter of an
    /// hour, whatever addresses it types.
    pub links_per_client: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no randomness: {0}")]
    Randomness(String),
    /// The account's role does not allow the action.
    #[error("this account may not do that")]
    NotAllowed,
}

/// What asking for a sign-in link came to. `Sent` is the answer whether or
/// not the address has an account: the page cannot tell who has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkRequested {
    Sent,
    /// Too many requests for this address or from this client.
    RateLimited {
        retry_after_seconds: u64,
    },
    /// Not an address at all: said so, as any form does.
    Invalid(EmailProblem),
}

/// A request made in a live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub account: Account,
    pub session: Session,
    /// The token the session's forms carry.
    pub csrf: String,
}

/// The workspace's access over a store and a mailer.
pub struct Access<S, M> {
    store: S,
    mailer: M,
    settings: AccessSettings,
}

impl<S: Store + PanelStore, M: Mailer> Access<S, M> {
    pub fn new(store: S, mailer: M, settings: AccessSettings) -> Self {
        Self {
            store,
            mailer,
            settings,
        }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn settings(&self) -> &AccessSettings {
        &self.settings
    }

    /// The account of `email` (canonical): an office account of the
    /// configuration, else one added from the panel.
    pub async fn account(&self, email: &str) -> Result<Option<Account>, StoreError> {
        if self.settings.office.iter().any(|office| office == email) {
            return Ok(Some(Account::office(email.to_owned())));
        }
        self.store.account(email).await
    }

    /// Sends a sign-in link to `typed` if it is an account's address.
    /// Mail that cannot be sent is not said either: the answer must not
    /// depend on the account.
    pub async fn request_link(
        &self,
        typed: &str,
        client: &str,
        now: DateTime<Utc>,
    ) -> Result<LinkRequested, AccessError> {
        let email = match email::canonical(typed) {
            Ok(email) => email,
            Err(problem) => return Ok(LinkRequested::Invalid(problem)),
        };
        if let Some(limited) = self.link_rate_limit(&email, client, now).await? {
            return Ok(limited);
        }
        if self.account(&email).await?.is_none() {
            return Ok(LinkRequested::Sent);
        }
        let token = new_token().map_err(|e| AccessError::Randomness(e.to_string()))?;
        let link = SignInLink {
            token_hash: token_hash(&token),
            email: email.clone(),
            created_at: now,
            expires_at: now + self.settings.timeouts.link,
        };
        self.store.put_sign_in_link(&link).await?;
        // Logged for the operators (the error names no address); the
        // answer stays the same.
        if let Err(error) = self.mailer.send(self.link_email(&email, &token)).await {
            eprintln!("agora: a sign-in e-mail could not be sent: {error}");
        }
        Ok(LinkRequested::Sent)
    }

    /// Counts the request against the address and the client; the first
    /// limit reached answers.
    async fn link_rate_limit(
        &self,
        email: &str,
        client: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<LinkRequested>, StoreError> {
        let window_length = Duration::minutes(LINK_WINDOW_MINUTES);
        let window = now.duration_trunc(window_length).unwrap_or(now);
        let limits = [
            (
                self.rate_key("sign-in-address", email),
                self.settings.links_per_address,
            ),
            (
                self.rate_key("sign-in-client", client),
                self.settings.links_per_client,
            ),
        ];
        for (key, limit) in limits {
            if !self.store.allow_request(&key, window, limit).await? {
                let retry = (window + window_length - now).num_seconds().max(1);
                return Ok(Some(LinkRequested::RateLimited {
                    retry_after_seconds: u64::try_from(retry).unwrap_or(60),
                }));
            }
        }
        Ok(None)
    }

    /// A salted hash: the store's request counts name no address.
    fn rate_key(&self, purpose: &str, value: &str) -> String {
        let digest = Sha256::digest(format!("{}\0{purpose}\0{value}", self.settings.key));
        hex::encode(&digest[..16])
    }

    fn link_email(&self, email: &str, token: &str) -> Email {
        let minutes = self.settings.timeouts.link.num_minutes();
        let url = format!(
            "{}{}?token={token}",
            self.settings.public_url.trim_end_matches('/'),
            // A page whose button signs in: a GET alone does not, so that
            // a mail scanner opening links cannot use one up.
            crate::routes::PANEL_LINK
        );
        Email {
            to: email.to_owned(),
            subject: format!("Logowanie do panelu – {}", self.settings.site_title),
            body: format!(
                "Dzień dobry,\n\n\
                 ktoś (zapewne Ty) poprosił o link do logowania w panelu serwisu {title}.\n\
                 Otwórz go i potwierdź logowanie przyciskiem na stronie:\n\n{url}\n\n\
                 Link działa jeden raz, przez {minutes} {minutes_word}. \
                 Jeśli to nie Ty, zignoruj tę wiadomość: bez linku nikt się nie zaloguje.\n",
                title = self.settings.site_title,
                minutes_word = crate::polish::plural_pl(minutes, "minutę", "minuty", "minut"),
            ),
            // Names the message in the outbox: one file per link, named
            // by the stored hash, never by the token itself.
            tag: format!("panel-logowanie-{}", &token_hash(token)[..16]),
            regarding: None,
        }
    }

    /// Uses a sign-in link: a new session for its account, whose cookie
    /// secret is returned with it. `None` for a link unknown, used,
    /// expired, or whose account was removed since it was sent.
    pub async fn sign_in(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, SignedIn)>, AccessError> {
        let Some(link) = self
            .store
            .take_sign_in_link(&token_hash(token), now)
            .await?
        else {
            return Ok(None);
        };
        let Some(account) = self.account(&link.email).await? else {
            return Ok(None);
        };
        let secret = new_token().map_err(|e| AccessError::Randomness(e.to_string()))?;
        let session = Session {
            id_hash: token_hash(&secret),
            email: account.email.clone(),
            created_at: now,
            last_seen: now,
        };
        let expires_at = now + self.settings.timeouts.absolute;
        self.store.put_session(&session, expires_at).await?;
        self.audit(&account.email, AuditAction::SignedIn, None, now)
            .await?;
        let csrf = sessions::csrf_token(&self.settings.key, &secret);
        Ok(Some((
            secret,
            SignedIn {
                account,
                session,
                csrf,
            },
        )))
    }

    /// The live session of the cookie secret `secret`, its account still
    /// there; records the request for the idle timeout.
    pub async fn signed_in(
        &self,
        secret: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SignedIn>, StoreError> {
        let id_hash = token_hash(secret);
        let Some(session) = self.store.session(&id_hash, now).await? else {
            return Ok(None);
        };
        if !session.is_live(now, &self.settings.timeouts) {
            self.store.end_session(&id_hash).await?;
            return Ok(None);
        }
        let Some(account) = self.account(&session.email).await? else {
            return Ok(None);
        };
        if session.needs_touch(now) {
            self.store.touch_session(&id_hash, now).await?;
        }
        let csrf = sessions::csrf_token(&self.settings.key, secret);
        Ok(Some(SignedIn {
            account,
            session,
            csrf,
        }))
    }

    /// Whether `sent` is the CSRF token of the session of `secret`.
    pub fn csrf_matches(&self, secret: &str, sent: &str) -> bool {
        sessions::csrf_matches(&self.settings.key, secret, sent)
    }

    pub async fn sign_out(&self, who: &SignedIn, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.store.end_session(&who.session.id_hash).await?;
        self.audit(&who.account.email, AuditAction::SignedOut, None, now)
            .await
    }

    /// Ends every session of the account, this one too.
    pub async fn sign_out_everywhere(
        &self,
        who: &SignedIn,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let ended = self.store.end_sessions_of(&who.account.email).await?;
        let action = AuditAction::SignedOutEverywhere;
        self.audit(&who.account.email, action, None, now).await?;
        Ok(ended)
    }

    /// Office staff add a verifier or an ambassador (office accounts are
    /// the configuration's).
    pub async fn add_account(
        &self,
        by: &SignedIn,
        account: Account,
        now: DateTime<Utc>,
    ) -> Result<(), AccessError> {
        if by.account.role != Role::Office || account.role == Role::Office {
            return Err(AccessError::NotAllowed);
        }
        let account = Account {
            added_by: Some(by.account.email.clone()),
            added_at: Some(now),
            ..account
        };
        self.store.put_account(&account).await?;
        let detail = format!("{} ({})", account.email, account.role.as_str());
        self.audit(
            &by.account.email,
            AuditAction::AccountAdded,
            Some(detail),
            now,
        )
        .await?;
        Ok(())
    }

    /// Office staff remove an account added from the panel; its sessions
    /// end at once.
    pub async fn remove_account(
        &self,
        by: &SignedIn,
        email: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, AccessError> {
        if by.account.role != Role::Office {
            return Err(AccessError::NotAllowed);
        }
        let removed = self.store.remove_account(email).await?;
        self.store.end_sessions_of(email).await?;
        if removed {
            let detail = Some(email.to_owned());
            self.audit(&by.account.email, AuditAction::AccountRemoved, detail, now)
                .await?;
        }
        Ok(removed)
    }

    /// Appends a line of `actor` to the audit log.
    pub async fn audit(
        &self,
        actor: &str,
        action: AuditAction,
        detail: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.log(AuditEntry {
            at: now,
            actor: actor.to_owned(),
            action,
            form_id: None,
            reference: None,
            detail,
        })
        .await
    }

    /// Appends `entry` to the audit log, kept for the configured period.
    pub async fn log(&self, entry: AuditEntry) -> Result<(), StoreError> {
        let expires_at = entry.at + Duration::days(self.settings.audit_days);
        self.store.append_audit(&entry, expires_at).await
    }
}
