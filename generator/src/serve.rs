//! `agora serve`: the site and its form functions on one machine, with no
//! cloud account and no configuration: the embedded SQLite store and an
//! e-mail outbox folder. The site is served from memory and rebuilt after
//! each edit; open pages reload (see [`live`]).

mod connections;
mod live;
mod publish;

pub use connections::{
    Limits, BODY_READ_SECONDS, HEADER_READ_SECONDS, IDLE_SECONDS, MAX_CONNECTIONS,
};

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use agora_core::forms::{self, FormDefinition};
use agora_core::panel::access::{LINKS_PER_ADDRESS, LINKS_PER_CLIENT};
use agora_core::panel::ambassadors::ListKeeper;
use agora_core::panel::notify::JoinNotice;
use agora_core::panel::{AccessSettings, Publisher, Timeouts};
use agora_core::purge::purge_and_republish;
use agora_core::registration::new_token;
use agora_core::routes;
use agora_core::service::{Service, Settings};
use agora_functions::http::{
    clock_from, hide_panic_messages, panel, system_clock, Clock, HttpSettings,
};
use agora_functions::security_headers;
use agora_site::config::{Config, DEFAULT_AUDIT_DAYS};
use agora_site::dates::parse_local;
use agora_site::rebuild::LiveBuild;
use agora_site::{BuildOptions, Diagnostic, Diagnostics};
use agora_stores::any::AnyStore;
use agora_stores::backends::{AnyMailer, MailChoice};
use axum::extract::Request;
use axum::Router;
use tokio::net::TcpListener;
use tower::ServiceExt as _;

use live::Live;

/// A form definition, or a data file a form may take its options from.
fn feeds_forms(relative: &Path) -> bool {
    relative.starts_with("content/forms") || relative.starts_with("content/data")
}

/// Where `agora serve` keeps what it makes, under the site's root.
pub const WORK_DIR: &str = ".agora";

/// The file under [`WORK_DIR`] that keeps `agora serve`'s secret.
const SECRET_FILE: &str = "secret";

/// How often `agora serve` erases registrations past their retention (and
/// hands their places on), as the daily job does in the cloud.
const PURGE_EVERY: Duration = Duration::from_secs(60 * 60);

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub root: PathBuf,
    pub bind: IpAddr,
    pub port: u16,
    /// Where registrations are: the embedded SQLite store (by default
    /// `.agora/agora.sqlite3`) or a DynamoDB table.
    pub store: AnyStore,
    /// The store as the start-up line names it.
    pub store_label: String,
    /// A reverse proxy of the operator's is in front (see
    /// [`HttpSettings::trusted_proxy`]).
    pub trusted_proxy: bool,
    /// Rebuild after edits and reload open pages (off with `--no-watch`).
    pub watch: bool,
    pub drafts: bool,
    /// Preview the site and its forms as of another moment.
    pub now: Option<String>,
    /// Timeouts and the most connections open at once.
    pub limits: Limits,
}

/// The form functions of `agora serve`: its store and its outbox.
type FormService = Service<AnyStore, AnyMailer>;

/// Builds the site, then serves it and the form functions until Ctrl-C.
pub async fn serve(options: ServeOptions) -> Result<(), String> {
    let (listener, public_url) = listen(options.bind, options.port).await?;
    // A preview of another moment shows every page, drafts and posts
    // scheduled after it included: published pages may link to them.
    let (site, report) = LiveBuild::new(BuildOptions {
        root: options.root.clone(),
        out: None,
        base_url: Some(public_url.clone()),
        drafts: options.drafts || options.now.is_some(),
        now: options.now.clone(),
    })
    .map_err(|problems| problems.to_string())?;
    let config = Config::load(&options.root).map_err(sorted)?;
    let outbox_dir = options.root.join(WORK_DIR).join("outbox");
    let content = options.root.join(agora_site::content::CONTENT_DIR);
    let publisher: Arc<dyn Publisher> = Arc::new(publish::ContentPublisher::new(
        content.clone(),
        options.watch,
    ));
    // An appointed ambassador's withdrawal or erasure publishes their
    // list again, as the workspace's decisions do; someone joining a
    // process is told to the ambassadors of its area.
    let keeper = Arc::new(ListKeeper::new(Arc::clone(&publisher)));
    let service = form_service(&options, &config, &public_url, outbox_dir.clone())
        .await?
        .after_withdrawal(Arc::clone(&keeper) as _)
        .after_confirmation(Arc::new(JoinNotice));
    let service = Arc::new(service);
    // A preview of another moment never erases: its clock is not the
    // retention's.
    if options.now.is_none() {
        purge_periodically(Arc::clone(&service), keeper);
    }
    // Turns true on Ctrl-C: connections finish, live-reload streams end.
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let files = live::start(
        &options.root,
        site,
        options.watch,
        stopping.clone(),
        reload_forms(Arc::clone(&service), options.root.clone()),
    )?;
    let clock = clock(options.now.as_deref(), config.timezone)?;
    let http = HttpSettings {
        trusted_proxy: options.trusted_proxy,
        body_read_timeout: Some(options.limits.body_read),
        // The verifying units' names, read as edited (content/data/).
        content_dir: Some(content),
        ..HttpSettings::default()
    };
    let access = access_settings(&config, service.settings());
    let api = panel::with_forms(service, access, clock, http, publisher);
    hide_panic_messages();
    let cap = connections::connection_cap(options.limits.max_connections);
    println!(
        "built {} pages; serving {public_url}/ (forms on /api/, store {}, e-mail in {}); {}; up to {cap} connections; Ctrl-C stops",
        report.pages,
        options.store_label,
        outbox_dir.display(),
        if options.watch {
            "reloading after edits"
        } else {
            "not watching for edits"
        }
    );
    stop_on_ctrl_c(stop);
    connections::serve(listener, app(api, files), options.limits, cap, stopping).await;
    close_store(&options.store).await;
    Ok(())
}

/// Listens on the address asked for, and says the site's address there.
/// Bound before the build, so that `--port 0` (any free port) gives the
/// real address for the site's links.
async fn listen(bind: IpAddr, port: u16) -> Result<(TcpListener, String), String> {
    let wanted = SocketAddr::new(bind, port);
    let listener = TcpListener::bind(wanted).await.map_err(|e| {
        format!("cannot listen on {wanted}: {e} (is another agora serve running? try --port)")
    })?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on {wanted}: {e}"))?;
    Ok((listener, format!("http://{address}")))
}

/// The form functions on the chosen store, mailing into the outbox folder.
async fn form_service(
    options: &ServeOptions,
    config: &Config,
    public_url: &str,
    outbox_dir: PathBuf,
) -> Result<FormService, String> {
    let forms = load_forms(&options.root)?;
    let settings = Settings {
        public_url: public_url.to_owned(),
        rate_limit: 20,
        min_fill_seconds: 3,
        address_salt: site_secret(&options.root.join(WORK_DIR))?,
        contact_email: config.contact.email.clone().unwrap_or_default(),
    };
    let mailer = MailChoice::outbox(outbox_dir, &config.title).open().await;
    Ok(Service::new(forms, options.store.clone(), mailer, settings))
}

/// Who may sign in to the workspace and how, from `agora.yaml`.
fn access_settings(config: &Config, forms: &Settings) -> AccessSettings {
    AccessSettings {
        office: config.panel.office.clone(),
        public_url: forms.public_url.clone(),
        site_title: config.title.clone(),
        timezone: config.timezone,
        // The secret kept in `.agora/` for the fill-time stamps.
        key: forms.address_salt.clone(),
        timeouts: Timeouts::default(),
        audit_days: i64::from(config.panel.audit_days.unwrap_or(DEFAULT_AUDIT_DAYS)),
        links_per_address: LINKS_PER_ADDRESS,
        links_per_client: LINKS_PER_CLIENT,
    }
}

/// What a good rebuild tells the functions: they validate with the forms
/// the pages now show.
fn reload_forms(service: Arc<FormService>, root: PathBuf) -> impl Fn(&[PathBuf]) + Send {
    move |changed: &[PathBuf]| {
        if changed.iter().any(|p| feeds_forms(p)) {
            match load_forms(&root) {
                Ok(reloaded) => {
                    service.replace_forms(reloaded);
                    println!("forms reloaded for /api/");
                }
                // The build that just passed checked them: not expected.
                Err(problems) => eprintln!("{problems}\n/api/ keeps the forms it had"),
            }
        }
    }
}

/// The site's forms, as the build reads them.
fn load_forms(root: &Path) -> Result<Vec<FormDefinition>, String> {
    forms::load_site(&root.join("content"), Path::new("content")).map_err(sorted)
}

/// Editors' problems, in the order the build reports them.
fn sorted(problems: Vec<Diagnostic>) -> String {
    Diagnostics::sorted(problems).to_string()
}

/// The real clock, or `--now` read in the site's time zone.
fn clock(now: Option<&str>, timezone: chrono_tz::Tz) -> Result<Clock, String> {
    Ok(match now {
        Some(text) => clock_from(parse_local(text, timezone)?.with_timezone(&chrono::Utc)),
        None => system_clock(),
    })
}

/// The API router answers under /api/ and /panel/ (its own not-found
/// answers included); every other path is a file of the built site. Each gets
/// the security headers CloudFront adds in the cloud.
fn app(api: Router, files: Live) -> Router {
    Router::new().fallback_service(tower::service_fn(move |request: Request| {
        let (api, files) = (api.clone(), files.clone());
        async move {
            let path = request.uri().path();
            let (mut response, headers) =
                if path.starts_with(routes::PREFIX) || path.starts_with(routes::PANEL_PREFIX) {
                    (api.oneshot(request).await?, security_headers::API)
                } else {
                    (files.respond(request).await, security_headers::SITE)
                };
            headers.set_plain_http(response.headers_mut());
            Ok::<_, std::convert::Infallible>(response)
        }
    }))
}

/// Turns `stop` true on Ctrl-C.
fn stop_on_ctrl_c(stop: tokio::sync::watch::Sender<bool>) {
    tokio::spawn(async move {
        // If the signal cannot be watched, serve until killed.
        if tokio::signal::ctrl_c().await.is_ok() {
            stop.send_replace(true);
        } else {
            std::future::pending::<()>().await;
        }
    });
}

/// The embedded store's write-ahead log can hold copies of withdrawn
/// registrations: emptied before the program ends.
async fn close_store(store: &AnyStore) {
    match store.close().await {
        Ok(true) => {}
        Ok(false) => eprintln!(
            "agora: another program is reading the store; its write-ahead log will be emptied when the store is opened next"
        ),
        Err(error) => eprintln!("agora: the store was not closed cleanly: {error}"),
    }
}

/// The secret of this machine's `agora serve`, in `.agora/secret`, made
/// on the first run: it signs the forms' fill-time stamps, which must
/// still verify after a restart (a form opened before it would otherwise
/// be sent as spam), and salts hashed client addresses. Readable by the
/// owner only.
fn site_secret(work: &Path) -> Result<String, String> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let path = work.join(SECRET_FILE);
    let problem = |e: std::io::Error| format!("{}: {e}", path.display());
    match std::fs::read_to_string(&path) {
        Ok(secret) if secret.trim().len() >= 32 => return Ok(secret.trim().to_owned()),
        Ok(_) => {
            return Err(format!(
                "{} is too short to be a secret; delete it and agora serve makes a new one",
                path.display()
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(problem(e)),
    }
    std::fs::create_dir_all(work).map_err(problem)?;
    let secret = new_token().map_err(|e| format!("no randomness: {e}"))?;
    // Written whole beside it, then linked into place: another agora
    // serve starting at the same moment never reads half a secret, and
    // the first one's secret wins.
    let draft = work.join(format!("{SECRET_FILE}.{}", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&draft)
        .map_err(problem)?;
    writeln!(file, "{secret}").map_err(problem)?;
    drop(file);
    let linked = std::fs::hard_link(&draft, &path);
    let _ = std::fs::remove_file(&draft);
    match linked {
        Ok(()) => Ok(secret),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => site_secret(work),
        Err(e) => Err(problem(e)),
    }
}

/// Purges now and every [`PURGE_EVERY`] while the server runs, with the
/// forms of the moment (for the ambassadors' list `keeper` keeps). The
/// log says how many were erased, never whom.
fn purge_periodically(service: Arc<FormService>, keeper: Arc<ListKeeper>) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(PURGE_EVERY);
        // After a suspended laptop wakes, one purge catches up.
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            // The first tick is at once.
            ticks.tick().await;
            let (store, forms) = (service.store(), service.forms());
            match purge_and_republish(store, &forms, &keeper, chrono::Utc::now()).await {
                Ok(purged) => println!("agora: purge {purged}"),
                Err(error) => eprintln!("agora: the purge failed: {error}"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    #[test]
    fn the_secret_is_made_once_and_kept_for_the_owner() {
        let root = tempfile::tempdir().expect("a temporary folder");
        let work = root.path().join(WORK_DIR);
        let first = site_secret(&work).expect("made");
        assert!(first.len() >= 32, "{first}");
        assert_eq!(site_secret(&work).expect("read"), first, "kept across runs");
        let mode = std::fs::metadata(work.join(SECRET_FILE))
            .expect("the file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let leftovers: Vec<_> = std::fs::read_dir(&work)
            .expect("the folder")
            .filter_map(Result::ok)
            .map(|e| e.file_name())
            .collect();
        assert_eq!(leftovers, [SECRET_FILE], "no draft left behind");
    }

    #[test]
    fn a_damaged_secret_is_reported_not_replaced() {
        let root = tempfile::tempdir().expect("a temporary folder");
        let work = root.path().join(WORK_DIR);
        std::fs::create_dir_all(&work).expect("the folder");
        std::fs::write(work.join(SECRET_FILE), "short\n").expect("written");
        let error = site_secret(&work).expect_err("refused");
        assert!(error.contains("too short"), "{error}");
    }
}
