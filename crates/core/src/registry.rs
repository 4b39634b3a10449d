//! Reading body lists and succession lists from CSV: header mapping and row validation,
//! with a line-numbered report of every bad row. Storing them is the store's job.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::Serialize;

use crate::body::is_plausible_email;
use crate::{AddressSource, Body, BodyKind, Confidence, Regime};

/// One problem in an imported file, at a line (1-based, counting the header as line 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}{message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct ImportError {
    /// None for a problem with the file as a whole (its header, its encoding).
    pub line: Option<u64>,
    pub message: String,
}

impl ImportError {
    /// The error as `FILE:LINE: message` (or `FILE: message` for the file as a whole).
    pub fn located(&self, file: &str) -> String {
        match self.line {
            Some(l) => format!("{file}:{l}: {}", self.message),
            None => format!("{file}: {}", self.message),
        }
    }
}

impl<T> Default for ImportReport<T> {
    fn default() -> Self {
        ImportReport { rows: Vec::new(), errors: Vec::new(), ignored_columns: Vec::new() }
    }
}

impl ImportError {
    fn at(line: u64, message: impl Into<String>) -> ImportError {
        ImportError { line: Some(line), message: message.into() }
    }
    fn file(message: impl Into<String>) -> ImportError {
        ImportError { line: None, message: message.into() }
    }
}

/// The outcome of reading a file: its good rows, or every error found.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport<T> {
    pub rows: Vec<T>,
    pub errors: Vec<ImportError>,
    /// Columns the importer did not recognise and left alone.
    pub ignored_columns: Vec<String>,
}

/// One good row of a body list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BodyRow {
    pub line: u64,
    pub body: Body,
}

/// One good row of an update file (a code column and some fields, no kind): the fields it
/// gives, for a body already in the registry. Fields not given are None and stay as stored.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BodyPatch {
    pub line: u64,
    pub code: String,
    pub region: Option<String>,
    pub nhs_region: Option<String>,
    pub ons_region: Option<String>,
    pub website: Option<String>,
    pub foi_email: Option<String>,
    /// The row's `source_url`, `confidence` and `evidence`, when it gives an address.
    pub email_source: Option<AddressSource>,
    pub regime: Option<Regime>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
}

/// A body file read either as a list of bodies (it has a kind column, or a kind was given
/// for every row) or as updates to bodies already held (no kind: `code,foi_email` and the
/// like, such as `foi_emails_found.csv`).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum BodyImport {
    Bodies(ImportReport<BodyRow>),
    Updates(ImportReport<BodyPatch>),
}

impl BodyImport {
    pub fn errors(&self) -> &[ImportError] {
        match self {
            BodyImport::Bodies(r) => &r.errors,
            BodyImport::Updates(r) => &r.errors,
        }
    }
    pub fn ignored_columns(&self) -> &[String] {
        match self {
            BodyImport::Bodies(r) => &r.ignored_columns,
            BodyImport::Updates(r) => &r.ignored_columns,
        }
    }
    pub fn rows(&self) -> usize {
        match self {
            BodyImport::Bodies(r) => r.rows.len(),
            BodyImport::Updates(r) => r.rows.len(),
        }
    }
}

/// One good row of a succession list: `share` of the predecessor's area went to the successor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SuccessionRow {
    pub line: u64,
    pub predecessor_code: String,
    pub predecessor_name: Option<String>,
    pub successor_code: String,
    pub successor_name: Option<String>,
    pub effective_date: NaiveDate,
    /// Share (0 to 1) of the predecessor's resident population; None when the source gives none.
    pub share: Option<f64>,
    pub basis: Option<String>,
    pub notes: Option<String>,
}

/// Which column holds what, found from the header.
struct Header {
    names: Vec<String>,
    map: HashMap<&'static str, usize>,
}

impl Header {
    fn get<'r>(&self, rec: &'r [String], field: &str) -> Option<&'r str> {
        let i = *self.map.get(field)?;
        rec.get(i).map(|s| s.trim()).filter(|s| !s.is_empty())
    }
}

/// Maps a header to fields: each field takes the first alias present, and one column
/// serves one field only.
fn map_header(names: &[String], fields: &[(&'static str, &[&str])]) -> Header {
    let norm: Vec<String> = names.iter().map(|n| crate::normalise_name(n)).collect();
    let mut map = HashMap::new();
    let mut used = HashSet::new();
    for (field, aliases) in fields {
        if let Some(i) =
            aliases.iter().find_map(|a| norm.iter().enumerate().position(|(i, n)| n == a && !used.contains(&i)))
        {
            used.insert(i);
            map.insert(*field, i);
        }
    }
    Header { names: names.to_vec(), map }
}

impl Header {
    fn ignored(&self) -> Vec<String> {
        let used: HashSet<usize> = self.map.values().copied().collect();
        (0..self.names.len()).filter(|i| !used.contains(i)).map(|i| self.names[i].clone()).collect()
    }
}

/// Reads CSV bytes into (line, fields) records, decoding UTF-8 (with or without a BOM).
/// A CSV file read as its header and its (line, fields) records.
type Records = (Vec<String>, Vec<(u64, Vec<String>)>);

fn read_records(bytes: &[u8]) -> Result<Records, Vec<ImportError>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header: Vec<String> = match rdr.byte_headers() {
        Ok(h) => match h.iter().map(|f| String::from_utf8(f.to_vec())).collect() {
            Ok(h) => h,
            Err(_) => {
                return Err(vec![ImportError::at(1, "the header is not valid UTF-8 (save the file as UTF-8 CSV)")]);
            }
        },
        Err(e) => return Err(vec![ImportError::file(format!("cannot read the CSV header: {e}"))]),
    };
    if header.iter().all(|h| h.trim().is_empty()) {
        return Err(vec![ImportError::file("the file is empty or has no header")]);
    }
    let mut records = Vec::new();
    let mut errors = Vec::new();
    for rec in rdr.byte_records() {
        match rec {
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                errors.push(ImportError::at(line, format!("cannot read the row: {e}")));
            }
            Ok(rec) => {
                let line = rec.position().map(|p| p.line()).unwrap_or(0);
                if rec.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                    continue;
                }
                if rec.len() != header.len() {
                    errors.push(ImportError::at(
                        line,
                        format!("{} fields where the header has {}", rec.len(), header.len()),
                    ));
                    continue;
                }
                let mut fields = Vec::with_capacity(rec.len());
                let mut bad = None;
                for (i, f) in rec.iter().enumerate() {
                    match String::from_utf8(f.to_vec()) {
                        Ok(s) => fields.push(s),
                        Err(_) => {
                            bad = Some(i);
                            break;
                        }
                    }
                }
                match bad {
                    Some(i) => errors.push(ImportError::at(
                        line,
                        format!("column \"{}\" is not valid UTF-8 (save the file as UTF-8 CSV)", header[i]),
                    )),
                    None => records.push((line, fields)),
                }
            }
        }
    }
    if errors.is_empty() { Ok((header, records)) } else { Err(errors) }
}

fn parse_date(line: u64, column: &str, value: &str) -> Result<NaiveDate, ImportError> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(value, "%d/%m/%Y"))
        .map_err(|_| ImportError::at(line, format!("{column} \"{value}\" is not a date (use YYYY-MM-DD)")))
}

const BODY_FIELDS: &[(&str, &[&str])] = &[
    ("code", &["code", "body_code", "id"]),
    ("ods_code", &["ods_code", "ods", "org_code", "organisation_code", "icb22_ods", "ccg_ods"]),
    ("gss_code", &["gss_code", "gss", "ons_code", "ons_gss_code", "lad_code", "la_code"]),
    ("name", &["name", "body_name", "organisation_name", "organisation", "authority", "council_name"]),
    ("kind", &["kind", "body_kind", "type", "organisation_type", "authority_type"]),
    ("nhs_region", &["nhs_region", "nhs_england_region", "nhser", "nhser_name"]),
    ("ons_region", &["ons_region", "rgn", "rgn_name", "region_name"]),
    ("region", &["region"]),
    ("source_url", &["source_url", "email_source", "foi_email_source", "found_on", "source_page"]),
    ("confidence", &["confidence", "email_confidence", "foi_email_confidence"]),
    ("evidence", &["evidence", "email_note", "foi_email_note", "how_found"]),
    ("website", &["website", "url", "web", "homepage", "web_site"]),
    ("foi_email", &["foi_email", "email", "foi_address", "email_address", "foi_contact"]),
    ("regime", &["regime", "foi_regime"]),
    ("valid_from", &["valid_from", "start_date", "established", "from"]),
    ("valid_to", &["valid_to", "end_date", "abolished", "to"]),
];

/// A row's address, website and the address's source, each checked.
fn contact(
    get: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<String>,
) -> (Option<String>, Option<String>, Option<AddressSource>) {
    let foi_email = get("foi_email");
    if let Some(e) = &foi_email
        && !is_plausible_email(e)
    {
        problems.push(format!("malformed email address \"{e}\""));
    }
    let website = get("website");
    if let Some(w) = &website
        && !(w.starts_with("http://") || w.starts_with("https://"))
    {
        problems.push(format!("website \"{w}\" is not an http:// or https:// address"));
    }
    let source = email_source(get, &foi_email, problems);
    (foi_email, website, source)
}

/// The columns of a body file that only make sense with an address.
fn email_source(
    get: &dyn Fn(&str) -> Option<String>,
    foi_email: &Option<String>,
    problems: &mut Vec<String>,
) -> Option<AddressSource> {
    let confidence = match get("confidence") {
        None => None,
        Some(c) => match c.parse::<Confidence>() {
            Ok(c) => Some(c),
            Err(e) => {
                problems.push(e.to_string());
                None
            }
        },
    };
    let source = get("source_url");
    let note = get("evidence");
    if foi_email.is_none() {
        if source.is_some() || confidence.is_some() {
            problems.push("a source or confidence without an foi_email address".into());
        }
        return None;
    }
    // A row without a source column still gives a confidence or a note: the importer fills
    // in the file as the source.
    if source.is_none() && confidence.is_none() && note.is_none() {
        return None;
    }
    Some(AddressSource { source: source.unwrap_or_default(), confidence, note, set_by: None, set_at: None })
}

/// The ONS and NHS regions of a row: explicit columns first, else `region` read by kind
/// (a board's region is its NHS England region, a council's its ONS region).
fn regions(get: &dyn Fn(&str) -> Option<String>, kind: Option<BodyKind>) -> [Option<String>; 3] {
    let region = get("region");
    let nhs = get("nhs_region").or_else(|| region.clone().filter(|_| kind.is_some_and(BodyKind::is_nhs)));
    let ons = get("ons_region").or_else(|| region.clone().filter(|_| kind.is_some_and(|k| !k.is_nhs())));
    let region = region.or_else(|| if kind.is_some_and(BodyKind::is_nhs) { nhs.clone() } else { ons.clone() });
    [region, nhs, ons]
}

/// Reads a body file: as a body list when it has a kind column or `default_kind` is given,
/// else as updates to bodies already held (the caller checks the codes exist).
pub fn read_body_import(bytes: &[u8], default_kind: Option<BodyKind>) -> BodyImport {
    let kind_column = match read_records(bytes) {
        Ok((names, _)) => map_header(&names, BODY_FIELDS).map.contains_key("kind"),
        Err(_) => true,
    };
    if kind_column || default_kind.is_some() {
        BodyImport::Bodies(read_bodies(bytes, default_kind))
    } else {
        BodyImport::Updates(read_body_updates(bytes))
    }
}

/// Reads an update file: a code column and the fields to set. A `name` column is read only
/// to be ignored (an address list names its bodies for the reader; renaming is
/// `foi bodies set --name`); a blank cell sets nothing.
pub fn read_body_updates(bytes: &[u8]) -> ImportReport<BodyPatch> {
    let mut report = ImportReport::default();
    let (names, records) = match read_records(bytes) {
        Ok(r) => r,
        Err(errors) => {
            report.errors = errors;
            return report;
        }
    };
    let h = map_header(&names, BODY_FIELDS);
    report.ignored_columns = h.ignored();
    if let Some(&i) = h.map.get("name") {
        report.ignored_columns.push(h.names[i].clone());
    }
    if !["code", "ods_code", "gss_code"].iter().any(|f| h.map.contains_key(f)) {
        report.errors.push(ImportError::at(1, "no code column (expected one of: code, ods_code, gss_code)"));
        return report;
    }
    let settable = ["region", "nhs_region", "ons_region", "website", "foi_email", "regime", "valid_from", "valid_to"];
    if !settable.iter().any(|f| h.map.contains_key(f)) {
        report.errors.push(ImportError::at(
            1,
            format!(
                "nothing to set: an update file (no kind column) needs a code column and one of: {}; \
                 to add bodies, add name and kind columns (or give --kind)",
                settable.join(", ")
            ),
        ));
        return report;
    }
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (line, rec) in &records {
        let line = *line;
        let mut problems = Vec::new();
        let get = |f: &str| h.get(rec, f).map(str::to_string);
        let Some(code) = get("code").or_else(|| get("ods_code")).or_else(|| get("gss_code")) else {
            report.errors.push(ImportError::at(line, "no code"));
            continue;
        };
        if let Some(first) = seen.insert(code.to_ascii_uppercase(), line) {
            problems.push(format!("duplicate code {code} (first on line {first})"));
        }
        let (foi_email, website, email_source) = contact(&get, &mut problems);
        let regime = get("regime").and_then(|r| r.parse::<Regime>().map_err(|e| problems.push(e.to_string())).ok());
        let mut date =
            |f: &str| get(f).and_then(|v| parse_date(line, f, &v).map_err(|e| problems.push(e.message)).ok());
        let valid_from = date("valid_from");
        let valid_to = date("valid_to");
        if !problems.is_empty() {
            report.errors.push(ImportError::at(line, problems.join("; ")));
            continue;
        }
        report.rows.push(BodyPatch {
            line,
            code,
            region: get("region"),
            nhs_region: get("nhs_region"),
            ons_region: get("ons_region"),
            website,
            foi_email,
            email_source,
            regime,
            valid_from,
            valid_to,
        });
    }
    report
}

/// Reads a body list. `default_kind` applies to rows of a file without a kind column.
/// Every bad row is reported (duplicate code, malformed email, unknown kind, bad date...);
/// the caller stores nothing unless `errors` is empty.
pub fn read_bodies(bytes: &[u8], default_kind: Option<BodyKind>) -> ImportReport<BodyRow> {
    let mut report = ImportReport::default();
    let (names, records) = match read_records(bytes) {
        Ok(r) => r,
        Err(errors) => {
            report.errors = errors;
            return report;
        }
    };
    let h = map_header(&names, BODY_FIELDS);
    report.ignored_columns = h.ignored();
    if !["code", "ods_code", "gss_code"].iter().any(|f| h.map.contains_key(f)) {
        report.errors.push(ImportError::at(1, "no code column (expected one of: code, ods_code, gss_code)"));
    }
    if !h.map.contains_key("name") {
        report.errors.push(ImportError::at(1, "no name column"));
    }
    if !h.map.contains_key("kind") && default_kind.is_none() {
        report.errors.push(ImportError::at(1, "no kind column: add one or give a kind for every row (--kind)"));
    }
    if !report.errors.is_empty() {
        return report;
    }
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (line, rec) in &records {
        let line = *line;
        let mut problems = Vec::new();
        let get = |f: &str| h.get(rec, f).map(str::to_string);
        let code = get("code").or_else(|| get("ods_code")).or_else(|| get("gss_code"));
        let Some(code) = code else {
            report.errors.push(ImportError::at(line, "no code"));
            continue;
        };
        if let Some(first) = seen.insert(code.to_ascii_uppercase(), line) {
            problems.push(format!("duplicate code {code} (first on line {first})"));
        }
        let name = get("name");
        if name.is_none() {
            problems.push(format!("{code} has no name"));
        }
        let kind = match get("kind") {
            Some(k) => match k.parse::<BodyKind>() {
                Ok(k) => Some(k),
                Err(e) => {
                    problems.push(e.to_string());
                    None
                }
            },
            None => default_kind.or_else(|| {
                problems.push(format!("{code} has no kind"));
                None
            }),
        };
        let (foi_email, website, email_source) = contact(&get, &mut problems);
        let regime = match get("regime") {
            None => Some(Regime::Foia),
            Some(r) => match r.parse::<Regime>() {
                Ok(r) => Some(r),
                Err(e) => {
                    problems.push(e.to_string());
                    None
                }
            },
        };
        let mut date = |f: &str| match get(f) {
            None => None,
            Some(v) => match parse_date(line, f, &v) {
                Ok(d) => Some(d),
                Err(e) => {
                    problems.push(e.message);
                    None
                }
            },
        };
        let valid_from = date("valid_from");
        let valid_to = date("valid_to");
        if let (Some(f), Some(t)) = (valid_from, valid_to)
            && t < f
        {
            problems.push(format!("valid_to {t} is before valid_from {f}"));
        }
        if !problems.is_empty() {
            report.errors.push(ImportError::at(line, problems.join("; ")));
            continue;
        }
        let (Some(name), Some(kind), Some(regime)) = (name, kind, regime) else {
            continue;
        };
        let [region, nhs_region, ons_region] = regions(&get, Some(kind));
        report.rows.push(BodyRow {
            line,
            body: Body {
                code,
                ods_code: get("ods_code"),
                gss_code: get("gss_code"),
                name,
                kind,
                region,
                nhs_region,
                ons_region,
                website,
                foi_email,
                email_source,
                regime,
                valid_from,
                valid_to,
            },
        });
    }
    report
}

/// Successor columns are matched first, so that a file mapping `icb22_ods` to a
/// `successor_ods` reads `icb22_ods` as the predecessor, and a file mapping `ccg17_ods` to
/// `icb22_ods` reads `icb22_ods` as the successor.
const SUCCESSION_FIELDS: &[(&str, &[&str])] = &[
    (
        "successor_code",
        &["successor_code", "successor_ods", "successor", "new_code", "ccg_ods_to", "to_code", "by", "icb22_ods"],
    ),
    ("successor_name", &["successor_name", "new_name"]),
    (
        "predecessor_code",
        &[
            "predecessor_code",
            "predecessor_ods",
            "predecessor",
            "old_code",
            "ccg_ods_from",
            "from_code",
            "ccg17_ods",
            "icb22_ods",
        ],
    ),
    ("predecessor_name", &["predecessor_name", "old_name"]),
    ("effective_date", &["effective_date", "date", "on", "effective"]),
    ("share", &["share", "population_share", "proportion"]),
    ("basis", &["basis", "source"]),
    ("notes", &["notes", "note", "comment"]),
];

/// Finds the name column that goes with each code column by their shared prefix
/// (`ccg17_ods` with `ccg17_name`), where the header has no explicit name columns.
fn pair_name_columns(h: &mut Header) {
    let norm: Vec<String> = h.names.iter().map(|n| crate::normalise_name(n)).collect();
    for (code, name) in [("predecessor_code", "predecessor_name"), ("successor_code", "successor_name")] {
        if h.map.contains_key(name) {
            continue;
        }
        let Some(&ci) = h.map.get(code) else { continue };
        let Some(prefix) = norm[ci].strip_suffix("_ods").or_else(|| norm[ci].strip_suffix("_code")) else {
            continue;
        };
        let wanted = format!("{prefix}_name");
        if let Some(ni) = norm.iter().position(|n| *n == wanted)
            && !h.map.values().any(|&v| v == ni)
        {
            h.map.insert(name, ni);
        }
    }
}

/// Reads a succession list. `default_date` applies to a file without a date column.
pub fn read_successions(bytes: &[u8], default_date: Option<NaiveDate>) -> ImportReport<SuccessionRow> {
    let mut report = ImportReport::default();
    let (names, records) = match read_records(bytes) {
        Ok(r) => r,
        Err(errors) => {
            report.errors = errors;
            return report;
        }
    };
    let mut h = map_header(&names, SUCCESSION_FIELDS);
    pair_name_columns(&mut h);
    report.ignored_columns = h.ignored();
    for (field, what) in [("predecessor_code", "predecessor code"), ("successor_code", "successor code")] {
        if !h.map.contains_key(field) {
            report.errors.push(ImportError::at(1, format!("no {what} column")));
        }
    }
    if !h.map.contains_key("effective_date") && default_date.is_none() {
        report.errors.push(ImportError::at(1, "no date column: add effective_date or give a date (--on)"));
    }
    if !report.errors.is_empty() {
        return report;
    }
    let mut seen: HashMap<(String, String, NaiveDate), u64> = HashMap::new();
    let mut shares: HashMap<(String, NaiveDate), f64> = HashMap::new();
    for (line, rec) in &records {
        let line = *line;
        let get = |f: &str| h.get(rec, f).map(str::to_string);
        let mut problems = Vec::new();
        let pred = get("predecessor_code");
        let succ = get("successor_code");
        if pred.is_none() {
            problems.push("no predecessor code".to_string());
        }
        if succ.is_none() {
            problems.push("no successor code".to_string());
        }
        let date = match get("effective_date") {
            Some(v) => parse_date(line, "effective_date", &v).map_err(|e| problems.push(e.message)).ok(),
            None => default_date,
        };
        let share = match get("share") {
            None => None,
            Some(v) => match v.parse::<f64>() {
                Ok(s) if s > 0.0 && s <= 1.0 => Some(s),
                _ => {
                    problems.push(format!("share \"{v}\" is not a number above 0 and at most 1"));
                    None
                }
            },
        };
        if let (Some(p), Some(s)) = (&pred, &succ)
            && p.eq_ignore_ascii_case(s)
        {
            problems.push(format!("{p} cannot succeed itself"));
        }
        if let (Some(p), Some(s), Some(d)) = (&pred, &succ, date)
            && let Some(first) = seen.insert((p.to_ascii_uppercase(), s.to_ascii_uppercase(), d), line)
        {
            problems.push(format!("duplicate succession {p} -> {s} on {d} (first on line {first})"));
        }
        if let (Some(p), Some(d), Some(s)) = (&pred, date, share) {
            let total = shares.entry((p.to_ascii_uppercase(), d)).or_default();
            *total += s;
            if *total > 1.0005 {
                problems.push(format!("the shares of {p} on {d} add up to more than 1 ({total:.4})"));
            }
        }
        if !problems.is_empty() {
            report.errors.push(ImportError::at(line, problems.join("; ")));
            continue;
        }
        let (Some(predecessor_code), Some(successor_code), Some(effective_date)) = (pred, succ, date) else {
            continue;
        };
        report.rows.push(SuccessionRow {
            line,
            predecessor_code,
            predecessor_name: get("predecessor_name"),
            successor_code,
            successor_name: get("successor_name"),
            effective_date,
            share,
            basis: get("basis"),
            notes: get("notes"),
        });
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(csv: &str) -> Vec<String> {
        read_bodies(csv.as_bytes(), None).errors.iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn shipped_header_shapes_map_without_flags() {
        let icb = "ods_code,name,region,gss_code,website,foi_email,kind,valid_from,valid_to\n\
                   QHG,\"NHS Bedfordshire, Luton and Milton Keynes Integrated Care Board\",East of England,E54000024,https://example.nhs.uk,,icb,2022-07-01,\n";
        let r = read_bodies(icb.as_bytes(), None);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        let b = &r.rows[0].body;
        assert_eq!((b.code.as_str(), b.kind, b.foi_email.as_deref()), ("QHG", BodyKind::Icb, None));
        assert_eq!(b.gss_code.as_deref(), Some("E54000024"));
        assert_eq!(r.rows[0].line, 2);

        let la = "gss_code,name,type,region,website,foi_email,kind,valid_from,valid_to\n\
                  E09000001,City of London Corporation,other,London,https://www.cityoflondon.gov.uk/,,other,,\n";
        let r = read_bodies(la.as_bytes(), None);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.rows[0].body.code, "E09000001");
        assert_eq!(r.ignored_columns, vec!["type".to_string()]);
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let csv = "code,name,kind,foi_email\n\
                   A1,Alpha,icb,foi@alpha.nhs.uk\n\
                   A1,Alpha again,icb,\n\
                   B2,Beta,unitary,not-an-email\n\
                   C3,Gamma,parish council,\n";
        assert_eq!(
            errors(csv),
            vec![
                "line 3: duplicate code A1 (first on line 2)".to_string(),
                "line 4: malformed email address \"not-an-email\"".to_string(),
                "line 5: unknown body kind \"parish council\" (expected one of: icb, ccg, county_council, unitary, metropolitan_district, london_borough, other)".to_string(),
            ]
        );
    }

    #[test]
    fn bad_files() {
        assert_eq!(errors(""), vec!["the file is empty or has no header".to_string()]);
        assert_eq!(
            errors("name,kind\nX,icb\n"),
            vec!["line 1: no code column (expected one of: code, ods_code, gss_code)".to_string()]
        );
        assert_eq!(errors("code,name,kind\nX,Y\n"), vec!["line 2: 2 fields where the header has 3".to_string()]);
        let latin1 = b"code,name,kind\nX,Caf\xe9,icb\n";
        let r = read_bodies(latin1, None);
        assert_eq!(r.errors[0].to_string(), "line 2: column \"name\" is not valid UTF-8 (save the file as UTF-8 CSV)");
        assert_eq!(
            errors("code,name,kind,valid_from\nX,Y,icb,31-31-2020\n"),
            vec!["line 2: valid_from \"31-31-2020\" is not a date (use YYYY-MM-DD)".to_string()]
        );
    }

    #[test]
    fn default_kind_and_bom() {
        let r = read_bodies("\u{feff}code,name\nX,Y\n".as_bytes(), Some(BodyKind::Other));
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.rows[0].body.kind, BodyKind::Other);
    }

    #[test]
    fn succession_headers_of_the_shipped_files() {
        let ccg = "ccg17_ods,ccg17_name,icb22_ods,icb22_name,share,basis,notes,effective_date\n\
                   01Y,NHS Tameside and Glossop CCG,QOP,NHS Greater Manchester Integrated Care Board,0.8705,overlay,,2022-07-01\n\
                   01Y,NHS Tameside and Glossop CCG,QJ2,NHS Derby and Derbyshire Integrated Care Board,0.1295,overlay,,2022-07-01\n";
        let r = read_successions(ccg.as_bytes(), None);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!((r.rows[0].predecessor_code.as_str(), r.rows[0].successor_code.as_str()), ("01Y", "QOP"));
        assert_eq!(r.rows[1].share, Some(0.1295));

        let icb = "icb22_ods,icb22_name,successor_ods,effective_date,basis\nQH8,NHS Mid and South Essex Integrated Care Board,D7T5G,2026-04-01,ODS\n";
        let r = read_successions(icb.as_bytes(), None);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        let row = &r.rows[0];
        assert_eq!((row.predecessor_code.as_str(), row.successor_code.as_str()), ("QH8", "D7T5G"));
        assert_eq!(row.predecessor_name.as_deref(), Some("NHS Mid and South Essex Integrated Care Board"));
        assert_eq!(row.successor_name, None);

        let merg = "ccg_ods_from,ccg_ods_to,date\n02V,15F,2018-04-01\n";
        let r = read_successions(merg.as_bytes(), None);
        assert_eq!((r.rows[0].predecessor_code.as_str(), r.rows[0].successor_code.as_str()), ("02V", "15F"));
    }

    #[test]
    fn succession_errors() {
        let csv = "predecessor_code,successor_code,effective_date,share\nA,B,2022-07-01,0.7\nA,C,2022-07-01,0.4\nA,B,2022-07-01,\nD,D,2022-07-01,\nE,F,2022-07-01,1.5\n";
        let errs: Vec<String> = read_successions(csv.as_bytes(), None).errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            errs,
            vec![
                "line 3: the shares of A on 2022-07-01 add up to more than 1 (1.1000)",
                "line 4: duplicate succession A -> B on 2022-07-01 (first on line 2)",
                "line 5: D cannot succeed itself",
                "line 6: share \"1.5\" is not a number above 0 and at most 1",
            ]
        );
    }

    #[test]
    fn a_file_without_a_kind_is_read_as_updates() {
        let BodyImport::Updates(r) = read_body_import(b"code,foi_email\nE06000001,foi@x.example\nQHG,\n", None) else {
            panic!("read as a body list")
        };
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.rows.len(), 2);
        assert_eq!(r.rows[0].foi_email.as_deref(), Some("foi@x.example"));
        assert_eq!(r.rows[0].email_source, None, "no source column: the importer names the file");
        assert_eq!(r.rows[1], BodyPatch { line: 3, code: "QHG".into(), ..Default::default() });
        // With --kind, or a kind column, the same file is a body list (and needs names).
        assert!(matches!(read_body_import(b"code,foi_email\nX,\n", Some(BodyKind::Icb)), BodyImport::Bodies(_)));
        let found = "code,name,foi_email,website,source_url,confidence,evidence\n\
                     E1,Kent County Council,foi@kent.example,https://kent.example,https://kent.example/foi,high,\"On the FOI page, under \"\"How to ask\"\"\"\n";
        let BodyImport::Updates(r) = read_body_import(found.as_bytes(), None) else { panic!("a body list") };
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.ignored_columns, vec!["name".to_string()]);
        let src = r.rows[0].email_source.clone().unwrap();
        assert_eq!(src.source, "https://kent.example/foi");
        assert_eq!(src.confidence, Some(Confidence::High));
        assert_eq!(src.note.as_deref(), Some("On the FOI page, under \"How to ask\""));
    }

    #[test]
    fn update_file_errors_name_their_lines() {
        let errors = |csv: &str| match read_body_import(csv.as_bytes(), None) {
            BodyImport::Updates(r) => r.errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
            BodyImport::Bodies(_) => panic!("a body list"),
        };
        assert_eq!(
            errors(
                "code,foi_email,confidence,source_url\nA,not-an-address,,\nB,b@b.example,sure,\nA,,,\nC,,high,https://c.example\n"
            ),
            vec![
                "line 2: malformed email address \"not-an-address\"",
                "line 3: unknown confidence \"sure\" (expected one of: high, medium, low)",
                "line 4: duplicate code A (first on line 2)",
                "line 5: a source or confidence without an foi_email address",
            ]
        );
        assert!(
            errors("code,name\nA,Alpha\n")[0].starts_with("line 1: nothing to set: an update file (no kind column)")
        );
        assert_eq!(
            errors("name,foi_email\nA,a@a.example\n"),
            vec!["line 1: no code column (expected one of: code, ods_code, gss_code)"]
        );
    }

    #[test]
    fn regions_are_read_by_kind_and_never_mixed() {
        let csv = "code,name,kind,region,nhs_region\nQ1,Board,icb,London,\nC1,Council,unitary,North East,North East and Yorkshire\n";
        let r = read_bodies(csv.as_bytes(), None);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        let (board, council) = (&r.rows[0].body, &r.rows[1].body);
        assert_eq!((board.nhs_region.as_deref(), board.ons_region.as_deref()), (Some("London"), None));
        assert_eq!(
            (council.nhs_region.as_deref(), council.ons_region.as_deref()),
            (Some("North East and Yorkshire"), Some("North East"))
        );
    }

    /// Generated input never panics and every error names a line or the file.
    #[test]
    fn arbitrary_bytes_never_panic() {
        let pieces: [&[u8]; 12] = [
            b"code",
            b",",
            b"foi_email",
            b"\n",
            b"\"",
            b"\xff",
            b"kind",
            b"icb",
            b"a@b.example",
            b"confidence",
            b"high",
            b"\r\n",
        ];
        let mut seed: u64 = 0x5eed;
        for _ in 0..3000 {
            let mut bytes = Vec::new();
            for _ in 0..(seed % 40) {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                bytes.extend_from_slice(pieces[(seed >> 33) as usize % pieces.len()]);
            }
            let read = read_body_import(&bytes, None);
            for e in read.errors() {
                assert!(!e.message.is_empty());
            }
        }
    }
}
