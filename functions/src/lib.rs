//! The form backend of Agora: form definitions and the validation of
//! submissions ([`forms`]), Polish grammar ([`polish`]).

pub mod aws;
pub mod fill_time;
pub mod forms;
pub mod http;
pub mod lottery;
pub mod mail;
pub mod mail_events;
pub mod mail_preflight;
pub mod mail_ses;
pub mod polish;
pub mod purge;
pub mod registration;
pub mod routes;
pub mod security_headers;
pub mod service;
pub mod store;
