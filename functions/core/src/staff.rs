//! The staff's work on registrations: list forms, export a form's
//! registrations, run the verifiable draw (docs/lottery.md), publish the
//! ambassadors who consented. It works on any store and mailer; the
//! `agora` command chooses them (`agora_stores::backends`).

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use crate::forms::{Allocation, Field, FieldType, FormDefinition};
use crate::lottery::{self, Draw, LotteryError, PublishedList};
use crate::mail::Mailer;
use crate::registration::{MailProblem, Registration, Status};
use crate::service;
use crate::store::{DrawRecord, DrawRecorded, Store, StoreError};
use chrono::{DateTime, Utc};

/// Why a staff action was refused or failed: each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Lottery(#[from] LotteryError),
    #[error("cannot write the export: {0}")]
    Export(String),
    #[error("{form} is not a lottery form")]
    NotLottery { form: String },
    #[error("{form} is still open until {until}: {action} after it closes")]
    StillOpen {
        form: String,
        until: String,
        action: &'static str,
    },
    #[error(
        "{form} has no closing date: the list counts the applications confirmed before the recruitment closed, \
         so set `closes:` in content/forms/{form}.yaml to the moment it closed, then {action}"
    )]
    NoClosingDate { form: String, action: &'static str },
    #[error("the published list differs from the applications in the store: publish the list again before the draw")]
    StaleList,
    #[error(
        "{form} was drawn already, on {drawn_at} with the seed {seed:?} ({places} places, list SHA-256 {list_sha256}): \
         a form is drawn once; to finish that draw, run it again with the same seed and list"
    )]
    DrawnAlready {
        form: String,
        drawn_at: String,
        seed: String,
        places: u64,
        list_sha256: String,
    },
}

/// One line per form: id, window, allocation, capacity, counts (of the
/// registrations not expired at `now`).
pub async fn list_forms<S: Store>(
    forms: &[FormDefinition],
    store: &S,
    now: DateTime<Utc>,
) -> Result<String, StaffError> {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<42} {:<33} {:<10} {:>8} {:>7} {:>6} {:>7} {:>7}",
        "form", "window", "allocation", "capacity", "pending", "taken", "waiting", "applied"
    );
    for form in forms {
        let counts = store.counts(&form.id, now).await?;
        let window = format!(
            "{} – {}",
            form.opens.machine_short(),
            match (form.closes, form.closed_by) {
                (Some(closes), _) => closes.machine_short(),
                (None, Some(by)) => format!("closed by {}", by.machine_short()),
                (None, None) => "(no date)".to_owned(),
            }
        );
        let allocation = match form.allocation {
            Allocation::FirstCome => "first_come",
            Allocation::Lottery => "lottery",
        };
        let capacity = form
            .capacity
            .map_or_else(|| "–".to_owned(), |c| c.to_string());
        let _ = writeln!(
            out,
            "{:<42} {:<33} {:<10} {:>8} {:>7} {:>6} {:>7} {:>7}",
            form.id,
            window,
            allocation,
            capacity,
            counts.pending,
            counts.taken,
            counts.waiting,
            counts.applied
        );
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Json,
}

/// A cell as Excel must not run it: text starting like a formula gets a
/// leading apostrophe (OWASP's advice against CSV injection).
fn safe_cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

/// The form's registrations that have not expired, oldest first.
pub async fn export<S: Store>(
    form: &FormDefinition,
    store: &S,
    format: ExportFormat,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, StaffError> {
    let registrations = store.list(&form.id, now).await?;
    match format {
        ExportFormat::Json => {
            serde_json::to_vec_pretty(&registrations).map_err(|e| StaffError::Export(e.to_string()))
        }
        ExportFormat::Csv => csv_export(form, &registrations),
    }
}

fn csv_export(
    form: &FormDefinition,
    registrations: &[Registration],
) -> Result<Vec<u8>, StaffError> {
    // A byte order mark makes Excel read UTF-8 (Polish letters); a
    // semicolon is the separator Excel expects in Polish settings.
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut writer = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(&mut out);
        let csv_error = |e: csv::Error| StaffError::Export(e.to_string());
        let mut header: Vec<String> = [
            "numer",
            "stan",
            "pozycja",
            "zgłoszono",
            "potwierdzono",
            "poczta",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        header.extend(form.fields.iter().map(|f| f.label.clone()));
        header.extend(form.consents.iter().map(|c| format!("zgoda: {}", c.name)));
        writer
            .write_record(header.iter().map(|h| safe_cell(h)))
            .map_err(csv_error)?;
        for registration in registrations {
            let mut row = vec![
                registration.reference.clone(),
                registration.status.as_str().to_owned(),
                registration
                    .position
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
                registration.created_at.to_rfc3339(),
                registration
                    .confirmed_at
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default(),
                // What SES reported of the address: nothing more is sent.
                match registration.mail_problem {
                    Some(MailProblem::Bounced) => "adres nie istnieje (zwrot)".to_owned(),
                    Some(MailProblem::Complained) => "oznaczono nasz e-mail jako spam".to_owned(),
                    None => String::new(),
                },
            ];
            row.extend(form.fields.iter().map(|f| {
                registration
                    .values
                    .get(&f.name)
                    .cloned()
                    .unwrap_or_default()
            }));
            row.extend(form.consents.iter().map(|c| {
                registration
                    .consents
                    .iter()
                    .find(|given| given.name == c.name)
                    .map(|given| {
                        format!("wersja {}, {}", given.version, given.given_at.to_rfc3339())
                    })
                    .unwrap_or_default()
            }));
            writer
                .write_record(row.iter().map(|v| safe_cell(v)))
                .map_err(csv_error)?;
        }
        writer
            .flush()
            .map_err(|e| StaffError::Export(e.to_string()))?;
    }
    Ok(out)
}

/// The pseudonymised list of confirmed applications to a lottery form,
/// once it has closed: applications confirmed by its closing time, and
/// no later, so that the list cannot grow after it is published.
pub async fn lottery_list<S: Store>(
    form: &FormDefinition,
    store: &S,
    now: DateTime<Utc>,
) -> Result<PublishedList, StaffError> {
    if form.allocation != Allocation::Lottery {
        return Err(StaffError::NotLottery {
            form: form.id.clone(),
        });
    }
    let closes = closed_at(form, now, "publish the list")?;
    let references = store
        .list(&form.id, now)
        .await?
        .into_iter()
        .filter(|r| r.status == Status::Applied && r.confirmed_at.is_some_and(|t| t <= closes))
        .map(|r| r.reference);
    Ok(PublishedList::new(form.id.clone(), references)?)
}

/// When the lottery form closed, for `action` to happen after it: the
/// list counts only applications confirmed by then, so the moment must be
/// known and past.
fn closed_at(
    form: &FormDefinition,
    now: DateTime<Utc>,
    action: &'static str,
) -> Result<DateTime<chrono_tz::Tz>, StaffError> {
    match form.closes {
        Some(closes) if now >= closes.at => Ok(closes.at),
        Some(closes) => Err(StaffError::StillOpen {
            form: form.id.clone(),
            until: closes.machine_short(),
            action,
        }),
        None => Err(StaffError::NoClosingDate {
            form: form.id.clone(),
            action,
        }),
    }
}

/// A draw as recorded in the store.
#[derive(Debug, Clone)]
pub struct Drawn {
    pub result: Draw,
    /// When the draw was first recorded.
    pub drawn_at: DateTime<Utc>,
    /// The same draw was recorded before (and is now finished).
    pub resumed: bool,
}

/// Draws from the published list and records the result, once per form.
/// The list must be the one the store holds now: a draw over a stale list
/// is refused. A form drawn already refuses another draw; the same draw
/// (seed, list and places) again finishes recording it, for a run that
/// stopped half-way.
pub async fn draw<S: Store>(
    form: &FormDefinition,
    store: &S,
    published: &PublishedList,
    seed: &str,
    now: DateTime<Utc>,
) -> Result<Drawn, StaffError> {
    closed_at(form, now, "draw")?;
    let places = form.capacity.unwrap_or(0) as usize;
    let result = lottery::draw(published, seed, places)?;
    let record = DrawRecord {
        seed: result.seed.clone(),
        list_sha256: result.list_sha256.clone(),
        places: result.places as u64,
        winners: result.winners.clone(),
        reserve: result.reserve.clone(),
        drawn_at: now,
    };
    let earlier = store.draw_record(&form.id).await?;
    match &earlier {
        Some(earlier) if !earlier.is_same_draw(&record) => {
            return Err(drawn_already(form, earlier))
        }
        // Its list was checked when it was first recorded; the store has
        // moved on since (people were selected), so it is not checked again.
        Some(_) => {}
        None => {
            let current = lottery_list(form, store, now).await?;
            if current.sha256_hex() != published.sha256_hex() {
                return Err(StaffError::StaleList);
            }
        }
    }
    match store.record_draw(&form.id, &record).await? {
        DrawRecorded::Done(recorded) => Ok(Drawn {
            result,
            drawn_at: recorded.drawn_at,
            resumed: earlier.is_some(),
        }),
        DrawRecorded::Refused(other) => Err(drawn_already(form, &other)),
    }
}

fn drawn_already(form: &FormDefinition, earlier: &DrawRecord) -> StaffError {
    StaffError::DrawnAlready {
        form: form.id.clone(),
        drawn_at: earlier
            .drawn_at
            .with_timezone(&form.opens.at.timezone())
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        seed: earlier.seed.clone(),
        places: earlier.places,
        list_sha256: earlier.list_sha256.clone(),
    }
}

/// How e-mailing a draw's results went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mailed {
    /// The people the draw decided.
    pub people: usize,
    pub sent: usize,
    /// Each reference whose message failed, with why.
    pub failed: Vec<(String, String)>,
}

/// E-mails each person of the draw what it gave them (a place, or their
/// position on the reserve list). A failed message is reported, never
/// undoes the draw. People who withdrew since, or left no address, get
/// nothing.
pub async fn mail_draw_results<S: Store, M: Mailer>(
    form: &FormDefinition,
    store: &S,
    mailer: &M,
    result: &Draw,
    contact_email: &str,
    now: DateTime<Utc>,
) -> Result<Mailed, StaffError> {
    let registrations: HashMap<String, Registration> = store
        .list(&form.id, now)
        .await?
        .into_iter()
        .map(|r| (r.reference.clone(), r))
        .collect();
    let mut mailed = Mailed::default();
    for reference in result.winners.iter().chain(&result.reserve) {
        mailed.people += 1;
        let Some(email) = registrations
            .get(reference)
            .and_then(|r| service::draw_result_email(form, r, contact_email))
        else {
            continue;
        };
        match mailer.send(email).await {
            Ok(()) => mailed.sent += 1,
            Err(error) => mailed.failed.push((reference.clone(), error.to_string())),
        }
    }
    Ok(mailed)
}

/// A page of the site announcing a draw's result: references only, with
/// what anyone needs to check it (the list's SHA-256, the seed).
/// `date` is the draw's day as readers read it ("21 marca 2020").
pub fn draw_page(form: &FormDefinition, result: &Draw, date: &str) -> String {
    let quoted = |text: &str| serde_yaml::to_string(text).unwrap_or_else(|_| format!("{text:?}\n"));
    let mut page = format!(
        "---\ntitle: {}description: {}---\n\n",
        quoted(&format!("Wyniki losowania: {}", form.title)),
        quoted("Numery zgłoszeń, którym losowanie przyznało miejsca, i lista rezerwowa.")
    );
    let applicants = i64::try_from(result.ranking.len()).unwrap_or(i64::MAX);
    let _ = write!(
        page,
        "Losowanie odbyło się {date}. Wzięło w nim udział {} z listy opublikowanej przed losowaniem; miejsc było {}.\n\n\
         Każdy może sprawdzić wynik: skrót SHA-256 listy to `{}`, a ziarno losowania, dokładnie tak, jak go użyto, to:\n\n{}\n",
        crate::polish::count_pl(applicants, "zgłoszenie", "zgłoszenia", "zgłoszeń"),
        result.places,
        result.list_sha256,
        fenced(&result.seed)
    );
    page.push_str("## Miejsca przyznane w losowaniu\n\n");
    for (rank, reference) in result.winners.iter().enumerate() {
        let _ = writeln!(page, "{}. {reference}", rank + 1);
    }
    page.push_str("\n## Lista rezerwowa\n\n");
    if result.reserve.is_empty() {
        page.push_str("Lista rezerwowa jest pusta: miejsca dostali wszyscy.\n");
    }
    for (rank, reference) in result.reserve.iter().enumerate() {
        let _ = writeln!(page, "{}. {reference}", rank + 1);
    }
    page.push_str("\nGdy ktoś z przyznanym miejscem zrezygnuje, miejsce dostaje pierwsza osoba z listy rezerwowej.\n");
    page
}

/// `text` as a fenced code block, which Markdown shows exactly as it is
/// (spaces, backticks, line breaks): the fence is longer than any run of
/// backticks inside, so nothing in it can close the block.
fn fenced(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}text\n{text}\n{fence}\n")
}

/// The public list of ambassadors: the applicants the office appointed
/// (and did not dismiss since) who still hold their confirmed application
/// and consented to publication, with only the fields published under
/// that consent, as YAML for `content/data/`; and how many it lists. The
/// workspace and `agora ambassadors publish` both write it.
pub async fn ambassadors_yaml<S: Store + crate::panel::StaffRecords>(
    form: &FormDefinition,
    store: &S,
    now: DateTime<Utc>,
) -> Result<(String, usize), StaffError> {
    let appointed: BTreeSet<String> = store
        .appointments(&form.id)
        .await?
        .into_iter()
        .filter(|a| a.decision == crate::panel::Decision::Appointed)
        .map(|a| a.reference)
        .collect();
    let published: Vec<&Field> = form
        .fields
        .iter()
        .filter(|f| f.published_with.is_some())
        .collect();
    let mut entries = Vec::new();
    for registration in store.list(&form.id, now).await? {
        if crate::panel::ambassadors::confirmed(registration.status)
            && appointed.contains(&registration.reference)
        {
            entries.extend(public_entry(&registration, &published));
        }
    }
    let count = entries.len();
    let mut document = serde_yaml::Mapping::new();
    document.insert("ambassadors".into(), serde_yaml::Value::Sequence(entries));
    let body = serde_yaml::to_string(&document).map_err(|e| StaffError::Export(e.to_string()))?;
    let text = format!(
        "# Publiczna lista Ambasadorów Lokalnej Partycypacji: osoby powołane przez biuro\n\
         # programu, które zgodziły się na publikację. Plik zapisuje panel programu\n\
         # (/panel/ambasadorzy) albo `agora ambassadors publish` – nie edytuj go ręcznie.\n{body}"
    );
    Ok((text, count))
}

/// An ambassador's entry on the public list: the reference and each
/// `published` field; `None` unless they gave every consent those fields
/// are published with and something is published.
fn public_entry(registration: &Registration, published: &[&Field]) -> Option<serde_yaml::Value> {
    let given: BTreeSet<&str> = registration
        .consents
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let consented =
        |field: &&Field| given.contains(field.published_with.as_deref().unwrap_or_default());
    if !published.iter().all(consented) {
        return None;
    }
    let mut entry = serde_yaml::Mapping::new();
    entry.insert("id".into(), registration.reference.clone().into());
    for field in published {
        let Some(value) = registration.values.get(&field.name) else {
            continue;
        };
        // A chosen option is published by its label, as readers know it.
        let shown = match field.kind {
            FieldType::Select | FieldType::Radio => field
                .options
                .iter()
                .find(|o| &o.value == value)
                .map_or_else(|| value.clone(), |o| o.label.clone()),
            _ => value.clone(),
        };
        entry.insert(field.name.clone().into(), shown.into());
    }
    (entry.len() > 1).then_some(serde_yaml::Value::Mapping(entry))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused() {
        assert_eq!(safe_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(safe_cell("+48 600"), "'+48 600");
        assert_eq!(safe_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe_cell("Anna Nowak"), "Anna Nowak");
    }
}
