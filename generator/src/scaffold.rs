//! `agora new`: a new post, page or event with valid front matter, named
//! from its title and placed in the right section.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration};
use chrono_tz::Tz;

use agora_site::content::CONTENT_DIR;
use agora_site::diagnostics::Diagnostic;
use agora_site::slugs;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewKind {
    Post,
    Page,
    Event,
}

impl NewKind {
    /// The `kind:` of the section this kind of page lives in.
    fn section_kind(self) -> Option<&'static str> {
        match self {
            Self::Post => Some("news"),
            Self::Event => Some("events"),
            Self::Page => None,
        }
    }
}

/// Writes the new file and returns its path.
pub fn create(
    root: &Path,
    kind: NewKind,
    title: &str,
    section: Option<&str>,
    now: DateTime<Tz>,
) -> Result<PathBuf, Diagnostic> {
    let slug = slugs::slugify(title);
    if slug.is_empty() {
        return Err(Diagnostic::new(
            CONTENT_DIR,
            "the title has no letters or digits to name the file with",
        )
        .hint("give a title such as \"Nabór ambasadorów\""));
    }
    let content = root.join(CONTENT_DIR);
    let folder = match section {
        Some(section) => content.join(section.trim_matches('/')),
        None => match kind.section_kind() {
            Some(wanted) => find_section(&content, wanted)?,
            None => content.clone(),
        },
    };
    if !folder.join("_index.md").is_file() {
        return Err(Diagnostic::new(
            &folder,
            "this folder is not a section (it has no _index.md)",
        )
        .hint("pass --section with a folder of content/ that has an _index.md"));
    }
    let name = match kind {
        NewKind::Post => format!("{}-{slug}.md", now.format("%Y-%m-%d")),
        NewKind::Page | NewKind::Event => format!("{slug}.md"),
    };
    let path = folder.join(name);
    let text = front_matter(kind, title, now);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => Diagnostic::new(&path, "the file already exists")
                .hint("choose another title or edit the existing file"),
            _ => Diagnostic::io(&path, "create the file", &e),
        })?;
    std::io::Write::write_all(&mut file, text.as_bytes())
        .map_err(|e| Diagnostic::io(&path, "write the file", &e))?;
    Ok(path)
}

/// The first section (in path order) whose `_index.md` says `kind: wanted`.
fn find_section(content: &Path, wanted: &str) -> Result<PathBuf, Diagnostic> {
    let line = format!("kind: {wanted}");
    walkdir::WalkDir::new(content)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name() == "_index.md")
        .find(|entry| {
            std::fs::read_to_string(entry.path())
                .is_ok_and(|text| text.lines().any(|l| l.trim() == line))
        })
        .and_then(|entry| entry.path().parent().map(Path::to_path_buf))
        .ok_or_else(|| {
            Diagnostic::new(content, format!("no section has `{line}`"))
                .hint("pass --section with the folder to write into")
        })
}

fn front_matter(kind: NewKind, title: &str, now: DateTime<Tz>) -> String {
    // serde_yaml quotes the title where YAML needs it (colons, quotes).
    let quoted = serde_yaml::to_string(title).unwrap_or_else(|_| format!("{title:?}\n"));
    let mut text = format!("---\ntitle: {quoted}");
    text.push_str(
        "description: \"Jedno zdanie o tej stronie dla wyszukiwarek i podglądu linku.\"\n",
    );
    match kind {
        NewKind::Post => {
            let _ = writeln!(text, "date: {}", now.format("%Y-%m-%d"));
            text.push_str("tags: []\n");
        }
        NewKind::Event => {
            let day = (now + Duration::days(7)).format("%Y-%m-%d");
            let _ = writeln!(text, "start: {day} 17:00\nend: {day} 19:00");
            text.push_str(
                "event_type: meeting\nplace: \"Adres spotkania\"\nstatus: planned\ntags: []\n",
            );
        }
        NewKind::Page => {}
    }
    text.push_str(
        "draft: true\n---\n\nTreść strony. Usuń `draft: true`, gdy będzie gotowa do publikacji.\n",
    );
    text
}
