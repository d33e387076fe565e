//! Agora's site generator: reads `agora.yaml` and `content/`, renders with
//! a tera theme, and writes a static site.
//!
//! The stages, in order: [`config`] and [`content`] read the sources into
//! the [`model`]; [`site`] renders the Markdown ([`markdown`]) and checks
//! URLs and links; [`render`] applies the theme ([`templates`], [`views`]);
//! [`feeds`] and [`search`] write the machine-readable files; [`output`]
//! swaps the new site into place. [`build`] runs them; [`rebuild`] keeps a
//! built site in memory and redoes what an edit touches (`agora serve`).
//!
//! It depends on `agora-core` only (forms, Polish grammar, API paths): no
//! store, no HTTP. The `agora` command (`generator/src/`) drives it.

pub mod build;
pub mod config;
pub mod content;
pub mod dates;
pub mod diagnostics;
pub mod feeds;
pub mod frontmatter;
pub mod markdown;
pub mod model;
pub mod notices;
pub mod output;
pub mod page_forms;
pub mod rebuild;
pub mod render;
pub mod scope;
pub mod search;
pub mod shortcodes;
pub mod site;
pub mod slugs;
pub mod templates;
pub mod views;
mod yaml;

pub use build::{build, BuildOptions, BuildReport};
pub use diagnostics::{Diagnostic, Diagnostics};
