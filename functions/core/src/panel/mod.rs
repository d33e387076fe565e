//! Who may enter the staff workspace (`/panel/`) and what they did there:
//! accounts and their roles ([`accounts`]), one-time sign-in links and
//! sessions with their timeouts and CSRF tokens ([`sessions`]), the audit
//! log ([`audit`]), the records the stores keep for them ([`store`]) and
//! the rules that tie them together ([`access`]). No HTTP here: the router
//! in `agora-functions` sets the cookie and reads the forms.
//!
//! Every secret a browser or an e-mail holds (a sign-in link, a session
//! cookie) is stored only as its SHA-256, as registration tokens are: a
//! copy of the store cannot sign anyone in.

pub mod access;
pub mod accounts;
pub mod audit;
pub mod sessions;
pub mod store;

pub use access::{Access, AccessError, AccessSettings, SignedIn};
pub use accounts::{Account, Role};
pub use audit::{AuditAction, AuditEntry};
pub use sessions::{Session, SignInLink, Timeouts};
pub use store::PanelStore;
