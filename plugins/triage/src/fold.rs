//! Text folding: what makes "Fraude", "FRAUDE" and "fraudé" the same word to a rule.

use unicode_normalization::UnicodeNormalization;

/// Lower case, accents removed (NFD, combining marks dropped), common ligatures
/// expanded.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'œ' | 'Œ' => out.push_str("oe"),
            'æ' | 'Æ' => out.push_str("ae"),
            'ß' => out.push_str("ss"),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}' | '\u{FE20}'..='\u{FE2F}')
}

/// Whether `needle` (already folded) occurs in `haystack` (already folded) as whole
/// words: "vol" matches "carte vol" but not "volontiers".
pub fn contains_words(haystack: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    let mut start = 0;
    while let Some(pos) = haystack[start..].find(needle) {
        let begin = start + pos;
        let end = begin + needle.len();
        let before_ok = haystack[..begin]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let after_ok = haystack[end..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric());
        if before_ok && after_ok {
            return true;
        }
        start = begin + haystack[begin..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_accents_and_ligatures() {
        assert_eq!(fold("Fraudé À CŒUR"), "fraude a coeur");
        assert_eq!(fold("Straße"), "strasse");
    }

    #[test]
    fn matches_whole_words_only() {
        assert!(contains_words("ma carte vol", "vol"));
        assert!(contains_words("vol, puis", "vol"));
        assert!(!contains_words("volontiers", "vol"));
        assert!(contains_words("carte bloquee depuis hier", "carte bloquee"));
        assert!(!contains_words("anything", ""));
    }
}
