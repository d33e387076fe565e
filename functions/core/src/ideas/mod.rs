//! Pre-verification of project ideas (wstępna weryfikacja): a resident
//! sends a draft through a form with `preverification:` in its file; the
//! office assigns it to a verifying unit (`content/data/<units>.yaml`),
//! whose expert answers in the staff workspace; the resident reads the
//! answer on a private page reached by an e-mailed link and may reply
//! once with a revised version, which the same unit answers again.
//!
//! Everything that happens to an idea after it is sent is one
//! [`IdeaRecord`]: its history as events, from which its [`Stage`]
//! follows, saved by the stores with a version number so that two
//! people acting at once never overwrite each other ([`IdeaRecords`]).

pub mod mail;
pub mod pipeline;
pub mod record;
pub mod reply;
pub mod store;
pub mod units;
pub mod work;

pub use record::{Answer, Event, IdeaRecord, Outcome, Refusal, Stage};
pub use reply::{IdeaPage, Replied};
pub use store::IdeaRecords;
pub use units::{Unit, Units};
pub use work::{Answered, Answering, Assigned, Assignment, Desk, Part, WorkError};
