//! The Lambda function for GET /panel/ and GET and POST /panel/…: the
//! staff workspace (signing in by an e-mailed link, the dashboard, the
//! accounts, the audit log). It runs the forms' router with the
//! workspace's merged in, as `agora serve` does
//! (`agora_functions::http::panel`); API Gateway sends it only /panel/.
//! Settings come from the environment (`agora_functions::http::lambda`),
//! the workspace's own among them (`AGORA_PANEL_OFFICE`, `AGORA_AUDIT_DAYS`).

use agora_functions::http::lambda::{run_panel, Environment};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let environment = Environment::from_env()?;
    let store = environment.dynamo_store().await?;
    run_panel(environment, store).await
}
