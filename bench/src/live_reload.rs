//! `agora serve`'s rebuild after an edit, on the Kraków site grown to N
//! news posts: the full build's stages, then the median time from saving
//! one post to its new page being ready to serve (in memory), for an edit
//! of the text below `<!-- more -->` (the page alone), of the teaser and
//! of the title (both shown by lists). The watcher's quiet period comes
//! on top. See bench/README.md.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use agora_site::rebuild::{LiveBuild, SiteFiles};
use agora_site::BuildOptions;
use clap::Parser;

#[derive(Parser)]
#[command(about = "Rebuild time after one edit, on a site of N posts")]
struct Args {
    /// News posts added to the Kraków site.
    #[arg(long, default_value_t = 10_000)]
    posts: usize,
    /// Edits measured, of each kind.
    #[arg(long, default_value_t = 21)]
    edits: usize,
    /// Make the site in this folder and keep it (for `agora build` on the
    /// same corpus), or reuse the site made there before; by default a
    /// temporary folder.
    #[arg(long)]
    site: Option<PathBuf>,
}

const TAGS: [&str; 10] = [
    "budżet obywatelski",
    "Wspólne Projekty",
    "NGO",
    "warsztaty",
    "ambasadorzy",
    "dzielnice",
    "konsultacje",
    "ekologia",
    "transport",
    "kultura",
];

fn main() -> Result<(), String> {
    let args = Args::parse();
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("the bench crate lives in the workspace")?
        .to_path_buf();
    let temp = tempfile::tempdir().map_err(|e| format!("no temporary folder: {e}"))?;
    let root = args
        .site
        .clone()
        .unwrap_or_else(|| temp.path().join("site"));
    if !root.exists() {
        make_site(&workspace, &root, args.posts)?;
    }
    // A site reused keeps the last edit of an earlier run: undone.
    let edited = args.posts / 2;
    let (path, text) = post(edited, "Wpis", "Pierwsza wersja.", "");
    write(&root, &path, &text)?;
    let options = BuildOptions {
        root: root.clone(),
        out: Some(temp.path().join("public")),
        base_url: None,
        drafts: false,
        now: Some("2026-01-01 12:00".to_owned()),
    };
    full_build(&options, args.posts)?;
    let mut session = Session::start(options, edited)?;
    for kind in [Edit::Body, Edit::Teaser, Edit::Title] {
        let mut times = Vec::with_capacity(args.edits);
        let mut pages = 0;
        for round in 0..args.edits {
            let (took, rendered) = session.edit(kind, round)?;
            times.push(took);
            pages = rendered;
        }
        times.sort();
        println!(
            "edit of one post's {}: median {} ms, max {} ms, {pages} pages rendered ({} edits)",
            kind.name(),
            millis(times[times.len() / 2]),
            millis(times[times.len() - 1]),
            args.edits,
        );
    }
    Ok(())
}

/// The Kraków site in `root`, with `posts` news posts added.
fn make_site(workspace: &Path, root: &Path, posts: usize) -> Result<(), String> {
    copy_dir(&workspace.join("content"), &root.join("content"))?;
    copy_dir(&workspace.join("themes"), &root.join("themes"))?;
    fs::copy(workspace.join("agora.yaml"), root.join("agora.yaml"))
        .map_err(|e| format!("agora.yaml: {e}"))?;
    for n in 0..posts {
        let (path, text) = post(n, "Wpis", "Pierwsza wersja.", "");
        write(root, &path, &text)?;
    }
    Ok(())
}

/// `agora build` of the site, with the time of each stage.
fn full_build(options: &BuildOptions, posts: usize) -> Result<(), String> {
    let report = agora_site::build(options).map_err(|p| p.to_string())?;
    println!(
        "full build, {posts} posts: {} pages, {} files in {} ms",
        report.pages,
        report.files,
        report.elapsed.as_millis()
    );
    for (stage, took) in &report.stages {
        println!("{stage:>23}: {} ms", took.as_millis());
    }
    Ok(())
}

/// `agora serve`'s build in memory, and the site it serves, while post
/// `edited` is edited again and again.
struct Session {
    root: PathBuf,
    live: LiveBuild,
    /// The server holds the site it serves while the next one is made, as
    /// `agora serve` does.
    serving: Arc<SiteFiles>,
    edited: usize,
    /// The edited post's page.
    page: String,
}

impl Session {
    /// The first build in memory, timed.
    fn start(options: BuildOptions, edited: usize) -> Result<Self, String> {
        let root = options.root.clone();
        let started = Instant::now();
        let (live, _) = LiveBuild::new(options).map_err(|p| p.to_string())?;
        println!(
            "first build of agora serve (in memory): {} ms",
            started.elapsed().as_millis()
        );
        Ok(Self {
            root,
            serving: live.files(),
            live,
            edited,
            page: format!("aktualnosci/wpis-{edited:05}/index.html"),
        })
    }

    /// Edit `round` of `kind`: the time from the save to the new page
    /// served, and the pages rendered again. Fails unless the edit was
    /// rebuilt incrementally (one below `<!-- more -->`, its page alone).
    fn edit(&mut self, kind: Edit, round: usize) -> Result<(Duration, usize), String> {
        let marker = format!("Zmiana {} {round}.", kind.name());
        let (title, teaser, tail) = kind.post_texts(&marker);
        let (path, text) = post(self.edited, title, teaser, tail);
        let saved = Instant::now();
        write(&self.root, &path, &text)?;
        let rebuilt = self.live.rebuild(&[path]).map_err(|p| p.to_string())?;
        drop(std::mem::replace(&mut self.serving, self.live.files()));
        let served = self
            .serving
            .get(self.page.as_str())
            .is_some_and(|bytes| String::from_utf8_lossy(bytes).contains(&marker));
        let took = saved.elapsed();
        if !served || rebuilt.whole {
            return Err(format!(
                "round {round}: the edit was not rebuilt incrementally"
            ));
        }
        if matches!(kind, Edit::Body) && rebuilt.pages != 1 {
            return Err(format!(
                "round {round}: an edit below <!-- more --> rendered {} pages, not the page alone",
                rebuilt.pages
            ));
        }
        Ok((took, rebuilt.pages))
    }
}

#[derive(Clone, Copy)]
enum Edit {
    /// Text below `<!-- more -->`: no list shows it.
    Body,
    /// The text above it, which lists show.
    Teaser,
    Title,
}

impl Edit {
    fn name(self) -> &'static str {
        match self {
            Self::Body => "body",
            Self::Teaser => "teaser",
            Self::Title => "title",
        }
    }

    /// The post's title, teaser and tail with this edit's `marker`.
    fn post_texts(self, marker: &str) -> (&str, &str, &str) {
        match self {
            Self::Body => ("Wpis", "Pierwsza wersja.", marker),
            Self::Teaser => ("Wpis", marker, ""),
            Self::Title => (marker, marker, ""),
        }
    }
}

fn millis(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1000.0)
}

/// Post `n`: (its path from the root, its text), with `teaser` before
/// `<!-- more -->` and `tail` at the end.
fn post(n: usize, title: &str, teaser: &str, tail: &str) -> (PathBuf, String) {
    let date = format!("20{:02}-{:02}-{:02}", 10 + n % 14, 1 + n % 12, 1 + n % 28);
    let filler = "Mieszkańcy Krakowa przygotowują projekty razem z ekspertami miasta. ".repeat(20);
    let text = format!(
        "---\ntitle: {title} {n}\ndate: {date}\ntags: [{}, {}]\n---\n\n{teaser} Wpis {n} o [kontakcie](/kontakt/).\n\n<!-- more -->\n\n## Szczegóły\n\n{filler}\n\n## Co dalej?\n\nZobacz [aktualności](/aktualnosci/) i [wydarzenia](@/wydarzenia/_index.md). {tail}\n",
        TAGS[n % 10],
        TAGS[(n * 7) % 10]
    );
    (
        PathBuf::from(format!("content/aktualnosci/{date}-wpis-{n:05}.md")),
        text,
    )
}

fn write(root: &Path, path: &Path, text: &str) -> Result<(), String> {
    fs::write(root.join(path), text).map_err(|e| format!("{}: {e}", path.display()))
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.map_err(|e| format!("{}: {e}", from.display()))?;
        let relative = entry.path().strip_prefix(from).map_err(|e| e.to_string())?;
        let target = to.join(relative);
        let done = if entry.file_type().is_dir() {
            fs::create_dir_all(&target)
        } else {
            fs::copy(entry.path(), &target).map(drop)
        };
        done.map_err(|e| format!("{}: {e}", target.display()))?;
    }
    Ok(())
}
