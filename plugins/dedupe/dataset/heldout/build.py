#!/usr/bin/env python3
"""Build the held-out dataset of the `dedupe` plugin: `heldout.jsonl`.

Every ticket is written by hand below, grouped in *cases*: a case is one small story
(an original and its duplicates, or a hard negative next to the ticket it must not be
merged into) and holds the times of its tickets relative to an anchor. The script
places the cases in the period 2026-10-14..2026-11-04 with a fixed seed, gives the
ticket numbers, numbers the tickets in chronological order (`h-0001`, ...), writes
the file and validates it against the labelling rules of the dataset: identities are
normalised and linked again from scratch, windows are measured on instants, cited
numbers are looked up. Any inconsistency stops the build.

Standard library only. Run from anywhere:

    python3 plugins/dedupe/dataset/heldout/build.py
"""

import collections
import datetime as dt
import difflib
import json
import random
import re
import sys
import unicodedata
from pathlib import Path

SEED = 20261104
OUT = Path(__file__).resolve().parent / "heldout.jsonl"

UTC = dt.timezone.utc
SPAN_START = dt.datetime(2026, 10, 14, 6, 0, tzinfo=UTC)
SPAN_END = dt.datetime(2026, 11, 4, 21, 0, tzinfo=UTC)
# Paris leaves summer time at 01:00 UTC on 2026-10-25 (London too).
DST_END = dt.datetime(2026, 10, 25, 1, 0, tzinfo=UTC)
WINDOW = dt.timedelta(hours=72)
NUMBERED_SHARE = 1 / 3

CATEGORIES = ("cross_channel", "same_channel", "ticket_number", "store_review", "unrelated")
SUBJECT_CHANNELS = {"email", "web_form"}

# Default one-sentence explanations, by kind of ticket.
WHY = {
    "original": "First ticket of its case; nothing earlier to merge it into.",
    "linker": "Earlier request about something else that links the requester's identities.",
    "dup_cross": "Same problem from a linked identity on another channel within 72 h.",
    "dup_same": "Same person, same problem, same channel within 72 h.",
    "dup_number": "Cites the number of the person's open ticket.",
    "dup_review": "The same review posted again within 72 h, nearly word for word.",
    "other_problem": "Same person but a different problem.",
    "other_people": "Same problem but another person: no identity in common or linked.",
    "beyond_window": "Same person and problem, but more than 72 h after the first ticket.",
    "never_together": "Same name and problem, but this identity was never seen with the first one.",
    "email_variant": "Another e-mail address (a +tag or dotted variant) is another identity.",
    "someone_else_number": "Cites a ticket number that belongs to another person.",
    "order_number": "The number is an order or invoice number, not a ticket reference.",
    "unknown_number": "Cites a number that no ticket carries.",
    "review_other_reviewer": "Another reviewer's review of a similar problem, not the same text.",
    "review_beyond_window": "The same review posted again more than 72 h later.",
    "background": "Unrelated request with no earlier ticket of this person.",
}

NEGATIVE_KINDS = (
    "other_problem",
    "other_people",
    "beyond_window",
    "never_together",
    "email_variant",
    "someone_else_number",
    "order_number",
    "unknown_number",
    "review_other_reviewer",
    "review_beyond_window",
)


# --- identities -------------------------------------------------------------------


def em(value):
    """An e-mail identity (and below: phone, WhatsApp, Messenger, app user, external)."""
    return {"kind": "email", "value": value}


def ph(value):
    return {"kind": "phone", "value": value}


def wa(value):
    return {"kind": "whatsapp", "value": value}


def ms(value):
    return {"kind": "messenger", "value": value}


def au(value):
    return {"kind": "app_user", "value": value}


def ex(value):
    return {"kind": "external", "value": value}


def e164(raw, region="33"):
    """A phone or WhatsApp value in E.164, national numbers read in France."""
    s = raw.strip()
    s = s.replace("(0)", "")
    digits = re.sub(r"[^\d+]", "", s)
    if digits.startswith("+"):
        return "+" + digits[1:]
    if digits.startswith("00"):
        return "+" + digits[2:]
    if digits.startswith("0"):
        return "+" + region + digits[1:]
    return "+" + digits  # WhatsApp ids: country code and number, no plus


def identity_key(identity):
    """How identities compare: e-mail without case, phone and WhatsApp as one E.164 number."""
    kind, value = identity["kind"], identity["value"]
    if kind == "email":
        return ("email", value.lower())
    if kind in ("phone", "whatsapp"):
        number = e164(value)
        if not re.fullmatch(r"\+\d{10,13}", number):
            raise ValueError(f"phone value {value!r} does not normalise to E.164 ({number!r})")
        return ("phone", number)
    return (kind, value)


# --- cases ------------------------------------------------------------------------


class Ticket:
    """One ticket of a case, with its label and what the validator needs to know of it."""

    def __init__(self, case, key, hours, channel, who, body, subject, **kw):
        self.case = case
        self.key = f"{case.name}.{key}"
        self.hours = hours
        self.channel = channel
        self.name, self.lang, self.identities = who
        self.body = body
        self.subject = subject
        dup = kw.pop("dup", None)
        self.dup = f"{case.name}.{dup}" if dup else None
        self.kind = kw.pop("kind", None)
        self.problem = kw.pop("problem", "p")
        self.numbered = kw.pop("numbered", False)
        cite = kw.pop("cite", None)
        self.cite = None if cite is None else (cite[0], f"{case.name}.{cite[1]}" if cite[1] else None)
        quoted = kw.pop("quote", None)
        self.quote = f"{case.name}.{quoted}" if quoted else None
        self.why = kw.pop("why", None)
        self.fixed = kw.pop("at", None)
        self.local = kw.pop("local", None)
        if kw:
            raise TypeError(f"unknown ticket options {sorted(kw)} for {self.key}")
        if channel not in SUBJECT_CHANNELS and subject is not None:
            raise ValueError(f"{self.key}: channel {channel} carries no subject")
        if channel in SUBJECT_CHANNELS and not subject:
            raise ValueError(f"{self.key}: channel {channel} needs a subject")
        self.at = None
        self.number = None
        self.cited_number = None
        self.id = None


class Case:
    """A small story of one family: its tickets, at hours from an anchor (random unless `at`)."""

    def __init__(self, name, category, at=None):
        if category not in CATEGORIES:
            raise ValueError(f"case {name}: unknown category {category!r}")
        self.name = name
        self.category = category
        self.at = at
        self.tickets = []

    def t(self, key, hours, channel, who, body, subject=None, **kw):
        ticket = Ticket(self, key, hours, channel, who, body, subject, **kw)
        self.tickets.append(ticket)
        return ticket


CASES = []


def case(name, category, at=None):
    """Declare a case; its tickets are added with `Case.t`."""
    c = Case(name, category, at)
    CASES.append(c)
    return c


def utc(text):
    return dt.datetime.fromisoformat(text).astimezone(UTC)


def fr(name, *ids):
    return (name, "fr", list(ids))


def en(name, *ids):
    return (name, "en", list(ids))


def anon(lang):
    return (None, lang, [])


# =====================================================================================
# cross_channel: the same person on another channel, identities shared or linked
# =====================================================================================

c = case("cc01", "cross_channel")
c.t("a", 0, "email", fr("Camille Roux", em("camille.roux@orange.fr"), ph("06 41 27 83 90")),
    "Bonjour,\n\nSuite à une fuite chez mon voisin du dessus dans la nuit de samedi à dimanche, "
    "le plafond de ma salle de bain et le mur du couloir sont gorgés d'eau. Le plombier est passé "
    "ce matin et nous avons rempli un constat amiable, que je vous joins en photo.\n\n"
    "Pouvez-vous m'indiquer si un expert doit passer avant que je fasse repeindre, et sous quel "
    "délai ? Mon contrat habitation est le HAB-3318-CR.\n\nCordialement,\nCamille Roux\n06 41 27 83 90",
    "Déclaration sinistre dégât des eaux – contrat habitation")
c.t("b", 19.5, "whatsapp", fr("Camille Roux", wa("33641278390")),
    "Bonjour, j'ai déclaré un dégât des eaux par mail hier (contrat HAB-3318-CR), est ce que "
    "l'expert va passer ? le plafond commence à gondoler", dup="a")
c.t("c", 41, "phone", fr("Camille Roux", ph("+33 (0)6 41 27 83 90")),
    "Message vocal transcrit : oui bonjour c'est Camille Roux, je rappelle pour le dégât des eaux "
    "déclaré avant-hier, toujours pas de nouvelles de l'expert, merci de me rappeler.", dup="a")

c = case("cc02", "cross_channel")
c.t("a", 0, "phone", fr("Mehdi Benali", ph("07 52 18 44 09")),
    "Message vocal transcrit : bonjour, Mehdi Benali, j'ai été prélevé deux fois de 39,99 euros "
    "pour la box ce mois-ci, je voudrais qu'on me rembourse le deuxième prélèvement. Merci.")
c.t("b", 6.1, "email", fr("Mehdi Benali", em("mehdi.benali@free.fr"), ph("0033 7 52 18 44 09")),
    "Bonjour,\nJe vous ai laissé un message ce matin : sur mon relevé bancaire apparaissent deux "
    "prélèvements identiques de 39,99 € pour la facture box d'octobre, à un jour d'intervalle. "
    "Merci de rembourser le doublon.\nVous trouverez mon relevé en pièce jointe.\n\nMehdi Benali\n\n"
    "Envoyé de mon iPhone",
    "Double prélèvement facture box octobre", dup="a")

c = case("cc03", "cross_channel")
c.t("l", -190, "web_form", en("Oliver Grant", em("oliver.grant@gmail.com"), ph("+44 7700 900456")),
    "Hello, I have moved and need the delivery address on my account updated to 14 Larch Close, "
    "Leeds. My mobile number is on the form if you need to reach me. Thanks, Oliver",
    "Change of delivery address", kind="linker", problem="address")
c.t("a", 0, "email", en("Oliver Grant", em("Oliver.Grant@gmail.com")),
    "Hi,\n\nMy order EU-2219-ZK was marked as delivered yesterday at 14:02 but nothing arrived. I "
    "was home all afternoon and the neighbours have nothing either. The photo in the tracking shows "
    "a door that is not mine.\n\nCould you open an investigation with the courier and either resend "
    "or refund?\n\nKind regards,\nOliver Grant",
    "Parcel not delivered - order EU-2219-ZK")
c.t("b", 20.3, "whatsapp", en("Oliver Grant", wa("447700900456")),
    "hi, emailed you yesterday about order EU-2219-ZK, says delivered but never came. any update??",
    dup="a")
c.t("c", 44.2, "sms", en(None, ph("+447700900456")),
    "Still no sign of parcel EU-2219-ZK marked delivered. Pls refund or resend. Oliver", dup="a")

c = case("cc04", "cross_channel")
c.t("a", 0, "chat", fr("Sophie Lefèvre", au("usr_q8w2lf"), em("sophie.lefevre@laposte.net")),
    "Bonjour mon virement de 1 200 € vers le compte de mon propriétaire est bloqué « en cours de "
    "vérification » depuis hier, le loyer doit partir aujourd'hui !!")
c.t("b", 3.2, "email", fr("Sophie Lefèvre", em("Sophie.Lefevre@LaPoste.net")),
    "Bonjour,\n\nJ'ai déjà signalé le problème sur le chat de l'application, sans réponse : mon "
    "virement de 1 200 euros à destination de M. Garnier (loyer de novembre) reste bloqué avec la "
    "mention « en cours de vérification ». Je n'ai reçu aucun SMS de validation.\n\nMerci de "
    "débloquer l'opération au plus vite, sinon je vais avoir des pénalités de retard.\n\n"
    "Bien cordialement,\nSophie Lefèvre",
    "Virement bloqué - loyer", dup="a")

c = case("cc05", "cross_channel")
c.t("a", 0, "chat", fr(None, au("usr_mj55te"), ph("+33 6 12 70 45 38")),
    "impossible de me connecter à l'appli, le code de vérification par SMS n'arrive jamais. j'ai "
    "réessayé 5 fois")
c.t("b", 2.5, "sms", fr(None, ph("06 12 70 45 38")),
    "Bonjour je ne recois toujours pas le code de connexion par sms, je suis bloqué hors de mon compte",
    dup="a")
c.t("c", 26.4, "email", fr("Julien Marchand", em("j.marchand@outlook.fr"), ph("0033 6 12 70 45 38")),
    "Bonjour,\n\nDepuis hier je ne peux plus me connecter à mon espace client : l'application me "
    "demande un code de vérification envoyé par SMS, mais je ne le reçois jamais (ni sur l'appli, ni "
    "sur le site). Mon numéro n'a pas changé.\n\nPouvez-vous vérifier de votre côté ou me proposer "
    "une autre méthode ?\n\nMerci,\nJulien Marchand\n\n--\nEnvoyé depuis Outlook pour Android",
    "Code de vérification jamais reçu", dup="a")

c = case("cc06", "cross_channel")
c.t("a", 0, "messenger", en("Priya Natarajan", ms("6120448813307752")),
    "Hi, I cancelled my Premium plan at the start of the month but I've just been charged £12.99 "
    "again. Can you refund it?")
c.t("b", 22.7, "email", en("Priya Natarajan", em("priya.n@protonmail.com"), ms("6120448813307752")),
    "Hello,\n\nFollowing up on my Messenger message from yesterday. I cancelled my Premium "
    "subscription at the beginning of the month (confirmation email attached) and was still charged "
    "£12.99 on my card this week.\n\nPlease refund the charge and confirm that no further payments "
    "will be taken.\n\nThanks,\nPriya Natarajan",
    "Charged after cancellation", dup="a")

c = case("cc07", "cross_channel")
c.t("l1", -240, "email", fr("Nathalie Perrin", em("nathalie.perrin@sfr.fr"), ph("06 88 31 02 57")),
    "Bonjour,\nVeuillez trouver ci-joint mon nouveau RIB pour les prochains prélèvements.\n"
    "Cordialement,\nNathalie Perrin", "Changement de RIB", kind="linker", problem="rib")
c.t("l2", -150, "chat", fr(None, au("usr_np30ax"), ph("+33 6 88 31 02 57")),
    "Bonjour, pouvez-vous m'envoyer une attestation de contrat pour mon dossier CAF ? merci",
    kind="linker", problem="attestation")
c.t("a", 0, "chat", fr(None, au("usr_np30ax")),
    "Ma facture d'électricité de ce mois est à 284 € alors que d'habitude je paie 70 €. Le relevé "
    "de compteur pris en compte n'est pas le bon (estimé je pense)")
c.t("b", 20.1, "email", fr("Nathalie Perrin", em("nathalie.perrin@sfr.fr")),
    "Bonjour,\n\nMa facture d'électricité d'octobre s'élève à 284,12 € au lieu de 70 € environ. "
    "L'index retenu est estimé et ne correspond pas à mon compteur : je vous joins une photo prise "
    "ce matin.\n\nMerci de corriger l'index et de refaire la facture.\n\nNathalie Perrin",
    "Facture électricité anormale - relevé estimé", dup="a",
    why="Same problem; her app account is linked to her e-mail through her mobile number.")

c = case("cc08", "cross_channel")
c.t("a", 0, "email", en("Daniel Okafor", em("d.okafor@yahoo.co.uk"), ph("+44 7700 900871")),
    "Hello,\n\nSince updating the app this morning I can't log in: after entering my password it "
    "shows 'Session expired' and sends me back to the start screen. Reinstalling didn't help, and "
    "Face ID login is gone too.\n\nPhone: iPhone 13, iOS 18.1.\n\nRegards,\nDaniel Okafor\n\n"
    "Sent from my iPhone",
    "Locked out after app update")
c.t("b", 5.3, "whatsapp", en("Daniel", wa("447700900871")),
    "Hi still can't get into the app after the update, keeps saying session expired. emailed this "
    "morning", dup="a")

c = case("cc09", "cross_channel")
c.t("a", 0, "web_form", fr("Thomas Girard", em("thomas.girard@gmail.com"), ph("06 21 43 65 87")),
    "Bonjour, j'ai résilié ma ligne fixe suite à un déménagement dans une commune non couverte "
    "(justificatif fourni). On me facture quand même 49 € de frais de résiliation. Dans ce cas ils "
    "ne sont pas dus, merci de les annuler.",
    "Frais de résiliation contestés")
c.t("b", 30.2, "sms", fr(None, ph("+33 6 21 43 65 87")),
    "Bonjour, j'attends toujours l'annulation des 49€ de frais de resiliation (demenagement zone "
    "non couverte). Thomas Girard", dup="a")
c.t("c", 52.6, "chat", fr("Thomas G.", au("usr_tg81mm"), ph("06 21 43 65 87")),
    "toujours facturé 49 euros de frais de résiliation alors que j'ai déménagé hors zone, j'ai "
    "rempli le formulaire il y a 2 jours", dup="a")

c = case("cc10", "cross_channel")
c.t("a", 0, "chat", en("Emma Clarke", au("usr_ec19dd"), em("emma.clarke@icloud.com")),
    "My £300 deposit for the car rental (returned on time, no damage) still hasn't been released to "
    "my card. It's been 10 days.")
c.t("b", 28.8, "email", en("Emma Clarke", em("Emma.Clarke@iCloud.com")),
    "Hi team,\n\nI returned the car (booking RC-88-LYS) at Lyon Saint-Exupéry with a full tank and "
    "the check-out report shows no damage, yet the £300 hold on my card was never released.\n\n"
    "Could you release it or tell me what is blocking it?\n\nBest,\nEmma Clarke",
    "Deposit not released – rental RC-88-LYS", dup="a")

c = case("cc11", "cross_channel")
c.t("a", 0, "whatsapp", fr("Léa", wa("33745092216")),
    "Bonjour j'ai fait tomber mon téléphone, écran cassé, je suis assurée chez vous. Comment je "
    "déclare le sinistre ?")
c.t("b", 8.4, "email", fr("Léa Fontaine", em("lea.fontaine@hotmail.fr"), ph("07 45 09 22 16")),
    "Bonjour,\n\nComme indiqué sur WhatsApp ce matin, mon téléphone (Galaxy S23) est tombé et "
    "l'écran est fissuré sur toute la largeur. Je suis couverte par l'assurance mobile souscrite à "
    "l'achat.\n\nQuelles pièces dois-je vous envoyer et où dois-je déposer l'appareil ?\n\n"
    "Merci d'avance,\nLéa Fontaine",
    "Déclaration casse écran smartphone", dup="a")
c.t("c", 33.0, "phone", fr("Léa Fontaine", ph("+33 (0)7 45 09 22 16")),
    "Messagerie : bonjour c'est Léa Fontaine, pour mon écran cassé je n'ai pas reçu le bon de "
    "dépôt, pouvez-vous me rappeler s'il vous plaît", dup="a")

c = case("cc12", "cross_channel")
c.t("a", 0, "email", fr("Antoine Dubois", em("antoine.dubois@free.fr")),
    "Bonjour,\n\nMon train Lyon–Marseille de vendredi a été supprimé (grève). J'ai demandé le "
    "remboursement en ligne mais le formulaire indique « billet non éligible ». Référence de "
    "réservation : QXKT4P.\n\nMerci de me rembourser les 67 € ou de m'expliquer pourquoi.\n\n"
    "Antoine Dubois",
    "Remboursement billet train supprimé")
c.t("b", 47.0, "messenger", fr("Antoine Dubois", ms("7004318862201954"), em("antoine.dubois@free.fr")),
    "bonjour, toujours pas de remboursement pour mon train supprimé, résa QXKT4P, le formulaire "
    "dit non éligible", dup="a")

c = case("cc13", "cross_channel")
c.t("a", 0, "sms", en("Hannah Wright", ph("+44 7700 900318")),
    "Hi my card has been declined everywhere since I landed in Lisbon, can you unblock it? Hannah "
    "Wright")
c.t("b", 1.5, "chat", en(None, au("usr_hw4422"), ph("+447700900318")),
    "card keeps getting declined in Portugal, I'm stuck at the hotel desk. Please unblock ASAP",
    dup="a")
c.t("c", 3.1, "phone", en("Hannah Wright", ph("0044 7700 900318")),
    "Voicemail: hello, Hannah Wright calling again about my card being declined in Lisbon, I really "
    "need it unblocked today, thank you.", dup="a")

c = case("cc14", "cross_channel")
c.t("a", 0, "email", fr("Inès Moreau", em("ines.moreau@gmail.com"), ph("06 77 14 50 23")),
    "Bonjour, je souhaite retourner les baskets de ma commande FR-5521-KD (mauvaise taille). Le site "
    "indique qu'une étiquette de retour m'a été envoyée mais je n'ai rien reçu, même dans les spams. "
    "Pouvez-vous me la renvoyer ?\nMerci,\nInès",
    "Retour commande - étiquette non reçue")
c.t("b", 16.2, "whatsapp", fr(None, wa("33677145023")),
    "bonjour, toujours pas l'etiquette de retour pour la commande FR-5521-KD, je dois renvoyer les "
    "baskets", dup="a")

c = case("cc15", "cross_channel")
c.t("l", -120, "email", en("Mark Evans", em("mark.evans@btinternet.com"), ph("+44 (0)7700 900624")),
    "Hello,\nI'd like to add a data-only SIM for my son to my plan. What are the options and "
    "prices?\nThanks,\nMark Evans", "Adding a second SIM", kind="linker", problem="sim")
c.t("a", 0, "sms", en(None, ph("+447700900624")),
    "Just got a bill with £86 roaming charges from France but roaming is included in my plan. "
    "Please check. Mark Evans")
c.t("b", 25.5, "email", en("Mark Evans", em("mark.evans@btinternet.com")),
    "Hello,\n\nMy latest bill includes £86.40 of roaming charges for data used in France earlier "
    "this month. My plan includes EU roaming, so these charges should not apply.\n\nPlease remove "
    "them and send a corrected bill.\n\nKind regards,\nMark Evans\n\n--\nSent from my iPad",
    "Incorrect roaming charges on latest bill", dup="a",
    why="Same problem; his mobile and e-mail were linked by his earlier SIM request.")

c = case("cc16", "cross_channel")
c.t("a", 0, "web_form", fr("Karim Haddad", em("karim.haddad@gmail.com"), ph("06 03 58 91 72")),
    "Bonjour, la livraison de mon canapé était prévue hier entre 8h et 13h, j'ai posé une journée "
    "de congé et personne n'est venu, aucun appel. Je voudrais un nouveau créneau un samedi et un "
    "geste commercial. Karim Haddad",
    "Livraison canapé – créneau non respecté")
c.t("b", 4.0, "whatsapp", fr("Karim", wa("33603589172")),
    "Bjr, le livreur du canapé n'est jamais venu hier, j'ai rempli le formulaire. Je veux une "
    "nouvelle date un samedi svp", dup="a")

# --- cross_channel hard negatives ---

c = case("ccn01", "cross_channel")
c.t("a", 0, "email", fr("Aurélie Blanchard", em("aurelie.blanchard@gmail.com")),
    "Bonjour,\nLe distributeur de l'agence de Nantes centre a avalé ma carte ce midi. Comment la "
    "récupérer ou en commander une nouvelle ?\nAurélie Blanchard",
    "Carte avalée par le distributeur")
c.t("b", 3.2, "whatsapp", fr("Aurélie Blanchard", wa("33662014477")),
    "Bonjour, le DAB a avalé ma carte ce midi à Nantes, comment je fais pour en avoir une nouvelle ?",
    kind="never_together")

c = case("ccn02", "cross_channel")
c.t("a", 0, "email", en("George Harris", em("george.harris@gmail.com")),
    "Hi,\n\nThe engineer was booked to fit my smart meter today between 8 and 12 and never showed "
    "up. Nobody called. Please rebook and explain what happened.\n\nGeorge Harris",
    "Smart meter appointment missed")
c.t("b", 10.5, "sms", en("George Harris", ph("+44 7700 900733")),
    "Smart meter engineer didn't turn up this morning, no call. Need a new slot. George Harris",
    kind="never_together")

c = case("ccn03", "cross_channel")
c.t("a", 0, "phone", fr("Chloé Vincent", ph("06 95 40 27 11")),
    "Message vocal transcrit : bonjour, Chloé Vincent, ma carte de crédit a été débitée de 230 euros "
    "chez un marchand en ligne que je ne connais pas, je voudrais faire opposition.")
c.t("b", 1.2, "messenger", fr("Chloé Vincent", ms("4410987236655014")),
    "Bonjour, paiement de 230€ inconnu sur ma carte, je veux faire opposition urgent",
    kind="never_together")

c = case("ccn04", "cross_channel")
c.t("a", 0, "email", fr("Pauline Robert", em("pauline.robert@wanadoo.fr")),
    "Bonjour,\n\nJ'ai envoyé il y a trois semaines la facture de l'opticien (lunettes progressives, "
    "540 €) et je n'ai toujours rien reçu de la mutuelle. Pouvez-vous vérifier où en est le "
    "remboursement ?\n\nCordialement,\nPauline Robert",
    "Remboursement lunettes non reçu")
c.t("b", 5.1, "sms", fr(None, ph("06 59 30 12 84")),
    "remboursement des lunettes toujours pas reçu, facture opticien envoyée il y a 3 semaines",
    kind="never_together",
    why="Same problem, but her mobile number is only linked to her e-mail by a later ticket.")
c.t("c", 30.3, "email", fr("Pauline Robert", em("pauline.robert@wanadoo.fr"), ph("+33 6 59 30 12 84")),
    "Bonjour,\nJe me permets de relancer pour le remboursement des lunettes (facture opticien de "
    "540 €). Vous pouvez me joindre au 06 59 30 12 84.\nCordialement,\nPauline Robert",
    "Relance remboursement lunettes", dup="a",
    why="Same e-mail and problem within 72 h: merged into her first ticket, the oldest open one.")

c = case("ccn05", "cross_channel")
c.t("a", 0, "email", fr("Lucas Bernard", em("lucas.bernard@gmail.com"), ph("06 30 81 76 45")),
    "Bonjour,\n\nJe souhaite rembourser par anticipation la totalité de mon prêt auto. Pouvez-vous "
    "m'envoyer le décompte avec les éventuelles indemnités ?\n\nMerci,\nLucas Bernard",
    "Remboursement anticipé prêt auto")
c.t("b", 91.0, "whatsapp", fr("Lucas", wa("33630817645")),
    "Bonjour, j'attends toujours le décompte pour rembourser mon prêt auto par anticipation",
    kind="beyond_window")

c = case("ccn06", "cross_channel", at=utc("2026-10-23T08:30:00Z"))
c.t("a", 0, "email", fr("Margaux Leroy", em("margaux.leroy@gmail.com"), au("usr_ml77pz")),
    "Bonjour,\n\nMa commande de fournitures scolaires est arrivée incomplète : il manque la "
    "calculatrice et les deux classeurs, alors qu'ils ont été débités. Pouvez-vous les envoyer ?\n\n"
    "Margaux Leroy",
    "Commande incomplète", local=True)
c.t("b", 72 + 20 / 60, "chat", fr(None, au("usr_ml77pz")),
    "il manque toujours la calculatrice et les classeurs de ma commande, vous les envoyez quand ?",
    kind="beyond_window", local=True,
    why="Same person and problem 72 h 20 min later (only 71 h 20 min on the wall clock, across the DST change).")

c = case("ccn07", "cross_channel")
c.t("a", 0, "sms", en("Sarah Mitchell", ph("+44 7700 900552")),
    "Hello, my broadband router keeps dropping the connection every evening. Can someone look at "
    "the line? Sarah Mitchell")
c.t("b", 101.4, "email", en("Sarah Mitchell", em("sarah.mitchell@hotmail.co.uk"), ph("+447700900552")),
    "Hi,\n\nMy broadband still drops every evening around 8pm, as I texted earlier this week. I've "
    "restarted the router several times.\n\nCould you test the line?\n\nSarah",
    "Broadband dropping every evening", kind="beyond_window")

c = case("ccn08", "cross_channel")
c.t("a", 0, "email", fr("Hugo Lambert", em("hugo.lambert@laposte.net"), ph("07 61 25 94 38")),
    "Bonjour,\n\nMon assurance auto augmente de 18 % à l'échéance alors que je n'ai eu aucun sinistre. "
    "Pouvez-vous m'expliquer cette hausse ?\n\nCordialement,\nHugo Lambert",
    "Hausse de cotisation auto")
c.t("b", 6.2, "whatsapp", fr("Hugo", wa("33761259438")),
    "bonjour, j'ai perdu ma carte verte, vous pouvez me renvoyer une attestation d'assurance par mail ?",
    kind="other_problem", problem="green-card")

c = case("ccn09", "cross_channel")
c.t("a", 0, "chat", en("Rachel Cooper", au("usr_rc08kk"), em("rachel.cooper@gmail.com")),
    "I can't download my invoice as a PDF, the button just spins forever")
c.t("b", 20.2, "email", en("Rachel Cooper", em("rachel.cooper@gmail.com")),
    "Hello,\n\nCould you please update my billing address to 3 Mill Lane, Bristol BS1 4DJ?\n\n"
    "Thank you,\nRachel Cooper",
    "Billing address update", kind="other_problem", problem="billing-address")

c = case("ccn10", "cross_channel")
c.t("a", 0, "whatsapp", fr("Yasmine Cherif", wa("33648512093")),
    "Bonjour mon colis est arrivé abîmé, le vase en céramique est cassé en 3 morceaux. Je vous "
    "envoie les photos")
c.t("b", 30.4, "email", fr("Yasmine Cherif", em("yasmine.cherif@gmail.com"), ph("06 48 51 20 93")),
    "Bonjour,\nLe code promo BIENVENUE10 n'a pas été appliqué sur ma dernière commande, pouvez-vous "
    "me rembourser la différence ?\nMerci,\nYasmine",
    "Code promo non appliqué", kind="other_problem", problem="promo")

c = case("ccn11", "cross_channel")
c.t("a", 0, "email", fr("Bruno Masson", em("bruno.masson@orange.fr")),
    "Bonjour,\n\nPlus d'internet ni de télévision depuis ce matin 7h, la box affiche un voyant rouge. "
    "Je suis à Villeurbanne, quartier Gratte-Ciel.\n\nBruno Masson",
    "Panne fibre Villeurbanne", problem="outage")
c.t("b", 2.1, "whatsapp", fr("Élodie Caron", wa("33786402231")),
    "Bonjour, coupure internet depuis ce matin à Villeurbanne, la box clignote rouge. C'est une "
    "panne générale ?", kind="other_people", problem="outage")

c = case("ccn12", "cross_channel")
c.t("a", 0, "chat", en("James Turner", au("usr_jt2m9q")),
    "Apple Pay won't let me add my card, it says 'Card not supported' but it worked last week",
    problem="applepay")
c.t("b", 5.0, "sms", en("Lucy Baker", ph("+44 7700 900190")),
    "Hi, can't add my card to Apple Pay, error says card not supported. Lucy Baker",
    kind="other_people", problem="applepay")

c = case("ccn13", "cross_channel")
c.t("a", 0, "email", fr("Nicolas Petit", em("nicolas.petit@free.fr")),
    "Bonjour,\n\nLa facture d'eau du deuxième semestre est trois fois plus élevée que d'habitude. Je "
    "soupçonne une fuite après compteur, pouvez-vous envoyer un technicien ?\n\nNicolas Petit",
    "Facture d'eau anormale", problem="water")
c.t("b", 26.0, "whatsapp", fr("Claire Petit", wa("33615283947")),
    "Bonjour, notre facture d'eau a triplé ce semestre, on pense à une fuite, pouvez-vous passer ?",
    kind="other_people", problem="water",
    why="Same household and problem, but her WhatsApp number was never linked to his e-mail.")

# =====================================================================================
# same_channel: re-sends, relaunches, quoted history, spelling variants of one identity
# =====================================================================================

c = case("sc01", "same_channel")
_body = ("Bonjour,\n\nPourriez-vous m'envoyer l'attestation d'assurance scolaire pour mes deux "
         "enfants (Léo et Jade), l'école la réclame avant vendredi ?\n\nMerci par avance,\n"
         "Martine Gauthier")
c.t("a", 0, "email", fr("Martine Gauthier", em("martine.gauthier@gmail.com")), _body,
    "Attestation assurance scolaire")
c.t("b", 0.35, "email", fr("Martine Gauthier", em("martine.gauthier@gmail.com")), _body,
    "Attestation assurance scolaire", dup="a", why="The same e-mail sent again twenty minutes later.")

c = case("sc02", "same_channel")
c.t("a", 0, "email", fr("Philippe Lemoine", em("philippe.lemoine@gmail.com")),
    "Bonjour,\n\nJ'ai renvoyé le blouson (taille L) il y a dix jours avec l'étiquette fournie, le "
    "suivi indique qu'il vous a été livré. Je n'ai toujours pas été remboursé de 89,90 €.\n\n"
    "Cordialement,\nPhilippe Lemoine",
    "Remboursement retour non reçu")
c.t("b", 28.2, "email", fr("Philippe Lemoine", em("philippe.lemoine@gmail.com")),
    "Bonjour,\n\nJe me permets de vous relancer, toujours aucun remboursement à ce jour.\n\n"
    "Philippe Lemoine\n\n{Q}",
    "RE: Remboursement retour non reçu", dup="a", quote="a")

c = case("sc03", "same_channel")
c.t("a", 0, "email", fr("Sandrine Roussel", em("Sandrine.Roussel@Gmail.com")),
    "Bonjour,\n\nMa facture mobile de ce mois comporte 23,50 € d'appels vers un numéro surtaxé que "
    "je n'ai jamais composé. Je conteste ces frais.\n\nSandrine Roussel",
    "Contestation appels surtaxés")
c.t("b", 21.0, "email", fr("Sandrine Roussel", em("sandrine.roussel@gmail.com")),
    "bonjour je conteste toujours les 23,50€ d'appels surtaxés sur ma facture mobile, je n'ai jamais "
    "appelé ce numéro. merci de me rembourser\n\nEnvoyé de mon iPhone",
    "appels surtaxés facture", dup="a",
    why="Same address in other letter case, same problem within 72 h.")

c = case("sc04", "same_channel")
c.t("a", 0, "email", en("Tom Bradley", em("tom.bradley@gmail.com")),
    "Hello,\n\nThe coffee machine I ordered arrived with a cracked water tank. I'd like a "
    "replacement tank or a full refund. Photos attached.\n\nThanks,\nTom",
    "Coffee machine arrived damaged")
c.t("b", 45.5, "email", en("Tom Bradley", em("tom.bradley@gmail.com")),
    "Hi, I haven't heard back about this. Could someone reply please?\n\nTom\n\n{Q}",
    "Re: Coffee machine arrived damaged", dup="a", quote="a")

c = case("sc05", "same_channel")
c.t("a", 0, "chat", fr(None, au("usr_ff61aa")),
    "bonjour, j'ai payé ma commande par carte mais elle apparaît « en attente de paiement » depuis "
    "ce matin, et l'argent est débité")
c.t("b", 0.8, "chat", fr(None, au("usr_ff61aa")),
    "allo ?? toujours en attente de paiement alors que je suis débitée", dup="a")
c.t("c", 3.5, "chat", fr(None, au("usr_ff61aa")),
    "Personne ne répond. Commande payée, débitée, et toujours marquée en attente de paiement !",
    dup="a")

c = case("sc06", "same_channel", at=utc("2026-10-24T08:00:00Z"))
c.t("a", 0, "whatsapp", fr("Fatima El Amrani", wa("33652847719")),
    "Bonjour, mon remboursement n'est toujours pas arrivé sur mon compte, ça fait 15 jours que "
    "vous m'avez dit qu'il était validé", local=True)
c.t("b", 71.5, "whatsapp", fr("Fatima", wa("33652847719")),
    "remboursement pas recu, ca fait 15 jours !! vous aviez dit valide", dup="a", local=True,
    why="Same person and problem 71 h 30 min later (72 h 30 min on the wall clock, across the DST change).")

c = case("sc07", "same_channel")
c.t("a", 0, "sms", fr(None, ph("06 14 92 37 60")),
    "Bonjour, ma ligne mobile ne capte plus depuis hier soir, aucun réseau à domicile (Rennes)")
c.t("b", 12.0, "sms", fr(None, ph("+33614923760")),
    "toujours aucun reseau sur mon portable depuis hier soir", dup="a")
c.t("c", 30.7, "sms", fr(None, ph("0033 6 14 92 37 60")),
    "Réseau toujours coupé. Je paie un forfait pour rien. Gérard Lopez", dup="a")

c = case("sc08", "same_channel")
c.t("a", 0, "sms", en("Amy Collins", ph("+44 7700 900215")),
    "Hi, the boiler repair visit booked for today didn't happen, no engineer came. Amy Collins")
c.t("b", 19.0, "sms", en(None, ph("+447700900215")),
    "Still waiting for someone to rebook the boiler repair that never happened yesterday", dup="a")

c = case("sc09", "same_channel")
c.t("a", 0, "web_form", fr("Olivier Mercier", em("olivier.mercier@gmail.com")),
    "Je souhaite résilier mon contrat d'assurance habitation à la date anniversaire (loi Hamon). "
    "Merci de me confirmer la prise en compte.",
    "Demande de résiliation")
c.t("b", 2.2, "web_form", fr("Olivier Mercier", em("olivier.mercier@gmail.com")),
    "Bonjour, je veux résilier mon assurance habitation à l'échéance, merci de confirmer la "
    "résiliation par mail.",
    "Résiliation assurance habitation", dup="a")

c = case("sc10", "same_channel")
c.t("a", 0, "messenger", en("Chris Palmer", ms("5187002293341068")),
    "Hey, I ordered the black hoodie in M and got a grey one in XL. How do I swap it?")
c.t("b", 6.6, "messenger", en("Chris Palmer", ms("5187002293341068")),
    "hello? got the wrong hoodie (grey XL instead of black M), need to swap it", dup="a")

c = case("sc11", "same_channel")
c.t("a", 0, "phone", fr("Monique Faure", ph("04 78 62 19 33")),
    "Message vocal transcrit : bonjour, c'est madame Faure, le boîtier de téléassistance de ma mère "
    "ne s'allume plus depuis hier, on ne peut plus appeler en cas de chute.")
c.t("b", 22.9, "phone", fr("Monique Faure", ph("+33 4 78 62 19 33")),
    "Message vocal transcrit : madame Faure encore, le boîtier de téléassistance est toujours éteint, "
    "c'est urgent, ma mère vit seule.", dup="a")

c = case("sc12", "same_channel")
c.t("a", 0, "email", fr("Vincent Roche", em("vincent.roche@gmail.com")),
    "Bonjour,\n\nVotre prélèvement SEPA du 5 a été rejeté par ma banque car le mandat portait encore "
    "mon ancien IBAN. J'ai pourtant envoyé le nouveau RIB le mois dernier. Vous m'avez facturé 15 € "
    "de frais de rejet : je vous demande de les annuler et de représenter le prélèvement sur le bon "
    "compte.\n\nBien à vous,\nVincent Roche",
    "Prélèvement rejeté et frais de rejet")
c.t("b", 9.0, "email", fr("Vincent Roche", em("vincent.roche@gmail.com")),
    "Prélèvement rejeté à cause de l'ancien IBAN : merci d'annuler les 15 € de frais et de "
    "représenter sur le nouveau compte.\n\nEnvoyé de mon iPhone",
    "Frais de rejet prélèvement", dup="a")

c = case("sc13", "same_channel")
c.t("a", 0, "email", en("Laura Hughes", em("laura.hughes@outlook.com")),
    "Dear Sir or Madam,\n\nMy suitcase was lost on my flight back from Malaga and the airline has "
    "now declared it missing. I'd like to claim on my travel insurance (policy TRV-5529-LH). Which "
    "documents do you need?\n\nKind regards,\nLaura Hughes\n\nSent from my iPhone",
    "Lost luggage claim")
c.t("b", 24.4, "email", en("Laura Hughes", em("laura.hughes@outlook.com")),
    "Hello again, I still need to know which documents to send for the lost suitcase claim.\n\n"
    "Laura\n\n{Q}",
    "Re: Lost luggage claim", dup="a", quote="a")
c.t("c", 50.1, "email", en("Laura Hughes", em("LAURA.HUGHES@OUTLOOK.COM")),
    "Any update on my lost luggage claim? Policy TRV-5529-LH.\n\nSent from my iPhone",
    "lost luggage", dup="a")

c = case("sc14", "same_channel")
c.t("a", 0, "whatsapp", fr("JP Colin", wa("33671093382")),
    "MON COLIS EST BLOQUÉ EN DOUANE DEPUIS 5 JOURS, ON ME DEMANDE DE PAYER DES FRAIS, C'EST NORMAL ???")
c.t("b", 14.3, "whatsapp", fr("JP Colin", wa("33671093382")),
    "mon colis est toujours bloque en douane, ils veulent des frais, je fais quoi", dup="a")

c = case("sc15", "same_channel")
c.t("a", 0, "chat", en(None, au("usr_bf0x21")),
    "payment failed at checkout but the money has left my account, £54.20")
c.t("b", 1.1, "chat", en(None, au("usr_bf0x21")),
    "Hello? The payment said failed but £54.20 was taken from my bank. Is my order placed or not?",
    dup="a")

c = case("sc16", "same_channel")
c.t("a", 0, "email", fr("Élise Bonnet", em("elise.bonnet@yahoo.fr")),
    "Bonjour Madame, Monsieur,\n\nJ'ai accouché le mois dernier et j'ai envoyé l'acte de naissance "
    "pour percevoir la prime de naissance prévue par ma mutuelle. Je n'ai rien reçu. Pouvez-vous "
    "me dire où en est le dossier ?\n\nJe vous remercie par avance.\nBien cordialement,\n"
    "Élise Bonnet",
    "Prime de naissance")
c.t("b", 48.6, "email", fr("Élise Bonnet", em("elise.bonnet@yahoo.fr")),
    "Bonjour,\n\nSans nouvelles de votre part, je relance pour la prime de naissance.\n\n"
    "Cordialement,\nÉlise Bonnet\n\n{Q}",
    "TR: Prime de naissance", dup="a", quote="a")

c = case("sc17", "same_channel")
c.t("a", 0, "web_form", en("Olivia Reed", em("olivia.reed@gmail.com")),
    "The password reset link you email me says 'link expired' as soon as I click it. I've tried "
    "three times.",
    "Password reset link expired")
c.t("b", 4.2, "web_form", en("Olivia Reed", em("olivia.reed@gmail.com")),
    "Every password reset link I get is already expired when I open it. Please help, I can't log in.",
    "Can't reset password", dup="a")

c = case("sc18", "same_channel")
c.t("a", 0, "messenger", fr("Romain Chevalier", ms("6033917745108826")),
    "Bonjour, je suis abonné au magazine depuis 2 ans et je n'ai pas reçu le numéro de ce mois-ci")
c.t("b", 37.0, "messenger", fr("Romain Chevalier", ms("6033917745108826")),
    "toujours pas reçu le magazine de ce mois, mon abonnement est bien payé", dup="a")

c = case("sc19", "same_channel")
c.t("a", 0, "email", fr("Agnès Perrot", em("agnes.perrot@orange.fr")),
    "Bonjour,\n\nDepuis la mise à jour d'hier, l'application ne m'affiche plus mes relevés de "
    "compte : la page reste blanche. J'ai besoin du relevé de septembre pour mon dossier de prêt.\n\n"
    "Agnès Perrot\n--\nAgnès Perrot\nCabinet Perrot & Associés\n12 rue des Carmes, Toulouse",
    "Relevés de compte introuvables dans l'application")
c.t("b", 19.9, "email", fr("Agnès Perrot", em("Agnes.Perrot@orange.fr")),
    "Je relance : page blanche sur les relevés dans l'appli, j'ai besoin du relevé de septembre.\n\n"
    "{Q}",
    "Re: Relevés de compte introuvables dans l'application", dup="a", quote="a")

# --- same_channel hard negatives ---

c = case("scn01", "same_channel")
c.t("a", 0, "email", fr("Manon Girard", em("manon.girard@gmail.com")),
    "Bonjour,\n\nMa commande de draps passée il y a deux semaines n'est toujours pas livrée et le "
    "suivi n'a pas bougé depuis 8 jours.\n\nManon Girard",
    "Commande non livrée", problem="sheets")
c.t("b", 5.0, "email", fr("Manon Girard", em("manon.girard+boutique@gmail.com")),
    "Bonjour, toujours pas reçu ma commande de draps, le suivi est bloqué depuis plus d'une semaine.",
    "Commande de draps non livrée", kind="email_variant", problem="sheets")

c = case("scn02", "same_channel")
c.t("a", 0, "email", en("Liam Walker", em("liam.walker@outlook.com")),
    "Hi,\n\nI was charged twice for order 7 of my meal-kit subscription this week. Please refund the "
    "second payment.\n\nLiam",
    "Double charge on meal kit", problem="double")
c.t("b", 11.0, "email", en("Liam Walker", em("liam.walker+orders@outlook.com")),
    "Hello, I've been charged twice for my meal kit box this week, please refund one of them. Liam",
    "Charged twice", kind="email_variant", problem="double")

c = case("scn03", "same_channel")
c.t("a", 0, "email", fr("Émilie Durand", em("emilie.durand@gmail.com")),
    "Bonjour,\nJe n'arrive pas à télécharger mon attestation fiscale sur votre site, le lien renvoie "
    "une erreur.\nÉmilie Durand",
    "Attestation fiscale", problem="fiscal")
c.t("b", 20.0, "email", fr("Émilie Durand", em("emiliedurand@gmail.com")),
    "Bonjour, le lien de téléchargement de l'attestation fiscale ne marche pas, pouvez-vous me "
    "l'envoyer par mail ?",
    "Attestation fiscale introuvable", kind="email_variant", problem="fiscal",
    why="A dotted variant of her address is another identity: no cleverer e-mail matching.")

c = case("scn04", "same_channel")
c.t("a", 0, "email", fr("Paul Henry", em("paul.henry+assurance@free.fr")),
    "Bonjour,\n\nJe voudrais ajouter ma fille, qui vient d'avoir son permis, comme conductrice "
    "secondaire sur mon contrat auto. Quel serait le surcoût ?\n\nPaul Henry",
    "Ajout conductrice secondaire", problem="driver")
c.t("b", 30.0, "email", fr("Paul Henry", em("paul.henry@free.fr")),
    "Bonjour, quel est le surcoût pour ajouter ma fille (jeune permis) en conductrice secondaire sur "
    "mon assurance auto ? Paul Henry",
    "Conductrice secondaire", kind="email_variant", problem="driver")

c = case("scn05", "same_channel")
c.t("a", 0, "email", fr("Francis Meunier", em("francis.meunier@orange.fr")),
    "Bonjour,\n\nMa box redémarre toute seule plusieurs fois par jour depuis une semaine. Pouvez-vous "
    "me l'échanger ?\n\nFrancis Meunier",
    "Box qui redémarre sans arrêt")
c.t("b", 96.5, "email", fr("Francis Meunier", em("francis.meunier@orange.fr")),
    "Bonjour,\n\nMa box redémarre toujours plusieurs fois par jour. J'aimerais un échange.\n\n"
    "Francis Meunier",
    "Box qui redémarre", kind="beyond_window")

c = case("scn06", "same_channel", at=utc("2026-10-24T07:10:00Z"))
c.t("a", 0, "whatsapp", fr("Stéphanie", wa("33687420951")),
    "Bonjour, ma carte de fidélité n'est plus reconnue en caisse, les points ne sont pas crédités",
    local=True)
c.t("b", 72.25, "whatsapp", fr("Stéphanie", wa("33687420951")),
    "toujours pas de points sur ma carte de fidélité, elle n'est pas reconnue en caisse",
    kind="beyond_window", local=True,
    why="Same person and problem 72 h 15 min later, though only 71 h 15 min on the wall clock.")

c = case("scn07", "same_channel")
c.t("a", 0, "chat", en(None, au("usr_dk3v8r")),
    "My pension transfer from my old provider has been 'in progress' for six weeks, what's going on?")
c.t("b", 150.0, "chat", en(None, au("usr_dk3v8r")),
    "pension transfer still in progress, it's been 7 weeks now", kind="beyond_window")

c = case("scn08", "same_channel")
c.t("a", 0, "sms", fr(None, ph("07 83 16 50 42")),
    "Bonjour, le compteur Linky n'a pas été posé hier alors que le rdv était confirmé. Merci de "
    "reprogrammer.")
c.t("b", 74.0, "sms", fr(None, ph("+33 7 83 16 50 42")),
    "Toujours pas de nouveau rdv pour la pose du compteur Linky.", kind="beyond_window")

c = case("scn09", "same_channel")
c.t("a", 0, "email", fr("Dominique Arnaud", em("dominique.arnaud@gmail.com")),
    "Bonjour,\n\nJe déménage à la fin du mois à Bordeaux. Comment transférer mon contrat d'électricité "
    "à la nouvelle adresse ?\n\nDominique Arnaud",
    "Déménagement – transfert de contrat", problem="move")
c.t("b", 3.1, "email", fr("Dominique Arnaud", em("dominique.arnaud@gmail.com")),
    "Bonjour,\n\nPar ailleurs, ma dernière facture mentionne une pénalité de retard de 10 € alors "
    "que j'ai payé à temps. Pouvez-vous vérifier ?\n\nDominique Arnaud",
    "Pénalité de retard injustifiée", kind="other_problem", problem="penalty")

c = case("scn10", "same_channel")
c.t("a", 0, "whatsapp", en("Ryan", wa("447700900947")),
    "Hi, my replacement bank card arrived but the PIN letter didn't. Can you resend the PIN?",
    problem="pin")
c.t("b", 8.0, "whatsapp", en("Ryan", wa("447700900947")),
    "Also, can I raise my contactless limit? It's too low for my weekly shop", kind="other_problem",
    problem="limit")

c = case("scn11", "same_channel")
c.t("a", 0, "chat", fr(None, au("usr_cg52hn")),
    "bonjour, je voudrais changer la date de ma livraison de courses de jeudi à samedi",
    problem="delivery-date")
c.t("b", 1.4, "chat", fr(None, au("usr_cg52hn")),
    "et autre chose : le yaourt de la dernière commande était périmé, je peux être remboursée ?",
    kind="other_problem", problem="expired")

c = case("scn12", "same_channel")
c.t("a", 0, "email", fr("Henri Vidal", em("henri.vidal@gmail.com")),
    "Bonjour,\n\nImpossible de payer sur votre site ce matin : après la saisie de la carte, la page "
    "affiche « erreur technique, réessayez plus tard ».\n\nHenri Vidal",
    "Paiement impossible sur le site", problem="checkout")
c.t("b", 1.6, "email", fr("Isabelle Marchal", em("isabelle.marchal@hotmail.fr")),
    "Bonjour, impossible de régler ma commande, le site affiche une erreur technique au moment du "
    "paiement. Isabelle Marchal",
    "Erreur au paiement", kind="other_people", problem="checkout")

c = case("scn13", "same_channel")
c.t("a", 0, "sms", en("Peter Ross", ph("+44 7700 900377")),
    "My 07:42 train to Leeds was cancelled this morning. How do I claim the refund? Peter Ross",
    problem="train")
c.t("b", 0.9, "sms", en("Kate Ross", ph("+44 7700 900378")),
    "Hi, my 07:42 to Leeds got cancelled, how do I get a refund? Kate",
    kind="other_people", problem="train",
    why="Same train and same surname, but another phone number: another person.")

c = case("scn14", "same_channel")
c.t("a", 0, "whatsapp", fr("Gilles", wa("33633871205")),
    "Bonjour, plus d'électricité dans tout l'immeuble rue Paul Bert depuis 20 minutes",
    problem="power")
c.t("b", 0.5, "whatsapp", fr("Nadia", wa("33760148392")),
    "coupure de courant rue Paul Bert, tout le quartier est dans le noir, c'est prévu ?",
    kind="other_people", problem="power")

c = case("scn15", "same_channel")
c.t("a", 0, "web_form", en("Anna Kowalski", em("anna.kowalski@gmail.com")),
    "Your website won't accept my postcode at checkout, it says 'invalid address'.",
    "Postcode rejected at checkout", problem="postcode")
c.t("b", 18.0, "web_form", en("Megan Price", em("megan.price@yahoo.com")),
    "Checkout keeps saying my address is invalid, the postcode is correct.",
    "Address invalid at checkout", kind="other_people", problem="postcode")

# =====================================================================================
# ticket_number: follow-ups citing the number of the person's open ticket
# =====================================================================================

c = case("tn01", "ticket_number")
c.t("a", 0, "email", fr("Yves Boucher", em("yves.boucher@orange.fr")),
    "Bonjour,\n\nUn gravillon a fissuré mon pare-brise sur l'autoroute hier. Je suis assuré bris de "
    "glace : quel garage agréé puis-je contacter ?\n\nYves Boucher",
    "Sinistre auto - bris de glace", numbered=True)
c.t("f", 121.0, "email", fr("Yves Boucher", em("yves.boucher@orange.fr")),
    "Bonjour, des nouvelles ? Le garage attend toujours votre accord de prise en charge.\n\n"
    "Yves Boucher",
    "Re: [#{N}] Sinistre auto - bris de glace", dup="a", cite=("ref", "a"))

c = case("tn02", "ticket_number")
c.t("a", 0, "email", fr("Corinne Fabre", em("corinne.fabre@gmail.com"), ph("06 26 84 13 79")),
    "Bonjour,\n\nJ'ai demandé la portabilité de mon numéro vers votre offre il y a dix jours, "
    "mais mon ancienne ligne est toujours active et la nouvelle carte SIM ne fonctionne pas.\n\n"
    "Corinne Fabre",
    "Portabilité du numéro bloquée", numbered=True)
c.t("f", 200.0, "whatsapp", fr("Corinne", wa("33626841379")),
    "Bonjour, ticket {N} toujours en attente, ma SIM ne marche toujours pas", dup="a",
    cite=("ref", "a"))

c = case("tn03", "ticket_number")
c.t("a", 0, "email", en("Michael Shaw", em("michael.shaw@gmail.com")),
    "Hello,\n\nI'd like to make a claim for my cancelled holiday (booking HX-22Q, travel insurance "
    "policy attached). The tour operator went into administration.\n\nRegards,\nMichael Shaw",
    "Claim for cancelled holiday", numbered=True)
c.t("f", 150.0, "email", en("Michael Shaw", em("michael.shaw@gmail.com")),
    "Any update please?",
    "[Ticket#{N}] Claim for cancelled holiday", dup="a", cite=("ref", "a"))

c = case("tn04", "ticket_number")
c.t("a", 0, "web_form", fr("Sylvie Garnier", em("sylvie.garnier@sfr.fr")),
    "Mon lave-linge acheté chez vous il y a 8 mois fuit par le bas. Il est sous garantie, comment "
    "organiser la réparation ?",
    "Lave-linge sous garantie qui fuit", numbered=True)
c.t("f", 96.3, "web_form", fr("Sylvie Garnier", em("sylvie.garnier@sfr.fr")),
    "Suite à ma demande n°{N}, je vous joins la photo de la plaque signalétique comme demandé.",
    "Photo plaque signalétique", dup="a", cite=("ref", "a"))

c = case("tn05", "ticket_number")
c.t("a", 0, "email", fr("Denis Roy", em("denis.roy@gmail.com"), ph("06 71 38 25 90")),
    "Bonjour,\n\nJe n'ai pas reçu ma carte bancaire renouvelée, l'ancienne expire à la fin du mois.\n\n"
    "Denis Roy",
    "Carte renouvelée non reçue", numbered=True)
c.t("f", 80.2, "sms", fr(None, ph("06 71 38 25 90")),
    "Bonjour, concernant ma demande n° {N} : toujours pas de carte, elle expire dans 3 jours",
    dup="a", cite=("ref", "a"))

c = case("tn06", "ticket_number")
c.t("a", 0, "email", fr("Laurence Picard", em("laurence.picard@gmail.com"), au("usr_lp7tq3")),
    "Bonjour,\n\nSuite au vol de mon vélo électrique devant mon domicile, je souhaite déclarer le "
    "sinistre. Le dépôt de plainte est joint.\n\nLaurence Picard",
    "Vol de vélo électrique", numbered=True)
c.t("f", 240.5, "chat", fr(None, au("usr_lp7tq3")),
    "bonjour où en est le dossier {N} ? l'expert m'a demandé la facture d'achat, je l'ai envoyée",
    dup="a", cite=("ref", "a"))

c = case("tn07", "ticket_number")
c.t("a", 0, "email", en("Jessica Moore", em("jessica.moore@hotmail.com")),
    "Hi,\n\nMy home insurance renewal quote has gone up by £140. Can you explain why and whether "
    "there is a cheaper option?\n\nJessica",
    "Renewal quote increase", numbered=True)
c.t("f", 120.8, "email", en("Jessica Moore", em("jessica.moore@hotmail.com")),
    "Hello, regarding ref. {N}: I also need a copy of my current policy schedule for my mortgage "
    "lender.\n\nThanks,\nJessica",
    "Policy schedule copy", dup="a", cite=("ref", "a"))

c = case("tn08", "ticket_number")
c.t("a", 0, "email", fr("Marc Lebrun", em("marc.lebrun@laposte.net")),
    "Bonjour,\n\nMon compte client a été piraté : quelqu'un a changé l'adresse de livraison et passé "
    "une commande de 600 €. Merci de bloquer le compte et d'annuler la commande.\n\nMarc Lebrun",
    "Compte piraté - commande frauduleuse", numbered=True)
c.t("f", 98.0, "email", fr("Marc Lebrun", em("Marc.Lebrun@laposte.net")),
    "Bonjour,\n\nVotre référence {N} : j'ai bien récupéré l'accès à mon compte, mais la commande "
    "n'est toujours pas annulée.\n\nMarc Lebrun",
    "Suite compte piraté", dup="a", cite=("ref", "a"))

c = case("tn09", "ticket_number")
c.t("a", 0, "email", en("Aisha Khan", em("aisha.khan@gmail.com"), ms("3390812276640195")),
    "Hello,\n\nMy gym membership was frozen for medical reasons but I'm still being billed monthly. "
    "Doctor's note attached.\n\nAisha Khan",
    "Billed during frozen membership", numbered=True)
c.t("f", 100.0, "messenger", en("Aisha Khan", ms("3390812276640195")),
    "Hi, about ticket #{N} - I've been charged again this month", dup="a", cite=("ref", "a"))

c = case("tn10", "ticket_number")
c.t("a", 0, "email", fr("René Guillot", em("rene.guillot@wanadoo.fr"), ph("06 44 19 82 07")),
    "Bonjour,\n\nLe chauffe-eau est en panne depuis ce matin et je suis locataire d'un logement que "
    "vous gérez. Pouvez-vous envoyer un plombier ?\n\nRené Guillot",
    "Chauffe-eau en panne", numbered=True)
c.t("f", 20.0, "sms", fr(None, ph("+33 6 44 19 82 07")),
    "ticket {N} : toujours pas d'eau chaude, le plombier n'a pas appelé", dup="a",
    cite=("ref", "a"))

c = case("tn11", "ticket_number")
c.t("a", 0, "email", fr("Josiane Carré", em("josiane.carre@orange.fr")),
    "Bonjour,\n\nLa résiliation de mon abonnement de salle de sport a été refusée au motif que le "
    "préavis n'était pas respecté, alors que j'ai envoyé le courrier recommandé deux mois avant.\n\n"
    "Josiane Carré",
    "Résiliation refusée", numbered=True)
c.t("f", 90.0, "email", fr("Josiane Carré", em("josiane.carre@orange.fr")),
    "Bonjour, je vous renvoie l'accusé de réception du recommandé.\n\nJosiane Carré",
    "Re: [#{N}] Résiliation refusée", dup="a", cite=("ref", "a"))
c.t("g", 232.0, "email", fr("Josiane Carré", em("josiane.carre@orange.fr")),
    "Bonjour, toujours sans réponse pour le dossier {N}, j'ai encore été prélevée ce mois-ci.",
    "Prélèvement après résiliation", dup="a", cite=("ref", "a"))

c = case("tn12", "ticket_number")
c.t("a", 0, "email", en("Robert Hall", em("robert.hall@gmail.com"), ph("+44 7700 900408")),
    "Hello,\n\nI was overcharged for my broadband: the bill shows the full price instead of the "
    "12-month discount I signed up for.\n\nRobert Hall",
    "Discount missing from bill", numbered=True)
c.t("f", 110.0, "whatsapp", en("Rob", wa("447700900408")),
    "hi, re ticket {N}, still no corrected bill", dup="a", cite=("ref", "a"))
c.t("g", 260.0, "email", en("Robert Hall", em("robert.hall@gmail.com")),
    "Please escalate. Nobody has replied in over a week.",
    "Re: [#{N}] Discount missing from bill", dup="a", cite=("ref", "a"))

c = case("tn13", "ticket_number")
c.t("a", 0, "email", fr("Françoise Lacroix", em("francoise.lacroix@gmail.com")),
    "Bonjour,\n\nJ'ai été débitée de 2 x 45 € pour la même consultation de téléconsultation. Merci "
    "de rembourser le second paiement.\n\nFrançoise Lacroix",
    "Double paiement téléconsultation", numbered=True)
c.t("f", 170.0, "email", fr("Françoise Lacroix", em("Francoise.Lacroix@Gmail.com")),
    "Bonjour, je reviens vers vous pour le ticket #{N}, aucun remboursement n'est encore arrivé.",
    "Remboursement toujours en attente", dup="a", cite=("ref", "a"))

c = case("tn14", "ticket_number")
c.t("a", 0, "email", fr("Patrick Brun", em("patrick.brun@free.fr"), ph("06 57 02 38 14")),
    "Bonjour,\n\nLa grêle d'hier a endommagé la carrosserie de ma voiture (capot et toit). Je "
    "souhaite déclarer le sinistre.\n\nPatrick Brun",
    "Déclaration grêle véhicule", numbered=True)
c.t("f", 146.0, "phone", fr("Patrick Brun", ph("+33 (0)6 57 02 38 14")),
    "Message vocal transcrit : bonjour, Patrick Brun, je rappelle pour le dossier {N}, le "
    "carrossier attend le passage de l'expert.", dup="a", cite=("ref", "a"))

c = case("tn15", "ticket_number")
c.t("a", 0, "web_form", en("Sophie Turner", em("sophie.turner@gmail.com")),
    "I returned my faulty headphones under warranty three weeks ago and haven't received the "
    "replacement.",
    "Warranty replacement not received", numbered=True)
c.t("f", 190.0, "web_form", en("Sophie Turner", em("sophie.turner@gmail.com")),
    "Chasing ticket {N}: still no replacement headphones.",
    "Chasing warranty replacement", dup="a", cite=("ref", "a"))

c = case("tn16", "ticket_number")
c.t("a", 0, "email", fr("Alain Noël", em("alain.noel@orange.fr"), ph("07 29 61 47 30")),
    "Bonjour,\n\nMa demande de crédit renouvelable est « en étude » depuis trois semaines. Pouvez-vous "
    "me donner un délai ?\n\nAlain Noël",
    "Demande de crédit en étude", numbered=True)
c.t("f", 75.5, "whatsapp", fr("Alain", wa("33729614730")),
    "Bonjour ref. {N}, j'ai les justificatifs de revenus demandés, je les envoie où ?", dup="a",
    cite=("ref", "a"))

c = case("tn17", "ticket_number")
c.t("a", 0, "email", fr("Christine Morel", em("christine.morel@gmail.com")),
    "Bonjour,\n\nMon fils a été débité de 79 € d'achats intégrés dans un jeu sur ma tablette sans "
    "mon accord. Est-il possible d'annuler ?\n\nChristine Morel",
    "Achats intégrés non autorisés", numbered=True)
c.t("f", 130.0, "email", fr("Christine Morel", em("christine.morel@gmail.com")),
    "Bonjour,\nAvez-vous pu traiter ma demande ? Merci.\nChristine Morel",
    "[Ticket#{N}] Achats intégrés non autorisés", dup="a", cite=("ref", "a"))

c = case("tn18", "ticket_number")
c.t("a", 0, "email", en("David Clark", em("david.clark@btinternet.com")),
    "Hello,\n\nMy direct debit for the car insurance failed because of a bank error. How can I pay "
    "this month's premium so I stay covered?\n\nDavid Clark",
    "Missed car insurance payment", numbered=True)
c.t("f", 72.5, "email", en("David Clark", em("david.clark@btinternet.com")),
    "Also, I have moved house: new address 22 Oak Road, York. Please update the policy.",
    "Re: [#{N}] Missed car insurance payment", dup="a", cite=("ref", "a"),
    why="Cites the number of his open ticket: a follow-up whatever the new topic.")

c = case("tn19", "ticket_number")
c.t("a", 0, "email", fr("Nadine Schmitt", em("nadine.schmitt@orange.fr")),
    "Bonjour,\n\nLe virement SEPA de 3 500 € que j'ai reçu de mon notaire n'apparaît pas sur mon "
    "compte alors que le notaire a la confirmation d'envoi.\n\nNadine Schmitt",
    "Virement reçu non crédité", numbered=True)
c.t("f", 150.0, "email", fr("Nadine Schmitt", em("nadine.schmitt@orange.fr")),
    "Bonjour,\n\nJe vous transmets l'attestation du notaire pour ma demande n°{N}.\n\nNadine Schmitt",
    "Attestation du notaire", dup="a", cite=("ref", "a"))

c = case("tn20", "ticket_number")
c.t("a", 0, "email", fr("Thierry Fournier", em("thierry.fournier@gmail.com"), ph("06 36 59 04 81")),
    "Bonjour,\n\nMa mutuelle ne m'a remboursé que 30 € sur une couronne dentaire à 650 € alors que "
    "mon contrat prévoit 300 %. Pouvez-vous revoir le calcul ?\n\nThierry Fournier",
    "Remboursement couronne dentaire", numbered=True)
c.t("f", 110.0, "sms", fr(None, ph("0033 6 36 59 04 81")),
    "Bonjour, votre référence {N} : j'attends toujours la révision du remboursement dentaire. T. Fournier",
    dup="a", cite=("ref", "a"))

# --- ticket_number hard negatives ---

c = case("tnn01", "ticket_number")
c.t("a", 0, "email", fr("Bernard Fabre", em("bernard.fabre@wanadoo.fr")),
    "Bonjour,\n\nUn incendie s'est déclaré dans notre garage cette nuit, les pompiers sont "
    "intervenus. Je souhaite déclarer le sinistre.\n\nBernard Fabre",
    "Déclaration incendie garage", numbered=True, problem="fire")
c.t("x", 30.0, "email", fr("Céline Fabre", em("celine.fabre@gmail.com")),
    "Bonjour,\n\nJe vous écris au sujet du dossier {N} de mon père, Bernard Fabre : l'incendie du "
    "garage. Il est âgé et je m'occupe des démarches. Quand l'expert peut-il passer ?\n\nCéline Fabre",
    "Incendie garage - dossier de mon père", kind="someone_else_number", cite=("other", "a"),
    problem="fire")

c = case("tnn02", "ticket_number")
c.t("a", 0, "email", en("Helen Ward", em("helen.ward@wardconsulting.co.uk")),
    "Hello,\n\nOur office printer lease invoice shows two machines but we only have one.\n\nHelen Ward",
    "Printer lease invoice", numbered=True, problem="lease")
c.t("x", 50.0, "email", en("Sam Patel", em("sam.patel@wardconsulting.co.uk")),
    "Hi, I'm Helen's colleague - any update on ticket #{N}? We'd like to pay the right amount.\n\nSam",
    "Printer lease invoice", kind="someone_else_number", cite=("other", "a"), problem="lease")

c = case("tnn03", "ticket_number")
c.t("a", 0, "email", fr("Odile Renard", em("odile.renard@orange.fr")),
    "Bonjour,\n\nUne fuite dans la colonne d'eau de l'immeuble a abîmé ma cuisine. Je déclare le "
    "sinistre.\n\nOdile Renard",
    "Dégât des eaux cuisine", numbered=True, problem="leak")
c.t("x", 20.0, "whatsapp", fr("Samir (voisin)", wa("33698104526")),
    "Bonjour, je suis le voisin de Mme Renard, même fuite chez moi, elle m'a donné sa ref. {N} "
    "pour que je vous contacte", kind="someone_else_number", cite=("other", "a"), problem="leak")

c = case("tnn04", "ticket_number")
c.t("a", 0, "email", fr("Valérie Marty", em("valerie.marty@gmail.com")),
    "Bonjour,\n\nNotre box TV n'affiche plus aucune chaîne depuis la mise à jour d'hier soir.\n\n"
    "Valérie Marty",
    "Plus de chaînes TV", numbered=True, problem="tv")
c.t("x", 28.0, "whatsapp", fr("Eric Marty", wa("33613572846")),
    "Bjr, c'est le mari de Valérie Marty, pour la demande n°{N} : toujours aucune chaîne sur la box",
    kind="someone_else_number", cite=("other", "a"), problem="tv")

c = case("tnn05", "ticket_number")
c.t("a", 0, "email", en("Ian Fletcher", em("ian.fletcher@gmail.com")),
    "Hi,\n\nI need to cancel my business card; the company is closing.\n\nIan Fletcher",
    "Cancel business card", numbered=True, problem="close")
c.t("x", 140.0, "email", en("Ruth Adams", em("ruth.adams@fletcher-adams.co.uk")),
    "Hello,\n\nForwarding on behalf of Ian, who is travelling. Please confirm the cancellation.\n\n"
    "Ruth Adams, PA",
    "Re: [#{N}] Cancel business card", kind="someone_else_number", cite=("other", "a"),
    problem="close")

c = case("tnn06", "ticket_number")
c.t("a", 0, "email", fr("Gaëlle Marin", em("gaelle.marin@gmail.com")),
    "Bonjour,\n\nLa lampe de chevet reçue ne s'allume pas. Je souhaite un échange.\n\nGaëlle Marin",
    "Lampe défectueuse", numbered=True, problem="lamp")
c.t("x", 130.0, "email", fr("Gaëlle Marin", em("gaelle.marin@gmail.com")),
    "Bonjour,\n\nJe voudrais savoir si la commande {N} peut encore être livrée en point relais "
    "plutôt qu'à domicile.\n\nGaëlle Marin",
    "Mode de livraison", kind="order_number", cite=("order", "a"), problem="relay",
    why="The same digits as her ticket but written as an order number, on another topic, beyond 72 h.")

c = case("tnn07", "ticket_number")
c.t("a", 0, "web_form", en("Nora Bell", em("nora.bell@gmail.com")),
    "My smart thermostat lost its Wi-Fi connection and won't pair again.",
    "Thermostat won't pair", numbered=True, problem="thermostat")
c.t("x", 40.0, "chat", en(None, au("usr_gk9w1e")),
    "Hi, where is my order #{N}? It was supposed to arrive yesterday",
    kind="order_number", cite=("order", "a"), problem="where")

c = case("tnn08", "ticket_number")
c.t("a", 0, "email", fr("Rémi Lucas", em("remi.lucas@orange.fr")),
    "Bonjour,\n\nJe n'arrive pas à activer la double authentification sur mon compte, le QR code ne "
    "s'affiche pas.\n\nRémi Lucas",
    "Double authentification", numbered=True, problem="2fa")
c.t("x", 22.0, "email", fr("Rémi Lucas", em("remi.lucas@orange.fr")),
    "Bonjour,\n\nPourriez-vous m'envoyer un duplicata de la facture {N} ? Mon comptable en a "
    "besoin.\n\nRémi Lucas",
    "Duplicata de facture", kind="order_number", cite=("order", "a"), problem="invoice",
    why="Same person within 72 h, but about an invoice whose number matches his ticket's, not the same problem.")

c = case("tnn09", "ticket_number")
c.t("a", 0, "email", en("Owen Price", em("owen.price@gmail.com")),
    "Hello,\n\nMy online banking shows a standing order I cancelled last month still active.\n\nOwen",
    "Cancelled standing order still active", numbered=True, problem="standing")
c.t("x", 60.0, "email", en("Zara Ali", em("zara.ali@outlook.com")),
    "Hi,\n\nI paid invoice {N} twice by mistake. Can you refund one payment?\n\nZara Ali",
    "Invoice paid twice", kind="order_number", cite=("order", "a"), problem="paid-twice")

c = case("tnn10", "ticket_number")
c.t("a", 0, "email", fr("Mathieu Royer", em("mathieu.royer@gmail.com")),
    "Bonjour,\n\nLe devis de ma mutuelle pour mes lunettes n'a pas été reçu par l'opticien.\n\n"
    "Mathieu Royer",
    "Devis optique non transmis", numbered=True, problem="quote")
c.t("x", 45.0, "sms", fr(None, ph("06 82 47 15 36")),
    "Bonjour, commande n° {N} : le colis est marqué livré mais je n'ai rien reçu",
    kind="order_number", cite=("order", "a"), problem="parcel")

c = case("tnn11", "ticket_number")
c.t("a", 0, "email", en("Gemma Lloyd", em("gemma.lloyd@yahoo.co.uk"), ph("+44 7700 900663")),
    "Hello,\n\nI'd like to dispute a £45 late-payment fee: I paid on the due date.\n\nGemma Lloyd",
    "Late payment fee dispute", numbered=True, problem="fee")
c.t("x", 170.0, "whatsapp", en("Gemma", wa("447700900663")),
    "hi, my order #{N} arrived with a missing charger, can you send it?",
    kind="order_number", cite=("order", "a"), problem="charger",
    why="Her order number happens to match her ticket's number: an order reference, not a ticket one.")

c = case("tnn12", "ticket_number")
c.t("a", 0, "email", fr("Julie Masson", em("julie.masson@gmail.com")),
    "Bonjour,\n\nJe relance au sujet du ticket {N} ouvert sur votre ancien outil : mon "
    "remboursement de frais de port n'est jamais arrivé.\n\nJulie Masson",
    "Remboursement frais de port", kind="unknown_number", cite=("unknown", None))

c = case("tnn13", "ticket_number")
c.t("a", 0, "email", fr("Serge Dupuis", em("serge.dupuis@orange.fr")),
    "Bonjour,\n\nMa carte grise n'a pas été mise à jour après la vente du véhicule, je reçois encore "
    "les avis de contravention.\n\nSerge Dupuis",
    "Avis de contravention après vente", numbered=True, problem="fines")
c.t("x", 100.0, "email", fr("Serge Dupuis", em("serge.dupuis@orange.fr")),
    "Bonjour,\n\nDossier {N} : j'ai encore reçu un avis de contravention pour le véhicule vendu.\n\n"
    "Serge Dupuis",
    "Encore une contravention", kind="unknown_number", cite=("typo", "a"), problem="fines",
    why="Cites a mistyped number no ticket carries, and his own ticket is more than 72 h old.")

c = case("tnn14", "ticket_number")
c.t("a", 0, "email", en("Lisa Grant", em("lisa.grant@gmail.com")),
    "Hi,\n\nFollowing up on [#{N}] from last month: my loyalty points were never restored.\n\nLisa",
    "Re: [#{N}] Loyalty points", kind="unknown_number", cite=("unknown", None))

c = case("tnn15", "ticket_number")
c.t("a", 0, "whatsapp", fr("Kevin", wa("33744208193")),
    "Bonjour, votre référence {N}, vous m'avez dit de recontacter pour le remboursement du billet",
    kind="unknown_number", cite=("unknown", None))

c = case("tnn16", "ticket_number")
c.t("a", 0, "chat", en(None, au("usr_ww5r0c")),
    "hi, ref. {N} - the refund you promised for the broken blender hasn't come through",
    kind="unknown_number", cite=("unknown", None))

# =====================================================================================
# store_review: the same review posted twice; other reviewers' reviews of the same problem
# =====================================================================================

REVIEWS = [
    # (case, lang, name, text, edited copy or None for the same text, second copy hours,
    #  third copy (text, hours) or None)
    ("sr01", "fr", "Marco_L",
     "L'appli plante systématiquement au démarrage depuis la mise à jour 5.2. Impossible d'accéder "
     "à mes comptes. Corrigez vite svp.", None, 2.0, None),
    ("sr02", "fr", "Nathalie B.",
     "Application inutilisable : la connexion par empreinte ne marche plus, je dois retaper mon code "
     "à chaque fois. Très agaçant.",
     "Application inutilisable : la connexion par empreinte ne marche plus depuis hier, je dois "
     "retaper mon code à chaque fois. Très agaçant.", 20.0, None),
    ("sr03", "en", "dave_r",
     "Used to be great but now it logs me out every five minutes. Two stars until it's fixed.",
     None, 5.5, None),
    ("sr04", "fr", None,
     "Impossible de payer avec la carte enregistrée, message « erreur 3DS ». Je passe par le site en "
     "attendant.",
     "Impossible de payer avec la carte enregistrée, message « erreur 3DS ». Je passe par le site "
     "en attendant !!", 30.0, None),
    ("sr05", "en", "Kirsty M",
     "The new update removed dark mode?? My eyes hurt at night. Please bring it back.",
     "The new update removed dark mode?? My eyes hurt at night. Please bring it back!", 12.0,
     ("The new update removed dark mode?? My eyes hurt at night. Please, bring it back.", 40.0)),
    ("sr06", "fr", "Jeannot",
     "Les notifications de suivi de colis n'arrivent plus du tout, je découvre les livraisons une "
     "fois le colis reparti. Nul.", None, 0.7, None),
    ("sr07", "en", "Paula W.",
     "Can't upload my claim photos, it keeps saying 'file too large' even for a small picture.",
     "Can't upload my claim photos, it keeps saying 'file too large' even for a tiny picture.",
     26.0, None),
    ("sr08", "fr", "Claudine",
     "Trop de bugs : le solde affiché n'est pas le bon, il faut fermer et rouvrir l'appli pour qu'il "
     "se mette à jour.", None, 47.0, None),
    ("sr09", "en", None,
     "App crashes every time I try to scan a receipt. Samsung A54, latest version.",
     "App crashes every time I try to scan a receipt. Samsung A54, latest version. Still broken.",
     18.0, None),
    ("sr10", "fr", "Bastien",
     "Je n'arrive plus à me connecter depuis que j'ai changé de téléphone, le code SMS n'arrive "
     "jamais. Service client injoignable.",
     "Je n'arrive plus a me connecter depuis que j'ai changé de telephone, le code SMS n'arrive "
     "jamais. Service client injoignable.", 6.0,
     ("Je n'arrive plus à me connecter depuis que j'ai changé de téléphone, le code SMS n'arrive "
      "jamais. Service client injoignable !", 31.0)),
    ("sr11", "en", "TomH",
     "Subscription renewed itself without any warning and there's no cancel button in the app.",
     None, 9.0, None),
    ("sr12", "fr", "Sabrina K",
     "La carte ne s'affiche plus dans l'appli, écran blanc à la place. Dommage, c'était pratique.",
     "La carte ne s'affiche plus dans l'appli, écran blanc à la place. Dommage c'était pratique.",
     15.0, None),
    ("sr13", "en", "m.okoro",
     "Five stars for the service, one star for the app: it forgets my language every time and "
     "switches back to French.", None, 3.3, None),
    ("sr14", "fr", None,
     "Depuis la dernière version, impossible d'ajouter un bénéficiaire de virement, le bouton "
     "« Valider » est grisé.",
     "Depuis la dernière version, impossible d'ajouter un bénéficiaire de virement, le bouton "
     "« Valider » reste grisé.", 52.0, None),
    ("sr15", "en", "Georgina",
     "Booking a delivery slot is impossible, the calendar never loads past the spinner.",
     "Booking a delivery slot is impossible, the calendar never loads past the spinner. 1 star.",
     21.0,
     ("Booking a delivery slot is impossible - the calendar never loads past the spinner.", 60.0)),
    ("sr16", "fr", "Hélène D.",
     "L'appli me déconnecte dès que je passe en arrière-plan, il faut tout ressaisir. Pénible.",
     None, 36.0, None),
    ("sr17", "en", "Jake",
     "Face ID stopped working after the update, now I have to type my 8-digit passcode each time.",
     "Face ID stopped working after the update, now I have to type my 8 digit passcode each time.",
     7.0, None),
    ("sr18", "fr", "Mireille",
     "Les factures ne se téléchargent plus, le PDF reste vide. Obligée d'appeler le service client.",
     None, 11.0, None),
]

for name, lang, who, text, again, hours, third in REVIEWS:
    c = case(name, "store_review")
    c.t("a", 0, "app_store_review", (who, lang, []), text)
    c.t("b", hours, "app_store_review", (who, lang, []), again or text, dup="a",
        why=WHY["dup_review"] if again else "The same review posted on the other store within 72 h.")
    if third:
        c.t("c", third[1], "app_store_review", (who, lang, []), third[0], dup="a")

# Other reviewers of the same problems: placed within 72 h of the review they resemble.
OTHER_REVIEWERS = [
    ("sr01", 9.0, "fr", "Sonia",
     "L'application crashe quand je l'ouvre, depuis la dernière version. Écran blanc puis retour à "
     "l'accueil du téléphone."),
    ("sr02", 30.0, "fr", None,
     "Plus de Face ID / empreinte depuis la mise à jour, obligé de saisir le code secret à chaque "
     "ouverture."),
    ("sr03", 14.0, "en", "Ellie",
     "Keeps signing me out constantly, I have to log back in several times a day. Annoying."),
    ("sr05", 26.0, "en", "NightOwl",
     "Where did the dark theme go? The white screen is blinding in bed."),
    ("sr07", 3.0, "en", "Ben S.",
     "Photo upload for claims is broken, it fails with an error on every image I try."),
    ("sr09", 40.0, "en", "Ade",
     "Receipt scanner makes the whole app close. Pixel 8 here."),
    ("sr10", 20.0, "fr", "Lucie M",
     "Nouveau téléphone = impossible de me reconnecter, je ne reçois aucun SMS de validation."),
    ("sr11", 50.0, "en", "Carl",
     "Got charged for another year automatically, couldn't find how to cancel anywhere."),
    ("sr14", 10.0, "fr", "Pascal",
     "Ajout de bénéficiaire bloqué : je remplis l'IBAN et rien ne se passe quand je valide."),
    ("sr16", 5.0, "fr", "Loïc",
     "Chaque fois que je change d'appli et que je reviens, je suis déconnecté. À corriger."),
    ("sr18", 30.0, "fr", "Jo",
     "Téléchargement des factures en panne : le fichier s'ouvre mais il est vide."),
]

for target, hours, lang, who, text in OTHER_REVIEWERS:
    owner = next(x for x in CASES if x.name == target)
    owner.t(f"o{len(owner.tickets)}", hours, "app_store_review", (who, lang, []), text,
            kind="review_other_reviewer", problem=f"other-{len(owner.tickets)}")

c = case("srn01", "store_review")
_text = ("Je ne recommande pas : virement instantané facturé alors qu'il était annoncé gratuit.")
c.t("a", 0, "app_store_review", ("Gaston", "fr", []), _text)
c.t("b", 110.0, "app_store_review", ("Gaston", "fr", []), _text, kind="review_beyond_window")

c = case("srn02", "store_review")
_text = "Widget on the home screen never refreshes the balance. Please fix."
c.t("a", 0, "app_store_review", (None, "en", []), _text)
c.t("b", 80.0, "app_store_review", (None, "en", []), _text + "!", kind="review_beyond_window")

c = case("srn03", "store_review")
_text = "Le scan de RIB ne reconnaît jamais mon IBAN, je dois tout taper à la main."
c.t("a", 0, "app_store_review", ("Annie", "fr", []), _text)
c.t("b", 75.0, "app_store_review", ("Annie", "fr", []), _text, kind="review_beyond_window")

# =====================================================================================
# unrelated: background tickets, each from a person who writes only once
# =====================================================================================

BACKGROUND = [
    ("email", fr("Géraldine Poirier", em("geraldine.poirier@gmail.com")),
     "Mise à jour de coordonnées",
     "Bonjour,\n\nJe vous informe de mon changement de numéro de téléphone : merci de mettre à jour "
     "mon dossier.\n\nCordialement,\nGéraldine Poirier"),
    ("chat", fr(None, au("usr_pb3n6x")), None,
     "bonjour, est-ce que je peux payer ma facture en 3 fois ?"),
    ("whatsapp", fr("Aline", wa("33606417283")), None,
     "Bonjour, vos agences sont ouvertes le samedi matin ?"),
    ("email", en("Simon Baker", em("simon.baker@gmail.com")), "Student discount",
     "Hi,\n\nDo you offer a student discount on the annual plan? I'm at the University of Leeds.\n\n"
     "Cheers,\nSimon"),
    ("sms", en(None, ph("+44 7700 900142")), None,
     "Can you send me the link to download the app again please"),
    ("web_form", fr("Hervé Collet", em("herve.collet@laposte.net")), "Question sur la garantie",
     "Est-ce que la garantie de l'aspirateur couvre la batterie ? Elle ne tient plus que 5 minutes."),
    ("messenger", fr("Sabine Roux", ms("2284470931156620")), None,
     "Bonjour, vous livrez en Corse ? Et si oui en combien de temps ?"),
    ("phone", fr("Maurice Gilbert", ph("03 88 41 29 56")), None,
     "Message vocal transcrit : bonjour, Maurice Gilbert, je voudrais recevoir mes factures par "
     "courrier et non plus par mail, merci."),
    ("email", fr("Noémie Lefort", em("noemie.lefort@gmail.com")), "Parrainage",
     "Bonjour,\n\nJ'ai parrainé une amie le mois dernier mais la prime de parrainage de 30 € n'apparaît "
     "pas sur mon compte.\n\nNoémie"),
    ("chat", en(None, au("usr_hh28vn")), None,
     "hi how do I change the email address on my account"),
    ("whatsapp", en("Callum", wa("447700900981")), None,
     "Hi, is there a fee for withdrawing cash abroad with the standard card?"),
    ("email", en("Victoria Lane", em("victoria.lane@gmail.com")), "Complaint about an agent",
     "Hello,\n\nI called yesterday about my pension statement and the agent was rude and hung up on me. "
     "I'd like this to be looked into.\n\nVictoria Lane"),
    ("api", fr("Boutique Les Tilleuls", ex("shop-tilleuls-0442")), None,
     "Synchronisation du catalogue en échec depuis 6h : erreur d'authentification sur l'API "
     "partenaires."),
    ("sms", fr(None, ph("07 68 23 91 05")), None,
     "bonjour c'est possible de décaler mon rdv d'installation de la fibre à la semaine prochaine ?"),
    ("web_form", en("Amir Hussain", em("amir.hussain@outlook.com")), "Business account",
     "I'd like to open a business account for my new limited company. What documents do I need?"),
    ("email", fr("Bénédicte Aubert", em("benedicte.aubert@orange.fr")), "Attestation de sinistralité",
     "Bonjour,\n\nJe change d'assureur auto : pouvez-vous m'envoyer mon relevé d'information ?\n\n"
     "Bien à vous,\nBénédicte Aubert"),
    ("chat", fr(None, au("usr_tz90ml")), None,
     "Salut, le code promo de la newsletter marche pour les produits déjà soldés ?"),
    ("messenger", en("Tyler", ms("8830142276519904")), None,
     "yo do you guys ship to Ireland"),
    ("phone", en("Margaret Hill", ph("+44 20 7946 0321")), None,
     "Voicemail: hello, this is Margaret Hill, I'd like to set up a power of attorney for my "
     "husband's account, please call me back."),
    ("email", fr("Xavier Gomez", em("xavier.gomez@free.fr")), "Résiliation option TV",
     "Bonjour,\n\nMerci de résilier l'option TV de mon abonnement à la fin du mois, je ne l'utilise "
     "jamais.\n\nXavier Gomez\n69003 Lyon"),
    ("whatsapp", fr("Lina", wa("33750381946")), None,
     "Bonjour, je voudrais savoir si l'assurance voyage couvre le ski hors piste"),
    ("email", en("Harriet Cole", em("harriet.cole@gmail.com")), "Paper statements",
     "Hello,\n\nPlease stop sending me paper statements; I'm happy with online ones.\n\nHarriet"),
    ("web_form", fr("Didier Roger", em("didier.roger@gmail.com")), "Devis assurance moto",
     "Bonjour, je souhaite un devis pour assurer une moto 125 cm3, conducteur de 42 ans, sans sinistre."),
    ("chat", en(None, au("usr_mm04ke")), None,
     "is the app down? just shows maintenance for me"),
    ("sms", fr(None, ph("06 90 72 18 34")), None,
     "Bonjour vous pouvez me rappeler pour une question sur mon contrat obsèques ? Mme Leclerc"),
    ("email", fr("Quentin Barbier", em("quentin.barbier@gmail.com")), "Facture professionnelle",
     "Bonjour,\n\nPourriez-vous ajouter le nom de ma société sur la facture de l'ordinateur acheté "
     "la semaine dernière ? SIRET joint.\n\nQuentin Barbier"),
    ("messenger", fr("Nina", ms("9921034458176203")), None,
     "coucou, le jeu concours de la page est encore ouvert ?"),
    ("whatsapp", en("Joe", wa("447700900064")), None,
     "Hi, what time does your customer service close today?"),
    ("email", en("Fiona Grant", em("fiona.grant@yahoo.co.uk")), "Gift card balance",
     "Hello,\n\nHow can I check the remaining balance on a gift card I received?\n\nFiona"),
    ("phone", fr("Armand Colas", ph("+33 (0)5 56 44 18 27")), None,
     "Message vocal transcrit : bonjour, Armand Colas, je voudrais un rendez-vous avec un conseiller "
     "pour parler d'une assurance vie."),
    ("chat", fr(None, au("usr_ab71ce")), None,
     "Est-ce qu'on peut avoir deux cartes sur le même compte joint ?"),
    ("email", fr("Sylvain Renaud", em("sylvain.renaud@outlook.fr")), "Merci",
     "Bonjour,\n\nJuste un mot pour remercier Julie du service client pour son aide sur mon dossier "
     "de prêt, elle a été parfaite.\n\nSylvain Renaud"),
    ("web_form", en("Chloe Adams", em("chloe.adams@gmail.com")), "Accessibility",
     "Is there a way to make the text bigger in the app? I'm visually impaired."),
    ("sms", en(None, ph("+44 7700 900700")), None,
     "STOP marketing texts please"),
    ("email", fr("Mélanie Caron", em("melanie.caron@gmail.com")), "Changement de nom",
     "Bonjour,\n\nJe me suis mariée : comment faire modifier mon nom sur mes contrats ?\n\n"
     "Mélanie Caron"),
]

for i, (channel, who, subject, body) in enumerate(BACKGROUND, 1):
    c = case(f"bg{i:02}", "unrelated")
    c.t("a", 0, channel, who, body, subject, kind="background")


# --- placement, numbering, rendering ----------------------------------------------


def offset_for(instant):
    return dt.timedelta(hours=2) if instant < DST_END else dt.timedelta(hours=1)


def rfc3339(instant, local):
    if not local:
        return instant.strftime("%Y-%m-%dT%H:%M:%SZ")
    off = offset_for(instant)
    text = (instant + off).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}+{int(off.total_seconds() // 3600):02}:00"


FR_DAYS = ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."]
FR_MONTHS = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
             "nov.", "déc."]


def quote(ticket):
    """The quoted history a mail client puts under a reply to `ticket`."""
    email = next(i["value"] for i in ticket.identities if i["kind"] == "email")
    if ticket.lang == "fr":
        local = ticket.at + offset_for(ticket.at)
        header = (f"Le {FR_DAYS[local.weekday()]} {local.day} {FR_MONTHS[local.month - 1]} "
                  f"{local.year} à {local:%H:%M}, {ticket.name} <{email}> a écrit :")
    else:
        # London time: one hour behind Paris all through the period.
        local = ticket.at + offset_for(ticket.at) - dt.timedelta(hours=1)
        hour = local.hour % 12 or 12
        header = (f"On {local:%a}, {local:%b} {local.day}, {local.year} at {hour}:{local:%M} "
                  f"{'AM' if local.hour < 12 else 'PM'} {ticket.name} <{email}> wrote:")
    body = "\n".join("> " + line if line else ">" for line in ticket.body.split("\n"))
    return f"{header}\n{body}"


def place(rng):
    """Give every ticket its instant: cases at random anchors, in a fixed order."""
    taken = set()
    for c in CASES:
        lo = min(t.hours for t in c.tickets)
        hi = max(t.hours for t in c.tickets)
        if c.at is None:
            first = SPAN_START - dt.timedelta(hours=lo)
            last = SPAN_END - dt.timedelta(hours=hi)
            span = int((last - first).total_seconds() // 60)
            if span <= 0:
                raise ValueError(f"case {c.name} spans {hi - lo} h: longer than the period")
            while True:  # people write mostly in the day: anchors between 07:30 and 21:30 Paris
                anchor = first + dt.timedelta(minutes=rng.randrange(span))
                local = anchor + offset_for(anchor)
                if 7 * 60 + 30 <= local.hour * 60 + local.minute <= 21 * 60 + 30:
                    break
        else:
            anchor = c.at
        for t in c.tickets:
            if t.hours == 0 or c.at is not None:
                at = anchor + dt.timedelta(hours=t.hours)
            else:
                at = anchor + dt.timedelta(hours=t.hours, minutes=rng.randrange(-9, 10))
            at = at.replace(second=rng.randrange(60) if c.at is None else 0)
            while at in taken:
                at += dt.timedelta(seconds=1)
            taken.add(at)
            t.at = at
            t.local_offset = t.local if t.local is not None else rng.random() < 0.6


def assign_numbers(rng, tickets):
    """Give ticket numbers: every `numbered` ticket, then others until about a third."""
    used = set()

    def fresh():
        while True:
            n = rng.randrange(40000, 69000)
            if n not in used and all(abs(n - u) > 1 for u in used):
                used.add(n)
                return n

    for t in tickets:
        if t.numbered:
            t.number = fresh()
    eligible = [t for t in tickets if t.number is None and t.channel != "app_store_review"
                and t.cite is None]
    want = round(len(tickets) * NUMBERED_SHARE) - sum(1 for t in tickets if t.number)
    for t in rng.sample(eligible, max(0, want)):
        t.number = fresh()
    # Numbers cited by tickets: existing ones, unknown ones, and mistyped ones.
    by_key = {t.key: t for t in tickets}
    for t in tickets:
        if t.cite is None:
            continue
        kind, ref = t.cite
        if kind in ("ref", "other", "order"):
            t.cited_number = by_key[ref].number
        elif kind == "unknown":
            t.cited_number = fresh()
        elif kind == "typo":
            s = str(by_key[ref].number)
            for i in range(4):
                swapped = s[:i] + s[i + 1] + s[i] + s[i + 2:]
                if swapped != s and int(swapped) not in used:
                    break
            else:
                raise ValueError(f"{t.key}: no usable typo of {s}")
            t.cited_number = int(swapped)
            used.add(t.cited_number)
        if t.cited_number is None:
            raise ValueError(f"{t.key}: cites {ref}, which carries no number")
    # Unknown and mistyped numbers were reserved in `used` but no ticket carries them.
    carried = {t.number for t in tickets if t.number}
    for t in tickets:
        if t.cite and t.cite[0] in ("unknown", "typo") and t.cited_number in carried:
            raise ValueError(f"{t.key}: unknown number {t.cited_number} is carried by a ticket")


def render(tickets):
    by_key = {t.key: t for t in tickets}
    lines = []
    for t in tickets:
        def fill(text):
            if text is None:
                return None
            if t.cited_number is not None:
                text = text.replace("{N}", str(t.cited_number))
            if t.quote:
                text = text.replace("{Q}", quote(by_key[t.quote]))
            if "{" in text and re.search(r"\{[NQ]\}", text):
                raise ValueError(f"{t.key}: placeholder left in {text!r}")
            return text

        when = rfc3339(t.at, t.local_offset)
        requester = {"name": t.name, "identities": t.identities, "language": t.lang}
        ticket = {
            "id": t.id,
            "channel": t.channel,
            "requester": requester,
            "subject": fill(t.subject),
            "status": "new",
            "created_at": when,
            "updated_at": when,
        }
        if t.number is not None:
            ticket["fields"] = [{"name": "number", "value": {"text": str(t.number)}}]
        ticket["messages"] = [{
            "id": f"m-{t.id}",
            "author_role": "requester",
            "channel": t.channel,
            "body": fill(t.body),
            "created_at": when,
        }]
        event = {"id": f"ev-{t.id}", "kind": {"type": "ticket_created"}, "occurred_at": when,
                 "ticket": ticket}
        label = {
            "category": t.case.category,
            "duplicate_of": by_key[t.dup].id if t.dup else None,
            "why": t.why or default_why(t),
        }
        lines.append({"event": event, "label": label})
    return lines


def default_why(t):
    if t.dup:
        return WHY[{"cross_channel": "dup_cross", "same_channel": "dup_same",
                    "ticket_number": "dup_number", "store_review": "dup_review"}[t.case.category]]
    return WHY[t.kind or "original"]


# --- validation -------------------------------------------------------------------

REF_PATTERNS = [
    r"\[#(\d{5})\]",
    r"\[Ticket#(\d{5})\]",
    r"\bticket\s+#?(\d{5})\b",
    r"\bdemande\s+n°\s?(\d{5})\b",
    r"\bdossier\s+(\d{5})\b",
    r"\bref\.\s?(\d{5})\b",
    r"\bréférence\s+(\d{5})\b",
]
ORDER_PATTERNS = [
    r"\bcommande\s+(?:n°\s?)?(\d{5})\b",
    r"\border\s+#?(\d{5})\b",
    r"\bfacture\s+(?:n°\s?)?(\d{5})\b",
    r"\binvoice\s+#?(\d{5})\b",
]


def fold(text):
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def fail(message):
    sys.exit(f"heldout: invalid dataset: {message}")


def validate(lines, tickets):
    """Check the written lines against the format and the labelling rules; exit on the first error."""
    ids = [line["event"]["ticket"]["id"] for line in lines]
    if ids != [f"h-{i:04}" for i in range(1, len(ids) + 1)]:
        fail("ticket ids are not h-0001.. in order")
    instants = []
    event_keys = {"id", "kind", "occurred_at", "ticket"}
    ticket_keys = {"id", "channel", "requester", "subject", "status", "created_at", "updated_at",
                   "messages"}
    for line in lines:
        if set(line) != {"event", "label"}:
            fail(f"line keys {sorted(line)}")
        ev, label = line["event"], line["label"]
        tk = ev["ticket"]
        if set(label) != {"category", "duplicate_of", "why"} or label["category"] not in CATEGORIES:
            fail(f"{tk['id']}: bad label {label}")
        if set(ev) != event_keys or ev["kind"] != {"type": "ticket_created"}:
            fail(f"{tk['id']}: bad event keys {sorted(ev)}")
        if set(tk) - {"fields"} != ticket_keys:
            fail(f"{tk['id']}: bad ticket keys {sorted(tk)}")
        if ev["id"] != f"ev-{tk['id']}" or not (ev["occurred_at"] == tk["created_at"] == tk["updated_at"]):
            fail(f"{tk['id']}: event id or times disagree")
        if set(tk["requester"]) != {"name", "identities", "language"} or tk["requester"]["language"] not in ("fr", "en"):
            fail(f"{tk['id']}: bad requester {tk['requester']}")
        for ident in tk["requester"]["identities"]:
            if set(ident) != {"kind", "value"}:
                fail(f"{tk['id']}: bad identity {ident}")
            identity_key(ident)
        (msg,) = tk["messages"]
        if set(msg) != {"id", "author_role", "channel", "body", "created_at"} or msg["id"] != f"m-{tk['id']}" \
                or msg["channel"] != tk["channel"] or msg["created_at"] != tk["created_at"] \
                or msg["author_role"] != "requester":
            fail(f"{tk['id']}: bad message {msg}")
        if (tk["subject"] is None) == (tk["channel"] in SUBJECT_CHANNELS):
            fail(f"{tk['id']}: subject {tk['subject']!r} on channel {tk['channel']}")
        if tk["channel"] == "app_store_review" and tk["requester"]["identities"]:
            fail(f"{tk['id']}: a store review carries identities")
        when = ev["occurred_at"]
        instant = dt.datetime.fromisoformat(when.replace("Z", "+00:00")).astimezone(UTC)
        if not when.endswith("Z"):
            want = offset_for(instant)
            if when[-6:] != f"+{int(want.total_seconds() // 3600):02}:00":
                fail(f"{tk['id']}: offset of {when} is not Paris time")
        if not (SPAN_START <= instant <= SPAN_END):
            fail(f"{tk['id']}: {when} outside the period")
        instants.append(instant)
    if any(b <= a for a, b in zip(instants, instants[1:])):
        fail("tickets are not in strictly chronological order")

    # Ticket numbers: unique, five digits.
    numbers = {}
    for line in lines:
        tk = line["event"]["ticket"]
        for f in tk.get("fields", []):
            if f["name"] != "number" or not re.fullmatch(r"\d{5}", f["value"].get("text", "")):
                fail(f"{tk['id']}: bad field {f}")
            if f["value"]["text"] in numbers:
                fail(f"number {f['value']['text']} carried twice")
            numbers[f["value"]["text"]] = tk["id"]

    # Duplicate groups: point back to an earlier ticket that is itself no duplicate.
    index = {line["event"]["ticket"]["id"]: i for i, line in enumerate(lines)}
    for i, line in enumerate(lines):
        target = line["label"]["duplicate_of"]
        if target is None:
            continue
        j = index.get(target)
        if j is None or j >= i:
            fail(f"{ids[i]}: duplicate_of {target} is not an earlier ticket")
        if lines[j]["label"]["duplicate_of"] is not None:
            fail(f"{ids[i]}: duplicate_of {target}, itself merged")

    # Identities, linked again from scratch, in file order.
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a, b):
        parent[find(a)] = find(b)

    keys = [[identity_key(x) for x in line["event"]["ticket"]["requester"]["identities"]] for line in lines]
    same_person = {}  # (j, i) -> same person as seen when i arrived
    persons_cases = collections.defaultdict(set)
    for i in range(len(lines)):
        for a, b in zip(keys[i], keys[i][1:]):
            union(a, b)
        roots = {find(k) for k in keys[i]}
        for j in range(i):
            if roots and any(find(k) in roots for k in keys[j]):
                same_person[(j, i)] = True
    for (j, i) in same_person:
        if tickets[j].case is not tickets[i].case:
            fail(f"{ids[i]} and {ids[j]} are one person across cases {tickets[i].case.name}/{tickets[j].case.name}")

    texts = [fold((line["event"]["ticket"]["subject"] or "") + "\n" + line["event"]["ticket"]["messages"][0]["body"])
             for line in lines]
    raw = [(line["event"]["ticket"]["subject"] or "") + "\n" + line["event"]["ticket"]["messages"][0]["body"]
           for line in lines]

    for i, t in enumerate(tickets):
        label = lines[i]["label"]
        dup = label["duplicate_of"]
        refs = set()
        for p in REF_PATTERNS:
            refs.update(re.findall(p, raw[i], flags=re.IGNORECASE))
        orders = set()
        for p in ORDER_PATTERNS:
            orders.update(re.findall(p, raw[i], flags=re.IGNORECASE))
        five = set(re.findall(r"(?<!\d)\d{5}(?!\d)", raw[i]))
        if t.cite is None:
            if refs or orders or (five & set(numbers)):
                fail(f"{ids[i]}: cites numbers {refs | orders | five} without meaning to")
        else:
            n = str(t.cited_number)
            kind = t.cite[0]
            if kind in ("ref", "other", "unknown", "typo") and refs != {n}:
                fail(f"{ids[i]}: expected a reference to {n}, found {refs}")
            if kind == "order" and (refs or orders != {n}):
                fail(f"{ids[i]}: expected an order number {n}, found refs {refs} orders {orders}")
            if kind in ("unknown", "typo") and n in numbers:
                fail(f"{ids[i]}: unknown number {n} is carried by {numbers[n]}")
            if kind in ("ref", "other", "order"):
                j = index[numbers[n]]
                person = same_person.get((j, i), False)
                if kind == "ref" and (not person or dup != ids[j]):
                    fail(f"{ids[i]}: reference to {n} of {ids[j]} should be a duplicate of it")
                if kind == "other" and (person or dup is not None):
                    fail(f"{ids[i]}: cites {n} of another person and must stay apart")
        if t.channel == "app_store_review":
            continue
        # Text/identity duplicates: the oldest open same-person, same-problem ticket within 72 h.
        candidates = [j for j in range(i) if same_person.get((j, i)) and tickets[j].problem == t.problem
                      and lines[j]["label"]["duplicate_of"] is None
                      and instants[i] - instants[j] <= WINDOW]
        merged_near = [j for j in range(i) if same_person.get((j, i)) and tickets[j].problem == t.problem
                       and lines[j]["label"]["duplicate_of"] is not None
                       and instants[i] - instants[j] <= WINDOW]
        expected = ids[candidates[0]] if candidates else None
        if t.cite and t.cite[0] == "ref":
            continue
        if expected != dup:
            fail(f"{ids[i]} ({t.key}): labelled duplicate_of {dup}, the rules give {expected}")
        if merged_near and not candidates:
            fail(f"{ids[i]} ({t.key}): within 72 h of a merged ticket only: ambiguous, redesign")
        if t.kind == "beyond_window":
            earlier = [j for j in range(i) if same_person.get((j, i)) and tickets[j].problem == t.problem]
            if not earlier or min(instants[i] - instants[j] for j in earlier) <= WINDOW:
                fail(f"{ids[i]}: beyond-window negative is not beyond the window")
        if t.kind in ("never_together", "email_variant", "other_people"):
            same = [j for j in range(i) if tickets[j].case is t.case and tickets[j].problem == t.problem]
            if not same or any(same_person.get((j, i)) for j in same):
                fail(f"{ids[i]}: {t.kind} negative is the same person as its look-alike")
        if t.kind == "other_problem":
            if not any(same_person.get((j, i)) and instants[i] - instants[j] <= WINDOW for j in range(i)):
                fail(f"{ids[i]}: other-problem negative has no same-person ticket within 72 h")
        if t.case.category == "cross_channel" and dup is not None and t.channel == lines[index[dup]]["event"]["ticket"]["channel"] and t.key != "ccn04.c":
            fail(f"{ids[i]}: cross_channel duplicate on the same channel as its original")
        if t.case.category == "same_channel" and dup is not None and t.channel != lines[index[dup]]["event"]["ticket"]["channel"]:
            fail(f"{ids[i]}: same_channel duplicate on another channel")

    # Store reviews: near-identical text within 72 h is a duplicate, and only that.
    reviews = [i for i, t in enumerate(tickets) if t.channel == "app_store_review"]
    for x, i in enumerate(reviews):
        for j in reviews[:x]:
            ratio = difflib.SequenceMatcher(None, texts[j], texts[i]).ratio()
            near = instants[i] - instants[j] <= WINDOW
            dup = lines[i]["label"]["duplicate_of"]
            same_group = dup is not None and (dup == ids[j] or dup == lines[j]["label"]["duplicate_of"])
            if same_group and ratio < 0.9:
                fail(f"{ids[i]}: review duplicate of {ids[j]} is only {ratio:.2f} alike")
            if not same_group and near and ratio >= 0.6:
                fail(f"{ids[i]}: review {ratio:.2f} alike to {ids[j]} within 72 h but not merged")
            if not same_group and not near and ratio >= 0.9 and tickets[i].kind != "review_beyond_window":
                fail(f"{ids[i]}: review repeats {ids[j]} beyond 72 h but is not marked so")


def main():
    rng = random.Random(SEED)
    place(rng)
    tickets = sorted((t for c in CASES for t in c.tickets), key=lambda t: t.at)
    for i, t in enumerate(tickets, 1):
        t.id = f"h-{i:04}"
    assign_numbers(rng, tickets)
    lines = render(tickets)
    validate(lines, tickets)
    with OUT.open("w", encoding="utf-8") as out:
        for line in lines:
            out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
    report(lines, tickets)


def report(lines, tickets):
    print(f"wrote {OUT.name}: {len(lines)} tickets, "
          f"{sum(1 for t in tickets if t.number)} with a ticket number")
    print(f"{'category':<15}{'tickets':>8}{'duplicates':>12}{'not merged':>12}")
    for cat in CATEGORIES:
        rows = [line for line in lines if line["label"]["category"] == cat]
        dups = sum(1 for line in rows if line["label"]["duplicate_of"])
        print(f"{cat:<15}{len(rows):>8}{dups:>12}{len(rows) - dups:>12}")
    for cat in CATEGORIES:
        roles = collections.Counter(
            "duplicate" if t.dup else (t.kind or "original") for t in tickets if t.case.category == cat)
        print(f"  {cat}: " + ", ".join(f"{k} {n}" for k, n in sorted(roles.items())))
    langs = collections.Counter(t.lang for t in tickets)
    print(f"languages: fr {langs['fr']}, en {langs['en']}")


if __name__ == "__main__":
    main()
