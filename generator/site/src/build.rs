//! The build: a straight list of named, timed stages. Only reading (the
//! configuration, theme and content, then the form files) and the last
//! stage (writing) touch the file system.

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
    // Only `agora serve` keeps what a build made, to rebuild from it.
    let in_memory = cache.is_some();
    let (config, now) = configure(options)?;
    stages.finish("config");

    let (mut theme, mut content, mut problems) = read(options, &config, now)?;
    stages.finish("read");

    problems.append(&mut load_forms(&options.root, &mut content));
    let copies = static_copies(&options.root, &theme, &content.assets);
    let site = assemble(&config, &content, now, &copies, problems, cache)?;
    let warnings = warnings(&site);
    stages.finish("markdown and links");

    prepare_theme(&site, &mut theme)?;
    let outputs = render_whole(&site, &theme, in_memory, emit)?;
    stages.finish(match options.out {
        Some(_) => "render, feeds and write",
        None => "render and feeds",
    });

    let Site {
        documents, index, ..
    } = site;
    let report = BuildReport {
        pages: outputs.pages,
        files: outputs.pages + outputs.other_files + copies.len(),
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
        search: outputs.search,
        files: Vec::new(),
        report,
    })
}

/// `agora.yaml`, with the base URL the command gives, and the time the
/// site is built as of.
fn configure(options: &BuildOptions) -> Result<(Config, DateTime<Tz>), Vec<Diagnostic>> {
    let mut config = Config::load(&options.root)?;
    if let Some(base_url) = &options.base_url {
        config = config.with_base_url(base_url)?;
    }
    let now = build_time(options.now.as_deref(), config.timezone)?;
    Ok((config, now))
}

/// The theme and `content/`, read in parallel. The problems returned
/// with them do not stop the site from being assembled, for its own
/// problems to be reported with theirs.
fn read(
    options: &BuildOptions,
    config: &Config,
    now: DateTime<Tz>,
) -> Result<(Theme, Content, Vec<Diagnostic>), Vec<Diagnostic>> {
    let root = &options.root;
    let load = LoadOptions {
        drafts: options.drafts,
        now,
    };
    let (theme, content) = rayon::join(
        || Theme::load(root, &config.theme),
        || content::load(root, config, load),
    );
    match (theme, content) {
        (Ok(theme), Ok((content, problems))) => Ok((theme, content, problems)),
        (theme, content) => {
            let mut problems = theme.err().unwrap_or_default();
            match content {
                Ok((_, mut found)) | Err(mut found) => problems.append(&mut found),
            }
            Err(problems)
        }
    }
}

/// The site put together: the Markdown rendered, URLs and links checked.
/// `problems`: those found so far, which fail the build with the site's.
fn assemble<'c>(
    config: &'c Config,
    content: &'c Content,
    now: DateTime<Tz>,
    copies: &[output::Copy],
    mut problems: Vec<Diagnostic>,
    cache: Option<&mut MarkdownCache>,
) -> Result<Site<'c>, Vec<Diagnostic>> {
    let static_paths: HashSet<String> = copies.iter().map(|(_, to)| format!("/{to}")).collect();
    // With files that failed to load, links to them cannot be judged:
    // the site is still assembled, for every other problem to be reported.
    let complete = problems.is_empty();
    match Site::assemble(config, content, now, static_paths, complete, cache) {
        Ok(site) if complete => Ok(site),
        Ok(_) => Err(problems),
        Err(mut found) => {
            problems.append(&mut found);
            Err(problems)
        }
    }
}

/// What the editor should know but that does not stop the build: the
/// forms' warnings, and the facts the notices show as placeholders, to
/// be filled in.
fn warnings(site: &Site<'_>) -> Vec<Diagnostic> {
    let (config, content) = (site.config, site.content);
    let forms = content
        .forms
        .iter()
        .flat_map(|form| form.warnings.iter().cloned());
    let documents = &site.documents;
    let notices = notices::warnings(config, content, &documents.pages, &documents.sections);
    let panel = crate::config::panel_warnings(config);
    Diagnostics::sorted(forms.chain(notices).chain(panel).collect()).0
}

/// Checks the theme's templates against the site, then gives them what
/// they look up: the data files, the theme's assets and every page.
fn prepare_theme(site: &Site<'_>, theme: &mut Theme) -> Result<(), Vec<Diagnostic>> {
    let problems = render::check_templates(site, theme);
    if !problems.is_empty() {
        return Err(problems);
    }
    let theme_assets: HashSet<String> = theme.static_files.iter().cloned().collect();
    let pages: HashSet<String> = site.index.known.keys().cloned().collect();
    templates::register(
        &mut theme.tera,
        &site.config.base_path,
        Arc::new(site.content.data.clone()),
        Arc::new(theme_assets),
        Arc::new(pages),
    );
    Ok(())
}

/// What the render stage of a whole build made.
struct Outputs {
    pages: usize,
    /// The feeds, the sitemap, the calendars and the search index.
    other_files: usize,
    /// As `agora serve` keeps it (a build writes it and keeps nothing).
    search: SearchIndex,
}

/// Every page, feed and file of the search index, each handed to `emit`.
fn render_whole(
    site: &Site<'_>,
    theme: &Theme,
    in_memory: bool,
    emit: Emit<'_>,
) -> Result<Outputs, Vec<Diagnostic>> {
    // The search index needs no rendered page: it is made alongside the
    // pages, on whichever core is free.
    let (rendered, search) = rayon::join(
        || render_scope(site, theme, &Scope::Whole, emit),
        || search_index(site, in_memory, emit),
    );
    match (rendered, search) {
        (Ok(scoped), Ok((search_files, search))) => Ok(Outputs {
            pages: scoped.pages,
            other_files: scoped.feeds + search_files,
            search,
        }),
        (rendered, search) => {
            let mut problems = rendered.err().unwrap_or_default();
            problems.extend(search.err());
            Err(problems)
        }
    }
}

/// How many files the render stage made over a scope.
pub(crate) struct Scoped {
    pub pages: usize,
    /// The feeds, the sitemap and the calendars.
    pub feeds: usize,
}

/// The render stage over `scope` (a build's, or a rebuild's after an
/// edit): the pages and the feeds it makes, each handed to `emit`.
pub(crate) fn render_scope(
    site: &Site<'_>,
    theme: &Theme,
    scope: &Scope<'_>,
    emit: Emit<'_>,
) -> Result<Scoped, Vec<Diagnostic>> {
    let renderer = Renderer::new(site, theme);
    let jobs = renderer.jobs(scope);
    // The feeds need no rendered page: they are made alongside the pages.
    let (rendered, feeds) = rayon::join(
        || renderer.render_to(&jobs, emit),
        || feeds::files(site, scope),
    );
    let feeds = match (rendered, feeds) {
        (Ok(()), Ok(feeds)) => feeds,
        (rendered, feeds) => {
            let mut problems = rendered.err().unwrap_or_default();
            problems.extend(feeds.err().map(content_problem));
            return Err(problems);
        }
    };
    let count = feeds.len();
    for file in feeds {
        emit(file).map_err(|problem| vec![problem])?;
    }
    Ok(Scoped {
        pages: jobs.len(),
        feeds: count,
    })
}

/// The search index, its files handed to `emit`; how many, and the index
/// as `agora serve` keeps it (a build writes it and keeps nothing).
fn search_index(
    site: &Site<'_>,
    in_memory: bool,
    emit: Emit<'_>,
) -> Result<(usize, SearchIndex), Diagnostic> {
    let mut index = SearchIndex::new(site).map_err(content_problem)?;
    let count = index.write_files(emit, content_problem)?;
    // A build keeps nothing: the index is dropped as soon as written.
    Ok((
        count,
        if in_memory {
            index
        } else {
            SearchIndex::default()
        },
    ))
}

/// A problem of the content as a whole, such as a feed that cannot be made.
pub(crate) fn content_problem(message: String) -> Diagnostic {
    Diagnostic::new(CONTENT_DIR, message)
}

/// Form definitions (`content/forms/*.yaml`), put into `content`: checked
/// by every build, shown on the pages that name them, and read by the
/// form functions. The problems found in them.
fn load_forms(root: &Path, content: &mut Content) -> Vec<Diagnostic> {
    let data = |name: &str| content.data.get(name).cloned();
    match agora_core::forms::load_all(&root.join(CONTENT_DIR), Path::new(CONTENT_DIR), &data) {
        Ok(forms) => {
            content.forms = forms;
            Vec::new()
        }
        Err(problems) => problems,
    }
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
