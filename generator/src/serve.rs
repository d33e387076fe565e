//! `agora serve`: the site and its form functions on one machine, with no
//! cloud account and no configuration: the embedded SQLite store and an
//! e-mail outbox folder. The site is served from memory and rebuilt after
//! each edit; open pages reload (see [`live`]).

mod live;

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use agora_functions::forms;
use agora_functions::http::{
    clock_from, hide_panic_messages, router_with, system_clock, HttpSettings,
};
use agora_functions::mail::Outbox;
use agora_functions::registration::new_token;
use agora_functions::service::{Service, Settings};
use agora_functions::store::any::AnyStore;
use agora_functions::store::Store as _;
use axum::extract::Request;
use axum::Router;
use tower::ServiceExt as _;

use crate::config::Config;
use crate::rebuild::LiveBuild;
use crate::BuildOptions;

/// A form definition, or a data file a form may take its options from.
fn feeds_forms(relative: &Path) -> bool {
    relative.starts_with("content/forms") || relative.starts_with("content/data")
}

/// Where `agora serve` keeps what it makes, under the site's root.
pub const WORK_DIR: &str = ".agora";

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
}

/// Builds the site, then serves it and the form functions until Ctrl-C.
pub async fn serve(options: ServeOptions) -> Result<(), String> {
    // Bound first, so that `--port 0` (any free port) gives the real
    // address for the site's links.
    let wanted = SocketAddr::new(options.bind, options.port);
    let listener = tokio::net::TcpListener::bind(wanted).await.map_err(|e| {
        format!("cannot listen on {wanted}: {e} (is another agora serve running? try --port)")
    })?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on {wanted}: {e}"))?;
    let public_url = format!("http://{address}");
    let work = options.root.join(WORK_DIR);
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
    let config = Config::load(&options.root)
        .map_err(|problems| crate::Diagnostics::sorted(problems).to_string())?;
    let site_forms = forms::load_site(
        &options.root.join("content"),
        std::path::Path::new("content"),
    )
    .map_err(|problems| format!("{} form problems; run agora check", problems.len()))?;
    let store = options.store.clone();
    let outbox_dir = work.join("outbox");
    let outbox = Outbox::new(
        &outbox_dir,
        &format!("{} <noreply@localhost>", config.title),
    );
    let settings = Settings {
        public_url: public_url.clone(),
        rate_limit: 20,
        min_fill_seconds: 3,
        // A fresh secret per run: hashed addresses need not outlive it.
        address_salt: new_token().map_err(|e| format!("no randomness: {e}"))?,
        contact_email: config.contact.email.clone().unwrap_or_default(),
    };
    // A preview of another moment never erases: its clock is not the
    // retention's.
    if options.now.is_none() {
        purge_periodically(store.clone());
    }
    let service = Arc::new(Service::new(site_forms, store, outbox, settings));
    let files = live::start(&options.root, site, options.watch, {
        let (service, content) = (Arc::clone(&service), options.root.join("content"));
        // The functions validate with what the pages now show.
        move |changed: &[PathBuf]| {
            if changed.iter().any(|p| feeds_forms(p)) {
                match forms::load_site(&content, Path::new("content")) {
                    Ok(reloaded) => {
                        service.replace_forms(reloaded);
                        println!("forms reloaded for /api/");
                    }
                    // The build that just passed checked them: not expected.
                    Err(problems) => eprintln!(
                        "{} form problems; /api/ keeps the forms it had (run agora check)",
                        problems.len()
                    ),
                }
            }
        }
    })?;
    let clock = match &options.now {
        Some(text) => {
            let at = crate::dates::parse_local(text, config.timezone)?;
            clock_from(at.with_timezone(&chrono::Utc))
        }
        None => system_clock(),
    };
    let api = router_with(
        service,
        clock,
        HttpSettings {
            trusted_proxy: options.trusted_proxy,
            ..HttpSettings::default()
        },
    );
    hide_panic_messages();
    // The API router answers under /api/ (its own not-found answers
    // included); every other path is a file of the built site.
    let app = Router::new().fallback_service(tower::service_fn(move |request: Request| {
        let (api, files) = (api.clone(), files.clone());
        async move {
            if request.uri().path().starts_with("/api/") {
                api.oneshot(request).await
            } else {
                Ok(files.respond(request).await)
            }
        }
    }));

    println!(
        "built {} pages; serving {public_url}/ (forms on /api/, store {}, e-mail in {}); {}; Ctrl-C stops",
        report.pages,
        options.store_label,
        outbox_dir.display(),
        if options.watch {
            "reloading after edits"
        } else {
            "not watching for edits"
        }
    );
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        // If the signal cannot be watched, serve until killed.
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(|e| format!("the server stopped: {e}"));
    // The embedded store's write-ahead log can hold copies of withdrawn
    // registrations: emptied before the program ends.
    match options.store.close().await {
        Ok(true) => {}
        Ok(false) => eprintln!(
            "agora: another program is reading the store; its write-ahead log will be emptied when the store is opened next"
        ),
        Err(error) => eprintln!("agora: the store was not closed cleanly: {error}"),
    }
    served
}

/// Purges now and every [`PURGE_EVERY`] while the server runs. The log
/// says how many were erased, never whom.
fn purge_periodically(store: AnyStore) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(PURGE_EVERY);
        // After a suspended laptop wakes, one purge catches up.
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            // The first tick is at once.
            ticks.tick().await;
            match store.purge_expired(chrono::Utc::now()).await {
                Ok(erased) => println!("agora: purge erased {erased} expired registrations"),
                Err(error) => eprintln!("agora: the purge failed: {error}"),
            }
        }
    });
}
