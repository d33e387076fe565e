//! Who may enter the staff workspace (`/panel/`) and what they did there:
//! accounts and their roles ([`accounts`]), one-time sign-in links and
//! sessions with their timeouts and CSRF tokens ([`sessions`]), the audit
//! log ([`audit`]), the office's decisions on ambassadors and their areas
//! ([`ambassadors`]), who is told when someone joins an ambassador's
//! process ([`notify`]), the dashboard's charts as numbers ([`charts`]), the
//! records the stores keep for them ([`store`]), what
//! staff decide and publish ([`records`]), how it reaches the site
//! ([`publish`]) and the rules that tie them together ([`access`]). No HTTP here: the router
//! in `agora-functions` sets the cookie and reads the forms.
//!
//! Every secret a browser or an e-mail holds (a sign-in link, a session
//! cookie) is stored only as its SHA-256, as registration tokens are: a
//! copy of the store cannot sign anyone in.

pub mod access;
pub mod accounts;
pub mod ambassadors;
pub mod audit;
pub mod charts;
pub mod notify;
pub mod publish;
pub mod records;
pub mod sessions;
pub mod store;

pub use access::{Access, AccessError, AccessSettings, SignedIn};
pub use accounts::{Account, Role};
pub use audit::{AuditAction, AuditEntry};
pub use publish::{PublishError, PublishedFile, Publisher};
pub use records::{Appointment, Decision, ListPublished, StaffRecords, StoredList};
pub use sessions::{Session, SignInLink, Timeouts};
pub use store::PanelStore;
