//! Request references: the short token that travels in a request's reply address
//! (`foi+TOKEN@domain`), its subject (`[FOI ref TOKEN]`) and its Message-ID, with a check
//! code so that a retyped, mistyped or truncated token can still be recognised.
//!
//! A token is 10 characters of Crockford base 32 in lower case (digits and letters without
//! i, l, o, u): 8 random characters and 2 check characters. The check is a position-weighted
//! sum modulo the prime 1021, so any single wrong character and any swap of two neighbours
//! is detected. Reading is forgiving: case is ignored, `i`/`l` read as `1`, `o` as `0`, and
//! spaces and hyphens are dropped.

use std::fmt;

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// Characters of randomness in a token.
pub const DATA_LEN: usize = 8;
/// Characters in a whole token.
pub const TOKEN_LEN: usize = DATA_LEN + 2;
const MODULUS: u32 = 1021;

/// A request's reference token.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference(String);

/// Why a string is not a reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("reference \"{0}\" should have {TOKEN_LEN} characters")]
    Length(String),
    #[error("reference \"{0}\" has a character that is not in references")]
    Character(String),
    #[error("reference \"{0}\" fails its check code (mistyped?)")]
    Check(String),
}

fn value(c: char) -> Option<u32> {
    let c = match c.to_ascii_lowercase() {
        'i' | 'l' => '1',
        'o' => '0',
        c => c,
    };
    ALPHABET.iter().position(|&a| a as char == c).map(|p| p as u32)
}

fn check(values: &[u32]) -> [u8; 2] {
    let sum = values.iter().enumerate().map(|(i, v)| (i as u32 + 1) * v).sum::<u32>() % MODULUS;
    [ALPHABET[(sum / 32) as usize], ALPHABET[(sum % 32) as usize]]
}

/// Lowercases, maps look-alike letters and drops spaces and hyphens; None if a character
/// cannot be part of a reference.
pub fn normalise(s: &str) -> Option<String> {
    s.chars().filter(|c| !matches!(c, ' ' | '-')).map(|c| value(c).map(|v| ALPHABET[v as usize] as char)).collect()
}

impl Reference {
    /// A new reference from 5 random bytes (40 bits: the 8 data characters).
    pub fn from_random(bytes: [u8; 5]) -> Reference {
        let mut n = bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let mut values = [0u32; DATA_LEN];
        for v in values.iter_mut().rev() {
            *v = (n % 32) as u32;
            n /= 32;
        }
        let mut s: String = values.iter().map(|&v| ALPHABET[v as usize] as char).collect();
        s.extend(check(&values).iter().map(|&b| b as char));
        Reference(s)
    }

    /// Reads a reference, forgivingly (see the module docs), checking its check code.
    pub fn parse(s: &str) -> Result<Reference, ReferenceError> {
        let n = normalise(s).ok_or_else(|| ReferenceError::Character(s.to_string()))?;
        if n.len() != TOKEN_LEN {
            return Err(ReferenceError::Length(s.to_string()));
        }
        if Self::checks(&n) { Ok(Reference(n)) } else { Err(ReferenceError::Check(s.to_string())) }
    }

    fn checks(n: &str) -> bool {
        let values: Vec<u32> = n.chars().filter_map(value).collect();
        values.len() == TOKEN_LEN && check(&values[..DATA_LEN]).iter().map(|&b| b as char).eq(n[DATA_LEN..].chars())
    }

    /// Valid references one typing slip away from `s` (one character changed, or two
    /// neighbours swapped): candidates to look up when `s` itself fails its check.
    pub fn corrections(s: &str) -> Vec<Reference> {
        let Some(n) = normalise(s) else { return Vec::new() };
        if n.len() != TOKEN_LEN {
            return Vec::new();
        }
        let chars: Vec<char> = n.chars().collect();
        let mut out = Vec::new();
        for i in 0..TOKEN_LEN {
            for &a in ALPHABET {
                let mut c = chars.clone();
                if c[i] == a as char {
                    continue;
                }
                c[i] = a as char;
                let cand: String = c.iter().collect();
                if Self::checks(&cand) {
                    out.push(Reference(cand));
                }
            }
            if i + 1 < TOKEN_LEN && chars[i] != chars[i + 1] {
                let mut c = chars.clone();
                c.swap(i, i + 1);
                let cand: String = c.iter().collect();
                if Self::checks(&cand) {
                    out.push(Reference(cand));
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The per-request reply address: `LOCAL+TOKEN@DOMAIN`.
    pub fn reply_address(&self, local: &str, domain: &str) -> String {
        format!("{local}+{}@{domain}", self.0)
    }

    /// The subject tag: `[FOI ref TOKEN]`.
    pub fn subject_tag(&self) -> String {
        format!("[FOI ref {}]", self.0)
    }

    /// The Message-ID (without angle brackets) of a message foi sends for this request:
    /// `TOKEN.KIND.N@DOMAIN`, e.g. the request itself is `TOKEN.request.0@DOMAIN`.
    pub fn message_id(&self, kind: &str, n: u32, domain: &str) -> String {
        format!("{}.{kind}.{n}@{domain}", self.0)
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some() -> Vec<Reference> {
        (0u8..12)
            .map(|i| Reference::from_random([i, i.wrapping_mul(37), 255 - i, i ^ 0x5a, i.wrapping_mul(101)]))
            .collect()
    }

    #[test]
    fn tokens_parse_back_forgivingly() {
        for r in some() {
            assert_eq!(r.as_str().len(), TOKEN_LEN);
            assert_eq!(Reference::parse(r.as_str()), Ok(r.clone()));
            assert_eq!(Reference::parse(&r.as_str().to_uppercase()), Ok(r.clone()));
            let spaced = format!("{}-{} {}", &r.as_str()[..3], &r.as_str()[3..6], &r.as_str()[6..]);
            assert_eq!(Reference::parse(&spaced), Ok(r.clone()));
        }
        let r = Reference::from_random([0, 0, 0, 0, 1]);
        assert_eq!(r.as_str(), "0000000108");
        assert_eq!(Reference::parse("OOOOOOO1O8"), Ok(r), "O read as 0, in any case");
    }

    #[test]
    fn every_single_slip_is_detected_and_correctable() {
        for r in some() {
            let chars: Vec<char> = r.as_str().chars().collect();
            for i in 0..TOKEN_LEN {
                for &a in ALPHABET {
                    if chars[i] == a as char {
                        continue;
                    }
                    let mut c = chars.clone();
                    c[i] = a as char;
                    let typo: String = c.iter().collect();
                    assert!(matches!(Reference::parse(&typo), Err(ReferenceError::Check(_))), "{typo} passed");
                    assert!(Reference::corrections(&typo).contains(&r), "{typo} does not lead back to {r}");
                }
                if i + 1 < TOKEN_LEN && chars[i] != chars[i + 1] {
                    let mut c = chars.clone();
                    c.swap(i, i + 1);
                    let typo: String = c.iter().collect();
                    assert!(Reference::parse(&typo).is_err(), "{typo} passed");
                }
            }
        }
    }

    #[test]
    fn bad_strings() {
        assert_eq!(Reference::parse("abc"), Err(ReferenceError::Length("abc".into())));
        assert_eq!(Reference::parse("abcdefgh!!"), Err(ReferenceError::Character("abcdefgh!!".into())));
        let r = Reference::from_random([1, 2, 3, 4, 5]);
        assert_eq!(r.reply_address("foi", "charity.example"), format!("foi+{r}@charity.example"));
        assert_eq!(r.subject_tag(), format!("[FOI ref {r}]"));
    }
}
