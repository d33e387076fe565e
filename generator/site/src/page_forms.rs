//! Forms on pages. A page shows a form by naming it: `form: <id>` in its
//! front matter (below its text) or a `{{ form id="<id>" }}` line (where
//! the line is). An event names the form its places are taken through;
//! its page shows the form's state and links to the page showing it.
//! What templates see of a form is `views::FormView`.

use std::collections::HashMap;
use std::sync::Arc;

use crate::diagnostics::Diagnostic;
use crate::markdown::Rendered;
use crate::model::{Content, Document, PageKind};

/// The shortcode that shows a form.
pub const SHORTCODE: &str = "form";

/// Form id -> the site path of the first page that shows it, in file
/// order (sections first), so the choice is stable.
pub type FormPages = HashMap<String, String>;

/// Finds the page of every form that pages show, and checks that each
/// form named exists and that each event's form is shown somewhere.
pub fn find(
    content: &Content,
    page_html: &[Arc<Rendered>],
    section_html: &[Arc<Rendered>],
) -> Result<FormPages, Vec<Diagnostic>> {
    let known: Vec<&str> = content.forms.iter().map(|f| f.id.as_str()).collect();
    let mut problems = Vec::new();
    let mut pages = FormPages::new();
    let documents = content
        .sections
        .iter()
        .map(|s| (&s.doc, false))
        .zip(section_html)
        .chain(
            content
                .pages
                .iter()
                .map(|p| (&p.doc, p.kind == PageKind::Event))
                .zip(page_html),
        );
    for ((doc, is_event), rendered) in documents {
        if let Some(id) = &doc.form {
            match check_known(&known, id) {
                Ok(()) if !is_event => {
                    pages.entry(id.clone()).or_insert_with(|| doc.path.clone());
                }
                Ok(()) => {}
                Err(message) => problems.push(at_key(doc, message)),
            }
        }
        for call in rendered.shortcodes.iter().filter(|c| c.name == SHORTCODE) {
            let Some(id) = call.args.get("id") else {
                problems.push(
                    Diagnostic::new(&doc.file, "the `form` shortcode needs the form's id")
                        .at_line(call.line)
                        .hint(format!(
                            "write {{{{ form id=\"…\" }}}} with one of: {}",
                            known.join(", ")
                        )),
                );
                continue;
            };
            match check_known(&known, id) {
                Ok(()) => {
                    pages.entry(id.clone()).or_insert_with(|| doc.path.clone());
                }
                Err(message) => problems.push(
                    Diagnostic::new(&doc.file, message)
                        .at_line(call.line)
                        .hint("name a file of content/forms/ without .yaml"),
                ),
            }
        }
    }
    for page in content.pages.iter().filter(|p| p.kind == PageKind::Event) {
        let Some(id) = &page.doc.form else { continue };
        if known.contains(&id.as_str()) && !pages.contains_key(id) {
            problems.push(
                at_key(
                    &page.doc,
                    format!("no page shows the form `{id}` this event names"),
                )
                .hint(format!(
                    "add `form: {id}` to the page where residents sign up (an event links to it)"
                )),
            );
        }
    }
    if problems.is_empty() {
        Ok(pages)
    } else {
        Err(problems)
    }
}

fn check_known(known: &[&str], id: &str) -> Result<(), String> {
    if known.contains(&id) {
        return Ok(());
    }
    let nearest = known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(id, k), *k))
        .filter(|(distance, _)| *distance <= 3)
        .min()
        .map(|(_, k)| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default();
    Err(format!(
        "there is no form `{id}`{nearest}; the forms are: {}",
        if known.is_empty() {
            "none (content/forms/ is empty)".to_owned()
        } else {
            known.join(", ")
        }
    ))
}

fn at_key(doc: &Document, message: String) -> Diagnostic {
    Diagnostic::new(&doc.file, message)
        .at_line(doc.line_of("form"))
        .hint("name a file of content/forms/ without .yaml")
}
