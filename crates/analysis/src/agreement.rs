//! Agreement between two analysts who coded the same requests: per question, the share of
//! requests they gave the same answer (percent agreement) and Cohen's kappa (agreement beyond
//! what chance would give), and the disagreements left to resolve.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

/// Two coders' answers to one question across requests: `(request, answer by A, answer by B)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agreement {
    pub question: String,
    /// Requests both coded.
    pub both: usize,
    pub agreed: usize,
    /// Share agreed, 0 to 1.
    pub percent: f64,
    /// Cohen's kappa; None when it is undefined (chance agreement is total).
    pub kappa: Option<f64>,
    /// `(request, answer by A, answer by B)` where they differ.
    pub disagreements: Vec<(String, String, String)>,
}

/// Percent agreement and Cohen's kappa over `pairs` of answers to one question.
pub fn agreement(question: &str, pairs: &[(String, String, String)]) -> Agreement {
    let n = pairs.len();
    let agreed = pairs.iter().filter(|(_, a, b)| a == b).count();
    let disagreements: Vec<(String, String, String)> = pairs.iter().filter(|(_, a, b)| a != b).cloned().collect();
    let categories: BTreeSet<&str> = pairs.iter().flat_map(|(_, a, b)| [a.as_str(), b.as_str()]).collect();
    let mut by_a: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_b: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, a, b) in pairs {
        *by_a.entry(a).or_default() += 1;
        *by_b.entry(b).or_default() += 1;
    }
    let (po, kappa) = if n == 0 {
        (0.0, None)
    } else {
        let po = agreed as f64 / n as f64;
        let pe: f64 = categories
            .iter()
            .map(|c| {
                (by_a.get(c).copied().unwrap_or(0) as f64 / n as f64)
                    * (by_b.get(c).copied().unwrap_or(0) as f64 / n as f64)
            })
            .sum();
        (po, (pe < 1.0).then(|| (po - pe) / (1.0 - pe)))
    };
    Agreement { question: question.to_string(), both: n, agreed, percent: po, kappa, disagreements }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String, String)> {
        v.iter().enumerate().map(|(i, (a, b))| (format!("R{i}"), a.to_string(), b.to_string())).collect()
    }

    /// Worked by hand: 50 requests, A and B say yes/yes 20, yes/no 5, no/yes 10, no/no 15.
    /// po = 35/50 = 0.70; A yes 25/50, B yes 30/50: pe = 0.5*0.6 + 0.5*0.4 = 0.50;
    /// kappa = (0.70 - 0.50) / (1 - 0.50) = 0.40.
    #[test]
    fn kappa_matches_a_hand_worked_example() {
        let mut v = Vec::new();
        v.extend(std::iter::repeat_n(("yes", "yes"), 20));
        v.extend(std::iter::repeat_n(("yes", "no"), 5));
        v.extend(std::iter::repeat_n(("no", "yes"), 10));
        v.extend(std::iter::repeat_n(("no", "no"), 15));
        let a = agreement("ccn", &pairs(&v));
        assert_eq!((a.both, a.agreed), (50, 35));
        assert!((a.percent - 0.70).abs() < 1e-12);
        assert!((a.kappa.unwrap() - 0.40).abs() < 1e-12, "{:?}", a.kappa);
        assert_eq!(a.disagreements.len(), 15);
    }

    /// Three categories, worked by hand: counts (A rows, B columns) yes/no/not_held:
    /// [[10, 2, 0], [1, 6, 1], [0, 1, 4]]: n = 25, po = 20/25 = 0.80;
    /// A margins 12, 8, 5; B margins 11, 9, 5: pe = (132 + 72 + 25) / 625 = 0.3664;
    /// kappa = (0.80 - 0.3664) / 0.6336 = 0.684343...
    #[test]
    fn kappa_with_three_answers() {
        let mut v = Vec::new();
        for (a, b, k) in [
            ("yes", "yes", 10),
            ("yes", "no", 2),
            ("no", "yes", 1),
            ("no", "no", 6),
            ("no", "not_held", 1),
            ("not_held", "no", 1),
            ("not_held", "not_held", 4),
        ] {
            v.extend(std::iter::repeat_n((a, b), k));
        }
        let a = agreement("strategy", &pairs(&v));
        assert!((a.percent - 0.80).abs() < 1e-12);
        assert!((a.kappa.unwrap() - (0.80 - 0.3664) / 0.6336).abs() < 1e-12);
    }

    #[test]
    fn total_agreement_on_one_answer_has_no_kappa() {
        let a = agreement("q", &pairs(&[("yes", "yes"), ("yes", "yes")]));
        assert_eq!(a.percent, 1.0);
        assert_eq!(a.kappa, None);
        let empty = agreement("q", &[]);
        assert_eq!((empty.both, empty.kappa), (0, None));
    }
}
