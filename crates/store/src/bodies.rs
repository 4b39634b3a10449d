//! The body registry: importing, listing and editing bodies, and their succession.

use std::collections::{BTreeSet, HashMap};

use chrono::{Days, NaiveDate};
use foi_core::{AddressSource, Body, BodyKind, BodyPatch, BodyRow, Confidence, Named, Regime, SuccessionRow};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};
use serde::Serialize;

use crate::entity::{body, body_change, succession};
use crate::{Error, Result, Store, not_found, now};

/// One field of a body that an import or an edit changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: &'static str,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// What a body import did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, Serialize)]
pub struct BodyImportSummary {
    pub added: Vec<String>,
    pub updated: Vec<(String, Vec<FieldChange>)>,
    pub unchanged: usize,
}

impl BodyImportSummary {
    /// Rows added or updated.
    pub fn changed(&self) -> usize {
        self.added.len() + self.updated.len()
    }
}

/// Which bodies to list.
#[derive(Debug, Clone, Default)]
pub struct BodyFilter {
    pub kinds: Vec<BodyKind>,
    /// Case-insensitive exact region name.
    pub region: Option<String>,
    pub missing_email: bool,
    /// Only bodies that exist on this date.
    pub current_on: Option<NaiveDate>,
    /// Only these codes.
    pub codes: Option<Vec<String>>,
    /// Case-insensitive substring of the name or code.
    pub search: Option<String>,
}

/// An edit to one body; `Some("")` clears an optional field.
#[derive(Debug, Clone, Default)]
pub struct BodyUpdate {
    pub name: Option<String>,
    pub region: Option<String>,
    pub nhs_region: Option<String>,
    pub ons_region: Option<String>,
    pub website: Option<String>,
    pub foi_email: Option<String>,
    /// Where a new `foi_email` was found (a page's address); default: the edit's source.
    pub email_source: Option<String>,
    pub email_confidence: Option<Confidence>,
    pub email_note: Option<String>,
    pub regime: Option<Regime>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
}

/// A logged change to a body.
#[derive(Debug, Clone, Serialize)]
pub struct BodyChange {
    pub at: chrono::DateTime<chrono::Utc>,
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
    pub source: String,
}

/// One succession record: `share` of the predecessor went to the successor on a date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Succession {
    pub predecessor_code: String,
    pub predecessor_name: Option<String>,
    pub successor_code: String,
    pub successor_name: Option<String>,
    pub effective_date: NaiveDate,
    pub share: Option<f64>,
    pub basis: Option<String>,
    pub notes: Option<String>,
}

/// What a succession import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SuccessionSummary {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Codes named in the file that the registry does not hold (kept, but worth knowing).
    pub unknown_codes: Vec<String>,
}

pub(crate) fn to_body(m: body::Model) -> Result<Body> {
    Ok(Body {
        kind: body_kind(&m.code, &m.kind)?,
        regime: body_regime(&m.code, &m.regime)?,
        email_source: address_source(
            &m.code,
            m.foi_email_source,
            m.foi_email_confidence,
            m.foi_email_note,
            m.foi_email_set_by,
            m.foi_email_set_at,
        )?,
        code: m.code,
        ods_code: m.ods_code,
        gss_code: m.gss_code,
        name: m.name,
        region: m.region,
        nhs_region: m.nhs_region,
        ons_region: m.ons_region,
        website: m.website,
        foi_email: m.foi_email,
        valid_from: m.valid_from,
        valid_to: m.valid_to,
    })
}

/// A stored address provenance, read back (None when no source was recorded).
pub(crate) fn address_source(
    code: &str,
    source: Option<String>,
    confidence: Option<String>,
    note: Option<String>,
    set_by: Option<String>,
    set_at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Option<AddressSource>> {
    let Some(source) = source else { return Ok(None) };
    let confidence = confidence
        .map(|c| {
            Confidence::from_name(&c)
                .ok_or_else(|| Error::Corrupt(format!("body {code} has unknown address confidence {c}")))
        })
        .transpose()?;
    Ok(Some(AddressSource { source, confidence, note, set_by, set_at }))
}

/// A stored body kind, read back.
pub(crate) fn body_kind(code: &str, kind: &str) -> Result<BodyKind> {
    BodyKind::from_name(kind).ok_or_else(|| Error::Corrupt(format!("body {code} has unknown kind {kind}")))
}

/// A stored FOI regime, read back.
pub(crate) fn body_regime(code: &str, regime: &str) -> Result<foi_core::Regime> {
    regime.parse().map_err(|_| Error::Corrupt(format!("body {code} has unknown regime {regime}")))
}

fn to_succession(m: succession::Model) -> Succession {
    Succession {
        predecessor_code: m.predecessor_code,
        predecessor_name: m.predecessor_name,
        successor_code: m.successor_code,
        successor_name: m.successor_name,
        effective_date: m.effective_date,
        share: m.share,
        basis: m.basis,
        notes: m.notes,
    }
}

/// The fields of a body as (name, value) pairs, for comparing and logging.
fn fields(b: &Body) -> [(&'static str, Option<String>); 14] {
    let src = b.email_source.as_ref();
    [
        ("ods_code", b.ods_code.clone()),
        ("gss_code", b.gss_code.clone()),
        ("name", Some(b.name.clone())),
        ("kind", Some(b.kind.name().to_string())),
        ("region", b.region.clone()),
        ("nhs_region", b.nhs_region.clone()),
        ("ons_region", b.ons_region.clone()),
        ("website", b.website.clone()),
        ("foi_email", b.foi_email.clone()),
        ("foi_email_source", src.map(|s| s.source.clone())),
        ("foi_email_confidence", src.and_then(|s| s.confidence).map(|c| c.to_string())),
        ("regime", Some(b.regime.to_string())),
        ("valid_from", b.valid_from.map(|d| d.to_string())),
        ("valid_to", b.valid_to.map(|d| d.to_string())),
    ]
}

/// The fields that differ between `old` and `new`.
fn changes(old: &Body, new: &Body) -> Vec<FieldChange> {
    let mut out: Vec<FieldChange> = fields(old)
        .into_iter()
        .zip(fields(new))
        .filter(|((_, o), (_, n))| o != n)
        .map(|((field, old), (_, new))| FieldChange { field, old, new })
        .collect();
    // A new note on the same source is a change too, though too long to log in full.
    let note = |b: &Body| b.email_source.as_ref().and_then(|s| s.note.clone());
    if out.is_empty() && note(old) != note(new) {
        out.push(FieldChange { field: "foi_email_note", old: note(old), new: note(new) });
    }
    out
}

fn apply(m: &mut body::ActiveModel, b: &Body) {
    m.code = Set(b.code.clone());
    m.ods_code = Set(b.ods_code.clone());
    m.gss_code = Set(b.gss_code.clone());
    m.name = Set(b.name.clone());
    m.kind = Set(b.kind.name().to_string());
    m.region = Set(b.region.clone());
    m.nhs_region = Set(b.nhs_region.clone());
    m.ons_region = Set(b.ons_region.clone());
    m.website = Set(b.website.clone());
    m.foi_email = Set(b.foi_email.clone());
    let src = b.email_source.as_ref();
    m.foi_email_source = Set(src.map(|s| s.source.clone()));
    m.foi_email_confidence = Set(src.and_then(|s| s.confidence).map(|c| c.to_string()));
    m.foi_email_note = Set(src.and_then(|s| s.note.clone()));
    m.foi_email_set_by = Set(src.and_then(|s| s.set_by.clone()));
    m.foi_email_set_at = Set(src.and_then(|s| s.set_at));
    m.regime = Set(b.regime.to_string());
    m.valid_from = Set(b.valid_from);
    m.valid_to = Set(b.valid_to);
    m.updated_at = Set(now());
}

/// Who records an address, and from where, in one import or edit.
struct Stamp<'a> {
    /// The file or command, used when a row names no page.
    source: &'a str,
    by: Option<&'a str>,
    at: chrono::DateTime<chrono::Utc>,
}

/// The address and its provenance after `given` (an address, with or without a source)
/// meets what is held. A blank address keeps the old one and its source; a new address
/// takes the row's source (else the file); the same address takes a source the row gives
/// when it differs from the one held (a page found later is better than "imported").
fn merged_address(
    old_email: &Option<String>,
    old_source: &Option<AddressSource>,
    email: &Option<String>,
    source: &Option<AddressSource>,
    stamp: &Stamp,
) -> (Option<String>, Option<AddressSource>) {
    let Some(email) = email else { return (old_email.clone(), old_source.clone()) };
    let stamped = |s: Option<&AddressSource>| {
        let mut s = s.cloned().unwrap_or_else(|| AddressSource {
            source: String::new(),
            confidence: None,
            note: None,
            set_by: None,
            set_at: None,
        });
        if s.source.is_empty() {
            s.source = stamp.source.to_string();
        }
        s.set_by = stamp.by.map(str::to_string);
        s.set_at = Some(stamp.at);
        s
    };
    let same_address = old_email.as_deref().is_some_and(|o| o.eq_ignore_ascii_case(email));
    if !same_address {
        return (Some(email.clone()), Some(stamped(source.as_ref())));
    }
    let differs = |new: &AddressSource| {
        old_source.as_ref().is_none_or(|o| {
            (!new.source.is_empty() && o.source != new.source) || o.confidence != new.confidence || o.note != new.note
        })
    };
    match source {
        Some(new) if differs(new) => (Some(email.clone()), Some(stamped(Some(new)))),
        _ => (Some(email.clone()), old_source.clone()),
    }
}

/// Merges `new` onto `old`: only fields `new` gives are taken.
fn merged(old: &Body, new: &Body, stamp: &Stamp) -> Body {
    let pick = |n: &Option<String>, o: &Option<String>| n.clone().or_else(|| o.clone());
    let (foi_email, email_source) =
        merged_address(&old.foi_email, &old.email_source, &new.foi_email, &new.email_source, stamp);
    Body {
        code: old.code.clone(),
        ods_code: pick(&new.ods_code, &old.ods_code),
        gss_code: pick(&new.gss_code, &old.gss_code),
        name: new.name.clone(),
        kind: new.kind,
        region: pick(&new.region, &old.region),
        nhs_region: pick(&new.nhs_region, &old.nhs_region),
        ons_region: pick(&new.ons_region, &old.ons_region),
        website: pick(&new.website, &old.website),
        foi_email,
        email_source,
        regime: new.regime,
        valid_from: new.valid_from.or(old.valid_from),
        valid_to: new.valid_to.or(old.valid_to),
    }
}

/// Applies an update row to `old`: only the fields it gives.
fn patched(old: &Body, p: &BodyPatch, stamp: &Stamp) -> Body {
    let pick = |n: &Option<String>, o: &Option<String>| n.clone().or_else(|| o.clone());
    let (foi_email, email_source) =
        merged_address(&old.foi_email, &old.email_source, &p.foi_email, &p.email_source, stamp);
    Body {
        region: pick(&p.region, &old.region),
        nhs_region: pick(&p.nhs_region, &old.nhs_region),
        ons_region: pick(&p.ons_region, &old.ons_region),
        website: pick(&p.website, &old.website),
        foi_email,
        email_source,
        regime: p.regime.unwrap_or(old.regime),
        valid_from: p.valid_from.or(old.valid_from),
        valid_to: p.valid_to.or(old.valid_to),
        ..old.clone()
    }
}

async fn log_changes<C: ConnectionTrait>(db: &C, body_id: i32, changes: &[FieldChange], source: &str) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let at = now();
    let rows = changes.iter().map(|c| body_change::ActiveModel {
        body_id: Set(body_id),
        at: Set(at),
        field: Set(c.field.to_string()),
        old_value: Set(c.old.clone()),
        new_value: Set(c.new.clone()),
        source: Set(source.to_string()),
        ..Default::default()
    });
    body_change::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}

/// Writes `new` over the stored body `m` and logs `changes` against `source`.
async fn save<C: ConnectionTrait>(
    db: &C,
    m: &body::Model,
    new: &Body,
    changes: &[FieldChange],
    source: &str,
) -> Result<()> {
    let mut am: body::ActiveModel = m.clone().into();
    apply(&mut am, new);
    am.update(db).await?;
    log_changes(db, m.id, changes, source).await
}

/// One body of an import: counted unchanged, or saved (unless `dry_run`) and counted updated.
async fn update_one<C: ConnectionTrait>(
    db: &C,
    m: &body::Model,
    old: &Body,
    new: &Body,
    source: &str,
    dry_run: bool,
    summary: &mut BodyImportSummary,
) -> Result<()> {
    let changes = changes(old, new);
    if changes.is_empty() {
        summary.unchanged += 1;
        return Ok(());
    }
    if !dry_run {
        save(db, m, new, &changes, source).await?;
    }
    summary.updated.push((old.code.clone(), changes));
    Ok(())
}

async fn find_body<C: ConnectionTrait>(db: &C, code: &str) -> Result<body::Model> {
    body::Entity::find().filter(body::Column::Code.eq(code)).one(db).await?.ok_or_else(|| not_found("body", code))
}

impl Store {
    /// Imports bodies all or nothing: adds new codes, updates changed ones in place (logging
    /// each changed field against `source`), leaves the rest. With `dry_run` nothing is written.
    pub async fn import_bodies(&self, rows: &[BodyRow], source: &str, dry_run: bool) -> Result<BodyImportSummary> {
        self.import_bodies_by(rows, source, None, dry_run).await
    }

    /// [`Store::import_bodies`], naming who imported: each address added or changed records
    /// `by`, now, and its row's page (`source_url`) or else `source`.
    pub async fn import_bodies_by(
        &self,
        rows: &[BodyRow],
        source: &str,
        by: Option<&str>,
        dry_run: bool,
    ) -> Result<BodyImportSummary> {
        let stamp = Stamp { source, by, at: now() };
        let _writing = self.write_lock().await;
        let txn = self.db.begin().await?;
        let existing: HashMap<String, body::Model> =
            body::Entity::find().all(&txn).await?.into_iter().map(|m| (m.code.clone(), m)).collect();
        let mut summary = BodyImportSummary::default();
        let mut new_rows = Vec::new();
        for row in rows {
            let b = &row.body;
            match existing.get(&b.code) {
                None => {
                    summary.added.push(b.code.clone());
                    let mut m = body::ActiveModel { created_at: Set(now()), ..Default::default() };
                    let (foi_email, email_source) = merged_address(&None, &None, &b.foi_email, &b.email_source, &stamp);
                    apply(&mut m, &Body { foi_email, email_source, ..b.clone() });
                    new_rows.push(m);
                }
                Some(m) => {
                    let old = to_body(m.clone())?;
                    let new = merged(&old, b, &stamp);
                    update_one(&txn, m, &old, &new, source, dry_run, &mut summary).await?;
                }
            }
        }
        if dry_run {
            txn.rollback().await?;
            return Ok(summary);
        }
        for chunk in new_rows.chunks(200) {
            body::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
        }
        txn.commit().await?;
        Ok(summary)
    }

    /// Applies an update file all or nothing: each row sets the fields it gives on the body
    /// with its code and nothing else. A code the registry does not hold fails the whole file,
    /// naming every such line.
    pub async fn patch_bodies(
        &self,
        rows: &[BodyPatch],
        source: &str,
        by: Option<&str>,
        dry_run: bool,
    ) -> Result<BodyImportSummary> {
        let stamp = Stamp { source, by, at: now() };
        let _writing = self.write_lock().await;
        let txn = self.db.begin().await?;
        let existing: HashMap<String, body::Model> =
            body::Entity::find().all(&txn).await?.into_iter().map(|m| (m.code.to_ascii_uppercase(), m)).collect();
        let unknown: Vec<String> = rows
            .iter()
            .filter(|r| !existing.contains_key(&r.code.to_ascii_uppercase()))
            .map(|r| format!("line {}: no body has code {}", r.line, r.code))
            .collect();
        if !unknown.is_empty() {
            return Err(Error::Invalid(format!(
                "{} (a file without a kind column only updates bodies already held; to add bodies, give name and kind columns)",
                unknown.join("; ")
            )));
        }
        let mut summary = BodyImportSummary::default();
        for row in rows {
            let m = &existing[&row.code.to_ascii_uppercase()];
            let old = to_body(m.clone())?;
            let new = patched(&old, row, &stamp);
            update_one(&txn, m, &old, &new, source, dry_run, &mut summary).await?;
        }
        if dry_run {
            txn.rollback().await?;
        } else {
            txn.commit().await?;
        }
        Ok(summary)
    }

    /// Bodies matching `filter`, ordered by kind then name.
    pub async fn list_bodies(&self, filter: &BodyFilter) -> Result<Vec<Body>> {
        let mut cond = Condition::all();
        if !filter.kinds.is_empty() {
            cond = cond.add(body::Column::Kind.is_in(filter.kinds.iter().map(|k| k.name())));
        }
        if filter.missing_email {
            cond = cond.add(body::Column::FoiEmail.is_null());
        }
        if let Some(d) = filter.current_on {
            cond = cond
                .add(Condition::any().add(body::Column::ValidFrom.is_null()).add(body::Column::ValidFrom.lte(d)))
                .add(Condition::any().add(body::Column::ValidTo.is_null()).add(body::Column::ValidTo.gte(d)));
        }
        if let Some(codes) = &filter.codes {
            cond = cond.add(body::Column::Code.is_in(codes.iter().cloned()));
        }
        let models = body::Entity::find()
            .filter(cond)
            .order_by_asc(body::Column::Kind)
            .order_by_asc(body::Column::Name)
            .all(&self.db)
            .await?;
        let region = filter.region.as_ref().map(|r| r.to_lowercase());
        let search = filter.search.as_ref().map(|s| s.to_lowercase());
        models
            .into_iter()
            .filter(|m| {
                region.as_ref().is_none_or(|r| {
                    [&m.region, &m.nhs_region, &m.ons_region]
                        .iter()
                        .any(|x| x.as_ref().is_some_and(|x| x.to_lowercase() == *r))
                })
            })
            .filter(|m| {
                search.as_ref().is_none_or(|s| m.name.to_lowercase().contains(s) || m.code.to_lowercase().contains(s))
            })
            .map(to_body)
            .collect()
    }

    /// One body by its code (case-insensitive when the exact code is not found).
    pub async fn body(&self, code: &str) -> Result<Body> {
        match find_body(&self.db, code).await {
            Err(Error::NotFound { .. }) => find_body(&self.db, &code.to_ascii_uppercase()).await.and_then(to_body),
            other => other.and_then(to_body),
        }
    }

    /// Edits one body and logs each changed field against `source`; a new address records
    /// `by`, now and `update.email_source` (else `source`) as its provenance.
    pub async fn update_body(
        &self,
        code: &str,
        update: &BodyUpdate,
        source: &str,
        by: Option<&str>,
    ) -> Result<Vec<FieldChange>> {
        let _writing = self.write_lock().await;
        let txn = self.db.begin().await?;
        let m = find_body(&txn, &self.body(code).await?.code).await?;
        let old = to_body(m.clone())?;
        let blank_is_none = |v: &Option<String>, o: &Option<String>| match v {
            None => o.clone(),
            Some(s) if s.trim().is_empty() => None,
            Some(s) => Some(s.trim().to_string()),
        };
        if let Some(e) = update.foi_email.as_deref().filter(|e| !e.trim().is_empty())
            && !foi_core::body::is_plausible_email(e.trim())
        {
            return Err(Error::Invalid(format!("malformed email address \"{e}\"")));
        }
        if let Some(s) = update.email_source.as_deref().filter(|s| !s.trim().is_empty())
            && update.foi_email.as_deref().is_none_or(|e| e.trim().is_empty())
            && old.foi_email.is_none()
        {
            return Err(Error::Invalid(format!("a source (\"{s}\") needs an address to go with it")));
        }
        let stamp = Stamp { source, by, at: now() };
        let given_source = (update.email_source.is_some()
            || update.email_confidence.is_some()
            || update.email_note.is_some())
        .then(|| AddressSource {
            source: update.email_source.clone().unwrap_or_default().trim().to_string(),
            confidence: update.email_confidence,
            note: update.email_note.clone().filter(|n| !n.trim().is_empty()),
            set_by: None,
            set_at: None,
        });
        let (foi_email, email_source) = match update.foi_email.as_deref().map(str::trim) {
            Some("") => (None, None),
            Some(e) => merged_address(&old.foi_email, &old.email_source, &Some(e.to_string()), &given_source, &stamp),
            None if given_source.is_some() => {
                merged_address(&old.foi_email, &old.email_source, &old.foi_email, &given_source, &stamp)
            }
            None => (old.foi_email.clone(), old.email_source.clone()),
        };
        let new = Body {
            name: update.name.clone().unwrap_or_else(|| old.name.clone()),
            region: blank_is_none(&update.region, &old.region),
            nhs_region: blank_is_none(&update.nhs_region, &old.nhs_region),
            ons_region: blank_is_none(&update.ons_region, &old.ons_region),
            website: blank_is_none(&update.website, &old.website),
            foi_email,
            email_source,
            regime: update.regime.unwrap_or(old.regime),
            valid_from: update.valid_from.or(old.valid_from),
            valid_to: update.valid_to.or(old.valid_to),
            ..old.clone()
        };
        let changes = changes(&old, &new);
        if !changes.is_empty() {
            save(&txn, &m, &new, &changes, source).await?;
        }
        txn.commit().await?;
        Ok(changes)
    }

    /// The change log of one body, oldest first.
    pub async fn body_history(&self, code: &str) -> Result<Vec<BodyChange>> {
        let m = find_body(&self.db, &self.body(code).await?.code).await?;
        Ok(body_change::Entity::find()
            .filter(body_change::Column::BodyId.eq(m.id))
            .order_by_asc(body_change::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|c| BodyChange { at: c.at, field: c.field, old: c.old_value, new: c.new_value, source: c.source })
            .collect())
    }

    /// Imports succession records all or nothing; a record already held is updated in place.
    pub async fn import_successions(&self, rows: &[SuccessionRow], dry_run: bool) -> Result<SuccessionSummary> {
        let _writing = self.write_lock().await;
        let txn = self.db.begin().await?;
        let known: BTreeSet<String> = body::Entity::find().all(&txn).await?.into_iter().map(|m| m.code).collect();
        let existing: HashMap<(String, String, NaiveDate), succession::Model> = succession::Entity::find()
            .all(&txn)
            .await?
            .into_iter()
            .map(|m| ((m.predecessor_code.clone(), m.successor_code.clone(), m.effective_date), m))
            .collect();
        let mut summary = SuccessionSummary::default();
        let mut unknown = BTreeSet::new();
        for r in rows {
            for code in [&r.predecessor_code, &r.successor_code] {
                if !known.contains(code) {
                    unknown.insert(code.clone());
                }
            }
            let key = (r.predecessor_code.clone(), r.successor_code.clone(), r.effective_date);
            let fresh = succession::ActiveModel {
                predecessor_code: Set(r.predecessor_code.clone()),
                predecessor_name: Set(r.predecessor_name.clone()),
                successor_code: Set(r.successor_code.clone()),
                successor_name: Set(r.successor_name.clone()),
                effective_date: Set(r.effective_date),
                share: Set(r.share),
                basis: Set(r.basis.clone()),
                notes: Set(r.notes.clone()),
                ..Default::default()
            };
            match existing.get(&key) {
                Some(m)
                    if m.share == r.share
                        && m.basis == r.basis
                        && m.notes == r.notes
                        && m.predecessor_name == r.predecessor_name
                        && m.successor_name == r.successor_name =>
                {
                    summary.unchanged += 1
                }
                Some(m) => {
                    summary.updated += 1;
                    if !dry_run {
                        let mut am = fresh;
                        am.id = Set(m.id);
                        am.created_at = Set(m.created_at);
                        am.update(&txn).await?;
                    }
                }
                None => {
                    summary.added += 1;
                    if !dry_run {
                        let mut am = fresh;
                        am.created_at = Set(now());
                        am.insert(&txn).await?;
                    }
                }
            }
        }
        summary.unknown_codes = unknown.into_iter().collect();
        if dry_run {
            txn.rollback().await?;
        } else {
            txn.commit().await?;
        }
        Ok(summary)
    }

    /// Records that `new` replaced each of `olds` on `on`: the old bodies end the day before,
    /// the new one starts that day (if it had no start), and the succession is kept.
    pub async fn record_succession(
        &self,
        olds: &[String],
        new: &str,
        on: NaiveDate,
        share: Option<f64>,
        source: &str,
    ) -> Result<()> {
        if share.is_some_and(|s| !(s > 0.0 && s <= 1.0)) {
            return Err(Error::Invalid("share must be above 0 and at most 1".into()));
        }
        let new_body = self.body(new).await?;
        let day_before =
            on.checked_sub_days(Days::new(1)).ok_or_else(|| Error::Invalid(format!("{on} is too early")))?;
        let mut old_bodies = Vec::new();
        for code in olds {
            let b = self.body(code).await?;
            if b.code == new_body.code {
                return Err(Error::Invalid(format!("{} cannot succeed itself", b.code)));
            }
            old_bodies.push(b);
        }
        let _writing = self.write_lock().await;
        let txn = self.db.begin().await?;
        for old in &old_bodies {
            let m = find_body(&txn, &old.code).await?;
            let whole = share.is_none_or(|s| s >= 1.0);
            if whole && old.valid_to.is_none_or(|t| t > day_before) {
                let change = FieldChange {
                    field: "valid_to",
                    old: old.valid_to.map(|d| d.to_string()),
                    new: Some(day_before.to_string()),
                };
                let mut am: body::ActiveModel = m.clone().into();
                am.valid_to = Set(Some(day_before));
                am.updated_at = Set(now());
                am.update(&txn).await?;
                log_changes(&txn, m.id, &[change], source).await?;
            }
            let exists = succession::Entity::find()
                .filter(succession::Column::PredecessorCode.eq(&old.code))
                .filter(succession::Column::SuccessorCode.eq(&new_body.code))
                .filter(succession::Column::EffectiveDate.eq(on))
                .one(&txn)
                .await?;
            if exists.is_none() {
                succession::ActiveModel {
                    predecessor_code: Set(old.code.clone()),
                    predecessor_name: Set(Some(old.name.clone())),
                    successor_code: Set(new_body.code.clone()),
                    successor_name: Set(Some(new_body.name.clone())),
                    effective_date: Set(on),
                    share: Set(share),
                    basis: Set(Some(source.to_string())),
                    notes: Set(None),
                    created_at: Set(now()),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
            }
        }
        if new_body.valid_from.is_none() {
            let m = find_body(&txn, &new_body.code).await?;
            let mut am: body::ActiveModel = m.clone().into();
            am.valid_from = Set(Some(on));
            am.updated_at = Set(now());
            am.update(&txn).await?;
            log_changes(
                &txn,
                m.id,
                &[FieldChange { field: "valid_from", old: None, new: Some(on.to_string()) }],
                source,
            )
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Succession records naming `code`: (what it replaced, what replaced it).
    pub async fn successions_of(&self, code: &str) -> Result<(Vec<Succession>, Vec<Succession>)> {
        let find = |col: succession::Column| {
            succession::Entity::find()
                .filter(col.eq(code))
                .order_by_asc(succession::Column::EffectiveDate)
                .order_by_asc(succession::Column::Id)
                .all(&self.db)
        };
        let replaced = find(succession::Column::SuccessorCode).await?.into_iter().map(to_succession).collect();
        let replaced_by = find(succession::Column::PredecessorCode).await?.into_iter().map(to_succession).collect();
        Ok((replaced, replaced_by))
    }

    /// All succession records, for comparing rounds.
    pub async fn successions(&self) -> Result<Vec<Succession>> {
        Ok(succession::Entity::find()
            .order_by_asc(succession::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_succession)
            .collect())
    }
}
