//! Small text helpers: Zammad's HTML article bodies as plain text, and its timestamps
//! as milliseconds since the epoch.

/// `html` as plain text: tags removed (line breaks kept for `<br>`, paragraphs, divs,
/// list items, table rows and headings), `<style>`/`<script>`/`<head>` contents
/// dropped, common entities decoded, runs of blank lines and trailing spaces trimmed.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..lt]));
        let after = &rest[lt + 1..];
        let Some(gt) = after.find('>') else {
            // A lone `<`: text, not a tag.
            out.push_str(&decode_entities(&rest[lt..]));
            rest = "";
            break;
        };
        let tag = &after[..gt];
        rest = &after[gt + 1..];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        let closing = tag.starts_with('/');
        if !closing && matches!(name.as_str(), "style" | "script" | "head" | "title") {
            // Skip to the matching close tag.
            let close = format!("</{name}");
            let lower = rest.to_ascii_lowercase();
            match lower.find(&close) {
                Some(at) => {
                    let tail = &rest[at..];
                    rest = tail.find('>').map_or("", |end| &tail[end + 1..]);
                }
                None => rest = "",
            }
            continue;
        }
        match name.as_str() {
            "br" => out.push('\n'),
            "p" | "div" | "li" | "tr" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "blockquote"
            | "ul" | "ol" | "table" | "pre" | "hr"
                if !out.is_empty() && !out.ends_with('\n') =>
            {
                out.push('\n');
            }
            "td" | "th" if closing => out.push(' '),
            _ => {}
        }
    }
    out.push_str(&decode_entities(rest));
    tidy(&out)
}

/// Lines trimmed at the end, at most one blank line in a row, none at either end;
/// non-breaking spaces as spaces.
fn tidy(text: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in text
        .replace('\u{a0}', " ")
        .replace("\r\n", "\n")
        .split('\n')
    {
        let line = line.trim_end().to_string();
        if line.is_empty() && lines.last().is_none_or(|l: &String| l.is_empty()) {
            continue;
        }
        lines.push(line);
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

/// Named entities HTML mail uses most, and numeric ones (`&#233;`, `&#xE9;`).
fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let end = after
            .char_indices()
            .take(10)
            .find(|(_, c)| *c == ';')
            .map(|(i, _)| i);
        let decoded = end.and_then(|end| {
            let name = &after[..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                "eacute" => Some('é'),
                "egrave" => Some('è'),
                "agrave" => Some('à'),
                "ccedil" => Some('ç'),
                "euro" => Some('€'),
                "hellip" => Some('…'),
                "rsquo" => Some('’'),
                "lsquo" => Some('‘'),
                "laquo" => Some('«'),
                "raquo" => Some('»'),
                _ => {
                    let number = name.strip_prefix('#')?;
                    let code = match number.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => number.parse().ok()?,
                    };
                    char::from_u32(code)
                }
            }?;
            Some((c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// An RFC 3339 timestamp (`2020-11-13T14:34:35.282Z`, `2020-11-13T15:34:35+01:00`) as
/// milliseconds since the Unix epoch.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let s = text.get(range)?;
        if !s.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut at = 19;
    let mut millis = 0i64;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        if at == start {
            return None;
        }
        let digits = &text[start..at.min(start + 3)];
        millis = digits.parse::<i64>().ok()? * 10i64.pow(3 - digits.len() as u32);
    }
    let offset_minutes = match text.get(at..)? {
        "Z" | "z" => 0,
        zone if zone.len() == 6
            && matches!(zone.as_bytes()[0], b'+' | b'-')
            && zone.as_bytes()[3] == b':' =>
        {
            let h = num(at + 1..at + 3)?;
            let m = num(at + 4..at + 6)?;
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            sign * (h * 60 + m)
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1000 + millis)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Milliseconds since the epoch as RFC 3339 (`2026-03-02T09:15:00.000Z`), for custom
/// fields of type time sent to Zammad.
pub fn format_timestamp(millis: i64) -> String {
    let secs = millis.div_euclid(1000);
    let ms = millis.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_plain_text() {
        let html = "Bonjour,<div><br></div><div>Je demande le remboursement de ma commande n&#176; 4521 &amp; merci.</div><p>Camille&nbsp;Durand</p><style>p{color:red}</style>";
        assert_eq!(
            html_to_text(html),
            "Bonjour,\n\nJe demande le remboursement de ma commande n° 4521 & merci.\nCamille Durand"
        );
        assert_eq!(
            html_to_text("a &lt; b &unknown; c & d"),
            "a < b &unknown; c & d"
        );
        assert_eq!(
            html_to_text("<ul><li>un</li><li>deux</li></ul>"),
            "un\ndeux"
        );
        assert_eq!(html_to_text("x < y"), "x < y");
    }

    #[test]
    fn timestamps_round_trip() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_timestamp("2020-11-13T14:34:35.282Z"),
            Some(1_605_278_075_282)
        );
        assert_eq!(
            parse_timestamp("2020-11-13T15:34:35.282+01:00"),
            Some(1_605_278_075_282)
        );
        assert_eq!(
            parse_timestamp("2020-11-13T14:34:35.2Z"),
            Some(1_605_278_075_200)
        );
        assert_eq!(parse_timestamp("2020-13-13T14:34:35Z"), None);
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(
            format_timestamp(1_605_278_075_282),
            "2020-11-13T14:34:35.282Z"
        );
        assert_eq!(format_timestamp(0), "1970-01-01T00:00:00.000Z");
    }
}
