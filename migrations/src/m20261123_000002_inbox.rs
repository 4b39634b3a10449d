//! Inbox additions: why a message was dismissed from triage, and where it was read from.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("messages").add_column(text_null("triage_note")).to_owned()).await?;
        m.alter_table(Table::alter().table("messages").add_column(text_null("source")).to_owned()).await?;
        Ok(())
    }
}
