//! The round page keeps what it computed from a round between pages: it must never show a
//! request as it was before a change, whoever made it (a form, or the command line in
//! another process writing to the same database). On both backends, through the router.

#![allow(clippy::unwrap_used)]

mod fixture;

use axum::http::StatusCode;
use fixture::client::Client;
use foi_core::{Actor, RequestState};
use foi_inbox::extract::html_to_text;
use foi_store::BodyUpdate;
use foi_store::testing::each_backend;

/// The text of each cell of the round page's row for `reference`: body, kind, state, sent,
/// due, working days overdue, chasers, reference.
fn row(page: &str, reference: &str) -> Vec<String> {
    let link = format!("<a href=\"/requests/{reference}\">");
    let start = page.find(&link).unwrap_or_else(|| panic!("{reference} is not on the page"));
    let end = start + page[start..].find("</tr>").unwrap();
    page[start..end].split("</td>").map(|cell| html_to_text(cell).trim().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_round_page_shows_every_change_at_once_whoever_made_it() {
    each_backend(|store| async move {
        let fx = fixture::build(&store).await;
        let mut app = foi_web::App::new(store.clone()).unwrap();
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        app.today = Some(day);
        let router = foi_web::router(app);
        let officer = Client::sign_in(&router, "olu").await;
        let page = |uri: &'static str| {
            let officer = &officer;
            async move {
                let got = officer.get(uri).await;
                assert_eq!(got.status, StatusCode::OK, "{}", got.text());
                got.text()
            }
        };
        let reference = fx.hostile.clone();
        let before = row(&page("/rounds/cpc").await, &reference);
        assert_eq!(before, row(&page("/rounds/cpc").await, &reference), "the same page twice");
        assert_ne!(before[2], "withdrawn");

        // A change from outside the web UI, as `foi request move` would make it.
        let r = store.request(&reference).await.unwrap();
        let cli = Actor::Person("officer".into());
        store.move_request(r.id, RequestState::Withdrawn, &cli, Some("sent twice"), day, None).await.unwrap();
        let after = row(&page("/rounds/cpc").await, &reference);
        assert_eq!(after[2], "withdrawn", "{after:?}");
        let only = page("/rounds/cpc?state=withdrawn").await;
        assert!(
            only.contains(&format!("/requests/{reference}\"")) && only.contains("1 of "),
            "filtered by the new state"
        );

        // A body renamed: every round page with it shows the new name.
        store
            .update_body(
                &r.body.code,
                &BodyUpdate { name: Some("Renamed Council".into()), ..Default::default() },
                "t",
                None,
            )
            .await
            .unwrap();
        assert_eq!(row(&page("/rounds/cpc").await, &reference)[0], "Renamed Council");

        // A change through the page's own form.
        let csrf = officer.csrf(&format!("/requests/{reference}")).await;
        let moved = officer
            .post(
                &format!("/requests/{reference}/state"),
                &format!("csrf={csrf}&state=sent&reason=not+withdrawn+after+all"),
            )
            .await;
        assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.text());
        assert_eq!(row(&page("/rounds/cpc").await, &reference)[2], "sent");
    })
    .await;
}
