//! The ambassadors of an area learn that someone joined their process:
//! when a registration of a joining form ([`super::ambassadors::Joining`])
//! counts (confirmed through its link, or admitted at once), every
//! ambassador account of the chosen ambassador's area gets an e-mail
//! pointing to their view in the workspace (`/panel/moj-obszar`). The
//! e-mail names no one: who joined is read in the workspace, where each
//! view is logged.

use std::borrow::Borrow;
use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};

use super::accounts::{Account, Role};
use super::ambassadors::{applications_form, joining_forms, same_area};
use super::store::PanelStore;
use crate::forms::FormDefinition;
use crate::mail::{Email, Mailer};
use crate::registration::Registration;
use crate::routes;
use crate::service::{signature, AfterConfirmation, Service, Settings};
use crate::store::{Store, StoreError};

/// The service's [`AfterConfirmation`] listener that e-mails the area's
/// ambassadors. Registrations of other forms send nothing.
pub struct JoinNotice;

impl JoinNotice {
    async fn confirmed<S: Store + PanelStore, M: Mailer>(
        &self,
        service: &Service<S, M>,
        form: &FormDefinition,
        registration: &Registration,
        now: DateTime<Utc>,
    ) {
        let forms = service.forms();
        let found = area_ambassadors(&forms, service.store(), form, registration, now).await;
        let (area, ambassadors) = match found {
            Ok(Some(found)) => found,
            Ok(None) => return,
            Err(error) => {
                let form = &form.id;
                eprintln!("agora: after a confirmation on form {form}, the area's ambassadors could not be read: {error}");
                return;
            }
        };
        let settings = service.settings();
        for (n, ambassador) in ambassadors.into_iter().enumerate() {
            let email = notice(form, registration, &area, ambassador, n, settings);
            // The confirmation stands; the ambassador sees the person in
            // the workspace anyway. No address in the log: it is personal.
            if let Err(error) = service.mailer().send(email).await {
                eprintln!(
                    "agora: an ambassador of area {area} was not told of a confirmation of form {}: {error}",
                    form.id
                );
            }
        }
    }
}

impl<S: Store + PanelStore, M: Mailer> AfterConfirmation<S, M> for JoinNotice {
    fn confirmed<'a>(
        &'a self,
        service: &'a Service<S, M>,
        form: &'a FormDefinition,
        registration: &'a Registration,
        now: DateTime<Utc>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>> {
        Box::pin(JoinNotice::confirmed(
            self,
            service,
            form,
            registration,
            now,
        ))
    }
}

/// The area of the ambassador `registration` chose, and the ambassador
/// accounts of that area; `None` when `form` joins no process or the
/// chosen application is gone (or gives no area).
async fn area_ambassadors<S: Store + PanelStore, F: Borrow<FormDefinition>>(
    forms: &[F],
    store: &S,
    form: &FormDefinition,
    registration: &Registration,
    now: DateTime<Utc>,
) -> Result<Option<(String, Vec<Account>)>, StoreError> {
    let Some(applications) = applications_form(forms).map(Borrow::borrow) else {
        return Ok(None);
    };
    let Some(settings) = &applications.ambassadors else {
        return Ok(None);
    };
    let chosen = joining_forms(forms, &settings.list)
        .into_iter()
        .find(|joining| joining.form.id == form.id)
        .and_then(|joining| registration.values.get(&joining.field.name));
    let Some(chosen) = chosen else {
        return Ok(None);
    };
    let area = store
        .find(&applications.id, chosen, now)
        .await?
        .and_then(|mut application| application.values.remove(&settings.area_field));
    let Some(area) = area else {
        return Ok(None);
    };
    let ambassadors = store
        .accounts()
        .await?
        .into_iter()
        .filter(|a| a.role == Role::Ambassador)
        .filter(|a| {
            a.area
                .as_deref()
                .is_some_and(|theirs| same_area(&area, theirs))
        })
        .collect();
    Ok(Some((area, ambassadors)))
}

/// The e-mail to `ambassador`, the `n`th of the area's: it says the area
/// and the form, never who (no name, no address, no reference; only its
/// tag, which names no one, carries the reference).
fn notice(
    form: &FormDefinition,
    registration: &Registration,
    area: &str,
    ambassador: Account,
    n: usize,
    settings: &Settings,
) -> Email {
    let view = format!(
        "{}{}",
        settings.public_url.trim_end_matches('/'),
        routes::PANEL_AREA
    );
    Email {
        to: ambassador.email,
        subject: format!("Nowa osoba w procesie w Twoim obszarze ({area})"),
        body: format!(
            "Ktoś dołączył do procesu w Twoim obszarze ({area}) przez formularz „{}”.\n\n\
             Kto to jest i jak się z tą osobą skontaktować, zobaczysz w panelu:\n{view}\n\n\
             Ze względu na ochronę danych osobowych ta wiadomość nie zawiera danych tej osoby.\n{}",
            form.title,
            signature(&settings.contact_email)
        ),
        // Unique per registration and ambassador: the outbox names files by it.
        tag: format!("{}-obszar-{n}", registration.reference),
        // To staff: a bounce of their address is not the resident's.
        regarding: None,
    }
}
