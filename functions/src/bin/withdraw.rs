//! The Lambda function for GET and POST /api/forms/{id}/wycofaj: withdrawing a registration through its e-mailed link.
//! It runs the same router as every other function and as `agora serve`
//! (`agora_functions::http`); API Gateway sends it only its routes. An
//! appointed ambassador's withdrawal publishes the public list of
//! ambassadors again (`AGORA_PUBLISH_BUILD`, as the panel function's).
//! Settings come from the environment (`agora_functions::http::lambda`).

use agora_functions::http::lambda::{run_withdraw, Environment};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let environment = Environment::from_env()?;
    let store = environment.dynamo_store().await?;
    run_withdraw(environment, store).await
}
