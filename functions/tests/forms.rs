//! The Kraków forms as editors wrote them, and what residents' submissions
//! meet when validated against them.

use std::path::{Path, PathBuf};

use agora_functions::forms::{self, validate, Allocation, FormDefinition, Submission};

fn content_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../content")
}

fn data(name: &str) -> Option<serde_json::Value> {
    let text =
        std::fs::read_to_string(content_dir().join("data").join(format!("{name}.yaml"))).ok()?;
    serde_yaml::from_str(&text).ok()
}

fn krakow_forms() -> Vec<FormDefinition> {
    forms::load_all(&content_dir(), Path::new("content"), &data)
        .expect("the Kraków forms are valid")
}

fn form(id: &str) -> FormDefinition {
    krakow_forms()
        .into_iter()
        .find(|f| f.id == id)
        .expect("the form exists")
}

fn parse(text: &str) -> Result<FormDefinition, Vec<forms::DefinitionError>> {
    FormDefinition::parse("proba", text, Path::new("content/forms/proba.yaml"), &data)
}

const MINIMAL: &str = "title: Próba\nopens: 2020-01-01 00:00\ncloses: 2020-02-01 00:00\nunique_field: email\nretention_days: 30\nfields:\n  - name: email\n    type: email\n    label: E-mail\n";

#[test]
fn the_four_krakow_forms_load() {
    let ids: Vec<String> = krakow_forms().into_iter().map(|f| f.id).collect();
    assert_eq!(
        ids,
        [
            "ambasadorzy",
            "debiuty-w-partycypacji",
            "dolacz-do-procesu",
            "warsztaty-wspolne-projekty-miejskie-2020"
        ]
    );
}

#[test]
fn the_workshops_have_60_places_by_lottery() {
    let workshops = form("warsztaty-wspolne-projekty-miejskie-2020");
    assert_eq!(workshops.allocation, Allocation::Lottery);
    assert_eq!(workshops.capacity, Some(60));
    assert!(workshops.double_opt_in);
}

#[test]
fn ambassadors_choose_one_of_the_18_districts() {
    let ambassadors = form("ambasadorzy");
    let district = ambassadors.field("district").expect("a district field");
    assert_eq!(district.options.len(), 18);
    assert_eq!(
        district.options[8].label,
        "Dzielnica IX Łagiewniki-Borek Fałęcki"
    );
}

fn ambassador(overrides: &[(&str, &str)]) -> Submission {
    let mut pairs = vec![
        ("full_name", "Anna Nowak"),
        ("email", " Anna.Nowak@Example.PL "),
        ("district", "XIII"),
        ("area", "Osiedle Kabel i okolice ul. Wielickiej"),
        ("processing", "on"),
    ];
    for (key, value) in overrides {
        pairs.retain(|(k, _)| k != key);
        pairs.push((key, value));
    }
    Submission::from_pairs(pairs)
}

#[test]
fn a_complete_ambassador_registration_is_accepted_in_normal_form() {
    let accepted = validate(&form("ambasadorzy"), &ambassador(&[])).expect("valid");
    assert_eq!(accepted.unique_key, "anna.nowak@example.pl");
    assert_eq!(accepted.values["email"], "anna.nowak@example.pl");
    assert!(
        !accepted.values.contains_key("phone"),
        "an empty optional field is not stored"
    );
    assert_eq!(accepted.consents.len(), 1);
    assert_eq!(accepted.consents[0].version, "2020-02-19");
}

#[test]
fn fields_the_form_does_not_define_are_not_collected() {
    let accepted = validate(
        &form("ambasadorzy"),
        &ambassador(&[("pesel", "90010112345")]),
    )
    .expect("valid");
    assert!(!accepted.values.contains_key("pesel"));
}

#[test]
fn mistakes_get_specific_polish_messages_in_field_order() {
    let errors = validate(
        &form("ambasadorzy"),
        &ambassador(&[
            ("full_name", ""),
            ("email", "anna@"),
            ("district", "XIX"),
            ("processing", ""),
        ]),
    )
    .expect_err("invalid");
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["full_name", "email", "district", "processing"]);
    assert_eq!(errors[0].message, "Wpisz imię i nazwisko.");
    assert!(
        errors[1].message.contains("poprawnym formacie"),
        "{}",
        errors[1].message
    );
    assert!(
        errors[2].message.contains("podanych"),
        "{}",
        errors[2].message
    );
    assert!(errors[3].message.contains("zgodę"), "{}", errors[3].message);
}

#[test]
fn the_workshop_form_refuses_a_missing_declaration_with_its_own_message() {
    let submission = Submission::from_pairs([
        ("full_name", "Jan Kowalski"),
        ("email", "jan@example.pl"),
        ("processing", "on"),
    ]);
    let errors = validate(
        &form("warsztaty-wspolne-projekty-miejskie-2020"),
        &submission,
    )
    .expect_err("no declaration");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "attends_all");
    assert!(errors[0]
        .message
        .starts_with("Zaznacz deklarację udziału we wszystkich trzech warsztatach"));
}

#[test]
fn organisations_give_a_valid_nip_or_krs_and_a_bounded_description() {
    let debiuty = form("debiuty-w-partycypacji");
    let description =
        "Chcemy zaprosić mieszkańców osiedla na spacer badawczy i warsztat o zieleni.";
    let submit = |number: &str, text: &str| {
        validate(
            &debiuty,
            &Submission::from_pairs([
                ("organisation", "Stowarzyszenie Sąsiedzi"),
                ("registry_number", number),
                ("contact_person", "Ewa Zielińska"),
                ("email", "ewa@example.org"),
                ("description", text),
                ("processing", "on"),
            ]),
        )
    };
    assert_eq!(
        submit("123-456-32-18", description)
            .expect("valid NIP")
            .values["registry_number"],
        "NIP 1234563218"
    );
    assert_eq!(
        submit("0000123456", description).expect("valid KRS").values["registry_number"],
        "KRS 0000123456"
    );
    let wrong_checksum = submit("1234563219", description).expect_err("bad NIP");
    assert!(wrong_checksum[0].message.contains("NIP jest niepoprawny"));
    let too_long = submit("0000123456", &"a".repeat(2001)).expect_err("too long");
    assert_eq!(too_long[0].message, "Pole „Jakie działanie partycypacyjne chcecie przeprowadzić?” może mieć najwyżej 2000 znaków (teraz ma 2001 znaków).");
}

fn definition_errors(text: &str) -> Vec<String> {
    parse(text)
        .expect_err("an invalid definition")
        .into_iter()
        .map(|e| {
            format!(
                "{}:{}: {}",
                e.file.display(),
                e.line.map_or(String::new(), |l| l.to_string()),
                e.message
            )
        })
        .collect()
}

#[test]
fn a_minimal_form_is_valid() {
    let form = parse(MINIMAL).expect("valid");
    assert_eq!(form.allocation, Allocation::FirstCome);
    assert_eq!(form.capacity, None);
}

#[test]
fn mistakes_in_a_form_file_name_file_and_line() {
    let typo = definition_errors(&MINIMAL.replace("retention_days", "retention_dayz"));
    assert_eq!(typo.len(), 1);
    assert!(
        typo[0].starts_with("content/forms/proba.yaml:5: unknown field `retention_dayz`"),
        "{typo:?}"
    );

    let lottery = definition_errors(&format!("{MINIMAL}allocation: lottery\n"));
    assert!(
        lottery[0].contains("a lottery form needs a `capacity`"),
        "{lottery:?}"
    );

    let unique = definition_errors(&MINIMAL.replace("unique_field: email", "unique_field: mail"));
    assert!(
        unique[0].starts_with("content/forms/proba.yaml:4: `unique_field: mail` names no field"),
        "{unique:?}"
    );

    let window =
        definition_errors(&MINIMAL.replace("closes: 2020-02-01 00:00", "closes: 2019-12-01 00:00"));
    assert!(window[0].contains("closes before it opens"), "{window:?}");

    let date = definition_errors(&MINIMAL.replace("opens: 2020-01-01 00:00", "opens: 1 stycznia"));
    assert!(
        date[0].starts_with("content/forms/proba.yaml:2: `opens: 1 stycznia` is not a date"),
        "{date:?}"
    );
}

#[test]
fn field_mistakes_are_reported_together() {
    let text = format!(
        "{MINIMAL}  - name: email\n    type: text\n    label: Drugi\n  - name: kod\n    type: text\n    label: Kod\n    pattern: \"[0-9]{{3}}\"\n  - name: wybor\n    type: select\n    label: Wybór\n  - name: website\n    type: text\n    label: Strona\n"
    );
    let errors = definition_errors(&text);
    let joined = errors.join("\n");
    assert!(joined.contains("two fields are named `email`"), "{joined}");
    assert!(
        joined.contains("`kod` has a pattern but no pattern_message"),
        "{joined}"
    );
    assert!(joined.contains("`wybor` has no options"), "{joined}");
    assert!(joined.contains("`website` is reserved"), "{joined}");
}

#[test]
fn options_from_a_missing_data_file_are_an_error() {
    let text = format!("{MINIMAL}  - name: gdzie\n    type: select\n    label: Gdzie\n    options_from: {{ data: brak, value: id, label: name }}\n");
    let errors = definition_errors(&text);
    assert!(
        errors[0].contains("there is no content/data/brak.yaml"),
        "{errors:?}"
    );
}
