//! foi's database schema as sea-orm migrations, applied automatically at start-up.
//! Migrations are append-only: never edit one that has landed; add a new one.

#![forbid(unsafe_code)]

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_initial;
mod m20261123_000002_inbox;
mod m20261123_000003_coded;
mod m20261123_000004_sessions;
mod m20261123_000005_round_revision;
mod m20261205_000006_review;
mod m20261205_000007_body_sources;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_initial::Migration),
            Box::new(m20261123_000002_inbox::Migration),
            Box::new(m20261123_000003_coded::Migration),
            Box::new(m20261123_000004_sessions::Migration),
            Box::new(m20261123_000005_round_revision::Migration),
            Box::new(m20261205_000006_review::Migration),
            Box::new(m20261205_000007_body_sources::Migration),
        ]
    }
}
