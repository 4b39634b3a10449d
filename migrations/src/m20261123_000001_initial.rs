//! The first schema: bodies and succession, rounds, requests and their event log,
//! messages with their raw bytes, attachments, tags and users.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `created_at` for append-only tables.
fn created_at() -> ColumnDef {
    timestamp_with_time_zone("created_at")
}

fn fk(from_table: &'static str, from_col: &'static str, to_table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{from_col}"))
        .from(from_table, from_col)
        .to(to_table, "id")
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

fn index(table: &'static str, cols: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(format!("{}_{}_{}", if unique { "uq" } else { "ix" }, table, cols.join("_"))).table(table);
    for c in cols {
        i.col(*c);
    }
    if unique {
        i.unique();
    }
    i.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("bodies")
                .col(pk_auto("id"))
                .col(string_uniq("code"))
                .col(string_null("ods_code"))
                .col(string_null("gss_code"))
                .col(string("name"))
                .col(string("kind"))
                .col(string_null("region"))
                .col(string_null("website"))
                .col(string_null("foi_email"))
                .col(string("regime"))
                .col(date_null("valid_from"))
                .col(date_null("valid_to"))
                .col(created_at())
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("bodies", &["kind"], false)).await?;

        m.create_table(
            Table::create()
                .table("body_changes")
                .col(pk_auto("id"))
                .col(integer("body_id"))
                .col(timestamp_with_time_zone("at"))
                .col(string("field"))
                .col(text_null("old_value"))
                .col(text_null("new_value"))
                .col(string("source"))
                .foreign_key(&mut fk("body_changes", "body_id", "bodies"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("body_changes", &["body_id"], false)).await?;

        m.create_table(
            Table::create()
                .table("successions")
                .col(pk_auto("id"))
                .col(string("predecessor_code"))
                .col(string_null("predecessor_name"))
                .col(string("successor_code"))
                .col(string_null("successor_name"))
                .col(date("effective_date"))
                .col(double_null("share"))
                .col(text_null("basis"))
                .col(text_null("notes"))
                .col(created_at())
                .to_owned(),
        )
        .await?;
        m.create_index(index("successions", &["predecessor_code", "successor_code", "effective_date"], true)).await?;
        m.create_index(index("successions", &["successor_code"], false)).await?;

        m.create_table(
            Table::create()
                .table("users")
                .col(pk_auto("id"))
                .col(string_uniq("username"))
                .col(string_null("display_name"))
                .col(string("role"))
                .col(string("password_hash"))
                .col(boolean("disabled"))
                .col(created_at())
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("rounds")
                .col(pk_auto("id"))
                .col(string_uniq("slug"))
                .col(string("name"))
                .col(string("codebook_name"))
                .col(text("codebook"))
                .col(string("template_set"))
                .col(string("sender_name"))
                .col(string("sender_email"))
                .col(string_null("reply_domain"))
                .col(date_null("launch_date"))
                .col(timestamp_with_time_zone_null("closed_at"))
                .col(created_at())
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("requests")
                .col(pk_auto("id"))
                .col(integer("round_id"))
                .col(integer("body_id"))
                .col(string_uniq("reference"))
                .col(string("state"))
                .col(string_null("to_address"))
                .col(timestamp_with_time_zone_null("sent_at"))
                .col(text_null("exemptions"))
                .col(integer("chasers_sent"))
                .col(created_at())
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("requests", "round_id", "rounds"))
                .foreign_key(&mut fk("requests", "body_id", "bodies"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("requests", &["round_id", "body_id"], true)).await?;
        m.create_index(index("requests", &["body_id"], false)).await?;
        m.create_index(index("requests", &["state"], false)).await?;

        m.create_table(
            Table::create()
                .table("messages")
                .col(big_pk_auto("id"))
                .col(integer_null("request_id"))
                .col(string("direction"))
                .col(string("kind"))
                .col(string_uniq("dedup_key"))
                .col(string_null("message_id"))
                .col(string("content_hash"))
                .col(big_integer("raw_size"))
                .col(text_null("from_addr"))
                .col(text_null("to_addrs"))
                .col(text_null("subject"))
                .col(timestamp_with_time_zone_null("date"))
                .col(text_null("in_reply_to"))
                .col(text_null("references"))
                .col(text_null("body_text"))
                .col(string_null("class"))
                .col(text_null("class_evidence"))
                .col(string_null("class_set_by"))
                .col(text_null("exemptions"))
                .col(text_null("bounce_address"))
                .col(boolean_null("bounce_permanent"))
                .col(string_null("match_method"))
                .col(double_null("match_confidence"))
                .col(text_null("parse_error"))
                .col(string_null("outbox_state"))
                .col(integer("attempts"))
                .col(timestamp_with_time_zone_null("next_attempt_at"))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone_null("received_at"))
                .col(created_at())
                .foreign_key(&mut fk("messages", "request_id", "requests"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("messages", &["request_id"], false)).await?;
        m.create_index(index("messages", &["message_id"], false)).await?;
        m.create_index(index("messages", &["outbox_state"], false)).await?;

        m.create_table(
            Table::create()
                .table("message_raw")
                .col(big_integer("message_id").primary_key())
                .col(blob("raw"))
                .foreign_key(&mut fk("message_raw", "message_id", "messages"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("message_locations")
                .col(big_pk_auto("id"))
                .col(big_integer("message_id"))
                .col(string("folder"))
                .col(big_integer("uidvalidity"))
                .col(big_integer("uid"))
                .foreign_key(&mut fk("message_locations", "message_id", "messages"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("message_locations", &["folder", "uidvalidity", "uid"], true)).await?;

        m.create_table(
            Table::create()
                .table("mail_folders")
                .col(pk_auto("id"))
                .col(string_uniq("folder"))
                .col(big_integer("uidvalidity"))
                .col(big_integer("last_uid"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("request_events")
                .col(big_pk_auto("id"))
                .col(integer("request_id"))
                .col(timestamp_with_time_zone("at"))
                .col(date("on_date"))
                .col(string_null("from_state"))
                .col(string("to_state"))
                .col(string("actor"))
                .col(text_null("reason"))
                .col(big_integer_null("message_id"))
                .foreign_key(&mut fk("request_events", "request_id", "requests"))
                .foreign_key(&mut fk("request_events", "message_id", "messages"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("request_events", &["request_id"], false)).await?;

        m.create_table(
            Table::create()
                .table("case_references")
                .col(pk_auto("id"))
                .col(integer("request_id"))
                .col(string("reference"))
                .col(big_integer_null("learned_from"))
                .col(created_at())
                .foreign_key(&mut fk("case_references", "request_id", "requests"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("case_references", &["reference", "request_id"], true)).await?;

        m.create_table(
            Table::create()
                .table("attachments")
                .col(big_pk_auto("id"))
                .col(big_integer("message_id"))
                .col(integer("ordinal"))
                .col(big_integer_null("parent_id"))
                .col(text_null("filename"))
                .col(string("content_type"))
                .col(big_integer("size"))
                .col(string("sha256"))
                .col(string("extraction"))
                .col(text_null("extraction_error"))
                .col(text_null("text"))
                .foreign_key(&mut fk("attachments", "message_id", "messages"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("attachments", &["message_id", "ordinal"], true)).await?;

        m.create_table(
            Table::create()
                .table("attachment_content")
                .col(big_integer("attachment_id").primary_key())
                .col(blob("content"))
                .foreign_key(&mut fk("attachment_content", "attachment_id", "attachments"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("tags")
                .col(big_pk_auto("id"))
                .col(integer("request_id"))
                .col(string("question"))
                .col(text("answer"))
                .col(text_null("quote"))
                .col(text_null("note"))
                .col(string("tagger"))
                .col(string("status"))
                .col(string("source"))
                .col(big_integer_null("message_id"))
                .col(created_at())
                .col(timestamp_with_time_zone_null("superseded_at"))
                .foreign_key(&mut fk("tags", "request_id", "requests"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("tags", &["request_id", "question"], false)).await?;
        Ok(())
    }
}
