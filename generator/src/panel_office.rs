//! `agora panel office`: the staff workspace's office accounts, as
//! `agora.yaml` lists them under `panel: office:`, in the form of the
//! stack's `PanelOffice` parameter. The deploy passes this to the panel
//! function (`.github/workflows/deploy.yml`), so `agora serve` and the
//! function read one reviewed list, never two that drift apart.

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
}

/// The command's output line, or why `agora.yaml` cannot give it.
pub(crate) fn run(command: PanelCommand) -> Result<String, String> {
    let PanelCommand::Office { root } = command;
    let config =
        Config::load(&root).map_err(|problems| Diagnostics::sorted(problems).to_string())?;
    // Loading checked each address and made it canonical, as `agora
    // serve` compares them: none holds a comma or white space.
    Ok(format!("{}\n", config.panel.office.join(",")))
}
