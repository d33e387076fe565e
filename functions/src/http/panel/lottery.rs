//! A lottery form's draw in the workspace (office), step by step as
//! docs/lottery.md sets it out: once the form has closed, publish the list
//! of confirmed applications (stored once, with its SHA-256), draw once
//! with the seed announced before, then download the result and e-mail
//! everyone what it gave them. The files downloaded here are byte for byte
//! what `agora lottery publish-list` and `agora lottery draw` write.
//!
//! | route | what |
//! |---|---|
//! | `GET /panel/formularze/{id}/losowanie` | where the procedure is, and its next step |
//! | `POST …/losowanie/lista`, `GET` | publish the list (or, with `zastap=tak`, replace it before the draw); download it (`lista.txt`) |
//! | `POST …/losowanie/losuj` | check the seed, then draw with it |
//! | `GET …/losowanie/wynik` | download the result (`wynik.txt`) |
//! | `POST …/losowanie/powiadom` | e-mail the results, once |
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use agora_core::forms::{Allocation, FormDefinition};
use agora_core::lottery::{self, Draw, LotteryError, PublishedList};
use agora_core::mail::Mailer;
use agora_core::panel::{
    AuditAction, AuditEntry, ListPublished, PanelStore, PublishedFile, StaffRecords, StoredList,
};
use agora_core::polish::date_pl;
use agora_core::routes;
use agora_core::staff::{self, Drawn, Mailed, StaffError};
use agora_core::store::{DrawRecord, Store, StoreError};

use super::guard::{OfficeAction, OfficePage, Signed};
use super::lottery_pages::{drawn_already_pl, refusal_pl, LotteryPage};
use super::{answer, failed, not_found, store_failed, PanelState};

/// What the workspace needs of a store for the draw.
pub(super) trait LotteryStore: Store + PanelStore + StaffRecords + 'static {}
impl<S: Store + PanelStore + StaffRecords + 'static> LotteryStore for S {}

pub(super) fn routes<S: LotteryStore, M: Mailer + 'static>() -> Router<PanelState<S, M>> {
    Router::new()
        .route(routes::PANEL_LOTTERY, get(page::<S, M>))
        .route(
            routes::PANEL_LOTTERY_LIST,
            get(download_list::<S, M>).post(publish_list::<S, M>),
        )
        .route(routes::PANEL_LOTTERY_DRAW, post(draw::<S, M>))
        .route(routes::PANEL_LOTTERY_RESULT, get(download_result::<S, M>))
        .route(routes::PANEL_LOTTERY_MAIL, post(mail_results::<S, M>))
}

/// The file names of the downloads: the ones the residents' instructions
/// (docs/lottery.md) and the CLI's defaults use.
const LIST_FILE: &str = "lista.txt";
const RESULT_FILE: &str = "wynik.txt";

/// Where a form's draw is, as the page shows it.
pub(super) enum Step {
    /// The form has no closing date: nobody can say which confirmations
    /// count.
    NoClosingDate,
    /// Applications are still coming in.
    Open {
        closes: String,
    },
    /// Closed, no list published: how many applications it would hold, or
    /// why there is none (in Polish).
    Unlisted {
        applications: Result<usize, String>,
    },
    Listed {
        list: StoredList,
    },
    Drawn(Box<DrawnStep>),
}

pub(super) struct DrawnStep {
    pub(super) record: DrawRecord,
    pub(super) list: Option<StoredList>,
    /// The whole result, re-run from the stored list; `None` for a draw
    /// made (with the CLI) from a list the workspace never stored.
    pub(super) result: Option<Draw>,
    pub(super) mailed_at: Option<DateTime<Utc>>,
}

/// What the page says above its step: the answer to what was just done.
pub(super) enum Notice {
    None,
    /// An action refused, in Polish; for the seed field, what was typed.
    Refused {
        message: String,
        seed: Option<String>,
    },
    /// The seed as the result will write it, to confirm before the draw.
    Check {
        seed: String,
        written: String,
    },
    /// The draw refused because the published list no longer matches
    /// the applications; the seed as typed. The page offers to replace it.
    StaleList {
        seed: String,
    },
    Mailed(Mailed),
    MailedBefore,
    ListedBefore,
    /// A corrected list published in place of the stale one.
    ListReplaced,
    /// Drawn, but its page did not reach the site.
    PageNotPublished,
}

/// The form `id` if it is a lottery form; else the page saying there is
/// none.
fn lottery_form<S: LotteryStore, M: Mailer>(
    state: &PanelState<S, M>,
    signed: &Signed,
    id: &Result<Path<String>, PathRejection>,
) -> Result<Arc<FormDefinition>, Response> {
    let form = match id {
        Ok(Path(id)) => state.service.form(id),
        Err(_) => None,
    };
    form.filter(|form| form.allocation == Allocation::Lottery)
        .ok_or_else(|| not_found(state, signed))
}

/// Where the form's draw is now.
async fn step<S: LotteryStore, M: Mailer>(
    state: &PanelState<S, M>,
    form: &FormDefinition,
) -> Result<Step, StoreError> {
    let store = state.service.store();
    if let Some(record) = store.draw_record(&form.id).await? {
        let list = store.published_list(&form.id).await?;
        let result = list.as_ref().and_then(|list| rerun(list, &record));
        let mailed_at = store.results_mailed(&form.id).await?;
        return Ok(Step::Drawn(Box::new(DrawnStep {
            record,
            list,
            result,
            mailed_at,
        })));
    }
    let now = state.now();
    match form.closes {
        None => return Ok(Step::NoClosingDate),
        Some(closes) if now < closes.at => {
            return Ok(Step::Open {
                closes: closes.pl(),
            })
        }
        Some(_) => {}
    }
    if let Some(list) = store.published_list(&form.id).await? {
        return Ok(Step::Listed { list });
    }
    let applications = match staff::lottery_list(form, store, now).await {
        Ok(list) => Ok(list.references().len()),
        Err(StaffError::Store(error)) => return Err(error),
        Err(other) => Err(refusal_pl(&other, form)),
    };
    Ok(Step::Unlisted { applications })
}

/// The recorded draw's whole result, from the stored list: the same
/// list, seed and places give the same ranking on every machine.
fn rerun(list: &StoredList, record: &DrawRecord) -> Option<Draw> {
    let published = PublishedList::parse(&list.text).ok()?;
    let places = usize::try_from(record.places).ok()?;
    let result = lottery::draw(&published, &record.seed, places).ok()?;
    let same = result.list_sha256 == record.list_sha256
        && result.winners == record.winners
        && result.reserve == record.reserve;
    same.then_some(result)
}

/// The step page of `form` with `notice` above it.
async fn show<S: LotteryStore, M: Mailer>(
    state: &PanelState<S, M>,
    signed: &Signed,
    form: &FormDefinition,
    status: StatusCode,
    notice: Notice,
) -> Response {
    match step(state, form).await {
        Ok(step) => {
            let pages = state.pages();
            let page = LotteryPage {
                pages: &pages,
                who: &signed.who,
                form,
            };
            answer::html(status, page.render(&step, &notice))
        }
        Err(error) => store_failed(state, &error),
    }
}

fn page_of(form: &FormDefinition) -> String {
    routes::panel(routes::PANEL_LOTTERY, &form.id, "")
}

/// What a redirect to the page tells it (see [`PageQuery::notice`]).
#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    wyslano: Option<usize>,
    osob: Option<usize>,
    #[serde(default)]
    niewyslane: String,
    juz: Option<String>,
}

impl PageQuery {
    /// The notice of the action that redirected here. Only references go
    /// through the address (no personal data).
    fn notice(self) -> Notice {
        match (self.wyslano, self.osob, self.juz.as_deref()) {
            (Some(sent), Some(people), _) => Notice::Mailed(Mailed {
                people,
                sent,
                // The page shows only references of the draw.
                failed: self
                    .niewyslane
                    .split(',')
                    .filter(|r| !r.is_empty())
                    .map(|r| (r.to_owned(), String::new()))
                    .collect(),
            }),
            (_, _, Some("wyslano")) => Notice::MailedBefore,
            (_, _, Some("lista")) => Notice::ListedBefore,
            (_, _, Some("zastapiono")) => Notice::ListReplaced,
            (_, _, Some("losowanie")) => Notice::PageNotPublished,
            _ => Notice::None,
        }
    }
}

/// `GET /panel/formularze/{id}/losowanie`: the draw's step.
async fn page<S: LotteryStore, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    id: Result<Path<String>, PathRejection>,
    Query(query): Query<PageQuery>,
    OfficePage(signed): OfficePage,
) -> Result<Response, Response> {
    let form = lottery_form(&state, &signed, &id)?;
    Ok(show(&state, &signed, &form, StatusCode::OK, query.notice()).await)
}

#[derive(Debug, Deserialize)]
struct ListForm {
    /// `tak` to replace a published list that no longer matches the
    /// applications (offered after the draw refused it).
    #[serde(default)]
    zastap: String,
}

/// `POST …/losowanie/lista`: the list of confirmed applications stored,
/// once; a list published before stays, unless it is replaced before the
/// draw.
async fn publish_list<S: LotteryStore, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    id: Result<Path<String>, PathRejection>,
    OfficeAction(signed, fields): OfficeAction<ListForm>,
) -> Result<Response, Response> {
    let form = lottery_form(&state, &signed, &id)?;
    let store = state.service.store();
    let now = state.now();
    let list = match staff::lottery_list(&form, store, now).await {
        Ok(list) => list,
        Err(StaffError::Store(error)) => return Err(store_failed(&state, &error)),
        Err(other) => {
            let message = refusal_pl(&other, &form);
            return Ok(refused(&state, &signed, &form, message, None).await);
        }
    };
    let stored = StoredList {
        form_id: form.id.clone(),
        text: list.to_text(),
        sha256: list.sha256_hex(),
        published_by: signed.who.account.email.clone(),
        published_at: now,
    };
    let publishing = Publishing {
        state: &state,
        signed: &signed,
        form: &form,
        applications: list.references().len(),
        now,
    };
    Ok(if fields.zastap == "tak" {
        publishing.replace(stored).await
    } else {
        publishing.first(stored).await
    })
}

/// A list of `applications` about to be published by `signed`.
struct Publishing<'a, S, M> {
    state: &'a PanelState<S, M>,
    signed: &'a Signed,
    form: &'a FormDefinition,
    applications: usize,
    now: DateTime<Utc>,
}

impl<S: LotteryStore, M: Mailer> Publishing<'_, S, M> {
    /// The form's first list; a list published before stays.
    async fn first(&self, list: StoredList) -> Response {
        match self.state.service.store().publish_list(&list).await {
            Ok(ListPublished::Done(stored)) => {
                let detail = self.detail(&stored);
                self.logged(detail, &page_of(self.form)).await
            }
            Ok(ListPublished::Already(_)) => self.listed_before(),
            Err(error) => store_failed(self.state, &error),
        }
    }

    /// The list in place of a stale one, while nothing was drawn: the
    /// office then announces it again before the seed is known.
    async fn replace(&self, list: StoredList) -> Response {
        let store = self.state.service.store();
        let earlier = match store.published_list(&self.form.id).await {
            Ok(Some(earlier)) => earlier,
            Ok(None) => return self.first(list).await,
            Err(error) => return store_failed(self.state, &error),
        };
        if earlier.sha256 == list.sha256 {
            return self.listed_before();
        }
        match store.replace_list(&list).await {
            Ok(true) => {
                let detail = format!(
                    "zastąpiono listę o SHA-256 {}; {}",
                    earlier.sha256,
                    self.detail(&list)
                );
                let location = format!("{}?juz=zastapiono", page_of(self.form));
                self.logged(detail, &location).await
            }
            // Drawn meanwhile: the page shows that draw.
            Ok(false) => answer::see_other(&page_of(self.form)),
            Err(error) => store_failed(self.state, &error),
        }
    }

    fn detail(&self, list: &StoredList) -> String {
        format!(
            "SHA-256 listy: {}; zgłoszeń: {}",
            list.sha256, self.applications
        )
    }

    fn listed_before(&self) -> Response {
        answer::see_other(&format!("{}?juz=lista", page_of(self.form)))
    }

    async fn logged(&self, detail: String, location: &str) -> Response {
        let action = AuditAction::ListPublished;
        let entry = audit(self.signed, self.form, action, detail, self.now);
        logged(self.state, entry, location).await
    }
}

/// A line of the audit log about `form`.
fn audit(
    signed: &Signed,
    form: &FormDefinition,
    action: AuditAction,
    detail: String,
    at: DateTime<Utc>,
) -> AuditEntry {
    AuditEntry {
        at,
        actor: signed.who.account.email.clone(),
        action,
        form_id: Some(form.id.clone()),
        reference: None,
        detail: Some(detail),
    }
}

/// Logs `entry` of an action done, then sends the browser to `location`.
async fn logged<S: LotteryStore, M: Mailer>(
    state: &PanelState<S, M>,
    entry: AuditEntry,
    location: &str,
) -> Response {
    match state.access.log(entry).await {
        Ok(()) => answer::see_other(location),
        Err(error) => store_failed(state, &error),
    }
}

/// The page again, 422, saying why the action was refused (`message`).
async fn refused<S: LotteryStore, M: Mailer>(
    state: &PanelState<S, M>,
    signed: &Signed,
    form: &FormDefinition,
    message: String,
    seed: Option<String>,
) -> Response {
    let notice = Notice::Refused { message, seed };
    show(
        state,
        signed,
        form,
        StatusCode::UNPROCESSABLE_ENTITY,
        notice,
    )
    .await
}

/// `GET …/losowanie/lista`: the published list, as its exact bytes.
async fn download_list<S: LotteryStore, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    id: Result<Path<String>, PathRejection>,
    OfficePage(signed): OfficePage,
) -> Result<Response, Response> {
    let form = lottery_form(&state, &signed, &id)?;
    Ok(match state.service.store().published_list(&form.id).await {
        Ok(Some(list)) => download(LIST_FILE, list.text),
        Ok(None) => not_found(&state, &signed),
        Err(error) => store_failed(&state, &error),
    })
}

/// `GET …/losowanie/wynik`: the draw's result, as `agora lottery draw`
/// writes it.
async fn download_result<S: LotteryStore, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    id: Result<Path<String>, PathRejection>,
    OfficePage(signed): OfficePage,
) -> Result<Response, Response> {
    let form = lottery_form(&state, &signed, &id)?;
    Ok(match step(&state, &form).await {
        Ok(Step::Drawn(drawn)) => match drawn.result {
            Some(result) => download(RESULT_FILE, result.to_text()),
            None => not_found(&state, &signed),
        },
        Ok(_) => not_found(&state, &signed),
        Err(error) => store_failed(&state, &error),
    })
}

/// A text file of the draw to save.
fn download(name: &str, text: String) -> Response {
    answer::download(text.into_bytes(), "text/plain; charset=utf-8", name)
}

#[derive(Debug, Deserialize)]
struct SeedForm {
    /// Exactly as typed: the CLI does not trim it either.
    #[serde(default)]
    seed: String,
    /// `tak` once the seed has been checked on the page.
    #[serde(default)]
    confirm: String,
}

/// `POST …/losowanie/losuj`: first the seed shown as the result will
/// write it, then, confirmed, the draw (once: the same draw again only
/// finishes recording it, another is refused).
async fn draw<S: LotteryStore, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    id: Result<Path<String>, PathRejection>,
    OfficeAction(signed, form): OfficeAction<SeedForm>,
) -> Result<Response, Response> {
    let lottery = lottery_form(&state, &signed, &id)?;
    let step = step(&state, &lottery)
        .await
        .map_err(|error| store_failed(&state, &error))?;
    let (published, drawn) = match list_to_draw(step) {
        Ok(found) => found,
        Err(why) => {
            let message = why.to_owned();
            return Ok(refused(&state, &signed, &lottery, message, Some(form.seed)).await);
        }
    };
    let Ok(list) = PublishedList::parse(&published.text) else {
        let why = format!("the stored list of {} does not parse", lottery.id);
        return Err(failed(&state, &why));
    };
    if !drawn && form.confirm != "tak" {
        return Ok(check_seed(&state, &signed, &lottery, &list, form.seed).await);
    }
    let now = state.now();
    Ok(
        match staff::draw(&lottery, state.service.store(), &list, &form.seed, now).await {
            Ok(done) => finished(&state, &signed, &lottery, &done, now).await,
            Err(StaffError::Store(error)) => store_failed(&state, &error),
            Err(other) => draw_refused(&state, &signed, &lottery, &other, form.seed).await,
        },
    )
}

/// A draw refused: why, unless another tab's draw was recorded meanwhile
/// (its changes then make the list look stale or empty): then that draw
/// is the answer, done if it had this seed.
async fn draw_refused<S: LotteryStore, M: Mailer>(
    state: &PanelState<S, M>,
    signed: &Signed,
    form: &FormDefinition,
    error: &StaffError,
    seed: String,
) -> Response {
    let message = match state.service.store().draw_record(&form.id).await {
        Ok(Some(record)) if record.seed == seed => return answer::see_other(&page_of(form)),
        Ok(Some(record)) => drawn_already_pl(&state.pages().time(record.drawn_at), &record.seed),
        Ok(None) if matches!(error, StaffError::StaleList) => {
            let notice = Notice::StaleList { seed };
            return show(
                state,
                signed,
                form,
                StatusCode::UNPROCESSABLE_ENTITY,
                notice,
            )
            .await;
        }
        Ok(None) => refusal_pl(error, form),
        Err(error) => return store_failed(state, &error),
    };
    refused(state, signed, form, message, Some(seed)).await
}

/// The list to draw from and whether the form was drawn already, or why
/// nothing can be drawn now.
fn list_to_draw(step: Step) -> Result<(StoredList, bool), &'static str> {
    match step {
        Step::Listed { list } => Ok((list, false)),
        Step::Drawn(drawn) => drawn.list.map(|list| (list, true)).ok_or(
            "Ten formularz rozlosowano już poleceniem agora lottery draw, z listą, której panel nie zna. Losowanie odbywa się raz.",
        ),
        _ => Err("Najpierw trzeba opublikować listę zgłoszeń."),
    }
}

/// After a draw: its line in the audit log (the first time only; the same
/// draw again just finishes recording it), its page on the site, and the
/// page with the result.
async fn finished<S: LotteryStore, M: Mailer>(
    state: &PanelState<S, M>,
    signed: &Signed,
    form: &FormDefinition,
    done: &Drawn,
    now: DateTime<Utc>,
) -> Response {
    if !done.resumed {
        let detail = format!(
            "ziarno: {}; SHA-256 listy: {}; miejsc: {}",
            written_seed(&done.result),
            done.result.list_sha256,
            done.result.places
        );
        let entry = audit(signed, form, AuditAction::Drawn, detail, now);
        if let Err(error) = state.access.log(entry).await {
            return store_failed(state, &error);
        }
    }
    if publish_page(state, form, done).await {
        answer::see_other(&page_of(form))
    } else {
        answer::see_other(&format!("{}?juz=losowanie", page_of(form)))
    }
}

/// Where the draw's page is published, under the site's `content/`.
pub(super) fn site_page(form: &FormDefinition) -> String {
    format!("wyniki-losowania-{}.md", form.id)
}

/// Publishes the draw's page (references only, with what anyone needs to
/// check it) to the site, as `agora lottery draw --page` writes it.
/// Whether it was published.
async fn publish_page<S: LotteryStore, M: Mailer>(
    state: &PanelState<S, M>,
    form: &FormDefinition,
    done: &Drawn,
) -> bool {
    let day = done
        .drawn_at
        .with_timezone(&form.opens.at.timezone())
        .date_naive();
    let file = PublishedFile {
        path: site_page(form),
        text: staff::draw_page(form, &done.result, &date_pl(day)),
    };
    state.publish(&file).await
}

/// The seed to confirm, as the result will write it; a seed the draw
/// would refuse, refused now.
async fn check_seed<S: LotteryStore, M: Mailer>(
    state: &PanelState<S, M>,
    signed: &Signed,
    form: &FormDefinition,
    list: &PublishedList,
    seed: String,
) -> Response {
    let places = form.capacity.unwrap_or(0) as usize;
    match seed_as_written(list, &seed, places) {
        Ok(written) => {
            let notice = Notice::Check { seed, written };
            show(state, signed, form, StatusCode::OK, notice).await
        }
        Err(error) => {
            let message = refusal_pl(&error.into(), form);
            refused(state, signed, form, message, Some(seed)).await
        }
    }
}

/// The seed as the result file writes it (in JSON quotes, every invisible
/// character escaped), so that what is shown for checking is what will be
/// published. Only the header is read: nobody sees the ranking before the
/// draw is recorded.
fn seed_as_written(
    list: &PublishedList,
    seed: &str,
    places: usize,
) -> Result<String, LotteryError> {
    Ok(written_seed(&lottery::draw(list, seed, places)?))
}

/// The seed line's value in the result's text: the one quoting of a seed
/// that residents see.
pub(super) fn written_seed(result: &Draw) -> String {
    result
        .to_text()
        .lines()
        .find_map(|line| line.strip_prefix("seed: "))
        .unwrap_or_default()
        .to_owned()
}

/// `POST …/losowanie/powiadom`: the result e-mailed to everyone the draw
/// decided, once: noted first, so that a second press sends nothing.
async fn mail_results<S: LotteryStore, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    id: Result<Path<String>, PathRejection>,
    OfficeAction(signed, _): OfficeAction,
) -> Result<Response, Response> {
    let form = lottery_form(&state, &signed, &id)?;
    let mailed_before = || answer::see_other(&format!("{}?juz=wyslano", page_of(&form)));
    let result = match step(&state, &form).await {
        Ok(Step::Drawn(drawn)) if drawn.mailed_at.is_some() => return Ok(mailed_before()),
        Ok(Step::Drawn(drawn)) => drawn.result,
        Ok(_) => None,
        Err(error) => return Err(store_failed(&state, &error)),
    };
    let Some(result) = result else {
        let message = "E-maile z wynikami wysyła się po losowaniu przeprowadzonym w panelu.";
        return Ok(refused(&state, &signed, &form, message.to_owned(), None).await);
    };
    let now = state.now();
    let store = state.service.store();
    let noted = store.note_results_mailed(&form.id, now).await;
    if !noted.map_err(|error| store_failed(&state, &error))? {
        return Ok(mailed_before());
    }
    let contact = &state.service.settings().contact_email;
    let mailer = state.service.mailer();
    Ok(
        match staff::mail_draw_results(&form, store, mailer, &result, contact, now).await {
            Ok(mailed) => {
                let detail = format!(
                    "wysłano: {} z {}; nie udało się: {}",
                    mailed.sent,
                    mailed.people,
                    mailed.failed.len()
                );
                let entry = audit(&signed, &form, AuditAction::ResultsMailed, detail, now);
                logged(&state, entry, &mailed_location(&form, &mailed)).await
            }
            Err(error) => nothing_mailed(&state, &form, error).await,
        },
    )
}

/// The sending failed before its first message (the mailing fails only
/// reading the store; a message that fails is counted, not an error):
/// the mark comes off, so that the office can press again.
async fn nothing_mailed<S: LotteryStore, M: Mailer>(
    state: &PanelState<S, M>,
    form: &FormDefinition,
    error: StaffError,
) -> Response {
    if let Err(error) = state.service.store().clear_results_mailed(&form.id).await {
        return store_failed(state, &error);
    }
    match error {
        StaffError::Store(error) => store_failed(state, &error),
        other => {
            let why = format!("the results of {} were not mailed: {other}", form.id);
            failed(state, &why)
        }
    }
}

/// The page, telling how the e-mails went: counts, and the references
/// (never addresses) whose message failed.
fn mailed_location(form: &FormDefinition, mailed: &Mailed) -> String {
    let failed: Vec<&str> = mailed.failed.iter().map(|(r, _)| r.as_str()).collect();
    format!(
        "{}?wyslano={}&osob={}&niewyslane={}",
        page_of(form),
        mailed.sent,
        mailed.people,
        failed.join(",")
    )
}
