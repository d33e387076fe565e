//! Creating the table, for tests and local setups (the deployment's
//! template creates its own).

use std::time::Duration;

use aws_sdk_dynamodb::client::Waiters as _;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification, TimeToLiveStatus,
};

use agora_core::store::StoreError;

use super::items::*;
use super::{bug, failure, DynamoStore};

impl DynamoStore {
    /// Creates the table (on-demand billing, TTL on `ttl`), for tests and
    /// local setups; the deployment creates its own. An existing table is
    /// kept, and its TTL enabled if it was not.
    pub async fn create_table(&self) -> Result<(), StoreError> {
        self.create_table_with_ttl(true).await
    }

    /// As [`Self::create_table`]; without `ttl`, nothing is erased by the
    /// table itself. For stories told at a fixed moment in the past: TTL
    /// erases by the real clock (DynamoDB Local's too, in the background),
    /// so their registrations would vanish while the story runs.
    pub async fn create_table_with_ttl(&self, ttl: bool) -> Result<(), StoreError> {
        let attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(bug)
        };
        let key = |name: &str, kind| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .map_err(bug)
        };
        let created = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attribute("pk")?)
            .attribute_definitions(attribute("sk")?)
            .key_schema(key("pk", KeyType::Hash)?)
            .key_schema(key("sk", KeyType::Range)?)
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(error) if error.code() == Some("ResourceInUseException") => {}
            Err(error) => return Err(failure("CreateTable", error)),
        }
        self.client
            .wait_until_table_exists()
            .table_name(&self.table)
            .wait(Duration::from_secs(60))
            .await
            .map_err(|e| {
                StoreError::Unavailable(format!(
                    "DynamoDB table {} did not become active: {e}",
                    self.table
                ))
            })?;
        if !ttl {
            return Ok(());
        }
        let ttl = self
            .client
            .describe_time_to_live()
            .table_name(&self.table)
            .send()
            .await
            .map_err(|e| failure("DescribeTimeToLive", e))?;
        let status = ttl
            .time_to_live_description()
            .and_then(|d| d.time_to_live_status());
        if !matches!(
            status,
            Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
        ) {
            let specification = TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(TTL)
                .build()
                .map_err(bug)?;
            self.client
                .update_time_to_live()
                .table_name(&self.table)
                .time_to_live_specification(specification)
                .send()
                .await
                .map_err(|e| failure("UpdateTimeToLive", e))?;
        }
        Ok(())
    }
}
