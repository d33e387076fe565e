//! The `agora` command.

use std::path::PathBuf;
use std::process::ExitCode;

use agora::config::Config;
use agora::scaffold::{self, NewKind};
use agora::{build, BuildOptions, Diagnostics};
use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "agora",
    version,
    about = "Builds a civic-participation site from Markdown"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct SiteArgs {
    /// The site's folder: holds agora.yaml, content/ and themes/.
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// Include drafts and posts dated in the future.
    #[arg(long)]
    drafts: bool,
    /// Build as of another moment, in the site's time zone: "2020-03-01 12:00".
    #[arg(long, value_name = "DATE-TIME")]
    now: Option<String>,
    /// Print how long each stage of the build took.
    #[arg(long)]
    timings: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site into the output folder.
    Build {
        #[command(flatten)]
        site: SiteArgs,
        /// The output folder, replaced only when the build succeeds.
        #[arg(long, default_value = "public")]
        out: PathBuf,
        /// The address the site is published at (overrides agora.yaml).
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
    },
    /// Run every check of a build without writing anything.
    Check {
        #[command(flatten)]
        site: SiteArgs,
    },
    /// Create a news post, page or event with valid front matter.
    New {
        kind: Kind,
        /// The title, in Polish: "Nabór ambasadorów".
        title: String,
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// The section folder under content/ (default: the news section
        /// for posts, the events section for events, content/ for pages).
        #[arg(long)]
        section: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    Post,
    Page,
    Event,
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Build {
            site,
            out,
            base_url,
        } => {
            let out = if out.is_absolute() {
                out
            } else {
                site.root.join(out)
            };
            run_build(site, Some(out), base_url)
        }
        Command::Check { site } => run_build(site, None, None),
        Command::New {
            kind,
            title,
            root,
            section,
        } => {
            let kind = match kind {
                Kind::Post => NewKind::Post,
                Kind::Page => NewKind::Page,
                Kind::Event => NewKind::Event,
            };
            let created = Config::load(&root)
                .map_err(Diagnostics::sorted)
                .and_then(|config| {
                    let now = chrono::Utc::now().with_timezone(&config.timezone);
                    scaffold::create(&root, kind, &title, section.as_deref(), now)
                        .map_err(Diagnostics::from)
                });
            match created {
                Ok(path) => {
                    println!("created {}", path.display());
                    ExitCode::SUCCESS
                }
                Err(problems) => fail(&problems),
            }
        }
    }
}

fn run_build(site: SiteArgs, out: Option<PathBuf>, base_url: Option<String>) -> ExitCode {
    let writing = out.clone();
    let timings = site.timings;
    let options = BuildOptions {
        root: site.root,
        out,
        base_url,
        drafts: site.drafts,
        now: site.now,
    };
    match build(&options) {
        Ok(report) => {
            if timings {
                for (stage, took) in &report.stages {
                    eprintln!("{stage:>20}: {} ms", took.as_millis());
                }
            }
            let millis = report.elapsed.as_millis();
            match writing {
                Some(out) => println!(
                    "built {} pages ({} files) into {} in {millis} ms",
                    report.pages,
                    report.files,
                    out.display()
                ),
                None => println!("checked {} pages: no problems ({millis} ms)", report.pages),
            }
            ExitCode::SUCCESS
        }
        Err(problems) => fail(&problems),
    }
}

fn fail(problems: &Diagnostics) -> ExitCode {
    eprintln!("{problems}");
    ExitCode::FAILURE
}
