//! Ambassadors in the staff workspace, as data: the form of applications
//! is the one with `ambassadors:` in its file, the forms that join an
//! ambassador's process are those with a field choosing from the list it
//! publishes. Here are the rules of the office's decisions, the message
//! an applicant gets, how the public list is published again when an
//! appointed ambassador's application ends ([`ListKeeper`]), and who
//! joined the process in an ambassador's area.

use std::borrow::Borrow;
use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::publish::{PublishError, PublishedFile, Publisher};
use super::records::{Decision, StaffRecords};
use crate::forms::{Ambassadors, Field, FormDefinition, DATA_DIR};
use crate::mail::{Email, Regarding};
use crate::registration::{Registration, Status};
use crate::service::{resident_address, signature, AfterWithdrawal};
use crate::staff::{self, StaffError};
use crate::store::{Store, StoreError};

/// The most characters of the office's message to an applicant.
pub const MESSAGE_MAX_CHARS: usize = 2000;

/// The form of applications to be an ambassador, if the site has one
/// (`agora check` allows one at most).
pub fn applications_form<F: Borrow<FormDefinition>>(forms: &[F]) -> Option<&F> {
    forms
        .iter()
        .find(|f| Borrow::<FormDefinition>::borrow(*f).ambassadors.is_some())
}

/// Where the public list is published, relative to `content/`.
pub fn list_path(ambassadors: &Ambassadors) -> String {
    format!("{DATA_DIR}/{}.yaml", ambassadors.list)
}

/// A form that joins an ambassador's process, by its field choosing an
/// ambassador (by reference) from the published list.
pub struct Joining<'f> {
    pub form: &'f FormDefinition,
    pub field: &'f Field,
}

/// Every form with a field taking its options from the list `list`.
pub fn joining_forms<'f, F: Borrow<FormDefinition>>(
    forms: &'f [F],
    list: &str,
) -> Vec<Joining<'f>> {
    forms
        .iter()
        .map(Borrow::borrow)
        .filter_map(|form| {
            let field = form
                .fields
                .iter()
                .find(|f| f.options_from.as_ref().is_some_and(|o| o.data == list))?;
            Some(Joining { form, field })
        })
        .collect()
}

/// Confirmed and holding a place: what the public list may show.
pub fn confirmed(status: Status) -> bool {
    matches!(status, Status::Registered | Status::Selected)
}

/// Where an application stands for the office.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Its person has not confirmed it yet.
    Unconfirmed,
    /// Confirmed, not decided yet.
    Confirmed,
    Decided(Decision),
    /// Withdrawn by its person (or held as spam): nothing to decide.
    Withdrawn,
}

impl Standing {
    pub fn of(registration: &Registration, decision: Option<Decision>) -> Self {
        match (registration.status, decision) {
            (Status::Withdrawn | Status::Spam, _) => Self::Withdrawn,
            (_, Some(decision)) => Self::Decided(decision),
            (status, None) if confirmed(status) => Self::Confirmed,
            _ => Self::Unconfirmed,
        }
    }

    /// In Polish, for the office's list.
    pub fn label_pl(self) -> &'static str {
        match self {
            Self::Unconfirmed => "czeka na potwierdzenie",
            Self::Confirmed => "potwierdzone, bez decyzji",
            Self::Decided(Decision::Appointed) => "powołany",
            Self::Decided(Decision::Declined) => "niepowołany",
            Self::Decided(Decision::Dismissed) => "odwołany",
            Self::Withdrawn => "wycofane",
        }
    }

    /// The decisions the office may take now.
    pub fn choices(self) -> &'static [Decision] {
        match self {
            Self::Unconfirmed => &[Decision::Declined],
            Self::Confirmed => &[Decision::Appointed, Decision::Declined],
            Self::Decided(Decision::Appointed) => &[Decision::Dismissed],
            Self::Decided(Decision::Declined | Decision::Dismissed) => &[Decision::Appointed],
            Self::Withdrawn => &[],
        }
    }

    /// Why `wanted` cannot be taken now, in Polish; `None` if it can.
    pub fn refuses(self, wanted: Decision) -> Option<&'static str> {
        if self.choices().contains(&wanted) {
            return None;
        }
        Some(match (self, wanted) {
            (Self::Withdrawn, _) => "Zgłoszenie zostało wycofane: nie ma już o czym decydować.",
            (Self::Unconfirmed, Decision::Appointed) => {
                "Powołać można tylko osobę, która potwierdziła zgłoszenie linkiem z e-maila."
            }
            (Self::Decided(Decision::Appointed), Decision::Appointed) => {
                "Ta osoba jest już powołana."
            }
            (Self::Decided(Decision::Appointed), Decision::Declined) => {
                "Ta osoba jest powołana: możesz ją odwołać."
            }
            (_, Decision::Dismissed) => "Odwołać można tylko powołaną osobę.",
            _ => "Ta decyzja została już podjęta.",
        })
    }
}

/// What the decision is called in Polish: on the button, in the e-mail's subject.
pub fn decision_pl(decision: Decision) -> &'static str {
    match decision {
        Decision::Appointed => "Powołanie",
        Decision::Declined => "Odmowa powołania",
        Decision::Dismissed => "Odwołanie",
    }
}

/// The e-mail telling an applicant the office's decision, with the
/// office's `message` (never stored: it leaves only in this e-mail).
/// `None` without an address to send to.
pub fn decision_email(
    form: &FormDefinition,
    registration: &Registration,
    decision: Decision,
    message: &str,
    contact_email: &str,
) -> Option<Email> {
    let to = resident_address(form, registration)?;
    let outcome = match decision {
        Decision::Appointed => {
            "Biuro programu powołało Cię na ambasadora w obszarze, który wskazano w zgłoszeniu. \
             Jeśli zgodziłaś się lub zgodziłeś się na publikację, Twoje imię i nazwisko, dzielnica \
             i obszar pojawią się na publicznej liście ambasadorów."
        }
        Decision::Declined => {
            "Dziękujemy za zgłoszenie. Tym razem biuro programu nie powołało Cię na ambasadora."
        }
        Decision::Dismissed => {
            "Biuro programu odwołało Cię z roli ambasadora. Nie ma Cię już na publicznej liście \
             ambasadorów."
        }
    };
    let message = message.trim();
    let from_office = if message.is_empty() {
        String::new()
    } else {
        format!("\n\nWiadomość od biura programu:\n\n{message}")
    };
    Some(Email {
        to,
        subject: format!(
            "{}: zgłoszenie {} – {}",
            decision_pl(decision),
            registration.reference,
            form.title
        ),
        body: format!(
            "{}\n\nNumer zgłoszenia: {}\n\n{outcome}{from_office}\n{}",
            form.title,
            registration.reference,
            signature(contact_email)
        ),
        tag: format!("{}-decyzja", registration.reference),
        regarding: Some(Regarding::of(registration)),
    })
}

/// Why the public list was not published: no personal data (the file's
/// path, the system's reason).
#[derive(Debug, thiserror::Error)]
pub enum RepublishError {
    #[error("the ambassadors' list could not be made: {0}")]
    List(#[from] StaffError),
    #[error(transparent)]
    Publish(#[from] PublishError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Publishes the public list of the form of applications as the store
/// has it now. The store's note that the list may be out of date
/// ([`StaffRecords::set_list_outdated`]) is set first and cleared once it
/// is published: whatever fails, or never finishes, leaves it for the
/// office's page. A form without `ambassadors:` publishes nothing.
pub async fn republish<S: Store + StaffRecords>(
    form: &FormDefinition,
    store: &S,
    publisher: &dyn Publisher,
    now: DateTime<Utc>,
) -> Result<(), RepublishError> {
    let Some(settings) = &form.ambassadors else {
        return Ok(());
    };
    store.set_list_outdated(&form.id, Some(now)).await?;
    let (text, _) = staff::ambassadors_yaml(form, store, now).await?;
    let file = PublishedFile {
        path: list_path(settings),
        text,
    };
    publisher.publish(&file).await?;
    store.set_list_outdated(&form.id, None).await?;
    Ok(())
}

/// The references the office appointed (and did not dismiss since) among
/// the form's applications the store still holds.
pub async fn appointed<S: StaffRecords>(
    form: &FormDefinition,
    store: &S,
) -> Result<BTreeSet<String>, StoreError> {
    Ok(store
        .appointments(&form.id)
        .await?
        .into_iter()
        .filter(|a| a.decision == Decision::Appointed)
        .map(|a| a.reference)
        .collect())
}

/// Keeps the public list in step when an appointed ambassador's
/// application ends without a decision of the office: withdrawn by its
/// person (as the service's [`AfterWithdrawal`] listener) or erased at the
/// end of its retention ([`crate::purge::purge_and_republish`]). Other
/// applications, and other forms, publish nothing: on AWS each
/// publishing starts a build of the site.
pub struct ListKeeper {
    publisher: Arc<dyn Publisher>,
}

impl ListKeeper {
    pub fn new(publisher: Arc<dyn Publisher>) -> Self {
        Self { publisher }
    }

    /// Publishes the form's list again, after `cause` took an appointed
    /// ambassador off it. What was done stays done: a failure is logged,
    /// with no personal data, and left noted for the office ([`republish`]).
    pub async fn republish<S: Store + StaffRecords>(
        &self,
        form: &FormDefinition,
        store: &S,
        cause: &str,
        now: DateTime<Utc>,
    ) {
        if let Err(error) = republish(form, store, self.publisher.as_ref(), now).await {
            eprintln!(
                "agora: the public list of ambassadors was not published again after {cause}: {error}; \
                 the workspace's ambassadors page offers to publish it"
            );
        }
    }

    async fn withdrawn<S: Store + StaffRecords>(
        &self,
        store: &S,
        form: &FormDefinition,
        reference: &str,
        now: DateTime<Utc>,
    ) {
        if form.ambassadors.is_none() {
            return;
        }
        // The decision outlives the withdrawal (the purge erases both).
        match appointed(form, store).await {
            Ok(appointed) if appointed.contains(reference) => {
                self.republish(form, store, "a withdrawal", now).await;
            }
            Ok(_) => {}
            Err(error) => eprintln!(
                "agora: after a withdrawal, the ambassadors' decisions could not be read: {error}"
            ),
        }
    }
}

impl<S: Store + StaffRecords> AfterWithdrawal<S> for ListKeeper {
    fn withdrawn<'a>(
        &'a self,
        store: &'a S,
        form: &'a FormDefinition,
        reference: &'a str,
        now: DateTime<Utc>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>> {
        Box::pin(ListKeeper::withdrawn(self, store, form, reference, now))
    }
}

/// The people who joined a process through one form, in one area.
pub struct Joined<'f> {
    pub form: &'f FormDefinition,
    /// The field that chose the ambassador (shown as their area).
    pub field: &'f Field,
    pub registrations: Vec<Registration>,
}

/// The confirmed registrations of every joining form whose chosen
/// ambassador's area is `area` (an ambassador account's), oldest first:
/// only that area's people, whoever the area's ambassador is now.
pub async fn joined_in_area<'f, S: Store, F: Borrow<FormDefinition>>(
    forms: &'f [F],
    store: &S,
    area: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Joined<'f>>, StoreError> {
    let Some(applications) = applications_form(forms).map(Borrow::borrow) else {
        return Ok(Vec::new());
    };
    let Some(ambassadors) = &applications.ambassadors else {
        return Ok(Vec::new());
    };
    let areas = areas_by_reference(applications, ambassadors, store, now).await?;
    let in_area = |reference: Option<&String>| {
        reference
            .and_then(|r| areas.get(r))
            .is_some_and(|a| same_area(a, area))
    };
    let mut joined = Vec::new();
    for Joining { form, field } in joining_forms(forms, &ambassadors.list) {
        let registrations = store
            .list(&form.id, now)
            .await?
            .into_iter()
            .filter(|r| {
                r.confirmed_at.is_some() && !matches!(r.status, Status::Withdrawn | Status::Spam)
            })
            .filter(|r| in_area(r.values.get(&field.name)))
            .collect();
        joined.push(Joined {
            form,
            field,
            registrations,
        });
    }
    Ok(joined)
}

/// Whether an application's area and an ambassador account's are one,
/// as staff and applicants may type it.
pub fn same_area(application: &str, account: &str) -> bool {
    application.trim().eq_ignore_ascii_case(account.trim())
}

/// Each application's area, by its reference.
async fn areas_by_reference<S: Store>(
    applications: &FormDefinition,
    ambassadors: &Ambassadors,
    store: &S,
    now: DateTime<Utc>,
) -> Result<HashMap<String, String>, StoreError> {
    Ok(store
        .list(&applications.id, now)
        .await?
        .into_iter()
        .filter_map(|mut r| {
            let area = r.values.remove(&ambassadors.area_field)?;
            Some((r.reference, area))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_confirmed_applications_can_be_appointed_and_only_appointed_dismissed() {
        let appoint = Decision::Appointed;
        assert!(Standing::Unconfirmed.refuses(appoint).is_some());
        assert!(Standing::Withdrawn.refuses(appoint).is_some());
        assert_eq!(Standing::Confirmed.refuses(appoint), None);
        assert_eq!(
            Standing::Decided(Decision::Dismissed).refuses(appoint),
            None
        );
        assert!(Standing::Decided(appoint).refuses(appoint).is_some());
        assert!(Standing::Confirmed.refuses(Decision::Dismissed).is_some());
        assert_eq!(
            Standing::Decided(appoint).refuses(Decision::Dismissed),
            None
        );
        assert_eq!(Standing::Unconfirmed.refuses(Decision::Declined), None);
        for standing in [
            Standing::Unconfirmed,
            Standing::Confirmed,
            Standing::Decided(appoint),
            Standing::Decided(Decision::Declined),
            Standing::Decided(Decision::Dismissed),
            Standing::Withdrawn,
        ] {
            for wanted in standing.choices() {
                assert_eq!(standing.refuses(*wanted), None, "{standing:?} {wanted:?}");
            }
        }
    }
}
