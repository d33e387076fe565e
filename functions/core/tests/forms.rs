//! The Kraków forms as editors wrote them (the fixtures' frozen copy), and
//! what residents' submissions meet when validated against them.

use std::path::Path;

use agora_core::forms::{self, validate, Allocation, FormDefinition, Submission};

use agora_test_support::krakow::{as_written as krakow_forms, content_dir, data};

fn form(id: &str) -> FormDefinition {
    krakow_forms()
        .into_iter()
        .find(|f| f.id == id)
        .expect("the form exists")
}

fn parse(text: &str) -> Result<FormDefinition, Vec<agora_core::diagnostics::Diagnostic>> {
    let text = with_privacy(text);
    FormDefinition::parse("proba", &text, Path::new("content/forms/proba.yaml"), &data)
}

/// The privacy notice's keys, at the end (so that every other line keeps
/// its number), for a form that does not write them: consent as the basis
/// when the form asks for a required consent, else a public task.
fn with_privacy(text: &str) -> String {
    if ["\npurpose:", "\nlegal_basis:", "\nrecipients:"]
        .iter()
        .any(|key| text.contains(key))
    {
        return text.to_owned();
    }
    let asks_consent = serde_yaml::from_str::<serde_yaml::Value>(text)
        .ok()
        .and_then(|v| v.get("consents").and_then(|c| c.as_sequence()).cloned())
        .is_some_and(|consents| {
            consents
                .iter()
                .any(|c| c.get("required").and_then(serde_yaml::Value::as_bool) == Some(true))
        });
    let basis = if asks_consent {
        "legal_basis: consent\n"
    } else {
        "legal_basis: public_task\nlegal_basis_detail: art. 5a ustawy o samorządzie gminnym\n"
    };
    format!("{text}purpose: Próba.\n{basis}recipients: [cloud]\n")
}

/// MINIMAL with the privacy notice's keys written out, on lines 10 to 13.
fn minimal_with_privacy() -> String {
    format!("{MINIMAL}purpose: Próba.\nlegal_basis: public_task\nlegal_basis_detail: art. 5a ustawy o samorządzie gminnym\nrecipients: [cloud]\n")
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
    assert_eq!(accepted.consents[0].version, "2026-12-07");
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
        errors[0].contains("content/data/brak.yaml is missing or could not be read"),
        "{errors:?}"
    );
}

/// `MINIMAL` with more fields after its e-mail field (which ends on line 9).
fn with_fields(fields: &str) -> String {
    format!("{MINIMAL}{fields}")
}

#[test]
fn a_duplicate_field_is_reported_at_its_second_occurrence() {
    let errors = definition_errors(&with_fields(
        "  - name: email\n    type: text\n    label: Drugi\n",
    ));
    assert_eq!(
        errors,
        ["content/forms/proba.yaml:10: two fields are named `email`"]
    );
}

#[test]
fn a_mistake_in_the_third_field_is_reported_on_its_key() {
    // `ema` is also the start of `email` on line 7: the line comes from
    // the list's structure, not from the first line holding the text.
    let errors = definition_errors(&with_fields(
        "  - name: imie\n    type: text\n    label: Imię\n  - name: ema\n    type: text\n    label: Ema\n    pattern: \"[a-z]+\"\n",
    ));
    assert_eq!(
        errors,
        ["content/forms/proba.yaml:16: `ema` has a pattern but no pattern_message"]
    );
}

const CONSENTS: &str = "consents:\n  - name: processing\n    required: true\n    version: \"1\"\n    text: Zgoda.\n  - name: publication\n    version: \"\"\n    text: Zgoda na publikację.\n";

#[test]
fn a_bad_consent_is_reported_on_its_own_line() {
    let errors = definition_errors(&format!("{MINIMAL}{CONSENTS}"));
    assert_eq!(
        errors,
        ["content/forms/proba.yaml:16: the consent `publication` has an empty `version`"]
    );
}

#[test]
fn publication_needs_an_optional_consent_the_form_asks_for() {
    let consents = CONSENTS.replace("version: \"\"", "version: \"1\"");
    let publish = |consent: &str| {
        definition_errors(&format!(
            "{MINIMAL}  - name: area\n    type: text\n    label: Obszar\n    published_with: {consent}\n{consents}"
        ))
    };
    assert_eq!(
        publish("processing"),
        ["content/forms/proba.yaml:13: `area` is published with the consent `processing`, which is required"]
    );
    assert_eq!(
        publish("publikacja"),
        ["content/forms/proba.yaml:13: `area` is published with the consent `publikacja`, which the form does not ask for"]
    );
    let form = parse(&format!(
        "{MINIMAL}  - name: area\n    type: text\n    label: Obszar\n    published_with: publication\n{consents}"
    ))
    .expect("published with an optional consent");
    assert_eq!(
        form.field("area").and_then(|f| f.published_with.as_deref()),
        Some("publication")
    );
}

#[test]
fn keys_a_field_type_does_not_use_are_errors() {
    let errors = definition_errors(&with_fields(
        "  - name: wiek\n    type: text\n    label: Wiek\n    min: 18\n  - name: zgoda\n    type: checkbox\n    label: Deklaruję\n    min_length: 2\n    pattern: tak\n    pattern_message: Zaznacz.\n    messages:\n      unavailable: Nie ma listy.\n",
    ));
    assert_eq!(
        errors,
        [
            "content/forms/proba.yaml:13: `wiek`: `min` applies only to number and date fields",
            "content/forms/proba.yaml:17: `zgoda`: a checkbox takes no `min_length`",
            "content/forms/proba.yaml:18: `zgoda`: a checkbox takes no `pattern`",
            "content/forms/proba.yaml:20: `zgoda`: messages.unavailable applies only to a field with options_from",
        ]
    );
}

#[test]
fn bounds_must_fit_their_type_and_not_cross() {
    let errors = definition_errors(&with_fields(
        "  - name: liczba\n    type: number\n    label: Liczba\n    min: 10\n    max: 2\n  - name: kiedy\n    type: date\n    label: Kiedy\n    min: jutro\n  - name: dzien\n    type: date\n    label: Dzień\n    min: 2020-03-31\n    max: 2020-03-01\n  - name: ile\n    type: number\n    label: Ile\n    max: 2020-03-01\n",
    ));
    assert_eq!(
        errors,
        [
            "content/forms/proba.yaml:14: `liczba`: min is above max (10 > 2)",
            "content/forms/proba.yaml:18: `kiedy`: `min` of a date field must be a date",
            "content/forms/proba.yaml:23: `dzien`: min is above max (2020-03-31 > 2020-03-01)",
            "content/forms/proba.yaml:27: `ile`: `max` of a number field must be a number",
        ]
    );
}

#[test]
fn a_date_field_keeps_to_its_min_and_max() {
    let form = parse(&MINIMAL.replace(
        "fields:\n",
        "fields:\n  - name: kiedy\n    type: date\n    label: Kiedy\n    min: 2020-03-01\n    max: 2020-03-31\n",
    ))
    .expect("valid");
    let submit = |date: &str| {
        validate(
            &form,
            &Submission::from_pairs([("kiedy", date), ("email", "jan@example.pl")]),
        )
    };
    assert_eq!(
        submit("2020-03-31").expect("in range").values["kiedy"],
        "2020-03-31"
    );
    let early = submit("2020-02-29").expect_err("too early");
    assert_eq!(
        early[0].message,
        "Wpisz datę od 1 marca 2020 do 31 marca 2020."
    );
    assert!(submit("2020-04-01").is_err(), "too late");
    let html = forms::html::render_form(
        &form,
        forms::html::FormLinks {
            action: "/api/forms/proba",
            privacy_policy: "/polityka-prywatnosci/",
        },
        &Submission::default(),
        &[],
    );
    assert!(
        html.contains("value=\"\" min=\"2020-03-01\" max=\"2020-03-31\""),
        "{html}"
    );
}

#[test]
fn an_address_needs_a_domain_with_a_dot() {
    let form = parse(MINIMAL).expect("valid");
    let email = |address: &str| validate(&form, &Submission::from_pairs([("email", address)]));
    assert_eq!(
        email("Jan.Kowalski@Example.PL").expect("valid").unique_key,
        "jan.kowalski@example.pl"
    );
    for wrong in [
        "jan@localhost",
        "jan.kowalski@localhost",
        "jan@example.",
        "jan@[127.0.0.1]",
        "jan@@example.pl",
    ] {
        let errors = email(wrong).expect_err(wrong);
        assert!(
            errors[0].message.contains("poprawnym formacie"),
            "{wrong}: {errors:?}"
        );
    }
}

#[test]
fn joining_waits_for_the_published_list_of_ambassadors() {
    let join = form("dolacz-do-procesu");
    let notice = join.unavailable().expect("the list is empty");
    assert!(
        notice.starts_with("Lista ambasadorów nie jest jeszcze opublikowana"),
        "{notice}"
    );
    let warning = &join.warnings[0];
    assert_eq!(
        warning.file,
        Path::new("content/forms/dolacz-do-procesu.yaml")
    );
    let text = std::fs::read_to_string(content_dir().join("forms/dolacz-do-procesu.yaml"))
        .expect("the join form");
    let options_from = text
        .lines()
        .position(|l| l.contains("options_from: { data: ambasadorzy"))
        .map(|i| i + 1);
    assert_eq!(warning.line, options_from);
    assert!(
        warning
            .message
            .contains("content/data/ambasadorzy.yaml, whose list is empty"),
        "{warning:?}"
    );

    let errors = validate(
        &join,
        &Submission::from_pairs([
            ("full_name", "Anna Nowak"),
            ("email", "anna@example.pl"),
            ("ambassador", "K7QX-M3PA"),
            ("processing", "on"),
        ]),
    )
    .expect_err("nothing to choose from");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "ambassador");
    assert_eq!(errors[0].message, notice);

    let html = forms::html::render_form(
        &join,
        forms::html::FormLinks {
            action: "/api/forms/dolacz-do-procesu",
            privacy_policy: "/polityka-prywatnosci/",
        },
        &Submission::default(),
        &[],
    );
    assert!(!html.contains("<form"), "{html}");
    assert!(
        html.contains("<div class=\"notice form-unavailable\">"),
        "{html}"
    );
    assert!(html.contains("Lista ambasadorów nie jest jeszcze opublikowana"));
}

#[test]
fn the_forms_with_published_lists_have_no_warnings() {
    for id in ["ambasadorzy", "debiuty-w-partycypacji"] {
        let form = form(id);
        assert!(form.warnings.is_empty(), "{id}: {:?}", form.warnings);
        assert!(form.unavailable().is_none(), "{id}");
    }
}

/// A site folder with one form taking its options from `data/<file>`.
fn site_with_data(file: &str, text: &str) -> tempfile::TempDir {
    let site = tempfile::tempdir().expect("a temporary folder");
    let content = site.path();
    std::fs::create_dir_all(content.join("forms")).expect("forms/");
    std::fs::create_dir_all(content.join("data")).expect("data/");
    std::fs::write(
        content.join("forms/proba.yaml"),
        with_privacy(&with_fields("  - name: gdzie\n    type: select\n    label: Gdzie\n    options_from: { data: miejsca, value: id, label: name }\n")),
    )
    .expect("the form");
    std::fs::write(content.join("data").join(file), text).expect("the data file");
    site
}

fn site_errors(site: &tempfile::TempDir) -> Vec<String> {
    forms::load_site(site.path(), Path::new("content"))
        .expect_err("a broken data file")
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
fn the_functions_read_data_files_as_the_generator_does() {
    let good = site_with_data("miejsca.yaml", "- { id: a, name: Rynek }\n");
    let forms = forms::load_site(good.path(), Path::new("content")).expect("valid");
    assert_eq!(forms[0].field("gdzie").expect("gdzie").options.len(), 1);

    // A YAML mistake is reported where it is, not as a missing file.
    let broken = site_with_data(
        "miejsca.yaml",
        "- { id: a, name: Rynek }\n- { id: b, name: [Kazimierz }\n",
    );
    let errors = site_errors(&broken);
    assert!(
        errors[0].starts_with("content/data/miejsca.yaml:2: the data file is not valid YAML"),
        "{errors:?}"
    );
    assert_eq!(
        errors[1],
        "content/forms/proba.yaml:13: `gdzie`: content/data/miejsca.yaml is missing or could not be read"
    );

    let other_name = site_with_data("miejsca.yml", "- { id: a, name: Rynek }\n");
    let errors = site_errors(&other_name);
    assert_eq!(
        errors[0],
        "content/data/miejsca.yml:: content/data/ holds only data files named <name>.yaml"
    );
}

#[test]
fn a_registry_number_is_a_nip_or_else_a_krs_number() {
    let debiuty = form("debiuty-w-partycypacji");
    let submit = |number: &str| {
        validate(
            &debiuty,
            &Submission::from_pairs([
                ("organisation", "Stowarzyszenie Sąsiedzi"),
                ("registry_number", number),
                ("contact_person", "Ewa Zielińska"),
                ("email", "ewa@example.org"),
                (
                    "description",
                    "Chcemy zaprosić mieszkańców osiedla na spacer badawczy i warsztat o zieleni.",
                ),
                ("processing", "on"),
            ]),
        )
        .map(|accepted| accepted.values["registry_number"].clone())
        .map_err(|errors| errors[0].message.clone())
    };
    assert_eq!(submit("pl1234563218").as_deref(), Ok("NIP 1234563218"));
    assert_eq!(submit("PL 123-456-32-18").as_deref(), Ok("NIP 1234563218"));
    // Unpadded KRS numbers, as the register prints them without zeros.
    assert_eq!(submit("123456").as_deref(), Ok("KRS 0000123456"));
    assert_eq!(submit("KRS 123456").as_deref(), Ok("KRS 0000123456"));
    // 0123456789 passes the NIP checksum, but no NIP starts with 0.
    assert_eq!(submit("0123456789").as_deref(), Ok("KRS 0123456789"));
    // Ten digits not starting with 0 are a NIP, checked as one.
    assert!(submit("1234563219")
        .expect_err("a mistyped NIP")
        .contains("NIP jest niepoprawny"));
    assert!(submit("NIP 0000000000")
        .expect_err("all zeros")
        .contains("nie zaczyna się od zera"));
    assert!(submit("0000000000")
        .expect_err("no KRS number is 0")
        .starts_with("Wpisz NIP"));
    assert!(submit("12345678901").is_err(), "11 digits");
}

#[test]
fn a_form_says_why_on_which_basis_and_to_whom_at_the_line_they_belong() {
    let without: String = minimal_with_privacy()
        .lines()
        .filter(|l| !l.starts_with("purpose:") && !l.starts_with("recipients:"))
        .map(|l| format!("{l}\n"))
        .collect();
    let missing = definition_errors(&without);
    assert_eq!(
        missing,
        [
            "content/forms/proba.yaml:5: the form does not say why it collects personal data: `purpose` is missing",
            "content/forms/proba.yaml:5: the form does not say who receives its data: `recipients` is missing",
        ],
    );

    let no_law = definition_errors(&minimal_with_privacy().replace(
        "legal_basis_detail: art. 5a ustawy o samorządzie gminnym\n",
        "",
    ));
    assert_eq!(
        no_law,
        ["content/forms/proba.yaml:11: `legal_basis: public_task` rests on a law, which the form does not name"]
    );

    let unknown_basis = definition_errors(
        &minimal_with_privacy().replace("legal_basis: public_task", "legal_basis: interest"),
    );
    assert!(
        unknown_basis[0]
            .starts_with("content/forms/proba.yaml:11: legal_basis: unknown variant `interest`"),
        "{unknown_basis:?}"
    );
}

#[test]
fn a_required_box_is_consent_only_where_consent_is_the_basis() {
    let with_box = |basis: &str, text: &str| {
        format!(
            "{}consents:\n  - name: processing\n    required: true\n    version: \"1\"\n    text: {text}\n",
            minimal_with_privacy().replace("legal_basis: public_task", &format!("legal_basis: {basis}"))
        )
    };
    let consent_on_a_task = definition_errors(&with_box(
        "public_task",
        "Wyrażam zgodę na przetwarzanie moich danych.",
    ));
    assert_eq!(consent_on_a_task.len(), 1, "{consent_on_a_task:?}");
    assert!(
        consent_on_a_task[0].starts_with("content/forms/proba.yaml:18: the required box `processing` is worded as consent, but the form's legal_basis is public_task"),
        "{consent_on_a_task:?}"
    );
    let acknowledgement = parse(&with_box(
        "public_task",
        "Zapoznałam/Zapoznałem się z informacją o przetwarzaniu moich danych, zgodnie z którą…",
    ))
    .expect("an acknowledgement on a public task");
    assert_eq!(acknowledgement.consents.len(), 1);
    parse(&with_box(
        "consent",
        "Wyrażam zgodę na przetwarzanie moich danych.",
    ))
    .expect("consent where consent is the basis");
    let no_consent = definition_errors(
        &minimal_with_privacy().replace("legal_basis: public_task", "legal_basis: consent"),
    );
    assert!(
        no_consent[0].contains("`legal_basis: consent`, but the form asks for no required consent"),
        "{no_consent:?}"
    );
}

#[test]
fn every_krakow_form_rests_on_a_public_task_with_an_acknowledgement() {
    for form in krakow_forms() {
        assert_eq!(
            form.privacy.legal_basis,
            forms::privacy::LegalBasis::PublicTask,
            "{}",
            form.id
        );
        assert!(form.privacy.legal_basis_detail.is_some(), "{}", form.id);
        let required: Vec<_> = form.consents.iter().filter(|c| c.required).collect();
        assert_eq!(required.len(), 1, "{}: one acknowledgement", form.id);
        assert!(
            required[0].text.starts_with("Zapoznałam/Zapoznałem się"),
            "{}",
            form.id
        );
    }
}

#[test]
fn the_ambassadors_key_names_a_list_and_a_required_area_field() {
    let area = "  - name: district\n    type: text\n    label: Dzielnica\n";
    let valid = parse(&with_fields(&format!(
        "{area}ambassadors: {{ list: ambasadorzy, area_field: district }}\n"
    )))
    .expect("valid");
    let ambassadors = valid.ambassadors.expect("the key is read");
    assert_eq!(
        (ambassadors.list.as_str(), ambassadors.area_field.as_str()),
        ("ambasadorzy", "district")
    );

    let no_field = definition_errors(&with_fields(&format!(
        "{area}ambassadors: {{ list: ambasadorzy, area_field: area }}\n"
    )));
    assert_eq!(
        no_field,
        ["content/forms/proba.yaml:13: `area_field: area` names no field of the form"]
    );

    let optional = definition_errors(&with_fields(&format!(
        "{area}    required: false\nambassadors: {{ list: ambasadorzy, area_field: district }}\n"
    )));
    assert_eq!(
        optional,
        ["content/forms/proba.yaml:14: the area field `district` must be required"]
    );

    let bad_list = definition_errors(&with_fields(&format!(
        "{area}ambassadors: {{ list: ../ambasadorzy, area_field: district }}\n"
    )));
    assert_eq!(
        bad_list,
        ["content/forms/proba.yaml:13: `list: ../ambasadorzy` cannot name a data file"]
    );
}

#[test]
fn unique_with_lets_one_person_send_several_ideas_but_not_one_twice() {
    let text = MINIMAL.replace(
        "unique_field: email\n",
        "unique_field: email\nunique_with: [title]\n",
    );
    let form = parse(&with_fields_of(
        &text,
        "  - name: title\n    type: text\n    label: Tytuł\n",
    ))
    .expect("valid");
    let key = |title: &str| {
        validate(
            &form,
            &Submission::from_pairs([("email", "Anna@Example.pl"), ("title", title)]),
        )
        .expect("valid")
        .unique_key
    };
    assert_eq!(key("Ławki  w parku"), key(" ławki w PARKU "));
    assert_ne!(key("Ławki w parku"), key("Drzewa na osiedlu"));
    assert!(key("Ławki w parku").starts_with("anna@example.pl"));
}

#[test]
fn unique_with_names_required_fields_of_the_form() {
    let text = MINIMAL.replace(
        "unique_field: email\n",
        "unique_field: email\nunique_with: [title, note]\n",
    );
    let errors = definition_errors(&with_fields_of(
        &text,
        "  - name: note\n    type: text\n    label: Uwagi\n    required: false\n",
    ));
    assert_eq!(
        errors,
        [
            "content/forms/proba.yaml:5: `unique_with` names `title`, which is no field of the form",
            "content/forms/proba.yaml:5: `unique_with` names `note`, which is not a required field",
        ]
    );
}

fn with_fields_of(text: &str, fields: &str) -> String {
    format!("{text}{fields}")
}
