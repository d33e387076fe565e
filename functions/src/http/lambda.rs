//! What the Lambda entry points (`src/bin/`) share: their settings from
//! the environment, the forms, the SES mailer, and running the router
//! with `lambda_http`. Each function runs the whole router; API Gateway
//! sends it only its own routes.
//!
//! | variable | meaning |
//! |---|---|
//! | `AGORA_TABLE` | the DynamoDB table (required) |
//! | `AGORA_DYNAMODB_ENDPOINT` | another DynamoDB endpoint (DynamoDB Local) |
//! | `AGORA_FORMS_DIR` | the folder holding `forms/` and `data/` (a copy of `content/`), or the `forms/` folder itself; default `content` beside the function |
//! | `AGORA_PUBLIC_URL` | the site's address, for links in e-mails and pages (required) |
//! | `AGORA_MAIL_FROM` | the verified SES sender (required) |
//! | `AGORA_SES_CONFIGURATION_SET` | the SES configuration set that reports bounces and complaints (the stack's; optional) |
//! | `AGORA_CONTACT_EMAIL` | shown to residents; default `AGORA_MAIL_FROM` |
//! | `AGORA_ADDRESS_SALT` | a secret mixed into hashed client addresses and signing fill-time stamps, the same in every function (required); the staff workspace keys its CSRF tokens with it |
//! | `AGORA_RATE_LIMIT` | submissions per address in ten minutes (default 20) |
//! | `AGORA_MIN_FILL_SECONDS` | the least time to fill a form in (default 3) |
//! | `AGORA_CLIENT_ADDRESS_HEADER` | a header naming the resident's address when a CDN is in front (`CloudFront-Viewer-Address`); see [`super::HttpSettings`] |
//! | `AGORA_PANEL_OFFICE` | the staff workspace's office accounts, addresses separated by commas or spaces (`agora.yaml`'s `panel.office`); none: nobody can sign in |
//! | `AGORA_AUDIT_DAYS` | how many days the workspace's audit log keeps a line (default 365, as `panel.audit_days`) |
//! | `AGORA_SITE_TITLE` | the site's name in the workspace's sign-in e-mail (default `Agora`) |
//! | `AGORA_TIMEZONE` | the zone the workspace shows times in (default `Europe/Warsaw`) |
//! | `AGORA_PUBLISH_BUILD` | the CodeBuild project that rebuilds the site from what the workspace, a withdrawal or the purge publishes (the stack's); unset, publishing fails saying so |
//! | `AGORA_CODEBUILD_ENDPOINT` | another CodeBuild endpoint (a stand-in) |

use std::path::{Path, PathBuf};
use std::sync::Arc;

use agora_core::forms::{self, email, FormDefinition};
use agora_core::ideas::IdeaRecords;
use agora_core::panel::access::DEFAULT_AUDIT_DAYS;
use agora_core::panel::access::{LINKS_PER_ADDRESS, LINKS_PER_CLIENT};
use agora_core::panel::ambassadors::ListKeeper;
use agora_core::panel::notify::JoinNotice;
use agora_core::panel::{AccessSettings, PanelStore, Publisher, StaffRecords, Timeouts};
use agora_core::service::{Service, Settings};
use agora_core::store::{Store, StoreError};
use agora_stores::dynamodb::published::DynamoPublisher;
use agora_stores::dynamodb::DynamoStore;
use agora_stores::mail_ses::SesMailer;

const DEFAULT_SITE_TITLE: &str = "Agora";
const DEFAULT_TIMEZONE: chrono_tz::Tz = chrono_tz::Europe::Warsaw;

/// The Lambda functions' settings, read once at start.
#[derive(Clone)]
pub struct Environment {
    pub table: String,
    pub dynamodb_endpoint: Option<String>,
    pub forms_dir: PathBuf,
    pub mail_from: String,
    pub ses_configuration_set: Option<String>,
    pub settings: Settings,
    pub http: super::HttpSettings,
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The salt is a secret.
        f.debug_struct("Environment")
            .field("table", &self.table)
            .field("dynamodb_endpoint", &self.dynamodb_endpoint)
            .field("forms_dir", &self.forms_dir)
            .field("mail_from", &self.mail_from)
            .field("public_url", &self.settings.public_url)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("the environment variable {0} is required")]
    Missing(&'static str),
    #[error("the environment variable {name} must be a whole number, not `{value}`")]
    NotANumber { name: &'static str, value: String },
    /// A value the variable cannot take; `expected` says what it takes.
    #[error("the environment variable {name} holds `{value}`, which is not {expected}")]
    Invalid {
        name: &'static str,
        value: String,
        expected: String,
    },
    #[error("the forms could not be loaded:\n{0}")]
    Forms(String),
}

/// The variables as `lookup` gives them, trimmed; an empty one is unset.
struct Variables<F>(F);

impl<F: Fn(&str) -> Option<String>> Variables<F> {
    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    fn required(&self, name: &'static str) -> Result<String, SetupError> {
        self.get(name).ok_or(SetupError::Missing(name))
    }

    /// A whole number, not negative; `default` while unset.
    fn number(&self, name: &'static str, default: i64) -> Result<i64, SetupError> {
        match self.get(name) {
            None => Ok(default),
            Some(value) => value
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or(SetupError::NotANumber { name, value }),
        }
    }

    /// Addresses separated by commas or white space, each canonical.
    fn addresses(&self, name: &'static str) -> Result<Vec<String>, SetupError> {
        let listed = self.get(name).unwrap_or_default();
        listed
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|typed| !typed.is_empty())
            .map(|typed| {
                email::canonical(typed).map_err(|_| SetupError::Invalid {
                    name,
                    value: typed.to_owned(),
                    expected: "one e-mail address".to_owned(),
                })
            })
            .collect()
    }

    fn timezone(&self, name: &'static str) -> Result<chrono_tz::Tz, SetupError> {
        match self.get(name) {
            None => Ok(DEFAULT_TIMEZONE),
            Some(value) => value.parse().map_err(|_| SetupError::Invalid {
                name,
                value,
                expected: "a time zone of the IANA database, e.g. Europe/Warsaw".to_owned(),
            }),
        }
    }
}

impl Environment {
    pub fn from_env() -> Result<Self, SetupError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The staff workspace's settings, read only by the panel function:
    /// its own variables, and the forms' address and secret.
    pub fn access_from_lookup(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<AccessSettings, SetupError> {
        access_settings(&Variables(lookup), &self.settings)
    }

    /// Reads the settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SetupError> {
        let vars = Variables(lookup);
        let mail_from = vars.required("AGORA_MAIL_FROM")?;
        let rate_limit = vars.number("AGORA_RATE_LIMIT", 20)?;
        let settings = Settings {
            public_url: vars.required("AGORA_PUBLIC_URL")?,
            rate_limit: u32::try_from(rate_limit).map_err(|_| SetupError::NotANumber {
                name: "AGORA_RATE_LIMIT",
                value: rate_limit.to_string(),
            })?,
            min_fill_seconds: vars.number("AGORA_MIN_FILL_SECONDS", 3)?,
            address_salt: vars.required("AGORA_ADDRESS_SALT")?,
            contact_email: vars
                .get("AGORA_CONTACT_EMAIL")
                .unwrap_or_else(|| mail_from.clone()),
        };
        let forms_dir = PathBuf::from(
            vars.get("AGORA_FORMS_DIR")
                .unwrap_or_else(|| "content".to_owned()),
        );
        Ok(Self {
            table: vars.required("AGORA_TABLE")?,
            dynamodb_endpoint: vars.get("AGORA_DYNAMODB_ENDPOINT"),
            settings,
            mail_from,
            ses_configuration_set: vars.get("AGORA_SES_CONFIGURATION_SET"),
            http: super::HttpSettings {
                trusted_proxy: false,
                client_address_header: vars.get("AGORA_CLIENT_ADDRESS_HEADER"),
                // API Gateway invokes the function with the whole body.
                body_read_timeout: None,
                content_dir: Some(content_folder(&forms_dir)),
                ..super::HttpSettings::default()
            },
            forms_dir,
        })
    }

    /// The table the settings name, at their endpoint if they name one.
    pub async fn dynamo_store(&self) -> Result<DynamoStore, StoreError> {
        DynamoStore::from_env(self.table.clone(), self.dynamodb_endpoint.clone()).await
    }
}

/// The staff workspace's settings: its own variables, and the forms'
/// address and secret, as `agora serve` makes them from `agora.yaml`.
fn access_settings<F: Fn(&str) -> Option<String>>(
    vars: &Variables<F>,
    forms: &Settings,
) -> Result<AccessSettings, SetupError> {
    Ok(AccessSettings {
        office: vars.addresses("AGORA_PANEL_OFFICE")?,
        public_url: forms.public_url.clone(),
        site_title: vars
            .get("AGORA_SITE_TITLE")
            .unwrap_or_else(|| DEFAULT_SITE_TITLE.to_owned()),
        timezone: vars.timezone("AGORA_TIMEZONE")?,
        key: forms.address_salt.clone(),
        timeouts: Timeouts::default(),
        audit_days: audit_days(vars)?,
        links_per_address: LINKS_PER_ADDRESS,
        links_per_client: LINKS_PER_CLIENT,
    })
}

/// `AGORA_AUDIT_DAYS`: at least a day, or the log would forget each line
/// as it is written.
fn audit_days<F: Fn(&str) -> Option<String>>(vars: &Variables<F>) -> Result<i64, SetupError> {
    const NAME: &str = "AGORA_AUDIT_DAYS";
    let days = vars.number(NAME, i64::from(DEFAULT_AUDIT_DAYS))?;
    if days < 1 {
        return Err(SetupError::Invalid {
            name: NAME,
            value: days.to_string(),
            expected: "a number of days of at least 1".to_owned(),
        });
    }
    Ok(days)
}

/// Loads every form of `dir`: a content folder (with `forms/` and
/// `data/`) or its `forms/` folder. Errors name files and lines.
pub fn load_forms(dir: &Path) -> Result<Vec<FormDefinition>, SetupError> {
    let content = content_folder(dir);
    let forms = forms::load_site(&content, &content).map_err(|problems| {
        SetupError::Forms(
            problems
                .iter()
                .map(|p| match p.line {
                    Some(line) => format!("{}:{line}: {}", p.file.display(), p.message),
                    None => format!("{}: {}", p.file.display(), p.message),
                })
                .collect::<Vec<_>>()
                .join("\n"),
        )
    })?;
    if forms.is_empty() {
        return Err(SetupError::Forms(format!(
            "{} holds no forms/*.yaml",
            content.display()
        )));
    }
    Ok(forms)
}

/// The content folder `dir` names: itself, or the parent of its `forms/`.
fn content_folder(dir: &Path) -> PathBuf {
    if dir.join(forms::FORMS_DIR).is_dir() {
        dir.to_path_buf()
    } else {
        dir.parent().map(Path::to_path_buf).unwrap_or_default()
    }
}

/// Answers Lambda's events with the forms' router over `store` until the
/// function is stopped.
pub async fn run<S: Store + IdeaRecords + PanelStore + 'static>(
    environment: Environment,
    store: S,
) -> Result<(), lambda_http::Error> {
    let service = service(&environment, store).await?;
    answer(service, environment.http).await
}

/// As [`run`], for the withdrawal function: withdrawing an appointed
/// ambassador publishes the public list again ([`ListKeeper`]), as the
/// workspace's decisions do.
pub async fn run_withdraw<S: Store + StaffRecords + IdeaRecords + PanelStore + 'static>(
    environment: Environment,
    store: S,
) -> Result<(), lambda_http::Error> {
    let keeper = ListKeeper::new(publisher(&environment).await?);
    let service = service(&environment, store)
        .await?
        .after_withdrawal(Arc::new(keeper));
    answer(service, environment.http).await
}

/// As [`run`], for the functions through which a registration comes to
/// count: confirm, and register for a form without double opt-in. The
/// ambassadors of an area are told when someone joins their process
/// ([`JoinNotice`]): the function reads the accounts in the table.
pub async fn run_confirming<S: Store + PanelStore + IdeaRecords + 'static>(
    environment: Environment,
    store: S,
) -> Result<(), lambda_http::Error> {
    let service = service(&environment, store)
        .await?
        .after_confirmation(Arc::new(JoinNotice));
    answer(service, environment.http).await
}

/// Answers Lambda's events with the forms' router over `service`.
async fn answer<S: Store + IdeaRecords + PanelStore + 'static>(
    service: Service<S, SesMailer>,
    http: super::HttpSettings,
) -> Result<(), lambda_http::Error> {
    lambda_http::run(super::router_with_ideas(
        Arc::new(service),
        super::system_clock(),
        http,
    ))
    .await
}

/// As [`run`], with the staff workspace's routes (`/panel/`) merged in:
/// its access rules over the same store and mailer. A withdrawal asked
/// for by staff keeps the ambassadors' list as the resident's does.
pub async fn run_panel<S: Store + PanelStore + StaffRecords + IdeaRecords + Clone + 'static>(
    environment: Environment,
    store: S,
) -> Result<(), lambda_http::Error> {
    let access = environment.access_from_lookup(|name| std::env::var(name).ok())?;
    if access.office.is_empty() {
        eprintln!(
            "agora: AGORA_PANEL_OFFICE lists no address: nobody can sign in to the staff workspace"
        );
    }
    let publisher = publisher(&environment).await?;
    let keeper = Arc::new(ListKeeper::new(Arc::clone(&publisher)));
    let service = Arc::new(service(&environment, store).await?.after_withdrawal(keeper));
    let clock = super::system_clock();
    let router = super::panel::with_forms(service, access, clock, environment.http, publisher);
    lambda_http::run(router).await
}

/// What the functions publish to the static site goes into the table;
/// the stack's CodeBuild project (`AGORA_PUBLISH_BUILD`) rebuilds the
/// site from it.
pub async fn publisher(environment: &Environment) -> Result<Arc<dyn Publisher>, StoreError> {
    let store = environment.dynamo_store().await?;
    Ok(Arc::new(DynamoPublisher::from_env(store).await))
}

/// The forms' service over `store`, mailing through SES. The SDK clients
/// are made once, here, and lent to every request.
async fn service<S: Store>(
    environment: &Environment,
    store: S,
) -> Result<Service<S, SesMailer>, SetupError> {
    super::hide_panic_messages();
    let forms = load_forms(&environment.forms_dir)?;
    let config = agora_stores::aws::config_loader().load().await;
    // A slow SES must not hold the resident's answer past API Gateway's
    // 30 s: the registration is stored already, the e-mail is best effort.
    let ses = aws_sdk_sesv2::config::Builder::from(&config)
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .operation_timeout(std::time::Duration::from_secs(5))
                .build(),
        )
        .build();
    let mailer = SesMailer::new(
        aws_sdk_sesv2::Client::from_conf(ses),
        &environment.mail_from,
    )
    .with_configuration_set(environment.ses_configuration_set.clone());
    Ok(Service::new(
        forms,
        store,
        mailer,
        environment.settings.clone(),
    ))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn settings_come_from_the_environment() {
        let environment = environment_with(&[("AGORA_RATE_LIMIT", "7")]).expect("valid settings");
        assert_eq!(environment.table, "agora");
        assert_eq!(environment.settings.rate_limit, 7);
        assert_eq!(environment.settings.min_fill_seconds, 3);
        assert_eq!(environment.settings.contact_email, "noreply@example.org");
        assert_eq!(environment.forms_dir, PathBuf::from("content"));
        assert!(!format!("{environment:?}").contains("sekret"));

        let missing = Environment::from_lookup(|name| match name {
            "AGORA_TABLE" => None,
            "AGORA_RATE_LIMIT" | "AGORA_MIN_FILL_SECONDS" => Some("5".to_owned()),
            _ => Some("x".to_owned()),
        });
        assert!(matches!(missing, Err(SetupError::Missing("AGORA_TABLE"))));
        let bad = Environment::from_lookup(|name| {
            Some(
                if name == "AGORA_RATE_LIMIT" {
                    "many"
                } else {
                    "x"
                }
                .to_owned(),
            )
        });
        assert!(matches!(
            bad,
            Err(SetupError::NotANumber {
                name: "AGORA_RATE_LIMIT",
                ..
            })
        ));
    }

    /// The settings every function needs, and `extra`.
    fn environment_with(extra: &[(&str, &str)]) -> Result<Environment, SetupError> {
        let vars = variables(extra);
        Environment::from_lookup(|name| vars.get(name).map(|v| (*v).to_owned()))
    }

    fn variables<'a>(extra: &[(&'a str, &'a str)]) -> HashMap<&'a str, &'a str> {
        let mut vars: HashMap<&str, &str> = HashMap::from([
            ("AGORA_TABLE", "agora"),
            ("AGORA_PUBLIC_URL", "https://example.org"),
            ("AGORA_MAIL_FROM", "noreply@example.org"),
            ("AGORA_ADDRESS_SALT", "sekret"),
        ]);
        vars.extend(extra.iter().copied());
        vars
    }

    /// The panel function's settings with `extra`.
    fn access_with(extra: &[(&str, &str)]) -> Result<AccessSettings, SetupError> {
        let vars = variables(extra);
        let lookup = |name: &str| vars.get(name).map(|v| (*v).to_owned());
        Environment::from_lookup(lookup)?.access_from_lookup(lookup)
    }

    #[test]
    fn the_workspace_settings_come_from_the_environment() {
        let defaults = access_with(&[]).expect("valid settings");
        assert!(defaults.office.is_empty());
        assert_eq!(defaults.audit_days, 365);
        assert_eq!(defaults.site_title, "Agora");
        assert_eq!(defaults.timezone, chrono_tz::Europe::Warsaw);
        assert_eq!(defaults.public_url, "https://example.org");
        assert_eq!(defaults.key, "sekret");
        assert_eq!(defaults.links_per_address, LINKS_PER_ADDRESS);

        let set = access_with(&[
            (
                "AGORA_PANEL_OFFICE",
                " Biuro@Example.PL, kasia@example.pl\n  jan@example.pl ,",
            ),
            ("AGORA_AUDIT_DAYS", "730"),
            ("AGORA_SITE_TITLE", "Wspólne Projekty"),
            ("AGORA_TIMEZONE", "Europe/Lisbon"),
        ])
        .expect("valid settings");
        assert_eq!(
            set.office,
            ["biuro@example.pl", "kasia@example.pl", "jan@example.pl"]
        );
        assert_eq!(set.audit_days, 730);
        assert_eq!(set.site_title, "Wspólne Projekty");
        assert_eq!(set.timezone, chrono_tz::Europe::Lisbon);
        let environment = environment_with(&[]).expect("valid settings");
        assert!(!format!("{environment:?}").contains("sekret"));
    }

    #[test]
    fn a_wrong_workspace_setting_names_its_variable() {
        let office = access_with(&[("AGORA_PANEL_OFFICE", "biuro@example.pl, biuro.example.pl")]);
        assert!(
            matches!(&office, Err(SetupError::Invalid { name: "AGORA_PANEL_OFFICE", value, .. }) if value == "biuro.example.pl"),
            "{office:?}"
        );
        let days = access_with(&[("AGORA_AUDIT_DAYS", "rok")]);
        assert!(matches!(
            days,
            Err(SetupError::NotANumber {
                name: "AGORA_AUDIT_DAYS",
                ..
            })
        ));
        let none = access_with(&[("AGORA_AUDIT_DAYS", "0")]);
        assert!(
            matches!(
                &none,
                Err(SetupError::Invalid {
                    name: "AGORA_AUDIT_DAYS",
                    ..
                })
            ),
            "{none:?}"
        );
        let zone = access_with(&[("AGORA_TIMEZONE", "Europe/Krakow")]);
        let message = zone.expect_err("no such zone").to_string();
        assert!(message.contains("AGORA_TIMEZONE"), "{message}");
        assert!(message.contains("Europe/Krakow"), "{message}");
    }

    #[test]
    fn the_krakow_forms_load_from_the_content_folder_or_its_forms_folder() {
        let content = agora_test_support::krakow::content_dir();
        let from_content = load_forms(&content).expect("the Kraków forms");
        let from_forms = load_forms(&content.join("forms")).expect("the Kraków forms");
        assert_eq!(from_content.len(), from_forms.len());
        assert!(from_content.iter().any(|f| f.id == "ambasadorzy"));
        assert!(matches!(
            load_forms(Path::new("/nonexistent/agora")),
            Err(SetupError::Forms(_))
        ));
    }
}
