//! A deterministic corpus for comparing site generators: N news posts of
//! Polish text (headings, lists, links, a table), each with 1-3 of 40 tags
//! and a date over ten years, plus a few pages; written as an Agora site,
//! a Hugo site and a Zola site with equivalent templates (a post, a
//! paginated list of 10, tag pages, a feed of 30, a sitemap). The same
//! `--posts` gives the same bytes on every machine.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use clap::Parser;

#[derive(Parser)]
#[command(about = "Writes the benchmark corpus as an Agora, a Hugo and a Zola site.")]
struct Args {
    /// How many news posts.
    #[arg(long, default_value_t = 1000)]
    posts: usize,
    /// The folder to write `agora/`, `hugo/` and `zola/` into (what else
    /// they hold is removed; the rest of the folder is left alone).
    #[arg(long)]
    out: PathBuf,
    /// The Agora theme to copy into the Agora site.
    #[arg(long, default_value = "themes/default")]
    theme: PathBuf,
}

/// Forty tags, as an editor would write them.
const TAGS: [&str; 40] = [
    "budżet obywatelski",
    "NGO",
    "partycypacja",
    "ambasadorzy",
    "warsztaty",
    "konsultacje",
    "zieleń",
    "transport",
    "rowery",
    "szkoły",
    "seniorzy",
    "młodzież",
    "kultura",
    "sport",
    "bezpieczeństwo",
    "czystość",
    "place zabaw",
    "parki",
    "drogi",
    "chodniki",
    "oświetlenie",
    "biblioteki",
    "zdrowie",
    "ekologia",
    "woda",
    "powietrze",
    "mieszkańcy",
    "rada dzielnicy",
    "Podgórze",
    "Nowa Huta",
    "Krowodrza",
    "Dębniki",
    "Bronowice",
    "Czyżyny",
    "Bieżanów",
    "Zwierzyniec",
    "Grzegórzki",
    "Prądnik",
    "Swoszowice",
    "Mistrzejowice",
];

const WORDS: [&str; 48] = [
    "mieszkańcy",
    "projekt",
    "dzielnica",
    "spotkanie",
    "miasto",
    "propozycja",
    "budżet",
    "głosowanie",
    "ekspert",
    "pomysł",
    "ulica",
    "osiedle",
    "park",
    "ławka",
    "drzewo",
    "ścieżka",
    "rowerowa",
    "zielona",
    "wspólnie",
    "omawiamy",
    "zgłaszamy",
    "sprawdzamy",
    "koszt",
    "realizacja",
    "wniosek",
    "jednostka",
    "opiniuje",
    "zapraszamy",
    "każdy",
    "może",
    "przyjść",
    "porozmawiać",
    "sąsiedzi",
    "plac",
    "zabaw",
    "boisko",
    "szkoła",
    "biblioteka",
    "kultura",
    "dla",
    "wszystkich",
    "w",
    "na",
    "i",
    "oraz",
    "przy",
    "naszej",
    "okolicy",
];

/// xorshift64*: a fixed generator, so the corpus never changes with a
/// crate's version.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn words(&mut self, count: usize) -> String {
        (0..count)
            .map(|_| WORDS[self.below(WORDS.len())])
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn sentence(&mut self) -> String {
        let count = 6 + self.below(12);
        let text = self.words(count);
        let mut chars = text.chars();
        let first = chars.next().map(|c| c.to_uppercase().collect::<String>());
        format!("{}{}.", first.unwrap_or_default(), chars.as_str())
    }

    fn paragraph(&mut self) -> String {
        let count = 3 + self.below(4);
        (0..count)
            .map(|_| self.sentence())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

struct Post {
    slug: String,
    title: String,
    date: String,
    tags: Vec<&'static str>,
    body: String,
}

fn posts(count: usize) -> Vec<Post> {
    let mut random = Random(0x9E37_79B9_7F4A_7C15);
    let mut posts: Vec<Post> = Vec::with_capacity(count);
    for i in 0..count {
        // Ten years, 2016-2025, spread over the posts in order.
        let day = i * 3650 / count.max(1);
        let date = chrono::NaiveDate::from_ymd_opt(2016, 1, 1)
            .and_then(|d| d.checked_add_days(chrono::Days::new(day as u64)))
            .unwrap_or_default();
        let title_words = 3 + random.below(5);
        let title = random.sentence();
        let title = title
            .split(' ')
            .take(title_words)
            .collect::<Vec<_>>()
            .join(" ")
            .trim_end_matches('.')
            .to_owned();
        let slug = format!("wpis-{i:05}");
        let mut tags = Vec::new();
        for _ in 0..1 + random.below(3) {
            let tag = TAGS[random.below(TAGS.len())];
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        let mut body = String::new();
        let _ = writeln!(body, "{}\n", random.paragraph());
        let _ = writeln!(body, "## {}\n", random.words(3));
        let _ = writeln!(body, "{}\n", random.paragraph());
        for _ in 0..3 + random.below(3) {
            let count = 4 + random.below(5);
            let _ = writeln!(body, "- {}", random.words(count));
        }
        body.push('\n');
        // A link to an earlier post (checked by Agora) and one outside.
        if let Some(earlier) = (i > 0).then(|| &posts[random.below(i)]) {
            let _ = writeln!(
                body,
                "Więcej przeczytasz we [wpisie „{}”](/aktualnosci/{}/) oraz na [stronie miasta](https://www.krakow.pl/).\n",
                earlier.title, earlier.slug
            );
        }
        let _ = writeln!(body, "### {}\n", random.words(2));
        body.push_str("| Etap | Termin | Miejsce |\n|---|---|---|\n");
        for row in 1..=3 {
            let _ = writeln!(
                body,
                "| {row}. {} | {} | {} |",
                random.words(2),
                date.format("%d.%m.%Y"),
                random.words(2)
            );
        }
        body.push('\n');
        for _ in 0..2 + random.below(3) {
            let _ = writeln!(body, "{}\n", random.paragraph());
        }
        posts.push(Post {
            slug,
            title,
            date: date.format("%Y-%m-%d").to_string(),
            tags,
            body,
        });
    }
    posts
}

/// The few pages every site has.
const PAGES: [(&str, &str); 5] = [
    ("o-programie", "O programie"),
    ("kontakt", "Kontakt"),
    ("jak-zglosic-projekt", "Jak zgłosić projekt"),
    ("polityka-prywatnosci", "Polityka prywatności"),
    ("deklaracja-dostepnosci", "Deklaracja dostępności"),
];

fn yaml_list(tags: &[&str]) -> String {
    let quoted: Vec<String> = tags.iter().map(|t| format!("\"{t}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

/// The files of the corpus as they are written. A file already holding
/// the same text is left alone, and files of an earlier corpus that this
/// one lacks are removed: a corpus made again at the same size changes
/// nothing on disk. Removing and re-creating tens of thousands of files
/// would slow the builds timed right after it (ext4 skips the inodes of
/// recently deleted files when it allocates new ones).
#[derive(Default)]
struct Files {
    written: HashSet<PathBuf>,
}

impl Files {
    fn write<T: AsRef<[u8]> + ?Sized>(&mut self, path: &Path, text: &T) -> Result<(), String> {
        let text = text.as_ref();
        self.written.insert(path.to_path_buf());
        if fs::read(path).is_ok_and(|old| old == text) {
            return Ok(());
        }
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
    }

    fn copy_dir(&mut self, from: &Path, to: &Path) -> Result<(), String> {
        for entry in walkdir::WalkDir::new(from) {
            let entry = entry.map_err(|e| e.to_string())?;
            let relative = entry.path().strip_prefix(from).map_err(|e| e.to_string())?;
            if entry.file_type().is_file() {
                let bytes = fs::read(entry.path())
                    .map_err(|e| format!("{}: {e}", entry.path().display()))?;
                self.write(&to.join(relative), &bytes)?;
            }
        }
        Ok(())
    }

    /// Removes what under `root` this corpus did not write.
    fn remove_others(&self, root: &Path) -> Result<(), String> {
        let mut folders = Vec::new();
        for entry in walkdir::WalkDir::new(root).contents_first(true) {
            let entry = entry.map_err(|e| e.to_string())?;
            let path = entry.path();
            if entry.file_type().is_dir() {
                folders.push(path.to_path_buf());
            } else if !self.written.contains(path) {
                fs::remove_file(path).map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
        for folder in folders {
            // Only empty folders go; the others fail to be removed.
            let _ = fs::remove_dir(folder);
        }
        Ok(())
    }
}

fn agora_site(
    files: &mut Files,
    root: &Path,
    theme: &Path,
    posts: &[Post],
    text: &mut Random,
) -> Result<(), String> {
    files.write(
        &root.join("agora.yaml"),
        "title: Korpus testowy\ndescription: Strona do pomiaru szybkości generatora.\nbase_url: https://example.org\nnews_per_page: 10\nmenu:\n  - title: Aktualności\n    url: /aktualnosci/\n",
    )?;
    files.write(
        &root.join("content/_index.md"),
        &format!("---\ntitle: Korpus testowy\n---\n\n{}\n", text.paragraph()),
    )?;
    files.write(
        &root.join("content/aktualnosci/_index.md"),
        "---\ntitle: Aktualności\nkind: news\n---\n",
    )?;
    // The theme links its footer and home page to these: they must exist.
    files.write(
        &root.join("content/wydarzenia/_index.md"),
        "---\ntitle: Wydarzenia\nkind: events\n---\n",
    )?;
    for (slug, title) in PAGES {
        files.write(
            &root.join(format!("content/{slug}.md")),
            &format!("---\ntitle: {title}\n---\n\n{}\n", text.paragraph()),
        )?;
    }
    for post in posts {
        files.write(
            &root.join(format!(
                "content/aktualnosci/{}-{}.md",
                post.date, post.slug
            )),
            &format!(
                "---\ntitle: \"{}\"\ndate: {}\ntags: {}\n---\n\n{}",
                post.title,
                post.date,
                yaml_list(&post.tags),
                post.body
            ),
        )?;
    }
    files.copy_dir(theme, &root.join("themes/default"))
}

const HUGO_CONFIG: &str = r##"baseURL = "https://example.org/"
languageCode = "pl"
title = "Korpus testowy"
paginate = 10
rssLimit = 30
[outputs]
  home = ["HTML", "RSS"]
  section = ["HTML"]
  taxonomy = ["HTML"]
  term = ["HTML"]
[taxonomies]
  tag = "tags"
[permalinks]
  aktualnosci = "/aktualnosci/:slug/"
[markup.goldmark.renderer]
  unsafe = true
"##;

const HUGO_BASEOF: &str = r##"<!DOCTYPE html>
<html lang="pl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ block "title" . }}{{ .Title }} – {{ .Site.Title }}{{ end }}</title>
<meta name="description" content="{{ with .Description }}{{ . }}{{ else }}{{ .Summary | plainify | truncate 160 }}{{ end }}">
<link rel="canonical" href="{{ .Permalink }}">
<link rel="alternate" type="application/rss+xml" href="{{ "index.xml" | absURL }}">
</head>
<body>
<a href="#main">Przejdź do treści</a>
<header><a href="{{ "/" | relURL }}">{{ .Site.Title }}</a>
<nav><ul><li><a href="{{ "/aktualnosci/" | relURL }}">Aktualności</a></li></ul></nav></header>
<main id="main">{{ block "main" . }}{{ end }}</main>
<footer><p>{{ .Site.Title }}</p></footer>
</body>
</html>
"##;

const HUGO_SINGLE: &str = r##"{{ define "main" }}
<article>
<h1>{{ .Title }}</h1>
<p><time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time></p>
{{ with .Params.tags }}<ul>{{ range . }}<li><a href="{{ "/tags/" | relURL }}{{ . | urlize }}/">{{ . }}</a></li>{{ end }}</ul>{{ end }}
{{ .TableOfContents }}
{{ .Content }}
</article>
{{ end }}
"##;

const HUGO_LIST: &str = r##"{{ define "main" }}
<h1>{{ .Title }}</h1>
{{ .Content }}
{{ $paginator := .Paginate .Pages 10 }}
<ul>
{{ range $paginator.Pages }}
<li><article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<p><time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time></p>
<p>{{ .Summary | plainify | truncate 300 }}</p></article></li>
{{ end }}
</ul>
<nav>{{ if $paginator.HasPrev }}<a href="{{ $paginator.Prev.URL }}">Nowsze</a>{{ end }}
{{ if $paginator.HasNext }}<a href="{{ $paginator.Next.URL }}">Starsze</a>{{ end }}</nav>
{{ end }}
"##;

/// The home page, as Agora's: the latest news, not a second paginated list.
const HUGO_HOME: &str = r##"{{ define "main" }}
<h1>{{ .Title }}</h1>
{{ .Content }}
<ul>
{{ range first 10 (where .Site.RegularPages "Type" "aktualnosci") }}
<li><article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<p><time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time></p>
<p>{{ .Summary | plainify | truncate 300 }}</p></article></li>
{{ end }}
</ul>
<p><a href="{{ "/aktualnosci/" | relURL }}">Wszystkie aktualności</a></p>
{{ end }}
"##;

const HUGO_TERMS: &str = r##"{{ define "main" }}
<h1>{{ .Title }}</h1>
<ul>{{ range .Data.Terms.Alphabetical }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>{{ end }}</ul>
{{ end }}
"##;

fn hugo_site(
    files: &mut Files,
    root: &Path,
    posts: &[Post],
    text: &mut Random,
) -> Result<(), String> {
    files.write(&root.join("hugo.toml"), HUGO_CONFIG)?;
    files.write(&root.join("layouts/_default/baseof.html"), HUGO_BASEOF)?;
    files.write(&root.join("layouts/_default/single.html"), HUGO_SINGLE)?;
    files.write(&root.join("layouts/_default/list.html"), HUGO_LIST)?;
    files.write(&root.join("layouts/_default/terms.html"), HUGO_TERMS)?;
    files.write(&root.join("layouts/index.html"), HUGO_HOME)?;
    files.write(
        &root.join("content/_index.md"),
        &format!("---\ntitle: Korpus testowy\n---\n\n{}\n", text.paragraph()),
    )?;
    files.write(
        &root.join("content/aktualnosci/_index.md"),
        "---\ntitle: Aktualności\n---\n",
    )?;
    for (slug, title) in PAGES {
        files.write(
            &root.join(format!("content/{slug}.md")),
            &format!("---\ntitle: {title}\n---\n\n{}\n", text.paragraph()),
        )?;
    }
    for post in posts {
        files.write(
            &root.join(format!("content/aktualnosci/{}.md", post.slug)),
            &format!(
                "---\ntitle: \"{}\"\ndate: {}\nslug: {}\ntags: {}\n---\n\n{}",
                post.title,
                post.date,
                post.slug,
                yaml_list(&post.tags),
                post.body
            ),
        )?;
    }
    Ok(())
}

const ZOLA_CONFIG: &str = r##"base_url = "https://example.org"
title = "Korpus testowy"
default_language = "pl"
generate_feeds = true
feed_filenames = ["atom.xml"]
feed_limit = 30
taxonomies = [{ name = "tags", paginate_by = 10 }]
"##;

const ZOLA_BASE: &str = r##"<!DOCTYPE html>
<html lang="pl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}{{ config.title }}{% endblock %}</title>
<link rel="alternate" type="application/atom+xml" href="{{ get_url(path="atom.xml") }}">
</head>
<body>
<a href="#main">Przejdź do treści</a>
<header><a href="{{ get_url(path="/") }}">{{ config.title }}</a>
<nav><ul><li><a href="{{ get_url(path="@/aktualnosci/_index.md") }}">Aktualności</a></li></ul></nav></header>
<main id="main">{% block main %}{% endblock %}</main>
<footer><p>{{ config.title }}</p></footer>
</body>
</html>
"##;

const ZOLA_PAGE: &str = r##"{% extends "base.html" %}
{% block title %}{{ page.title }} – {{ config.title }}{% endblock %}
{% block main %}
<article>
<h1>{{ page.title }}</h1>
{% if page.date %}<p><time datetime="{{ page.date }}">{{ page.date | date(format="%-d %B %Y") }}</time></p>{% endif %}
{% if page.taxonomies.tags %}<ul>{% for tag in page.taxonomies.tags %}<li><a href="{{ get_taxonomy_url(kind="tags", name=tag) }}">{{ tag }}</a></li>{% endfor %}</ul>{% endif %}
{{ page.content | safe }}
</article>
{% endblock %}
"##;

const ZOLA_LIST: &str = r##"{% extends "base.html" %}
{% block main %}
<h1>{{ TITLE }}</h1>
<ul>
{% for page in paginator.pages %}
<li><article><h2><a href="{{ page.permalink }}">{{ page.title }}</a></h2>
<p><time datetime="{{ page.date }}">{{ page.date | date(format="%-d %B %Y") }}</time></p>
<p>{{ page.content | striptags | truncate(length=300) }}</p></article></li>
{% endfor %}
</ul>
<nav>{% if paginator.previous %}<a href="{{ paginator.previous }}">Nowsze</a>{% endif %}
{% if paginator.next %}<a href="{{ paginator.next }}">Starsze</a>{% endif %}</nav>
{% endblock %}
"##;

/// The home page, as Agora's: the latest news, not a second paginated list.
const ZOLA_HOME: &str = r##"{% extends "base.html" %}
{% block main %}
<h1>{{ section.title }}</h1>
{% set news = get_section(path="aktualnosci/_index.md") %}
<ul>
{% for page in news.pages | slice(end=10) %}
<li><article><h2><a href="{{ page.permalink }}">{{ page.title }}</a></h2>
<p><time datetime="{{ page.date }}">{{ page.date | date(format="%-d %B %Y") }}</time></p>
<p>{{ page.content | striptags | truncate(length=300) }}</p></article></li>
{% endfor %}
</ul>
<p><a href="{{ get_url(path="@/aktualnosci/_index.md") }}">Wszystkie aktualności</a></p>
{% endblock %}
"##;

const ZOLA_TERMS: &str = r##"{% extends "base.html" %}
{% block main %}
<h1>Tagi</h1>
<ul>{% for term in terms %}<li><a href="{{ term.permalink }}">{{ term.name }}</a> ({{ term.pages | length }})</li>{% endfor %}</ul>
{% endblock %}
"##;

fn zola_site(
    files: &mut Files,
    root: &Path,
    posts: &[Post],
    text: &mut Random,
) -> Result<(), String> {
    files.write(&root.join("config.toml"), ZOLA_CONFIG)?;
    files.write(&root.join("templates/base.html"), ZOLA_BASE)?;
    files.write(&root.join("templates/page.html"), ZOLA_PAGE)?;
    files.write(
        &root.join("templates/section.html"),
        &ZOLA_LIST.replace("{{ TITLE }}", "{{ section.title }}"),
    )?;
    files.write(&root.join("templates/index.html"), ZOLA_HOME)?;
    files.write(&root.join("templates/taxonomy_list.html"), ZOLA_TERMS)?;
    files.write(
        &root.join("templates/taxonomy_single.html"),
        &ZOLA_LIST.replace("{{ TITLE }}", "{{ term.name }}"),
    )?;
    files.write(
        &root.join("content/_index.md"),
        &format!(
            "+++\ntitle = \"Korpus testowy\"\n+++\n\n{}\n",
            text.paragraph()
        ),
    )?;
    files.write(
        &root.join("content/aktualnosci/_index.md"),
        "+++\ntitle = \"Aktualności\"\nsort_by = \"date\"\npaginate_by = 10\n+++\n",
    )?;
    for (slug, title) in PAGES {
        files.write(
            &root.join(format!("content/{slug}.md")),
            &format!("+++\ntitle = \"{title}\"\n+++\n\n{}\n", text.paragraph()),
        )?;
    }
    for post in posts {
        let tags: Vec<String> = post.tags.iter().map(|t| format!("\"{t}\"")).collect();
        files.write(
            &root.join(format!("content/aktualnosci/{}.md", post.slug)),
            &format!(
                "+++\ntitle = \"{}\"\ndate = {}\nslug = \"{}\"\n[taxonomies]\ntags = [{}]\n+++\n\n{}",
                post.title,
                post.date,
                post.slug,
                tags.join(", "),
                post.body
            ),
        )?;
    }
    Ok(())
}

fn main() -> Result<(), String> {
    let args = Args::parse();
    let posts = posts(args.posts);
    let mut files = Files::default();
    // Each site's pages get the same text: one generator per site, same seed.
    let sites = ["agora", "hugo", "zola"].map(|name| args.out.join(name));
    agora_site(&mut files, &sites[0], &args.theme, &posts, &mut Random(7))?;
    hugo_site(&mut files, &sites[1], &posts, &mut Random(7))?;
    zola_site(&mut files, &sites[2], &posts, &mut Random(7))?;
    for site in &sites {
        files.remove_others(site)?;
    }
    println!(
        "wrote {} posts as the sites agora/, hugo/ and zola/ in {}",
        posts.len(),
        args.out.display()
    );
    Ok(())
}
