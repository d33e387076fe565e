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
//! | `AGORA_ADDRESS_SALT` | a secret mixed into hashed client addresses and signing fill-time stamps, the same in every function (required) |
//! | `AGORA_RATE_LIMIT` | submissions per address in ten minutes (default 20) |
//! | `AGORA_MIN_FILL_SECONDS` | the least time to fill a form in (default 3) |
//! | `AGORA_CLIENT_ADDRESS_HEADER` | a header naming the resident's address when a CDN is in front (`CloudFront-Viewer-Address`); see [`super::HttpSettings`] |

use std::path::{Path, PathBuf};
use std::sync::Arc;

use agora_core::forms::{self, FormDefinition};
use agora_core::service::{Service, Settings};
use agora_core::store::Store;
use agora_stores::mail_ses::SesMailer;

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
    #[error("the forms could not be loaded:\n{0}")]
    Forms(String),
}

impl Environment {
    pub fn from_env() -> Result<Self, SetupError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SetupError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let required = |name: &'static str| get(name).ok_or(SetupError::Missing(name));
        let number = |name: &'static str, default: i64| match get(name) {
            None => Ok(default),
            Some(value) => value
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or(SetupError::NotANumber { name, value }),
        };
        let mail_from = required("AGORA_MAIL_FROM")?;
        let rate_limit = number("AGORA_RATE_LIMIT", 20)?;
        Ok(Self {
            table: required("AGORA_TABLE")?,
            dynamodb_endpoint: get("AGORA_DYNAMODB_ENDPOINT"),
            forms_dir: PathBuf::from(
                get("AGORA_FORMS_DIR").unwrap_or_else(|| "content".to_owned()),
            ),
            settings: Settings {
                public_url: required("AGORA_PUBLIC_URL")?,
                rate_limit: u32::try_from(rate_limit).map_err(|_| SetupError::NotANumber {
                    name: "AGORA_RATE_LIMIT",
                    value: rate_limit.to_string(),
                })?,
                min_fill_seconds: number("AGORA_MIN_FILL_SECONDS", 3)?,
                address_salt: required("AGORA_ADDRESS_SALT")?,
                contact_email: get("AGORA_CONTACT_EMAIL").unwrap_or_else(|| mail_from.clone()),
            },
            mail_from,
            ses_configuration_set: get("AGORA_SES_CONFIGURATION_SET"),
            http: super::HttpSettings {
                trusted_proxy: false,
                client_address_header: get("AGORA_CLIENT_ADDRESS_HEADER"),
                // API Gateway invokes the function with the whole body.
                body_read_timeout: None,
            },
        })
    }
}

/// Loads every form of `dir`: a content folder (with `forms/` and
/// `data/`) or its `forms/` folder. Errors name files and lines.
pub fn load_forms(dir: &Path) -> Result<Vec<FormDefinition>, SetupError> {
    let content = if dir.join(forms::FORMS_DIR).is_dir() {
        dir.to_path_buf()
    } else {
        dir.parent().map(Path::to_path_buf).unwrap_or_default()
    };
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

/// Builds the service over `store` with the SES mailer and answers
/// Lambda's events with the router until the function is stopped. The
/// SDK clients are made once, here, and lent to every request.
pub async fn run<S: Store + 'static>(
    environment: Environment,
    store: S,
) -> Result<(), lambda_http::Error> {
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
    let service = Arc::new(Service::new(forms, store, mailer, environment.settings));
    lambda_http::run(super::router_with(
        service,
        super::system_clock(),
        environment.http,
    ))
    .await
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn settings_come_from_the_environment() {
        let vars: HashMap<&str, &str> = HashMap::from([
            ("AGORA_TABLE", "agora"),
            ("AGORA_PUBLIC_URL", "https://example.org"),
            ("AGORA_MAIL_FROM", "noreply@example.org"),
            ("AGORA_ADDRESS_SALT", "sekret"),
            ("AGORA_RATE_LIMIT", "7"),
        ]);
        let environment = Environment::from_lookup(|name| vars.get(name).map(|v| (*v).to_owned()))
            .expect("valid settings");
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
