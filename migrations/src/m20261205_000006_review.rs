//! Reading replies with a confidence: each incoming message keeps how sure the rules were of
//! its class (`class_confidence`), the class the rules gave (`rule_class`, kept when a person
//! corrects the class, so that `foi inbox evaluate --corrections` can compare the two) and
//! whether a person should look at it (`needs_review`). Sender addresses learned from triage
//! (`sender_addresses`): an address a person assigned to a body's request identifies the body
//! from then on, even on a shared domain such as nhs.net.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            double_null("class_confidence"),
            text_null("rule_class"),
            boolean("needs_review").default(false).to_owned(),
        ] {
            m.alter_table(Table::alter().table("messages").add_column(col).to_owned()).await?;
        }
        m.create_index(
            Index::create().name("ix_messages_needs_review").table("messages").col("needs_review").to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("sender_addresses")
                .col(pk_auto("id"))
                .col(string("address"))
                .col(integer("body_id"))
                .col(big_integer_null("learned_from"))
                .col(text("learned_by"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_sender_addresses_body_id")
                        .from("sender_addresses", "body_id")
                        .to("bodies", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_sender_addresses_address_body")
                .table("sender_addresses")
                .col("address")
                .col("body_id")
                .unique()
                .to_owned(),
        )
        .await
    }
}
