//! Each Lambda function's role in `infra/template.yaml` grants exactly the
//! DynamoDB, SES and CodeBuild actions the function uses. The stories
//! below run every route of the router against DynamoDB Local, through
//! the branches that reach the store differently (a place, the waiting
//! list, a capacity raised while people wait, a line place left behind by
//! TTL, a duplicate, an expired registration, spam, a withdrawal that
//! promotes and one that frees a place, a lottery, the purge, an
//! appointed ambassador withdrawn and one purged (each publishing the
//! public list again), SES
//! reporting a bounce, and the staff workspace: signing in and out, its
//! pages, accounts added and removed, the audit log, a file published to
//! the site). An SDK interceptor records each call as the IAM action that
//! authorizes it (a `TransactWriteItems` is authorized item by item), and
//! each request is put to the account of the function whose `HttpApi`
//! events in the template serve its route. A function calling what its
//! role lacks would be `AccessDenied` in AWS (the resident sees 503); a
//! grant nobody uses is a permission too many.

mod common;

use common::{answer_of, Answer};

use agora_test_support::{dynamodb_local, fixture};

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use agora_core::fill_time::Stamps;
use agora_core::forms::FormDefinition;
use agora_core::mail::{Email, MailError, Mailer};
use agora_core::mail::{TAG_FORM, TAG_REFERENCE};
use agora_core::mail_events::handle;
use agora_core::panel::access::{LINKS_PER_ADDRESS, LINKS_PER_CLIENT};
use agora_core::panel::ambassadors::ListKeeper;
use agora_core::panel::notify::JoinNotice;
use agora_core::panel::{AccessSettings, Appointment, Decision, StaffRecords};
use agora_core::panel::{Account, PanelStore, Role};
use agora_core::panel::{PublishedFile, Publisher, Timeouts};
use agora_core::purge::purge_and_republish;
use agora_core::registration::{new_reference, new_token, token_hash};
use agora_core::registration::{MailProblem, NewRegistration};
use agora_core::routes;
use agora_core::service::{Service, Settings};
use agora_core::store::Store;
use agora_functions::http::lambda::load_forms;
use agora_functions::http::{panel, Clock, HttpSettings};
use agora_stores::dynamodb::published::{DynamoPublisher, SiteBuild};
use agora_stores::dynamodb::DynamoStore;
use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept};
use aws_sdk_dynamodb::operation;
use aws_sdk_dynamodb::types::AttributeValue;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, TimeZone, Utc};
use serde_yaml::Value;

const SALT: &str = "roles-salt";
/// The staff workspace's office account.
const OFFICE: &str = "biuro@example.pl";
/// The form of applications to be an ambassador.
const AMBASSADORS: &str = "ambasadorzy";
/// The form joining an ambassador's process.
const JOINING: &str = "dolacz";
/// The form of project ideas for pre-verification, and a unit of its.
const IDEAS: &str = "pomysly";
const UNIT: &str = "zzm";

// ---- what the template grants ----

/// A function of the template: the routes API Gateway sends it and what
/// its role allows on the table and SES.
#[derive(Debug, Clone)]
struct Function {
    /// The template's logical id (`ConfirmFunction`).
    name: String,
    role: String,
    /// (method, path pattern with `{name}` segments)
    routes: Vec<(String, String)>,
    /// The kinds of its events other than routes: `Schedule` (the purge),
    /// `SNS` (SES's mail events).
    triggers: BTreeSet<String>,
    granted: BTreeSet<String>,
}

fn template_functions() -> Vec<Function> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    read_functions(&text).unwrap_or_else(|problem| panic!("{}: {problem}", path.display()))
}

fn read_functions(template: &str) -> Result<Vec<Function>, String> {
    let template: Value = serde_yaml::from_str(template).map_err(|e| e.to_string())?;
    let resources = template
        .get("Resources")
        .and_then(Value::as_mapping)
        .ok_or("no Resources")?;
    let mut functions = Vec::new();
    for (name, resource) in resources {
        let name = name.as_str().ok_or("a resource name that is not text")?;
        let kind = resource.get("Type").and_then(Value::as_str);
        if !matches!(
            kind,
            Some("AWS::Serverless::Function" | "AWS::Lambda::Function")
        ) {
            continue;
        }
        let properties = resource.get("Properties").ok_or("no Properties")?;
        let role = role_of(properties).ok_or_else(|| format!("{name} names no role of its own"))?;
        let policies = resources
            .get(role.as_str())
            .and_then(|role| role.get("Properties"))
            .and_then(|p| p.get("Policies"))
            .and_then(Value::as_sequence)
            .ok_or_else(|| format!("{name}'s role {role} has no Policies"))?;
        let granted = policies
            .iter()
            .filter_map(|policy| {
                policy
                    .get("PolicyDocument")?
                    .get("Statement")?
                    .as_sequence()
            })
            .flatten()
            .filter(|statement| statement.get("Effect").and_then(Value::as_str) == Some("Allow"))
            .flat_map(|statement| actions(statement.get("Action")))
            .filter(|action| {
                ["dynamodb:", "ses:", "codebuild:"]
                    .iter()
                    .any(|service| action.starts_with(service))
            })
            .collect();
        let events = || {
            properties
                .get("Events")
                .and_then(Value::as_mapping)
                .into_iter()
                .flatten()
                .map(|(_, event)| (event.get("Type").and_then(Value::as_str), event))
        };
        let triggers = events()
            .filter_map(|(kind, _)| kind)
            .filter(|kind| *kind != "HttpApi")
            .map(str::to_owned)
            .collect();
        let routes = events()
            .filter(|(kind, _)| *kind == Some("HttpApi"))
            .filter_map(|(_, event)| {
                let properties = event.get("Properties")?;
                Some((
                    properties.get("Method")?.as_str()?.to_uppercase(),
                    properties.get("Path")?.as_str()?.to_owned(),
                ))
            })
            .collect();
        functions.push(Function {
            name: name.to_owned(),
            role,
            routes,
            triggers,
            granted,
        });
    }
    Ok(functions)
}

/// `Role: !GetAtt RegisterRole.Arn` (or `[RegisterRole, Arn]`): the role's id.
fn role_of(properties: &Value) -> Option<String> {
    let Value::Tagged(tagged) = properties.get("Role")? else {
        return None;
    };
    match &tagged.value {
        Value::String(target) => target.strip_suffix(".Arn").map(str::to_owned),
        Value::Sequence(parts) => parts.first()?.as_str().map(str::to_owned),
        _ => None,
    }
}

fn actions(action: Option<&Value>) -> Vec<String> {
    match action {
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Sequence(many)) => many
            .iter()
            .filter_map(|a| a.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether API Gateway sends `path` to the route `pattern`: `{name}` is
/// one segment, a last `{name+}` the rest of the path (at least one
/// character), as API Gateway reads them.
fn serves(pattern: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or_default();
    let (pattern, path): (Vec<_>, Vec<_>) =
        (pattern.split('/').collect(), path.split('/').collect());
    if let Some((greedy, fixed)) = pattern.split_last() {
        if greedy.starts_with('{') && greedy.ends_with("+}") {
            return path.len() > fixed.len()
                && path[fixed.len()..].iter().any(|s| !s.is_empty())
                && segments_match(fixed, &path[..fixed.len()]);
        }
    }
    pattern.len() == path.len() && segments_match(&pattern, &path)
}

fn segments_match(pattern: &[&str], path: &[&str]) -> bool {
    pattern
        .iter()
        .zip(path)
        .all(|(p, s)| (p.starts_with('{') && p.ends_with('}') && !s.is_empty()) || p == s)
}

/// Every difference between what the functions used and what their roles
/// grant, worded for whoever changes the template or the code.
fn problems(functions: &[Function], used: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let nothing = BTreeSet::new();
    let mut problems = Vec::new();
    for function in functions {
        let used = used.get(&function.name).unwrap_or(&nothing);
        for action in used.difference(&function.granted) {
            problems.push(format!(
                "{} calls {action}, which its role {} does not grant: in AWS that call is AccessDenied; add it to the role",
                function.name, function.role
            ));
        }
        for action in function.granted.difference(used) {
            problems.push(format!(
                "{}'s role {} grants {action}, which the function never used in these stories: remove it, or add the story that needs it",
                function.name, function.role
            ));
        }
    }
    for name in used.keys() {
        if !functions.iter().any(|f| &f.name == name) {
            problems.push(format!("{name} is not a function of the template"));
        }
    }
    problems
}

// ---- what the functions call ----

/// The IAM actions called since the last [`Calls::take`].
#[derive(Debug, Clone, Default)]
struct Calls(Arc<Mutex<BTreeSet<String>>>);

impl Calls {
    fn add(&self, actions: impl IntoIterator<Item = String>) {
        self.0.lock().expect("calls").extend(actions);
    }

    fn take(&self) -> BTreeSet<String> {
        std::mem::take(&mut *self.0.lock().expect("calls"))
    }
}

impl Intercept for Calls {
    fn name(&self) -> &'static str {
        "agora-role-recorder"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let input = context.input();
        let one = |action: &str| vec![format!("dynamodb:{action}")];
        let actions = if input
            .downcast_ref::<operation::get_item::GetItemInput>()
            .is_some()
        {
            one("GetItem")
        } else if input
            .downcast_ref::<operation::query::QueryInput>()
            .is_some()
        {
            one("Query")
        } else if input.downcast_ref::<operation::scan::ScanInput>().is_some() {
            one("Scan")
        } else if input
            .downcast_ref::<operation::put_item::PutItemInput>()
            .is_some()
        {
            one("PutItem")
        } else if input
            .downcast_ref::<operation::update_item::UpdateItemInput>()
            .is_some()
        {
            one("UpdateItem")
        } else if input
            .downcast_ref::<operation::delete_item::DeleteItemInput>()
            .is_some()
        {
            one("DeleteItem")
        } else if let Some(transaction) =
            input.downcast_ref::<operation::transact_write_items::TransactWriteItemsInput>()
        {
            // Authorized per item, by its kind.
            transaction
                .transact_items()
                .iter()
                .map(|item| {
                    let action = if item.put().is_some() {
                        "PutItem"
                    } else if item.update().is_some() {
                        "UpdateItem"
                    } else if item.delete().is_some() {
                        "DeleteItem"
                    } else {
                        "ConditionCheckItem"
                    };
                    format!("dynamodb:{action}")
                })
                .collect()
        } else if input
            .downcast_ref::<aws_sdk_codebuild::operation::start_build::StartBuildInput>()
            .is_some()
        {
            vec!["codebuild:StartBuild".to_owned()]
        } else {
            // Anything else must be named here before a function uses it.
            vec!["dynamodb:<an operation this test does not know>".to_owned()]
        };
        self.add(actions);
        Ok(())
    }
}

/// Sends nothing: records `ses:SendEmail` and keeps the message, whose
/// links the stories follow.
#[derive(Clone, Default)]
struct Mail {
    calls: Calls,
    sent: Arc<Mutex<Vec<Email>>>,
}

impl Mailer for Mail {
    async fn send(&self, email: Email) -> Result<(), MailError> {
        self.calls.add(["ses:SendEmail".to_owned()]);
        self.sent.lock().expect("mail").push(email);
        Ok(())
    }
}

impl Mail {
    /// The newest link to `action` (`potwierdz`, `wycofaj`, the
    /// workspace's sign-in `link`) sent to `to`, as a path with its query.
    fn link(&self, to: &str, action: &str) -> String {
        self.link_marked(to, &format!("/{action}?token="))
    }

    /// Whether anything was sent to `to`.
    fn sent_to(&self, to: &str) -> bool {
        self.sent.lock().expect("mail").iter().any(|e| e.to == to)
    }

    /// The newest link sent to `to` that holds `marker`, as a path with
    /// its query.
    fn link_marked(&self, to: &str, marker: &str) -> String {
        let sent = self.sent.lock().expect("mail");
        sent.iter()
            .rev()
            .filter(|email| email.to == to)
            .flat_map(|email| {
                email
                    .body
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .find(|word| word.contains(marker))
            .and_then(|url| url.strip_prefix(fixture::SITE).map(str::to_owned))
            .unwrap_or_else(|| panic!("no {marker} link was sent to {to}"))
    }
}

// ---- the stories ----

fn march(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 3, day, 12, 0, 0)
        .single()
        .expect("a valid time")
}

/// A form of the stories. `capacity`, `allocation`, `double_opt_in` and
/// `retention_days` vary; the rest is as the Kraków forms have it.
fn form(
    id: &str,
    allocation: &str,
    capacity: u32,
    double_opt_in: bool,
    retention: u32,
) -> FormDefinition {
    let yaml = format!(
        r#"
title: Formularz {id}
opens: 2020-03-01 09:00
closes: 2020-03-31 23:59
allocation: {allocation}
capacity: {capacity}
double_opt_in: {double_opt_in}
notify: zespol@example.org
unique_field: email
retention_days: {retention}
purpose: Zapisy na spotkanie i kontakt z uczestnikami.
legal_basis: consent
recipients: [cloud, email]
fields:
  - name: full_name
    type: text
    label: Imię i nazwisko
  - name: email
    type: email
    label: Adres e-mail
consents:
  - name: processing
    required: true
    version: "1"
    text: Zgadzam się na przetwarzanie moich danych w celu organizacji spotkania.
"#
    );
    FormDefinition::parse(id, &yaml, Path::new("roles.yaml"), &|_| None).expect("a valid form")
}

fn forms(spacer_capacity: u32) -> Vec<FormDefinition> {
    vec![
        // First come, confirmed by e-mail: admitted by the confirm function.
        form("spacer", "first_come", spacer_capacity, true, 30),
        // First come, no confirmation: admitted by the register function;
        // a day's retention, so that a registration expires in a story.
        form("zbiorka", "first_come", 1, false, 1),
        form("losowanie", "lottery", 1, true, 30),
        // First come, a day's retention: the purge hands a place on.
        form("kolejka", "first_come", 1, false, 1),
        ambassadors_form(),
        joining_form(),
        ideas_form(),
    ]
}

/// The tests' content folder of the form of ideas and its units.
fn ideas_content() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/common/ideas-site")
}

/// Ideas for pre-verification, confirmed by e-mail: the confirm function
/// serves their private pages, the panel function the office's and the
/// unit's steps.
fn ideas_form() -> FormDefinition {
    let forms = load_forms(&ideas_content()).expect("the tests' form of ideas");
    forms.into_iter().find(|f| f.id == IDEAS).expect("the form")
}

/// The form of applications to be an ambassador, without confirmation
/// and with a day's retention: an appointed ambassador withdraws, another
/// is erased by the purge, and each time the public list goes out again.
fn ambassadors_form() -> FormDefinition {
    let yaml = r#"
title: Ambasadorzy
opens: 2020-03-01 09:00
closes: 2020-03-31 23:59
allocation: first_come
double_opt_in: false
unique_field: email
retention_days: 1
purpose: Powołanie ambasadorów i publiczna lista powołanych.
legal_basis: consent
recipients: [cloud, email]
ambassadors:
  list: ambasadorzy
  area_field: area
fields:
  - name: full_name
    type: text
    label: Imię i nazwisko
    published_with: publication
  - name: email
    type: email
    label: Adres e-mail
  - name: area
    type: text
    label: Obszar
    published_with: publication
consents:
  - name: processing
    required: true
    version: "1"
    text: Zapoznałam/Zapoznałem się z informacją o przetwarzaniu danych.
  - name: publication
    required: false
    version: "1"
    text: Zgadzam się na publikację na liście ambasadorów.
"#;
    FormDefinition::parse(AMBASSADORS, yaml, Path::new("roles.yaml"), &|_| None)
        .expect("a valid form")
}

/// The form joining an ambassador's process, confirmed by e-mail: the
/// confirm function tells the ambassadors of the chosen one's area.
fn joining_form() -> FormDefinition {
    let yaml = r#"
title: Dołącz do procesu
opens: 2020-03-01 09:00
closes: 2020-03-31 23:59
allocation: first_come
double_opt_in: true
unique_field: email
retention_days: 30
purpose: Przekazanie zgłoszenia ambasadorowi wybranego obszaru.
legal_basis: consent
recipients: [cloud, email]
fields:
  - name: email
    type: email
    label: Adres e-mail
  - name: ambassador
    type: select
    label: Obszar ambasadora
    options_from: { data: ambasadorzy, key: ambassadors, value: id, label: area }
consents:
  - name: processing
    required: true
    version: "1"
    text: Zapoznałam/Zapoznałem się z informacją o przetwarzaniu danych.
"#;
    let list =
        serde_json::json!({ "ambassadors": [{ "id": "AAAA-BBBB", "area": "Osiedle przy parku" }] });
    let data = |name: &str| (name == AMBASSADORS).then(|| list.clone());
    FormDefinition::parse(JOINING, yaml, Path::new("roles.yaml"), &data).expect("a valid form")
}

struct Deployment {
    functions: Vec<Function>,
    router: Router,
    /// The panel function's publisher, as the function makes it.
    publisher: Arc<DynamoPublisher>,
    /// Publishes the ambassadors' list again after a withdrawal or the purge.
    keeper: Arc<ListKeeper>,
    service: Arc<Service<DynamoStore, Mail>>,
    mail: Mail,
    calls: Calls,
    now: Arc<Mutex<DateTime<Utc>>>,
    /// Reaches the table unobserved: plays DynamoDB's TTL.
    table: DynamoStore,
    table_name: String,
    used: BTreeMap<String, BTreeSet<String>>,
}

impl Deployment {
    async fn new() -> Self {
        let (table, _, table_name) = dynamodb_local::fresh_table().await;
        let calls = Calls::default();
        let (config, _) = dynamodb_local::client_config();
        let observed =
            aws_sdk_dynamodb::Client::from_conf(config.interceptor(calls.clone()).build());
        let store = DynamoStore::new(observed, table_name.clone());
        let publisher = Arc::new(DynamoPublisher::new(
            store.clone(),
            Some(site_build(&calls).await),
        ));
        let mail = Mail {
            calls: calls.clone(),
            sent: Arc::default(),
        };
        let settings = Settings {
            address_salt: SALT.to_owned(),
            contact_email: "zespol@example.org".to_owned(),
            ..fixture::settings(1000)
        };
        let access = access_settings(&settings);
        let keeper = Arc::new(ListKeeper::new(Arc::clone(&publisher) as Arc<dyn Publisher>));
        let service = Service::new(forms(1), store, mail.clone(), settings)
            .after_withdrawal(Arc::clone(&keeper) as _)
            .after_confirmation(Arc::new(JoinNotice));
        let service = Arc::new(service);
        let now = Arc::new(Mutex::new(march(5)));
        let clock: Clock = {
            let now = Arc::clone(&now);
            Arc::new(move || *now.lock().expect("clock"))
        };
        let http = HttpSettings {
            // The stories wait for no one.
            sign_in_answer_floor: std::time::Duration::ZERO,
            content_dir: Some(ideas_content()),
            ..HttpSettings::default()
        };
        Self {
            functions: template_functions(),
            router: panel::with_forms(
                Arc::clone(&service),
                access,
                clock,
                http,
                Arc::clone(&publisher) as Arc<dyn Publisher>,
            ),
            publisher,
            keeper,
            service,
            mail,
            calls,
            now,
            table,
            table_name,
            used: BTreeMap::new(),
        }
    }

    /// Sends the request as API Gateway would: to the function whose
    /// route it is, which is charged with the calls it makes.
    async fn send(&mut self, request: Request<Body>) -> (StatusCode, String) {
        let answer = self.answer(request).await;
        (answer.status, answer.body)
    }

    /// As [`Self::send`], the whole answer.
    async fn answer(&mut self, request: Request<Body>) -> Answer {
        let (method, path) = (request.method().to_string(), request.uri().to_string());
        let function = self.serving(&method, &path);
        self.calls.take();
        let answer = answer_of(&self.router, request).await;
        self.charge(&function);
        answer
    }

    /// The function whose `HttpApi` events serve `method` `path`.
    fn serving(&self, method: &str, path: &str) -> String {
        self.functions
            .iter()
            .find(|f| f.routes.iter().any(|(m, p)| m == method && serves(p, path)))
            .unwrap_or_else(|| panic!("no function of infra/template.yaml serves {method} {path}"))
            .name
            .clone()
    }

    fn charge(&mut self, function: &str) {
        let calls = self.calls.take();
        self.used
            .entry(function.to_owned())
            .or_default()
            .extend(calls);
    }

    /// The function `trigger` (an event type of the template) starts.
    fn triggered_by(&self, trigger: &str) -> String {
        self.functions
            .iter()
            .find(|f| f.triggers.contains(trigger))
            .unwrap_or_else(|| panic!("no function of infra/template.yaml has a {trigger} event"))
            .name
            .clone()
    }

    /// Runs the scheduled function (the purge) as its schedule would.
    async fn purge(&mut self) {
        let function = self.triggered_by("Schedule");
        self.calls.take();
        let now = self.now();
        let (store, forms) = (self.service.store(), self.service.forms());
        purge_and_republish(store, &forms, &self.keeper, now)
            .await
            .expect("purged");
        self.charge(&function);
    }

    /// Hands SES's report of a message about `reference` of `form` to the
    /// function its SNS topic invokes.
    async fn mail_event(&mut self, kind: &str, detail: &str, form: &str, reference: &str) {
        let function = self.triggered_by("SNS");
        let message = format!(
            r#"{{"eventType":"{kind}",{detail}"mail":{{"messageId":"0102","tags":{{"{TAG_FORM}":["{form}"],"{TAG_REFERENCE}":["{reference}"]}}}}}}"#
        );
        let event = serde_json::json!({
            "Records": [{ "EventSource": "aws:sns", "Sns": { "Type": "Notification", "Message": message } }]
        });
        self.calls.take();
        let handled = handle(self.service.store(), &event).await.expect("handled");
        assert_eq!(handled.marked, 1, "{handled:?}");
        self.charge(&function);
    }

    fn set_now(&self, now: DateTime<Utc>) {
        *self.now.lock().expect("clock") = now;
    }

    /// Registers `email` on `form` as a browser's script does.
    async fn register(&mut self, form: &str, email: &str) -> serde_json::Value {
        self.register_with(form, email, &[]).await
    }

    /// As [`Self::register`], with the `extra` fields of `form`.
    async fn register_with(
        &mut self,
        form: &str,
        email: &str,
        extra: &[(&str, &str)],
    ) -> serde_json::Value {
        let stamp = Stamps::new(SALT).issue(form, march(1));
        let mut body = serde_json::json!({
            "full_name": "Osoba Testowa",
            "email": email,
            "processing": "on",
            "started_at": stamp,
        });
        for (name, value) in extra {
            body[*name] = (*value).into();
        }
        let (status, answer) = self
            .send(
                Request::post(format!("/api/forms/{form}"))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(body.to_string()))
                    .expect("a request"),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        serde_json::from_str(&answer).expect("JSON")
    }

    /// Follows the newest `action` link sent to `email`: opens its page,
    /// then presses its button.
    async fn follow(&mut self, email: &str, action: &str) {
        let link = self.mail.link(email, action);
        self.open(&link).await;
    }

    /// Opens the page of `link` (a path with its token), then presses its button.
    async fn open(&mut self, link: &str) {
        let (status, _) = self.send(get(link)).await;
        assert_eq!(status, StatusCode::OK, "{link}");
        let token = link.split("token=").nth(1).expect("a token").to_owned();
        let path = link.split('?').next().expect("a path").to_owned();
        let (status, page) = self
            .send(
                Request::post(path)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::ACCEPT, "text/html")
                    .body(Body::from(format!("token={token}")))
                    .expect("a request"),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
    }

    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().expect("clock")
    }

    async fn status_of(&self, form: &str, reference: &str) -> String {
        let registration = self
            .table
            .find(form, reference, self.now())
            .await
            .expect("the table")
            .expect("the registration");
        registration.status.as_str().to_owned()
    }

    async fn reference_of(&self, form: &str, email: &str) -> String {
        let now = self.now();
        self.table
            .list(form, now)
            .await
            .expect("the table")
            .into_iter()
            .find(|r| r.values.get("email").map(String::as_str) == Some(email))
            .unwrap_or_else(|| panic!("no registration of {email} on {form}"))
            .reference
    }

    /// `email` applies to be an ambassador, consenting to the public list,
    /// and the office appoints them (unobserved: the workspace's own calls
    /// are its stories'). Their reference.
    async fn appointed_ambassador(&mut self, email: &str) -> String {
        let public = [("area", "Osiedle przy parku"), ("publication", "on")];
        self.register_with(AMBASSADORS, email, &public).await;
        let reference = self.reference_of(AMBASSADORS, email).await;
        let appointment = Appointment {
            form_id: AMBASSADORS.to_owned(),
            reference: reference.clone(),
            decision: Decision::Appointed,
            decided_by: OFFICE.to_owned(),
            decided_at: self.now(),
        };
        self.table
            .put_appointment(&appointment)
            .await
            .expect("appointed");
        reference
    }

    /// `email` joins the process of the ambassador whose application is
    /// `ambassador`, put into the table unobserved (the form's choices are
    /// fixed when it is read, before the application's reference is
    /// drawn): the token of the link confirming it.
    async fn joins(&self, email: &str, ambassador: &str) -> String {
        let token = new_token().expect("randomness");
        let values = [("email", email), ("ambassador", ambassador)]
            .map(|(name, value)| (name.to_owned(), value.to_owned()));
        let new = NewRegistration {
            form_id: JOINING.to_owned(),
            reference: new_reference().expect("randomness"),
            unique_key: email.to_owned(),
            values: values.into(),
            consents: Vec::new(),
            confirm_token_hash: Some(token_hash(&token)),
            withdraw_token_hash: token_hash(&new_token().expect("randomness")),
            spam: None,
            created_at: self.now(),
            expires_at: self.now() + chrono::Duration::days(30),
        };
        self.table.insert(new, None).await.expect("stored");
        token
    }

    /// The ambassadors' list as last published to the site.
    async fn published_list(&self) -> String {
        let files = self.table.published_files().await.expect("the table");
        files
            .into_iter()
            .find(|f| f.path == "data/ambasadorzy.yaml")
            .map(|f| f.text)
            .unwrap_or_default()
    }

    /// Deletes the registration item alone, as DynamoDB's TTL may before
    /// it deletes the items that point at it.
    async fn erase_as_ttl_would(&self, form: &str, reference: &str) {
        let client = aws_sdk_dynamodb::Client::from_conf(dynamodb_local::client_config().0.build());
        client
            .delete_item()
            .table_name(&self.table_name)
            .key("pk", AttributeValue::S(format!("form#{form}")))
            .key("sk", AttributeValue::S(format!("reg#{reference}")))
            .send()
            .await
            .expect("deleted");
    }
}

fn get(path: &str) -> Request<Body> {
    Request::get(path)
        .header(header::ACCEPT, "text/html")
        .body(Body::empty())
        .expect("a request")
}

fn get_json(path: &str) -> Request<Body> {
    Request::builder()
        .method(Method::GET)
        .uri(path)
        .header(header::ACCEPT, "application/json")
        .body(Body::empty())
        .expect("a request")
}

/// The stories, each request through the function that serves it.
async fn run_stories(deployment: &mut Deployment) {
    let d = deployment;
    for form in ["spacer", "zbiorka", "losowanie"] {
        let (status, _) = d.send(get_json(&format!("/api/forms/{form}"))).await;
        assert_eq!(status, StatusCode::OK);
    }

    // First come, confirmed by e-mail, one place.
    let anna = d.register("spacer", "anna@example.pl").await;
    let page = anna["page"].as_str().expect("the page after").to_owned();
    assert_eq!(d.send(get(&page)).await.0, StatusCode::OK);
    // The same person again: new links, no second registration.
    d.register("spacer", "anna@example.pl").await;
    d.follow("anna@example.pl", "potwierdz").await;
    for person in ["bartek", "celina"] {
        d.register("spacer", &format!("{person}@example.pl")).await;
        d.follow(&format!("{person}@example.pl"), "potwierdz").await;
    }
    let bartek = d.reference_of("spacer", "bartek@example.pl").await;
    assert_eq!(d.status_of("spacer", &bartek).await, "waiting");
    // Anna's place passes to Bartek, the first in line.
    d.follow("anna@example.pl", "wycofaj").await;
    assert_eq!(d.status_of("spacer", &bartek).await, "registered");

    // A second place while Celina waits: Dorota queues behind her.
    d.service.replace_forms(forms(2));
    d.register("spacer", "dorota@example.pl").await;
    d.follow("dorota@example.pl", "potwierdz").await;
    let dorota = d.reference_of("spacer", "dorota@example.pl").await;
    assert_eq!(d.status_of("spacer", &dorota).await, "waiting");
    // Celina's registration erased before her place on the line: Ewa's
    // confirmation drops the place left behind and queues behind Dorota.
    let celina = d.reference_of("spacer", "celina@example.pl").await;
    d.erase_as_ttl_would("spacer", &celina).await;
    d.register("spacer", "ewa@example.pl").await;
    d.follow("ewa@example.pl", "potwierdz").await;
    let ewa = d.reference_of("spacer", "ewa@example.pl").await;
    assert_eq!(d.status_of("spacer", &ewa).await, "waiting");

    // Dorota's registration erased before her place on the line:
    // Bartek's withdrawal drops the place and promotes Ewa.
    d.erase_as_ttl_would("spacer", &dorota).await;
    d.follow("bartek@example.pl", "wycofaj").await;
    assert_eq!(d.status_of("spacer", &ewa).await, "registered");

    // First come without confirmation: admitted when registering.
    d.register("zbiorka", "franek@example.pl").await;
    let franek = d.reference_of("zbiorka", "franek@example.pl").await;
    assert_eq!(d.status_of("zbiorka", &franek).await, "registered");
    // Withdrawn with nobody waiting: the place is free again.
    d.follow("franek@example.pl", "wycofaj").await;
    // A registration erased before its unique key: the person registers
    // again, and the key left behind is dropped.
    d.register("zbiorka", "gosia@example.pl").await;
    let gosia = d.reference_of("zbiorka", "gosia@example.pl").await;
    d.erase_as_ttl_would("zbiorka", &gosia).await;
    d.register("zbiorka", "gosia@example.pl").await;
    // Spam (a forged fill-time stamp) is stored apart.
    let (status, _) = d
        .send(
            Request::post("/api/forms/zbiorka")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    serde_json::json!({
                        "full_name": "Bot",
                        "email": "bot@example.pl",
                        "processing": "on",
                        "started_at": "1.forged",
                    })
                    .to_string(),
                ))
                .expect("a request"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // A place whose holder expires while others wait; the first in line
    // is erased before their place (TTL), the second is promoted below.
    d.register("kolejka", "ola@example.pl").await;
    d.register("kolejka", "piotr@example.pl").await;
    let piotr = d.reference_of("kolejka", "piotr@example.pl").await;
    d.erase_as_ttl_would("kolejka", &piotr).await;

    // Two appointed ambassadors on the public list: Iga withdraws through
    // her link, and the withdrawal publishes the list without her.
    let iga = d.appointed_ambassador("iga@example.pl").await;
    let julia = d.appointed_ambassador("julia@example.pl").await;
    d.follow("iga@example.pl", "wycofaj").await;
    let list = d.published_list().await;
    assert!(list.contains(&julia) && !list.contains(&iga), "{list}");
    // Someone joins Julia's process: its confirmation reads the accounts
    // and tells the ambassador of her area.
    let lena = Account {
        email: "lena@example.pl".to_owned(),
        role: Role::Ambassador,
        area: Some("Osiedle przy parku".to_owned()),
        added_by: Some(OFFICE.to_owned()),
        added_at: Some(d.now()),
    };
    d.table.put_account(&lena).await.expect("stored");
    let token = d.joins("kuba@example.pl", &julia).await;
    d.open(&format!("{}?token={token}", routes::confirm(JOINING)))
        .await;
    assert!(
        d.mail.sent_to(&lena.email),
        "the ambassador of the area was not told"
    );

    // Two days on, Gosia's registration has expired: registering again
    // releases its unique key.
    d.set_now(march(7));
    d.register("zbiorka", "gosia@example.pl").await;
    // Ola's registration has expired and still holds her place: Rafał
    // waits, until the purge erases Ola's, drops Piotr's place and hands
    // the place on to him.
    d.register("kolejka", "rafal@example.pl").await;
    let rafal = d.reference_of("kolejka", "rafal@example.pl").await;
    assert_eq!(d.status_of("kolejka", &rafal).await, "waiting");
    d.purge().await;
    assert_eq!(d.status_of("kolejka", &rafal).await, "registered");
    // Julia's application has expired too: the purge erases it and
    // publishes the list without her.
    let list = d.published_list().await;
    assert!(!list.contains(&julia), "{list}");
    // The page after a submission whose reference came by e-mail.
    assert_eq!(
        d.send(get("/api/forms/zbiorka/wyslane")).await.0,
        StatusCode::OK
    );

    // The lottery: applications, confirmed; one withdrawn.
    d.register("losowanie", "hania@example.pl").await;
    d.follow("hania@example.pl", "potwierdz").await;
    d.follow("hania@example.pl", "wycofaj").await;

    // SES reports that mail to Rafał bounced for good: his registration
    // is marked, and nothing more is sent to him.
    d.mail_event(
        "Bounce",
        r#""bounce":{"bounceType":"Permanent"},"#,
        "kolejka",
        &rafal,
    )
    .await;
    let marked = d
        .table
        .find("kolejka", &rafal, d.now())
        .await
        .expect("the table")
        .expect("the registration");
    assert_eq!(marked.mail_problem, Some(MailProblem::Bounced));

    for form in ["spacer", "zbiorka", "losowanie", "kolejka"] {
        let (status, _) = d.send(get_json(&format!("/api/forms/{form}"))).await;
        assert_eq!(status, StatusCode::OK);
    }
}

/// The staff workspace of the stories: [`OFFICE`] its one office account.
fn access_settings(forms: &Settings) -> AccessSettings {
    AccessSettings {
        office: vec![OFFICE.to_owned()],
        public_url: forms.public_url.clone(),
        site_title: "Wspólne Projekty".to_owned(),
        timezone: chrono_tz::Europe::Warsaw,
        key: SALT.to_owned(),
        timeouts: Timeouts::default(),
        audit_days: 365,
        links_per_address: LINKS_PER_ADDRESS,
        links_per_client: LINKS_PER_CLIENT,
    }
}

/// A form of the workspace, posted from its own pages.
fn panel_post(path: &str, cookie: Option<&str>, fields: &[(&str, &str)]) -> Request<Body> {
    let mut request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let body = serde_urlencoded::to_string(fields).expect("a form body");
    request.body(Body::from(body)).expect("a request")
}

fn panel_get(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .expect("a request")
}

impl Deployment {
    /// Signs `email` in through the e-mailed link: asks for it, opens its
    /// page, presses its button. The session cookie, `name=value`.
    async fn sign_in(&mut self, email: &str) -> String {
        let asked = panel_post(routes::PANEL_SIGN_IN, None, &[("email", email)]);
        let (status, page) = self.send(asked).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let link = self.mail.link(email, "link");
        assert_eq!(self.send(get(&link)).await.0, StatusCode::OK, "{link}");
        let token = link.split("token=").nth(1).expect("a token").to_owned();
        let used = panel_post(routes::PANEL_LINK, None, &[("token", &token)]);
        let signed = self.answer(used).await;
        assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
        signed.session_cookie()
    }

    /// Opens a page of the workspace signed in: its status and its forms'
    /// CSRF token, if it has forms.
    async fn panel_page(&mut self, path: &str, cookie: &str) -> (StatusCode, String) {
        let page = self.answer(panel_get(path, cookie)).await;
        let csrf = if page.has("name=\"csrf\"") {
            page.csrf()
        } else {
            String::new()
        };
        (page.status, csrf)
    }

    /// Posts a form of the workspace signed in; where it leads.
    async fn panel_action(&mut self, path: &str, cookie: &str, fields: &[(&str, &str)]) -> String {
        let done = self.answer(panel_post(path, Some(cookie), fields)).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{path}: {}", done.body);
        done.location().to_owned()
    }

    fn minutes_later(&self, minutes: i64) {
        self.set_now(self.now() + chrono::Duration::minutes(minutes));
    }
}

/// The staff workspace, each request through the function that serves
/// it: signing in (a link asked for, its page, its use), the pages (the
/// dashboard reads the forms' counts; a page a minute on records the
/// session as used), an account added, signed in and removed (its session
/// ends with it), the audit log, a session ended idle, signing out here
/// and everywhere.
async fn run_panel_stories(deployment: &mut Deployment) {
    let d = deployment;
    let (status, _) = d.send(get(routes::PANEL_SIGN_IN)).await;
    assert_eq!(status, StatusCode::OK);
    let office = d.sign_in(OFFICE).await;
    let (status, csrf) = d.panel_page(routes::PANEL, &office).await;
    assert_eq!(status, StatusCode::OK);
    d.minutes_later(2);
    assert_eq!(
        d.panel_page(routes::PANEL_ACCOUNTS, &office).await.0,
        StatusCode::OK
    );

    let verifier = "weryfikator@example.pl";
    let added = [
        ("csrf", csrf.as_str()),
        ("email", verifier),
        ("role", "verifier"),
        ("area", ""),
        ("unit", UNIT),
    ];
    d.panel_action(routes::PANEL_ACCOUNTS, &office, &added)
        .await;
    let theirs = d.sign_in(verifier).await;
    assert_eq!(d.panel_page(routes::PANEL, &theirs).await.0, StatusCode::OK);
    let removed = [("csrf", csrf.as_str()), ("email", verifier)];
    d.panel_action(routes::PANEL_ACCOUNT_REMOVE, &office, &removed)
        .await;
    let (status, _) = d.panel_page(routes::PANEL, &theirs).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "a removed account is signed out"
    );
    assert_eq!(
        d.panel_page(routes::PANEL_AUDIT, &office).await.0,
        StatusCode::OK
    );

    // Left unused past the idle timeout: the next request ends it.
    d.minutes_later(45);
    assert_eq!(
        d.panel_page(routes::PANEL, &office).await.0,
        StatusCode::SEE_OTHER
    );

    for sign_out in [routes::PANEL_SIGN_OUT, routes::PANEL_SIGN_OUT_EVERYWHERE] {
        let office = d.sign_in(OFFICE).await;
        let (_, csrf) = d.panel_page(routes::PANEL, &office).await;
        let to = d.panel_action(sign_out, &office, &[("csrf", &csrf)]).await;
        assert!(
            to.starts_with(routes::PANEL_SIGN_IN),
            "{sign_out} leads to {to}"
        );
    }
}

/// The site's rebuild, started by the panel's publisher: a stand-in for
/// CodeBuild's `StartBuild`, which the stories' client calls through
/// `calls`.
async fn site_build(calls: &Calls) -> SiteBuild {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let address = listener.local_addr().expect("an address");
    let started = || async { r#"{"build":{"id":"agora-site:1"}}"# };
    tokio::spawn(async move {
        axum::serve(
            listener,
            Router::new().route("/", axum::routing::post(started)),
        )
        .await
    });
    use aws_sdk_codebuild::config::{BehaviorVersion, Credentials, Region};
    let config = aws_sdk_codebuild::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-central-1"))
        .credentials_provider(Credentials::new("roles", "roles", None, None, "roles"))
        .http_client(agora_stores::aws::https_client())
        .endpoint_url(format!("http://{address}"))
        .interceptor(calls.clone())
        .build();
    SiteBuild::new(
        aws_sdk_codebuild::Client::from_conf(config),
        "agora-site".to_owned(),
    )
}

impl Deployment {
    /// The panel publishes a file to the static site (the ambassadors'
    /// list), as its ambassadors' page does: the function serving that
    /// page's form is charged with the calls.
    async fn publish_from_panel(&mut self) {
        let function = self.serving("POST", routes::PANEL_AMBASSADORS);
        self.calls.take();
        let file = PublishedFile {
            path: "data/ambasadorzy.yaml".to_owned(),
            text: "ambassadors: []\n".to_owned(),
        };
        self.publisher.publish(&file).await.expect("published");
        self.charge(&function);
    }
}

/// An idea: sent and confirmed by its author, given to a unit by the
/// office, answered by the unit's verifier (the author is e-mailed the
/// private page's link), its page opened and replied to (the verifier is
/// e-mailed), and the office's list of ideas.
async fn run_idea_stories(deployment: &mut Deployment) {
    let d = deployment;
    let author = "ida@example.pl";
    let idea = [
        ("title", "Ławki przy skwerze"),
        ("district", "XIII"),
        ("place", "Skwer przy ul. Długiej"),
        (
            "description",
            "Cztery ławki i zieleń, żeby sąsiedzi mieli gdzie odpocząć.",
        ),
    ];
    d.register_with(IDEAS, author, &idea).await;
    d.follow(author, "potwierdz").await;
    let reference = d.reference_of(IDEAS, author).await;
    let expert = Account {
        email: "ekspert@zzm.example".to_owned(),
        role: Role::Verifier,
        area: Some(UNIT.to_owned()),
        added_by: Some(OFFICE.to_owned()),
        added_at: Some(d.now()),
    };
    d.table.put_account(&expert).await.expect("stored");

    let office = d.sign_in(OFFICE).await;
    let page = routes::panel(routes::PANEL_IDEA, IDEAS, &reference);
    let (status, csrf) = d.panel_page(&page, &office).await;
    assert_eq!(status, StatusCode::OK);
    let assign = routes::panel(routes::PANEL_IDEA_ASSIGN, IDEAS, &reference);
    let given = [
        ("csrf", csrf.as_str()),
        ("jednostka", UNIT),
        ("wersja", "0"),
    ];
    d.panel_action(&assign, &office, &given).await;
    let theirs = d.sign_in(&expert.email).await;
    let (_, csrf) = d.panel_page(&page, &theirs).await;
    let answer = routes::panel(routes::PANEL_IDEA_ANSWER, IDEAS, &reference);
    let answered = [
        ("csrf", csrf.as_str()),
        ("wynik", "needs_changes"),
        ("komentarz", "Proszę wskazać stronę skweru."),
        ("wersja", "1"),
    ];
    d.panel_action(&answer, &theirs, &answered).await;

    let link = d.mail.link_marked(author, "?klucz=");
    let (status, body) = d.send(get(&link)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let key = link.split("klucz=").nth(1).expect("a key");
    // Only the fields a reply may change: the district is not one.
    let mut reply: Vec<_> = idea
        .iter()
        .filter(|(name, _)| *name != "district")
        .copied()
        .collect();
    reply.extend([("cost", ""), ("klucz", key)]);
    let path = link.split('?').next().expect("a path");
    let (status, body) = d.send(panel_post(path, None, &reply)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert!(
        d.mail.sent_to(&expert.email),
        "the unit's verifier was not told of the reply"
    );
    let (status, _) = d.panel_page(routes::PANEL_IDEAS, &office).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_grants_exactly_what_its_function_calls() {
    let mut deployment = Deployment::new().await;
    run_stories(&mut deployment).await;
    run_panel_stories(&mut deployment).await;
    run_idea_stories(&mut deployment).await;
    deployment.publish_from_panel().await;
    let (functions, used) = (&deployment.functions, &deployment.used);

    // The stories reached every function that serves a route, and the purge.
    for function in functions
        .iter()
        .filter(|f| !f.routes.is_empty() || !f.triggers.is_empty())
    {
        assert!(
            used.get(&function.name)
                .is_some_and(|calls| !calls.is_empty()),
            "the stories never reached {}",
            function.name
        );
    }
    recorded_calls_are_kept(functions, used);
    let problems = problems(functions, used);
    assert!(
        problems.is_empty(),
        "infra/template.yaml and the functions disagree:\n{}\n(used: {used:#?})",
        problems.join("\n")
    );

    // And the comparison catches a permission removed from any role.
    for (index, function) in functions.iter().enumerate() {
        for action in &function.granted {
            let mut without = functions.clone();
            without[index].granted.remove(action);
            let found = self::problems(&without, used);
            assert!(
                found
                    .iter()
                    .any(|p| p.contains(&function.name) && p.contains(action.as_str())),
                "removing {action} from {} went unnoticed",
                function.role
            );
        }
    }
}

/// `infra/function-calls.json` holds what the stories recorded, function
/// by function, for review in a pull request and for `infra/check.sh`,
/// which compares it with the roles without running anything.
fn recorded_calls_are_kept(functions: &[Function], used: &BTreeMap<String, BTreeSet<String>>) {
    let every: BTreeMap<&str, Vec<&str>> = functions
        .iter()
        .map(|f| {
            let calls = used.get(&f.name).into_iter().flatten().map(String::as_str);
            (f.name.as_str(), calls.collect())
        })
        .collect();
    let text = serde_json::to_string_pretty(&every).expect("JSON") + "\n";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/function-calls.json");
    if std::env::var_os("AGORA_WRITE_FIXTURES").is_some() {
        std::fs::write(&path, &text).expect("written");
    }
    let kept = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        kept, text,
        "infra/function-calls.json is not what the functions call: run AGORA_WRITE_FIXTURES=1 cargo test -p agora-functions --test roles, review the change and the roles in infra/template.yaml"
    );
}

#[test]
fn the_template_is_read_as_api_gateway_routes_it() {
    let functions = template_functions();
    let named = |name: &str| {
        functions
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no {name} in the template"))
    };
    let confirm = named("ConfirmFunction");
    assert_eq!(confirm.role, "ConfirmRole");
    assert!(confirm
        .routes
        .contains(&("POST".to_owned(), "/api/forms/{id}/potwierdz".to_owned())));
    assert!(serves(
        "/api/forms/{id}/potwierdz",
        "/api/forms/spacer/potwierdz?token=x"
    ));
    assert!(!serves("/api/forms/{id}", "/api/forms/spacer/potwierdz"));
    assert!(!serves("/api/forms/{id}", "/api/forms/"));
    assert!(serves("/panel/{proxy+}", "/panel/logowanie/link?token=x"));
    assert!(serves("/panel/{proxy+}", "/panel/konta"));
    assert!(!serves("/panel/{proxy+}", "/panel/"));
    assert!(!serves("/panel/{proxy+}", "/api/forms/spacer"));
    // The authorizer calls nothing, and is granted nothing.
    assert!(named("OriginVerifyFunction").granted.is_empty());
}

#[test]
fn every_route_of_the_router_reaches_a_function() {
    use agora_core::routes::{
        CONFIRM, FORM, IDEA, PANEL, PANEL_ACCOUNTS, PANEL_ACCOUNT_REMOVE, PANEL_AUDIT, PANEL_IDEA,
        PANEL_IDEAS, PANEL_IDEA_ANSWER, PANEL_IDEA_ASSIGN, PANEL_IDEA_RESEND, PANEL_LINK,
        PANEL_SIGN_IN, PANEL_SIGN_OUT, PANEL_SIGN_OUT_EVERYWHERE, RECEIVED, SENT, WITHDRAW,
    };
    let functions = template_functions();
    for (method, route) in [
        ("GET", FORM),
        ("POST", FORM),
        ("GET", RECEIVED),
        ("GET", SENT),
        ("GET", CONFIRM),
        ("POST", CONFIRM),
        ("GET", WITHDRAW),
        ("POST", WITHDRAW),
        ("GET", PANEL),
        ("GET", PANEL_SIGN_IN),
        ("POST", PANEL_SIGN_IN),
        ("GET", PANEL_LINK),
        ("POST", PANEL_LINK),
        ("POST", PANEL_SIGN_OUT),
        ("POST", PANEL_SIGN_OUT_EVERYWHERE),
        ("GET", PANEL_ACCOUNTS),
        ("POST", PANEL_ACCOUNTS),
        ("POST", PANEL_ACCOUNT_REMOVE),
        ("GET", PANEL_AUDIT),
        ("GET", IDEA),
        ("POST", IDEA),
        ("GET", PANEL_IDEAS),
        ("GET", PANEL_IDEA),
        ("POST", PANEL_IDEA_ASSIGN),
        ("POST", PANEL_IDEA_ANSWER),
        ("POST", PANEL_IDEA_RESEND),
    ] {
        let serving: Vec<&str> = functions
            .iter()
            .filter(|f| {
                f.routes
                    .iter()
                    .any(|(m, p)| m == method && serves(p, route))
            })
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(
            serving.len(),
            1,
            "{method} {route} must be served by the HttpApi events of exactly one function of infra/template.yaml, not {serving:?}"
        );
    }
}
