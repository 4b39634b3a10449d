//! Bodies as they are today: each body's NHS England region and ONS region in columns of
//! their own (filled here from `region` by kind: a board's region was its NHS region, a
//! council's its ONS region), and where its FOI address came from (`foi_email_source`, the
//! page or file; `foi_email_confidence`; `foi_email_note`; who set it and when).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            string_null("nhs_region"),
            string_null("ons_region"),
            text_null("foi_email_source"),
            string_null("foi_email_confidence"),
            text_null("foi_email_note"),
            string_null("foi_email_set_by"),
            timestamp_with_time_zone_null("foi_email_set_at"),
        ] {
            m.alter_table(Table::alter().table("bodies").add_column(col).to_owned()).await?;
        }
        let db = m.get_connection();
        db.execute_unprepared("UPDATE bodies SET nhs_region = region WHERE kind IN ('icb', 'ccg')").await?;
        db.execute_unprepared("UPDATE bodies SET ons_region = region WHERE kind NOT IN ('icb', 'ccg')").await?;
        // Addresses held before provenance was kept: say so rather than leave them bare.
        db.execute_unprepared(
            "UPDATE bodies SET foi_email_source = 'recorded before foi kept sources' WHERE foi_email IS NOT NULL",
        )
        .await?;
        Ok(())
    }
}
