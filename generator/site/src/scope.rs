//! What a stage makes: everything (a build), or what an edit of pages
//! changed (a rebuild of `agora serve`). The build and the rebuild run the
//! same stages (`render::Renderer::jobs`, `feeds::files`) with a scope, so
//! that an output is added in one place and a rebuild cannot forget it.

use std::collections::HashSet;

use crate::site::Orders;

pub enum Scope<'a> {
    /// The whole site.
    Whole,
    /// What `change` changed; `before`: the orders before it, when they
    /// changed (what list pages showed).
    Edit {
        change: &'a Change,
        before: Option<&'a Orders>,
    },
}

/// What an edit of pages changed.
#[derive(Default)]
pub struct Change {
    /// The pages edited, sorted.
    pub edited: Vec<usize>,
    /// Those whose listed facts changed.
    pub listed: HashSet<usize>,
    /// A page's date or last update changed (the sitemap shows them).
    pub dated: bool,
    /// An edited page lost a heading another page may link to.
    pub anchors_lost: bool,
    /// What pages are sorted by changed.
    pub reordered: bool,
}
