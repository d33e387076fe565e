//! What Agora's tests share, one crate instead of modules included by
//! path: DynamoDB Local for the store stories ([`dynamodb_local`]) and
//! [`on_every_store!`] to tell each story on every store, the Kraków
//! forms as the tests rehearse them, from fixtures ([`krakow`]), a
//! service over a store as the tests set it up ([`fixture`]), what
//! the staff's tests share ([`staff`]), a publisher that keeps what the
//! workspace publishes ([`publishing`]), and the workspace's access as the
//! tests deploy it ([`workspace`]). A dev-dependency only.

pub mod dynamodb_local;
pub mod fixture;
pub mod krakow;
pub mod publishing;
pub mod staff;
pub mod workspace;

/// A test of each story on every store, each on a fresh, empty one: the
/// story is a `pub async fn story<S: Store>(store: S)` of the calling
/// module; its tests are `sqlite::story` (SQLite in memory) and
/// `dynamodb::story` (a new table of DynamoDB Local). The calling crate
/// runs them on `tokio`.
#[macro_export]
macro_rules! on_every_store {
    ($($story:ident),+ $(,)?) => {
        $crate::on_store!(sqlite, async { $crate::fixture::sqlite_store() }, $($story),+);
        $crate::on_store!(dynamodb, $crate::dynamodb_local::fresh_store(), $($story),+);
    };
}

/// The stories' tests on the stores `$make` (a future) gives, in a module
/// named `$backend`; see [`on_every_store!`].
#[doc(hidden)]
#[macro_export]
macro_rules! on_store {
    ($backend:ident, $make:expr, $($story:ident),+) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $story() {
                    super::$story($make.await).await;
                }
            )+
        }
    };
}
