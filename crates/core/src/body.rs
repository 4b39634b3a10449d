//! Public bodies: the organisations that receive FOI requests, and their kinds.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::{Named, Regime};

/// What sort of public body this is. Response rates are reported per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BodyKind {
    /// NHS Integrated Care Board (from 1 July 2022).
    Icb,
    /// NHS Clinical Commissioning Group (2013 to 30 June 2022).
    Ccg,
    CountyCouncil,
    Unitary,
    MetropolitanDistrict,
    LondonBorough,
    Other,
}

impl Named for BodyKind {
    const ALL: &'static [Self] = &[
        Self::Icb,
        Self::Ccg,
        Self::CountyCouncil,
        Self::Unitary,
        Self::MetropolitanDistrict,
        Self::LondonBorough,
        Self::Other,
    ];
    fn name(self) -> &'static str {
        match self {
            Self::Icb => "icb",
            Self::Ccg => "ccg",
            Self::CountyCouncil => "county_council",
            Self::Unitary => "unitary",
            Self::MetropolitanDistrict => "metropolitan_district",
            Self::LondonBorough => "london_borough",
            Self::Other => "other",
        }
    }
    fn from_name(s: &str) -> Option<Self> {
        if let Some(k) = Self::ALL.iter().copied().find(|k| k.name() == s) {
            return Some(k);
        }
        let n = crate::normalise_name(s);
        let n = n.trim_start_matches("nhs_").trim_end_matches("_authority").trim_end_matches("_council");
        Some(match n {
            "icb" | "integrated_care_board" => Self::Icb,
            "ccg" | "clinical_commissioning_group" => Self::Ccg,
            "county" => Self::CountyCouncil,
            "unitary" => Self::Unitary,
            "metropolitan_district" | "metropolitan_borough" | "met_district" => Self::MetropolitanDistrict,
            "london_borough" => Self::LondonBorough,
            "other" => Self::Other,
            _ => return None,
        })
    }
}
crate::named_enum_impls!(BodyKind, "body kind");

impl BodyKind {
    /// Whether this is an NHS commissioner (ICB or CCG) rather than a local authority.
    pub fn is_nhs(self) -> bool {
        matches!(self, Self::Icb | Self::Ccg)
    }

    /// A label for tables and reports ("ICB", "county council"...).
    pub fn label(self) -> &'static str {
        match self {
            Self::Icb => "ICB",
            Self::Ccg => "CCG",
            Self::CountyCouncil => "county council",
            Self::Unitary => "unitary",
            Self::MetropolitanDistrict => "metropolitan district",
            Self::LondonBorough => "London borough",
            Self::Other => "other",
        }
    }
}

/// A public body as the registry knows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Body {
    /// The code foi knows the body by: its ODS code for NHS bodies, else its ONS GSS code.
    pub code: String,
    pub ods_code: Option<String>,
    pub gss_code: Option<String>,
    pub name: String,
    pub kind: BodyKind,
    /// The region as the body list gave it: for boards their NHS England region, for
    /// councils their ONS region. Kept for templates (`{{body.region}}`) and old scripts;
    /// reports use `nhs_region` and `ons_region`, which never mix.
    pub region: Option<String>,
    /// The NHS England region (seven regions; councils take their board's).
    pub nhs_region: Option<String>,
    /// The ONS region (nine English regions); blank for boards, whose areas may cross them.
    pub ons_region: Option<String>,
    pub website: Option<String>,
    /// Where FOI requests go. Blank until someone supplies a real address: never guessed.
    pub foi_email: Option<String>,
    /// Where `foi_email` came from: the page it was read on or the file it was imported
    /// from, how sure that source is, who recorded it and when.
    pub email_source: Option<AddressSource>,
    pub regime: Regime,
    /// First day the body existed, when known.
    pub valid_from: Option<NaiveDate>,
    /// Last day the body existed, when it has been abolished or replaced.
    pub valid_to: Option<NaiveDate>,
}

impl Body {
    /// Whether the body exists on `date`.
    pub fn is_current_on(&self, date: NaiveDate) -> bool {
        self.valid_from.is_none_or(|from| from <= date) && self.valid_to.is_none_or(|to| date <= to)
    }

    /// The domain of the FOI email address, lowercased.
    pub fn email_domain(&self) -> Option<String> {
        self.foi_email.as_deref().and_then(|e| e.rsplit_once('@')).map(|(_, d)| d.to_ascii_lowercase())
    }
}

/// The provenance of a body's FOI address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddressSource {
    /// The page the address was read on (`https://...`), or the file or command it came from.
    pub source: String,
    /// How sure the source is: `high` (the body's own current page), `medium` (an older own
    /// page, a page for another purpose, a third party) or `low`; None when nobody said.
    pub confidence: Option<Confidence>,
    /// Where on the page, or why the address is believed.
    pub note: Option<String>,
    /// Who recorded the address.
    pub set_by: Option<String>,
    /// When it was recorded.
    pub set_at: Option<DateTime<Utc>>,
}

/// How sure a source of an address is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Named for Confidence {
    const ALL: &'static [Self] = &[Self::High, Self::Medium, Self::Low];
    fn name(self) -> &'static str {
        match self {
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
        }
    }
}
crate::named_enum_impls!(Confidence, "confidence");

/// Whether `s` looks like one deliverable email address (`local@domain.tld`, no spaces).
pub fn is_plausible_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    let ok_chars = |p: &str| {
        !p.is_empty()
            && p.chars().all(|c| {
                c.is_ascii_graphic() && !matches!(c, '@' | '<' | '>' | '(' | ')' | ',' | ';' | '"' | '[' | ']' | '\\')
            })
    };
    ok_chars(local)
        && ok_chars(domain)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_from_the_shipped_lists_spellings() {
        for (s, k) in [
            ("icb", BodyKind::Icb),
            ("NHS ICB", BodyKind::Icb),
            ("county", BodyKind::CountyCouncil),
            ("County council", BodyKind::CountyCouncil),
            ("metropolitan district", BodyKind::MetropolitanDistrict),
            ("london borough", BodyKind::LondonBorough),
            ("London-Borough", BodyKind::LondonBorough),
            ("unitary authority", BodyKind::Unitary),
            ("CCG", BodyKind::Ccg),
        ] {
            assert_eq!(s.parse::<BodyKind>(), Ok(k), "{s}");
        }
        let err = "parish".parse::<BodyKind>().unwrap_err().to_string();
        assert!(err.starts_with("unknown body kind \"parish\""), "{err}");
    }

    #[test]
    fn emails() {
        assert!(is_plausible_email("foi@nhs.net"));
        assert!(is_plausible_email("FOI@cheshireandmerseyside.nhs.uk"));
        for bad in ["foi", "foi@", "@nhs.net", "foi@nhs", "f oi@nhs.net", "a@b@c.uk", "foi@nhs..net"] {
            assert!(!is_plausible_email(bad), "{bad}");
        }
    }

    #[test]
    fn validity() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let b = Body {
            code: "00C".into(),
            ods_code: Some("00C".into()),
            gss_code: None,
            name: "NHS Darlington CCG".into(),
            kind: BodyKind::Ccg,
            region: None,
            nhs_region: None,
            ons_region: None,
            website: None,
            foi_email: None,
            email_source: None,
            regime: Regime::Foia,
            valid_from: None,
            valid_to: Some(d("2020-03-31")),
        };
        assert!(b.is_current_on(d("2017-10-09")));
        assert!(b.is_current_on(d("2020-03-31")));
        assert!(!b.is_current_on(d("2020-04-01")));
    }
}
