//! Agora's domain, with no network, no database and no web framework:
//! forms as data and the validation of submissions ([`forms`]), the
//! registration ([`registration`]) and the [`store::Store`] trait with the
//! rules both stores follow, what a submission does ([`service`]), the
//! verifiable draw ([`lottery`]), the staff's work on registrations
//! ([`staff`]), e-mail as messages ([`mail`]), every API path
//! ([`routes`]), Polish grammar ([`polish`]) and the editors' errors
//! ([`diagnostics`], with [`yaml_lines`] for their lines).
//!
//! The stores and mailers are in `agora-stores`, the HTTP router and the
//! Lambda entry points in `agora-functions`, the site in `agora`.

pub mod diagnostics;
pub mod fill_time;
pub mod forms;
pub mod ideas;
pub mod local_time;
pub mod lottery;
pub mod mail;
pub mod mail_events;
pub mod panel;
pub mod polish;
pub mod purge;
pub mod registration;
pub mod routes;
pub mod service;
pub mod staff;
pub mod store;
pub mod yaml_lines;
