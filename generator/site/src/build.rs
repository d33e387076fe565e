//! The build: a straight list of named, timed stages. Only the first
//! (reading) and the last (writing) touch the file system.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::config::{Config, CONFIG_FILE};
use crate::content::{self, LoadOptions, CONTENT_DIR};
use crate::dates;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::feeds;
use crate::model::Content;
use crate::notices;
use crate::output;
use crate::output::OutputFile;
use crate::render::{self, Emit, Gathered, Renderer};
use crate::scope::Scope;
use crate::search::SearchIndex;
use crate::site::{Documents, Index, MarkdownCache, Site};
use crate::templates::{self, Theme};

#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub root: PathBuf,
    /// Where to write the site; `None` checks without writing.
    pub out: Option<PathBuf>,
    pub base_url: Option<String>,
    pub drafts: bool,
    /// Build as of this local time (`2020-03-01 12:00`) instead of now.
    pub now: Option<String>,
}

#[derive(Debug, Clone)]
pub struct BuildReport {
    /// HTML pages rendered.
    pub pages: usize,
    /// Every file of the output, pages included.
    pub files: usize,
    pub stages: Vec<(&'static str, Duration)>,
    pub elapsed: Duration,
    /// What the editor should know but that does not stop the build,
    /// such as a form that cannot be sent until staff publish its list.
    pub warnings: Vec<Diagnostic>,
}

struct Stages {
    started: Instant,
    last: Instant,
    done: Vec<(&'static str, Duration)>,
}

impl Stages {
    fn new() -> Self {
        let now = Instant::now();
        Self {
            started: now,
            last: now,
            done: Vec::new(),
        }
    }

    fn finish(&mut self, name: &'static str) {
        let now = Instant::now();
        self.done.push((name, now - self.last));
        self.last = now;
    }
}

/// What a build made, in memory: kept by `agora serve` to rebuild only
/// what an edit changes.
pub struct Made {
    pub config: Config,
    pub now: DateTime<Tz>,
    pub theme: Theme,
    pub content: Content,
    pub copies: Vec<output::Copy>,
    /// The site put together (`Site` without the config and content it
    /// borrows, which are above).
    pub documents: Documents,
    pub index: Index,
    /// The search index, for `agora serve` to change what an edit
    /// changes (empty after `agora build`, which wrote it at once).
    pub search: SearchIndex,
    /// The files made, when made in memory (`make_in_memory`).
    pub files: Vec<OutputFile>,
    pub report: BuildReport,
}

/// Builds the site (or, without `out`, runs every check of a build).
/// Pages are written as they are rendered, into a folder that replaces
/// the output only once the whole site is there.
pub fn build(options: &BuildOptions) -> Result<BuildReport, Diagnostics> {
    let mut stages = Stages::new();
    let one = |problem| Diagnostics::sorted(vec![problem]);
    let staging = match &options.out {
        Some(out) => {
            output::check_target(&options.root, out).map_err(one)?;
            Some(output::Staging::open(out).map_err(one)?)
        }
        None => None,
    };
    let emit = |file: OutputFile| staging.as_ref().map_or(Ok(()), |s| s.put(&file));
    let made = make(options, None, &mut stages, &emit).map_err(Diagnostics::sorted)?;
    if let Some(staging) = staging {
        staging.copy(&made.copies).map_err(one)?;
        staging.finish().map_err(one)?;
        stages.finish("copy and swap");
    }
    Ok(BuildReport {
        elapsed: stages.started.elapsed(),
        stages: stages.done,
        ..made.report
    })
}

/// Every stage but writing, the files kept in memory; `cache`: Markdown
/// rendered by earlier builds.
pub fn make_in_memory(
    options: &BuildOptions,
    cache: &mut MarkdownCache,
) -> Result<Made, Diagnostics> {
    let mut stages = Stages::new();
    let gathered = Gathered::default();
    let mut made = make(options, Some(cache), &mut stages, &|file| {
        gathered.add(file)
    })
    .map_err(Diagnostics::sorted)?;
    made.files = gathered.into_files();
    Ok(made)
}

/// Every stage of a build; each file goes to `emit` once it is made.
fn make(
    options: &BuildOptions,
    cache: Option<&mut MarkdownCache>,
    stages: &mut Stages,
    emit: Emit<'_>,
) -> Result<Made, Vec<Diagnostic>> {
    let root = &options.root;
    // Only `agora serve` keeps what a build made, to rebuild from it.
    let in_memory = cache.is_some();
    let mut config = Config::load(root)?;
    if let Some(base_url) = &options.base_url {
        config = config.with_base_url(base_url)?;
    }
    let now = build_time(options.now.as_deref(), config.timezone)?;
    stages.finish("config");

    let load = LoadOptions {
        drafts: options.drafts,
        now,
    };
    let (theme, content) = rayon::join(
        || Theme::load(root, &config.theme),
        || content::load(root, &config, load),
    );
    let (mut theme, mut content, mut problems) = match (theme, content) {
        (Ok(theme), Ok((content, problems))) => (theme, content, problems),
        (theme, content) => {
            let mut problems = theme.err().unwrap_or_default();
            match content {
                Ok((_, mut found)) | Err(mut found) => problems.append(&mut found),
            }
            return Err(problems);
        }
    };
    stages.finish("read");

    let copies = static_copies(root, &theme, &content.assets);
    let static_paths: HashSet<String> = copies.iter().map(|(_, to)| format!("/{to}")).collect();
    match load_forms(root, &content) {
        Ok(forms) => content.forms = forms,
        Err(mut found) => problems.append(&mut found),
    }
    let form_warnings: Vec<Diagnostic> = content
        .forms
        .iter()
        .flat_map(|form| form.warnings.iter().cloned())
        .collect();
    // With files that failed to load, links to them cannot be judged:
    // the site is still assembled, for every other problem to be reported.
    let complete = problems.is_empty();
    let site = match Site::assemble(&config, &content, now, static_paths, complete, cache) {
        Ok(site) if complete => site,
        Ok(_) => return Err(problems),
        Err(mut found) => {
            problems.append(&mut found);
            return Err(problems);
        }
    };
    // Facts the notices show as placeholders, to be filled in.
    let warnings = Diagnostics::sorted(
        form_warnings
            .into_iter()
            .chain(notices::warnings(
                &config,
                &content,
                &site.documents.pages,
                &site.documents.sections,
            ))
            .collect(),
    )
    .0;
    stages.finish("markdown and links");

    let template_problems = render::check_templates(&site, &theme);
    if !template_problems.is_empty() {
        return Err(template_problems);
    }
    let theme_assets: HashSet<String> = theme.static_files.iter().cloned().collect();
    let pages: HashSet<String> = site.index.known.keys().cloned().collect();
    templates::register(
        &mut theme.tera,
        &config.base_path,
        Arc::new(content.data.clone()),
        Arc::new(theme_assets),
        Arc::new(pages),
    );
    let renderer = Renderer::new(&site, &theme);
    let jobs = renderer.jobs(&Scope::Whole);
    // The feeds and the search index need no rendered page: they are made
    // alongside the pages, on whichever core is free.
    let (rendered, feeds) = rayon::join(
        || renderer.render_to(&jobs, emit),
        || feeds_and_search(&site, in_memory, emit),
    );
    let (feed_files, search) = match (rendered, feeds) {
        (Ok(()), Ok(made)) => made,
        (rendered, feeds) => {
            let mut problems = rendered.err().unwrap_or_default();
            problems.extend(feeds.err().unwrap_or_default());
            return Err(problems);
        }
    };
    let pages = jobs.len();
    stages.finish(match options.out {
        Some(_) => "render, feeds and write",
        None => "render and feeds",
    });

    let Site {
        documents, index, ..
    } = site;
    let report = BuildReport {
        pages,
        files: pages + feed_files + copies.len(),
        elapsed: stages.started.elapsed(),
        stages: stages.done.clone(),
        warnings,
    };
    Ok(Made {
        config,
        now,
        theme,
        content,
        copies,
        documents,
        index,
        search,
        files: Vec::new(),
        report,
    })
}

/// The feeds, the sitemap and the search index, each handed to `emit`;
/// how many files they are, and the search index as `agora serve` keeps
/// it (a build writes it and keeps nothing).
fn feeds_and_search(
    site: &Site<'_>,
    in_memory: bool,
    emit: Emit<'_>,
) -> Result<(usize, SearchIndex), Vec<Diagnostic>> {
    let problem = |message| Diagnostic::new(CONTENT_DIR, message);
    let (feeds, search) = rayon::join(
        || feeds::files(site, &Scope::Whole),
        || -> Result<_, Diagnostic> {
            let mut index = SearchIndex::new(site).map_err(problem)?;
            let count = index.write_files(emit, problem)?;
            // A build keeps nothing: the index is dropped as soon as written.
            Ok((
                count,
                if in_memory {
                    index
                } else {
                    SearchIndex::default()
                },
            ))
        },
    );
    let (search_files, search) = search.map_err(|problem| vec![problem])?;
    let feeds = feeds.map_err(|message| vec![problem(message)])?;
    let count = feeds.len() + search_files;
    for file in feeds {
        emit(file).map_err(|problem| vec![problem])?;
    }
    Ok((count, search))
}

/// Form definitions (`content/forms/*.yaml`): checked by every build,
/// shown on the pages that name them, and read by the form functions.
fn load_forms(
    root: &Path,
    content: &crate::model::Content,
) -> Result<Vec<agora_core::forms::FormDefinition>, Vec<Diagnostic>> {
    let data = |name: &str| content.data.get(name).cloned();
    agora_core::forms::load_all(&root.join(CONTENT_DIR), Path::new(CONTENT_DIR), &data)
}

fn build_time(now: Option<&str>, tz: Tz) -> Result<DateTime<Tz>, Vec<Diagnostic>> {
    match now {
        None => Ok(Utc::now().with_timezone(&tz)),
        Some(text) => dates::parse_local(text, tz).map_err(|message| {
            vec![Diagnostic::new("--now", message).hint(format!(
                "the time is read in the site's time zone ({tz}, {CONFIG_FILE})"
            ))]
        }),
    }
}

/// Files copied as they are: the theme's `static/`, then `content/`'s
/// other files (which win over the theme's on the same path).
fn static_copies(root: &Path, theme: &Theme, assets: &[String]) -> Vec<output::Copy> {
    let mut by_target: BTreeMap<String, PathBuf> = BTreeMap::new();
    for name in &theme.static_files {
        by_target.insert(name.clone(), theme.dir.join("static").join(name));
    }
    for asset in assets {
        by_target.insert(asset.clone(), root.join(CONTENT_DIR).join(asset));
    }
    by_target.into_iter().map(|(to, from)| (from, to)).collect()
}
