//! HTML to plain text, for an e-mail that has only an HTML part: tags dropped,
//! block elements and `<br>` turned into line breaks, `<script>`/`<style>`/`<head>`
//! content removed, character references decoded, whitespace collapsed. Not a full
//! HTML parser: good enough for the text of a mail, which is all a ticket keeps.

/// The text of an HTML document or fragment.
pub fn to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        push_text(&mut out, &rest[..lt]);
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
            continue;
        }
        let Some(end) = tag_end(rest) else {
            // A lone `<`: text.
            push_text(&mut out, "<");
            rest = &rest[1..];
            continue;
        };
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if !closing && matches!(name.as_str(), "script" | "style" | "head" | "title") {
            rest = skip_element(rest, &name);
            continue;
        }
        if is_block(&name) {
            out.push('\n');
        }
    }
    push_text(&mut out, rest);
    tidy(&out)
}

/// The index of the `>` closing the tag at the start of `text`, skipping quoted
/// attribute values; `None` when `text` does not start a tag.
fn tag_end(text: &str) -> Option<usize> {
    let next = text[1..].chars().next()?;
    if !(next.is_ascii_alphabetic() || next == '/' || next == '!' || next == '?') {
        return None;
    }
    let mut quote = None;
    for (i, c) in text.char_indices().skip(1) {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// What follows the element `name`'s closing tag (its content skipped).
fn skip_element<'a>(rest: &'a str, name: &str) -> &'a str {
    let lower = rest.to_ascii_lowercase();
    let closing = format!("</{name}");
    match lower.find(&closing) {
        Some(at) => {
            let after = &rest[at..];
            after.find('>').map_or("", |end| &after[end + 1..])
        }
        None => "",
    }
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "br" | "p"
            | "div"
            | "li"
            | "ul"
            | "ol"
            | "tr"
            | "table"
            | "blockquote"
            | "pre"
            | "hr"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "body"
            | "html"
    )
}

/// Text between tags: line breaks are spaces in HTML; references decoded.
fn push_text(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        push_spaced(out, &rest[..amp]);
        rest = &rest[amp..];
        match reference(rest) {
            Some((decoded, len)) => {
                out.push(decoded);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    push_spaced(out, rest);
}

fn push_spaced(out: &mut String, text: &str) {
    out.extend(
        text.chars()
            .map(|c| if c.is_whitespace() { ' ' } else { c }),
    );
}

/// The character a reference at the start of `text` (`&amp;`, `&#233;`, `&#xE9;`)
/// stands for, and its length.
fn reference(text: &str) -> Option<(char, usize)> {
    let semi = text.find(';').filter(|&i| i <= 10)?;
    let name = &text[1..semi];
    let c = if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        char::from_u32(code)?
    } else {
        named(name)?
    };
    Some((c, semi + 1))
}

fn named(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "copy" => '©',
        "reg" => '®',
        "euro" => '€',
        "hellip" => '…',
        "mdash" => '—',
        "ndash" => '–',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "laquo" => '«',
        "raquo" => '»',
        "agrave" => 'à',
        "acirc" => 'â',
        "auml" => 'ä',
        "ccedil" => 'ç',
        "eacute" => 'é',
        "egrave" => 'è',
        "ecirc" => 'ê',
        "euml" => 'ë',
        "icirc" => 'î',
        "iuml" => 'ï',
        "ocirc" => 'ô',
        "ouml" => 'ö',
        "ugrave" => 'ù',
        "ucirc" => 'û',
        "uuml" => 'ü',
        "szlig" => 'ß',
        "Eacute" => 'É',
        "Agrave" => 'À',
        _ => return None,
    })
}

/// Each line's spaces collapsed and trimmed, at most one empty line in a row, no
/// empty line at either end.
fn tidy(text: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in text.split('\n') {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() && lines.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        lines.push(line);
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_go_and_blocks_break_lines() {
        assert_eq!(
            to_text(
                "<html><head><title>x</title><style>p{color:red}</style></head>\
                 <body><p>Bonjour,</p><p>Ma commande <b>4521</b>\n n'est\tpas arrivée.<br>Merci</p>\
                 <script>alert(1)</script><div>Zoé</div></body></html>"
            ),
            "Bonjour,\n\nMa commande 4521 n'est pas arrivée.\nMerci\n\nZoé"
        );
    }

    #[test]
    fn references_are_decoded() {
        assert_eq!(
            to_text("Caf&eacute; &amp; th&#233; &#x2014; 5&nbsp;&euro; &lt;ok&gt; &bogus; a & b"),
            "Café & thé — 5 € <ok> &bogus; a & b"
        );
    }

    #[test]
    fn comments_attributes_and_lone_brackets() {
        assert_eq!(
            to_text(r#"<!-- hidden --><a href="x>y" title='a>b'>lien</a> 3 < 4"#),
            "lien 3 < 4"
        );
        assert_eq!(to_text("<p>a<!-- never closed"), "a");
        assert_eq!(to_text(""), "");
    }
}
