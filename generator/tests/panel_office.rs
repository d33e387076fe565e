//! `agora panel office`: the deploy gives the panel function the office
//! accounts `agora.yaml` lists (infra/README.md, "The staff workspace"),
//! in the form of the stack's `PanelOffice` parameter: canonical
//! addresses separated by commas, an empty line for none, and a failure
//! naming the line when an address is not one.

// Each test file uses part of the shared helpers.
#[allow(dead_code)]
mod common;

use std::process::Command;

use agora_site::config::Config;
use common::{workspace_dir, TempSite};

/// A copy of the real `agora.yaml` whose `panel: office:` is `office`.
fn site_with_office(office: &str) -> TempSite {
    let text = std::fs::read_to_string(workspace_dir().join("agora.yaml"))
        .expect("read the real agora.yaml");
    let listed = "  office: []\n";
    assert!(
        text.contains(listed),
        "the real agora.yaml lists no office; this test replaces its empty list"
    );
    let site = TempSite::empty();
    site.write("agora.yaml", &text.replacen(listed, office, 1));
    site
}

/// `agora panel office --root ROOT`: success, standard output, standard error.
fn panel_office(root: &std::path::Path) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_agora"))
        .args(["panel", "office", "--root"])
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
