//! sea-orm entities, one module per table. Private to the store: other crates see domain types.

macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}
        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod body {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "bodies")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub code: String,
        pub ods_code: Option<String>,
        pub gss_code: Option<String>,
        pub name: String,
        pub kind: String,
        pub region: Option<String>,
        pub website: Option<String>,
        pub foi_email: Option<String>,
        pub regime: String,
        pub nhs_region: Option<String>,
        pub ons_region: Option<String>,
        pub foi_email_source: Option<String>,
        pub foi_email_confidence: Option<String>,
        pub foi_email_note: Option<String>,
        pub foi_email_set_by: Option<String>,
        pub foi_email_set_at: Option<DateTimeUtc>,
        pub valid_from: Option<Date>,
        pub valid_to: Option<Date>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod body_change {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "body_changes")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub body_id: i32,
        pub at: DateTimeUtc,
        pub field: String,
        pub old_value: Option<String>,
        pub new_value: Option<String>,
        pub source: String,
    }
    no_relations!();
}

pub mod succession {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "successions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub predecessor_code: String,
        pub predecessor_name: Option<String>,
        pub successor_code: String,
        pub successor_name: Option<String>,
        pub effective_date: Date,
        pub share: Option<f64>,
        pub basis: Option<String>,
        pub notes: Option<String>,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod session {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub token_hash: String,
        pub user_id: i32,
        pub csrf_token: String,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod user {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub username: String,
        pub display_name: Option<String>,
        pub role: String,
        pub password_hash: String,
        pub disabled: bool,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod round {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "rounds")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub slug: String,
        pub name: String,
        pub codebook_name: String,
        pub codebook: String,
        pub template_set: String,
        pub sender_name: String,
        pub sender_email: String,
        pub reply_domain: Option<String>,
        pub launch_date: Option<Date>,
        pub closed_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        /// Moved by triggers (`migrations/sql/round_revision.*.sql`), never written here.
        pub revision: i64,
    }
    no_relations!();
}

pub mod request {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "requests")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub round_id: i32,
        pub body_id: i32,
        pub reference: String,
        pub state: String,
        pub to_address: Option<String>,
        pub sent_at: Option<DateTimeUtc>,
        pub exemptions: Option<String>,
        pub chasers_sent: i32,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        /// The current coded answers, a JSON object from question id to answer (kept by
        /// `set_tags`; see migration 3).
        pub coded: Option<String>,
    }
    no_relations!();
}

pub mod request_event {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "request_events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub request_id: i32,
        pub at: DateTimeUtc,
        pub on_date: Date,
        pub from_state: Option<String>,
        pub to_state: String,
        pub actor: String,
        pub reason: Option<String>,
        pub message_id: Option<i64>,
    }
    no_relations!();
}

pub mod message {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "messages")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub request_id: Option<i32>,
        pub direction: String,
        pub kind: String,
        pub dedup_key: String,
        pub message_id: Option<String>,
        pub content_hash: String,
        pub raw_size: i64,
        pub from_addr: Option<String>,
        pub to_addrs: Option<String>,
        pub subject: Option<String>,
        pub date: Option<DateTimeUtc>,
        pub in_reply_to: Option<String>,
        pub references: Option<String>,
        pub body_text: Option<String>,
        pub class: Option<String>,
        pub class_evidence: Option<String>,
        pub class_set_by: Option<String>,
        pub exemptions: Option<String>,
        pub bounce_address: Option<String>,
        pub bounce_permanent: Option<bool>,
        pub match_method: Option<String>,
        pub match_confidence: Option<f64>,
        pub parse_error: Option<String>,
        pub outbox_state: Option<String>,
        pub attempts: i32,
        pub next_attempt_at: Option<DateTimeUtc>,
        pub last_error: Option<String>,
        pub received_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub triage_note: Option<String>,
        pub source: Option<String>,
        pub class_confidence: Option<f64>,
        pub rule_class: Option<String>,
        pub needs_review: bool,
    }
    no_relations!();
}

pub mod message_raw {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "message_raw")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub message_id: i64,
        pub raw: Vec<u8>,
    }
    no_relations!();
}

pub mod sender_address {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "sender_addresses")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub address: String,
        pub body_id: i32,
        pub learned_from: Option<i64>,
        pub learned_by: String,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod case_reference {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_references")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub request_id: i32,
        pub reference: String,
        pub learned_from: Option<i64>,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod message_location {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "message_locations")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub message_id: i64,
        pub folder: String,
        pub uidvalidity: i64,
        pub uid: i64,
    }
    no_relations!();
}

pub mod mail_folder {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "mail_folders")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub folder: String,
        pub uidvalidity: i64,
        pub last_uid: i64,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod attachment {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "attachments")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub message_id: i64,
        pub ordinal: i32,
        pub parent_id: Option<i64>,
        pub filename: Option<String>,
        pub content_type: String,
        pub size: i64,
        pub sha256: String,
        pub extraction: String,
        pub extraction_error: Option<String>,
        pub text: Option<String>,
    }
    no_relations!();
}

pub mod attachment_content {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "attachment_content")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub attachment_id: i64,
        pub content: Vec<u8>,
    }
    no_relations!();
}

pub mod tag {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "tags")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub request_id: i32,
        pub question: String,
        pub answer: String,
        pub quote: Option<String>,
        pub note: Option<String>,
        pub tagger: String,
        pub status: String,
        pub source: String,
        pub message_id: Option<i64>,
        pub created_at: DateTimeUtc,
        pub superseded_at: Option<DateTimeUtc>,
    }
    no_relations!();
}
