//! Which conversation an e-mail belongs to: its thread's root Message-ID (RFC 5322
//! section 3.6.4), and a guichet ticket number in its subject.
//!
//! Message ids are kept in one form everywhere, `<id-left@id-right>` with the angle
//! brackets and without folding whitespace, as they appear in `Message-ID`,
//! `In-Reply-To` and `References`: so the root a reply names in `References` is the
//! very string the first message gave as its own id. Their case is kept (ids are
//! compared as written).

/// The message ids in a header value (`<a@x> <b@y>`), in order, each as `<…>`.
/// A value without any `<…>` (a mailer that drops the brackets) is read as ids
/// separated by whitespace.
pub fn msg_ids(value: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('>') else {
            break;
        };
        let id: String = after[..end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if !id.is_empty() {
            ids.push(format!("<{id}>"));
        }
        rest = &after[end + 1..];
    }
    if ids.is_empty() && !value.contains('<') {
        ids = value
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|token| !token.is_empty())
            .map(|token| format!("<{token}>"))
            .collect();
    }
    ids
}

/// The id of the thread a message belongs to: the first id of `References` (the
/// root, RFC 5322 section 3.6.4), else the first of `In-Reply-To` (a mailer that
/// sets only that names the message it answers), else the message's own id (it
/// starts a thread).
pub fn thread_root(
    message_id: &str,
    in_reply_to: Option<&str>,
    references: Option<&str>,
) -> String {
    references
        .and_then(|value| msg_ids(value).into_iter().next())
        .or_else(|| in_reply_to.and_then(|value| msg_ids(value).into_iter().next()))
        .unwrap_or_else(|| message_id.to_string())
}

/// `id` as a header's msg-id: with angle brackets (an id without them, such as
/// Postmark's own `MessageID`, gets them).
pub fn bracketed(id: &str) -> String {
    let id = id.trim();
    if id.starts_with('<') && id.ends_with('>') {
        id.to_string()
    } else {
        format!("<{id}>")
    }
}

/// The guichet ticket id in a subject: the first `[#id]` where `id` is made of ASCII
/// letters, digits and `-` (the form the adapter's replies carry, `[#tk-8f3kq2m9zt]`).
pub fn ticket_ref(subject: &str) -> Option<String> {
    refs(subject).next().map(|(_, id)| id.to_string())
}

/// The subject without its `[#id]` ticket references, whitespace collapsed.
pub fn without_refs(subject: &str) -> String {
    let mut out = String::new();
    let mut last = 0;
    for (range, _) in refs(subject) {
        out.push_str(&subject[last..range.start]);
        last = range.end;
    }
    out.push_str(&subject[last..]);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every `[#id]` of `subject`: its byte range and the id.
fn refs(subject: &str) -> impl Iterator<Item = (std::ops::Range<usize>, &str)> {
    let mut from = 0;
    std::iter::from_fn(move || {
        while let Some(found) = subject[from..].find("[#") {
            let start = from + found;
            let id_start = start + 2;
            let id_len = subject[id_start..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .unwrap_or(subject.len() - id_start);
            let id_end = id_start + id_len;
            if id_len > 0 && subject[id_end..].starts_with(']') {
                from = id_end + 1;
                return Some((start..id_end + 1, &subject[id_start..id_end]));
            }
            from = id_start;
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_read_in_order_with_their_brackets() {
        assert_eq!(
            msg_ids("<root@mail.example.com>\r\n <second@x.org>\t<third@y>"),
            ["<root@mail.example.com>", "<second@x.org>", "<third@y>"]
        );
        // Folding whitespace inside an id is removed; empty `<>` are skipped.
        assert_eq!(msg_ids("<a\r\n b@x> <>"), ["<ab@x>"]);
        // A mailer that drops the brackets.
        assert_eq!(msg_ids("a@x b@y"), ["<a@x>", "<b@y>"]);
        assert!(msg_ids("").is_empty());
        assert!(msg_ids("  ").is_empty());
        // Text around ids (obsolete `phrase` forms) is ignored.
        assert_eq!(
            msg_ids("your message of Monday <m1@x> (comment)"),
            ["<m1@x>"]
        );
    }

    #[test]
    fn the_root_is_the_first_reference() {
        assert_eq!(
            thread_root(
                "<reply2@customer.example>",
                Some("<answer1@mtasv.net>"),
                Some("<first@customer.example> <answer1@mtasv.net>")
            ),
            "<first@customer.example>"
        );
    }

    #[test]
    fn without_references_in_reply_to_names_the_thread() {
        assert_eq!(
            thread_root("<reply@x>", Some("<first@x>"), None),
            "<first@x>"
        );
        // An empty References is as good as none.
        assert_eq!(
            thread_root("<reply@x>", Some("<first@x>"), Some(" ")),
            "<first@x>"
        );
    }

    #[test]
    fn a_message_without_threading_headers_starts_its_own_thread() {
        assert_eq!(thread_root("<new@x>", None, None), "<new@x>");
        assert_eq!(thread_root("<new@x>", Some(""), Some("")), "<new@x>");
    }

    #[test]
    fn bracketing_is_idempotent() {
        assert_eq!(bracketed("abc@x"), "<abc@x>");
        assert_eq!(bracketed(" <abc@x> "), "<abc@x>");
        assert_eq!(
            bracketed("73e6d360-66eb-11e1-8e72-a8904824019b"),
            "<73e6d360-66eb-11e1-8e72-a8904824019b>"
        );
    }

    #[test]
    fn subject_refs_are_found() {
        assert_eq!(
            ticket_ref("Re: Commande 4521 [#tk-8f3kq2m9zt]").as_deref(),
            Some("tk-8f3kq2m9zt")
        );
        assert_eq!(ticket_ref("[#42] help").as_deref(), Some("42"));
        assert_eq!(
            ticket_ref("Re: [#ABC-12-x] and [#tk-other]").as_deref(),
            Some("ABC-12-x")
        );
        // Not refs: empty, other characters, unclosed, no `#`.
        for subject in [
            "Re: order",
            "[#] nothing",
            "[#tk 8f3] spaced",
            "[#tk_8f3] underscore",
            "[#tk-8f3 unclosed",
            "[tk-8f3]",
            "#tk-8f3",
            "[#é]",
        ] {
            assert_eq!(ticket_ref(subject), None, "{subject}");
        }
        // A bad candidate does not hide a good one after it.
        assert_eq!(
            ticket_ref("[#bad id] [#tk-good]").as_deref(),
            Some("tk-good")
        );
        assert_eq!(ticket_ref("[#[#tk-1]").as_deref(), Some("tk-1"));
    }

    #[test]
    fn refs_are_removed_from_a_subject() {
        assert_eq!(
            without_refs("Re: Commande [#tk-8f3kq2m9zt]  livrée [#x]"),
            "Re: Commande livrée"
        );
        assert_eq!(without_refs("[#tk-1]"), "");
        assert_eq!(without_refs("Prix [# not a ref]"), "Prix [# not a ref]");
    }
}
