//! The Lambda function for GET and POST /api/forms/{id}/potwierdz: confirming a registration through its e-mailed link;
//! and for GET and POST /api/forms/{id}/pomysl/{reference}: an idea's private page, reached by the link of a unit's answer, and the resident's one reply.
//! It runs the same router as every other function and as `agora serve`
//! (`agora_functions::http`); API Gateway sends it only its routes.
//! Settings come from the environment (`agora_functions::http::lambda`).

use agora_functions::http::lambda::{run_confirming, Environment};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let environment = Environment::from_env()?;
    let store = environment.dynamo_store().await?;
    run_confirming(environment, store).await
}
