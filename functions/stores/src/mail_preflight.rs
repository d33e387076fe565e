//! Whether Amazon SES is ready to send the forms' e-mail, as an operator
//! asks before the first deploy and before each recruitment (`agora mail
//! check`): every form needs its confirmation e-mail, so a form opened on
//! an account still in the SES sandbox, or from an unverified sender,
//! takes registrations that nobody can confirm.

use aws_sdk_sesv2::error::ProvideErrorMetadata;
use aws_sdk_sesv2::types::DkimStatus;

/// One finding: what was checked, whether it is ready, and what to do if
/// not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub ready: bool,
    pub what: String,
    pub to_do: Option<String>,
}

impl Finding {
    fn ready(what: impl Into<String>) -> Self {
        Self {
            ready: true,
            what: what.into(),
            to_do: None,
        }
    }

    fn not_ready(what: impl Into<String>, to_do: impl Into<String>) -> Self {
        Self {
            ready: false,
            what: what.into(),
            to_do: Some(to_do.into()),
        }
    }
}

/// Asks SES in `region` (else the environment's, else eu-central-1) with
/// the usual AWS credentials, and words the findings: the report, and
/// whether everything is ready.
pub async fn run(
    sender: &str,
    configuration_set: Option<&str>,
    region: Option<String>,
    endpoint: Option<String>,
) -> (String, bool) {
    let mut loader = crate::aws::config_loader().region(crate::aws::region(region, "eu-central-1"));
    if let Some(endpoint) = endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    let config = loader.load().await;
    let region = config
        .region()
        .map_or_else(|| "eu-central-1".to_owned(), ToString::to_string);
    let client = aws_sdk_sesv2::Client::new(&config);
    let findings = check(&client, sender, configuration_set).await;
    report(&region, sender, &findings)
}

/// Asks SES about the account, the sender's identity (its domain, else
/// the address itself) and, when given, the configuration set.
pub async fn check(
    client: &aws_sdk_sesv2::Client,
    sender: &str,
    configuration_set: Option<&str>,
) -> Vec<Finding> {
    let mut findings = account(client).await;
    findings.extend(identity(client, sender).await);
    if let Some(set) = configuration_set {
        findings.push(match client.get_configuration_set().configuration_set_name(set).send().await {
            Ok(_) => Finding::ready(format!("the configuration set {set} exists (bounces and complaints are recorded)")),
            Err(error) if error.code() == Some("NotFoundException") => Finding::not_ready(
                format!("there is no configuration set {set}"),
                "deploy the stack (it creates the set), or give the name of its output MailConfigurationSet",
            ),
            Err(error) => unanswered("the configuration set", &error),
        });
    }
    findings
}

async fn account(client: &aws_sdk_sesv2::Client) -> Vec<Finding> {
    let account = match client.get_account().send().await {
        Ok(account) => account,
        Err(error) => return vec![unanswered("the account", &error)],
    };
    let mut findings = Vec::new();
    findings.push(if account.production_access_enabled() {
        let quota = account.send_quota().map_or_else(String::new, |quota| {
            format!(
                " (up to {:.0} e-mails a day, {:.0} a second)",
                quota.max24_hour_send(),
                quota.max_send_rate()
            )
        });
        Finding::ready(format!("production access: e-mail goes to any address{quota}"))
    } else {
        Finding::not_ready(
            "the account is in the SES sandbox: it sends only to addresses verified in SES, so residents get no confirmation e-mail",
            "request production access in this region (SES console, Account dashboard, \"Request production access\"; or aws sesv2 put-account-details), and wait for AWS's answer before a form opens",
        )
    });
    findings.push(if account.sending_enabled() {
        Finding::ready("sending is enabled")
    } else {
        Finding::not_ready(
            "sending is paused for the account",
            "read AWS's message in the SES console (a high bounce or complaint rate pauses it) and ask AWS to resume it",
        )
    });
    if let Some(status) = account.enforcement_status().filter(|s| *s != "HEALTHY") {
        findings.push(Finding::not_ready(
            format!("the account's enforcement status is {status}"),
            "SES is reviewing the account (bounces or complaints): see the SES console's reputation metrics",
        ));
    }
    findings
}

async fn identity(client: &aws_sdk_sesv2::Client, sender: &str) -> Vec<Finding> {
    let domain = sender.rsplit_once('@').map_or(sender, |(_, domain)| domain);
    // The stack verifies the domain; an address may be verified alone.
    for candidate in [domain, sender] {
        match client
            .get_email_identity()
            .email_identity(candidate)
            .send()
            .await
        {
            Ok(identity) => {
                let verified = if identity.verified_for_sending_status() {
                    Finding::ready(format!("{candidate} is verified for sending"))
                } else {
                    Finding::not_ready(
                        format!("{candidate} is not verified for sending yet"),
                        "publish its DKIM records (the stack's output SenderDkimRecords) in the domain's DNS, then wait for SES to see them (minutes to 72 hours)",
                    )
                };
                let dkim = match identity.dkim_attributes().and_then(|d| d.status()) {
                    Some(DkimStatus::Success) => Finding::ready("DKIM signing works (SUCCESS)"),
                    Some(status) => Finding::not_ready(
                        format!("DKIM is {}", status.as_str()),
                        "publish the three DKIM CNAME records of SenderDkimRecords exactly as given, and check them with dig CNAME <name>",
                    ),
                    None => Finding::not_ready("DKIM is not set up", "deploy the stack: it sets up DKIM for the sender's domain"),
                };
                return vec![verified, dkim];
            }
            Err(error) if error.code() == Some("NotFoundException") => continue,
            Err(error) => return vec![unanswered("the sender's identity", &error)],
        }
    }
    vec![Finding::not_ready(
        format!("SES knows neither {domain} nor {sender} as an identity in this region"),
        "deploy the stack (it creates the identity of SenderAddress's domain), or check the region (--region)",
    )]
}

/// SES did not answer the question: the finding names its error code
/// (AccessDenied, no credentials), which holds no personal data.
fn unanswered<E: ProvideErrorMetadata, R>(
    what: &str,
    error: &aws_sdk_sesv2::error::SdkError<E, R>,
) -> Finding {
    // The error code, else what kind of failure (no network, a timeout).
    let code = error
        .code()
        .map_or_else(|| crate::mail_ses::describe(error), str::to_owned);
    Finding::not_ready(
        format!("SES could not be asked about {what} ({code})"),
        "run with credentials allowed ses:GetAccount, ses:GetEmailIdentity and ses:GetConfigurationSet in the stack's region",
    )
}

/// The findings as lines for the operator; the second value is whether
/// everything is ready.
pub fn report(region: &str, sender: &str, findings: &[Finding]) -> (String, bool) {
    let mut out = format!("Amazon SES in {region}, sending as {sender}:\n");
    for finding in findings {
        let mark = if finding.ready { "ok     " } else { "NOT YET" };
        out.push_str(&format!("  {mark} {}\n", finding.what));
        if let Some(to_do) = &finding.to_do {
            out.push_str(&format!("          to do: {to_do}\n"));
        }
    }
    let ready = !findings.is_empty() && findings.iter().all(|f| f.ready);
    out.push_str(if ready {
        "SES is ready: the forms' e-mail will reach residents.\n"
    } else {
        "SES is not ready: residents would not get their confirmation e-mails. Fix the lines marked NOT YET before a form opens.\n"
    });
    (out, ready)
}
