//! The `{{ … }}` placeholders of macro bodies and internal notes: parsed once when the
//! configuration is read, filled in when a macro is rendered.
//!
//! The syntax is small and exact:
//!
//! - `{{name}}` is replaced by the value of `name` (spaces inside the braces are
//!   ignored: `{{ name }}` is the same placeholder);
//! - `{{name | "fallback"}}` is replaced by `fallback` when `name` has no value; the
//!   fallback is a non-empty double-quoted text without `"` inside;
//! - everything else is literal text, single braces included. A `{{` without its
//!   `}}`, or a `}}` without its `{{`, is an error: a reply never goes out with a
//!   half-written placeholder in it.
//!
//! Values are inserted as they are, never read again for placeholders.

/// A body or a note, parsed: literal text and placeholders, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Text(String),
    Slot(Placeholder),
}

/// One `{{ … }}` of a template.
#[derive(Debug, Clone, PartialEq)]
pub struct Placeholder {
    /// The name, e.g. `requester.first_name` or `amount`.
    pub name: String,
    /// The text used when the name has no value, if one is given.
    pub fallback: Option<String>,
}

impl Template {
    /// Parses `text`; the error names the faulty part of it.
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut segments = Vec::new();
        let mut rest = text;
        loop {
            let open = rest.find("{{");
            let close = rest.find("}}");
            match (open, close) {
                (None, None) => {
                    if !rest.is_empty() {
                        segments.push(Segment::Text(rest.to_string()));
                    }
                    return Ok(Template { segments });
                }
                (open, Some(close)) if open.is_none_or(|open| close < open) => {
                    return Err(format!(
                        "`}}}}` without an opening `{{{{` in `{}`",
                        excerpt(rest, close.saturating_sub(20))
                    ));
                }
                (Some(open), _) => {
                    if open > 0 {
                        segments.push(Segment::Text(rest[..open].to_string()));
                    }
                    let inside = &rest[open + 2..];
                    let end = match (inside.find("}}"), inside.find("{{")) {
                        (Some(end), next) if next.is_none_or(|next| end < next) => end,
                        _ => {
                            return Err(format!(
                                "`{{{{` without its closing `}}}}` in `{}`",
                                excerpt(rest, open)
                            ));
                        }
                    };
                    segments.push(Segment::Slot(Placeholder::parse(&inside[..end])?));
                    rest = &inside[end + 2..];
                }
                (None, Some(_)) => unreachable!("handled by the guard above"),
            }
        }
    }

    /// The placeholders, in order of appearance.
    pub fn placeholders(&self) -> impl Iterator<Item = &Placeholder> {
        self.segments.iter().filter_map(|segment| match segment {
            Segment::Slot(placeholder) => Some(placeholder),
            Segment::Text(_) => None,
        })
    }

    /// The text with each placeholder replaced by what `value` gives for it; the first
    /// error `value` returns stops the filling.
    pub fn fill<E>(
        &self,
        mut value: impl FnMut(&Placeholder) -> Result<String, E>,
    ) -> Result<String, E> {
        let mut out = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Text(text) => out.push_str(text),
                Segment::Slot(placeholder) => out.push_str(&value(placeholder)?),
            }
        }
        Ok(out)
    }
}

impl Placeholder {
    /// Reads what stands between `{{` and `}}`.
    fn parse(inside: &str) -> Result<Placeholder, String> {
        let whole = format!("{{{{{inside}}}}}");
        let (name, fallback) = match inside.split_once('|') {
            Some((name, fallback)) => (name.trim(), Some(fallback.trim())),
            None => (inside.trim(), None),
        };
        if name.is_empty() {
            return Err(format!("placeholder `{whole}` has no name"));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            return Err(format!(
                "placeholder `{whole}`: `{name}` is not a name (letters, digits, `_`, `-` and `.` only)"
            ));
        }
        let fallback = match fallback {
            None => None,
            Some(quoted) => {
                let text = quoted
                    .strip_prefix('"')
                    .and_then(|q| q.strip_suffix('"'))
                    .filter(|text| !text.contains('"'))
                    .ok_or_else(|| {
                        format!(
                            "placeholder `{whole}`: the fallback `{quoted}` must be a double-quoted text, e.g. `{{{{{name} | \"client\"}}}}`"
                        )
                    })?;
                if text.trim().is_empty() {
                    return Err(format!(
                        "placeholder `{whole}`: the fallback is empty; a reply must not have a gap"
                    ));
                }
                Some(text.to_string())
            }
        };
        Ok(Placeholder {
            name: name.to_string(),
            fallback,
        })
    }
}

/// About 40 characters of `text` from byte `from`, cut on character boundaries.
fn excerpt(text: &str, from: usize) -> String {
    let start = (0..=from.min(text.len()))
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let tail = &text[start..];
    match tail.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", &tail[..cut]),
        None => tail.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill_with(template: &Template, pairs: &[(&str, &str)]) -> Result<String, String> {
        template.fill(|p| {
            pairs
                .iter()
                .find(|(name, _)| *name == p.name)
                .map(|(_, value)| value.to_string())
                .or_else(|| p.fallback.clone())
                .ok_or_else(|| p.name.clone())
        })
    }

    #[test]
    fn placeholders_are_filled_and_spaces_inside_braces_ignored() {
        let t = Template::parse("Bonjour {{ requester.first_name }}, {{amount}} {x} }").unwrap();
        assert_eq!(
            fill_with(&t, &[("requester.first_name", "Zoé"), ("amount", "42 €")]).unwrap(),
            "Bonjour Zoé, 42 € {x} }"
        );
    }

    #[test]
    fn a_fallback_fills_a_missing_value_only() {
        let t = Template::parse("Hi {{requester.first_name | \"there\"}}!").unwrap();
        assert_eq!(fill_with(&t, &[]).unwrap(), "Hi there!");
        assert_eq!(
            fill_with(&t, &[("requester.first_name", "Tom")]).unwrap(),
            "Hi Tom!"
        );
        let p: Vec<_> = t.placeholders().collect();
        assert_eq!(p[0].fallback.as_deref(), Some("there"));
    }

    #[test]
    fn a_value_is_not_read_again_for_placeholders() {
        let t = Template::parse("{{a}}").unwrap();
        assert_eq!(fill_with(&t, &[("a", "{{b}}")]).unwrap(), "{{b}}");
    }

    #[test]
    fn unbalanced_braces_are_named() {
        let err = Template::parse("Bonjour {{requester.name,\nmerci").unwrap_err();
        assert!(
            err.starts_with("`{{` without its closing `}}` in `{{requester.name"),
            "{err}"
        );
        let err = Template::parse("Bonjour {{a {{b}}").unwrap_err();
        assert!(err.contains("without its closing"), "{err}");
        let err = Template::parse("Bonjour requester.name}}").unwrap_err();
        assert!(err.starts_with("`}}` without an opening `{{`"), "{err}");
    }

    #[test]
    fn bad_names_and_fallbacks_are_named() {
        assert!(
            Template::parse("{{ }}")
                .unwrap_err()
                .contains("`{{ }}` has no name")
        );
        assert!(
            Template::parse("{{first name}}")
                .unwrap_err()
                .contains("`first name` is not a name")
        );
        let err = Template::parse("{{name | client}}").unwrap_err();
        assert!(
            err.contains("the fallback `client` must be a double-quoted text"),
            "{err}"
        );
        assert!(
            Template::parse("{{name | \"\"}}")
                .unwrap_err()
                .contains("fallback is empty")
        );
    }
}
