//! Reading items: one by key (strongly consistent), a pointer's
//! registration, the counter, a prefix of a form's partition.

use agora_core::store::StoreError;

use super::items::*;
use super::{failure, DynamoStore};

impl DynamoStore {
    pub(super) async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            // Decisions are taken on what was just written.
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| failure("GetItem", e))?;
        Ok(output.item)
    }

    /// The reference a lookup item (unique key, token, list place) points at.
    pub(super) async fn pointer(&self, pk: &str, sk: &str) -> Result<Option<String>, StoreError> {
        self.get(pk, sk)
            .await?
            .map(|item| text(&item, "reference").map(str::to_owned))
            .transpose()
    }

    pub(super) async fn stored(
        &self,
        pk: &str,
        reference: &str,
    ) -> Result<Option<Stored>, StoreError> {
        self.get(pk, &registration_sk(reference))
            .await?
            .map(|item| read_stored(&item))
            .transpose()
    }

    pub(super) async fn counter(&self, pk: &str) -> Result<Counter, StoreError> {
        match self.get(pk, COUNTER).await? {
            Some(item) => read_counter(&item),
            None => Ok(Counter::default()),
        }
    }

    /// Items of the partition whose sort key starts with `prefix`, in sort
    /// key order.
    pub(super) async fn query(
        &self,
        pk: &str,
        prefix: &str,
        projection: Option<&str>,
    ) -> Result<Vec<Item>, StoreError> {
        const CONDITION: &str = "#pk = :pk AND begins_with(#sk, :prefix)";
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression(CONDITION)
            .set_projection_expression(projection.map(str::to_owned))
            .set_expression_attribute_names(names(&[CONDITION, projection.unwrap_or_default()]))
            .set_expression_attribute_values(values(vec![
                (":pk".to_owned(), s(pk)),
                (":prefix".to_owned(), s(prefix)),
            ]))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        let mut items = Vec::new();
        while let Some(item) = pages.next().await {
            items.push(item.map_err(|e| failure("Query", e))?);
        }
        Ok(items)
    }
}
