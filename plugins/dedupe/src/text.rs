//! What a ticket says, stripped of what does not tell one problem from another:
//! quoted history, signatures, greetings and closings, case, accents, stop words and
//! word endings. Two texts are then compared as sets of word stems.

use std::collections::BTreeSet;

use unicode_normalization::UnicodeNormalization;

use crate::lexicon;

/// Lower case, accents removed (NFKD, combining marks dropped), ligatures expanded.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'œ' | 'Œ' => out.push_str("oe"),
            'æ' | 'Æ' => out.push_str("ae"),
            'ß' => out.push_str("ss"),
            '’' | '‘' | '`' => out.push('\''),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}' | '\u{FE20}'..='\u{FE2F}')
}

/// Lines that start a quoted history: everything from them on was written before.
fn starts_history(line: &str) -> bool {
    let line = line.trim();
    (line.starts_with("le ") && (line.ends_with("a ecrit :") || line.ends_with("a ecrit:")))
        || (line.starts_with("on ") && (line.ends_with("wrote:") || line.ends_with("wrote :")))
        || line.contains("original message")
        || line.contains("message d'origine")
        || line.starts_with("de : ")
        || line.starts_with("from: ")
}

/// Lines that end what the author wrote: a signature or a device footer.
fn starts_signature(line: &str) -> bool {
    let line = line.trim();
    line == "--"
        || line == "__"
        || line.starts_with("envoye de mon")
        || line.starts_with("envoye depuis")
        || line.starts_with("sent from my")
        || line.starts_with("get outlook for")
}

/// Short lines that close a message; what follows is a name or a signature.
const CLOSINGS: &[&str] = &[
    "cordialement",
    "bien cordialement",
    "tres cordialement",
    "bien a vous",
    "bien a toi",
    "salutations",
    "sincerement",
    "bonne journee",
    "bonne soiree",
    "merci",
    "merci d'avance",
    "merci par avance",
    "merci beaucoup",
    "merci bien",
    "a bientot",
    "regards",
    "best regards",
    "kind regards",
    "best",
    "thanks",
    "thank you",
    "many thanks",
    "thanks in advance",
    "cheers",
    "sincerely",
    "yours sincerely",
];

fn is_closing(line: &str) -> bool {
    let line = line.trim().trim_end_matches(|c: char| !c.is_alphanumeric());
    CLOSINGS.contains(&line)
}

/// French and English words that say nothing about the problem: articles, pronouns,
/// auxiliaries, greetings, politeness, e-mail prefixes.
const STOP_WORDS: &[&str] = &[
    // French
    "a",
    "au",
    "aux",
    "avec",
    "ce",
    "ces",
    "cet",
    "cette",
    "dans",
    "de",
    "des",
    "du",
    "elle",
    "en",
    "et",
    "eu",
    "il",
    "ils",
    "je",
    "j",
    "jai",
    "cest",
    "la",
    "le",
    "les",
    "leur",
    "lui",
    "ma",
    "mais",
    "me",
    "meme",
    "mes",
    "moi",
    "mon",
    "ne",
    "nos",
    "notre",
    "nous",
    "on",
    "ou",
    "par",
    "pas",
    "pour",
    "qu",
    "que",
    "qui",
    "sa",
    "se",
    "ses",
    "son",
    "sur",
    "ta",
    "te",
    "tes",
    "toi",
    "ton",
    "tu",
    "un",
    "une",
    "vos",
    "votre",
    "vous",
    "c",
    "d",
    "l",
    "m",
    "n",
    "s",
    "t",
    "y",
    "ete",
    "etre",
    "suis",
    "es",
    "est",
    "sommes",
    "etes",
    "sont",
    "ai",
    "as",
    "avons",
    "avez",
    "ont",
    "avais",
    "avait",
    "fait",
    "faire",
    "ca",
    "cela",
    "ceci",
    "si",
    "tout",
    "tous",
    "toute",
    "toutes",
    "plus",
    "tres",
    "bien",
    "encore",
    "deja",
    "aussi",
    "alors",
    "donc",
    "car",
    "comme",
    "quand",
    "depuis",
    "chez",
    "apres",
    "sans",
    "toujours",
    "rien",
    "svp",
    "stp",
    "bonjour",
    "bonsoir",
    "salut",
    "bjr",
    "bsr",
    "slt",
    "coucou",
    "madame",
    "monsieur",
    "mme",
    "mr",
    "m.",
    "merci",
    "cordialement",
    "beaucoup",
    "avance",
    "aide",
    "aider",
    "besoin",
    "voudrais",
    "souhaite",
    "pourriez",
    "pouvez",
    "peux",
    "puis",
    "veuillez",
    "pourquoi",
    "comment",
    "quoi",
    "oui",
    "non",
    "ok",
    "hier",
    "aujourd",
    "hui",
    "ici",
    "cf",
    "re",
    "tr",
    "fw",
    "fwd",
    "objet",
    "sujet",
    "bonne",
    "journee",
    "soiree",
    "equipe",
    "service",
    "client",
    "clients",
    // English
    "the",
    "an",
    "and",
    "or",
    "of",
    "to",
    "in",
    "on",
    "at",
    "for",
    "with",
    "by",
    "from",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "am",
    "i",
    "me",
    "my",
    "mine",
    "we",
    "us",
    "our",
    "you",
    "your",
    "he",
    "she",
    "it",
    "its",
    "they",
    "them",
    "their",
    "this",
    "that",
    "these",
    "those",
    "have",
    "has",
    "had",
    "do",
    "does",
    "did",
    "not",
    "no",
    "but",
    "so",
    "if",
    "as",
    "can",
    "could",
    "would",
    "should",
    "will",
    "please",
    "pls",
    "thanks",
    "thank",
    "hello",
    "hi",
    "hey",
    "dear",
    "team",
    "regards",
    "best",
    "kind",
    "still",
    "yet",
    "just",
    "again",
    "any",
    "some",
    "there",
    "here",
    "what",
    "why",
    "how",
    "when",
    "get",
    "got",
    "im",
    "ive",
    "dont",
    "doesnt",
    "didnt",
    "cant",
    // What "don't", "didn't", "isn't" leave before the apostrophe.
    "don",
    "doesn",
    "didn",
    "isn",
    "aren",
    "wasn",
    "weren",
    "haven",
    "hasn",
    "won",
    "wouldn",
    "couldn",
    "s",
    "ll",
    "ve",
    "re",
    "yesterday",
    "today",
    "help",
    "need",
    "want",
    "hope",
    "sir",
    "madam",
    "support",
    "customer",
    "very",
    "also",
    "all",
    "about",
    "into",
    "out",
    "up",
    "one",
    // What channels add around the customer's words: call transcriptions, web forms.
    "appel",
    "entrant",
    "transcription",
    "automatique",
    "message",
    "vocal",
    "appareil",
    "appelle",
    "rappeler",
    "rappelez",
    "call",
    "calling",
    "voicemail",
    "transcript",
    "formulaire",
    "contact",
    "form",
    "incoming",
    "callback",
    // Words any complaint may hold, whatever it is about.
    "probleme",
    "problemes",
    "problem",
    "problems",
    "souci",
    "soucis",
    "issue",
    "issues",
    "urgent",
    "urgente",
    "urgence",
    "urgently",
    "asap",
    "rapidement",
    "vite",
    "reponse",
    "reply",
    "answer",
    "nouvelles",
    "news",
    "rebonjour",
    "espace",
    // Saying one cannot do something: "impossible de", "je n'arrive pas à", "unable".
    "impossible",
    "arrive",
    "arrivons",
    "unable",
    "possible",
    // Dates: the day a thing happened rarely tells one problem from another.
    "janvier",
    "fevrier",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "aout",
    "septembre",
    "octobre",
    "novembre",
    "decembre",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "sept",
    "oct",
    "nov",
    "dec",
    "lundi",
    "mardi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "dimanche",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "another",
    "autre",
    // Words every ticket of a bank or a shop may hold.
    "compte",
    "comptes",
    "account",
    "accounts",
];

/// Short forms of text messages and chats, and the word they stand for (folded).
/// Ordinary spellings only: what people type on a phone in French or English.
const ABBREVIATIONS: &[(&str, &str)] = &[
    // French
    ("tjrs", "toujours"),
    ("tjs", "toujours"),
    ("tj", "toujours"),
    ("pb", "probleme"),
    ("pbm", "probleme"),
    ("pr", "pour"),
    ("qd", "quand"),
    ("bcp", "beaucoup"),
    ("auj", "aujourd"),
    ("msg", "message"),
    ("cmd", "commande"),
    ("cde", "commande"),
    ("rdv", "rendez"),
    ("tel", "telephone"),
    ("dc", "donc"),
    ("ds", "dans"),
    ("ns", "nous"),
    ("vs", "vous"),
    ("pk", "pourquoi"),
    ("pq", "pourquoi"),
    ("qqch", "chose"),
    ("maj", "update"),
    ("rbt", "remboursement"),
    ("rembt", "remboursement"),
    ("cb", "carte"),
    ("jai", "ai"),
    ("jsuis", "suis"),
    ("chui", "suis"),
    // English
    ("u", "you"),
    ("ur", "your"),
    ("thx", "thanks"),
    ("ty", "thanks"),
    ("plz", "please"),
    ("acct", "account"),
    ("acc", "account"),
    ("cos", "because"),
    ("coz", "because"),
    ("bc", "because"),
    ("tmrw", "tomorrow"),
    ("msg", "message"),
    ("pkg", "package"),
    ("pwd", "password"),
    ("pw", "password"),
    ("w", "with"),
    ("wk", "week"),
    ("info", "information"),
];

/// The word a short form stands for, or the word itself.
fn expand(word: &str) -> &str {
    ABBREVIATIONS
        .iter()
        .find(|(short, _)| *short == word)
        .map_or(word, |(_, long)| long)
}

/// Whether `word` (folded) is a stop word.
fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(&word)
}

/// Labels of the fields a web form or a bridge writes above the customer's message
/// ("Nom : Céline Quéré", "E-mail : …", "Téléphone : …"), folded: such a line says
/// who wrote, not what about, and is dropped.
const FORM_FIELDS: &[&str] = &[
    "nom",
    "prenom",
    "nom complet",
    "name",
    "full name",
    "first name",
    "last name",
    "e-mail",
    "email",
    "mail",
    "adresse e-mail",
    "adresse email",
    "adresse mail",
    "courriel",
    "email address",
    "e-mail address",
    "telephone",
    "tel",
    "tel.",
    "portable",
    "mobile",
    "phone",
    "phone number",
    "numero de telephone",
];

/// Labels a web form writes before the customer's own words ("Message : …"): the
/// label is dropped, what follows it kept.
const FORM_MESSAGE_FIELDS: &[&str] = &["message", "votre message", "your message", "description"];

/// A line of a web form's header without its label: `None` for a field that says who
/// wrote ([`FORM_FIELDS`]), the text after the label for a message field, the line
/// itself otherwise.
fn without_form_field(line: &str) -> Option<&str> {
    let Some((label, rest)) = line.split_once(':') else {
        return Some(line);
    };
    let label = label.trim();
    if FORM_FIELDS.contains(&label) {
        None
    } else if FORM_MESSAGE_FIELDS.contains(&label) {
        Some(rest.trim())
    } else {
        Some(line)
    }
}

/// Keeps what the author wrote in this message: the history it quotes, its signature
/// and what follows a closing line are cut, greeting-only lines dropped, so are the
/// fields of a web form's header that say who wrote ([`FORM_FIELDS`]) and e-mail
/// addresses. Folded.
pub fn own_words(body: &str) -> String {
    let folded = fold(body);
    let mut out = String::with_capacity(folded.len());
    for line in folded.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('>') {
            continue;
        }
        if starts_history(trimmed) || starts_signature(trimmed) || is_closing(trimmed) {
            break;
        }
        let Some(kept) = without_form_field(trimmed) else {
            continue;
        };
        // E-mail addresses say who wrote (or whom to answer), not what about.
        let kept: Vec<&str> = kept
            .split_whitespace()
            .filter(|w| !w.contains('@'))
            .collect();
        out.push_str(&kept.join(" "));
        out.push('\n');
    }
    out
}

/// How many leading characters of a word are kept: "remboursement", "rembourser" and
/// "remboursé" all become "rembo", "refunded" and "refund" "refun".
pub const STEM_CHARS: usize = 5;

/// Endings dropped before a word is cut to its stem, longest first: French and
/// English plurals, feminines, participles and adverbs, so that a short word keeps
/// the same stem in its forms ("reçue", "reçus", "reçu"; "tries", "tried", "try").
const ENDINGS: &[&str] = &[
    "ements", "ement", "ments", "ment", "ees", "ies", "ied", "ee", "es", "ed", "e", "s", "x", "y",
];

/// A word's stem: its first [`STEM_CHARS`] characters, after dropping an ending (a
/// stem keeps at least three letters).
fn stem(word: &str) -> String {
    let mut word = word;
    for ending in ENDINGS {
        if let Some(rest) = word.strip_suffix(ending)
            && rest.chars().count() >= 3
        {
            word = rest;
            break;
        }
    }
    word.chars().take(STEM_CHARS).collect()
}

/// The words of folded text that tell a problem: stems of non-stop words of at least
/// two letters, and numbers of three digits or more.
/// Expressions of the lexicon ("mot de passe") become their concept first; numbers
/// are kept whole, amounts with their decimals ("72,20 €" and "72.20" are `72.20`).
pub fn stems(folded: &str) -> BTreeSet<String> {
    content(folded).into_iter().map(|(stem, _)| stem).collect()
}

/// The content words of folded text, each as its stem (or lexicon concept, or whole
/// number) and the word as written (after short forms are expanded).
fn content(folded: &str) -> Vec<(String, String)> {
    let words: Vec<String> = words(folded)
        .into_iter()
        .map(|w| expand(&w).to_string())
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if let Some((len, concept)) = lexicon::phrase(&words[i..]) {
            out.push((format!("#{concept}"), words[i..i + len].join(" ")));
            i += len;
            continue;
        }
        let w = words[i].as_str();
        i += 1;
        let long_enough = if is_number(w) {
            w.len() >= 3
        } else {
            w.chars().count() >= 2
        };
        if !long_enough || is_stop_word(w) {
            continue;
        }
        let stem = match lexicon::concept(w)
            .or_else(|| (!is_number(w)).then(|| lexicon::concept_near(w)).flatten())
        {
            Some(concept) => format!("#{concept}"),
            None if is_number(w) || is_code(w) => w.to_string(),
            None => stem(w),
        };
        out.push((stem, w.to_string()));
    }
    out
}

/// The character trigrams of content words of at least four letters, hashed: a
/// second, spelling-tolerant view of a text ("recieved" shares most of its
/// trigrams with "received", "rembourssement" with "remboursement").
fn trigrams(content: &[(String, String)]) -> BTreeSet<u64> {
    let mut out = BTreeSet::new();
    for (_, word) in content {
        if is_number(word) || is_code(word) || word.chars().count() < 4 || word.contains(' ') {
            continue;
        }
        let padded: Vec<char> = format!(" {word} ").chars().collect();
        for gram in padded.windows(3) {
            let gram: String = gram.iter().collect();
            out.insert(crate::numbers::fnv1a(gram.as_bytes()));
        }
    }
    out
}

/// Numbers of six digits or more, and codes of letters and digits ([`is_code`]):
/// order, booking, contract or claim references. Two texts that each cite one and
/// share none are about two different things.
fn references(stems: &BTreeSet<String>) -> BTreeSet<String> {
    stems.iter().filter(|s| is_reference(s)).cloned().collect()
}

/// Whether a stem is a reference: a number of six digits or more without decimals,
/// or a code ([`is_code`]).
fn is_reference(stem: &str) -> bool {
    (is_number(stem) && !stem.contains('.') && stem.len() >= 6) || is_code(stem)
}

/// Whether a word is a code of letters and digits, as booking and order references
/// are written ("m8c5v1" of "ORD-M8C5V1"): at least five characters, starting with a
/// letter, two digits or more and no more letters than digits and one. A time
/// ("10h30"), a quantity ("15min") or a model name ("iphone15") is no code.
fn is_code(word: &str) -> bool {
    let digits = word.chars().filter(char::is_ascii_digit).count();
    let letters = word.chars().filter(char::is_ascii_alphabetic).count();
    word.chars().count() >= 5
        && word.starts_with(|c: char| c.is_ascii_alphabetic())
        && digits + letters == word.chars().count()
        && digits >= 2
        && letters <= digits + 1
}

/// The words of folded text: runs of letters and digits, a decimal comma or point
/// between two digits kept (as a point) in the number it belongs to.
fn words(folded: &str) -> Vec<String> {
    let chars: Vec<char> = folded.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let decimal = matches!(c, ',' | '.')
            && i > 0
            && chars[i - 1].is_ascii_digit()
            && chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if c.is_alphanumeric() {
            word.push(c);
        } else if decimal && word.chars().all(|c| c.is_ascii_digit() || c == '.') {
            word.push('.');
        } else if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Whether a word is a number (digits, possibly with decimals).
fn is_number(word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_digit())
        && word.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// How many plain stems a lexicon concept weighs in [`Words::containment`].
pub const TOPIC_WEIGHT: f64 = 2.0;

/// Whether a stem is a lexicon concept naming a topic of customer care. Concepts
/// whose name starts with `~` ("change", "move", "modifier") say what is asked, not
/// what it is about: they are shared like other stems but are no topic.
fn is_topic(stem: &str) -> bool {
    stem.starts_with('#') && !stem.starts_with("#~")
}

/// What a text says, ready to be compared.
#[derive(Debug, Clone, Default)]
pub struct Words {
    /// The stems of the subject and the bodies.
    pub stems: BTreeSet<String>,
    /// The stems of the subject alone, numbers left out (a subject citing a ticket or
    /// an order number still says the same thing).
    pub subject: BTreeSet<String>,
    /// The character trigrams of the content words, hashed.
    pub grams: BTreeSet<u64>,
    /// The order, contract or claim references cited (numbers of six digits or more,
    /// codes of letters and digits).
    pub references: BTreeSet<String>,
    /// The amounts cited with their decimals ("239,45 €" is `239.45`).
    pub amounts: BTreeSet<String>,
    /// Whether the text says it follows up an earlier message ("je relance",
    /// "toujours pas de réponse", "I emailed you yesterday about"): see
    /// [`FOLLOW_UPS`].
    pub follow_up: bool,
}

/// Expressions by which a customer says they write again about what they already
/// wrote about, matched on whole folded words: reminders, re-sends, "as I said",
/// "still no answer". A text opening with "re," "re :" or "relance" is one too.
pub const FOLLOW_UPS: &[&str] = &[
    // French
    "je relance",
    "petite relance",
    "suite a mon mail",
    "suite a mon e-mail",
    "suite a mon email",
    "suite a mon message",
    "suite a mon appel",
    "suite a ma demande",
    "suite a ma reclamation",
    "suite a notre echange",
    "suite a notre conversation",
    "mon precedent message",
    "mon precedent mail",
    "ma precedente demande",
    "toujours sans reponse",
    "toujours sans nouvelles",
    "nouvelle relance",
    "2e message",
    "2eme message",
    "deuxieme message",
    "second message",
    "troisieme message",
    "3e message",
    "je reviens vers vous",
    "je me permets de revenir",
    "comme indique",
    "comme dit",
    "comme deja",
    "comme je vous",
    "deja envoye",
    "deja ecrit",
    "deja contacte",
    "deja signale",
    "deja appele",
    "deja fait une demande",
    "deja fait un",
    "je vous ai ecrit",
    "je vous ai envoye",
    "je vous ai appele",
    "je vous ai contacte",
    "mon dernier message",
    "mon message precedent",
    "sans reponse",
    "pas de reponse",
    "aucune reponse",
    "toujours rien",
    "toujours aucune",
    "toujours en attente",
    "encore moi",
    "je renvoie",
    "je vous renvoie",
    "renvoi de",
    // English
    "chasing",
    "following up",
    "follow up",
    "follow-up",
    "resending",
    "re-sending",
    "sending again",
    "2nd message",
    "second time",
    "third time",
    "any update",
    "any updates",
    "any news",
    "still nothing",
    "still no reply",
    "still no response",
    "still no answer",
    "still no news",
    "still no update",
    "still no word",
    "my previous message",
    "my previous email",
    "my earlier message",
    "my earlier email",
    "still not heard",
    "still waiting",
    "still haven't",
    "no acknowledgement",
    "no reply",
    "no response",
    "no answer",
    "not heard back",
    "haven't heard",
    "i wrote",
    "i emailed",
    "i e-mailed",
    "i called",
    "i messaged",
    "i contacted",
    "i already",
    "already sent",
    "already wrote",
    "already emailed",
    "already called",
    "already reported",
    "already contacted",
    "as mentioned",
    "as i said",
    "as i mentioned",
    "as per my",
    "my last message",
    "it's me again",
    "me again",
];

/// Whether folded text says it follows up an earlier message (see [`FOLLOW_UPS`]).
pub fn is_follow_up(folded: &str) -> bool {
    let flat: String = folded
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '\'' || c == '-' {
                c
            } else {
                ' '
            }
        })
        .collect();
    let flat = format!(
        " {} ",
        flat.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    let opening = folded.trim_start();
    opening.starts_with("re,")
        || opening.starts_with("re :")
        || opening.starts_with("re:")
        || opening.starts_with("relance")
        || FOLLOW_UPS
            .iter()
            .any(|marker| flat.contains(&format!(" {marker} ")))
}

impl Words {
    /// The words of a subject and message bodies.
    pub fn of<'a>(subject: Option<&str>, bodies: impl IntoIterator<Item = &'a str>) -> Words {
        Words::of_requester(None, subject, bodies)
    }

    /// The words of a subject and message bodies, without the requester's own name
    /// (a caller introducing themselves says nothing of the problem).
    pub fn of_requester<'a>(
        name: Option<&str>,
        subject: Option<&str>,
        bodies: impl IntoIterator<Item = &'a str>,
    ) -> Words {
        let mut text = subject.map(fold).unwrap_or_default();
        text.push('\n');
        for body in bodies {
            text.push_str(&own_words(body));
            text.push('\n');
        }
        let mut content = content(&text);
        let mut subject: BTreeSet<String> = subject
            .map(|s| self::stems(&fold(s)))
            .unwrap_or_default()
            .into_iter()
            .filter(|s| !is_number(s))
            .collect();
        if let Some(name) = name {
            for word in fold(name).split(|c: char| !c.is_alphanumeric()) {
                if word.chars().count() >= 2 && lexicon::concept(word).is_none() {
                    content.retain(|(_, w)| w != word);
                    subject.remove(&stem(word));
                }
            }
        }
        let stems: BTreeSet<String> = content.iter().map(|(s, _)| s.clone()).collect();
        Words {
            follow_up: is_follow_up(&text),
            grams: trigrams(&content),
            references: references(&stems),
            amounts: stems
                .iter()
                .filter(|s| is_number(s) && s.contains('.'))
                .cloned()
                .collect(),
            stems,
            subject,
        }
    }

    /// The lexicon concepts among the stems: what the text is about.
    fn topics(&self) -> impl Iterator<Item = &String> {
        self.stems.iter().filter(|s| is_topic(s))
    }

    /// How far the topics of two texts agree, from 0 to 1: 1 when either names none
    /// or when at least half of the smaller set of topics is shared, less as they
    /// conflict. A person writing again about their card after a double charge
    /// ("carte perdue", "paiement" against "paiement en double", "commande") shares a
    /// topic with the first ticket but names two the first one never mentions: another
    /// problem.
    pub fn topic_agreement(&self, other: &Words) -> f64 {
        let (mine, theirs) = (self.topics().count(), other.topics().count());
        if mine == 0 || theirs == 0 {
            return 1.0;
        }
        let shared = self
            .topics()
            .filter(|t| other.topics().any(|o| lexicon::related(&t[1..], &o[1..])))
            .count();
        (2.0 * shared as f64 / mine.min(theirs) as f64).min(1.0)
    }

    /// Whether the texts name one topic at least in common.
    pub fn shares_topic(&self, other: &Words) -> bool {
        self.topics().any(|t| other.stems.contains(t.as_str()))
    }

    /// Whether both texts have the same subject line of at least two stems: the
    /// customer's own summary of the problem, written again ("Problème de connexion",
    /// then "Formulaire de contact : Problème de connexion").
    pub fn same_subject(&self, other: &Words) -> bool {
        self.subject.len() >= 2 && self.subject == other.subject
    }

    /// Shared stems over the smaller set, each lexicon concept weighing
    /// [`TOPIC_WEIGHT`] stems: a short chat version of a long e-mail is contained in
    /// it, and what a text is about counts more than its other words. A set weighing
    /// less than two counts as two, so that one shared word is not a match on its own.
    pub fn containment(&self, other: &Words) -> f64 {
        let weight = |s: &String| if is_topic(s) { TOPIC_WEIGHT } else { 1.0 };
        let shared: f64 = self.stems.intersection(&other.stems).map(weight).sum();
        let mine: f64 = self.stems.iter().map(weight).sum();
        let theirs: f64 = other.stems.iter().map(weight).sum();
        shared / mine.min(theirs).max(2.0)
    }

    /// Shared character trigrams over the smaller set of them (at least 12, the
    /// trigrams of two short words): the spelling-tolerant twin of
    /// [`Words::containment`].
    pub fn gram_containment(&self, other: &Words) -> f64 {
        let shared = self.grams.intersection(&other.grams).count();
        let smaller = self.grams.len().min(other.grams.len()).max(12);
        shared as f64 / smaller as f64
    }

    /// Whether both texts cite an order, contract or claim reference and none is
    /// common to both, or both cite amounts with decimals and none is common to both:
    /// two different orders, or a bill of 239,45 € and a purchase of 348,45 €, are two
    /// problems.
    pub fn other_references(&self, other: &Words) -> bool {
        let conflict = |a: &BTreeSet<String>, b: &BTreeSet<String>| {
            !a.is_empty() && !b.is_empty() && a.is_disjoint(b)
        };
        conflict(&self.references, &other.references) || conflict(&self.amounts, &other.amounts)
    }

    /// Whether both texts cite one same amount with its decimals ("402,49 €") or one
    /// same reference (a number of six digits or more): a detail that singles out one
    /// problem, whatever words surround it.
    pub fn shares_detail(&self, other: &Words) -> bool {
        self.stems
            .intersection(&other.stems)
            .any(|s| (is_number(s) && s.contains('.')) || is_reference(s))
    }

    /// Shared stems over all stems (Jaccard).
    pub fn jaccard(&self, other: &Words) -> f64 {
        let shared = self.stems.intersection(&other.stems).count();
        let all = self.stems.len() + other.stems.len() - shared;
        if all == 0 {
            0.0
        } else {
            shared as f64 / all as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_accents_case_and_ligatures() {
        assert_eq!(
            fold("Remboursement PAS reçu, Œuvre"),
            "remboursement pas recu, oeuvre"
        );
    }

    #[test]
    fn cuts_history_signatures_and_closings() {
        let body = "Bonjour,\nToujours pas de remboursement.\n\nCordialement,\nZoé Martin\n\n\
                    Le lun. 12 oct. 2026 à 09:14, Zoé Martin <zoe@example.fr> a écrit :\n\
                    > Ma carte est bloquée";
        assert_eq!(
            own_words(body),
            "bonjour,\ntoujours pas de remboursement.\n\n"
        );
        let body = "Still no refund.\n> quoted\nSent from my iPhone\nmore";
        assert_eq!(own_words(body), "still no refund.\n");
        let body = "Where is my parcel?\nOn Mon, Oct 12, 2026 at 9:14 AM Zoe <z@x.fr> wrote:\nold";
        assert_eq!(own_words(body), "where is my parcel?\n");
        let body = "Colis perdu\n--\nZoé, 12 rue X";
        assert_eq!(own_words(body), "colis perdu\n");
    }

    #[test]
    fn same_problem_in_other_words_shares_stems() {
        let email = Words::of(
            Some("Remboursement non reçu"),
            ["Bonjour, j'attends le remboursement de ma commande annulée depuis 10 jours."],
        );
        let chat = Words::of(None, ["remboursement pas recu commande annulee"]);
        assert!(chat.containment(&email) >= 0.99, "{:?} {:?}", chat, email);
        let other = Words::of(None, ["je n'arrive plus à me connecter à l'appli"]);
        assert!(other.containment(&email) < 0.3);
    }

    #[test]
    fn codes_and_amounts_tell_two_problems_apart() {
        let a = Words::of(None, ["Réservation ORD-M8C5V1 refusée"]);
        let b = Words::of(None, ["Réservation R-S2V7D6 refusée"]);
        assert!(a.stems.contains("m8c5v1"), "{:?}", a.stems);
        assert!(a.other_references(&b));
        assert!(a.shares_detail(&Words::of(None, ["ord-m8c5v1"])));
        let bill = Words::of(None, ["Je conteste ma facture de 239,45 €"]);
        let purchase = Words::of(None, ["Un achat de 348,45 € est refusé"]);
        assert!(bill.other_references(&purchase));
        assert!(!bill.other_references(&Words::of(None, ["facture 239.45"])));
        for word in ["10h30", "15min", "iphone15", "ab12"] {
            assert!(!is_code(word), "{word}");
        }
    }

    #[test]
    fn amounts_keep_their_decimals_and_phrases_their_concept() {
        let stems = stems(&fold(
            "Débit de 72,20 € (et 72.20 EUR), mot de passe perdu, 2 fois",
        ));
        assert!(stems.contains("72.20"), "{stems:?}");
        assert!(!stems.contains("72") && !stems.contains("20"), "{stems:?}");
        assert!(
            stems.contains("#login") && stems.contains("#twice"),
            "{stems:?}"
        );
        assert!(
            !stems.contains("mot") && !stems.contains("passe"),
            "{stems:?}"
        );
        assert_eq!(words("fin. 3,5 ou 1.2.3"), ["fin", "3.5", "ou", "1.2.3"]);
    }

    #[test]
    fn conflicting_topics_lower_the_agreement() {
        let double = Words::of(
            Some("Paiement en double"),
            ["Le paiement de ma commande a été prélevé deux fois."],
        );
        let stolen = Words::of(None, ["carte perdue et un paiement que je n'ai pas fait"]);
        assert!(stolen.topic_agreement(&double) < 1.0);
        let again = Words::of(None, ["prélevé deux fois pour la même commande"]);
        assert_eq!(again.topic_agreement(&double), 1.0);
        let untopical = Words::of(None, ["des nouvelles ?"]);
        assert_eq!(untopical.topic_agreement(&double), 1.0);
    }

    #[test]
    fn the_same_subject_is_told_apart_from_web_form_headers_and_numbers() {
        let email = Words::of(
            Some("Problème de connexion à l'application mobile"),
            ["Mon compte est bloqué."],
        );
        let form = Words::of(
            Some("Formulaire de contact : Problème de connexion à l'application mobile"),
            ["Je n'arrive plus à me connecter."],
        );
        assert!(form.same_subject(&email));
        let cited = Words::of(
            Some("Re: [#48213] Problème de connexion à l'application mobile"),
            ["?"],
        );
        assert!(cited.same_subject(&email));
        let other = Words::of(Some("Problème de paiement"), ["Mon compte est bloqué."]);
        assert!(!other.same_subject(&email));
        let short = Words::of(Some("Question"), [""]);
        assert!(!short.same_subject(&Words::of(Some("Question"), [""])));
    }
}
