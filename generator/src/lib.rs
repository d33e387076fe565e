//! The `agora` command's library: what the CLI adds to the site generator
//! (`agora-site`), for the binary (`main.rs`) and its tests. [`serve`]
//! runs the preview: the site from memory, rebuilt on every edit, with
//! the form functions (`agora-functions`) on the embedded store
//! (`agora-stores`); [`scaffold`] writes new pages (`agora new`);
//! [`published`] writes what the staff workspace published on AWS into
//! `content/` (`agora publish pull`).

pub mod published;
pub mod scaffold;
pub mod serve;
