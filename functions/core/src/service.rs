//! The form functions' decisions, independent of HTTP: a submission is
//! validated, checked for spam and rate, stored, then e-mailed about;
//! confirmations and withdrawals go through their single-purpose tokens.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Duration, DurationRound, Utc};
use sha2::{Digest, Sha256};

use crate::fill_time::{Stamp, Stamps};
use crate::forms::{
    validate, Accepted, Allocation, FieldError, FieldType, FormDefinition, FormState, Moment,
    Submission,
};
use crate::forms::{HONEYPOT_FIELD, STARTED_FIELD};
use crate::mail::{Email, Mailer, Regarding};
use crate::registration::{
    new_reference, new_token, token_hash, Admission, ConsentRecord, NewRegistration, Registration,
    Status,
};
use crate::routes;
use crate::store::{Inserted, Store, StoreError, Withdrawn};

/// How long a rate-limit window lasts (the privacy page says so).
pub const RATE_WINDOW_MINUTES: i64 = 10;
/// A fresh reference is drawn again when taken; so many tries are plenty.
const REFERENCE_ATTEMPTS: usize = 5;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the site and its functions are reached, for links in e-mails
    /// (`https://wspolneprojekty.krakow.pl`).
    pub public_url: String,
    /// Submissions allowed per client address in ten minutes.
    pub rate_limit: u32,
    /// The least time in which a person can fill in a form.
    pub min_fill_seconds: i64,
    /// Mixed into hashed client addresses so they cannot be reversed, and
    /// the secret that signs fill-time stamps: keep it across restarts, or
    /// forms opened before one are sent with stamps that no longer verify.
    pub address_salt: String,
    /// Staff contact shown to residents.
    pub contact_email: String,
}

/// The submitting client, as far as spam and rate checks need it.
#[derive(Debug, Clone)]
pub struct Client {
    /// The client's network address; only its salted hash is kept.
    pub address: String,
}

/// What a submission came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    /// Stored, or already stored for this person. The reference is shown
    /// only where it reveals nothing: a new registration of a form without
    /// double opt-in.
    Accepted {
        reference: Option<String>,
        status: Status,
    },
    Invalid(Vec<FieldError>),
    NotOpenYet {
        opens: Moment,
    },
    /// Closed: at `closes`, or by staff with no date to show.
    Closed {
        closes: Option<Moment>,
    },
    /// The recruitment was called off; the reason is the form's.
    Cancelled,
    RateLimited {
        retry_after_seconds: u64,
    },
    /// Sent without a fill-time stamp, as a page whose script did not run
    /// sends it: nothing is stored; the person sends the form again, kept
    /// as typed and stamped ([`Service::with_fresh_stamp`]), so that the
    /// second sending is timed.
    Unstamped,
}

/// What came of a withdrawal asked for by staff ([`Service::withdraw_for`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffWithdrawal {
    /// Withdrawn now: the personal data erased, the place freed; the
    /// person given it (already e-mailed), if anyone was waiting.
    Done { promoted: Option<Registration> },
    /// Nothing to withdraw: the registration is unknown, expired, spam or
    /// withdrawn already.
    Gone,
    /// Its links were renewed by someone else between the two steps
    /// (see [`Service::withdraw_for`]): nothing changed; ask again.
    Raced,
}

/// The public state of a form.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FormStatus {
    pub id: String,
    pub state: FormState,
    pub open: bool,
    /// A signed fill-time stamp for this form, issued now: the page's
    /// script puts it in the form's `started_at` field.
    pub started_at: String,
    /// "2023-04-04" for a day alone, else RFC 3339.
    pub opens: String,
    /// `None` while no closing date is known.
    pub closes: Option<String>,
    pub allocation: Allocation,
    pub capacity: Option<u32>,
    /// Places left, for first-come forms with a capacity.
    pub places_left: Option<u64>,
}

/// What else a withdrawal does once it is done (the public list of
/// ambassadors republished: [`crate::panel::ambassadors::ListKeeper`]).
/// Told of each registration a withdrawal ended, through the resident's
/// link or [`Service::withdraw_for`], it can neither undo nor fail the
/// withdrawal: it reports its own failures.
pub trait AfterWithdrawal<S>: Send + Sync {
    fn withdrawn<'a>(
        &'a self,
        store: &'a S,
        form: &'a FormDefinition,
        reference: &'a str,
        now: DateTime<Utc>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>>;
}

/// What else a confirmation does once it is done (the area's
/// ambassadors told that someone joined their process:
/// [`crate::panel::notify::JoinNotice`]). Told of each registration that
/// counts from now on, once: confirmed through its link, or admitted at
/// once by a form without double opt-in. It can neither undo nor fail the
/// confirmation: it reports its own failures.
pub trait AfterConfirmation<S, M>: Send + Sync {
    fn confirmed<'a>(
        &'a self,
        service: &'a Service<S, M>,
        form: &'a FormDefinition,
        registration: &'a Registration,
        now: DateTime<Utc>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>>;
}

/// The forms by id. Replaced whole when an editor changes a definition
/// under `agora serve`; a request keeps the definition it started with.
type Forms = Arc<BTreeMap<String, Arc<FormDefinition>>>;

pub struct Service<S, M> {
    forms: std::sync::RwLock<Forms>,
    store: S,
    mailer: M,
    stamps: Stamps,
    settings: Settings,
    after_withdrawal: Option<Arc<dyn AfterWithdrawal<S>>>,
    after_confirmation: Option<Arc<dyn AfterConfirmation<S, M>>>,
}

impl<S: Store, M: Mailer> Service<S, M> {
    pub fn new(forms: Vec<FormDefinition>, store: S, mailer: M, settings: Settings) -> Self {
        Self {
            forms: std::sync::RwLock::new(index(forms)),
            store,
            mailer,
            stamps: Stamps::new(&settings.address_salt),
            settings,
            after_withdrawal: None,
            after_confirmation: None,
        }
    }

    /// This service, telling `listener` of every withdrawal.
    pub fn after_withdrawal(mut self, listener: Arc<dyn AfterWithdrawal<S>>) -> Self {
        self.after_withdrawal = Some(listener);
        self
    }

    /// This service, telling `listener` of every confirmation.
    pub fn after_confirmation(mut self, listener: Arc<dyn AfterConfirmation<S, M>>) -> Self {
        self.after_confirmation = Some(listener);
        self
    }

    pub fn form(&self, id: &str) -> Option<Arc<FormDefinition>> {
        self.current_forms().get(id).cloned()
    }

    /// Every form, by id.
    pub fn forms(&self) -> Vec<Arc<FormDefinition>> {
        self.current_forms().values().cloned().collect()
    }

    /// Every form from now on is one of `forms` (`agora serve`, after an
    /// edit of `content/forms/` or of a data file they read).
    pub fn replace_forms(&self, forms: Vec<FormDefinition>) {
        let forms = index(forms);
        match self.forms.write() {
            Ok(mut current) => *current = forms,
            Err(poisoned) => *poisoned.into_inner() = forms,
        }
    }

    fn current_forms(&self) -> Forms {
        match self.forms.read() {
            Ok(forms) => Arc::clone(&forms),
            // Replacing is one assignment: a panic cannot leave it half done.
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn mailer(&self) -> &M {
        &self.mailer
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub async fn submit(
        &self,
        form: &FormDefinition,
        submission: &Submission,
        client: &Client,
        now: DateTime<Utc>,
    ) -> Result<Submitted, StoreError> {
        if let Some(shut) = unless_open(form, now) {
            return Ok(shut);
        }
        if let Some(limited) = self.rate_limit(client, now).await? {
            return Ok(limited);
        }
        let stamp = self.stamp_of(form, submission);
        let spam = self.spam_reason(submission, stamp, now);
        let accepted = match validate(form, submission) {
            Ok(accepted) => accepted,
            // A bot's invalid submission is answered like anyone's.
            Err(errors) => return Ok(Submitted::Invalid(errors)),
        };
        if stamp == Stamp::Empty && spam.is_none() {
            return Ok(Submitted::Unstamped);
        }
        let confirm_token = new_token().map_err(randomness)?;
        let withdraw_token = new_token().map_err(randomness)?;
        let needs_confirmation = form.double_opt_in && spam.is_none();
        let tokens = TokenHashes {
            confirm: needs_confirmation.then(|| token_hash(&confirm_token)),
            withdraw: token_hash(&withdraw_token),
        };
        let new = new_registration(form, &accepted, tokens, spam, now);
        let admission = (!needs_confirmation).then(|| admission(form));
        let registration = match self.insert(new, admission).await? {
            Inserted::New(registration) => registration,
            Inserted::Existing(existing) => {
                let (confirm, withdraw) = (&confirm_token, &withdraw_token);
                self.remind(form, &existing, confirm, withdraw, Occasion::Repeated)
                    .await?;
                // The same person again (or someone who typed their
                // address) learns nothing of the stored registration: no
                // reference, no status; the reminder goes to its address.
                return Ok(Submitted::Accepted {
                    reference: None,
                    status: Status::Pending,
                });
            }
        };
        if registration.status != Status::Spam {
            let links = Links {
                confirm: needs_confirmation
                    .then(|| self.link(&routes::confirm(&form.id), &confirm_token)),
                withdraw: Some(self.link(&routes::withdraw(&form.id), &withdraw_token)),
            };
            self.mail_resident(form, &registration, Occasion::New, &links)
                .await;
            if !needs_confirmation {
                self.mail_staff(form, &registration).await;
                self.tell_confirmed(form, &registration, now).await;
            }
        }
        Ok(accepted_answer(form, registration))
    }

    /// `Some(answer)` when `client` has sent as many submissions as the
    /// current window allows.
    async fn rate_limit(
        &self,
        client: &Client,
        now: DateTime<Utc>,
    ) -> Result<Option<Submitted>, StoreError> {
        let window = now
            .duration_trunc(Duration::minutes(RATE_WINDOW_MINUTES))
            .unwrap_or(now);
        let allowed = self
            .store
            .allow_request(&self.client_key(client), window, self.settings.rate_limit)
            .await?;
        if allowed {
            return Ok(None);
        }
        let retry = window + Duration::minutes(RATE_WINDOW_MINUTES) - now;
        Ok(Some(Submitted::RateLimited {
            retry_after_seconds: u64::try_from(retry.num_seconds().max(1)).unwrap_or(60),
        }))
    }

    /// Inserts `new` under a fresh reference, drawn again while the one
    /// drawn is taken.
    async fn insert(
        &self,
        new: NewRegistration,
        admission: Option<Admission>,
    ) -> Result<Inserted, StoreError> {
        let mut attempts = 0;
        loop {
            let new = NewRegistration {
                reference: new_reference().map_err(randomness)?,
                ..new.clone()
            };
            match self.store.insert(new, admission).await {
                Err(StoreError::ReferenceTaken) if attempts < REFERENCE_ATTEMPTS => attempts += 1,
                other => return other,
            }
        }
    }

    /// A repeated submission, or staff resending: the stored registration
    /// gets new links (the first e-mail may never have arrived), mailed to
    /// its own address. False when it was withdrawn meanwhile.
    async fn remind(
        &self,
        form: &FormDefinition,
        existing: &Registration,
        confirm_token: &str,
        withdraw_token: &str,
        occasion: Occasion,
    ) -> Result<bool, StoreError> {
        let Some(renewed) = self
            .store
            .renew_tokens(
                &form.id,
                &existing.reference,
                &token_hash(confirm_token),
                &token_hash(withdraw_token),
            )
            .await?
        else {
            // Withdrawn meanwhile: nothing to remind of.
            return Ok(false);
        };
        let links = Links {
            confirm: (renewed.status == Status::Pending)
                .then(|| self.link(&routes::confirm(&form.id), confirm_token)),
            withdraw: Some(self.link(&routes::withdraw(&form.id), withdraw_token)),
        };
        self.mail_resident(form, &renewed, occasion, &links).await;
        Ok(true)
    }

    /// Staff send the e-mail with the links again, for a person who lost
    /// it: new links, the old ones stop working. Only while the
    /// registration [`may_resend`]; false (nothing sent) otherwise.
    pub async fn resend_confirmation(
        &self,
        form: &FormDefinition,
        reference: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let Some(registration) = self.store.find(&form.id, reference, now).await? else {
            return Ok(false);
        };
        if !may_resend(&registration) {
            return Ok(false);
        }
        let confirm_token = new_token().map_err(randomness)?;
        let withdraw_token = new_token().map_err(randomness)?;
        let occasion = Occasion::Resent;
        self.remind(
            form,
            &registration,
            &confirm_token,
            &withdraw_token,
            occasion,
        )
        .await
    }

    pub async fn confirm(
        &self,
        form: &FormDefinition,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Registration>, StoreError> {
        // Whole seconds survive any store's round trip, so `confirmed_at`
        // equal to `now` tells that this call is the one that confirmed.
        let now = now.duration_trunc(Duration::seconds(1)).unwrap_or(now);
        let Some(registration) = self
            .store
            .confirm(&form.id, &token_hash(token), admission(form), now)
            .await?
        else {
            return Ok(None);
        };
        if registration.confirmed_at == Some(now) {
            self.mail_decision(form, &registration).await;
            self.mail_staff(form, &registration).await;
            self.tell_confirmed(form, &registration, now).await;
        }
        Ok(Some(registration))
    }

    /// Tells the [`AfterConfirmation`] listener of `registration`, which
    /// counts from `now` on.
    async fn tell_confirmed(
        &self,
        form: &FormDefinition,
        registration: &Registration,
        now: DateTime<Utc>,
    ) {
        if let Some(listener) = &self.after_confirmation {
            listener.confirmed(self, form, registration, now).await;
        }
    }

    /// Withdraws a registration; the person promoted is told by e-mail.
    pub async fn withdraw(
        &self,
        form: &FormDefinition,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let withdrawn = self.withdraw_by_hash(form, &token_hash(token), now).await?;
        Ok(withdrawn.is_some())
    }

    /// Withdraws registration `reference` as its person asked staff to:
    /// the same as their own withdrawal link (data erased, the place to
    /// the first waiting, who is e-mailed). The store withdraws by token
    /// only, so the registration first gets new tokens, then is withdrawn
    /// with the new withdrawal token.
    ///
    /// Between the two steps the person may send the form again: that
    /// renews the tokens once more, for the reminder it mails them, and
    /// the withdrawal finds no registration with ours. Then nothing is
    /// withdrawn and the answer is [`StaffWithdrawal::Raced`]; the person
    /// holds working links (the reminder's) and staff ask again.
    pub async fn withdraw_for(
        &self,
        form: &FormDefinition,
        reference: &str,
        now: DateTime<Utc>,
    ) -> Result<StaffWithdrawal, StoreError> {
        if self.store.find(&form.id, reference, now).await?.is_none() {
            return Ok(StaffWithdrawal::Gone);
        }
        let confirm_token = new_token().map_err(randomness)?;
        let withdraw_hash = token_hash(&new_token().map_err(randomness)?);
        let renewed = self
            .store
            .renew_tokens(
                &form.id,
                reference,
                &token_hash(&confirm_token),
                &withdraw_hash,
            )
            .await?;
        if renewed.is_none() {
            return Ok(StaffWithdrawal::Gone);
        }
        Ok(
            match self.withdraw_by_hash(form, &withdraw_hash, now).await? {
                Some(withdrawn) => StaffWithdrawal::Done {
                    promoted: withdrawn.promoted,
                },
                None => StaffWithdrawal::Raced,
            },
        )
    }

    /// Withdraws the registration whose withdrawal token hashes to
    /// `hash`; the person promoted to its place is told by e-mail, and
    /// the [`AfterWithdrawal`] listener of the withdrawal.
    async fn withdraw_by_hash(
        &self,
        form: &FormDefinition,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Withdrawn>, StoreError> {
        let Some(withdrawn) = self.store.withdraw(&form.id, hash, now).await? else {
            return Ok(None);
        };
        if let Some(promoted) = &withdrawn.promoted {
            self.mail_decision(form, promoted).await;
        }
        if let Some(listener) = &self.after_withdrawal {
            listener
                .withdrawn(&self.store, form, &withdrawn.reference, now)
                .await;
        }
        Ok(Some(withdrawn))
    }

    pub async fn status(
        &self,
        form: &FormDefinition,
        now: DateTime<Utc>,
    ) -> Result<FormStatus, StoreError> {
        // Every view of a form's page asks: one small read at most.
        let places_left = match (form.allocation, form.capacity) {
            (Allocation::FirstCome, Some(capacity)) => {
                Some(u64::from(capacity).saturating_sub(self.store.places_taken(&form.id).await?))
            }
            _ => None,
        };
        Ok(FormStatus {
            id: form.id.clone(),
            state: form.state_at(&now),
            open: form.state_at(&now) == FormState::Open,
            started_at: self.stamps.issue(&form.id, now),
            opens: form.opens.machine(),
            closes: form.closes.map(|closes| closes.machine()),
            allocation: form.allocation,
            capacity: form.capacity,
            places_left,
        })
    }

    fn client_key(&self, client: &Client) -> String {
        let digest = Sha256::digest(
            format!("{}\0{}", self.settings.address_salt, client.address).as_bytes(),
        );
        hex::encode(&digest[..16])
    }

    /// A fill-time stamp of `form` given out at `at` (what the status
    /// endpoint hands the page's script).
    pub fn fill_stamp(&self, form: &FormDefinition, at: DateTime<Utc>) -> String {
        self.stamps.issue(&form.id, at)
    }

    /// `submission` as the form shown again should carry it: its own
    /// stamp when we signed it (the fill time still counts from the first
    /// opening), otherwise one given out now for the next sending.
    pub fn with_fresh_stamp(
        &self,
        form: &FormDefinition,
        submission: &Submission,
        now: DateTime<Utc>,
    ) -> Submission {
        let mut again = submission.clone();
        if !matches!(self.stamp_of(form, submission), Stamp::Issued(_)) {
            again
                .values
                .insert(STARTED_FIELD.to_owned(), vec![self.resend_stamp(form, now)]);
        }
        again
    }

    /// The stamp for sending a form again: the person has filled it in
    /// already, so it is dated as if given out the least fill time ago,
    /// less one second; a person needs a moment to press the button, a
    /// bot must still wait.
    fn resend_stamp(&self, form: &FormDefinition, now: DateTime<Utc>) -> String {
        let credit = Duration::seconds((self.settings.min_fill_seconds - 1).max(0));
        self.stamps.issue(&form.id, now - credit)
    }

    fn stamp_of(&self, form: &FormDefinition, submission: &Submission) -> Stamp {
        let value = submission
            .values
            .get(STARTED_FIELD)
            .map(|values| values.first().map_or("", String::as_str));
        self.stamps.read(&form.id, value)
    }

    fn spam_reason(
        &self,
        submission: &Submission,
        stamp: Stamp,
        now: DateTime<Utc>,
    ) -> Option<String> {
        if !submission.first(HONEYPOT_FIELD).is_empty() {
            return Some("the hidden field was filled in".to_owned());
        }
        match stamp {
            Stamp::Absent => Some("no fill-time stamp was sent".to_owned()),
            Stamp::Forged => Some("the fill-time stamp was not signed by us".to_owned()),
            Stamp::Empty => None,
            Stamp::Issued(given_out) => {
                let elapsed = (now - given_out).num_milliseconds();
                (elapsed < self.settings.min_fill_seconds * 1000)
                    .then(|| format!("sent {elapsed} ms after the form was given out"))
            }
        }
    }

    /// A link for the e-mail: `path` (a [`routes`] path) with the token.
    fn link(&self, path: &str, token: &str) -> String {
        format!(
            "{}{path}?token={token}",
            self.settings.public_url.trim_end_matches('/')
        )
    }

    async fn mail_resident(
        &self,
        form: &FormDefinition,
        registration: &Registration,
        occasion: Occasion,
        links: &Links,
    ) {
        let Some(to) = resident_address(form, registration) else {
            return;
        };
        let mut body = occasion.opening(form, registration);
        if let Some(confirm) = &links.confirm {
            body.push_str(&format!(
                "\nPotwierdź zgłoszenie, otwierając ten link:\n{confirm}\n\nBez potwierdzenia zgłoszenie nie będzie brane pod uwagę.\n"
            ));
        }
        if let Some(next) = &form.next_steps {
            body.push_str(&format!("\nCo dalej? {next}\n"));
        }
        if let Some(withdraw) = &links.withdraw {
            body.push_str(&format!(
                "\nJeśli zmienisz zdanie, wycofaj zgłoszenie tym linkiem (usuniemy wtedy Twoje dane):\n{withdraw}\n"
            ));
        }
        body.push_str(&self.signature());
        let subject = if links.confirm.is_some() {
            format!("Potwierdź zgłoszenie – {}", form.title)
        } else {
            format!(
                "Twoje zgłoszenie {} – {}",
                registration.reference, form.title
            )
        };
        self.send(Email {
            to,
            subject,
            body,
            tag: format!("{}-{}", registration.reference, occasion.tag()),
            regarding: Some(Regarding::of(registration)),
        })
        .await;
    }

    /// Tells the person what their registration came to.
    async fn mail_decision(&self, form: &FormDefinition, registration: &Registration) {
        let Some(to) = resident_address(form, registration) else {
            return;
        };
        let decision = match (registration.status, registration.position) {
            (Status::Registered, _) => "Masz zapewnione miejsce.".to_owned(),
            (Status::Selected, _) => SELECTED.to_owned(),
            (Status::Waiting, Some(position)) => format!("Wszystkie miejsca są zajęte; jesteś na liście oczekujących, na pozycji {position}. Jeśli ktoś zrezygnuje, napiszemy do Ciebie."),
            (Status::Applied, _) if confirmed_too_late(form, registration) => late_for_draw(form),
            (Status::Applied, _) => "Twoje zgłoszenie weźmie udział w losowaniu miejsc po zamknięciu naboru. O wyniku napiszemy do Ciebie.".to_owned(),
            _ => return,
        };
        let body = format!(
            "Zgłoszenie {} ({}) jest potwierdzone.\n\n{decision}\n{}",
            registration.reference,
            form.title,
            self.signature()
        );
        self.send(Email {
            to,
            subject: format!("Zgłoszenie {} – {}", registration.reference, form.title),
            body,
            tag: format!(
                "{}-{}",
                registration.reference,
                registration.status.as_str()
            ),
            regarding: Some(Regarding::of(registration)),
        })
        .await;
    }

    /// Staff learn of each registration that counts; personal data stays
    /// in the store (staff export it), never in e-mails.
    async fn mail_staff(&self, form: &FormDefinition, registration: &Registration) {
        let Some(to) = form.notify.clone() else {
            return;
        };
        self.send(Email {
            to,
            subject: format!("Nowe zgłoszenie {} – {}", registration.reference, form.title),
            body: format!(
                "Formularz: {} ({})\nNumer zgłoszenia: {}\nStan: {}\n\nDane zgłoszeń: agora forms export {}\n",
                form.title,
                form.id,
                registration.reference,
                registration.status.as_str(),
                form.id
            ),
            tag: format!("{}-powiadomienie", registration.reference),
            // To staff: a bounce of their address is not the resident's.
            regarding: None,
        })
        .await;
    }

    fn signature(&self) -> String {
        signature(&self.settings.contact_email)
    }

    async fn send(&self, email: Email) {
        // Never log the message: it holds personal data. The registration
        // is stored already; a failed e-mail loses nothing.
        if let Err(error) = self.mailer.send(email).await {
            eprintln!("agora: an e-mail could not be sent: {error}");
        }
    }
}

/// An application confirmed after the form closed is kept, but never
/// enters the draw's list (`agora lottery publish-list`), so that the list
/// cannot grow after it is published.
pub fn confirmed_too_late(form: &FormDefinition, registration: &Registration) -> bool {
    form.allocation == Allocation::Lottery
        && form
            .closes
            .is_some_and(|closes| registration.confirmed_at.is_some_and(|t| t > closes.at))
}

/// What a person whose application was confirmed too late is told.
pub fn late_for_draw(form: &FormDefinition) -> String {
    let when = form
        .closes
        .map(|closes| format!(" ({})", closes.pl()))
        .unwrap_or_default();
    format!(
        "Potwierdzenie przyszło po zamknięciu naboru{when}, dlatego to zgłoszenie nie weźmie udziału w losowaniu miejsc."
    )
}

/// What a person given a place by the draw is told.
const SELECTED: &str = "Masz miejsce przyznane w losowaniu.";

pub(crate) fn signature(contact_email: &str) -> String {
    format!("\n--\nPytania? Napisz do nas: {contact_email}\n")
}

/// The e-mail telling a person what the draw gave them: a place, or a
/// position on the reserve list, and how to give it up. `None` for a
/// registration the draw did not decide, or without an address. Staff
/// send it after recording the draw (`agora lottery draw`).
pub fn draw_result_email(
    form: &FormDefinition,
    registration: &Registration,
    contact_email: &str,
) -> Option<Email> {
    let to = resident_address(form, registration)?;
    let (outcome, giving_up) = match (registration.status, registration.position) {
        (Status::Selected, _) => (
            SELECTED.to_owned(),
            "Jeśli nie możesz wziąć udziału, wycofaj zgłoszenie: Twoje miejsce dostanie pierwsza osoba z listy rezerwowej.",
        ),
        (Status::Reserve, Some(position)) => (
            format!(
                "Tym razem miejsce nie zostało Ci przyznane: jesteś na liście rezerwowej, na pozycji {position}. Gdy ktoś z przyznanym miejscem zrezygnuje, miejsce dostaje pierwsza osoba z listy rezerwowej; napiszemy do Ciebie, gdy przyjdzie Twoja kolej."
            ),
            "Jeśli nie chcesz już czekać na miejsce, wycofaj zgłoszenie.",
        ),
        _ => return None,
    };
    let body = format!(
        "Odbyło się losowanie miejsc: {}.\n\nNumer zgłoszenia: {}\n\n{outcome}\n\n{giving_up} Link do wycofania jest w pierwszym e-mailu o tym zgłoszeniu; po wycofaniu usuniemy Twoje dane.\n{}",
        form.title,
        registration.reference,
        signature(contact_email)
    );
    Some(Email {
        to,
        subject: format!(
            "Wynik losowania: zgłoszenie {} – {}",
            registration.reference, form.title
        ),
        body,
        tag: format!("{}-wynik-losowania", registration.reference),
        regarding: Some(Regarding::of(registration)),
    })
}

/// Whether staff may send a registration's e-mail with its links again:
/// while it waits for confirmation or holds a place, and mail reaches its
/// address.
pub fn may_resend(registration: &Registration) -> bool {
    matches!(
        registration.status,
        Status::Pending | Status::Registered | Status::Selected
    ) && registration.mail_problem.is_none()
}

struct Links {
    confirm: Option<String>,
    withdraw: Option<String>,
}

/// Why a person is e-mailed their registration's links.
#[derive(Debug, Clone, Copy)]
enum Occasion {
    /// They have just submitted the form.
    New,
    /// Someone submitted the form again with their address.
    Repeated,
    /// Staff sent the links again at their request.
    Resent,
}

impl Occasion {
    /// The e-mail's first lines.
    fn opening(self, form: &FormDefinition, registration: &Registration) -> String {
        let (title, reference) = (&form.title, &registration.reference);
        match self {
            Self::New => format!("Dziękujemy za zgłoszenie: {title}.\n\nNumer zgłoszenia: {reference}\n"),
            Self::Repeated => format!(
                "Ktoś – być może Ty – ponownie wysłał zgłoszenie z tym adresem e-mail: {title}.\nTwoje wcześniejsze zgłoszenie jest zapisane pod numerem {reference}; nie trzeba wysyłać go drugi raz.\nLinki z wcześniejszych wiadomości przestały działać – użyj tych poniżej.\n"
            ),
            Self::Resent => format!(
                "Wysyłamy ponownie linki do Twojego zgłoszenia: {title}.\nNumer zgłoszenia: {reference}\nLinki z wcześniejszych wiadomości przestały działać – użyj tych poniżej.\n"
            ),
        }
    }

    /// Names the message in the outbox.
    fn tag(self) -> &'static str {
        match self {
            Self::New => "zgloszenie",
            Self::Repeated => "ponowne-zgloszenie",
            Self::Resent => "ponowne-wyslanie",
        }
    }
}

fn index(forms: Vec<FormDefinition>) -> Forms {
    Arc::new(
        forms
            .into_iter()
            .map(|f| (f.id.clone(), Arc::new(f)))
            .collect(),
    )
}

fn admission(form: &FormDefinition) -> Admission {
    match form.allocation {
        Allocation::Lottery => Admission::Lottery,
        Allocation::FirstCome => Admission::FirstCome {
            capacity: form.capacity,
        },
    }
}

/// The resident's e-mail: the form's first e-mail field.
/// Where the person's e-mail goes: their address, unless SES reported it
/// bounced or was marked as spam (SES would suppress the message, and
/// more mail to a complaining person harms every later sending).
pub(crate) fn resident_address(
    form: &FormDefinition,
    registration: &Registration,
) -> Option<String> {
    if registration.mail_problem.is_some() {
        return None;
    }
    form.fields
        .iter()
        .find(|f| f.kind == FieldType::Email)
        .and_then(|f| registration.values.get(&f.name))
        .cloned()
}

/// The answer to a submission to a form that is not open, if it is not.
fn unless_open(form: &FormDefinition, now: DateTime<Utc>) -> Option<Submitted> {
    match form.state_at(&now) {
        FormState::Cancelled => Some(Submitted::Cancelled),
        FormState::Upcoming => Some(Submitted::NotOpenYet { opens: form.opens }),
        FormState::Closed => Some(Submitted::Closed {
            closes: form.closes,
        }),
        FormState::Open => None,
    }
}

/// The hashes of a new registration's tokens; no confirmation token when
/// it needs no confirmation.
struct TokenHashes {
    confirm: Option<String>,
    withdraw: String,
}

/// What is stored of an accepted submission, but its reference, which is
/// drawn on insertion.
fn new_registration(
    form: &FormDefinition,
    accepted: &Accepted,
    tokens: TokenHashes,
    spam: Option<String>,
    now: DateTime<Utc>,
) -> NewRegistration {
    NewRegistration {
        form_id: form.id.clone(),
        reference: String::new(),
        unique_key: accepted.unique_key.clone(),
        values: accepted.values.clone(),
        consents: accepted
            .consents
            .iter()
            .map(|c| ConsentRecord {
                name: c.name.clone(),
                version: c.version.clone(),
                given_at: now,
            })
            .collect(),
        confirm_token_hash: tokens.confirm,
        withdraw_token_hash: tokens.withdraw,
        spam,
        created_at: now,
        expires_at: now + Duration::days(i64::from(form.retention_days)),
    }
}

/// The answer to a new registration. With double opt-in the reference is
/// shown once the address is proven (the e-mail and the confirmed page),
/// so that a new and a repeated submission get the same answer.
fn accepted_answer(form: &FormDefinition, registration: Registration) -> Submitted {
    let status = if form.double_opt_in || registration.status == Status::Spam {
        Status::Pending
    } else {
        registration.status
    };
    Submitted::Accepted {
        reference: (!form.double_opt_in).then_some(registration.reference),
        status,
    }
}

fn randomness(error: getrandom::Error) -> StoreError {
    StoreError::Unavailable(format!("no randomness: {error}"))
}
