//! `agora panel office` and `agora panel audit-days`: the deploy gives the
//! panel function the office accounts `agora.yaml` lists and the audit
//! log's days it sets (infra/README.md, "The staff workspace"), in the
//! form of the stack's `PanelOffice` and `PanelAuditDays` parameters:
//! canonical addresses separated by commas, the days, an empty line for
//! none, and a failure naming the line when a value is not one the stack
//! takes.

// Each test file uses part of the shared helpers.
#[allow(dead_code)]
mod common;

use std::process::Command;

use agora_site::config::Config;
use common::{workspace_dir, TempSite};

/// A copy of the real `agora.yaml` whose line `real` (a setting under
/// `panel:` left empty there) is `ours`.
fn site_with(real: &str, ours: &str) -> TempSite {
    let text = std::fs::read_to_string(workspace_dir().join("agora.yaml"))
        .expect("read the real agora.yaml");
    assert!(
        text.contains(real),
        "the real agora.yaml has no {real:?}; this test replaces it"
    );
    let site = TempSite::empty();
    site.write("agora.yaml", &text.replacen(real, ours, 1));
    site
}

/// A copy of the real `agora.yaml` whose `panel: office:` is `office`.
fn site_with_office(office: &str) -> TempSite {
    site_with("  office: []\n", office)
}

/// `agora panel office --root ROOT`: success, standard output, standard error.
fn panel_office(root: &std::path::Path) -> (bool, String, String) {
    panel("office", root)
}

/// `agora panel SETTING --root ROOT`: success, standard output, standard error.
fn panel(setting: &str, root: &std::path::Path) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_agora"))
        .args(["panel", setting, "--root"])
        .arg(root)
        .output()
        .expect("run agora");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn prints_the_listed_addresses_canonical_and_separated_by_commas() {
    let site = site_with_office("  office:\n    - Biuro@Example.PL\n    - kasia@example.pl\n");
    let (ok, out, err) = panel_office(&site.root());
    assert!(ok, "{err}");
    assert_eq!(out, "biuro@example.pl,kasia@example.pl\n");
}

#[test]
fn prints_an_empty_line_when_no_address_is_listed() {
    let site = site_with_office("  office: []\n");
    let (ok, out, err) = panel_office(&site.root());
    assert!(ok, "{err}");
    assert_eq!(out, "\n");
}

#[test]
fn the_real_site_gives_what_agora_serve_reads() {
    let root = workspace_dir();
    let config = Config::load(&root).expect("the real agora.yaml loads");
    let (ok, out, err) = panel_office(&root);
    assert!(ok, "{err}");
    assert_eq!(out, format!("{}\n", config.panel.office.join(",")));
}

#[test]
fn refuses_an_address_that_is_not_one_and_prints_nothing() {
    let site =
        site_with_office("  office:\n    - biuro@example.pl\n    - Biuro <kasia@example.pl>\n");
    let (ok, out, err) = panel_office(&site.root());
    assert!(!ok, "accepted: {out}");
    assert_eq!(out, "");
    assert!(
        err.contains("panel.office") && err.contains("Biuro <kasia@example.pl>"),
        "{err}"
    );
}

#[test]
fn prints_the_audit_days_set_or_an_empty_line() {
    let site = site_with("  audit_days:\n", "  audit_days: 730\n");
    let (ok, out, err) = panel("audit-days", &site.root());
    assert!(ok, "{err}");
    assert_eq!(out, "730\n");

    let unset = site_with("  audit_days:\n", "  audit_days:\n");
    let (ok, out, err) = panel("audit-days", &unset.root());
    assert!(ok, "{err}");
    assert_eq!(out, "\n", "the stack's default applies");

    let root = workspace_dir();
    let config = Config::load(&root).expect("the real agora.yaml loads");
    let (ok, out, err) = panel("audit-days", &root);
    assert!(ok, "{err}");
    let days = config.panel.audit_days.map(|days| days.to_string());
    assert_eq!(out, format!("{}\n", days.unwrap_or_default()));
}

#[test]
fn refuses_audit_days_the_stack_would_refuse_and_prints_nothing() {
    for days in ["0", "3651"] {
        let site = site_with("  audit_days:\n", &format!("  audit_days: {days}\n"));
        let (ok, out, err) = panel("audit-days", &site.root());
        assert!(!ok, "{days} accepted: {out}");
        assert_eq!(out, "");
        assert!(
            err.contains("agora.yaml:")
                && err.contains(&format!(
                    "panel.audit_days: {days} is not between 1 and 3650"
                )),
            "{err}"
        );
    }
}
