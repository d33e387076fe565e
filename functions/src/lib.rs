//! The form functions of Agora over HTTP: one axum router ([`http`]) that
//! answers under AWS Lambda (the entry points in `src/bin/`) and inside
//! `agora serve`, with the security headers of every answer
//! ([`security_headers`]). What a request does is decided in
//! `agora_core::service`; where it is stored, in `agora_stores`.

pub mod http;
pub mod security_headers;
