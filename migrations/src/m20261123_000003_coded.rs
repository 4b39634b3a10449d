//! Each request's current coded answers, kept beside its tags so that the reports read one
//! short value per request instead of every tag: `requests.coded` is a JSON object from
//! question id to answer (the latest confirmed tag still standing for each question, of any
//! analyst), maintained by the store in the transaction that changes the tags. Existing tags
//! are folded in here.

use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The update that recomputed `coded` when this migration ran: frozen here (the store keeps
/// its own copy of the rule for the requests whose tags it changes, `store::tags`).
fn recode_sql(backend: DbBackend) -> String {
    let object = match backend {
        DbBackend::Postgres => "json_object_agg(t.question, t.answer)::text",
        _ => "json_group_object(t.question, t.answer)",
    };
    format!(
        "UPDATE requests SET coded = (SELECT {object} FROM tags t WHERE t.request_id = requests.id \
         AND t.status = 'confirmed' AND t.superseded_at IS NULL AND NOT EXISTS (SELECT 1 FROM tags u \
         WHERE u.request_id = t.request_id AND u.question = t.question AND u.status = 'confirmed' \
         AND u.superseded_at IS NULL AND (u.created_at > t.created_at OR (u.created_at = t.created_at AND u.id > t.id))))"
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("requests").add_column(text_null("coded")).to_owned()).await?;
        let db = m.get_connection();
        let sql = recode_sql(db.get_database_backend());
        db.execute_unprepared(&format!("{sql} WHERE id IN (SELECT request_id FROM tags)")).await?;
        Ok(())
    }
}
