//! Test fixtures shared by the integration tests of every crate.
//!
//! [`TestDb`] gives each test a database of its own: a SQLite file in a temporary folder by
//! default, or a fresh PostgreSQL database when `STEWARD_TEST_DATABASE_URL` names a server
//! (the test script sets it). [`TestApp`] serves the real router on 127.0.0.1:0 over that
//! database.

use std::net::SocketAddr;

use serde_json::{Value, json};
use sqlx::AnyPool;
use steward_app::{App, AppConfig, NewUserInput};
use steward_core::identity::User;
use steward_http::{AppState, HttpConfig};
use steward_store::{Store, StoreOptions};
use tempfile::TempDir;

pub const TEST_DATABASE_ENV: &str = "STEWARD_TEST_DATABASE_URL";
/// The password every user made by the fixtures has.
pub const PASSWORD: &str = "correct horse battery";

fn random_suffix() -> String {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).expect("randomness");
    hex::encode(bytes)
}

/// A database that exists for one test.
pub struct TestDb {
    pub url: String,
    /// Keeps the SQLite folder alive as long as the test.
    pub dir: TempDir,
    /// On PostgreSQL: the server's URL and the database's name, dropped with the `TestDb` (a
    /// long-lived development cluster otherwise fills its disk with test databases).
    pg: Option<(String, String)>,
}

impl TestDb {
    pub async fn new() -> TestDb {
        let dir = tempfile::tempdir().expect("temporary folder");
        match std::env::var(TEST_DATABASE_ENV) {
            Ok(base) if !base.is_empty() => {
                let (url, name) = create_pg_database(&base).await;
                TestDb { url, dir, pg: Some((base, name)) }
            }
            _ => TestDb { url: Store::sqlite_url(dir.path()), dir, pg: None },
        }
    }

    /// A database holding a fixture made by an earlier Steward: on SQLite a copy of the file
    /// `sqlite_file`, on PostgreSQL a fresh database loaded from `postgres_dump` (plain
    /// `pg_dump --inserts` output). Nothing is migrated yet.
    pub async fn from_fixture(sqlite_file: &std::path::Path, postgres_dump: &std::path::Path) -> TestDb {
        let db = TestDb::new().await;
        if db.is_postgres() {
            let dump = std::fs::read_to_string(postgres_dump).expect("read the PostgreSQL fixture");
            // psql's own commands (`\restrict`) are not SQL.
            let dump: String =
                dump.lines().filter(|l| !l.starts_with('\\')).map(|l| format!("{l}\n")).collect();
            let raw = db.raw_pool().await;
            // One connection: the dump sets its session's search path.
            let mut conn = raw.acquire().await.expect("a connection to the test database");
            sqlx::raw_sql(sqlx::AssertSqlSafe(dump))
                .execute(&mut *conn)
                .await
                .expect("load the PostgreSQL fixture");
            drop(conn);
            raw.close().await;
        } else {
            std::fs::copy(sqlite_file, db.dir.path().join("steward.db")).expect("copy the SQLite fixture");
        }
        db
    }

    pub fn is_postgres(&self) -> bool {
        self.url.starts_with("postgres")
    }

    /// A migrated store over this database.
    pub async fn store(&self) -> Store {
        let store =
            Store::connect(&self.url, &StoreOptions::default()).await.expect("connect to the test database");
        store.migrate().await.expect("migrate the test database");
        store
    }

    /// Makes the database refuse, with an error, every insert into `table` whose `column` is
    /// `value`: a fault that strikes one row, for tests of what a failure leaves behind.
    pub async fn refuse_inserts(&self, table: &str, column: &str, value: &str) {
        let name = format!("refuse_{table}");
        let statements = match self.is_postgres() {
            true => vec![
                format!(
                    "CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN \
                     IF NEW.{column} = '{value}' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ \
                     LANGUAGE plpgsql"
                ),
                format!(
                    "CREATE TRIGGER {name} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()"
                ),
            ],
            false => vec![format!(
                "CREATE TRIGGER {name} BEFORE INSERT ON {table} WHEN NEW.{column} = '{value}' \
                 BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )],
        };
        let raw = self.raw_pool().await;
        for sql in statements {
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&raw).await.expect("install the refusing trigger");
        }
        raw.close().await;
    }

    /// A raw pool for tests that must reach around the store, e.g. to tamper with rows.
    pub async fn raw_pool(&self) -> AnyPool {
        sqlx::any::install_default_drivers();
        AnyPool::connect(&self.url).await.expect("raw connection to the test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((base, name)) = self.pg.take() else { return };
        // Drop runs inside the test's runtime, which cannot block on a future: a thread with a
        // runtime of its own drops the database, and the test waits for it.
        let dropped = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            runtime.block_on(async {
                if let Ok(admin) = AnyPool::connect(&base).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&admin).await;
                    admin.close().await;
                }
            });
        });
        let _ = dropped.join();
    }
}

/// Creates `steward_test_<random>` on the server of `base`; returns its URL and name.
async fn create_pg_database(base: &str) -> (String, String) {
    sqlx::any::install_default_drivers();
    let name = format!("steward_test_{}", random_suffix());
    let admin = AnyPool::connect(base).await.unwrap_or_else(|e| {
        panic!("{TEST_DATABASE_ENV}={base} is not reachable ({e}); run the suite with ./scripts/test, which starts PostgreSQL")
    });
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await
        .expect("create test database");
    admin.close().await;
    let (before_query, query) = match base.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (base, String::new()),
    };
    let scheme_end = before_query.find("://").map_or(0, |i| i + 3);
    let server = match before_query[scheme_end..].find('/') {
        Some(slash) => &before_query[..scheme_end + slash],
        None => before_query,
    };
    (format!("{server}/{name}{query}"), name)
}

/// The real application served on a loopback port.
pub struct TestApp {
    pub addr: SocketAddr,
    pub app: App,
    pub db: TestDb,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(AppConfig::default(), HttpConfig::default()).await
    }

    pub async fn spawn_with(config: AppConfig, http: HttpConfig) -> TestApp {
        TestApp::spawn_on(TestDb::new().await, config, http).await
    }

    /// Serves the app over `db`, migrated first (e.g. a [`TestDb::from_fixture`]).
    pub async fn spawn_on(db: TestDb, config: AppConfig, http: HttpConfig) -> TestApp {
        let app = App::new(db.store().await, config);
        let state = AppState::new(app.clone(), http).expect("app state");
        let router = steward_http::router(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().expect("local address");
        let server = tokio::spawn(async move {
            axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
                .await
                .expect("serve");
        });
        TestApp { addr, app, db, server }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Creates a user with [`PASSWORD`] as the command line would.
    pub async fn user(&self, username: &str, role: &str) -> User {
        let input = NewUserInput {
            username: username.into(),
            display_name: None,
            email: None,
            role: role.into(),
            password: PASSWORD.into(),
            organisation: None,
        };
        self.app.directory().create_user(None, input).await.expect("create test user")
    }

    /// A bearer token for `username` with `scopes` (space-separated).
    pub async fn token(&self, username: &str, scopes: &str) -> String {
        let user = self.app.directory().user_by_username(username).await.expect("token owner");
        self.app.tokens().issue(None, user.id, "test", scopes, "1d").await.expect("issue token").secret
    }

    /// A user of `role` and a token with every scope of that role.
    pub async fn user_with_token(&self, username: &str, role: &str) -> (User, String) {
        let user = self.user(username, role).await;
        let scopes = user.role.scopes().to_string();
        let token = self.token(username, &scopes).await;
        (user, token)
    }

    /// A browser-like client: keeps cookies, does not follow redirects.
    pub fn browser() -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client")
    }

    /// Signs `client` in through the web form; returns the session's CSRF token.
    pub async fn sign_in(
        &self,
        client: &reqwest::Client,
        username: &str,
        password: &str,
    ) -> reqwest::Response {
        let page =
            client.get(self.url("/login")).send().await.expect("login page").text().await.expect("body");
        let csrf = hidden_field(&page, "_csrf").expect("login form has a CSRF field");
        client
            .post(self.url("/login"))
            .form(&[("username", username), ("password", password), ("_csrf", &csrf), ("next", "/")])
            .send()
            .await
            .expect("submit login")
    }

    /// A browser signed in as an existing user, with its session's CSRF token.
    pub async fn signed_in(&self, username: &str) -> (reqwest::Client, String) {
        let browser = TestApp::browser();
        let status = self.sign_in(&browser, username, PASSWORD).await.status();
        assert_eq!(status, 303, "sign-in of {username}");
        let csrf = self.csrf(&browser).await;
        (browser, csrf)
    }

    /// GETs a page with `browser`; returns status and HTML.
    pub async fn page(&self, browser: &reqwest::Client, path: &str) -> (u16, String) {
        let response = browser.get(self.url(path)).send().await.expect("page");
        (response.status().as_u16(), response.text().await.expect("body"))
    }

    /// The CSRF token of the signed-in session, read from a page as a browser would.
    pub async fn csrf(&self, client: &reqwest::Client) -> String {
        let page = client.get(self.url("/account")).send().await.expect("page").text().await.expect("body");
        hidden_field(&page, "_csrf").expect("page has a CSRF field")
    }

    /// Runs a JSON request with a bearer token; returns status and body.
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = reqwest::Client::new().request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        let value =
            if text.is_empty() { json!(null) } else { serde_json::from_str(&text).unwrap_or(json!(text)) };
        (status, value)
    }
}

/// The value of `<input type="hidden" name="NAME" value="...">` in a page.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}
