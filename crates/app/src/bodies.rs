//! Importing a body file, as `foi bodies import` and the web's upload both do: a body list
//! (it has a kind column, or a kind is given for every row) adds and updates bodies; a file
//! without a kind (`code,foi_email`...) only updates bodies already held, and a code the
//! registry does not hold is a bad row. All or nothing; every bad row named by its line.

use foi_core::registry::{self, BodyImport};
use foi_core::{BodyKind, ImportError};
use foi_store::{BodyFilter, BodyImportSummary, Store};

use crate::Result;

/// What an import did, or the rows that stopped it (nothing was written then).
#[derive(Debug, Clone)]
pub enum Imported {
    Done {
        /// `bodies` or `updates`.
        mode: &'static str,
        rows: usize,
        summary: BodyImportSummary,
        ignored_columns: Vec<String>,
    },
    Refused(Vec<ImportError>),
}

/// Reads and imports `bytes` (`source` names the file in the change log; `by` the person).
pub async fn import_file(
    store: &Store,
    bytes: &[u8],
    default_kind: Option<BodyKind>,
    source: &str,
    by: Option<&str>,
    dry_run: bool,
) -> Result<Imported> {
    let read = registry::read_body_import(bytes, default_kind);
    if !read.errors().is_empty() {
        return Ok(Imported::Refused(read.errors().to_vec()));
    }
    let (mode, summary) = match &read {
        BodyImport::Bodies(r) => ("bodies", store.import_bodies_by(&r.rows, source, by, dry_run).await?),
        BodyImport::Updates(r) => {
            let codes: Vec<String> = r.rows.iter().map(|p| p.code.clone()).collect();
            let held: std::collections::HashSet<String> = store
                .list_bodies(&BodyFilter { codes: Some(codes), ..Default::default() })
                .await?
                .into_iter()
                .map(|b| b.code.to_ascii_uppercase())
                .collect();
            let unknown: Vec<ImportError> = r
                .rows
                .iter()
                .filter(|p| !held.contains(&p.code.to_ascii_uppercase()))
                .map(|p| ImportError {
                    line: Some(p.line),
                    message: format!(
                        "no body has code {} (a file without a kind column only updates bodies already held; \
                         to add bodies, give name and kind columns or a kind for every row)",
                        p.code
                    ),
                })
                .collect();
            if !unknown.is_empty() {
                return Ok(Imported::Refused(unknown));
            }
            ("updates", store.patch_bodies(&r.rows, source, by, dry_run).await?)
        }
    };
    Ok(Imported::Done { mode, rows: read.rows(), summary, ignored_columns: read.ignored_columns().to_vec() })
}
