//! Writes the rendered site. Everything goes into a fresh folder beside
//! the output folder, which replaces the old output only once complete:
//! a failed build leaves the previous site untouched.

use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::diagnostics::Diagnostic;
use crate::render::OutputFile;

/// A file copied as it is: (source path, path relative to the output).
pub type Copy = (PathBuf, String);

/// Refuses output folders whose replacement would destroy the site's
/// sources (`--out .` or `--out content`).
pub fn check_target(root: &Path, out: &Path) -> Result<(), Diagnostic> {
    let absolute = |p: &Path| fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (root_abs, out_abs) = (absolute(root), absolute(out));
    if root_abs.starts_with(&out_abs)
        || out_abs.starts_with(root_abs.join("content"))
        || out_abs.starts_with(root_abs.join("themes"))
    {
        return Err(Diagnostic::new(
            out,
            "the output folder would replace the site's own sources",
        )
        .hint("choose a separate folder for the output, e.g. --out public"));
    }
    Ok(())
}

pub fn write(out: &Path, files: &[OutputFile], copies: &[Copy]) -> Result<(), Diagnostic> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent)
        .map_err(|e| Diagnostic::io(parent, "create the output's parent folder", &e))?;
    let name = out
        .file_name()
        .map_or_else(|| "public".into(), |n| n.to_string_lossy().into_owned());
    let staging = tempfile_dir(parent, &format!(".{name}.building-"))?;
    let result = fill(&staging, files, copies).and_then(|()| swap(&staging, out, parent, &name));
    if result.is_err() {
        // Best effort: the error that matters is the one returned.
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

fn tempfile_dir(parent: &Path, prefix: &str) -> Result<PathBuf, Diagnostic> {
    for attempt in 0..100u32 {
        let candidate = parent.join(format!("{prefix}{}-{attempt}", std::process::id()));
        match fs::create_dir(&candidate) {
            Ok(()) => return Ok(candidate),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Diagnostic::io(&candidate, "create the build folder", &e)),
        }
    }
    Err(
        Diagnostic::new(parent, "cannot create a temporary build folder")
            .hint("remove old .*.building-* folders"),
    )
}

fn fill(staging: &Path, files: &[OutputFile], copies: &[Copy]) -> Result<(), Diagnostic> {
    let mut folders: Vec<PathBuf> = files
        .iter()
        .map(|f| f.path.as_str())
        .chain(copies.iter().map(|(_, to)| to.as_str()))
        .filter_map(|p| Path::new(p).parent().map(Path::to_path_buf))
        .collect();
    folders.sort();
    folders.dedup();
    for folder in &folders {
        let target = staging.join(folder);
        fs::create_dir_all(&target)
            .map_err(|e| Diagnostic::io(&target, "create the folder", &e))?;
    }
    files.par_iter().try_for_each(|file| {
        let target = staging.join(&file.path);
        fs::write(&target, &file.bytes).map_err(|e| Diagnostic::io(&target, "write the file", &e))
    })?;
    copies.par_iter().try_for_each(|(from, to)| {
        fs::copy(from, staging.join(to))
            .map(|_| ())
            .map_err(|e| Diagnostic::io(from, "copy the file", &e))
    })
}

fn swap(staging: &Path, out: &Path, parent: &Path, name: &str) -> Result<(), Diagnostic> {
    if !out.exists() {
        return fs::rename(staging, out)
            .map_err(|e| Diagnostic::io(out, "move the new site into place", &e));
    }
    let old = tempfile_dir(parent, &format!(".{name}.previous-"))?;
    fs::remove_dir(&old).map_err(|e| Diagnostic::io(&old, "prepare the swap", &e))?;
    fs::rename(out, &old).map_err(|e| Diagnostic::io(out, "move the previous site aside", &e))?;
    if let Err(e) = fs::rename(staging, out) {
        // Put the previous site back so that readers keep a whole site.
        let _ = fs::rename(&old, out);
        return Err(Diagnostic::io(out, "move the new site into place", &e));
    }
    fs::remove_dir_all(&old).map_err(|e| Diagnostic::io(&old, "remove the previous site", &e))
}
