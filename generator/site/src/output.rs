//! Writes the rendered site. Everything goes into a fresh folder beside
//! the output folder, which replaces the old output only once complete:
//! a failed build leaves the previous site untouched.

use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::diagnostics::Diagnostic;

/// One file of the output, by its path relative to the output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

impl OutputFile {
    /// The file that serves a site path: `/kontakt/` is `kontakt/index.html`.
    pub fn at(site_path: &str, bytes: Vec<u8>) -> Self {
        let relative = site_path.trim_start_matches('/');
        let path = if relative.is_empty() || relative.ends_with('/') {
            format!("{relative}index.html")
        } else {
            relative.to_owned()
        };
        Self { path, bytes }
    }
}

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

/// A site being written: a fresh folder beside the output folder, filled
/// file by file as pages are rendered (a whole site is never held in
/// memory), which replaces the output only once complete (`finish`).
/// Dropped unfinished, it is removed: the previous site stays as it was.
pub struct Staging {
    dir: PathBuf,
    out: PathBuf,
    parent: PathBuf,
    name: String,
    /// The output as the previous build left it, for unchanged files.
    previous: Option<PathBuf>,
    finished: bool,
}

impl Staging {
    pub fn open(out: &Path) -> Result<Self, Diagnostic> {
        let parent = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        fs::create_dir_all(&parent)
            .map_err(|e| Diagnostic::io(&parent, "create the output's parent folder", &e))?;
        let name = out
            .file_name()
            .map_or_else(|| "public".into(), |n| n.to_string_lossy().into_owned());
        let dir = tempfile_dir(&parent, &format!(".{name}.building-"))?;
        Ok(Self {
            dir,
            out: out.to_path_buf(),
            parent,
            previous: out.is_dir().then(|| out.to_path_buf()),
            name,
            finished: false,
        })
    }

    /// Writes one file; called from many threads at once. A file with the
    /// same bytes in the previous site is linked to it instead (a hard
    /// link; the previous site stays whole until the swap): removing the
    /// previous site then frees only what changed, and the disk has less
    /// to write.
    pub fn put(&self, file: &OutputFile) -> Result<(), Diagnostic> {
        let target = self.dir.join(&file.path);
        let unchanged = self
            .previous
            .as_ref()
            .map(|p| p.join(&file.path))
            .filter(|old| fs::read(old).is_ok_and(|bytes| bytes == file.bytes));
        let write = || match &unchanged {
            // Where links cannot be made, the file is written.
            Some(old) => fs::hard_link(old, &target).or_else(|_| fs::write(&target, &file.bytes)),
            None => fs::write(&target, &file.bytes),
        };
        self.with_folder(&target, &write)?
            .map_err(|e| Diagnostic::io(&target, "write the file", &e))
    }

    /// Copies the files shipped as they are, in parallel.
    pub fn copy(&self, copies: &[Copy]) -> Result<(), Diagnostic> {
        copies.par_iter().try_for_each(|(from, to)| {
            let target = self.dir.join(to);
            self.with_folder(&target, &|| fs::copy(from, &target).map(|_| ()))?
                .map_err(|e| Diagnostic::io(from, "copy the file", &e))
        })
    }

    /// Puts the new site in the output's place.
    pub fn finish(mut self) -> Result<(), Diagnostic> {
        self.finished = true;
        let result = swap(&self.dir, &self.out, &self.parent, &self.name);
        if result.is_err() && self.dir.exists() {
            // Best effort: the error that matters is the one returned.
            let _ = fs::remove_dir_all(&self.dir);
        }
        result
    }

    /// Runs `make`; a file's folder is made when its first file finds it
    /// missing (most pages have a folder of their own), from many threads:
    /// making a folder that another thread has just made succeeds.
    fn with_folder(
        &self,
        target: &Path,
        make: &dyn Fn() -> std::io::Result<()>,
    ) -> Result<std::io::Result<()>, Diagnostic> {
        match make() {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let folder = target.parent().unwrap_or(&self.dir);
                fs::create_dir_all(folder)
                    .map_err(|e| Diagnostic::io(folder, "create the folder", &e))?;
                Ok(make())
            }
            done => Ok(done),
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.finished {
            // Best effort: the build's own error is what is reported.
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
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
    remove_tree(&old).map_err(|e| Diagnostic::io(&old, "remove the previous site", &e))
}

/// Threads that remove files: removing waits on the disk more than it
/// works (on file systems mounted with `discard`, each removal waits for
/// the device), so more than there are cores.
const REMOVERS: usize = 16;

/// `fs::remove_dir_all`, its files removed in parallel, then its folders
/// deepest first.
fn remove_tree(root: &Path) -> std::io::Result<()> {
    let mut files = Vec::new();
    let mut folders: Vec<(usize, PathBuf)> = Vec::new();
    for entry in walkdir::WalkDir::new(root) {
        let entry = entry.map_err(std::io::Error::other)?;
        if entry.file_type().is_dir() {
            folders.push((entry.depth(), entry.into_path()));
        } else {
            files.push(entry.into_path());
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(REMOVERS)
        .build()
        .map_err(std::io::Error::other)?;
    pool.install(|| {
        files.par_iter().try_for_each(fs::remove_file)?;
        folders.sort_by_key(|(depth, _)| std::cmp::Reverse(*depth));
        for level in folders.chunk_by(|a, b| a.0 == b.0) {
            level
                .par_iter()
                .try_for_each(|(_, folder)| fs::remove_dir(folder))?;
        }
        Ok(())
    })
}
