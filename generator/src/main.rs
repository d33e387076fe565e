//! The `agora` command.

use std::fmt::Write as _;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use agora::scaffold::{self, NewKind};
use agora_core::forms::FormDefinition;
use agora_core::lottery::{self, PublishedList};
use agora_core::staff::{self, Drawn, ExportFormat, Mailed};
use agora_site::config::Config;
use agora_site::{build, BuildOptions, Diagnostics};
use agora_stores::any::AnyStore;
use agora_stores::backends::{AnyMailer, MailChoice, StoreChoice};
use agora_stores::mail_preflight;
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand, ValueEnum};

mod panel_office;

/// A build renders some 13,000 pages with many small allocations each, from
/// every core at once; glibc's allocator spent a quarter of a 10,000-post
/// build's time in malloc and free (bench/README.md, "Profile").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Build the site and serve it with its forms on this machine.
    Serve(ServeArgs),
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
    /// Staff: forms and their registrations.
    #[command(subcommand)]
    Forms(FormsCommand),
    /// Staff: the verifiable draw of a lottery form.
    #[command(subcommand)]
    Lottery(LotteryCommand),
    /// Staff: the public list of ambassadors.
    #[command(subcommand)]
    Ambassadors(AmbassadorsCommand),
    /// Operators: whether Amazon SES can send the forms' e-mail.
    #[command(subcommand)]
    Mail(MailCommand),
    /// Operators: what the staff workspace published, into content/.
    #[command(subcommand)]
    Publish(agora::published::PublishCommand),
    /// Operators: the staff workspace's settings in agora.yaml.
    #[command(subcommand)]
    Panel(panel_office::PanelCommand),
}

// What `agora serve` is told. Its store is under the site's --root, and
// the help of its table speaks of a server's registrations.
#[derive(clap::Args)]
#[command(mut_arg("dynamodb_table", |table| table.help(
    "Keep registrations in this DynamoDB table instead (credentials from the usual AWS environment)"
)))]
struct ServeArgs {
    #[command(flatten)]
    site: SiteArgs,
    #[arg(long, default_value = "127.0.0.1")]
    bind: std::net::IpAddr,
    #[arg(long, default_value_t = 1111)]
    port: u16,
    #[command(flatten)]
    store: StoreOptions,
    /// A reverse proxy of yours (nginx, Caddy) is in front: count each
    /// resident's submissions by the address it appends to
    /// X-Forwarded-For, not by the proxy's own.
    #[arg(long)]
    trusted_proxy: bool,
    /// Serve the site as built: no rebuilds after edits, no
    /// live-reload script in its pages (a machine serving residents
    /// rather than an editor's preview).
    #[arg(long)]
    no_watch: bool,
    /// Close a connection whose request headers are not complete
    /// this many seconds after it began waiting for a request.
    #[arg(long, value_name = "SECONDS", default_value_t = agora::serve::HEADER_READ_SECONDS, value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout: u64,
    /// Close a connection that sends and receives nothing for this
    /// many seconds while no request of it is answered (never
    /// sending, idle keep-alive).
    #[arg(long, value_name = "SECONDS", default_value_t = agora::serve::IDLE_SECONDS, value_parser = clap::value_parser!(u64).range(1..))]
    idle_timeout: u64,
    /// Answer 408 to a form submission whose body has not arrived this
    /// many seconds after its headers.
    #[arg(long, value_name = "SECONDS", default_value_t = agora::serve::BODY_READ_SECONDS, value_parser = clap::value_parser!(u64).range(1..))]
    body_timeout: u64,
    /// The most connections open at once (fewer if the open-file
    /// limit allows fewer); past it, the one waiting longest for a
    /// request is closed.
    #[arg(long, value_name = "N", default_value_t = agora::serve::MAX_CONNECTIONS, value_parser = clap::value_parser!(u64).range(1..))]
    max_connections: u64,
}

/// Where registrations are: the embedded store, or a DynamoDB table
/// (region and credentials from the usual AWS environment).
#[derive(clap::Args)]
struct StoreArgs {
    /// The site's folder (for content/forms/ and the default store).
    #[arg(long, default_value = ".")]
    root: PathBuf,
    #[command(flatten)]
    backend: StoreOptions,
}

/// The SQLite file or the DynamoDB table registrations are in.
#[derive(clap::Args)]
struct StoreOptions {
    /// The SQLite store (default: .agora/agora.sqlite3 under --root).
    #[arg(long, value_name = "PATH", conflicts_with = "dynamodb_table")]
    store: Option<PathBuf>,
    /// Use this DynamoDB table instead of the embedded store.
    #[arg(long, value_name = "NAME")]
    dynamodb_table: Option<String>,
    /// A DynamoDB endpoint other than AWS's (e.g. DynamoDB Local).
    #[arg(long, value_name = "URL", requires = "dynamodb_table")]
    dynamodb_endpoint: Option<String>,
    /// The table's AWS region (default: AWS_REGION, the AWS profile's,
    /// else eu-central-1).
    #[arg(long, value_name = "REGION", requires = "dynamodb_table")]
    dynamodb_region: Option<String>,
}

/// The moment a staff command acts at.
#[derive(clap::Args)]
struct ClockArgs {
    /// Act as of another moment, in the site's time zone ("2020-03-21
    /// 12:00"), to rehearse a past recruitment, e.g. one registered under
    /// `agora serve --now`; never later than the real clock.
    #[arg(long, value_name = "DATE-TIME")]
    now: Option<String>,
}

/// Where the e-mails of a staff command go: the outbox folder, or Amazon
/// SES (region and credentials from the usual AWS environment).
#[derive(clap::Args)]
struct MailArgs {
    /// Write each e-mail as an .eml file here (default:
    /// .agora/outbox under --root).
    #[arg(long, value_name = "DIR", conflicts_with = "ses_from")]
    outbox: Option<PathBuf>,
    /// Send through Amazon SES from this verified address instead.
    #[arg(long, value_name = "ADDRESS")]
    ses_from: Option<String>,
}

impl MailArgs {
    /// The outbox under the site's folder unless SES was asked for.
    fn choice(&self, root: &Path, config: &Config) -> MailChoice {
        match &self.ses_from {
            Some(from) => MailChoice::Ses { from: from.clone() },
            None => MailChoice::outbox(
                self.outbox
                    .clone()
                    .unwrap_or_else(|| root.join(agora::serve::WORK_DIR).join("outbox")),
                &config.title,
            ),
        }
    }
}

#[derive(Subcommand)]
enum FormsCommand {
    /// Erase the registrations whose retention period has ended (run it
    /// daily; on AWS, DynamoDB's TTL does it too). Always on the real
    /// clock: it erases for good, so it takes no --now.
    Purge {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Every form with its window and counts.
    List {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        clock: ClockArgs,
    },
    /// A form's registrations, for staff: CSV (Excel) or JSON.
    Export {
        form: String,
        #[arg(long, value_enum, default_value = "csv")]
        format: Format,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        clock: ClockArgs,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Csv,
    Json,
}

#[derive(Subcommand)]
enum LotteryCommand {
    /// Write the pseudonymised list of confirmed applications and print
    /// its SHA-256: publish both before the draw.
    PublishList {
        form: String,
        #[arg(long, default_value = "lista.txt")]
        out: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        clock: ClockArgs,
    },
    /// Draw the places with the seed announced in advance and record them.
    Draw(DrawArgs),
    /// Re-run a draw from its published list and seed; it must agree.
    Verify {
        #[arg(long)]
        list: PathBuf,
        #[arg(long)]
        seed: String,
        #[arg(long)]
        places: usize,
        #[arg(long)]
        result: PathBuf,
        /// The SHA-256 published with the list.
        #[arg(long)]
        list_sha256: Option<String>,
    },
}

// What a draw is told (`agora lottery draw`).
#[derive(clap::Args)]
struct DrawArgs {
    form: String,
    #[arg(long)]
    seed: String,
    /// The list published before the draw.
    #[arg(long, default_value = "lista.txt")]
    list: PathBuf,
    #[arg(long, default_value = "wynik.txt")]
    out: PathBuf,
    /// Also write the result as a page of the site (references only),
    /// e.g. content/wspolne-projekty/wyniki-losowania.md.
    #[arg(long, value_name = "FILE")]
    page: Option<PathBuf>,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    mail: MailArgs,
    #[command(flatten)]
    clock: ClockArgs,
}

#[derive(Subcommand)]
enum MailCommand {
    /// Ask Amazon SES whether it is ready: production access (not the
    /// sandbox), sending enabled, the sender's identity verified with
    /// DKIM, the stack's configuration set present. Exits 1 if not.
    Check {
        /// The address the forms' e-mail comes from (the stack's
        /// SenderAddress).
        #[arg(long, value_name = "ADDRESS")]
        from: String,
        /// The stack's configuration set (its output MailConfigurationSet).
        #[arg(long, value_name = "NAME")]
        configuration_set: Option<String>,
        /// The stack's region (default: AWS_REGION, the AWS profile's,
        /// else eu-central-1).
        #[arg(long, value_name = "REGION")]
        region: Option<String>,
        /// An SES endpoint other than AWS's (for tests).
        #[arg(long, value_name = "URL", hide = true)]
        ses_endpoint: Option<String>,
    },
}

#[derive(Subcommand)]
enum AmbassadorsCommand {
    /// Write the ambassadors the office appointed who consented to
    /// publication to the form's list, content/data/<list>.yaml (only
    /// their published fields); the workspace writes the same file.
    Publish {
        /// The form of applications (default: the one with `ambassadors:`).
        #[arg(long)]
        form: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        clock: ClockArgs,
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
            // An absolute --out replaces the root it is joined to.
            let out = site.root.join(out);
            run_build(site, Some(out), base_url)
        }
        Command::Check { site } => run_build(site, None, None),
        Command::Serve(args) => run_serve(args),
        Command::New {
            kind,
            title,
            root,
            section,
        } => run_new(kind.into(), &title, &root, section.as_deref()),
        Command::Forms(command) => run_staff(forms_command(command)),
        Command::Lottery(command) => run_staff(lottery_command(command)),
        Command::Ambassadors(command) => run_staff(ambassadors_command(command)),
        Command::Mail(command) => run_staff(mail_command(command)),
        Command::Publish(command) => run_staff(agora::published::run(command)),
        Command::Panel(command) => run_staff(std::future::ready(panel_office::run(command))),
    }
}

/// The runtime the server and the staff commands run on; if it cannot
/// start, says so.
fn runtime() -> Option<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| eprintln!("error: cannot start: {error}"))
        .ok()
}

fn run_serve(args: ServeArgs) -> ExitCode {
    let Some(runtime) = runtime() else {
        return ExitCode::FAILURE;
    };
    let choice = args.store.choice(&args.site.root);
    let served = runtime.block_on(async {
        let store = choice.open().await?;
        agora::serve::serve(args.options(store, choice.describe())).await
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

impl ServeArgs {
    fn options(self, store: AnyStore, store_label: String) -> agora::serve::ServeOptions {
        agora::serve::ServeOptions {
            root: self.site.root,
            bind: self.bind,
            port: self.port,
            store,
            store_label,
            trusted_proxy: self.trusted_proxy,
            watch: !self.no_watch,
            drafts: self.site.drafts,
            now: self.site.now,
            limits: agora::serve::Limits {
                header_read: Duration::from_secs(self.header_timeout),
                idle: Duration::from_secs(self.idle_timeout),
                body_read: Duration::from_secs(self.body_timeout),
                max_connections: self.max_connections,
            },
        }
    }
}

impl From<Kind> for NewKind {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::Post => Self::Post,
            Kind::Page => Self::Page,
            Kind::Event => Self::Event,
        }
    }
}

fn run_new(kind: NewKind, title: &str, root: &Path, section: Option<&str>) -> ExitCode {
    let created = Config::load(root)
        .map_err(Diagnostics::sorted)
        .and_then(|config| {
            let now = Utc::now().with_timezone(&config.timezone);
            scaffold::create(root, kind, title, section, now).map_err(Diagnostics::from)
        });
    match created {
        Ok(path) => {
            println!("created {}", path.display());
            ExitCode::SUCCESS
        }
        Err(problems) => fail(&problems),
    }
}

/// Runs a staff command and prints what it says: its report on standard
/// output, its refusal on standard error.
fn run_staff(command: impl Future<Output = Result<String, String>>) -> ExitCode {
    let Some(runtime) = runtime() else {
        return ExitCode::FAILURE;
    };
    match runtime.block_on(command) {
        Ok(message) => {
            if !message.is_empty() {
                print!("{message}");
            }
            ExitCode::SUCCESS
        }
        // Editors' problems (`Diagnostics`) name themselves "error:".
        Err(message) if message.starts_with("error: ") => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

impl StoreArgs {
    fn choice(&self) -> StoreChoice {
        self.backend.choice(&self.root)
    }
}

impl StoreOptions {
    /// The DynamoDB table if one is named, else the SQLite file (by
    /// default `.agora/agora.sqlite3` under the site's folder).
    fn choice(&self, root: &Path) -> StoreChoice {
        match &self.dynamodb_table {
            Some(table) => StoreChoice::Dynamo {
                table: table.clone(),
                endpoint: self.dynamodb_endpoint.clone(),
                region: self.dynamodb_region.clone(),
            },
            None => StoreChoice::Sqlite(
                self.store
                    .clone()
                    .unwrap_or_else(|| root.join(agora::serve::WORK_DIR).join("agora.sqlite3")),
            ),
        }
    }
}

fn load_config(root: &Path) -> Result<Config, String> {
    Config::load(root).map_err(|problems| Diagnostics::sorted(problems).to_string())
}

fn load_forms(root: &Path) -> Result<Vec<FormDefinition>, String> {
    agora_core::forms::load_site(&root.join("content"), Path::new("content"))
        .map_err(|problems| Diagnostics::sorted(problems).to_string())
}

fn find_form(forms: Vec<FormDefinition>, id: &str) -> Result<FormDefinition, String> {
    let known: Vec<String> = forms.iter().map(|f| f.id.clone()).collect();
    forms.into_iter().find(|f| f.id == id).ok_or_else(|| {
        format!(
            "there is no form `{id}`; the forms are: {}",
            known.join(", ")
        )
    })
}

/// The form `id`, or else the form of applications to be an ambassador.
fn ambassadors_form(
    forms: Vec<FormDefinition>,
    id: Option<&str>,
) -> Result<FormDefinition, String> {
    if let Some(id) = id {
        return find_form(forms, id);
    }
    forms
        .into_iter()
        .find(|f| f.ambassadors.is_some())
        .ok_or_else(|| {
            "no form takes applications to be an ambassador: mark it with `ambassadors:` (README.md, \"Forms\"), or name it with --form".to_owned()
        })
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn read_file(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The moment a staff command acts at: the real clock, or `--now` read
/// in the site's time zone as `agora build --now` reads it. A moment
/// after the real clock is refused: it would let a list be published or
/// a draw run before a form has really closed.
fn staff_now(clock: &ClockArgs, root: &Path) -> Result<DateTime<Utc>, String> {
    let real = Utc::now();
    let Some(text) = &clock.now else {
        return Ok(real);
    };
    let config = load_config(root)?;
    let at = agora_site::dates::parse_local(text, config.timezone)?.with_timezone(&Utc);
    if at > real {
        return Err(format!(
            "--now {text} is later than the real clock ({}): staff commands may rehearse the past, not act ahead of time",
            real.with_timezone(&config.timezone).format("%Y-%m-%d %H:%M")
        ));
    }
    Ok(at)
}

/// Staff: the forms and their registrations.
async fn forms_command(command: FormsCommand) -> Result<String, String> {
    match command {
        FormsCommand::List { store, clock } => {
            let now = staff_now(&clock, &store.root)?;
            let forms = load_forms(&store.root)?;
            let opened = store.choice().open().await?;
            staff::list_forms(&forms, &opened, now)
                .await
                .map_err(|e| e.to_string())
        }
        FormsCommand::Purge { store } => {
            let opened = store.choice().open().await?;
            let purged = agora_core::purge::purge(&opened, Utc::now())
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!("{purged}\n"))
        }
        FormsCommand::Export {
            form,
            format,
            out,
            store,
            clock,
        } => {
            let now = staff_now(&clock, &store.root)?;
            let form = find_form(load_forms(&store.root)?, &form)?;
            let opened = store.choice().open().await?;
            let format = match format {
                Format::Csv => ExportFormat::Csv,
                Format::Json => ExportFormat::Json,
            };
            let bytes = staff::export(&form, &opened, format, now)
                .await
                .map_err(|e| e.to_string())?;
            match out {
                Some(path) => {
                    write_file(&path, &bytes)?;
                    Ok(format!("wrote {}\n", path.display()))
                }
                None => Ok(String::from_utf8_lossy(&bytes).into_owned()),
            }
        }
    }
}

/// Staff: the verifiable draw.
async fn lottery_command(command: LotteryCommand) -> Result<String, String> {
    match command {
        LotteryCommand::PublishList {
            form,
            out,
            store,
            clock,
        } => {
            let now = staff_now(&clock, &store.root)?;
            let form = find_form(load_forms(&store.root)?, &form)?;
            let opened = store.choice().open().await?;
            let list = staff::lottery_list(&form, &opened, now)
                .await
                .map_err(|e| e.to_string())?;
            write_file(&out, list.to_text().as_bytes())?;
            Ok(format!(
                "wrote {} ({} applications)\nSHA-256: {}\npublish both before the draw\n",
                out.display(),
                list.references().len(),
                list.sha256_hex()
            ))
        }
        LotteryCommand::Draw(args) => draw(args).await,
        LotteryCommand::Verify {
            list,
            seed,
            places,
            result,
            list_sha256,
        } => {
            let draw = lottery::verify(
                &read_file(&list)?,
                list_sha256.as_deref(),
                &seed,
                places,
                &read_file(&result)?,
            )
            .map_err(|e| format!("the draw does not verify: {e}"))?;
            Ok(format!(
                "the draw verifies: {} places, {} on the reserve list\n",
                draw.winners.len(),
                draw.reserve.len()
            ))
        }
    }
}

/// Draws the places, records them, writes the result (and its page)
/// and e-mails everyone the draw decided.
async fn draw(args: DrawArgs) -> Result<String, String> {
    let DrawArgs {
        form,
        seed,
        list,
        out,
        page,
        store,
        mail,
        clock,
    } = args;
    // Never before the form has really closed (`staff_now`); under
    // --now the record keeps the rehearsed moment as the draw's.
    let now = staff_now(&clock, &store.root)?;
    let config = load_config(&store.root)?;
    let form = find_form(load_forms(&store.root)?, &form)?;
    let published =
        PublishedList::parse(&read_file(&list)?).map_err(|e| format!("{}: {e}", list.display()))?;
    let opened = store.choice().open().await?;
    let drawn = staff::draw(&form, &opened, &published, &seed, now)
        .await
        .map_err(|e| e.to_string())?;
    write_file(&out, drawn.result.to_text().as_bytes())?;
    if let Some(page) = page {
        let day = agora_site::dates::date_pl(
            drawn
                .drawn_at
                .with_timezone(&form.opens.at.timezone())
                .date_naive(),
        );
        write_file(
            &page,
            staff::draw_page(&form, &drawn.result, &day).as_bytes(),
        )?;
    }
    let mut report = drawn_report(&out, &drawn);
    let mailer = mail.choice(&store.root, &config).open().await;
    let contact = config.contact.email.clone().unwrap_or_default();
    let mailed = staff::mail_draw_results(&form, &opened, &mailer, &drawn.result, &contact, now)
        .await
        .map_err(|e| {
            format!("{report}the draw is recorded, but its e-mails were not sent: {e}; run the same draw again to send them")
        })?;
    report.push_str(&mailed_report(&mailed, &mailer));
    Ok(report)
}

/// What the draw gave, and whether it finished an earlier run.
fn drawn_report(out: &Path, drawn: &Drawn) -> String {
    let mut report = format!(
        "wrote {}: {} places given, {} on the reserve list\n",
        out.display(),
        drawn.result.winners.len(),
        drawn.result.reserve.len()
    );
    if drawn.resumed {
        report.push_str(
            "this draw was recorded before, with the same seed and list: its recording is now complete\n",
        );
    }
    report
}

/// Whom the result reached, and each message that failed.
fn mailed_report(mailed: &Mailed, mailer: &AnyMailer) -> String {
    let mut report = format!(
        "e-mailed the result to {}/{} people ({})\n",
        mailed.sent,
        mailed.people,
        mailer.describe()
    );
    if !mailed.failed.is_empty() {
        let _ = writeln!(
            report,
            "{} e-mails failed (the draw stands; running the same draw again e-mails everyone again):",
            mailed.failed.len()
        );
        for (reference, error) in &mailed.failed {
            let _ = writeln!(report, "  {reference}: {error}");
        }
    }
    report
}

/// Staff: the public list of ambassadors.
async fn ambassadors_command(command: AmbassadorsCommand) -> Result<String, String> {
    match command {
        AmbassadorsCommand::Publish { form, store, clock } => {
            let now = staff_now(&clock, &store.root)?;
            let form = ambassadors_form(load_forms(&store.root)?, form.as_deref())?;
            let Some(list) = &form.ambassadors else {
                return Err(format!(
                    "{} takes no applications to be an ambassador: its file has no `ambassadors:` (README.md, \"Forms\")",
                    form.id
                ));
            };
            let opened = store.choice().open().await?;
            let (yaml, count) = staff::ambassadors_yaml(&form, &opened, now)
                .await
                .map_err(|e| e.to_string())?;
            let path = store
                .root
                .join(agora_site::content::CONTENT_DIR)
                .join(agora_core::panel::ambassadors::list_path(list));
            write_file(&path, yaml.as_bytes())?;
            Ok(format!(
                "wrote {} ambassadors to {}\n",
                count,
                path.display()
            ))
        }
    }
}

/// Operators: whether SES can send the forms' e-mail.
async fn mail_command(command: MailCommand) -> Result<String, String> {
    match command {
        MailCommand::Check {
            from,
            configuration_set,
            region,
            ses_endpoint,
        } => {
            let (report, ready) =
                mail_preflight::run(&from, configuration_set.as_deref(), region, ses_endpoint)
                    .await;
            if ready {
                Ok(report)
            } else {
                Err(report)
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
            for warning in &report.warnings {
                eprintln!("warning: {warning}");
            }
            if timings {
                for (stage, took) in &report.stages {
                    eprintln!("{stage:>23}: {} ms", took.as_millis());
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
