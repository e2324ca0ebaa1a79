#!/usr/bin/env python3
"""Builds the development dataset of the `dedupe` plugin: `dev.jsonl`, beside this script.

Each line is one `ticket_created` event, as `POST /v1/tenants/{t}/events` and
`guichet plugin run` accept it, with the label the plugin is measured against:

    {"event": {...}, "label": {"category": ..., "duplicate_of": <ticket id> | null, "why": ...}}

The set is made of *case families* (a duplicate group and the hard negatives built
around it), each written by one builder function below, plus background tickets. Builders
write drafts that refer to one another by internal keys; once every draft is placed in
time, the drafts are sorted by instant, numbered `d-0001`, `d-0002`, … in that order, given
their helpdesk ticket numbers, and rendered. The script then checks the file: the format
(the exact keys of guichet's model), the order, and the labels, recomputed from the
identities, the times, the ticket numbers cited and the problem each draft is about. A
mismatch stops it with a message naming the ticket.

Standard library only, deterministic (one `random.Random(SEED)`): running it again writes
the same bytes. Usage: `python3 build_dev.py [--out PATH]`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

SEED = 20261012
UTC = timezone.utc
#: The span of the set: tickets are created between these instants.
START = datetime(2026, 10, 12, 5, 0, tzinfo=UTC)
END = datetime(2026, 11, 6, 21, 0, tzinfo=UTC)
#: Paris leaves summer time (+02:00) for winter time (+01:00) at this instant.
DST_END = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)
#: The plugin's window: identity/text duplicates only within it.
WINDOW = timedelta(hours=72)
CATEGORIES = ("cross_channel", "same_channel", "ticket_number", "store_review", "unrelated")
CHANNELS = ("email", "chat", "whatsapp", "messenger", "phone", "app_store_review", "sms", "web_form", "api")
IDENTITY_KINDS = ("email", "phone", "whatsapp", "messenger", "app_store", "app_user", "external")

rng = random.Random(SEED)


def hours(h: float) -> timedelta:
    return timedelta(hours=h)


# --------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------

FR_FIRST = [
    "Zoé", "Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Julie", "Émilie", "Claire",
    "Anaïs", "Mathilde", "Océane", "Pauline", "Hélène", "Nathalie", "Sophie", "Aurélie",
    "Margaux", "Lucie", "Thomas", "Nicolas", "Julien", "Maxime", "Antoine", "Hugo", "Lucas",
    "Mehdi", "Karim", "Théo", "Baptiste", "Guillaume", "Sébastien", "Jérôme", "François",
    "Olivier", "Yannick", "Rémi", "Cédric", "Amadou", "Yasmine", "Fatou", "Élodie", "Gaëlle",
]
FR_LAST = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert",
    "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc",
    "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu", "Clément",
    "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Benali", "Diallo", "Nguyen",
]
EN_FIRST = [
    "Oliver", "George", "Harry", "Jack", "James", "William", "Noah", "Leo", "Oscar", "Charlie",
    "Amelia", "Olivia", "Isla", "Emily", "Ava", "Sophie", "Grace", "Lily", "Freya", "Ella",
    "Daniel", "Samuel", "Thomas", "Joseph", "Priya", "Aisha", "Hannah", "Rebecca", "Laura",
    "Michael", "David", "Ethan", "Chloe", "Megan", "Ruth", "Callum", "Rhys", "Niamh", "Fiona",
]
EN_LAST = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood",
    "Jackson", "Clarke", "Patel", "Khan", "Lewis", "Hughes", "Edwards", "Turner", "Hill",
    "Moore", "Cooper", "Ward", "Morris", "King", "Baker", "Harrison", "Morgan", "Murphy",
    "Kelly", "Campbell", "Stewart", "Reid", "O'Brien", "Shah", "Ahmed", "Price",
]


def fold(text: str) -> str:
    """Lower case without accents (as customers type when in a hurry)."""
    nfd = unicodedata.normalize("NFD", text)
    return "".join(c for c in nfd if not unicodedata.combining(c)).lower()


def ascii_word(text: str) -> str:
    return re.sub(r"[^a-z]", "", fold(text))


@dataclass
class Person:
    first: str
    last: str
    lang: str
    email: str
    e164: str  # the mobile number, E.164
    messenger: str
    app_user: str
    external: str

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


_used_names: set[str] = set()
_used_emails: set[str] = set()
_used_numbers: set[str] = set()
_used_ids: set[str] = set()


def _unique_token(make) -> str:
    while True:
        value = make()
        if value not in _used_ids:
            _used_ids.add(value)
            return value


def new_person(lang: str, first: str | None = None, last: str | None = None) -> Person:
    """A person nobody else in the set is: their name, e-mail, number and ids are unique
    (unless `first`/`last` are given, to build namesakes)."""
    firsts, lasts = (FR_FIRST, FR_LAST) if lang == "fr" else (EN_FIRST, EN_LAST)
    if first is None or last is None:
        for _ in range(10_000):
            f, l = rng.choice(firsts), rng.choice(lasts)
            if f"{f} {l}" not in _used_names:
                break
        first, last = first or f, last or l
    _used_names.add(f"{first} {last}")
    f, l = ascii_word(first), ascii_word(last)
    domain = "example.fr" if lang == "fr" and rng.random() < 0.8 else "example.com"
    for attempt in range(100):
        local = rng.choice([f"{f}.{l}", f"{f}.{l}", f"{f[0]}{l}", f"{f}{l[0]}", f"{f}.{l}{rng.randint(2, 99)}", f"{l}.{f}"])
        if attempt > 5:
            local += str(rng.randint(100, 999))
        email = f"{local}@{domain}"
        if email not in _used_emails:
            _used_emails.add(email)
            break
    while True:
        if lang == "fr":
            e164 = "+33" + rng.choice("67") + "".join(str(rng.randint(0, 9)) for _ in range(8))
        else:
            e164 = "+447" + rng.choice(["4", "5", "7", "8", "9"]) + "".join(str(rng.randint(0, 9)) for _ in range(8))
        if e164 not in _used_numbers:
            _used_numbers.add(e164)
            break
    messenger = _unique_token(lambda: str(rng.randint(10**15, 10**16 - 1)))
    app_user = _unique_token(lambda: "usr_" + "".join(rng.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(8)))
    external = _unique_token(lambda: "crm-" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(2)) + str(rng.randint(100000, 999999)))
    return Person(first, last, lang, email, e164, messenger, app_user, external)


def phone_spellings(e164: str) -> list[str]:
    """Every way the set writes one mobile number (all the same E.164 number)."""
    if e164.startswith("+33"):
        n = e164[3:]  # 9 digits, 6xxxxxxxx
        pairs = " ".join([n[1:3], n[3:5], n[5:7], n[7:9]])
        return [
            f"0{n[0]} {pairs}",
            f"+33 (0){n[0]} {pairs}",
            f"0033 {n[0]} {pairs}",
            e164,
            f"0{n}",
            f"0{n[0]}.{pairs.replace(' ', '.')}",
            f"+33 {n[0]} {pairs}",
        ]
    n = e164[3:]  # 10 digits, 7xxxxxxxxx
    return [
        f"+44 {n[:4]} {n[4:]}",
        e164,
        f"0044 {n[:4]} {n[4:]}",
        f"+44 (0){n[:4]} {n[4:]}",
        f"+44 {n[:4]} {n[4:7]} {n[7:]}",
    ]


def id_email(p: Person, case: str = "asis") -> dict:
    value = p.email
    if case == "title":
        local, domain = value.split("@")
        value = ".".join(part[:1].upper() + part[1:] for part in local.split(".")) + "@" + domain[:1].upper() + domain[1:]
    elif case == "upper":
        value = value.upper()
    return {"kind": "email", "value": value}


def id_phone(p: Person, spelling: int | None = None) -> dict:
    forms = phone_spellings(p.e164)
    return {"kind": "phone", "value": forms[spelling % len(forms)] if spelling is not None else rng.choice(forms)}


def id_whatsapp(p: Person) -> dict:
    return {"kind": "whatsapp", "value": p.e164[1:]}


def id_messenger(p: Person) -> dict:
    return {"kind": "messenger", "value": p.messenger}


def id_app_user(p: Person) -> dict:
    return {"kind": "app_user", "value": p.app_user}


def id_external(p: Person) -> dict:
    return {"kind": "external", "value": p.external}


def channel_identity(p: Person, channel: str, case: str = "asis", spelling: int | None = None) -> dict:
    """The identity a ticket on `channel` naturally carries."""
    if channel in ("email", "web_form"):
        return id_email(p, case)
    if channel in ("phone", "sms"):
        return id_phone(p, spelling)
    if channel == "whatsapp":
        return id_whatsapp(p)
    if channel == "messenger":
        return id_messenger(p)
    if channel == "chat":
        return id_app_user(p)
    if channel == "api":
        return id_external(p)
    raise ValueError(f"no identity for channel {channel!r}")


# --------------------------------------------------------------------------------------
# Texts
# --------------------------------------------------------------------------------------

FR_MERCHANTS = ["Carrefour", "la Fnac", "Leroy Merlin", "Monoprix", "SNCF Connect", "Decathlon", "Picard", "Boulanger", "Sephora", "Darty"]
EN_MERCHANTS = ["Tesco", "Amazon", "Uber", "Deliveroo", "Boots", "Sainsbury's", "Ryanair", "Argos", "Currys", "Pret"]


def details(lang: str) -> dict:
    cents = rng.choice([0, 0, 50, 90, 99, 40, 20, 75])
    euros = rng.choice([12, 19, 23, 35, 49, 64, 89, 120, 149, 249, 310, 18, 72])
    if lang == "fr":
        amount = f"{euros},{cents:02d} €" if cents else f"{euros} €"
        order = "CMD-" + str(rng.randint(1000000, 9999999))
        merchant = rng.choice(FR_MERCHANTS)
    else:
        cur = rng.choice(["£", "£", "€"])
        amount = f"{cur}{euros}.{cents:02d}" if cents else f"{cur}{euros}"
        order = rng.choice(["ZX", "UK", "AB"]) + "-" + str(rng.randint(1000000, 9999999))
        merchant = rng.choice(EN_MERCHANTS)
    return {"amount": amount, "order": order, "merchant": merchant, "last4": f"{rng.randint(0, 9999):04d}"}


# Each topic: per language, subjects, long e-mail cores and short chat lines. Slots:
# {amount} {order} {merchant} {last4}. A group's members share one set of details.
TOPICS: dict[str, dict[str, dict[str, list[str]]]] = {
    "refund": {
        "label": "a missing refund",
        "fr": {
            "subject": ["Remboursement non reçu", "Toujours pas de remboursement pour ma commande {order}", "Où en est mon remboursement ?"],
            "long": [
                "J'ai retourné ma commande {order} il y a plus de deux semaines et je n'ai toujours pas reçu le remboursement de {amount}. D'après le suivi, le colis a bien été réceptionné par votre entrepôt. Pouvez-vous me dire où en est le remboursement ?",
                "Je me permets de vous écrire au sujet du remboursement de {amount} promis suite à l'annulation de ma commande {order}. On m'avait annoncé un délai de 5 jours ouvrés, cela en fait bientôt 12 et rien n'apparaît sur mon compte. Merci de vérifier ce qui bloque.",
            ],
            "short": [
                "toujours pas reçu mon remboursement de {amount} pour la commande {order}",
                "Bonjour, mon remboursement de {amount} n'est jamais arrivé, vous pouvez regarder ?",
                "remboursement toujours pas arrivé... ça fait 2 semaines que j'ai renvoyé le colis",
            ],
        },
        "en": {
            "subject": ["Refund not received", "Still waiting for my refund ({order})", "Where is my refund?"],
            "long": [
                "I returned order {order} over two weeks ago and I still haven't received the refund of {amount}. Tracking shows the parcel was delivered to your warehouse. Could you tell me where the refund is?",
                "I'm writing about the {amount} refund I was promised after cancelling order {order}. I was told it would take 5 working days; it has now been almost 12 and nothing has shown up on my account. Please check what's holding it up.",
            ],
            "short": [
                "still no refund for order {order}, it's been 2 weeks",
                "Hi, my refund of {amount} never arrived, can you check?",
                "where is my refund?? sent the parcel back ages ago",
            ],
        },
    },
    "card_declined": {
        "label": "a declined card",
        "fr": {
            "subject": ["Carte refusée", "Paiement refusé avec ma carte", "Ma carte ne passe plus"],
            "long": [
                "Depuis hier ma carte se fait refuser partout, chez {merchant} comme en ligne, alors que mon solde est largement suffisant. Je n'ai reçu aucune notification de blocage. Pouvez-vous regarder ce qui se passe sur ma carte se terminant par {last4} ?",
                "Ce midi ma carte (fin {last4}) a été refusée au moment de payer {amount} chez {merchant}. J'ai réessayé deux fois, même résultat, et j'ai dû payer autrement. Mon plafond n'est pas atteint. Y a-t-il un blocage de votre côté ?",
            ],
            "short": [
                "ma carte est refusée partout depuis hier, c'est normal ?",
                "carte refusée chez {merchant} alors que j'ai de l'argent sur le compte",
                "Bonjour, paiement refusé avec ma carte fin {last4}, vous pouvez débloquer ?",
            ],
        },
        "en": {
            "subject": ["Card declined", "Payment declined with my card", "My card stopped working"],
            "long": [
                "Since yesterday my card has been declined everywhere, at {merchant} and online, even though there is plenty of money in the account. I didn't get any notification about a block. Could you look at what's going on with my card ending {last4}?",
                "At lunchtime my card (ending {last4}) was declined when I tried to pay {amount} at {merchant}. I tried twice with the same result and had to pay another way. I'm nowhere near my limit. Is there a block on your side?",
            ],
            "short": [
                "my card keeps getting declined since yesterday, why?",
                "card declined at {merchant} but I have money in the account",
                "Hi, payment declined with card ending {last4}, can you unblock it?",
            ],
        },
    },
    "card_stolen": {
        "label": "a stolen card",
        "fr": {
            "subject": ["Carte volée", "URGENT carte perdue", "Opposition carte bancaire"],
            "long": [
                "On m'a volé mon sac ce matin dans le métro avec ma carte bancaire dedans (fin {last4}). Je n'arrive pas à faire opposition depuis l'application, le bouton ne répond pas. Merci de la bloquer au plus vite et de m'en envoyer une nouvelle.",
                "Je viens de me rendre compte que j'ai perdu ma carte, probablement hier soir au restaurant. Je vois un paiement de {amount} chez {merchant} que je n'ai pas fait. Pouvez-vous bloquer la carte immédiatement et contester ce paiement ?",
            ],
            "short": [
                "on m'a volé ma carte, bloquez-la svp !!",
                "carte perdue et il y a un paiement de {amount} que je n'ai pas fait",
                "URGENT je veux faire opposition sur ma carte fin {last4}",
            ],
        },
        "en": {
            "subject": ["Stolen card", "URGENT lost card", "Please block my card"],
            "long": [
                "My bag was stolen on the tube this morning with my bank card in it (ending {last4}). I can't block it from the app, the button doesn't respond. Please block it as soon as possible and send me a new one.",
                "I've just realised I lost my card, probably at the restaurant last night. There's a payment of {amount} at {merchant} that I didn't make. Can you block the card right away and dispute that payment?",
            ],
            "short": [
                "my card got stolen, please block it now!!",
                "lost my card and there's a {amount} payment I didn't make",
                "URGENT please block my card ending {last4}",
            ],
        },
    },
    "unknown_debit": {
        "label": "a debit the customer does not recognise",
        "fr": {
            "subject": ["Prélèvement inconnu", "Débit que je ne reconnais pas", "Opération suspecte sur mon compte"],
            "long": [
                "Je constate sur mon relevé un débit de {amount} au nom de {merchant} que je ne reconnais pas du tout. Je n'ai jamais été cliente chez eux. Pouvez-vous m'expliquer d'où vient ce prélèvement et le bloquer s'il s'agit d'une fraude ?",
                "En consultant mon compte ce matin j'ai vu une opération de {amount} que je n'ai pas faite. Ma carte est toujours en ma possession. J'ai peur que mes données aient été piratées, que dois-je faire ?",
            ],
            "short": [
                "j'ai un débit de {amount} que je ne reconnais pas, c'est quoi ?",
                "prélèvement {merchant} de {amount} sur mon compte, ce n'est pas moi",
                "opération suspecte de {amount} ce matin, je n'ai rien acheté",
            ],
        },
        "en": {
            "subject": ["Unknown transaction", "Payment I don't recognise", "Suspicious charge on my account"],
            "long": [
                "There is a {amount} charge from {merchant} on my statement that I don't recognise at all. I've never shopped with them. Can you tell me where it comes from and stop it if it's fraud?",
                "Checking my account this morning I saw a {amount} transaction I didn't make. I still have my card with me. I'm worried my details have been stolen, what should I do?",
            ],
            "short": [
                "there's a {amount} charge I don't recognise, what is it?",
                "{merchant} took {amount} from my account, that wasn't me",
                "suspicious payment of {amount} this morning, I didn't buy anything",
            ],
        },
    },
    "parcel_missing": {
        "label": "a parcel that never arrived",
        "fr": {
            "subject": ["Colis non livré", "Commande {order} jamais reçue", "Livraison introuvable"],
            "long": [
                "Ma commande {order} est indiquée comme livrée depuis lundi, mais je n'ai rien reçu : ni colis, ni avis de passage, et mes voisins n'ont rien vu non plus. Pouvez-vous ouvrir une enquête auprès du transporteur ?",
                "J'attends toujours ma commande {order} passée il y a dix jours. Le suivi est bloqué sur « en cours d'acheminement » depuis une semaine. C'était un cadeau d'anniversaire, j'aimerais savoir si je dois recommander.",
            ],
            "short": [
                "colis marqué livré mais j'ai rien reçu, commande {order}",
                "Bonjour, ma commande {order} n'est toujours pas arrivée",
                "le suivi de mon colis ne bouge plus depuis une semaine",
            ],
        },
        "en": {
            "subject": ["Parcel not delivered", "Order {order} never arrived", "Missing delivery"],
            "long": [
                "My order {order} has been marked as delivered since Monday but I haven't received anything: no parcel, no card through the door, and my neighbours haven't seen it either. Can you open an investigation with the courier?",
                "I'm still waiting for order {order}, placed ten days ago. Tracking has been stuck on 'in transit' for a week. It's a birthday present so I'd like to know whether I should reorder.",
            ],
            "short": [
                "parcel says delivered but I got nothing, order {order}",
                "Hi, my order {order} still hasn't arrived",
                "tracking hasn't moved for a week, where is my parcel?",
            ],
        },
    },
    "login": {
        "label": "a login problem",
        "fr": {
            "subject": ["Impossible de me connecter", "Compte bloqué", "Problème de connexion"],
            "long": [
                "Depuis ce week-end je n'arrive plus à me connecter à mon compte : après avoir saisi mon mot de passe, l'application me renvoie sur l'écran d'accueil sans message. J'ai réinitialisé mon mot de passe deux fois, sans effet. Pouvez-vous m'aider ?",
                "Mon compte est bloqué après trois tentatives de connexion ratées et le lien de réinitialisation que je reçois par e-mail a déjà expiré quand je clique dessus. Je n'ai plus accès à mon argent, c'est très gênant.",
            ],
            "short": [
                "j'arrive plus à me connecter à mon compte",
                "compte bloqué après 3 essais, le lien de réinitialisation marche pas",
                "Bonjour, impossible de me connecter depuis samedi",
            ],
        },
        "en": {
            "subject": ["Can't log in", "Account locked", "Login problem"],
            "long": [
                "Since the weekend I can't log in to my account: after I enter my password the app just sends me back to the welcome screen with no message. I've reset my password twice, it didn't help. Can you help?",
                "My account got locked after three failed login attempts and the reset link I get by email has already expired by the time I click it. I can't access my money, which is a real problem.",
            ],
            "short": [
                "can't log in to my account anymore",
                "account locked after 3 tries and the reset link doesn't work",
                "Hi, I haven't been able to log in since Saturday",
            ],
        },
    },
    "double_charge": {
        "label": "a double charge",
        "fr": {
            "subject": ["Débité deux fois", "Double prélèvement", "Paiement en double"],
            "long": [
                "J'ai payé {amount} chez {merchant} samedi et la somme a été débitée deux fois de mon compte. Le commerçant affirme n'avoir reçu qu'un seul paiement. Merci de rembourser le second débit.",
                "Lors de ma commande {order}, le paiement a d'abord échoué puis je l'ai relancé ; résultat, j'ai été prélevée deux fois de {amount}. Je n'ai évidemment reçu qu'une seule commande. Pouvez-vous corriger ?",
            ],
            "short": [
                "j'ai été débité 2 fois de {amount} chez {merchant}",
                "double prélèvement de {amount} sur ma commande {order}",
                "Bonjour, paiement pris deux fois, vous pouvez rembourser le doublon ?",
            ],
        },
        "en": {
            "subject": ["Charged twice", "Double payment", "Duplicate charge"],
            "long": [
                "I paid {amount} at {merchant} on Saturday and the amount was taken from my account twice. The shop says they only received one payment. Please refund the second charge.",
                "When I placed order {order} the payment failed at first so I tried again; now I've been charged {amount} twice. I obviously only got one order. Can you sort this out?",
            ],
            "short": [
                "I've been charged twice for {amount} at {merchant}",
                "double charge of {amount} on order {order}",
                "Hi, payment taken twice, can you refund the duplicate?",
            ],
        },
    },
    "transfer_pending": {
        "label": "a transfer stuck pending",
        "fr": {
            "subject": ["Virement en attente", "Virement bloqué", "Mon virement n'est pas arrivé"],
            "long": [
                "J'ai fait un virement de {amount} vendredi vers le compte de mon propriétaire et il est toujours « en attente » dans l'application. Mon propriétaire n'a rien reçu et le loyer est en retard. Pouvez-vous débloquer ce virement ?",
                "Le virement de {amount} que j'ai émis lundi n'est toujours pas parti : l'appli indique « en cours de vérification » depuis trois jours. Avez-vous besoin d'un document de ma part ?",
            ],
            "short": [
                "mon virement de {amount} est toujours en attente depuis vendredi",
                "virement bloqué \"en cours de vérification\" depuis 3 jours",
                "Bonjour, mon virement n'est pas arrivé chez le destinataire",
            ],
        },
        "en": {
            "subject": ["Transfer pending", "Transfer stuck", "My transfer hasn't arrived"],
            "long": [
                "I sent a transfer of {amount} to my landlord on Friday and it's still showing as 'pending' in the app. My landlord hasn't received anything and the rent is now late. Can you release the transfer?",
                "The {amount} transfer I made on Monday still hasn't gone through: the app has said 'under review' for three days. Do you need a document from me?",
            ],
            "short": [
                "my {amount} transfer is still pending since Friday",
                "transfer stuck 'under review' for 3 days",
                "Hi, my transfer never reached the recipient",
            ],
        },
    },
    "close_account": {
        "label": "closing the account",
        "fr": {
            "subject": ["Clôture de compte", "Demande de fermeture de compte", "Résiliation"],
            "long": [
                "Je souhaite clôturer mon compte et récupérer le solde restant par virement vers mon compte principal. Pouvez-vous m'indiquer la marche à suivre ? Je ne trouve pas l'option dans l'application.",
                "Suite à mon déménagement à l'étranger je voudrais fermer mon compte. Merci de me confirmer la clôture par écrit et de m'indiquer si des frais s'appliquent.",
            ],
            "short": [
                "je veux fermer mon compte, comment on fait ?",
                "Bonjour, je souhaite clôturer mon compte svp",
                "résiliation de mon compte, l'option n'existe pas dans l'appli",
            ],
        },
        "en": {
            "subject": ["Close my account", "Account closure request", "Cancel my account"],
            "long": [
                "I'd like to close my account and have the remaining balance sent to my main bank account. Can you tell me how to do that? I can't find the option in the app.",
                "I'm moving abroad and would like to close my account. Please confirm the closure in writing and let me know if there are any fees.",
            ],
            "short": [
                "I want to close my account, how do I do it?",
                "Hi, please close my account",
                "how do I cancel my account? can't find it in the app",
            ],
        },
    },
    "kyc": {
        "label": "identity documents rejected",
        "fr": {
            "subject": ["Justificatif refusé", "Vérification d'identité", "Mes documents sont refusés"],
            "long": [
                "J'ai envoyé trois fois ma pièce d'identité pour la vérification de mon compte et elle est refusée à chaque fois avec le message « document illisible ». La photo est pourtant nette. Mon compte reste limité, que dois-je faire ?",
                "Mon justificatif de domicile a été rejeté alors qu'il s'agit d'une facture d'électricité de moins de trois mois. Sans cette validation je ne peux pas recevoir mon salaire. Pouvez-vous le vérifier manuellement ?",
            ],
            "short": [
                "ma pièce d'identité est refusée à chaque fois, document illisible",
                "justificatif de domicile rejeté, pourtant c'est une facture récente",
                "Bonjour, la vérification de mon identité bloque depuis une semaine",
            ],
        },
        "en": {
            "subject": ["Document rejected", "Identity verification", "My ID keeps being rejected"],
            "long": [
                "I've uploaded my passport three times for the account verification and it's rejected every time with 'document unreadable'. The photo is perfectly clear. My account is still limited, what should I do?",
                "My proof of address was rejected even though it's an electricity bill from last month. Without this I can't receive my salary. Could you check it manually?",
            ],
            "short": [
                "my ID keeps getting rejected, says document unreadable",
                "proof of address rejected but it's a recent bill",
                "Hi, my identity check has been stuck for a week",
            ],
        },
    },
    "sms_code": {
        "label": "a security code that never arrives",
        "fr": {
            "subject": ["Code SMS non reçu", "Je ne reçois pas le code de validation", "Code de sécurité"],
            "long": [
                "Je ne reçois plus les codes de validation par SMS pour confirmer mes paiements en ligne. J'ai vérifié mon numéro dans l'application, il est correct, et je reçois bien les autres SMS. Je suis bloqué pour payer {merchant}.",
                "Impossible de valider mon paiement de {amount} : le code de sécurité n'arrive jamais, même après plusieurs demandes de renvoi. Mon opérateur dit que tout fonctionne de son côté.",
            ],
            "short": [
                "je reçois pas le code sms pour valider mon paiement",
                "code de sécurité jamais reçu, j'ai demandé 5 fois",
                "Bonjour, plus aucun code de validation par SMS depuis hier",
            ],
        },
        "en": {
            "subject": ["SMS code not received", "Not getting the verification code", "Security code"],
            "long": [
                "I no longer receive the SMS verification codes to confirm online payments. I've checked my number in the app, it's correct, and I get other texts fine. I can't pay {merchant} because of this.",
                "I can't confirm my {amount} payment: the security code never arrives, even after asking for it to be resent several times. My network says everything is fine on their end.",
            ],
            "short": [
                "not getting the sms code to confirm my payment",
                "security code never arrives, asked 5 times",
                "Hi, no verification texts at all since yesterday",
            ],
        },
    },
    "charged_after_cancel": {
        "label": "a charge after cancelling a subscription",
        "fr": {
            "subject": ["Prélevé après résiliation", "Abonnement résilié mais toujours prélevé", "Prélèvement abonnement"],
            "long": [
                "J'ai résilié mon abonnement premium le mois dernier (j'ai reçu l'e-mail de confirmation) et pourtant j'ai encore été prélevée de {amount} ce mois-ci. Merci de me rembourser et de vérifier que la résiliation est bien prise en compte.",
                "Malgré la résiliation de mon abonnement début octobre, un nouveau prélèvement de {amount} a eu lieu hier. Je ne veux plus être débité, pouvez-vous arrêter cela et me rembourser ?",
            ],
            "short": [
                "j'ai résilié mon abonnement mais vous m'avez encore prélevé {amount}",
                "encore prélevé après résiliation, remboursez-moi svp",
                "Bonjour, abonnement résilié en octobre et toujours débité",
            ],
        },
        "en": {
            "subject": ["Charged after cancelling", "Subscription cancelled but still charged", "Subscription charge"],
            "long": [
                "I cancelled my premium subscription last month (I got the confirmation email) and yet I was charged {amount} again this month. Please refund me and make sure the cancellation has gone through.",
                "Even though I cancelled my subscription at the beginning of October, another {amount} was taken yesterday. I don't want to be charged any more, can you stop it and refund me?",
            ],
            "short": [
                "cancelled my subscription but you charged me {amount} again",
                "still charged after cancelling, please refund",
                "Hi, cancelled in October and still being charged",
            ],
        },
    },
    "atm": {
        "label": "an ATM withdrawal debited but not dispensed",
        "fr": {
            "subject": ["Retrait DAB non distribué", "Distributeur : argent non reçu", "Retrait débité sans billets"],
            "long": [
                "Hier soir j'ai voulu retirer {amount} à un distributeur, l'opération a échoué et aucun billet n'est sorti, mais le montant a bien été débité de mon compte. Pouvez-vous lancer une réclamation pour que je sois recréditée ?",
                "Le distributeur a gardé mes billets : écran figé puis retour de la carte sans argent. Le retrait de {amount} apparaît pourtant sur mon compte. J'ai le ticket si besoin.",
            ],
            "short": [
                "retrait de {amount} débité mais le distributeur m'a rien donné",
                "le DAB a pas sorti les billets et j'ai été débité",
                "Bonjour, retrait raté mais argent débité, que faire ?",
            ],
        },
        "en": {
            "subject": ["ATM didn't dispense cash", "Cash machine: money not received", "Withdrawal debited, no cash"],
            "long": [
                "Last night I tried to withdraw {amount} from a cash machine, the transaction failed and no notes came out, but the amount was still taken from my account. Can you open a claim so I get it back?",
                "The cash machine kept my money: the screen froze and then it returned the card without any cash. The {amount} withdrawal still shows on my account. I have the receipt if needed.",
            ],
            "short": [
                "{amount} withdrawal debited but the ATM gave me nothing",
                "cash machine didn't give me the notes and I was charged",
                "Hi, withdrawal failed but the money left my account, what now?",
            ],
        },
    },
    "card_not_received": {
        "label": "a new card that has not arrived",
        "fr": {
            "subject": ["Carte non reçue", "Nouvelle carte jamais arrivée", "Envoi de ma carte"],
            "long": [
                "J'ai commandé une nouvelle carte il y a trois semaines, l'application indique qu'elle a été expédiée le 2 octobre mais je ne l'ai toujours pas reçue. Mon adresse est correcte. Faut-il en recommander une ?",
                "Ma carte de remplacement n'est jamais arrivée et l'ancienne expire à la fin du mois. Je crains qu'elle ait été perdue ou volée pendant l'envoi. Pouvez-vous la bloquer et en envoyer une autre ?",
            ],
            "short": [
                "ma nouvelle carte est toujours pas arrivée, 3 semaines",
                "carte de remplacement jamais reçue, vous pouvez en renvoyer une ?",
                "Bonjour, j'attends toujours ma carte commandée début octobre",
            ],
        },
        "en": {
            "subject": ["Card not received", "New card never arrived", "Where is my card?"],
            "long": [
                "I ordered a new card three weeks ago, the app says it was posted on 2 October but it still hasn't arrived. My address is correct. Should I order another one?",
                "My replacement card never arrived and the old one expires at the end of the month. I'm worried it was lost or stolen in the post. Can you block it and send another?",
            ],
            "short": [
                "my new card still hasn't arrived, 3 weeks now",
                "replacement card never came, can you send another one?",
                "Hi, still waiting for the card I ordered early October",
            ],
        },
    },
    "promo": {
        "label": "a promo code or cashback not applied",
        "fr": {
            "subject": ["Code promo non appliqué", "Cashback pas crédité", "Offre de parrainage"],
            "long": [
                "J'ai utilisé le code de bienvenue lors de ma commande {order} mais la réduction n'a pas été appliquée et j'ai payé le plein tarif, {amount}. Pouvez-vous me rembourser la différence ?",
                "Mon filleul a ouvert son compte avec mon lien de parrainage il y a un mois et aucun des deux n'a reçu la prime promise. Pouvez-vous vérifier ?",
            ],
            "short": [
                "mon code promo n'a pas marché sur la commande {order}",
                "prime de parrainage jamais reçue",
                "Bonjour, le cashback de ma commande n'est pas crédité",
            ],
        },
        "en": {
            "subject": ["Promo code not applied", "Cashback not credited", "Referral bonus"],
            "long": [
                "I used the welcome code on order {order} but the discount wasn't applied and I paid full price, {amount}. Can you refund the difference?",
                "A friend opened an account with my referral link a month ago and neither of us has received the promised bonus. Could you look into it?",
            ],
            "short": [
                "promo code didn't work on order {order}",
                "never got my referral bonus",
                "Hi, cashback from my order hasn't been credited",
            ],
        },
    },
    "address_change": {
        "label": "changing the postal address",
        "fr": {
            "subject": ["Changement d'adresse", "Modifier mon adresse postale", "Déménagement"],
            "long": [
                "Je viens de déménager et je n'arrive pas à modifier mon adresse postale dans l'application : le formulaire affiche une erreur à l'enregistrement. Ma nouvelle carte doit être envoyée à la bonne adresse, pouvez-vous faire la modification ?",
                "Suite à mon déménagement, merci de mettre à jour mon adresse. L'appli me demande un justificatif que j'ai déjà envoyé deux fois.",
            ],
            "short": [
                "je n'arrive pas à changer mon adresse dans l'appli",
                "Bonjour, j'ai déménagé, comment modifier mon adresse ?",
                "erreur quand j'enregistre ma nouvelle adresse",
            ],
        },
        "en": {
            "subject": ["Change of address", "Update my postal address", "Moving house"],
            "long": [
                "I've just moved and I can't update my postal address in the app: the form shows an error when I save. My new card needs to go to the right address, can you make the change?",
                "I've moved house, please update my address. The app asks for proof of address which I've already sent twice.",
            ],
            "short": [
                "can't change my address in the app",
                "Hi, I've moved, how do I update my address?",
                "error when I save my new address",
            ],
        },
    },
    "wrong_item": {
        "label": "a wrong or damaged item",
        "fr": {
            "subject": ["Article endommagé", "Mauvais article reçu", "Produit cassé à la livraison"],
            "long": [
                "J'ai reçu ma commande {order} aujourd'hui mais l'article est arrivé cassé, le carton était déchiré. Je joins les photos. Je souhaite un remplacement ou un remboursement de {amount}.",
                "Le colis de ma commande {order} contenait un article qui n'est pas celui que j'ai commandé (mauvaise taille et mauvaise couleur). Comment puis-je le renvoyer et recevoir le bon ?",
            ],
            "short": [
                "article reçu cassé, commande {order}",
                "j'ai reçu le mauvais article, pas la bonne taille",
                "Bonjour, produit abîmé à la livraison, je veux un remboursement",
            ],
        },
        "en": {
            "subject": ["Item damaged", "Wrong item received", "Product broken on delivery"],
            "long": [
                "My order {order} arrived today but the item was broken, the box was torn. Photos attached. I'd like a replacement or a refund of {amount}.",
                "The parcel for order {order} contained the wrong item (wrong size and wrong colour). How do I send it back and get the right one?",
            ],
            "short": [
                "item arrived broken, order {order}",
                "got the wrong item, not the size I ordered",
                "Hi, product damaged on delivery, I want a refund",
            ],
        },
    },
    "fees": {
        "label": "unexpected fees",
        "fr": {
            "subject": ["Frais inexpliqués", "Question sur des frais", "Frais de tenue de compte"],
            "long": [
                "Je vois des frais de {amount} prélevés ce mois-ci sous le libellé « frais de service » alors que mon offre est censée être gratuite. Pouvez-vous m'expliquer à quoi ils correspondent ?",
                "Pour un paiement en livres sterling j'ai été facturée {amount} de frais de change, ce qui ne correspond pas du tout à la grille tarifaire de votre site. Merci de vérifier.",
            ],
            "short": [
                "c'est quoi ces frais de {amount} sur mon compte ?",
                "frais de change beaucoup trop élevés sur mon paiement",
                "Bonjour, je croyais que le compte était gratuit, pourquoi des frais ?",
            ],
        },
        "en": {
            "subject": ["Unexplained fees", "Question about fees", "Account fee"],
            "long": [
                "I can see a {amount} fee taken this month labelled 'service fee' although my plan is supposed to be free. Can you explain what it's for?",
                "For a payment in euros I was charged {amount} in exchange fees, which doesn't match the price list on your website at all. Please check.",
            ],
            "short": [
                "what's this {amount} fee on my account?",
                "exchange fee way too high on my payment",
                "Hi, I thought the account was free, why the fees?",
            ],
        },
    },
}
TOPIC_NAMES = list(TOPICS)

# An outage: many people write about the same problem the same morning.
OUTAGE = {
    "fr": {
        "subject": ["Application en panne", "Impossible d'accéder à l'appli", "Panne ?", "Appli HS"],
        "open": ["", "", "Bonjour, ", "Hello, ", "Bonsoir, "],
        "core": [
            "l'application ne marche plus depuis ce matin, j'ai une erreur « Service indisponible » à chaque connexion",
            "impossible d'ouvrir l'appli, elle tourne dans le vide puis affiche une erreur réseau",
            "je ne peux plus accéder à mon compte ni depuis l'appli ni depuis le site, tout est en erreur",
            "l'appli est en panne ? écran blanc et message d'erreur 503",
            "plus rien ne fonctionne, ni l'appli ni le site, j'ai un paiement urgent à faire",
            "votre service est en panne ? aucune page ne charge depuis 8h",
        ],
        "close": ["", " Merci.", " C'est urgent.", " Vous avez une idée de quand ça revient ?", " Merci de me tenir au courant."],
    },
    "en": {
        "subject": ["App down", "Can't access the app", "Outage?", "Service not working"],
        "open": ["", "", "Hi, ", "Hello, ", "Hey, "],
        "core": [
            "the app hasn't worked since this morning, I get 'Service unavailable' every time I log in",
            "can't open the app, it just spins and then shows a network error",
            "I can't get into my account from the app or the website, everything errors out",
            "is the app down? white screen and a 503 error",
            "nothing works, neither the app nor the website, and I have an urgent payment to make",
            "is your service down? no page has loaded since 8am",
        ],
        "close": ["", " Thanks.", " It's urgent.", " Any idea when it'll be back?", " Please keep me posted."],
    },
}

GREETINGS = {
    "fr": ["Bonjour,", "Bonjour,", "Bonjour Madame, Monsieur,", "Bonsoir,", "Hello,", "Bonjour à vous,"],
    "en": ["Hello,", "Hi,", "Dear Sir or Madam,", "Hi there,", "Good morning,", "Hello team,"],
}


def signature(lang: str, p: Person, kind: str | None = None) -> str:
    kinds = ["formal", "thanks", "dash", "plain", "iphone", "formal"]
    kind = kind or rng.choice(kinds)
    if lang == "fr":
        return {
            "formal": f"Cordialement,\n{p.name}",
            "thanks": f"Merci d'avance,\n{p.first}",
            "dash": f"--\n{p.name}\n{phone_spellings(p.e164)[0]}",
            "plain": f"Bien à vous,\n{p.first} {p.last.upper()}",
            "iphone": f"{p.first}\n\nEnvoyé de mon iPhone",
        }[kind]
    return {
        "formal": f"Kind regards,\n{p.name}",
        "thanks": f"Thanks,\n{p.first}",
        "dash": f"--\n{p.name}\n{phone_spellings(p.e164)[0]}",
        "plain": f"Best,\n{p.first}",
        "iphone": f"{p.first}\n\nSent from my iPhone",
    }[kind]


def fill(template: str, d: dict) -> str:
    return template.format(**d)


def cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def typo(text: str, n: int = 1) -> str:
    """Swaps two letters in `n` longer words (as typed on a phone)."""
    words = text.split(" ")
    idx = [i for i, w in enumerate(words) if len(w) > 5 and w.isalpha()]
    for i in rng.sample(idx, min(n, len(idx))):
        w = words[i]
        j = rng.randint(1, len(w) - 3)
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return " ".join(words)


def smsify(text: str, lang: str) -> str:
    """SMS style: lower case, abbreviations, sometimes no accents."""
    t = text
    if lang == "fr":
        for a, b in [("Bonjour, ", "bjr "), ("s'il vous plaît", "svp"), ("je n'ai", "jai"), ("j'ai", "jai"), ("c'est", "cest"), ("pourquoi", "pk"), ("quelque chose", "qqch")]:
            t = t.replace(a, b)
    else:
        for a, b in [("Hi, ", "hi "), ("please", "pls"), ("you", "u"), ("thanks", "thx"), ("I've", "ive"), ("I'm", "im")]:
            t = t.replace(a, b)
    t = t[:1].lower() + t[1:]
    if rng.random() < 0.4:
        t = fold(t)
    return t


def email_body(lang: str, p: Person, core: str, greet: bool = True, sign: str | None = "random") -> str:
    parts = []
    if greet:
        parts.append(rng.choice(GREETINGS[lang]))
    parts.append(core)
    if sign == "random":
        parts.append(signature(lang, p))
    elif sign:
        parts.append(signature(lang, p, sign))
    return "\n\n".join(parts)


FR_DAYS = ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."]
FR_MONTHS = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]
EN_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
EN_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def paris(t: datetime) -> datetime:
    return t.astimezone(timezone(hours(2 if t < DST_END else 1)))


def quote_header(lang: str, orig: "Draft", p: Person) -> str:
    """The line a mail client writes above quoted history, in the original's Paris
    (or London) wall-clock time."""
    if lang == "fr":
        t = paris(orig.at)
        return f"Le {FR_DAYS[t.weekday()]} {t.day} {FR_MONTHS[t.month - 1]} {t.year} à {t:%H:%M}, {p.name} <{p.email}> a écrit :"
    t = orig.at.astimezone(timezone(hours(1 if orig.at < DST_END else 0)))
    h12 = t.hour % 12 or 12
    return f"On {EN_DAYS[t.weekday()]}, {EN_MONTHS[t.month - 1]} {t.day}, {t.year} at {h12}:{t:%M} {'AM' if t.hour < 12 else 'PM'} {p.name} <{p.email}> wrote:"


def quoted(lang: str, top: str, orig: "Draft", p: Person) -> str:
    q = "\n".join("> " + line if line else ">" for line in orig.body.split("\n"))
    return f"{top}\n\n{quote_header(lang, orig, p)}\n{q}"


def sentence(line: str) -> str:
    """A chat line inside a longer message: no greeting, a final punctuation mark."""
    line = re.sub(r"^(Bonjour|Hi|Hello|Hey|Bonsoir),? ", "", line).strip()
    line = line[:1].lower() + line[1:] if not line[:2].isupper() else line
    return line if line.endswith((".", "!", "?")) else line + "."


def spoken(line: str) -> str:
    """A chat line as said on the phone: no greeting, no final punctuation."""
    line = re.sub(r"^(Bonjour|Hi|Hello|Hey|Bonsoir),? ", "", line).rstrip(" .!?")
    return line[:1].lower() + line[1:] if not line[:2].isupper() else line


def phone_transcript(lang: str, p: Person, core: str) -> str:
    if lang == "fr":
        return rng.choice([
            f"Message vocal (transcription automatique) : « Oui bonjour, c'est {p.name}, {core}. Merci de me rappeler. »",
            f"Appel entrant, transcription : « Bonjour, {p.first} {p.last} à l'appareil, je vous appelle parce que {core}. »",
        ])
    return rng.choice([
        f"Voicemail (automatic transcript): \"Hi, this is {p.name}, {core}. Please call me back.\"",
        f"Incoming call, transcript: \"Hello, it's {p.first} {p.last}, I'm calling because {core}.\"",
    ])


def message_for(channel: str, lang: str, p: Person, topic: str, d: dict, variant: int | None = None, length: str | None = None) -> tuple[str | None, str]:
    """A natural first message about `topic` on `channel`: (subject, body)."""
    t = TOPICS[topic][lang]
    subject = fill(rng.choice(t["subject"]), d)
    if length is None:
        length = "long" if channel in ("email", "web_form") else "short"
    if length == "long":
        core = fill(t["long"][variant % 2 if variant is not None else rng.randrange(2)], d)
    else:
        core = fill(t["short"][variant % 3 if variant is not None else rng.randrange(3)], d)
        if channel in ("email", "web_form"):
            core = cap(sentence(core))
    if channel == "email":
        return subject, email_body(lang, p, core)
    if channel == "web_form":
        body = core if rng.random() < 0.6 else email_body(lang, p, core, sign=rng.choice(["thanks", "formal", None]))
        return ("Formulaire de contact : " if lang == "fr" else "Contact form: ") + subject, body
    if channel == "phone":
        short = fill(t["short"][variant % 3 if variant is not None else rng.randrange(3)], d)
        return None, phone_transcript(lang, p, spoken(short))
    if channel in ("whatsapp", "sms"):
        return None, smsify(core, lang) if rng.random() < 0.7 else cap(core)
    if channel in ("chat", "messenger", "api"):
        return None, cap(core) if rng.random() < 0.6 else smsify(core, lang)
    raise ValueError(f"no message for channel {channel!r}")


# --------------------------------------------------------------------------------------
# Drafts and time
# --------------------------------------------------------------------------------------


@dataclass
class Draft:
    """One ticket before rendering. `body`, `subject` and `why` may hold `<<num:KEY>>`
    (the ticket number of draft KEY), `<<free:N>>` (the N-th number no ticket carries)
    and `<<id:KEY>>` (the id of draft KEY)."""

    key: str
    category: str
    role: str  # original | duplicate | negative | link | background
    kind: str  # the case kind, for the counts (e.g. "linked by an earlier ticket")
    channel: str
    lang: str
    name: str | None
    identities: list[dict]
    subject: str | None
    body: str
    at: datetime
    problem: str  # two drafts are about the same problem iff equal
    dup_of: str | None = None
    why: str = ""
    review: str | None = None  # store reviews: the review this text is a copy of
    want_number: bool = False
    zone: str = "local"
    # set when rendered
    id: str = ""
    number: int | None = None


drafts: list[Draft] = []
_key_counter = 0


def new_key() -> str:
    global _key_counter
    _key_counter += 1
    return f"k{_key_counter}"


def add(**kw) -> Draft:
    kw.setdefault("key", new_key())
    draft = Draft(**kw)
    if draft.channel not in ("email", "web_form"):
        assert draft.subject is None, draft
    draft.zone = "Z" if rng.random() < (0.5 if draft.lang == "en" else 0.35) else "local"
    drafts.append(draft)
    return draft


def base_time(span: timedelta = timedelta(0), earliest: datetime = START) -> datetime:
    """A random daytime instant (07:00-22:00 in Paris) leaving `span` before END."""
    lo, hi = earliest, END - span
    assert hi > lo, (earliest, span)
    while True:
        t = lo + timedelta(seconds=rng.randint(0, int((hi - lo).total_seconds())))
        if 7 <= paris(t).hour < 22:
            return t.replace(microsecond=0)


def later(t: datetime, lo_h: float, hi_h: float) -> datetime:
    return (t + timedelta(seconds=rng.randint(int(lo_h * 3600), int(hi_h * 3600)))).replace(microsecond=0)


def fmt_time(t: datetime, zone: str) -> str:
    if zone == "Z":
        return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return paris(t).isoformat()


def delta_text(a: datetime, b: datetime) -> str:
    s = (b - a).total_seconds()
    if s < 3600:
        return f"{round(s / 60)} min"
    return f"{s / 3600:.0f} h"


def pick_lang() -> str:
    return "fr" if rng.random() < 0.6 else "en"


def other_topic(*avoid: str) -> str:
    return rng.choice([t for t in TOPIC_NAMES if t not in avoid])


SHORT_CHANNELS = ["whatsapp", "chat", "messenger", "sms", "phone"]


# --------------------------------------------------------------------------------------
# Case families
# --------------------------------------------------------------------------------------

CHANNEL_WORDS = {
    "email": "e-mail", "web_form": "web form", "chat": "chat", "whatsapp": "WhatsApp",
    "messenger": "Messenger", "sms": "SMS", "phone": "phone", "app_store_review": "store review", "api": "API",
}


def original(category: str, kind: str, channel: str, p: Person, identities: list[dict], topic: str, d: dict,
             at: datetime, problem: str | None = None, length: str | None = None, **kw) -> Draft:
    subject, body = message_for(channel, p.lang, p, topic, d, length=length)
    return add(category=category, role="original", kind=kind, channel=channel, lang=p.lang, name=p.name,
               identities=identities, subject=subject, body=body, at=at, problem=problem or new_key(),
               why=kw.pop("why", f"Original: first {CHANNEL_WORDS[channel]} ticket about {TOPICS[topic]['label']}."), **kw)


def link_ticket(category: str, p: Person, identities: list[dict], before: datetime, channel: str) -> Draft:
    """A ticket about another problem, days earlier, that shows two of p's identities
    together (so links them from then on)."""
    topic = rng.choice(["address_change", "close_account", "promo", "fees", "kyc"])
    at = later(max(START, before - timedelta(days=rng.uniform(4, 10))), 0, 2)
    if at >= before - hours(74):
        at = before - hours(rng.uniform(80, 100))
    assert at >= START, at
    d = details(p.lang)
    subject, body = message_for(channel, p.lang, p, topic, d)
    return add(category=category, role="link", kind="identity link", channel=channel, lang=p.lang, name=p.name,
               identities=identities, subject=subject, body=body, at=at, problem=new_key(),
               why=f"Not a duplicate: another problem ({TOPICS[topic]['label']}); shows the {', '.join(i['kind'] for i in identities)} identities together, linking them.")


def follow_up_text(channel: str, p: Person, topic: str, d: dict, first: Draft) -> tuple[str | None, str]:
    """The same problem told again on another channel, in other words."""
    lang = p.lang
    t = TOPICS[topic][lang]
    if channel in ("email", "web_form"):
        core = fill(rng.choice(t["long"]), d)
        if first.channel not in ("email", "web_form") and rng.random() < 0.5:
            extra = " Je vous ai déjà écrit à ce sujet." if lang == "fr" else " I already wrote to you about this."
            core += extra
        subject = fill(rng.choice(t["subject"]), d)
        if channel == "web_form":
            return ("Formulaire de contact : " if lang == "fr" else "Contact form: ") + subject, core
        return subject, email_body(lang, p, core)
    subject, body = message_for(channel, lang, p, topic, d)
    if first.channel == "email" and channel != "phone" and rng.random() < 0.35:
        body += rng.choice([" (j'ai envoyé un mail hier)", " je vous ai écrit par mail", " pas de réponse à mon mail"] if lang == "fr"
                           else [" (emailed you yesterday)", " I sent an email already", " no reply to my email"])
    return subject, body


def cc_positive(mode: str) -> None:
    """A person on e-mail, then on another channel (sometimes a third), about one problem."""
    lang = pick_lang()
    p = new_person(lang)
    topic = rng.choice(TOPIC_NAMES)
    d = details(lang)
    problem = new_key()
    other = rng.choice(SHORT_CHANNELS)
    members = 3 if mode == "three" else 2
    base = base_time(span=hours(72), earliest=START + (timedelta(days=11) if mode == "earlier_ticket" else timedelta(0)))
    case = rng.choice(["asis", "title", "upper"])
    if mode == "first_has_both":
        ids_a = [id_email(p), channel_identity(p, other, spelling=rng.randrange(7))]
        rng.shuffle(ids_a)
        a = original("cross_channel", "first ticket has both identities", "email", p, ids_a, topic, d, base, problem)
        ids_b = [channel_identity(p, other, spelling=rng.randrange(7))]
        how = f"the {ids_b[0]['kind']} identity is on <<id:{a.key}>>"
    elif mode == "earlier_ticket":
        # The earlier ticket shows the e-mail address with the identity the follow-up
        # will come from (a CRM-known requester, a form asking for both, a chat login).
        link_channel = rng.choice(["web_form", "email", "api"] + (["chat"] * 2 if other == "chat" else []))
        if other == "whatsapp" and rng.random() < 0.5:
            shown = id_phone(p, rng.randrange(7))  # the same E.164 number as the WhatsApp id
        else:
            shown = channel_identity(p, other, spelling=rng.randrange(7))
        ids_l = [id_email(p, rng.choice(["asis", "title", "upper"])), shown]
        if link_channel == "chat":
            ids_l.reverse()
        elif link_channel == "api":
            ids_l.insert(0, id_external(p))
        link = link_ticket("cross_channel", p, ids_l, base, link_channel)
        a = original("cross_channel", "linked by an earlier ticket", "email", p, [id_email(p, case)], topic, d, base, problem)
        ids_b = [channel_identity(p, other, spelling=rng.randrange(7))]
        how = f"linked to the e-mail address by <<id:{link.key}>>"
    elif mode == "second_has_both":
        a = original("cross_channel", "second ticket has both identities", "email", p, [id_email(p)], topic, d, base, problem)
        other = "web_form"
        ids_b = [id_email(p, case), id_phone(p, rng.randrange(7))]
        how = "same e-mail address" + ("" if case == "asis" else " (other case)")
    elif mode == "email_case":
        a = original("cross_channel", "e-mail case variant", "email", p, [id_email(p)], topic, d, base, problem)
        other = rng.choice(["web_form", "chat"])
        ids_b = [id_email(p, rng.choice(["title", "upper"]))]
        how = "same e-mail address in other case"
    elif mode == "reversed":
        first_channel = rng.choice(["whatsapp", "chat", "messenger"])
        ids_a = [channel_identity(p, first_channel)]
        a = original("cross_channel", "short channel first", first_channel, p, ids_a, topic, d, base, problem)
        other = "email"
        ids_b = [id_email(p), dict(ids_a[0]) if first_channel != "whatsapp" else id_phone(p, rng.randrange(7))]
        how = f"<<id:{a.key}>>'s {ids_a[0]['kind']} identity is on it too"
    elif mode == "three":
        ids_a = [id_email(p), id_phone(p, rng.randrange(7))]
        a = original("cross_channel", "three channels", "email", p, ids_a, topic, d, base, problem)
        other = "whatsapp"
        ids_b = [id_whatsapp(p)]
        how = "the WhatsApp number is the phone number on <<id:" + a.key + ">>"
    else:
        raise ValueError(mode)
    # Often right after the e-mail (no reply yet), sometimes days later.
    t_b = later(base, 0.1, 0.75) if rng.random() < 0.25 else later(base, 0.75, 40 if members == 3 else 70)
    subject, body = follow_up_text(other, p, topic, d, a)
    add(category="cross_channel", role="duplicate", kind=a.kind, channel=other, lang=lang, name=p.name if rng.random() < 0.85 else None,
        identities=ids_b, subject=subject, body=body, at=t_b, problem=problem, dup_of=a.key,
        why=f"Same person ({how}), same problem by {CHANNEL_WORDS[other]} {delta_text(a.at, t_b)} after <<id:{a.key}>>.")
    if members == 3:
        t_c = later(t_b, 0.5, 69 - (t_b - base).total_seconds() / 3600)
        ch = rng.choice(["phone", "sms", "chat"])
        ids_c = [id_phone(p, rng.randrange(7))] if ch != "chat" else [id_app_user(p), id_whatsapp(p)]
        subject, body = follow_up_text(ch, p, topic, d, a)
        add(category="cross_channel", role="duplicate", kind=a.kind, channel=ch, lang=lang, name=p.name,
            identities=ids_c, subject=subject, body=body, at=t_c, problem=problem, dup_of=a.key,
            why=f"Third message of the group by {CHANNEL_WORDS[ch]}, same number as <<id:{a.key}>>; merged into the group's first ticket.")


def cc_negative(mode: str) -> None:
    lang = pick_lang()
    p = new_person(lang)
    topic = rng.choice(TOPIC_NAMES)
    d = details(lang)
    other = rng.choice(SHORT_CHANNELS)
    if mode == "other_problem":
        base = base_time(span=hours(72))
        a = original("cross_channel", "same person, other problem", "email", p, [id_email(p), channel_identity(p, other)], topic, d, base)
        t2 = other_topic(topic)
        at = later(base, 1, 60)
        subject, body = message_for(other, lang, p, t2, details(lang))
        add(category="cross_channel", role="negative", kind=a.kind, channel=other, lang=lang, name=p.name, identities=[channel_identity(p, other)],
            subject=subject, body=body, at=at, problem=new_key(),
            why=f"Hard negative: same person as <<id:{a.key}>> but another problem ({TOPICS[t2]['label']}).")
    elif mode == "beyond_window":
        base = base_time(span=hours(130))
        a = original("cross_channel", "same person beyond 72 h", "email", p, [id_email(p), channel_identity(p, other)], topic, d, base, problem := new_key())
        at = later(base, 73, 120)
        subject, body = follow_up_text(other, p, topic, d, a)
        add(category="cross_channel", role="negative", kind=a.kind, channel=other, lang=lang, name=p.name, identities=[channel_identity(p, other)],
            subject=subject, body=body, at=at, problem=problem,
            why=f"Hard negative: same person and problem as <<id:{a.key}>> but {delta_text(a.at, at)} later, beyond the 72 h window.")
    elif mode == "never_together":
        base = base_time(span=hours(72))
        a = original("cross_channel", "identities never seen together", "email", p, [id_email(p)], topic, d, base, problem := new_key())
        at = later(base, 0.5, 48)
        other = rng.choice(["whatsapp", "sms", "messenger", "phone"])
        subject, body = follow_up_text(other, p, topic, d, a)
        add(category="cross_channel", role="negative", kind=a.kind, channel=other, lang=lang, name=p.name, identities=[channel_identity(p, other)],
            subject=subject, body=body, at=at, problem=problem,
            why=f"Hard negative: same name and problem as <<id:{a.key}>>, but its {CHANNEL_WORDS[other]} identity was never seen with that e-mail address.")
    elif mode in ("plus_tag", "dot"):
        base = base_time(span=hours(72))
        a = original("cross_channel", "+tag or dotless address", "email", p, [id_email(p)], topic, d, base, problem := new_key())
        local, domain = p.email.split("@")
        if mode == "plus_tag":
            variant = f"{local}+{rng.choice(['shop', 'banque', 'achats', 'news', 'perso', 'pro'])}@{domain}"
        else:
            variant = f"{local.replace('.', '')}@{domain}" if "." in local else f"{local[:1]}.{local[1:]}@{domain}"
        _used_emails.add(variant)
        at = later(base, 0.5, 48)
        ch = rng.choice(["web_form", "chat", "email"])
        subject, body = follow_up_text(ch, p, topic, d, a)
        add(category="cross_channel", role="negative", kind=a.kind, channel=ch, lang=lang, name=p.name, identities=[{"kind": "email", "value": variant}],
            subject=subject, body=body, at=at, problem=problem,
            why=f"Hard negative: {variant} is another address than <<id:{a.key}>>'s ({'+tags' if mode == 'plus_tag' else 'dots'} are not removed).")
    else:
        raise ValueError(mode)


def outage(day: datetime, people: int) -> None:
    """Many people write about one outage within a few hours (same problem, different
    people); one of them writes twice, on two channels, and that is a duplicate."""
    problem = new_key()
    first: Draft | None = None
    times = sorted(later(day, 0, 4) for _ in range(people))
    twice = rng.randrange(1, people - 1)
    for i, at in enumerate(times):
        lang = pick_lang()
        p = new_person(lang)
        o = OUTAGE[lang]
        ch = rng.choice(["email", "whatsapp", "chat", "messenger", "web_form", "sms", "phone"]) if i else "email"
        close = rng.choice(o["close"])
        core = rng.choice(o["core"]) + ("." if close or ch in ("email", "web_form") else "") + close
        core = cap(core) if ch in ("email", "web_form", "phone") else cap(rng.choice(o["open"]) + core)
        ids = [channel_identity(p, ch)] if i != twice else [channel_identity(p, ch), id_phone(p, rng.randrange(7))] if ch not in ("phone", "sms", "whatsapp") else [channel_identity(p, ch), id_email(p)]
        subject = rng.choice(o["subject"]) if ch in ("email", "web_form") else None
        body = email_body(lang, p, core) if ch == "email" else phone_transcript(lang, p, spoken(core)) if ch == "phone" else smsify(core, lang) if ch in ("sms", "whatsapp") and rng.random() < 0.5 else core
        if first is None:
            first = add(category="cross_channel", role="original", kind="outage", channel=ch, lang=lang, name=p.name, identities=ids,
                        subject=subject, body=body, at=at, problem=problem, why="Original: first ticket about the outage of the morning.")
            continue
        neg = add(category="cross_channel", role="negative", kind="outage", channel=ch, lang=lang, name=p.name, identities=ids,
                  subject=subject, body=body, at=at, problem=problem,
                  why=f"Hard negative: same outage as <<id:{first.key}>> but another person.")
        if i == twice:
            ch2 = "whatsapp" if ch not in ("whatsapp", "sms", "phone") else "email"
            ids2 = [channel_identity(p, ch2)]
            core2 = rng.choice(o["core"]) + (", toujours rien" if lang == "fr" else ", still nothing")
            subject2 = rng.choice(o["subject"]) if ch2 == "email" else None
            at2 = later(at, 0.2, 3)
            add(category="cross_channel", role="duplicate", kind="outage", channel=ch2, lang=lang, name=p.name, identities=ids2,
                subject=subject2, body=email_body(lang, p, cap(core2)) if ch2 == "email" else smsify(core2, lang), at=at2, problem=problem,
                dup_of=neg.key, why=f"Same person as <<id:{neg.key}>> (linked identities) writes again about the outage by {CHANNEL_WORDS[ch2]}.")
            neg.role, neg.why = "original", f"Original for its author: same outage as <<id:{first.key}>> but another person (a hard negative for that ticket)."


# ---- same channel ----

def resend_variant(channel: str, p: Person, a: Draft, topic: str, d: dict, style: str) -> tuple[str | None, str, str]:
    """A re-send of `a` on the same channel: (subject, body, how)."""
    lang = p.lang
    t = TOPICS[topic][lang]
    if style == "identical":
        return a.subject, a.body, "identical re-send"
    if style == "quoted":
        top = rng.choice(["Je me permets de vous relancer, toujours aucune nouvelle.", "Bonjour, pouvez-vous me répondre svp ?", "Relance : toujours rien de votre côté.", "Toujours sans réponse..."]
                         if lang == "fr" else ["Following up, still no news.", "Hello, could you please reply?", "Chasing this up, still nothing.", "Still no answer..."])
        subj = ("RE: " if rng.random() < 0.5 else "Re: ") + (a.subject or "")
        return subj, quoted(lang, top, a, p), "re-send with the quoted history"
    if style == "signature":
        body = a.body.rsplit("\n\n", 1)[0] if "\n\n" in a.body else a.body
        return a.subject, body + "\n\n" + signature(lang, p, rng.choice(["iphone", "dash", "formal"])), "re-send with another signature"
    if style == "shorter":
        core = fill(rng.choice(t["short"]), d)
        if channel in ("email", "web_form"):
            core = sentence(core)
            return a.subject if channel == "web_form" else fill(rng.choice(t["subject"]), d), cap(core) if channel == "web_form" else email_body(lang, p, cap(core), sign=rng.choice(["thanks", None])), "shorter rewording"
        return None, cap(core), "rewording"
    if style == "folded":
        return (fold(a.subject) if a.subject else None), fold(a.body), "re-send without accents or capitals"
    if style == "typo":
        return a.subject, typo(a.body, 2) + ("??" if channel not in ("email", "web_form") else ""), "re-send with typos"
    raise ValueError(style)


# Re-send styles, taken in turn so that each kind is well represented.
RESEND_STYLES = {
    "email": itertools.cycle(["quoted", "identical", "signature", "shorter", "quoted", "folded", "typo"]),
    "short": itertools.cycle(["identical", "shorter", "folded", "typo"]),
}


def sc_positive(channel: str) -> None:
    lang = pick_lang()
    p = new_person(lang)
    topic = rng.choice(TOPIC_NAMES)
    d = details(lang)
    problem = new_key()
    base = base_time(span=hours(72))
    ident = channel_identity(p, channel)
    a = original("same_channel", f"re-send on {channel}", channel, p, [ident], topic, d, base, problem)
    styles = RESEND_STYLES["email" if channel == "email" else "short"]
    members = 3 if rng.random() < 0.22 else 2
    t_prev = base
    for _ in range(members - 1):
        style = next(styles)
        at = later(t_prev, 0.05, 30) if members == 3 else later(base, 0.05, 70)
        if style == "identical" and rng.random() < 0.5:
            at = later(t_prev, 0.02, 0.25)  # sent twice by mistake
        t_prev = at
        subject, body, how = resend_variant(channel, p, a, topic, d, style)
        ids = [dict(ident)] if not (channel == "email" and rng.random() < 0.2) else [id_email(p, "title")]
        add(category="same_channel", role="duplicate", kind=a.kind, channel=channel, lang=lang, name=p.name, identities=ids,
            subject=subject, body=body, at=at, problem=problem, dup_of=a.key,
            why=f"Same {CHANNEL_WORDS[channel]} identity, {how} of <<id:{a.key}>> {delta_text(a.at, at)} later.")


def sc_negative(mode: str, channel: str) -> None:
    lang = pick_lang()
    p = new_person(lang)
    topic = rng.choice(TOPIC_NAMES)
    d = details(lang)
    base = base_time(span=hours(72))
    ident = channel_identity(p, channel)
    if mode == "other_problem":
        a = original("same_channel", "same person, other problem", channel, p, [ident], topic, d, base)
        t2 = other_topic(topic)
        at = later(base, 0.3, 60)
        subject, body = message_for(channel, lang, p, t2, details(lang))
        add(category="same_channel", role="negative", kind=a.kind, channel=channel, lang=lang, name=p.name, identities=[dict(ident)],
            subject=subject, body=body, at=at, problem=new_key(),
            why=f"Hard negative: same person as <<id:{a.key}>>, {delta_text(a.at, at)} later, but another problem ({TOPICS[t2]['label']}).")
    elif mode == "same_words":
        a = original("same_channel", "same wording, different people", channel, p, [ident], topic, d, base, problem := new_key(), length="short")
        q = new_person(lang)
        at = later(base, 0.2, 48)
        # The same words; the other person's own name, number, card and order.
        body = a.body.replace(p.name, q.name).replace(p.last.upper(), q.last.upper()).replace(p.first, q.first)
        body = body.replace(phone_spellings(p.e164)[0], phone_spellings(q.e164)[0])
        mine = details(lang)
        for slot in ("order", "last4"):
            body = body.replace(d[slot], mine[slot])
        add(category="same_channel", role="negative", kind=a.kind, channel=channel, lang=lang, name=q.name, identities=[channel_identity(q, channel)],
            subject=a.subject.replace(d["order"], mine["order"]) if a.subject else None, body=body, at=at, problem=problem,
            why=f"Hard negative: the same words as <<id:{a.key}>> from another person.")
    else:
        raise ValueError(mode)


# ---- ticket numbers ----

# How customers cite a ticket number in a body: (the form, the phrase around it).
REF_BODY = {
    "fr": [
        ("ticket {n}", "le ticket {n}"),
        ("ticket #{n}", "le ticket #{n}"),
        ("demande n°{n}", "ma demande n°{n}"),
        ("demande n° {n}", "ma demande n° {n}"),
        ("dossier {n}", "mon dossier {n}"),
        ("ref. {n}", "ma demande (ref. {n})"),
        ("votre référence {n}", "ma demande, votre référence {n}"),
    ],
    "en": [
        ("ticket {n}", "ticket {n}"),
        ("ticket #{n}", "ticket #{n}"),
        ("ref. {n}", "my request (ref. {n})"),
    ],
}
REF_SUBJECT = ["Re: [#{n}] {subject}", "[Ticket#{n}] {subject}", "RE: [#{n}] {subject}"]
REF_SAME = {
    "fr": ["Je reviens vers vous concernant {ref} : {short}", "Suite à {ref}, {short}", "Relance pour {ref}. {Short}", "{Ref} : toujours pas de solution. {Short}"],
    "en": ["I'm following up on {ref}: {short}", "Regarding {ref}, {short}", "Chasing {ref}. {Short}", "{Ref}: still not sorted. {Short}"],
}
REF_OTHER = {
    "fr": ["Suite à {ref}, voici le justificatif que vous m'avez demandé.", "Avez-vous du nouveau sur {ref} ?", "Pour {ref}, je vous confirme que je suis joignable tous les matins.",
           "Je vous renvoie la photo pour {ref}, la première était floue.", "Une question sur {ref} : dois-je faire quelque chose de mon côté ?"],
    "en": ["Following up on {ref}: here is the document you asked for.", "Any update on {ref}?", "About {ref}, I can be reached any morning this week.",
           "Resending the photo for {ref}, the first one was blurry.", "Quick question about {ref}: do I need to do anything on my end?"],
}
ORDER_REFS = {
    "fr": ["Bonjour, ma commande {n} n'est toujours pas arrivée, pouvez-vous vérifier ?", "Je n'ai pas reçu la facture {n} de mon achat, pouvez-vous me la renvoyer ?",
           "Ma commande n°{n} est arrivée incomplète, il manque un article.", "Pouvez-vous m'envoyer un duplicata de la facture {n} ? J'en ai besoin pour ma mutuelle."],
    "en": ["Hi, my order #{n} still hasn't arrived, can you check?", "Could you resend invoice {n}? I need it for my expenses.",
           "Order {n} arrived with one item missing.", "I can't download invoice #{n} from my account, the link is broken."],
}
SOMEONE_ELSE = {
    "fr": ["Je vous écris de la part de ma mère, qui n'est pas à l'aise avec internet : {ref} n'a toujours pas de réponse.".replace("{ref}", "son dossier {n}"),
           "Mon conjoint a ouvert le ticket {n} la semaine dernière, je voulais savoir où vous en êtes.",
           "J'ai le même problème que celui de la demande n°{n} dont m'a parlé une amie, pouvez-vous regarder mon compte aussi ?",
           "Je suis l'assistante de M. {other} : pouvez-vous nous donner des nouvelles du dossier {n} ?"],
    "en": ["I'm writing on behalf of my father, who isn't comfortable online: his ticket {n} still hasn't been answered.",
           "My partner opened ticket #{n} last week, I wanted to know where things stand.",
           "A friend told me about ticket {n}, I have the same problem, can you check my account too?",
           "I'm {other}'s assistant: could you give us an update on ticket {n}?"],
}


def ref_phrase(lang: str, placeholder: str) -> tuple[str, str]:
    form, phrase = rng.choice(REF_BODY[lang])
    return form.format(n=placeholder), phrase.format(n=placeholder)


def citing_message(lang: str, p: Person, channel: str, target: Draft, topic: str, d: dict, same_text: bool, a_subject: str | None) -> tuple[str | None, str, str]:
    """A message citing `target`'s number: (subject, body, the form used)."""
    n = f"<<num:{target.key}>>"
    short = sentence(fill(rng.choice(TOPICS[topic][lang]["short"]), d))
    if channel == "email" and rng.random() < 0.5:
        subj_form = rng.choice(REF_SUBJECT)
        subject = subj_form.format(n=n, subject=a_subject or fill(rng.choice(TOPICS[topic][lang]["subject"]), d))
        core = cap(short) if same_text else rng.choice(REF_OTHER[lang]).format(ref="ma demande" if lang == "fr" else "my request")
        return subject, email_body(lang, p, core), "\"" + subj_form.split(" {subject}")[0].format(n=n) + "\" in the subject"
    form, ref = ref_phrase(lang, n)
    if same_text:
        core = rng.choice(REF_SAME[lang]).format(ref=ref, Ref=cap(ref), short=short, Short=cap(short))
    else:
        core = rng.choice(REF_OTHER[lang]).format(ref=ref)
    if channel == "email":
        subject = fill(rng.choice(TOPICS[topic][lang]["subject"]), d)
        return subject, email_body(lang, p, core), f"\"{form}\""
    if channel == "web_form":
        return ("Formulaire de contact : " if lang == "fr" else "Contact form: ") + fill(rng.choice(TOPICS[topic][lang]["subject"]), d), core, f"\"{form}\""
    body = smsify(core, lang) if channel in ("whatsapp", "sms") and rng.random() < 0.4 else core
    return None, body, f"\"{form}\""


def tn_positive(mode: str) -> None:
    lang = pick_lang()
    p = new_person(lang)
    topic = rng.choice(TOPIC_NAMES)
    d = details(lang)
    problem = new_key()
    late = mode in ("after_window", "chain") or (mode == "other_text" and rng.random() < 0.5)
    span = hours(72 if mode == "within_window" else 330)
    base = base_time(span=span)
    first_channel = rng.choice(["email", "email", "email", "web_form", "chat", "whatsapp"])
    ids_a = [channel_identity(p, first_channel)]
    if mode == "linked_identity":
        first_channel = "email"
        ids_a = [id_email(p), id_phone(p, rng.randrange(7))]
    a = original("ticket_number", mode.replace("_", " "), first_channel, p, ids_a, topic, d, base, problem, want_number=True)
    target = a
    if mode == "chain":
        ch_b = rng.choice(["whatsapp", "chat", "messenger"])
        if first_channel in ("whatsapp", "chat"):
            ch_b = "email"
        ids_b = [channel_identity(p, ch_b), dict(ids_a[0])]
        at_b = later(base, 0.5, 40)
        subject, body = follow_up_text(ch_b, p, topic, d, a)
        b = add(category="ticket_number", role="duplicate", kind=a.kind, channel=ch_b, lang=lang, name=p.name, identities=ids_b,
                subject=subject, body=body, at=at_b, problem=problem, dup_of=a.key, want_number=True,
                why=f"Same person (shared identity with <<id:{a.key}>>), same problem {delta_text(a.at, at_b)} later.")
        target = b
        at = later(at_b, 80, 200)
        ch = rng.choice(["email", "web_form"])
        ids = [id_email(p)]
    elif mode == "linked_identity":
        ch = rng.choice(["whatsapp", "sms", "phone"]) if rng.random() < 0.8 else "sms"
        ch = "sms" if ch == "phone" else ch
        ids = [channel_identity(p, ch, spelling=rng.randrange(7))]
        at = later(base, 1, 200)
    else:
        ch = first_channel if rng.random() < 0.6 else rng.choice(["email", "web_form"])
        ids = [channel_identity(p, ch)] if ch == first_channel else [id_email(p, rng.choice(["asis", "title"]))]
        if ch != first_channel and first_channel not in ("email", "web_form"):
            ids.append(dict(ids_a[0]))
        at = later(base, 73, 320) if late else later(base, 0.5, 70)
    same_text = mode != "other_text" and rng.random() < 0.75
    subject, body, form = citing_message(lang, p, ch, target, topic, d, same_text, a.subject)
    why = (f"Cites {form} of <<id:{target.key}>>, which was merged into <<id:{a.key}>>; same person."
           if target is not a else f"Same person cites {form}, the number of <<id:{a.key}>>, {delta_text(a.at, at)} later.")
    add(category="ticket_number", role="duplicate", kind=a.kind, channel=ch, lang=lang, name=p.name, identities=ids,
        subject=subject, body=body, at=at, problem=problem if same_text else new_key(), dup_of=a.key, why=why, want_number=rng.random() < 0.3)


free_numbers = 0


def tn_negative(mode: str) -> None:
    global free_numbers
    lang = pick_lang()
    p = new_person(lang)
    topic = rng.choice(TOPIC_NAMES)
    d = details(lang)
    base = base_time(span=hours(200))
    ch_a = rng.choice(["email", "email", "web_form", "chat"])
    a = original("ticket_number", mode.replace("_", " "), ch_a, p, [channel_identity(p, ch_a)], topic, d, base, want_number=True)
    q = new_person(lang)
    ch = rng.choice(["email", "email", "web_form", "whatsapp", "chat"])
    n = f"<<num:{a.key}>>"
    at = later(base, 1, 190)
    if mode == "someone_else":
        core = rng.choice(SOMEONE_ELSE[lang]).format(n=n, other=p.last)
        why = f"Hard negative: cites the number of <<id:{a.key}>>, but is another person."
        who, problem = q, a.problem if rng.random() < 0.5 else new_key()
    elif mode in ("order_number", "order_number_same_person"):
        core = rng.choice(ORDER_REFS[lang]).format(n=n)
        who, problem = q, new_key()
        why = f"Hard negative: an order or invoice number that equals <<id:{a.key}>>'s ticket number, not a reference."
        if mode == "order_number_same_person":
            who = p
            at = later(base, 75, 190)
            ch = ch_a
            why = f"Hard negative: same person as <<id:{a.key}>>, another problem {delta_text(a.at, at)} later; its order or invoice number equals that ticket's number, but is not a reference."
    elif mode in ("no_such_number", "no_such_number_same_person"):
        free_numbers += 1
        form, ref = ref_phrase(lang, f"<<free:{free_numbers}>>")
        t2 = other_topic(topic)
        short = sentence(fill(rng.choice(TOPICS[t2][lang]["short"]), details(lang)))
        core = rng.choice(REF_SAME[lang]).format(ref=ref, Ref=cap(ref), short=short, Short=cap(short))
        who, problem = q, new_key()
        why = "Hard negative: cites a ticket number that no ticket carries."
        if mode == "no_such_number_same_person":
            who = p
            at = later(base, 0.5, 60)
            ch = ch_a
            why = f"Hard negative: same person as <<id:{a.key}>> but another problem, citing a ticket number that no ticket carries (not <<id:{a.key}>>'s)."
    else:
        raise ValueError(mode)
    if ch in ("whatsapp", "chat") and rng.random() < 0.5:
        core = smsify(core, lang)
    subject = None
    if ch in ("email", "web_form"):
        if mode == "someone_else":
            subject = fill(rng.choice(TOPICS[topic][lang]["subject"]), d)
        elif mode.startswith("order_number"):
            subject = rng.choice(["Ma commande", "Demande de facture", "Commande incomplète", "Facture"] if lang == "fr"
                                 else ["My order", "Invoice request", "Order problem", "Invoice"])
        else:
            subject = fill(rng.choice(TOPICS[t2][lang]["subject"]), d)
        if ch == "email":
            core = email_body(lang, who, core)
    ids = [channel_identity(who, ch)] if who is q else [dict(a_id) for a_id in a.identities]
    add(category="ticket_number", role="negative", kind=mode.replace("_", " "), channel=ch, lang=lang, name=who.name, identities=ids,
        subject=subject, body=core, at=at, problem=problem, why=why)


# ---- store reviews ----

REVIEWS = {
    "crash": {
        "fr": ["L'appli plante au démarrage depuis la dernière mise à jour.", "L'application crashe dès que je l'ouvre.",
               "Impossible de lancer l'appli, elle se ferme toute seule au bout de deux secondes.", "Depuis la mise à jour d'hier : écran noir puis fermeture.",
               "Plantage systématique au lancement, même après réinstallation.", "Elle quitte brutalement à chaque ouverture."],
        "en": ["The app crashes on startup since the last update.", "App crashes as soon as I open it.",
               "Can't launch the app, it closes itself after two seconds.", "Since yesterday's update: black screen and then it shuts.",
               "Crashes every single time on launch, even after reinstalling.", "It just quits the moment I tap the icon."],
    },
    "login": {
        "fr": ["Impossible de me connecter, ça tourne en boucle sur l'écran de connexion.", "Je dois ressaisir mon code à chaque fois et ça ne passe jamais.",
               "La connexion échoue sans arrêt avec une erreur inconnue.", "Bloqué sur « vérification en cours » à chaque connexion.",
               "Le code de connexion par SMS n'arrive jamais.", "On me déconnecte toutes les deux minutes."],
        "en": ["Can't log in, it loops back to the login screen.", "I have to re-enter my passcode every time and it never works.",
               "Login keeps failing with an unknown error.", "Stuck on 'verifying' every time I sign in.",
               "The login code by text never arrives.", "It logs me out every two minutes."],
    },
    "faceid": {
        "fr": ["Face ID ne fonctionne plus depuis la mise à jour.", "La reconnaissance faciale ne marche plus, je dois taper mon code à chaque fois.",
               "L'empreinte digitale n'est plus proposée à l'ouverture.", "Déverrouillage biométrique cassé sur mon iPhone."],
        "en": ["Face ID stopped working after the update.", "Face recognition is broken, I have to type my passcode every time.",
               "Fingerprint unlock is no longer offered when I open it.", "Biometric unlock broken on my iPhone."],
    },
    "payments": {
        "fr": ["Les paiements par l'appli échouent une fois sur deux.", "Impossible d'envoyer de l'argent à un ami, erreur à la validation.",
               "Le virement instantané ne passe jamais, message « réessayez plus tard ».", "Payer en sans contact avec le téléphone ne marche plus."],
        "en": ["Payments through the app fail half the time.", "Can't send money to a friend, error when confirming.",
               "Instant transfers never go through, 'try again later'.", "Contactless payment with my phone no longer works."],
    },
    "slow": {
        "fr": ["L'appli est devenue d'une lenteur incroyable.", "Chaque écran met dix secondes à charger.",
               "Ça rame énormément depuis la nouvelle version.", "Le solde met une éternité à s'afficher."],
        "en": ["The app has become incredibly slow.", "Every screen takes ten seconds to load.",
               "It lags massively since the new version.", "My balance takes forever to show up."],
    },
    "notifications": {
        "fr": ["Je ne reçois plus aucune notification de paiement.", "Les notifications arrivent avec des heures de retard.",
               "Plus d'alerte quand ma carte est débitée.", "Les notifications sont activées mais rien n'arrive."],
        "en": ["I no longer get any payment notifications.", "Notifications arrive hours late.",
               "No more alerts when my card is charged.", "Notifications are switched on but nothing comes through."],
    },
}
REVIEW_DETAILS = {
    "fr": ["J'ai réinstallé, rien à faire.", "Téléphone redémarré, toujours pareil.", "Sur iPhone 13 à jour.", "Sur Android 14, Samsung A54.",
           "Je ne peux plus consulter mon solde.", "Impossible de payer quoi que ce soit en magasin.", "Le service client ne répond pas.",
           "Ça dure depuis trois jours.", "Ma femme a le même souci.", "Pixel 7, dernière version."],
    "en": ["Reinstalled, no luck.", "Restarted my phone, same thing.", "On an up-to-date iPhone 13.", "On Android 14, Samsung A54.",
           "I can't even check my balance.", "Can't pay for anything in shops.", "Customer service doesn't reply.",
           "It's been like this for three days.", "My wife has the same issue.", "Pixel 7, latest version."],
}
REVIEW_OPEN = {
    "fr": ["", "", "Très déçue.", "Franchement nul.", "Appli inutilisable.", "Une étoile.", "Dommage,", "Sérieusement ?", "Grosse régression."],
    "en": ["", "", "Very disappointed.", "Honestly rubbish.", "Unusable app.", "One star.", "Shame,", "Seriously?", "Big step backwards."],
}
REVIEW_CLOSE = {
    "fr": ["", "Corrigez vite svp.", "Je vais changer de banque.", "Avant ça marchait très bien.", "Merci de faire quelque chose.", "1 étoile en attendant.", "Réglez ça !"],
    "en": ["", "Please fix asap.", "Thinking of switching banks.", "It used to work fine.", "Please do something.", "1 star until fixed.", "Sort it out!"],
}
GOOD_REVIEWS = {
    "fr": ["Super appli, les virements sont instantanés et l'interface est claire.", "Service client réactif, ma carte a été remplacée en deux jours.",
           "Très pratique pour gérer mon budget, les catégories de dépenses sont bien pensées.", "Ouverture de compte en dix minutes, bluffant.",
           "Appli fluide et simple, je recommande à toute ma famille.", "Les notifications en temps réel me rassurent beaucoup."],
    "en": ["Great app, transfers are instant and the layout is clean.", "Support was quick, my card was replaced in two days.",
           "Really handy for budgeting, the spending categories are well thought out.", "Opened my account in ten minutes, impressive.",
           "Smooth and simple, I've recommended it to my whole family.", "Real-time notifications give me real peace of mind."],
}
REVIEWER_NAMES = {
    "fr": ["{f} {l0}.", "{f}{l}", "{f}_{l}{n}", "{F}", "client_{n}", "{f}.{l0}"],
    "en": ["{F} {L0}.", "{f}{l}{n}", "{F}", "{f}_{l}", "user{n}"],
}


def tokens(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", fold(text)))


def jaccard(a: str, b: str) -> float:
    ta, tb = tokens(a), tokens(b)
    return len(ta & tb) / max(1, len(ta | tb))


def reviewer_name(lang: str) -> str | None:
    if rng.random() < 0.12:
        return None
    firsts, lasts = (FR_FIRST, FR_LAST) if lang == "fr" else (EN_FIRST, EN_LAST)
    f, l = rng.choice(firsts), rng.choice(lasts)
    pattern = rng.choice(REVIEWER_NAMES[lang])
    return pattern.format(f=ascii_word(f), F=f, l=ascii_word(l), l0=l[0], L0=l[0], n=rng.randint(2, 99))


# A store review's text is written once every review is placed in time (see
# `write_reviews`): these are its instructions.
review_specs: dict[str, dict] = {}


def store_review_draft(lang: str, role: str, kind: str, at: datetime, why: str, spec: dict, dup_of: str | None = None,
                       review: str | None = None, name: str | None = "random") -> Draft:
    draft = add(category=spec.pop("category", "store_review"), role=role, kind=kind, channel="app_store_review", lang=lang,
                name=reviewer_name(lang) if name == "random" else name, identities=[], subject=None, body="", at=at,
                problem=new_key(), dup_of=dup_of, why=why)
    draft.review = review or draft.key
    review_specs[draft.key] = spec
    return draft


def sr_group(with_window_negative: bool) -> None:
    lang = pick_lang()
    problem = rng.choice(list(REVIEWS))
    base = base_time(span=hours(160 if with_window_negative else 72))
    a = store_review_draft(lang, "original", "same review twice", base, "Original: a store review.", {"problem": problem})
    a.why = f"Original: store review about {problem}."
    copies = 2 if rng.random() < 0.1 else 1
    last = base
    edit_first = [rng.random() < 0.3]  # posted on both stores within the hour
    for _ in range(copies):
        at = later(base, 0.02, 1) if edit_first[0] else later(base, 0.02, 40 if with_window_negative else 70)
        last = max(last, at)
        edit = rng.choice(["identical", "identical", "typo", "punct", "star", "closer"])
        what = {"identical": "the same review posted again (other store)", "typo": "the same review with a typo changed",
                "punct": "the same review with punctuation added", "star": "the same review with the rating words changed",
                "closer": "the same review with a closing remark added"}[edit]
        store_review_draft(lang, "duplicate", "same review twice", at, f"Nearly the same text as <<id:{a.key}>> {delta_text(a.at, at)} later: {what}.",
                           {"copy": a.key, "edit": edit}, dup_of=a.key, review=a.key,
                           name=a.name if rng.random() < 0.4 else "random")
    at = later(base, 0.3, 70)
    store_review_draft(lang, "negative", "other reviewer, same problem", at,
                       f"Hard negative: another reviewer about the same problem ({problem}) as <<id:{a.key}>>, in other words.", {"problem": problem})
    if with_window_negative:
        at = later(last, 74, 110)  # beyond the window of every copy too
        store_review_draft(lang, "negative", "same review beyond 72 h", at,
                           f"Hard negative: the text of <<id:{a.key}>> posted again {delta_text(a.at, at)} later, beyond the 72 h window.",
                           {"copy": a.key, "edit": "identical"}, review=a.key, name=a.name)


def compose_review(lang: str, problem: str | None) -> str:
    if problem is None:
        return rng.choice(GOOD_REVIEWS[lang]) + (" " + rng.choice(["Merci !", "Bravo à l'équipe.", "5 étoiles."] if lang == "fr" else ["Thanks!", "Well done team.", "5 stars."]) if rng.random() < 0.5 else "")
    parts = [rng.choice(REVIEW_OPEN[lang]), rng.choice(REVIEWS[problem][lang]), rng.choice(REVIEW_DETAILS[lang]), rng.choice(REVIEW_CLOSE[lang])]
    if parts[0].endswith(","):
        parts[1] = parts[1][:1].lower() + parts[1][1:]
    if rng.random() < 0.3:
        parts[1] = fold(parts[1])
    return " ".join(x for x in parts if x)


def review_sentences(text: str) -> set[str]:
    """The sentences of a review, folded (to tell reviews that share one)."""
    return {fold(x).strip(" .!,?") for x in re.split(r"(?<=[.!?])\s+", text) if len(x) > 25}


def edit_review(text: str, edit: str, lang: str) -> str:
    if edit == "identical":
        return text
    if edit == "typo":
        t = typo(text, 1)
        return t if t != text else text.replace(" ", "  ", 1)
    if edit == "punct":
        return text.rstrip(".!") + rng.choice([" !!!", "!!", " 😡", " 👎"])
    if edit == "star":
        if "1 étoile" in text:
            return text.replace("1 étoile", "2 étoiles")
        if "1 star" in text:
            return text.replace("1 star", "2 stars")
        return text + (" 1 étoile." if lang == "fr" else " 1 star.")
    if edit == "closer":
        return text + " " + rng.choice(["Toujours pas corrigé.", "Merci."] if lang == "fr" else ["Still not fixed.", "Thanks."])
    raise ValueError(edit)


def write_reviews() -> None:
    """Writes every store review's text, in order of time, so that different reviews
    within 72 h of each other stay clearly different (token Jaccard below 0.45) and
    copies stay nearly the same."""
    reviews = sorted((d for d in drafts if d.channel == "app_store_review"), key=lambda d: d.at)
    by_key = {d.key: d for d in reviews}
    for d in reviews:
        spec = review_specs[d.key]
        near = [o for o in reviews if o.body and o.review != d.review and abs(o.at - d.at) <= WINDOW]
        if "copy" in spec:
            d.body = edit_review(by_key[spec["copy"]].body, spec["edit"], d.lang)
            continue
        for _ in range(500):
            text = compose_review(d.lang, spec.get("problem"))
            if (all(jaccard(text, o.body) < 0.45 and not review_sentences(text) & review_sentences(o.body) for o in near)
                    and all(text != o.body for o in reviews if o.body)):
                d.body = text
                break
        else:
            raise SystemExit(f"no distinct review text found for {d.key} ({spec})")


# ---- background ----

def background() -> None:
    lang = pick_lang()
    p = new_person(lang)
    ch = rng.choices(["email", "chat", "whatsapp", "web_form", "messenger", "phone", "sms", "api", "app_store_review"],
                     weights=[30, 15, 14, 10, 8, 7, 5, 3, 8])[0]
    at = base_time()
    if ch == "app_store_review":
        problem = rng.choice([None, None, *REVIEWS])
        store_review_draft(lang, "background", "background", at, "Unrelated: a store review nobody else wrote.",
                           {"problem": problem, "category": "unrelated"})
        return
    topic = rng.choice(TOPIC_NAMES)
    ids = [channel_identity(p, ch)]
    if rng.random() < 0.2 and ch != "api":
        ids.append(rng.choice([id_external(p), id_email(p) if ch not in ("email", "web_form") else id_phone(p)]))
    subject, body = message_for(ch, lang, p, topic, details(lang))
    add(category="unrelated", role="background", kind="background", channel=ch, lang=lang, name=p.name if ch != "api" or rng.random() < 0.5 else None,
        identities=ids, subject=subject, body=body, at=at, problem=new_key(),
        why=f"Unrelated: the only ticket of this person, about {TOPICS[topic]['label']}.")


# --------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------

FIRST_NUMBER = 48117


def place_and_number() -> tuple[dict[str, Draft], list[int]]:
    """Orders the drafts by instant (one second apart at least), gives them their ids
    and the helpdesk numbers (increasing with time, about a third of the tickets), and
    chooses the numbers no ticket carries. Returns the drafts by key and those numbers."""
    drafts.sort(key=lambda d: (d.at, d.key))
    for prev, d in zip(drafts, drafts[1:]):
        if d.at <= prev.at:
            d.at = prev.at + timedelta(seconds=1)
    for i, d in enumerate(drafts, 1):
        d.id = f"d-{i:04d}"
    forced = sum(d.want_number for d in drafts)
    extra = max(0, round(len(drafts) / 3) - forced)
    others = [d for d in drafts if not d.want_number]
    chosen = set(id(d) for d in rng.sample(others, extra))
    n = FIRST_NUMBER
    for d in drafts:
        if d.want_number or id(d) in chosen:
            d.number = n
            n += rng.randint(1, 5)
    carried = {d.number for d in drafts if d.number}
    gaps = [k for k in range(FIRST_NUMBER, n) if k not in carried]
    free = []
    for i in range(free_numbers):
        # Half in the gaps between carried numbers, half older than the set.
        pool = gaps if i % 2 == 0 else list(range(41000, FIRST_NUMBER - 100))
        k = rng.choice(pool)
        while k in free:
            k = rng.choice(pool)
        free.append(k)
    return {d.key: d for d in drafts}, free


PLACEHOLDER = re.compile(r"<<(num|free|id):([^>]+)>>")


def render_text(text: str | None, by_key: dict[str, Draft], free: list[int]) -> str | None:
    if text is None:
        return None

    def sub(m: re.Match) -> str:
        what, arg = m.group(1), m.group(2)
        if what == "id":
            return by_key[arg].id
        if what == "num":
            number = by_key[arg].number
            assert number is not None, f"draft {arg} is cited but carries no number"
            return str(number)
        return str(free[int(arg) - 1])

    return PLACEHOLDER.sub(sub, text)


def to_line(d: Draft, by_key: dict[str, Draft], free: list[int]) -> dict:
    when = fmt_time(d.at, d.zone)
    ticket = {
        "id": d.id,
        "channel": d.channel,
        "requester": {"name": d.name, "identities": d.identities, "language": d.lang},
        "subject": render_text(d.subject, by_key, free),
        "status": "new",
        "created_at": when,
        "updated_at": when,
    }
    if d.number is not None:
        ticket["fields"] = [{"name": "number", "value": {"text": str(d.number)}}]
    ticket["messages"] = [{
        "id": f"m-{d.id}",
        "author_role": "requester",
        "channel": d.channel,
        "body": render_text(d.body, by_key, free),
        "created_at": when,
    }]
    return {
        "event": {"id": f"ev-{d.id}", "kind": {"type": "ticket_created"}, "occurred_at": when, "ticket": ticket},
        "label": {"category": d.category, "duplicate_of": by_key[d.dup_of].id if d.dup_of else None,
                  "why": render_text(d.why, by_key, free)},
    }


# --------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------

TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|\+01:00|\+02:00)$")
# The ticket-number references of the labelling rules (rule 4), matched on folded text
# (so "votre reference 48213" typed without accents counts); order and invoice numbers
# ("commande 48213", "order #48213", "facture 48213") are not among them.
REFERENCE_RE = re.compile(
    r"\[#(\d{5})\]|\[ticket#(\d{5})\]|\bticket\s+#?(\d{5})\b|\bdemande\s+n°\s?(\d{5})\b|\bdossier\s+(\d{5})\b"
    r"|\bref\.\s+(\d{5})\b|\breference\s+(\d{5})\b",
    re.IGNORECASE,
)


class Invalid(Exception):
    pass


def check(cond: bool, where: str, what: str) -> None:
    if not cond:
        raise Invalid(f"{where}: {what}")


def parse_time(value: str, where: str) -> datetime:
    check(isinstance(value, str) and TIME_RE.match(value) is not None, where, f"timestamp {value!r} is not RFC 3339 with Z, +01:00 or +02:00")
    t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.endswith("+02:00"):
        check(t < DST_END, where, f"{value!r} uses summer time after the change of 2026-10-25")
    if value.endswith("+01:00"):
        check(t >= DST_END, where, f"{value!r} uses winter time before the change of 2026-10-25")
    return t


def normalise_phone(value: str, where: str) -> str:
    """E.164 for the spellings the set uses, national numbers read in France."""
    v = value.replace("(0)", "")
    v = re.sub(r"[\s.\-()]", "", v)
    if v.startswith("00"):
        v = "+" + v[2:]
    elif v.startswith("0"):
        v = "+33" + v[1:]
    elif not v.startswith("+"):
        v = "+" + v  # WhatsApp ids: digits without '+'
    check(re.fullmatch(r"\+(33[67]\d{8}|447\d{9})", v) is not None, where, f"phone {value!r} does not normalise to a mobile number ({v})")
    return v


def identity_key(identity: dict, where: str) -> tuple[str, str]:
    kind, value = identity["kind"], identity["value"]
    if kind == "email":
        return ("email", value.lower())
    if kind in ("phone", "whatsapp"):
        return ("tel", normalise_phone(value, where))
    return (kind, value)


def check_format(line: dict, where: str) -> None:
    check(set(line) == {"event", "label"}, where, f"keys {sorted(line)}")
    ev, label = line["event"], line["label"]
    check(set(label) == {"category", "duplicate_of", "why"}, where, f"label keys {sorted(label)}")
    check(label["category"] in CATEGORIES, where, f"category {label['category']!r}")
    check(isinstance(label["why"], str) and 10 < len(label["why"]) < 240 and "<<" not in label["why"], where, f"why {label['why']!r}")
    check(set(ev) == {"id", "kind", "occurred_at", "ticket"}, where, f"event keys {sorted(ev)}")
    check(ev["kind"] == {"type": "ticket_created"}, where, f"kind {ev['kind']!r}")
    t = ev["ticket"]
    required = {"id", "channel", "requester", "subject", "status", "created_at", "updated_at", "messages"}
    check(required <= set(t) <= required | {"fields"}, where, f"ticket keys {sorted(t)}")
    check(ev["id"] == "ev-" + t["id"], where, f"event id {ev['id']!r}")
    check(t["channel"] in CHANNELS, where, f"channel {t['channel']!r}")
    check(t["status"] == "new", where, f"status {t['status']!r}")
    check(t["created_at"] == t["updated_at"] == ev["occurred_at"], where, "created_at, updated_at and occurred_at differ")
    r = t["requester"]
    check(set(r) == {"name", "identities", "language"}, where, f"requester keys {sorted(r)}")
    check(r["language"] in ("fr", "en"), where, f"language {r['language']!r}")
    check(r["name"] is None or (isinstance(r["name"], str) and r["name"]), where, f"name {r['name']!r}")
    for i in r["identities"]:
        check(set(i) == {"kind", "value"} and i["kind"] in IDENTITY_KINDS and isinstance(i["value"], str) and i["value"], where, f"identity {i!r}")
    if t["channel"] == "app_store_review":
        check(r["identities"] == [], where, "a store review carries an identity")
    else:
        check(len(r["identities"]) >= 1, where, "no identity")
    if t["channel"] in ("email", "web_form"):
        check(isinstance(t["subject"], str) and t["subject"] and "<<" not in t["subject"], where, f"subject {t['subject']!r}")
    else:
        check(t["subject"] is None, where, f"a {t['channel']} ticket has a subject")
    if "fields" in t:
        f = t["fields"]
        check(len(f) == 1 and set(f[0]) == {"name", "value"} and f[0]["name"] == "number" and set(f[0]["value"]) == {"text"}
              and re.fullmatch(r"\d{5}", f[0]["value"]["text"]) is not None, where, f"fields {f!r}")
    check(len(t["messages"]) == 1, where, "not one message")
    m = t["messages"][0]
    check(set(m) == {"id", "author_role", "channel", "body", "created_at"}, where, f"message keys {sorted(m)}")
    check(m["id"] == "m-" + t["id"] and m["author_role"] == "requester" and m["channel"] == t["channel"]
          and m["created_at"] == ev["occurred_at"], where, "message id, role, channel or time")
    check(isinstance(m["body"], str) and len(m["body"]) > 10 and "<<" not in m["body"] and "{" not in m["body"], where, f"body {m['body']!r}")


def check_file(lines: list[dict], by_id: dict[str, Draft]) -> None:
    """The format, the order, and every label recomputed from the rules: identities
    (normalised, linked when seen together on an earlier or the same ticket), the
    problem each ticket is about, the 72 h window, the ticket numbers cited and the
    store reviews' texts."""
    parent: dict = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    seen_ids: list[str] = []
    times: dict[str, datetime] = {}
    keys: dict[str, list] = {}
    labels: dict[str, dict] = {}
    numbers: dict[int, str] = {}
    prev = None
    for i, line in enumerate(lines, 1):
        t = line["event"]["ticket"] if isinstance(line.get("event"), dict) and isinstance(line["event"].get("ticket"), dict) else {}
        where = f"line {i} ({t.get('id', '?')})"
        check_format(line, where)
        tid = t["id"]
        check(tid == f"d-{i:04d}", where, f"id {tid!r} is not d-{i:04d}")
        at = parse_time(line["event"]["occurred_at"], where)
        check(START <= at <= END, where, f"{at} outside the span")
        check(prev is None or at > prev, where, "not after the previous ticket")
        prev = at
        times[tid] = at
        keys[tid] = [identity_key(x, where) for x in t["requester"]["identities"]]
        labels[tid] = line["label"]
        if "fields" in t:
            n = int(t["fields"][0]["value"]["text"])
            check(n not in numbers, where, f"number {n} already on {numbers.get(n)}")
            numbers[n] = tid
        seen_ids.append(tid)

    def root(tid: str) -> str:
        target = labels[tid]["duplicate_of"]
        return target if target else tid

    # The labels, again, in order of arrival.
    for i, tid in enumerate(seen_ids):
        where = tid
        d = by_id[tid]
        label = labels[tid]
        for a, b in zip(keys[tid], keys[tid][1:]):
            parent[find(a)] = find(b)
        mine = {find(k) for k in keys[tid]}
        candidates: dict[str, str] = {}
        ticket_line = lines[i]["event"]["ticket"]
        text = (ticket_line["subject"] or "") + "\n" + ticket_line["messages"][0]["body"]
        for j in range(i):
            other = seen_ids[j]
            o = by_id[other]
            within = times[tid] - times[other] <= WINDOW
            if d.channel == "app_store_review" or o.channel == "app_store_review":
                if d.channel == o.channel == "app_store_review" and within:
                    body_a = ticket_line["messages"][0]["body"]
                    body_b = lines[j]["event"]["ticket"]["messages"][0]["body"]
                    similarity = jaccard(body_a, body_b)
                    if d.review == o.review:
                        check(similarity >= 0.6, where, f"a copy of {other}'s review is too different ({similarity:.2f})")
                        candidates.setdefault(root(other), f"the same review as {other}")
                    else:
                        check(similarity < 0.5, where, f"review too close to {other}'s ({similarity:.2f})")
                continue
            same_person = bool(mine & {find(k) for k in keys[other]})
            if same_person and within and d.problem == o.problem:
                candidates.setdefault(root(other), f"same person and problem as {other}")
        for m in REFERENCE_RE.finditer(fold(text)):
            n = int(next(g for g in m.groups() if g))
            owner = numbers.get(n)
            if owner is None:
                check(d.role == "negative", where, f"cites {n}, which no ticket carries, but is not labelled a hard negative")
                continue
            check(seen_ids.index(owner) < i, where, f"cites {n}, the number of a later ticket {owner}")
            if mine & {find(k) for k in keys[owner]}:
                candidates.setdefault(root(owner), f"cites {n} of {owner}")
        expected = set(candidates)
        got = label["duplicate_of"]
        if got is None:
            check(not expected, where, f"labelled not a duplicate, but {sorted(candidates.values())}")
        else:
            check(expected == {got}, where, f"labelled a duplicate of {got}, but the rules give {sorted(candidates.values()) or 'nothing'}")
            cited = candidates[got].startswith("cites")
            check(cited or times[tid] - times[got] <= WINDOW, where, f"more than 72 h after the group's first ticket {got}")
            check(seen_ids.index(got) < i, where, f"duplicate_of {got} is not earlier")
            check(labels[got]["duplicate_of"] is None, where, f"duplicate_of {got}, which is itself merged")
            check(labels[got]["category"] == label["category"], where, f"duplicate_of {got} of another category")
        check((got is not None) == (d.role == "duplicate"), where, f"role {d.role} but duplicate_of {got}")


# --------------------------------------------------------------------------------------
# The set
# --------------------------------------------------------------------------------------


def build() -> None:
    for mode, count in [("first_has_both", 10), ("earlier_ticket", 8), ("second_has_both", 4), ("email_case", 4), ("reversed", 4), ("three", 4)]:
        for _ in range(count):
            cc_positive(mode)
    for mode, count in [("other_problem", 8), ("beyond_window", 7), ("never_together", 7), ("plus_tag", 5), ("dot", 2)]:
        for _ in range(count):
            cc_negative(mode)
    outage(datetime(2026, 10, 20, 6, 10, tzinfo=UTC), 8)
    outage(datetime(2026, 11, 3, 7, 30, tzinfo=UTC), 8)
    for channel, count in [("email", 14), ("whatsapp", 6), ("chat", 5), ("web_form", 3), ("messenger", 2), ("sms", 2)]:
        for _ in range(count):
            sc_positive(channel)
    for mode in ("other_problem", "same_words"):
        for channel in ["email"] * 7 + ["whatsapp"] * 4 + ["chat"] * 3 + ["web_form", "messenger", "sms"]:
            sc_negative(mode, channel)
    for mode, count in [("within_window", 7), ("after_window", 9), ("linked_identity", 8), ("other_text", 6), ("chain", 3)]:
        for _ in range(count):
            tn_positive(mode)
    for mode, count in [("someone_else", 11), ("order_number", 9), ("order_number_same_person", 3), ("no_such_number", 7), ("no_such_number_same_person", 3)]:
        for _ in range(count):
            tn_negative(mode)
    for i in range(30):
        sr_group(with_window_negative=i % 8 == 0)
    for _ in range(70):
        background()
    write_reviews()


def summary(lines: list[dict], by_id: dict[str, Draft]) -> str:
    out = []
    roles = defaultdict(Counter)
    kinds = defaultdict(Counter)
    for line in lines:
        d = by_id[line["event"]["ticket"]["id"]]
        roles[d.category][d.role] += 1
        if d.role in ("duplicate", "negative"):
            kinds[d.category][(d.role, d.kind)] += 1
    out.append(f"{len(lines)} tickets")
    for c in CATEGORIES:
        r = roles[c]
        out.append(f"  {c:14} {sum(r.values()):4} tickets: {r['duplicate']:3} duplicates, {r['negative']:3} hard negatives, "
                   f"{r['original']:3} originals" + (f", {r['link']} identity links" if r["link"] else "") + (f", {r['background']} background" if r["background"] else ""))
        for (role, kind), n in sorted(kinds[c].items()):
            out.append(f"      {role:9} {kind}: {n}")
    langs = Counter(line["event"]["ticket"]["requester"]["language"] for line in lines)
    channels = Counter(line["event"]["ticket"]["channel"] for line in lines)
    numbered = sum("fields" in line["event"]["ticket"] for line in lines)
    zones = Counter(line["event"]["occurred_at"][-6:] if not line["event"]["occurred_at"].endswith("Z") else "Z" for line in lines)
    out.append(f"languages: {dict(langs)}; numbered: {numbered} ({numbered / len(lines):.0%}); offsets: {dict(zones)}")
    out.append(f"channels: {dict(channels.most_common())}")
    out.append(f"from {lines[0]['event']['occurred_at']} to {lines[-1]['event']['occurred_at']}")
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("dev.jsonl"))
    args = parser.parse_args()
    build()
    by_key, free = place_and_number()
    lines = [to_line(d, by_key, free) for d in drafts]
    text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    reread = [json.loads(x) for x in text.splitlines()]
    by_id = {d.id: d for d in drafts}
    try:
        check_file(reread, by_id)
    except Invalid as e:
        print(f"invalid dataset: {e}", file=sys.stderr)
        return 1
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    print(summary(reread, by_id))
    return 0


if __name__ == "__main__":
    sys.exit(main())
