//! `agora panel office` and `agora panel audit-days`: the staff
//! workspace's settings as `agora.yaml` gives them under `panel:`, in the
//! form of the stack's parameters (`PanelOffice`, `PanelAuditDays`). The
//! deploy passes these to the panel function
//! (`.github/workflows/deploy.yml`), so `agora serve` and the function
//! read one reviewed file, never two sources that drift apart.

use std::path::PathBuf;

use agora_site::config::Config;
use agora_site::Diagnostics;

/// Operators: the staff workspace's settings in `agora.yaml`.
#[derive(clap::Subcommand)]
pub(crate) enum PanelCommand {
    /// Print the office's addresses (agora.yaml's panel.office) as the
    /// stack's PanelOffice parameter: separated by commas, no spaces; an
    /// empty line when none is listed.
    Office {
        /// The site's folder: holds agora.yaml.
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
    /// Print how many days the audit log keeps a line (agora.yaml's
    /// panel.audit_days) as the stack's PanelAuditDays parameter; an empty
    /// line when it is not set (the stack's default applies).
    AuditDays {
        /// The site's folder: holds agora.yaml.
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
}

/// The command's output line, or why `agora.yaml` cannot give it.
pub(crate) fn run(command: PanelCommand) -> Result<String, String> {
    let (PanelCommand::Office { root } | PanelCommand::AuditDays { root }) = &command;
    let config =
        Config::load(root).map_err(|problems| Diagnostics::sorted(problems).to_string())?;
    match command {
        // Loading checked each address and made it canonical, as `agora
        // serve` compares them: none holds a comma or white space.
        PanelCommand::Office { .. } => Ok(format!("{}\n", config.panel.office.join(","))),
        PanelCommand::AuditDays { .. } => Ok(audit_days(&config)),
    }
}

/// `panel.audit_days` (`Config::load` refused a number the stack would
/// refuse), or an empty line: the stack's default applies.
fn audit_days(config: &Config) -> String {
    config
        .panel
        .audit_days
        .map_or_else(|| "\n".to_owned(), |days| format!("{days}\n"))
}
