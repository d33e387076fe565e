//! The verifying units of `content/data/<units>.yaml`: who answers ideas.
//! The office assigns each idea to one of them; a verifier's panel
//! account names its unit by the unit's id.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::diagnostics::Diagnostic;
use crate::forms::is_identifier;
use crate::yaml_lines::Lines;

/// A city department or agency whose experts answer ideas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    /// Short and fit for a URL (`zzm`); accounts and records keep it.
    pub id: String,
    /// In Polish, as residents and staff read it.
    pub name: String,
}

/// The units file of a form with `preverification:`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Units {
    pub units: Vec<Unit>,
    /// `example: true`: the list only shows the file's shape and names no
    /// real unit; `agora check` warns until it is replaced.
    #[serde(default)]
    pub example: bool,
}

/// A units file read and checked: its units, and what the editor should
/// know that does not stop the form from loading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub units: Units,
    pub warnings: Vec<Diagnostic>,
}

const KEYS_HINT: &str = "a units file holds `units:`, a list of `{ id: zzm, name: \"…\" }`, \
     and optionally `example: true`";

impl Units {
    pub fn get(&self, id: &str) -> Option<&Unit> {
        self.units.iter().find(|unit| unit.id == id)
    }

    /// Parses and checks the units file `file` (named in diagnostics as
    /// given): at least one unit, each with an id fit for a URL that no
    /// other unit has, and a name.
    pub fn parse(text: &str, file: &Path) -> Result<Parsed, Vec<Diagnostic>> {
        let units: Units = serde_yaml::from_str(text).map_err(|e| {
            vec![Diagnostic::new(file, crate::forms::yaml_cause(&e))
                .at_line(e.location().map(|l| l.line()))
                .hint(KEYS_HINT)]
        })?;
        let lines = Lines::new(text);
        let problems = units.problems(file, &lines);
        if !problems.is_empty() {
            return Err(problems);
        }
        let warnings = units.example_warning(file, &lines).into_iter().collect();
        Ok(Parsed { units, warnings })
    }

    fn problems(&self, file: &Path, lines: &Lines<'_>) -> Vec<Diagnostic> {
        if self.units.is_empty() {
            return vec![Diagnostic::new(file, "the file lists no verifying unit")
                .at_line(lines.key("units"))
                .hint("list the units the office assigns ideas to: `- { id: zzm, name: \"Zarząd Zieleni Miejskiej\" }`")];
        }
        let mut seen = HashSet::new();
        let mut problems = Vec::new();
        for (index, unit) in self.units.iter().enumerate() {
            let at = |key: &str, message: String, hint: &str| {
                Diagnostic::new(file, message)
                    .at_line(lines.in_item("units", index, key))
                    .hint(hint)
            };
            if !is_identifier(&unit.id) {
                problems.push(at(
                    "id",
                    format!("`{}` cannot be a unit's id", unit.id),
                    "use lowercase letters, digits and hyphens, starting with a letter (`zzm`): the id goes in links and panel accounts",
                ));
            } else if !seen.insert(unit.id.as_str()) {
                problems.push(at(
                    "id",
                    format!("the unit id `{}` is used twice", unit.id),
                    "each unit needs its own id",
                ));
            }
            if unit.name.trim().is_empty() {
                problems.push(at(
                    "name",
                    format!("the unit `{}` has no name", unit.id),
                    "give the unit's full name, as residents will read it",
                ));
            }
        }
        problems
    }

    fn example_warning(&self, file: &Path, lines: &Lines<'_>) -> Option<Diagnostic> {
        self.example.then(|| {
            Diagnostic::new(
                file,
                format!(
                    "the verifying units in {} are an example: replace them with the units the office works with",
                    file.display()
                ),
            )
            .at_line(lines.key("example"))
            .hint("list the real units under `units:`, then remove `example: true`")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "content/data/jednostki.yaml";

    fn parse(text: &str) -> Result<Parsed, Vec<String>> {
        Units::parse(text, Path::new(FILE))
            .map_err(|problems| problems.iter().map(ToString::to_string).collect())
    }

    fn problems(text: &str) -> Vec<String> {
        parse(text).expect_err("a bad units file")
    }

    #[test]
    fn reads_the_units_and_finds_one_by_id() {
        let parsed = parse(
            "units:\n  - { id: zzm, name: Zarząd Zieleni Miejskiej }\n  - id: zdmk\n    name: Zarząd Dróg\n",
        )
        .expect("valid");
        assert!(parsed.warnings.is_empty());
        assert!(!parsed.units.example);
        assert_eq!(
            parsed.units.get("zdmk").map(|u| u.name.as_str()),
            Some("Zarząd Dróg")
        );
        assert_eq!(parsed.units.get("zz"), None);
    }

    #[test]
    fn an_example_list_loads_with_a_warning_on_its_line() {
        let parsed = parse("# Przykład.\nexample: true\nunits:\n  - { id: zzm, name: ZZM }\n")
            .expect("valid");
        assert!(parsed.units.example);
        let warnings: Vec<String> = parsed.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].starts_with(
                "content/data/jednostki.yaml:2: the verifying units in content/data/jednostki.yaml are an example: replace them with the units the office works with"
            ),
            "{warnings:?}"
        );
    }

    #[test]
    fn ids_fit_for_urls_and_unique_and_names_not_empty() {
        let found = problems(
            "units:\n  - { id: zzm, name: A }\n  - { id: Zarząd, name: B }\n  - id: zzm\n    name: C\n  - id: sport\n    name: \" \"\n",
        );
        assert_eq!(found.len(), 3, "{found:#?}");
        assert!(
            found[0].starts_with("content/data/jednostki.yaml:3: `Zarząd` cannot be a unit's id")
        );
        assert!(
            found[1].starts_with("content/data/jednostki.yaml:4: the unit id `zzm` is used twice")
        );
        assert!(found[2].starts_with("content/data/jednostki.yaml:7: the unit `sport` has no name"));
    }

    #[test]
    fn an_empty_list_or_an_unknown_key_is_a_problem() {
        let found = problems("example: true\nunits: []\n");
        assert!(
            found[0].starts_with("content/data/jednostki.yaml:2: the file lists no verifying unit")
        );
        let found = problems("units:\n  - { id: zzm, nazwa: ZZM }\n");
        assert!(
            found[0].starts_with("content/data/jednostki.yaml:2: "),
            "{found:?}"
        );
        assert!(found[0].contains("unknown field `nazwa`"), "{found:?}");
    }
}
