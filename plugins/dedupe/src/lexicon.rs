//! A small French and English lexicon of customer-care problems: words that say the
//! same thing in other words ("remboursement", "refund", "rembourser") become one
//! concept, so that a re-worded or translated complaint still shares its words with
//! the first one.
//!
//! Each entry is a concept and the words for it, matched on folded words (lower case,
//! no accents): an entry ending in `*` matches any word it begins (`rembours*`), the
//! others match whole words.

/// The concepts and their words.
const CONCEPTS: &[(&str, &[&str])] = &[
    (
        "delivery",
        &[
            "colis",
            "parcel*",
            "package*",
            "livraison*",
            "livre",
            "livree",
            "livrees",
            "livrer",
            "deliver*",
            "shipp*",
            "shipment*",
            "expedi*",
            "suivi",
            "tracking",
            "track",
            "transporteur",
            "courier",
            "postman",
            "facteur",
            "arrivee",
            "arrived",
            "paquet*",
            "acheminement",
            "transit",
            "letterbox",
        ],
    ),
    (
        "damaged",
        &[
            "cass*",
            "abim*",
            "endommag*",
            "broke*",
            "damag*",
            "dechir*",
            "torn",
            "crushed",
            "ecrase*",
            "defectu*",
            "faulty",
            "fissur*",
            "crack*",
            "morceau*",
            "bosse*",
            "dent",
            "dented",
            "rayure*",
            "scratch*",
        ],
    ),
    (
        "wrong-item",
        &[
            "mauvais*",
            "wrong",
            "taille",
            "size",
            "couleur",
            "colour",
            "color",
            "instead",
            "swap*",
            "echang*",
            "exchange*",
        ],
    ),
    ("refund", &["rembours*", "refund*", "retourn*", "return*"]),
    (
        "charge",
        &[
            "prelev*",
            "preleve",
            "debit*",
            "charg*",
            "paiement*",
            "payment*",
            "paye",
            "payee",
            "paie",
            "payer",
            "pay",
            "pays",
            "paying",
            "paid",
            "montant*",
            "amount*",
            "facture*",
            "factur*",
            "transaction*",
            "invoice*",
            "billed",
            "bill",
            "bills",
            "billing",
            "overcharg*",
            "surfactur*",
        ],
    ),
    ("twice", &["double*", "doublon", "twice", "duplicate*"]),
    (
        "fraud",
        &[
            "fraud*",
            "reconnais*",
            "recogni*",
            "suspect*",
            "suspicious",
            "inconnu*",
            "unknown",
            "pirat*",
            "hack*",
            "arnaque*",
            "scam*",
        ],
    ),
    (
        "card",
        &[
            "carte",
            "cartes",
            "card",
            "cards",
            "cb",
            "visa",
            "mastercard",
            "terminal",
            "tpe",
        ],
    ),
    ("declined", &["refus*", "declin*", "rejet*", "reject*"]),
    (
        "blocked",
        &[
            "bloqu*",
            "block*",
            "lock*",
            "gele*",
            "frozen",
            "froze",
            "suspendu*",
            "suspended",
        ],
    ),
    (
        "lost-stolen",
        &[
            "perdu*", "vole", "volee", "lost", "stolen", "stole", "perte",
        ],
    ),
    (
        "login",
        &[
            "connexion",
            "connecter",
            "connect*",
            "login",
            "log",
            "logged",
            "password*",
            "passwd",
            "mdp",
            "reinitialis*",
            "reset*",
            "identifiant*",
            "acces",
            "access*",
            "acceder",
            "sign",
            "username*",
            "forgot",
            "oublie",
        ],
    ),
    (
        "code",
        &[
            "code",
            "codes",
            "sms",
            "otp",
            "verification",
            "texto",
            "text",
            "authentification",
            "authentication",
            "2fa",
        ],
    ),
    (
        "atm",
        &[
            "dab",
            "atm",
            "distributeur*",
            "retrait*",
            "withdraw*",
            "cash",
            "especes",
        ],
    ),
    (
        "transfer",
        &[
            "virement*",
            "transfer*",
            "pending",
            "attente",
            "sepa",
            "iban",
            "beneficiaire*",
            "recipient*",
        ],
    ),
    (
        "identity",
        &[
            "document*",
            "piece",
            "pieces",
            "justificatif*",
            "photo*",
            "identite",
            "identity",
            "proof",
            "passeport",
            "passport",
            "kyc",
            "selfie",
            "illisible",
            "floue",
            "blurry",
        ],
    ),
    (
        "close-account",
        &[
            "clotur*",
            "resili*",
            "terminat*",
            "fermer",
            "fermeture",
            "ferme",
            "close",
            "closing",
            "closure",
        ],
    ),
    (
        "subscription",
        &[
            "abonnement*",
            "subscription*",
            "contrat*",
            "contract*",
            "renouvel*",
            "renewal",
            "membership*",
            "adhesion",
        ],
    ),
    (
        "fees",
        &[
            "frais",
            "fee",
            "fees",
            "tarif*",
            "commission*",
            "cout",
            "couts",
            "cost*",
            "price*",
            "prix",
            "pricing",
        ],
    ),
    (
        "address",
        &[
            "adresse*",
            "address*",
            "demenag*",
            "moved",
            "moving",
            "habite",
            "live",
            "lives",
            "courrier*",
            "postal*",
        ],
    ),
    (
        "referral",
        &[
            "parrain*",
            "referral*",
            "refer",
            "bonus",
            "prime",
            "promo*",
            "cashback",
            "reduction*",
            "discount*",
            "friend*",
            "ami",
            "amie",
        ],
    ),
    (
        "app-broken",
        &[
            "appli",
            "application",
            "app",
            "crash*",
            "plant*",
            "bug*",
            "erreur*",
            "error*",
            "ecran",
            "screen",
            "freez*",
            "fige*",
            "outage",
            "panne",
            "down",
            "site",
            "website",
            "ouvrir",
            "open",
            "opens",
            "update*",
            "version*",
            "lancement",
            "launch*",
            "demarrage",
            "startup",
            "reinstall*",
            "closes",
            "shuts",
        ],
    ),
    (
        "order",
        &[
            "commande*",
            "order*",
            "cmd",
            "achat*",
            "purchase*",
            "article*",
            "item*",
            "produit*",
            "product*",
        ],
    ),
    (
        "network",
        &[
            "internet",
            "wifi",
            "fibre",
            "fiber",
            "broadband",
            "box",
            "routeur",
            "router",
            "modem",
            "reseau*",
            "network*",
            "signal",
            "capte",
            "capter",
            "captent",
            "ethernet",
            "coupure*",
            "adsl",
            "4g",
            "5g",
            "landline*",
            "saute",
            "sautent",
            "drops",
            "dropping",
            "disconnect*",
            "deconnect*",
        ],
    ),
    (
        "phone-line",
        &[
            "sim",
            "sims",
            "puce",
            "esim",
            "portabilit*",
            "porting",
            "forfait*",
            "plan",
            "plans",
            "bundle*",
            "operateur",
            "operator",
            "carrier",
            "activation",
            "activer",
            "activee",
            "active",
            "activated",
            "activate",
        ],
    ),
    (
        "claim",
        &[
            "sinistre*",
            "claim*",
            "indemni*",
            "expert",
            "experts",
            "expertise",
            "assessor*",
            "adjuster*",
            "assurance*",
            "insurance*",
            "assureur*",
            "insurer*",
        ],
    ),
    (
        "leak",
        &[
            "degat*", "fuite*", "leak*", "inond*", "flood*", "eau", "water",
        ],
    ),
    (
        "tax",
        &[
            "tax",
            "taxes",
            "fiscal*",
            "impot*",
            "ifu",
            "income",
            "comptable",
            "accountant",
            "assessment",
        ],
    ),
    ("cancel", &["annul*", "anul*", "cancel*"]),
    (
        "travel",
        &[
            "vol",
            "vols",
            "flight*",
            "billet*",
            "train*",
            "reservation*",
            "booking*",
            "booked",
            "book",
            "hotel*",
            "sejour*",
            "voyage*",
            "trip",
            "trips",
            "travel*",
            "airline*",
            "avion*",
            "aeroport*",
            "airport*",
            "embarquement",
            "boarding",
            "trajet*",
            "itinerar*",
            "escale*",
            "bagage*",
            "baggage*",
            "luggage",
            "valise*",
            "suitcase*",
            "passager*",
            "passenger*",
            "croisiere*",
            "cruise*",
            "hebergement*",
        ],
    ),
    (
        "loyalty",
        &[
            "fidelite", "loyalty", "points", "cagnotte", "reward*", "miles",
        ],
    ),
    (
        "energy",
        &[
            "electricite",
            "electricity",
            "electrique",
            "electric",
            "energie*",
            "energy",
            "gaz",
            "gas",
            "compteur*",
            "meter*",
            "releve*",
            "reading*",
            "kwh",
            "consommation*",
            "consumption",
            "estim*",
            "linky",
            "chaudiere*",
            "boiler*",
        ],
    ),
    (
        "vehicle",
        &[
            "voiture*",
            "vehicule*",
            "vehicle*",
            "car",
            "cars",
            "garage*",
            "accrochage*",
            "accident*",
            "collision*",
            "carrosserie",
            "bodywork",
            "pare",
            "windscreen*",
            "windshield*",
            "depann*",
            "remorqu*",
            "towed",
            "towing",
            "moto*",
            "scooter*",
        ],
    ),
    (
        "copy",
        &[
            "copie*",
            "copy",
            "copies",
            "duplicata*",
            "attestation*",
            "certificat*",
            "telecharg*",
            "download*",
            "receipt*",
            "pdf",
        ],
    ),
    (
        "~change",
        &[
            "modif*",
            "change*",
            "changing",
            "amend*",
            "decaler",
            "decale",
            "decalee",
            "decalez",
            "decalage",
            "reschedul*",
            "postpone*",
            "move",
            "corrig*",
            "correct*",
        ],
    ),
];

/// Expressions of several words that stand for one concept, matched on consecutive
/// folded words (stop words included: "mot de passe").
const PHRASES: &[(&[&str], &str)] = &[
    (&["mot", "de", "passe"], "login"),
    (&["mots", "de", "passe"], "login"),
    (&["deux", "fois"], "twice"),
    (&["2", "fois"], "twice"),
    (&["two", "times"], "twice"),
    (&["connexion", "internet"], "network"),
    (&["internet", "connection"], "network"),
    (&["mise", "a", "jour"], "app-broken"),
    (&["se", "ferme"], "app-broken"),
    (&["money", "back"], "refund"),
    (&["cash", "machine"], "atm"),
    (&["boite", "aux", "lettres"], "delivery"),
    (&["locked", "out"], "blocked"),
    (&["carte", "de", "fidelite"], "loyalty"),
    (&["espace", "client"], "login"),
    (&["carte", "sim"], "phone-line"),
    (&["sim", "card"], "phone-line"),
    (&["aucun", "service"], "phone-line"),
    (&["pas", "de", "service"], "phone-line"),
    (&["no", "service"], "phone-line"),
    (&["espace", "personnel"], "login"),
    (&["espace", "perso"], "login"),
    (&["customer", "area"], "login"),
    (&["online", "account"], "login"),
    (&["loyalty", "card"], "loyalty"),
    (&["au", "lieu"], "wrong-item"),
    (&["vol", "de", "ma"], "lost-stolen"),
    (&["vol", "de", "mon"], "lost-stolen"),
    (&["vol", "de", "mes"], "lost-stolen"),
    (&["autre", "chose"], "wrong-item"),
    (&["something", "else"], "wrong-item"),
];

/// The concept the words at the start of `words` stand for together, and how many
/// words that takes.
pub fn phrase<S: AsRef<str>>(words: &[S]) -> Option<(usize, &'static str)> {
    PHRASES.iter().find_map(|(phrase, concept)| {
        (words.len() >= phrase.len() && phrase.iter().zip(words).all(|(p, w)| *p == w.as_ref()))
            .then_some((phrase.len(), *concept))
    })
}

/// The concept a folded word stands for, if the lexicon knows it.
pub fn concept(word: &str) -> Option<&'static str> {
    for (concept, words) in CONCEPTS {
        for entry in *words {
            let hit = match entry.strip_suffix('*') {
                Some(prefix) => word.starts_with(prefix),
                None => word == *entry,
            };
            if hit {
                return Some(concept);
            }
        }
    }
    None
}

/// Concepts whose words overlap so much that naming one is not a conflict with the
/// other: "connexion" is a login for a bank and a line for an internet provider.
const RELATED: &[(&str, &str)] = &[("login", "network")];

/// Whether two concepts count as one topic when texts are compared.
pub fn related(a: &str, b: &str) -> bool {
    a == b || RELATED.contains(&(a, b)) || RELATED.contains(&(b, a))
}

/// The concept a misspelt word stands for: a word of at least six letters that the
/// lexicon does not know but that is one slip from one of its words of at least six
/// letters (two letters swapped, one left out or one added: "factrue", "loyaty",
/// "adderss"), or whose beginning is one slip from such a prefix entry. Slips at a
/// word's first letters or its end, and substituted letters, are not forgiven: they
/// turn too many real words into others ("light" is no "flight", "annual" no
/// "annul…").
pub fn concept_near(word: &str) -> Option<&'static str> {
    if word.len() < 6 || !word.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    for (concept, words) in CONCEPTS {
        for entry in *words {
            let hit = match entry.strip_suffix('*') {
                Some(prefix) if prefix.len() >= 6 => (prefix.len()..=prefix.len() + 1)
                    .any(|n| n <= word.len() && one_slip(&word[..n], prefix)),
                Some(_) => false,
                None => entry.len() >= 6 && one_slip(word, entry),
            };
            if hit {
                return Some(concept);
            }
        }
    }
    None
}

/// Whether `a` is `b` with two neighbouring letters swapped (not the first two), one
/// letter left out or one added (not among the first two letters); never at `b`'s
/// last letter. ASCII words.
fn one_slip(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a == b {
        return false;
    }
    let common = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    if common + 2 > b.len() {
        return false;
    }
    match a.len() as isize - b.len() as isize {
        0 => {
            common >= 1
                && a[common] == b[common + 1]
                && a[common + 1] == b[common]
                && a[common + 2..] == b[common + 2..]
        }
        1 => common >= 2 && a[common + 1..] == b[common..],
        -1 => common >= 2 && a[common..] == b[common + 1..],
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_in_both_languages_share_a_concept() {
        assert_eq!(concept("remboursement"), concept("refunded"));
        assert_eq!(concept("bloquee"), concept("blocked"));
        assert_eq!(concept("colis"), Some("delivery"));
        assert_eq!(concept("appel"), None);
        assert_eq!(concept("bonjour"), None);
        assert_eq!(concept("resiliation"), concept("cloture"));
        assert_eq!(
            concept("avoir"),
            None,
            "an auxiliary verb before a credit note"
        );
        assert_eq!(
            phrase(&["mot", "de", "passe", "oublie"]),
            Some((3, "login"))
        );
        assert_eq!(phrase(&["mot", "de"]), None);
    }

    #[test]
    fn one_slip_from_a_word_is_still_its_concept() {
        assert_eq!(concept_near("factrue"), Some("charge"));
        assert_eq!(concept_near("loyaty"), Some("loyalty"));
        assert_eq!(concept_near("adderss"), Some("address"));
        assert_eq!(concept_near("connxeion"), Some("login"));
        assert_eq!(concept_near("fcature"), Some("charge"));
        assert_eq!(concept_near("bonjour"), None);
        assert_eq!(
            concept_near("parlez"),
            None,
            "a substitution is not forgiven"
        );
        assert_eq!(
            concept_near("light"),
            None,
            "a first letter is not forgiven"
        );
        assert_eq!(concept_near("annual"), None, "nor a prefix's last letter");
        assert!(related("network", "login") && !related("card", "refund"));
    }
}
