//! Every path of the form API and of the staff workspace, named once: the router serves these routes,
//! the functions' pages and e-mails link to these paths, and the site's
//! forms post to [`form`]. `infra/template.yaml` repeats the routes as the
//! functions' `HttpApi` events; `functions/tests/roles.rs` fails when a
//! route reaches no function there.

/// Everything the functions answer is under this prefix (CloudFront sends
/// it to the API; `agora serve` to the router).
pub const PREFIX: &str = "/api/";

/// `GET` a form's public status, `POST` a submission.
pub const FORM: &str = "/api/forms/{id}";
/// `GET` the page after a submission, with its reference.
pub const RECEIVED: &str = "/api/forms/{id}/zgloszenie/{reference}";
/// `GET` the page after a submission whose reference comes by e-mail.
pub const SENT: &str = "/api/forms/{id}/wyslane";
/// `GET` the confirmation link's page, `POST` confirming.
pub const CONFIRM: &str = "/api/forms/{id}/potwierdz";
/// `GET` the withdrawal link's page, `POST` withdrawing.
pub const WITHDRAW: &str = "/api/forms/{id}/wycofaj";
/// `GET` an idea's private page (its link's key in `?klucz=`), with the
/// units' answers; `POST` the resident's one reply with a revised version.
pub const IDEA: &str = "/api/forms/{id}/pomysl/{reference}";

/// The staff workspace: its pages and forms, served by the same router
/// (CloudFront sends `/panel/*` to the API, never cached).
pub const PANEL_PREFIX: &str = "/panel/";
/// `GET` the dashboard (or, signed out, the way to the sign-in page).
pub const PANEL: &str = "/panel/";
/// `GET` the sign-in page, `POST` asking for a sign-in link.
pub const PANEL_SIGN_IN: &str = "/panel/logowanie";
/// `GET` the sign-in link's page, `POST` signing in with it.
pub const PANEL_LINK: &str = "/panel/logowanie/link";
/// `POST` signing out; `POST` signing out on every device.
pub const PANEL_SIGN_OUT: &str = "/panel/wyloguj";
pub const PANEL_SIGN_OUT_EVERYWHERE: &str = "/panel/wyloguj-wszedzie";
/// `GET` the accounts (office), `POST` adding one.
pub const PANEL_ACCOUNTS: &str = "/panel/konta";
/// `POST` removing an account (office).
pub const PANEL_ACCOUNT_REMOVE: &str = "/panel/konta/usun";
/// `GET` the audit log (office).
pub const PANEL_AUDIT: &str = "/panel/dziennik";
/// `GET` a form's registrations, filtered (`?stan=`), searched
/// (`?szukaj=`) and paginated (`?strona=`) (office).
pub const PANEL_FORM: &str = "/panel/formularze/{id}";
/// `GET` a form's registrations as a download (`?format=csv|json`) (office).
pub const PANEL_EXPORT: &str = "/panel/formularze/{id}/eksport";
/// `GET` one registration (office).
pub const PANEL_REGISTRATION: &str = "/panel/formularze/{id}/zgloszenia/{reference}";
/// `POST` withdrawing a registration on its person's request, with a reason (office).
pub const PANEL_REGISTRATION_WITHDRAW: &str =
    "/panel/formularze/{id}/zgloszenia/{reference}/wycofaj";
/// `POST` sending the confirmation e-mail again, with new links (office).
pub const PANEL_REGISTRATION_RESEND: &str =
    "/panel/formularze/{id}/zgloszenia/{reference}/wyslij-ponownie";
/// `POST` marking the registration's address as one mail does not reach (office).
pub const PANEL_REGISTRATION_BOUNCED: &str =
    "/panel/formularze/{id}/zgloszenia/{reference}/adres-nie-dziala";
/// `GET` a lottery form's draw, step by step (office).
pub const PANEL_LOTTERY: &str = "/panel/formularze/{id}/losowanie";
/// `POST` publishing the list of applications; `GET` it as a file (office).
pub const PANEL_LOTTERY_LIST: &str = "/panel/formularze/{id}/losowanie/lista";
/// `POST` drawing with the announced seed (office).
pub const PANEL_LOTTERY_DRAW: &str = "/panel/formularze/{id}/losowanie/losuj";
/// `GET` the draw's result as a file (office).
pub const PANEL_LOTTERY_RESULT: &str = "/panel/formularze/{id}/losowanie/wynik";
/// `POST` e-mailing everyone the draw decided (office).
pub const PANEL_LOTTERY_MAIL: &str = "/panel/formularze/{id}/losowanie/powiadom";
/// `GET` the ambassadors' applications and decisions (office).
pub const PANEL_AMBASSADORS: &str = "/panel/ambasadorzy";
/// `POST` appointing, declining or dismissing an applicant (office).
pub const PANEL_AMBASSADOR_DECISION: &str = "/panel/ambasadorzy/{reference}";
/// `GET` who joined the process in the signed-in ambassador's area.
pub const PANEL_AREA: &str = "/panel/moj-obszar";
/// `GET` the ideas sent for pre-verification: every idea for the office,
/// the ideas given to their unit for a verifier.
pub const PANEL_IDEAS: &str = "/panel/pomysly";
/// `GET` the ideas' pipeline: how many per district and outcome, and how
/// long they waited for an answer, as charts and tables (office).
pub const PANEL_IDEAS_PIPELINE: &str = "/panel/pomysly/przebieg";
/// `GET` one idea with its history (office; a verifier of its unit).
pub const PANEL_IDEA: &str = "/panel/pomysly/{id}/{reference}";
/// `POST` giving an idea to a verifying unit (office).
pub const PANEL_IDEA_ASSIGN: &str = "/panel/pomysly/{id}/{reference}/przekaz";
/// `POST` the unit's answer to an idea (a verifier of the unit it was given to).
pub const PANEL_IDEA_ANSWER: &str = "/panel/pomysly/{id}/{reference}/odpowiedz";
/// `POST` e-mailing the resident an idea's last answer again, with a new
/// link to its private page (office).
pub const PANEL_IDEA_RESEND: &str = "/panel/pomysly/{id}/{reference}/wyslij-ponownie";

/// `route` with its `{id}` (and `{reference}`, if it has one) filled in:
/// the workspace's links to a form's pages.
pub fn panel(route: &str, id: &str, reference: &str) -> String {
    route.replace("{id}", id).replace("{reference}", reference)
}

/// Where form `id` is submitted and its status read.
pub fn form(id: &str) -> String {
    FORM.replace("{id}", id)
}

/// The page after a submission, with its reference.
pub fn received(id: &str, reference: &str) -> String {
    RECEIVED
        .replace("{id}", id)
        .replace("{reference}", reference)
}

/// The page after a submission whose reference comes by e-mail.
pub fn sent(id: &str) -> String {
    SENT.replace("{id}", id)
}

/// The confirmation link's page and its button's target.
pub fn confirm(id: &str) -> String {
    CONFIRM.replace("{id}", id)
}

/// An idea's private page (without its key).
pub fn idea(id: &str, reference: &str) -> String {
    IDEA.replace("{id}", id).replace("{reference}", reference)
}

/// The withdrawal link's page and its button's target.
pub fn withdraw(id: &str) -> String {
    WITHDRAW.replace("{id}", id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_fill_the_routes() {
        assert_eq!(form("spacer"), "/api/forms/spacer");
        assert_eq!(
            received("spacer", "K7QX-M3PA"),
            "/api/forms/spacer/zgloszenie/K7QX-M3PA"
        );
        assert_eq!(sent("spacer"), "/api/forms/spacer/wyslane");
        assert_eq!(confirm("spacer"), "/api/forms/spacer/potwierdz");
        assert_eq!(withdraw("spacer"), "/api/forms/spacer/wycofaj");
        assert_eq!(
            idea("pomysly", "K7QX-M3PA"),
            "/api/forms/pomysly/pomysl/K7QX-M3PA"
        );
        for route in [FORM, RECEIVED, SENT, CONFIRM, WITHDRAW, IDEA] {
            assert!(route.starts_with(PREFIX), "{route}");
        }
        for route in [
            PANEL,
            PANEL_SIGN_IN,
            PANEL_LINK,
            PANEL_SIGN_OUT,
            PANEL_SIGN_OUT_EVERYWHERE,
            PANEL_ACCOUNTS,
            PANEL_ACCOUNT_REMOVE,
            PANEL_AUDIT,
            PANEL_FORM,
            PANEL_EXPORT,
            PANEL_REGISTRATION,
            PANEL_REGISTRATION_WITHDRAW,
            PANEL_REGISTRATION_RESEND,
            PANEL_REGISTRATION_BOUNCED,
            PANEL_LOTTERY,
            PANEL_LOTTERY_LIST,
            PANEL_LOTTERY_DRAW,
            PANEL_LOTTERY_RESULT,
            PANEL_LOTTERY_MAIL,
            PANEL_AMBASSADORS,
            PANEL_AMBASSADOR_DECISION,
            PANEL_AREA,
            PANEL_IDEAS,
            PANEL_IDEAS_PIPELINE,
            PANEL_IDEA,
            PANEL_IDEA_ASSIGN,
            PANEL_IDEA_ANSWER,
            PANEL_IDEA_RESEND,
        ] {
            assert!(route.starts_with(PANEL_PREFIX), "{route}");
        }
    }
}
