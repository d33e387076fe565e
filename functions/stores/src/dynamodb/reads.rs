//! Reading items: one by key (strongly consistent), a pointer's
//! registration, the counter, a prefix of a form's partition, a whole
//! partition, the keys a scan finds.

use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::AttributeValue;

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
        let query = self
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
            .consistent_read(true);
        query_items(query, usize::MAX).await
    }

    /// The keys (`pk`, `sk`) of the items `filter` matches anywhere in the
    /// table: a scan, strongly consistent, so that what was written a
    /// moment ago is found too. For the purges, which run daily over a
    /// small table.
    pub(super) async fn scan_keys(
        &self,
        filter: &str,
        values_given: Vec<(String, AttributeValue)>,
    ) -> Result<Vec<(String, String)>, StoreError> {
        const PROJECTION: &str = "#pk, #sk";
        let items = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression(filter)
            .projection_expression(PROJECTION)
            .set_expression_attribute_names(names(&[filter, PROJECTION]))
            .set_expression_attribute_values(values(values_given))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| failure("Scan", e))?;
        items
            .iter()
            .map(|item| Ok((text(item, "pk")?.to_owned(), text(item, "sk")?.to_owned())))
            .collect()
    }

    /// A strongly consistent query of the whole partition `pk`, in sort key
    /// order, to which a caller may add a filter (its names and values
    /// beside `#pk` and `:pk`), the order or a page size.
    pub(super) fn partition(&self, pk: &str) -> QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", "pk")
            .expression_attribute_values(":pk", s(pk))
            .consistent_read(true)
    }
}

/// The first `limit` items of a query's pages, in order; no page is read
/// beyond the one that holds the last of them.
pub(super) async fn query_items(
    query: QueryFluentBuilder,
    limit: usize,
) -> Result<Vec<Item>, StoreError> {
    let mut pages = query.into_paginator().items().send();
    let mut items = Vec::new();
    while items.len() < limit {
        match pages.next().await {
            Some(item) => items.push(item.map_err(|e| failure("Query", e))?),
            None => break,
        }
    }
    Ok(items)
}
