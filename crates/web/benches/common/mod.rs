//! What the web benchmarks share: generated rounds on the shipped codebook, and an app with
//! a signed-in analyst.

use chrono::{NaiveDate, Utc};
use foi_core::{Codebook, Role};
use foi_store::{BulkRound, Store};

/// The session token the benchmarks' clients send.
pub const TOKEN: &str = "bench-token";

/// Generates `rounds` rounds (`r000`, `r001`...) of `per_round` requests each, five tags a
/// request, launched on 2026-09-01; returns their slugs.
pub async fn generate_rounds(store: &Store, rounds: usize, per_round: usize) -> Vec<String> {
    let book = Codebook::from_toml(foi_testkit::SHIPPED_CODEBOOK).unwrap();
    let questions = BulkRound::questions_of(&book);
    let mut slugs = Vec::new();
    for i in 0..rounds {
        let slug = format!("r{i:03}");
        store
            .generate_round(&BulkRound {
                slug: &slug,
                requests: per_round,
                tags: per_round * 5,
                codebook: foi_testkit::SHIPPED_CODEBOOK,
                questions: &questions,
                launch: NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
                seed: i as u64,
            })
            .await
            .unwrap();
        slugs.push(slug);
    }
    slugs
}

/// The UI on `store` on 2026-11-02, with an analyst signed in as [`cookie`] says.
pub async fn app_signed_in(store: &Store) -> foi_web::App {
    let user = store.add_user("bench", None, Role::Analyst, "$argon2id$unused").await.unwrap();
    let expires = Utc::now() + chrono::Duration::hours(2);
    store.add_session(user.id, &foi_web::auth::token_hash(TOKEN), "csrf", expires).await.unwrap();
    let mut app = foi_web::App::new(store.clone()).unwrap();
    app.today = NaiveDate::from_ymd_opt(2026, 11, 2);
    app
}

/// The `Cookie` header of the signed-in analyst.
pub fn cookie() -> String {
    format!("{}={TOKEN}", foi_web::auth::COOKIE)
}
