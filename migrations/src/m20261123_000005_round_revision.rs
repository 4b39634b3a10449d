//! A round's revision: a number that triggers move whenever anything a round's pages show
//! changes (its requests, their events, their bodies), so that a page can keep what it
//! computed from a round and know, from the round's row alone, when that is out of date.
//! The triggers are SQL files in `migrations/sql/`, one per backend.

use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("rounds").add_column(big_integer("revision").default(0)).to_owned()).await?;
        let db = m.get_connection();
        let triggers = match db.get_database_backend() {
            DbBackend::Postgres => include_str!("../sql/round_revision.postgres.sql"),
            _ => include_str!("../sql/round_revision.sqlite.sql"),
        };
        db.execute_unprepared(triggers).await?;
        Ok(())
    }
}
