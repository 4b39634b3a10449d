//! Replies are hostile input and every route checks who is asking: the web UI's safety
//! rules, on both backends, through the router itself.

#![allow(clippy::unwrap_used)]

mod fixture;

use fixture::client::Client;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use foi_store::TagFilter;
use foi_store::testing::each_backend;
use http_body_util::BodyExt;
use tower::ServiceExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_are_inert_and_every_route_checks_role_and_form() {
    each_backend(|store| async move {
        let fx = fixture::build(&store).await;
        let mut app = foi_web::App::new(store.clone()).unwrap();
        app.today = chrono::NaiveDate::from_ymd_opt(2026, 11, 2);
        let router = foi_web::router(app);

        // Nobody signed in: every page sends the browser to sign in; a wrong password fails
        // the same way whether or not the user exists; a form from another site is refused.
        let anon = Client { router: router.clone(), cookie: None };
        for uri in ["/", "/rounds/cpc", &format!("/requests/{}", fx.hostile), "/triage", "/bodies"] {
            let r = anon.get(uri).await;
            assert_eq!((r.status, r.header(header::LOCATION)), (StatusCode::SEE_OTHER, "/signin".into()), "{uri}");
        }
        let wrong = anon.post("/signin", "username=ana&password=nope-nope").await;
        let nobody = anon.post("/signin", "username=nobody&password=nope-nope").await;
        assert_eq!((wrong.status, nobody.status), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
        assert!(
            wrong.text().contains("Wrong user name or password")
                && nobody.text().contains("Wrong user name or password")
        );
        let forged = anon
            .send(
                "POST",
                "/signin",
                Some(&format!("username=ana&password={}", fixture::PASSWORD)),
                Some("https://evil.example"),
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);

        // The hostile reply is shown as text: no script, no handler, nothing that runs.
        let viewer = Client::sign_in(&router, "vic").await;
        let page = viewer.get(&format!("/requests/{}", fx.hostile)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        let html = page.text();
        assert!(html.contains("We do not hold this information"), "the reply's text is shown");
        for bad in ["<script", "onerror", "<img src=x"] {
            assert!(!html.contains(bad), "{bad} reached the page");
        }
        let csp = page.header(header::CONTENT_SECURITY_POLICY);
        assert!(csp.contains("default-src 'none'") && !csp.contains("script-src"), "{csp}");
        assert_eq!(page.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");

        // The attachment named like a web page is only ever a download.
        let link = html
            .split("href=\"/messages/")
            .skip(1)
            .map(|l| l.split('"').next().unwrap())
            .find(|l| l.contains("/attachments/"))
            .expect("an attachment link");
        assert!(link.contains("/attachments/0"), "{link}");
        let file = viewer.get(&format!("/messages/{link}")).await;
        assert_eq!(file.status, StatusCode::OK);
        assert_eq!(file.header(header::CONTENT_TYPE), "application/octet-stream");
        assert!(file.header(header::CONTENT_DISPOSITION).starts_with("attachment; filename=\"response.html\""));
        assert_eq!(file.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
        assert!(file.header(header::CONTENT_SECURITY_POLICY).contains("default-src 'none'"));
        assert!(file.text().contains("attachment-script"), "the original bytes, kept whole");

        // A viewer cannot tag (even with a good form token), move a request, or triage.
        let tag_form = format!("/requests/{}/tag", fx.suggested);
        let csrf = viewer.csrf("/bodies").await.to_string();
        let r = viewer.post(&tag_form, &format!("csrf={csrf}&question=strategy&answer=yes")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
        let r = viewer
            .post(&format!("/requests/{}/state", fx.hostile), &format!("csrf={csrf}&state=closed&reason=x"))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = viewer.post(&format!("/triage/{}/dismiss", fx.triage_id), &format!("csrf={csrf}&reason=spam")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let confirmed = || async {
            store
                .tags(&TagFilter { reference: Some(fx.suggested.clone()), ..Default::default() })
                .await
                .unwrap()
                .into_iter()
                .filter(|t| t.status == "confirmed")
                .count()
        };
        assert_eq!(confirmed().await, 0, "nothing was tagged");

        // An analyst's form without its token, or with another session's, is refused; with
        // its own it is saved under the analyst's name.
        let analyst = Client::sign_in(&router, "ana").await;
        let r = analyst.post(&tag_form, "question=strategy&answer=yes").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "no token");
        let r = analyst.post(&tag_form, &format!("csrf={csrf}&question=strategy&answer=yes")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "the viewer's token");
        assert_eq!(confirmed().await, 0);
        let own = analyst.csrf(&tag_form).await;
        let r =
            analyst.post(&tag_form, &format!("csrf={own}&question=strategy&answer=Yes&quote=We+have+a+strategy")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let tags =
            store.tags(&TagFilter { reference: Some(fx.suggested.clone()), ..Default::default() }).await.unwrap();
        let t = tags.iter().find(|t| t.status == "confirmed").unwrap();
        assert_eq!((t.question.as_str(), t.answer.as_str(), t.tagger.as_str()), ("strategy", "yes", "person:ana"));
        // A bad answer is refused, naming the question.
        let r = analyst.post(&tag_form, &format!("csrf={own}&question=strategy&answer=perhaps")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.text().contains("strategy"), "{}", r.text());
        // An analyst is not an officer, nor an admin.
        let r = analyst
            .post(&format!("/requests/{}/state", fx.hostile), &format!("csrf={own}&state=closed&reason=x"))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = analyst.post("/bodies/S000001", &format!("csrf={own}&email=x@y.example")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // Signing out ends the session: the old cookie no longer works.
        let r = analyst.post("/signout", &format!("csrf={own}")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(analyst.get("/").await.status, StatusCode::SEE_OTHER);
    })
    .await;
}

/// An admin imports bodies from a CSV: a bad row is reported by file and line and nothing
/// is imported; a good file is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_import_reports_bad_rows_by_line_and_imports_nothing() {
    each_backend(|store| async move {
        fixture::build(&store).await;
        let router = foi_web::router(foi_web::App::new(store.clone()).unwrap());
        let admin = Client::sign_in(&router, "ada").await;
        let csrf = admin.csrf("/bodies").await;
        let upload = |csv: &str| {
            let body = format!(
                "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"addresses.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--XyZ--\r\n"
            );
            Request::builder()
                .method("POST")
                .uri(format!("/bodies/import?csrf={csrf}"))
                .header(header::HOST, "127.0.0.1:8080")
                .header(header::COOKIE, admin.cookie.clone().unwrap())
                .header(header::CONTENT_TYPE, "multipart/form-data; boundary=XyZ")
                .body(Body::from(body))
                .unwrap()
        };
        let r = router
            .clone()
            .oneshot(upload("code,name,kind,foi_email\nN1,New Body,icb,foi@new.example\nN2,Bad Body,icb,not-an-address"))
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let page = String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
        assert!(page.contains("addresses.csv:3:") && page.contains("nothing was imported"), "{page}");
        assert!(store.body("N1").await.is_err(), "nothing imported");
        let r = router.clone().oneshot(upload("code,name,kind,foi_email\nN1,New Body,icb,foi@new.example")).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(store.body("N1").await.unwrap().foi_email.as_deref(), Some("foi@new.example"));
        let src = store.body("N1").await.unwrap().email_source.unwrap();
        assert_eq!((src.source.as_str(), src.set_by.as_deref()), ("web import addresses.csv by ada", Some("ada")));

        // An address-only file (no kind) sets addresses on bodies already held, with their
        // page and confidence, and the bodies page shows where each came from.
        let r = router
            .clone()
            .oneshot(upload(
                "code,foi_email,source_url,confidence\nN1,foi@n1.example,https://n1.example/foi,high\nNOPE,foi@nope.example,,",
            ))
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "an unknown code fails the whole file");
        let page = String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
        assert!(page.contains("addresses.csv:3: no body has code NOPE"), "{page}");
        assert_eq!(store.body("N1").await.unwrap().foi_email.as_deref(), Some("foi@new.example"));
        let r = router
            .clone()
            .oneshot(upload("code,foi_email,source_url,confidence\nN1,foi@n1.example,https://n1.example/foi,high"))
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let page = admin.get("/bodies?q=N1").await.text();
        assert!(page.contains("<a href=\"https://n1.example/foi\" rel=\"noreferrer noopener\">"), "{page}");
        assert!(page.contains("<td class=\"confidence\">high</td>"), "{page}");
        assert!(page.contains("ada, "), "who recorded it: {page}");
        // The officer's list before a launch: bodies without an address.
        let missing = admin.get("/bodies?missing=1").await.text();
        assert!(!missing.contains("<code>N1</code>"), "{missing}");
        // An edit names its page and confidence.
        let csrf = admin.csrf("/bodies").await;
        let r = admin
            .post("/bodies/N1", &format!("csrf={csrf}&email=foi%40n1.example&source=https%3A%2F%2Fn1.example%2Fcontact&confidence=medium"))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let src = store.body("N1").await.unwrap().email_source.unwrap();
        assert_eq!((src.source.as_str(), src.confidence), ("https://n1.example/contact", Some(foi_core::Confidence::Medium)));
    })
    .await;
}
