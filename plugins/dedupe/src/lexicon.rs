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
            "mauvais*", "wrong", "taille", "size", "couleur", "colour", "color",
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
            "perdu*", "vole", "volee", "vol", "lost", "stolen", "stole", "perte",
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
            "billet*",
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
            "cancel*",
            "annul*",
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
            "move",
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
            "plante",
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
}
