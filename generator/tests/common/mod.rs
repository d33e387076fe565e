//! Helpers of the integration tests: fixture sites copied into temporary
//! folders together with the real theme, builds, output trees, the
//! `agora` command, a small HTML attribute scanner with a link checker,
//! a small XML tree reader and the search index as the browser reads it.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use agora_site::search::{decode, shard_path, Stemmer};
use agora_site::{BuildOptions, BuildReport, Diagnostics};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use serde_json::Value;
use tempfile::TempDir;

/// Every fixture is built "as of" this moment, so that which posts are
/// published and which events are upcoming never depends on the clock.
pub(crate) const NOW: &str = "2024-01-01 12:00";

/// The generator crate's folder (`generator/`).
pub(crate) fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The workspace root: the real site's `agora.yaml`, `content/`, `themes/`.
pub(crate) fn workspace_dir() -> PathBuf {
    manifest_dir()
        .parent()
        .expect("the generator crate lives in the workspace")
        .to_path_buf()
}

pub(crate) fn fixtures_dir() -> PathBuf {
    manifest_dir().join("tests").join("fixtures")
}

/// Copies the folder `from` into `to` (created), recursively.
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from).sort_by_file_name() {
        let entry = entry.expect("the folder to copy is readable");
        let relative = entry
            .path()
            .strip_prefix(from)
            .expect("walkdir yields paths under its root");
        let target = to.join(relative);
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).expect("create a folder of the copy");
        } else {
            fs::copy(entry.path(), &target).expect("copy a file");
        }
    }
}

/// A site in a temporary folder: the sources in `<tmp>/site`, outputs
/// beside it (`<tmp>/<name>`), so that no output can touch the sources.
pub(crate) struct TempSite {
    dir: TempDir,
}

impl TempSite {
    /// An empty site folder (the caller fills it).
    pub(crate) fn empty() -> Self {
        let dir = tempfile::tempdir().expect("create a temporary folder");
        fs::create_dir(dir.path().join("site")).expect("create the site folder");
        Self { dir }
    }

    /// A copy of `tests/fixtures/<name>` with the real `themes/` beside it.
    pub(crate) fn fixture(name: &str) -> Self {
        let site = Self::empty();
        copy_dir(&fixtures_dir().join(name), &site.root());
        site.add_real_themes();
        site
    }

    /// A copy of the real Kraków site: `agora.yaml`, `content/`, `themes/`.
    pub(crate) fn real() -> Self {
        let site = Self::empty();
        let workspace = workspace_dir();
        fs::copy(workspace.join("agora.yaml"), site.root().join("agora.yaml"))
            .expect("copy the real agora.yaml");
        copy_dir(&workspace.join("content"), &site.root().join("content"));
        site.add_real_themes();
        site
    }

    pub(crate) fn add_real_themes(&self) {
        copy_dir(&workspace_dir().join("themes"), &self.root().join("themes"));
    }

    pub(crate) fn root(&self) -> PathBuf {
        self.dir.path().join("site")
    }

    /// An output folder beside the sources (not created).
    pub(crate) fn out(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The folder holding the sources and the outputs.
    pub(crate) fn parent(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn write(&self, relative: &str, text: &str) {
        let path = self.root().join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create the file's folder");
        }
        fs::write(&path, text).expect("write a source file");
    }

    pub(crate) fn options(&self, out: Option<&str>) -> BuildOptions {
        BuildOptions {
            root: self.root(),
            out: out.map(|name| self.out(name)),
            base_url: None,
            drafts: false,
            now: Some(NOW.to_owned()),
        }
    }

    /// Builds into `<tmp>/<out>` as of [`NOW`], without drafts.
    pub(crate) fn build(&self, out: &str) -> Result<BuildReport, Diagnostics> {
        agora_site::build(&self.options(Some(out)))
    }

    /// Builds into `<tmp>/<out>` and panics with the errors if it fails.
    pub(crate) fn build_ok(&self, out: &str) -> BuildReport {
        match self.build(out) {
            Ok(report) => report,
            Err(problems) => panic!("the build should succeed, but:\n{problems}"),
        }
    }
}

/// Builds the valid fixture once into `<tmp>/public`.
pub(crate) fn built_fixture() -> (TempSite, PathBuf) {
    let site = TempSite::fixture("valid");
    site.build_ok("public");
    let out = site.out("public");
    (site, out)
}

/// Every file under `dir`, by its path relative to `dir` (with `/`).
pub(crate) fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|entry| entry.expect("the output is readable"))
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let relative = entry
                .path()
                .strip_prefix(dir)
                .expect("walkdir yields paths under its root")
                .to_string_lossy()
                .replace('\\', "/");
            let bytes = fs::read(entry.path()).expect("read an output file");
            (relative, bytes)
        })
        .collect()
}

/// The relative paths of every file under `dir`.
pub(crate) fn file_list(dir: &Path) -> BTreeSet<String> {
    read_tree(dir).into_keys().collect()
}

/// An output file as text; panics naming the file if it is missing.
pub(crate) fn read(out: &Path, relative: &str) -> String {
    fs::read_to_string(out.join(relative))
        .unwrap_or_else(|e| panic!("cannot read {relative} of the output: {e}"))
}

/// The output file that serves a site path (`/x/` is `x/index.html`).
pub(crate) fn file_of_path(path: &str) -> String {
    let relative = path.trim_start_matches('/');
    if relative.is_empty() || relative.ends_with('/') {
        format!("{relative}index.html")
    } else {
        relative.to_owned()
    }
}

/// Runs the `agora` command with `args` to its end.
pub(crate) fn agora(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_agora"))
        .args(args)
        .output()
        .expect("run the agora binary")
}

/// The credentials DynamoDB Local accepts: it checks that requests are
/// signed, not by whom.
pub(crate) const LOCAL_AWS: [(&str, &str); 3] = [
    ("AWS_ACCESS_KEY_ID", "local"),
    ("AWS_SECRET_ACCESS_KEY", "local"),
    ("AWS_REGION", "eu-central-1"),
];

/// `command` with nothing of this machine's AWS setup: no session,
/// profile or endpoint of its own.
pub(crate) fn without_machine_aws(command: &mut Command) -> &mut Command {
    command
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
}

/// `command` (an `agora` on a DynamoDB Local table) with the
/// [`LOCAL_AWS`] credentials and nothing of this machine's AWS setup.
pub(crate) fn on_dynamodb_local(command: &mut Command) -> &mut Command {
    without_machine_aws(command.envs(LOCAL_AWS))
}

/// A command's output as text.
pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The part of `html` from `start` up to and with the next `end` after it;
/// panics if either is missing.
#[track_caller]
pub(crate) fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("`{start}` not found in:\n{html}"));
    let rest = &html[from..];
    let to = rest[start.len()..]
        .find(end)
        .unwrap_or_else(|| panic!("no `{end}` after `{start}` in:\n{rest}"));
    &rest[..start.len() + to + end.len()]
}

/// The part of the privacy page about form `id`.
#[track_caller]
pub(crate) fn form_part<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!("<h3 id=\"dane-osobowe-{id}\">"))
        .unwrap_or_else(|| panic!("the privacy page has no part about the form {id}:\n{page}"));
    let rest = &page[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

/// Asserts that `haystack` (the file `name`) contains every needle.
#[track_caller]
pub(crate) fn assert_contains_all(name: &str, haystack: &str, needles: &[&str]) {
    let missing: Vec<&&str> = needles.iter().filter(|n| !haystack.contains(**n)).collect();
    assert!(
        missing.is_empty(),
        "{name} lacks {missing:?}; it holds:\n{haystack}"
    );
}

/// The values of attribute `name` in an HTML text, in order, with the
/// entities HTML escaping puts into attributes decoded.
pub(crate) fn attribute_values(html: &str, name: &str) -> Vec<String> {
    let needle = format!("{name}=\"");
    let mut values = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(&needle) {
        let before = rest[..at].chars().next_back();
        let after = &rest[at + needle.len()..];
        let Some(end) = after.find('"') else { break };
        // `data-href="` must not count as `href="`.
        if before.is_some_and(char::is_whitespace) {
            values.push(decode_entities(&after[..end]));
        }
        rest = &after[end..];
    }
    values
}

fn decode_entities(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Every HTML file of an output, relative path and text.
pub(crate) fn html_files(out: &Path) -> Vec<(String, String)> {
    read_tree(out)
        .into_iter()
        .filter(|(path, _)| path.ends_with(".html"))
        .map(|(path, bytes)| {
            let text =
                String::from_utf8(bytes).unwrap_or_else(|e| panic!("{path} is not UTF-8: {e}"));
            (path, text)
        })
        .collect()
}

/// Whether a link leaves the site: a scheme (`https:`, `mailto:`) or `//`.
fn is_external(link: &str) -> bool {
    link.starts_with("//")
        || link.split_once(':').is_some_and(|(scheme, _)| {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        })
}

/// The folder part of the site path of an output file (`a/b/index.html`
/// is served at `/a/b/`; `404.html` is served at any path, read as `/`).
fn page_dir(file: &str) -> String {
    match file.rsplit_once('/') {
        Some((dir, _)) => format!("/{dir}/"),
        None => "/".to_owned(),
    }
}

/// Resolves a relative link against the folder `dir` (`/a/b/`).
fn resolve(dir: &str, link: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in link.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let mut path = format!("/{}", parts.join("/"));
    if link.ends_with('/') && path != "/" {
        path.push('/');
    }
    path
}

/// Checks every link of every HTML file of a built site: each
/// root-relative or relative `href`, `src`, `action` and `data-index`
/// (and each absolute one to `base_url`) must lie under the site's base
/// path and name a file of the output, and each `#anchor` must be an
/// `id` of the target page. A bare `href="#"` is a problem too.
/// Forms post to the form functions at `/api/forms/<id>` on the domain's
/// root (not a file of the output): the id must name a form.
/// Returns the problems, one line each.
pub(crate) fn link_problems(out: &Path, base_url: &str) -> Vec<String> {
    let base_url = base_url.trim_end_matches('/');
    let (_, after_scheme) = base_url.split_once("://").expect("an absolute base URL");
    let base_path = match after_scheme.find('/') {
        Some(i) => format!("{}/", &after_scheme[i..]),
        None => "/".to_owned(),
    };
    let origin = &base_url[..base_url.len() + 1 - base_path.len()];
    let pages = html_files(out);
    let ids: BTreeMap<&str, HashSet<String>> = pages
        .iter()
        .map(|(file, html)| {
            (
                file.as_str(),
                attribute_values(html, "id").into_iter().collect(),
            )
        })
        .collect();
    let mut problems = Vec::new();
    for (file, html) in &pages {
        let links = ["href", "src", "action", "data-index"]
            .into_iter()
            .flat_map(|attribute| attribute_values(html, attribute));
        for link in links {
            if let Some(problem) = check_link(out, &ids, file, &link, origin, &base_path) {
                problems.push(format!("{file}: `{link}`: {problem}"));
            }
        }
    }
    problems
}

fn check_link(
    out: &Path,
    ids: &BTreeMap<&str, HashSet<String>>,
    file: &str,
    link: &str,
    origin: &str,
    base_path: &str,
) -> Option<String> {
    if link.trim().is_empty() || link == "#" {
        return Some("points nowhere".to_owned());
    }
    if let Some(form) = link.strip_prefix("/api/forms/") {
        // A TempSite's outputs lie beside its `site/` folder.
        let definition = out
            .join("../site/content/forms")
            .join(format!("{form}.yaml"));
        return (!definition.is_file()).then(|| format!("there is no form {form}"));
    }
    let link = match link.strip_prefix(origin) {
        Some(rest) if rest.starts_with(base_path) => rest,
        _ if is_external(link) => return None,
        _ => link,
    };
    let link = link.split_once('?').map_or(link, |(before, _)| before);
    let (path, anchor) = link.split_once('#').unwrap_or((link, ""));
    let target = if path.is_empty() {
        file.to_owned()
    } else {
        let absolute = if path.starts_with('/') {
            path.to_owned()
        } else {
            // The page is served under the base path.
            let served = format!("{}{}", base_path.trim_end_matches('/'), page_dir(file));
            resolve(&served, path)
        };
        let Some(inside) = absolute.strip_prefix(base_path.trim_end_matches('/')) else {
            return Some(format!("lies outside the base path {base_path}"));
        };
        let target = file_of_path(inside);
        if !out.join(&target).is_file() {
            return Some(if out.join(&target).is_dir() {
                format!("{target} is a folder (a trailing slash is missing)")
            } else {
                format!("the output has no {target}")
            });
        }
        target
    };
    if anchor.is_empty() {
        return None;
    }
    match ids.get(target.as_str()) {
        Some(found) if found.contains(anchor) => None,
        Some(_) => Some(format!("{target} has no id=\"{anchor}\"")),
        None => Some(format!("{target} is no HTML page, so it has no #{anchor}")),
    }
}

/// Ids that occur more than once on one page, as `file: id` lines.
pub(crate) fn duplicate_ids(out: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    for (file, html) in html_files(out) {
        let mut seen = HashSet::new();
        for id in attribute_values(&html, "id") {
            if !seen.insert(id.clone()) {
                problems.push(format!("{file}: id=\"{id}\" occurs more than once"));
            }
        }
    }
    problems
}

/// An element of a parsed XML document.
#[derive(Debug, Default)]
pub(crate) struct Element {
    pub(crate) name: String,
    pub(crate) attributes: Vec<(String, String)>,
    pub(crate) children: Vec<Element>,
    /// The text directly inside the element, entities resolved.
    pub(crate) text: String,
}

impl Element {
    pub(crate) fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    pub(crate) fn children_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The text of the only child named `name`; panics otherwise.
    #[track_caller]
    pub(crate) fn child_text(&self, name: &str) -> &str {
        let found: Vec<&Element> = self.children.iter().filter(|c| c.name == name).collect();
        assert_eq!(
            found.len(),
            1,
            "<{}> should have exactly one <{name}>: {self:?}",
            self.name
        );
        &found[0].text
    }
}

fn element(start: &BytesStart<'_>) -> Result<Element, String> {
    let name = String::from_utf8(start.name().as_ref().to_vec()).map_err(|e| e.to_string())?;
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| format!("bad attribute of <{name}>: {e}"))?;
        let key = String::from_utf8(attribute.key.as_ref().to_vec()).map_err(|e| e.to_string())?;
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| format!("bad value of {key} in <{name}>: {e}"))?;
        attributes.push((key, value.into_owned()));
    }
    Ok(Element {
        name,
        attributes,
        ..Element::default()
    })
}

/// Parses a whole XML document with quick-xml into its root element;
/// an error for anything that is not well-formed.
pub(crate) fn parse_xml(text: &str) -> Result<Element, String> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let attach =
        |stack: &mut Vec<Element>, root: &mut Option<Element>, element: Element| match stack
            .last_mut()
        {
            Some(parent) => {
                parent.children.push(element);
                Ok(())
            }
            None if root.is_some() => Err(format!("a second root element <{}>", element.name)),
            None => {
                *root = Some(element);
                Ok(())
            }
        };
    loop {
        let position = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| format!("not well-formed near byte {position}: {e}"))?;
        let outside = |what: &str| format!("{what} outside the root element near byte {position}");
        match event {
            Event::Start(start) => stack.push(element(&start)?),
            Event::Empty(start) => attach(&mut stack, &mut root, element(&start)?)?,
            Event::End(_) => {
                let done = stack.pop().ok_or_else(|| outside("an end tag"))?;
                attach(&mut stack, &mut root, done)?;
            }
            Event::Text(text) => {
                let text = text.decode().map_err(|e| e.to_string())?;
                match stack.last_mut() {
                    Some(top) => top.text.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err(outside("text")),
                }
            }
            Event::CData(data) => {
                let data = data.decode().map_err(|e| e.to_string())?;
                stack
                    .last_mut()
                    .ok_or_else(|| outside("CDATA"))?
                    .text
                    .push_str(&data);
            }
            Event::GeneralRef(reference) => {
                let name = reference.decode().map_err(|e| e.to_string())?;
                let entity = format!("&{name};");
                let resolved = quick_xml::escape::unescape(&entity)
                    .map_err(|e| format!("unknown entity {entity}: {e}"))?;
                stack
                    .last_mut()
                    .ok_or_else(|| outside("an entity"))?
                    .text
                    .push_str(&resolved);
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!("<{}> is never closed", open.name));
    }
    root.ok_or_else(|| "the document has no root element".to_owned())
}

/// The content lines of an iCalendar text, unfolded (RFC 5545 3.1).
pub(crate) fn ics_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for raw in text.split("\r\n") {
        match raw.strip_prefix([' ', '\t']) {
            Some(continuation) => {
                if let Some(last) = lines.last_mut() {
                    last.push_str(continuation);
                }
            }
            None if raw.is_empty() => {}
            None => lines.push(raw.to_owned()),
        }
    }
    lines
}

/// The events of an unfolded calendar: each a map property name ->
/// value (`DTSTART;TZID=...` is stored as `DTSTART`).
pub(crate) fn ics_events(lines: &[String]) -> Vec<BTreeMap<String, String>> {
    let mut events = Vec::new();
    let mut current: Option<BTreeMap<String, String>> = None;
    for line in lines {
        match line.as_str() {
            "BEGIN:VEVENT" => current = Some(BTreeMap::new()),
            "END:VEVENT" => events.extend(current.take()),
            _ => {
                if let (Some(event), Some((key, value))) = (current.as_mut(), line.split_once(':'))
                {
                    let name = key.split(';').next().unwrap_or(key);
                    event.insert(name.to_owned(), value.to_owned());
                }
            }
        }
    }
    events
}

/// The search index as its files hold it.
pub(crate) struct SearchIndex {
    pub(crate) shards: Vec<String>,
    /// Stem -> (documents with it in the title, all documents with it).
    pub(crate) terms: BTreeMap<String, (BTreeSet<u32>, BTreeSet<u32>)>,
    /// Per document: URL, title words, other words.
    pub(crate) docs: Vec<(String, String, String)>,
}

/// A JSON file of the output, by its site path.
pub(crate) fn json(out: &Path, path: &str) -> Value {
    serde_json::from_str(&read(out, path.trim_start_matches('/')))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

impl SearchIndex {
    /// Reads the index of the output `out`, as the browser does: the
    /// manifest, every shard of stems, every file of results and texts.
    pub(crate) fn load(out: &Path) -> Self {
        let manifest = json(out, "search-index/manifest.json");
        let count = manifest["documents"].as_u64().expect("documents") as usize;
        let per_page = manifest["pages_per_file"].as_u64().expect("pages") as usize;
        let per_text = manifest["texts_per_file"].as_u64().expect("texts") as usize;
        let shards: Vec<String> = manifest["shards"]
            .as_array()
            .expect("shards")
            .iter()
            .map(|s| s.as_str().expect("a prefix").to_owned())
            .collect();
        let mut terms = BTreeMap::new();
        for shard in &shards {
            let file = json(out, &shard_path(shard));
            for (stem, lists) in file.as_object().expect("an object") {
                assert!(stem.starts_with(shard.as_str()), "{stem} in shard {shard}");
                let title: BTreeSet<u32> = decode(lists[0].as_str().expect("title"))
                    .into_iter()
                    .collect();
                let mut all: BTreeSet<u32> = decode(lists[1].as_str().expect("body"))
                    .into_iter()
                    .collect();
                all.extend(&title);
                terms.insert(stem.clone(), (title, all));
            }
        }
        let mut docs = Vec::new();
        for n in 0..count {
            let entries = json(out, &format!("search-index/pages/{}.json", n / per_page));
            let texts = json(out, &format!("search-index/text/{}.json", n / per_text));
            let entry = &entries[n % per_page];
            let text = &texts[n % per_text];
            docs.push((
                entry["url"].as_str().expect("url").to_owned(),
                text[0].as_str().expect("title words").to_owned(),
                text[1].as_str().expect("words").to_owned(),
            ));
        }
        Self {
            shards,
            terms,
            docs,
        }
    }

    /// The documents a one-word query finds, as `search.js` finds them:
    /// the word's stem, or (3 letters or more) any stem it begins.
    pub(crate) fn find(&self, query: &str) -> BTreeSet<u32> {
        let stemmer = Stemmer::polish().expect("the stemmer");
        let mut found: Option<BTreeSet<u32>> = None;
        for word in stemmer.word_list(query) {
            let stem = stemmer.stem(&word);
            let prefix = word.chars().count() >= 3;
            let mut docs = BTreeSet::new();
            for (term, (_, all)) in &self.terms {
                if *term == stem || (prefix && term.starts_with(&word)) {
                    docs.extend(all);
                }
            }
            found = Some(match found {
                None => docs,
                Some(before) => before.intersection(&docs).copied().collect(),
            });
        }
        found.unwrap_or_default()
    }

    pub(crate) fn number(&self, url: &str) -> Option<u32> {
        self.docs
            .iter()
            .position(|(u, _, _)| u == url)
            .map(|n| n as u32)
    }
}
