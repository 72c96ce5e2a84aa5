//! schemathesis (PyPI) fuzzes the API from the OpenAPI document Steward serves, with all its
//! checks (server errors, response schemas and status codes, content types, valid data
//! accepted, invalid data refused, authentication, stateful links), on the backend under test,
//! over the demo desk. A bounded number of examples and a fixed seed keep it short and
//! repeatable; `tests/schemathesis.toml` says where stored data decides validity.

use steward_test_support::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_holds_to_its_openapi_document() {
    let app = TestApp::spawn().await;
    app.app.seed_demo_with_history(20).await.unwrap();
    let (_, token) = app.user_with_token("fuzzer", "admin").await;
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schemathesis.toml");
    let url = app.url("/api/openapi.json");
    let auth = format!("Authorization: Bearer {token}");
    let run = tokio::process::Command::new("python3")
        .args(["-m", "schemathesis.cli", "--config-file", config, "run", &url, "-H", &auth])
        .args(["--checks", "all", "--max-examples", "15", "--workers", "1", "--seed", "20261205"])
        // Its own token must outlive the run: no signing out, no revoking tokens.
        .args(["--exclude-operation-id", "post /api/v1/auth/logout"])
        .args(["--exclude-operation-id", "delete /api/v1/tokens/{id}"])
        .args(["--no-color"])
        .env("SCHEMATHESIS_HOOKS", "")
        // Its cache of found crashes stays with the test, not in the source tree.
        .current_dir(app.db.dir.path())
        .output()
        .await
        .expect("python3 -m schemathesis.cli (pip install schemathesis; scripts/test does)");
    let said = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert!(run.status.success(), "schemathesis found failures:\n{said}");
    assert!(said.contains("Tested: "), "{said}");
}
