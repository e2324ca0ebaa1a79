#!/usr/bin/env python3
"""Builds `paraphrases.jsonl`: a labelled set of same-person tickets in other words.

The development set's duplicates mostly reuse the words of a handful of templates. This
set asks what generalisation needs: the same person writing again about one problem on
the SAME channel or another, in genuinely different wording (synonyms, French/English
mix, SMS spelling, typos, another word order, shorter or longer, with or without quoted
history, signature and greeting), and hard negatives: the same person, within 72 hours,
on the same channel, about ANOTHER problem, with the same generic words ("problème",
"compte", "urgent", "merci de me rappeler", another order's number).

Topics are broader than the development set's: telecom bills, network outages, SIM
activation, insurance claims, subscriptions, deliveries, logins, cards, transfers,
refunds, app bugs, address changes and tax documents.

Same format and labelling rules as `dev.jsonl` (see README.md). Standard library only,
one seeded `random.Random`, so the same bytes each run. Before writing, every label is
recomputed from the file (identities normalised and linked, the hidden problem key of
each draft, the 72-hour window) and the format is checked; any mismatch stops the script.

Usage: python3 build_paraphrases.py  (writes paraphrases.jsonl beside it)
"""

from __future__ import annotations

import json
import os
import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

SEED = 20261106
rng = random.Random(SEED)
UTC = timezone.utc
START = datetime(2026, 10, 12, 6, 0, tzinfo=UTC)
END = datetime(2026, 11, 6, 20, 0, tzinfo=UTC)
DST_END = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)
WINDOW = timedelta(hours=72)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "paraphrases.jsonl")


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


# --------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------

FR_NAMES = ["Camille Rousseau", "Julien Moreau", "Inès Garnier", "Thomas Lefèvre", "Léa Fontaine",
            "Hugo Chevalier", "Manon Girard", "Nicolas Bonnet", "Sarah Lambert", "Karim Benali",
            "Chloé Mercier", "Antoine Faure", "Yasmine Haddad", "Pierre Gauthier", "Émilie Perrin",
            "Mathis Robin", "Clara Masson", "Lucas Dupuis", "Nadia Boucher", "Romain Marchand"]
EN_NAMES = ["Oliver Bennett", "Amelia Clarke", "Harry Walsh", "Isla Murphy", "George Turner",
            "Sophie Price", "Jack Fletcher", "Emily Hughes", "Daniel Shaw", "Grace Palmer",
            "Samuel Reid", "Lucy Barker", "Noah Spencer", "Hannah Cole"]


@dataclass
class Person:
    name: str
    lang: str
    email: str
    e164: str  # "+33612345678"

    @property
    def first(self) -> str:
        return self.name.split()[0]


_used: set[str] = set()
_person_count = 0


def new_person(lang: str) -> Person:
    global _person_count
    _person_count += 1
    names = FR_NAMES if lang == "fr" else EN_NAMES
    name = rng.choice(names)
    base = fold(name).lower().replace(" ", ".").replace("'", "")
    email = f"{base}{_person_count}@{'example.fr' if lang == 'fr' else 'example.com'}"
    while True:
        if lang == "fr":
            e164 = "+33" + rng.choice("67") + "".join(rng.choice("0123456789") for _ in range(8))
        else:
            e164 = "+447" + "".join(rng.choice("0123456789") for _ in range(9))
        if e164 not in _used:
            _used.add(e164)
            break
    return Person(name, lang, email, e164)


def phone_spelling(p: Person) -> str:
    """One of the usual ways of writing the person's number."""
    if p.e164.startswith("+33"):
        national = "0" + p.e164[3:]
        pairs = " ".join(national[i:i + 2] for i in range(0, 10, 2))
        return rng.choice([p.e164, national, pairs, "+33 " + pairs[1:]])
    return rng.choice([p.e164, "0044 " + p.e164[3:]])


def identity(p: Person, kind: str) -> dict:
    if kind == "email":
        return {"kind": "email", "value": p.email if rng.random() < 0.8 else p.email.capitalize()}
    if kind == "phone":
        return {"kind": "phone", "value": phone_spelling(p)}
    if kind == "whatsapp":
        return {"kind": "whatsapp", "value": p.e164[1:]}
    raise ValueError(kind)


CHANNEL_KIND = {"email": "email", "web_form": "email", "chat": "email", "whatsapp": "whatsapp",
                "sms": "phone", "phone": "phone"}

# --------------------------------------------------------------------------------------
# Problems, each told in several genuinely different ways
# --------------------------------------------------------------------------------------

# Each topic: subjects and wordings per language. Placeholders: {order} (an order, line
# or contract reference of the problem), {amount}, {month}. Wordings of one topic share
# as few words as a real customer's second attempt would.
TOPICS: dict[str, dict[str, dict[str, list[str]]]] = {
    "bill_high": {
        "fr": {
            "subject": ["Facture anormalement élevée", "Montant de ma facture de {month}", "Contestation facture mobile"],
            "text": [
                "Ma facture de {month} est de {amount} alors que mon forfait est à 19,99 €. Je ne comprends pas d'où vient cette différence.",
                "On m'a facturé {amount} ce mois-ci pour ma ligne, c'est beaucoup trop par rapport à d'habitude. Pouvez-vous vérifier ?",
                "Je conteste le montant prélevé pour mon forfait mobile en {month} : {amount}, il y a des hors forfait que je n'ai jamais consommés.",
                "facture de {amount} sur ma ligne ?? d'habitude je paie 20 balles, c'est quoi ces frais",
                "Mon abonnement téléphone m'a coûté {amount} en {month}, le double du prix normal. Merci de corriger la facturation.",
            ],
        },
        "en": {
            "subject": ["Bill much higher than usual", "Query about my {month} bill", "Overcharged on my phone bill"],
            "text": [
                "My {month} bill came to {amount} but my plan is only £15 a month. I don't understand the extra charges.",
                "You've charged me {amount} for my mobile line this month, way more than normal. Can you check it?",
                "I'm disputing the {amount} on my latest phone bill, there are out-of-bundle charges I never used.",
                "bill is {amount}?? normally pay 15 quid, what are these extra fees",
                "Why is my phone contract {amount} this month? That's double the usual price, please fix the billing.",
            ],
        },
    },
    "network_down": {
        "fr": {
            "subject": ["Plus d'internet", "Coupure fibre depuis hier", "Box internet en panne"],
            "text": [
                "Je n'ai plus de connexion internet à la maison depuis hier soir, la box clignote en rouge.",
                "La fibre est coupée chez moi depuis mardi, impossible de travailler. Le voyant de la box reste rouge.",
                "Panne internet totale à mon domicile : plus de wifi, plus de télé, j'ai déjà redémarré la box trois fois.",
                "internet coupé depuis hier, box en rouge, rien ne marche",
                "Depuis deux jours ma box ne capte plus rien, aucun accès au réseau, ni wifi ni ethernet.",
            ],
        },
        "en": {
            "subject": ["No internet at home", "Broadband down since yesterday", "Router not working"],
            "text": [
                "My home broadband has been down since last night, the router light is flashing red.",
                "No internet connection at my flat since Tuesday, I can't work from home. Router shows a red light.",
                "Total outage at my address: no wifi, no TV, I've restarted the router three times already.",
                "internet down since yesterday, router red light, nothing works",
                "For two days my router hasn't connected at all, no network access on wifi or cable.",
            ],
        },
    },
    "sim_activation": {
        "fr": {
            "subject": ["Carte SIM non activée", "Nouvelle SIM sans réseau", "Activation de ma ligne"],
            "text": [
                "J'ai reçu ma nouvelle carte SIM il y a trois jours mais elle n'est toujours pas activée, pas de réseau.",
                "Ma SIM ne fonctionne pas : le téléphone affiche « aucun service » depuis que je l'ai insérée.",
                "La portabilité de mon numéro devait se faire lundi, ma nouvelle puce ne capte rien et l'ancienne est coupée.",
                "sim recue mais tjrs pas activee, aucun service sur le tel",
                "Impossible d'appeler ou d'envoyer un SMS avec la carte SIM que vous m'avez envoyée, la ligne n'est pas active.",
            ],
        },
        "en": {
            "subject": ["SIM not activated", "New SIM card has no signal", "Line activation"],
            "text": [
                "I got my new SIM card three days ago but it still isn't activated, no signal at all.",
                "My SIM doesn't work, the phone says 'no service' ever since I put it in.",
                "My number transfer was due on Monday, the new SIM gets nothing and the old one has been cut off.",
                "got the sim but still not active, no service on my phone",
                "Can't make calls or send texts with the SIM you sent me, the line isn't live.",
            ],
        },
    },
    "insurance_claim": {
        "fr": {
            "subject": ["Suivi de mon sinistre", "Déclaration dégât des eaux", "Sinistre sans réponse"],
            "text": [
                "J'ai déclaré un dégât des eaux le 2 octobre (dossier sinistre {order}) et je n'ai aucune nouvelle de l'expert.",
                "Où en est l'indemnisation de mon sinistre {order} ? La fuite a abîmé le plafond de la cuisine et personne ne m'a recontacté.",
                "Suite à l'inondation de ma salle de bain, j'attends toujours le passage de l'expert pour le sinistre {order}.",
                "sinistre {order} degat des eaux, tjrs pas de nouvelles de l'expert",
                "Cela fait trois semaines que ma déclaration de sinistre {order} (fuite d'eau) est en attente, pouvez-vous la faire avancer ?",
            ],
        },
        "en": {
            "subject": ["Update on my claim", "Water damage claim", "Claim {order} no response"],
            "text": [
                "I filed a water damage claim on 2 October (claim {order}) and haven't heard anything from the assessor.",
                "What's happening with my claim {order}? The leak ruined the kitchen ceiling and nobody has called me back.",
                "After the flooding in my bathroom I'm still waiting for the loss adjuster to visit, claim {order}.",
                "claim {order} water leak, still no news from the assessor",
                "It's been three weeks since I submitted claim {order} for the leak, can you move it forward?",
            ],
        },
    },
    "sub_cancel": {
        "fr": {
            "subject": ["Résiliation abonnement", "Toujours prélevé après résiliation", "Arrêt de mon abonnement"],
            "text": [
                "J'ai résilié mon abonnement en septembre et vous continuez à me prélever {amount} chaque mois.",
                "Malgré ma demande de résiliation, un nouveau prélèvement de {amount} est passé ce mois-ci. Merci d'arrêter.",
                "Je ne veux plus de cet abonnement, je l'ai annulé il y a six semaines et je suis encore débité de {amount}.",
                "abonnement resilie mais encore preleve {amount} ce mois ci",
                "Veuillez mettre fin à mon abonnement et me rembourser les {amount} débités après la date de résiliation.",
            ],
        },
        "en": {
            "subject": ["Cancelled subscription still charged", "Cancel my subscription", "Charged after cancelling"],
            "text": [
                "I cancelled my subscription in September and you're still taking {amount} every month.",
                "Despite cancelling, another payment of {amount} went out this month. Please stop it.",
                "I don't want this subscription any more, I ended it six weeks ago and I'm still being charged {amount}.",
                "subscription cancelled but still charged {amount} this month",
                "Please terminate my membership and pay back the {amount} taken after I cancelled.",
            ],
        },
    },
    "delivery_late": {
        "fr": {
            "subject": ["Colis non reçu", "Commande {order} pas livrée", "Où est ma commande ?"],
            "text": [
                "Ma commande {order} devait arriver jeudi et je n'ai toujours rien reçu, le suivi ne bouge plus.",
                "Le colis de la commande {order} n'est jamais arrivé. Le transporteur indique « en cours d'acheminement » depuis une semaine.",
                "Je n'ai pas été livré : commande {order}, date de livraison dépassée de cinq jours.",
                "colis tjrs pas arrivé, cmd {order}",
                "Pouvez-vous me dire où se trouve mon paquet ? Commande {order}, rien dans ma boîte aux lettres.",
            ],
        },
        "en": {
            "subject": ["Parcel not received", "Order {order} not delivered", "Where is my order?"],
            "text": [
                "My order {order} was due on Thursday and nothing has arrived, the tracking hasn't moved.",
                "The parcel for order {order} never showed up. The courier says 'in transit' for a week now.",
                "I haven't received order {order}, the delivery date passed five days ago.",
                "parcel still not here, order {order}",
                "Can you tell me where my package is? Order {order}, nothing in my letterbox.",
            ],
        },
    },
    "delivery_damaged": {
        "fr": {
            "subject": ["Article reçu cassé", "Colis endommagé", "Produit abîmé à la livraison"],
            "text": [
                "J'ai reçu la commande {order} aujourd'hui mais l'écran de la télévision est fissuré.",
                "Le carton de la commande {order} était écrasé et le vase à l'intérieur est en morceaux.",
                "Produit endommagé à réception (commande {order}) : la porte du micro-ondes est cassée. Je souhaite un échange.",
                "article recu casse, cmd {order}, je veux un echange",
                "La machine livrée hier (commande {order}) a une grosse bosse et ne s'allume pas. Que dois-je faire ?",
            ],
        },
        "en": {
            "subject": ["Item arrived broken", "Damaged parcel", "Product damaged on delivery"],
            "text": [
                "I received order {order} today but the TV screen is cracked.",
                "The box for order {order} was crushed and the vase inside is in pieces.",
                "Item damaged on arrival (order {order}): the microwave door is broken. I'd like a replacement.",
                "item arrived broken, order {order}, want a replacement",
                "The machine delivered yesterday (order {order}) has a big dent and won't switch on. What should I do?",
            ],
        },
    },
    "login": {
        "fr": {
            "subject": ["Impossible de me connecter", "Mot de passe oublié", "Accès à mon espace client"],
            "text": [
                "Je n'arrive plus à me connecter à mon espace client, le site dit que mon mot de passe est incorrect.",
                "J'ai demandé une réinitialisation du mot de passe mais je ne reçois jamais l'e-mail.",
                "Mon identifiant est refusé depuis ce matin, je ne peux plus accéder à mon espace en ligne.",
                "impossible de me co, mdp refusé et pas de mail de reinitialisation",
                "Le lien « mot de passe oublié » ne m'envoie rien et je suis bloqué à l'écran de connexion.",
            ],
        },
        "en": {
            "subject": ["Can't log in", "Password reset not working", "Locked out of my online account"],
            "text": [
                "I can't log in to my online account, the site says my password is wrong.",
                "I asked for a password reset but the email never arrives.",
                "My username is rejected since this morning, I can't access my account online.",
                "cant log in, password rejected and no reset email",
                "The 'forgot password' link sends me nothing and I'm stuck on the sign-in screen.",
            ],
        },
    },
    "card_blocked": {
        "fr": {
            "subject": ["Carte bancaire bloquée", "Paiement refusé", "Ma carte ne passe plus"],
            "text": [
                "Ma carte bancaire est refusée partout depuis ce matin, au supermarché comme en ligne.",
                "Tous mes paiements par carte sont rejetés alors que j'ai de l'argent sur le compte.",
                "Ma CB semble bloquée : paiement refusé chez le boulanger puis à la station essence.",
                "carte refusee partout depuis ce matin, elle est bloquee ?",
                "Je ne peux plus payer avec ma carte, le terminal affiche « transaction refusée » à chaque fois.",
            ],
        },
        "en": {
            "subject": ["Card blocked", "Payment declined", "My card keeps getting declined"],
            "text": [
                "My debit card has been declined everywhere since this morning, in shops and online.",
                "Every card payment I try is rejected even though there's money in the account.",
                "My card seems to be blocked: payment declined at the bakery and then at the petrol station.",
                "card declined everywhere since this morning, is it blocked?",
                "I can't pay with my card any more, the terminal says 'transaction declined' every time.",
            ],
        },
    },
    "transfer_pending": {
        "fr": {
            "subject": ["Virement non reçu par le bénéficiaire", "Virement en attente", "Virement de {amount}"],
            "text": [
                "J'ai fait un virement de {amount} lundi à mon propriétaire et il ne l'a toujours pas reçu.",
                "Mon virement de {amount} est marqué « en attente » depuis trois jours, le bénéficiaire attend son argent.",
                "L'argent envoyé vers le compte de ma sœur ({amount}) n'est jamais arrivé, pourtant il est débité chez moi.",
                "virement de {amount} tjrs pas arrivé chez le beneficiaire",
                "Pouvez-vous vérifier le transfert de {amount} vers l'IBAN de mon propriétaire ? Il est sorti de mon compte mais il ne l'a pas.",
            ],
        },
        "en": {
            "subject": ["Transfer not received by recipient", "Pending transfer", "Transfer of {amount}"],
            "text": [
                "I sent a transfer of {amount} to my landlord on Monday and he still hasn't got it.",
                "My {amount} transfer has said 'pending' for three days, the recipient is waiting for the money.",
                "The money I sent to my sister's account ({amount}) never arrived, but it left mine.",
                "transfer of {amount} still not received by the recipient",
                "Can you check the {amount} payment to my landlord's IBAN? It's gone from my account but he doesn't have it.",
            ],
        },
    },
    "refund_missing": {
        "fr": {
            "subject": ["Remboursement non reçu", "Retour sans remboursement", "Avoir en attente"],
            "text": [
                "J'ai renvoyé la commande {order} il y a trois semaines et je n'ai toujours pas été remboursé de {amount}.",
                "Vous avez bien reçu mon retour (commande {order}) mais les {amount} ne sont pas revenus sur mon compte.",
                "Le remboursement de {amount} pour l'article retourné de la commande {order} n'apparaît nulle part.",
                "rembourssement pas recu pr la cmd {order}, {amount}",
                "Quand vais-je récupérer mon argent ? Retour de la commande {order} déposé en point relais le 3, {amount}.",
            ],
        },
        "en": {
            "subject": ["Refund not received", "Return but no refund", "Waiting for my money back"],
            "text": [
                "I sent back order {order} three weeks ago and still haven't been refunded the {amount}.",
                "You received my return (order {order}) but the {amount} never came back to my account.",
                "The {amount} refund for the returned item from order {order} doesn't show up anywhere.",
                "refund not recieved for order {order}, {amount}",
                "When do I get my money back? Returned order {order} at the drop-off point on the 3rd, {amount}.",
            ],
        },
    },
    "app_crash": {
        "fr": {
            "subject": ["L'application plante", "Bug appli depuis la mise à jour", "Appli inutilisable"],
            "text": [
                "Depuis la dernière mise à jour, l'application se ferme toute seule dès que je l'ouvre.",
                "L'appli crashe au démarrage sur mon téléphone Android, écran blanc puis retour à l'accueil.",
                "Votre application est inutilisable : elle plante à chaque lancement depuis la version d'hier.",
                "l'appli plante direct quand je l'ouvre depuis la maj",
                "Impossible d'utiliser l'app mobile, elle se fige puis se ferme, même après réinstallation.",
            ],
        },
        "en": {
            "subject": ["App keeps crashing", "App bug since update", "App unusable"],
            "text": [
                "Since the last update, the app closes by itself as soon as I open it.",
                "The app crashes on launch on my Android phone, white screen then back to the home screen.",
                "Your app is unusable: it crashes every time I start it since yesterday's version.",
                "app crashes straight away when i open it since the update",
                "Can't use the mobile app, it freezes then shuts down, even after reinstalling.",
            ],
        },
    },
    "address_change": {
        "fr": {
            "subject": ["Changement d'adresse", "Nouvelle adresse postale", "Déménagement"],
            "text": [
                "Je déménage le 1er novembre, merci de mettre à jour mon adresse : 14 rue des Lilas, 69003 Lyon.",
                "Pouvez-vous modifier mon adresse postale ? J'habite désormais au 14 rue des Lilas à Lyon.",
                "Suite à mon déménagement, mes courriers doivent être envoyés au 14 rue des Lilas, 69003 Lyon.",
                "nouvelle adresse : 14 rue des lilas 69003 lyon, merci de changer",
                "Je n'arrive pas à changer mon adresse dans l'espace en ligne, la nouvelle est 14 rue des Lilas, Lyon.",
            ],
        },
        "en": {
            "subject": ["Change of address", "New postal address", "Moving house"],
            "text": [
                "I'm moving on 1 November, please update my address to 14 Elm Road, Leeds LS6 2AB.",
                "Could you change my postal address? I now live at 14 Elm Road in Leeds.",
                "Following my move, my letters should go to 14 Elm Road, Leeds LS6 2AB.",
                "new address: 14 elm road leeds ls6 2ab, pls change it",
                "I can't update my address online, the new one is 14 Elm Road, Leeds.",
            ],
        },
    },
    "tax_doc": {
        "fr": {
            "subject": ["Attestation fiscale", "Document pour les impôts", "IFU introuvable"],
            "text": [
                "Je ne trouve pas mon attestation fiscale annuelle dans mon espace, j'en ai besoin pour ma déclaration d'impôts.",
                "Pourriez-vous m'envoyer l'imprimé fiscal unique (IFU) de l'année dernière ? Il n'est pas dans mes documents.",
                "Mon comptable me réclame le relevé fiscal annuel et il n'apparaît pas dans la rubrique documents.",
                "besoin de l'attestation fiscale pr les impots, introuvable sur le site",
                "Où puis-je télécharger le document fiscal de l'an dernier ? Je dois le joindre à ma déclaration de revenus.",
            ],
        },
        "en": {
            "subject": ["Tax certificate", "Annual tax statement missing", "Document for my tax return"],
            "text": [
                "I can't find my annual tax certificate in my online space, I need it for my tax return.",
                "Could you send me last year's tax statement? It isn't in my documents.",
                "My accountant is asking for the annual tax summary and it doesn't appear in the documents section.",
                "need the tax statement for my return, can't find it on the website",
                "Where can I download last year's tax document? I have to attach it to my self assessment.",
            ],
        },
    },
}
TOPIC_NAMES = list(TOPICS)

# Generic words any ticket of a person may hold, whatever the problem: they make hard
# negatives share words with the ticket before them.
GENERIC = {
    "fr": {
        "before": ["Problème urgent : ", "URGENT - ", "J'ai un problème avec mon compte. ", "Encore un souci. ",
                   "Bonjour, j'ai un problème. ", "Rebonjour, ", ""],
        "after": [" Merci de me rappeler rapidement.", " C'est urgent.", " Merci de me rappeler au plus vite.",
                  " Mon numéro client est sur mon compte.", " J'attends une réponse.", ""],
    },
    "en": {
        "before": ["Urgent problem: ", "URGENT - ", "I have a problem with my account. ", "Another issue. ",
                   "Hi, I have a problem. ", "Hello again, ", ""],
        "after": [" Please call me back asap.", " This is urgent.", " Please call me back as soon as possible.",
                  " My customer number is on my account.", " Waiting for your reply.", ""],
    },
}

GREETINGS = {"fr": ["Bonjour,", "Bonjour Madame, Monsieur,", "Bonsoir,", "Madame, Monsieur,", "Re-bonjour,"],
             "en": ["Hello,", "Hi,", "Dear Sir or Madam,", "Good morning,", "Hi there,"]}


def signature(p: Person) -> str:
    if p.lang == "fr":
        return rng.choice([f"Cordialement,\n{p.name}", f"Bien à vous,\n{p.name}", f"Merci d'avance,\n{p.first}",
                           f"{p.first}\n\nEnvoyé de mon iPhone", f"--\n{p.name}\n{phone_spelling(p)}",
                           f"Bonne journée,\n{p.first}"])
    return rng.choice([f"Kind regards,\n{p.name}", f"Thanks,\n{p.first}", f"Best regards,\n{p.name}",
                       f"{p.first}\n\nSent from my iPhone", f"--\n{p.name}\n{phone_spelling(p)}", f"Cheers,\n{p.first}"])


def typo(text: str) -> str:
    """Swaps two letters of one longer word, as typed on a phone."""
    words = text.split(" ")
    idx = [i for i, w in enumerate(words) if len(w) > 5 and w.isalpha()]
    if not idx:
        return text
    i = rng.choice(idx)
    w = words[i]
    j = rng.randint(1, len(w) - 3)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return " ".join(words)


def sms_style(text: str, lang: str) -> str:
    t = text
    if lang == "fr":
        for a, b in [("toujours", "tjrs"), ("pour ", "pr "), ("problème", "pb"), ("commande", "cmd"), ("quand", "qd"),
                     ("beaucoup", "bcp"), ("rendez-vous", "rdv"), ("je n'ai", "jai"), ("j'ai", "jai"), ("message", "msg"),
                     ("c'est", "cest"), ("s'il vous plaît", "svp"), ("aujourd'hui", "auj")]:
            t = t.replace(a, b)
    else:
        for a, b in [("please", "pls"), ("you", "u"), ("your", "ur"), ("thanks", "thx"), ("I'm", "im"), ("I've", "ive"),
                     ("account", "acct"), ("because", "cos"), ("tomorrow", "tmrw")]:
            t = t.replace(a, b)
    t = t.lower()
    if rng.random() < 0.6:
        t = fold(t)
    return t.rstrip(".")


def decorate(text: str, lang: str, generic: bool) -> str:
    if not generic:
        return text
    g = GENERIC[lang]
    after = rng.choice(g["after"])
    if after and not text.endswith((".", "!", "?")):
        text += "."
    return rng.choice(g["before"]) + text + after


def details(lang: str) -> dict:
    order = str(rng.randint(3_000_000, 9_999_999))
    cents = rng.randint(10, 99)
    euros = rng.randint(24, 240)
    months_fr = ["septembre", "octobre"]
    months_en = ["September", "October"]
    if lang == "fr":
        return {"order": order, "amount": f"{euros},{cents} €", "month": rng.choice(months_fr)}
    return {"order": order, "amount": f"£{euros}.{cents}", "month": rng.choice(months_en)}


# --------------------------------------------------------------------------------------
# Drafts
# --------------------------------------------------------------------------------------


@dataclass
class Draft:
    category: str
    role: str  # original | duplicate | negative | background
    kind: str
    channel: str
    person: Person | None
    identities: list[dict]
    subject: str | None
    body: str
    at: datetime
    problem: str
    text_index: int = -1
    dup_of: "Draft | None" = None
    why: str = ""
    zone: str = "local"
    number: int | None = None
    id: str = ""
    key: int = field(default=0)


drafts: list[Draft] = []


def add(**kw) -> Draft:
    d = Draft(**kw)
    d.key = len(drafts)
    d.zone = "Z" if rng.random() < 0.4 else "local"
    drafts.append(d)
    return d


def paris(t: datetime) -> datetime:
    return t.astimezone(timezone(timedelta(hours=2 if t < DST_END else 1)))


def base_time(span_h: float) -> datetime:
    while True:
        lo, hi = START, END - timedelta(hours=span_h)
        t = lo + timedelta(seconds=rng.randint(0, int((hi - lo).total_seconds())))
        if 7 <= paris(t).hour < 22:
            return t.replace(microsecond=0)


def later(t: datetime, lo_h: float, hi_h: float) -> datetime:
    return t + timedelta(seconds=rng.randint(int(lo_h * 3600), int(hi_h * 3600)))


FR_DAYS = ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."]
FR_MONTHS = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]
EN_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
EN_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def quote(p: Person, orig: Draft) -> str:
    if p.lang == "fr":
        t = paris(orig.at)
        head = f"Le {FR_DAYS[t.weekday()]} {t.day} {FR_MONTHS[t.month - 1]} {t.year} à {t:%H:%M}, {p.name} <{p.email}> a écrit :"
    else:
        t = orig.at.astimezone(timezone(timedelta(hours=1 if orig.at < DST_END else 0)))
        h12 = t.hour % 12 or 12
        head = f"On {EN_DAYS[t.weekday()]}, {EN_MONTHS[t.month - 1]} {t.day}, {t.year} at {h12}:{t:%M} {'AM' if t.hour < 12 else 'PM'} {p.name} <{p.email}> wrote:"
    return head + "\n" + "\n".join("> " + line if line else ">" for line in orig.body.split("\n"))


def compose(channel: str, p: Person, topic: str, d: dict, index: int, *, generic: bool,
            prev: Draft | None = None, lang: str | None = None) -> tuple[str | None, str]:
    """A message about `topic` on `channel`, in wording `index`: (subject, body).
    `prev`, for an e-mail re-send, may be quoted below the new text."""
    lang = lang or p.lang
    t = TOPICS[topic][lang]
    core = t["text"][index].format(**d)
    core = decorate(core, lang, generic)
    r = rng.random()
    if r < 0.15:
        core = typo(core)
    subject = None
    if channel in ("email", "web_form"):
        subject = rng.choice(t["subject"]).format(**d)
        if prev is not None and prev.subject and rng.random() < 0.3:
            subject = ("RE: " if lang == "en" else "Re: ") + prev.subject
        if channel == "web_form":
            subject = ("Formulaire de contact : " if lang == "fr" else "Contact form: ") + subject
        parts = []
        if rng.random() < 0.8:
            parts.append(rng.choice(GREETINGS[lang]))
        parts.append(core)
        if rng.random() < 0.8:
            parts.append(signature(p))
        body = "\n\n".join(parts)
        if prev is not None and prev.channel == "email" and channel == "email" and rng.random() < 0.5:
            body = body + "\n\n" + quote(p, prev)
        return subject, body
    if channel == "phone":
        if lang == "fr":
            return None, f"Message vocal (transcription automatique) : « Oui bonjour, c'est {p.name}, {core.rstrip('.')}. »"
        return None, f"Voicemail (automatic transcript): \"Hi, this is {p.name}, {core.rstrip('.')}.\""
    if channel in ("whatsapp", "sms") and rng.random() < 0.6:
        return None, sms_style(core, lang)
    if channel == "chat" and rng.random() < 0.3:
        return None, sms_style(core, lang)
    if rng.random() < 0.25:
        core = core + ("\n\nEnvoyé de mon iPhone" if lang == "fr" else "\n\nSent from my iPhone")
    return None, core


def ids_for(p: Person, channel: str, extra: bool = False) -> list[dict]:
    first = identity(p, CHANNEL_KIND[channel])
    if not extra:
        return [first]
    other = "phone" if first["kind"] == "email" else "email"
    return [first, identity(p, other)]


def two_indices(n: int = 5) -> tuple[int, int]:
    a, b = rng.sample(range(n), 2)
    return a, b


SAME_CHANNELS = ["email"] * 5 + ["whatsapp"] * 3 + ["sms"] * 2 + ["chat"] * 2 + ["web_form"]
RELATED = [("delivery_late", "delivery_damaged"), ("delivery_late", "refund_missing"),
           ("refund_missing", "sub_cancel"), ("bill_high", "sub_cancel"), ("bill_high", "network_down"),
           ("network_down", "sim_activation"), ("login", "app_crash"), ("card_blocked", "transfer_pending"),
           ("login", "card_blocked"), ("address_change", "tax_doc"), ("insurance_claim", "address_change"),
           ("delivery_damaged", "refund_missing"), ("app_crash", "card_blocked"), ("transfer_pending", "refund_missing")]


def other_topic(topic: str) -> str:
    related = [b for a, b in RELATED if a == topic] + [a for a, b in RELATED if b == topic]
    if related and rng.random() < 0.6:
        return rng.choice(related)
    return rng.choice([t for t in TOPIC_NAMES if t != topic])


def problem_key(p: Person, topic: str, d: dict) -> str:
    return f"{p.email}/{topic}/{d['order']}"


def sc_positive(n_members: int) -> None:
    """The same person, the same problem, again on one channel, in other words."""
    lang = rng.choice(["fr", "fr", "en"])
    p = new_person(lang)
    topic = rng.choice(TOPIC_NAMES)
    channel = rng.choice(SAME_CHANNELS)
    d = details(lang)
    idx = rng.sample(range(5), n_members)
    t0 = base_time(72)
    generic = rng.random() < 0.5
    subject, body = compose(channel, p, topic, d, idx[0], generic=generic)
    first = add(category="same_channel", role="original", kind="original", channel=channel, person=p,
                identities=ids_for(p, channel), subject=subject, body=body, at=t0, problem=problem_key(p, topic, d),
                text_index=idx[0], why=f"Original: {topic.replace('_', ' ')} on {channel}.")
    t = t0
    for i in idx[1:]:
        t = later(t, 0.1, 30)
        if t - t0 > timedelta(hours=70):
            t = t0 + timedelta(hours=rng.uniform(1, 70))
        mixed = lang == "fr" and rng.random() < 0.2
        subject, body = compose(channel, p, topic, d, i, generic=rng.random() < 0.5, prev=first,
                                lang="en" if mixed else None)
        add(category="same_channel", role="duplicate", kind="re-worded re-send", channel=channel, person=p,
            identities=ids_for(p, channel), subject=subject, body=body, at=t, problem=problem_key(p, topic, d),
            text_index=i, dup_of=first,
            why=f"Same person, same {topic.replace('_', ' ')} problem again on {channel} in other words.")
    if rng.random() < 0.5:
        sc_negative_after(p, channel, topic, t0, "same_channel")


def sc_negative_after(p: Person, channel: str, topic: str, t0: datetime, category: str) -> None:
    """The same person, on the same channel within 72 h, about another problem."""
    other = other_topic(topic)
    d = details(p.lang)
    at = later(t0, 0.5, 70)
    subject, body = compose(channel, p, other, d, rng.randrange(5), generic=True)
    add(category=category, role="negative", kind="same person, other problem, same channel", channel=channel,
        person=p, identities=ids_for(p, channel), subject=subject, body=body, at=at, problem=problem_key(p, other, d),
        why=f"Hard negative: same person on {channel} within 72 h, but about {other.replace('_', ' ')}, not {topic.replace('_', ' ')}.")


def sc_negative() -> None:
    """An original, then the same person on the same channel about another problem."""
    lang = rng.choice(["fr", "fr", "en"])
    p = new_person(lang)
    topic = rng.choice(TOPIC_NAMES)
    channel = rng.choice(SAME_CHANNELS)
    d = details(lang)
    t0 = base_time(72)
    subject, body = compose(channel, p, topic, d, rng.randrange(5), generic=True)
    add(category="same_channel", role="original", kind="original", channel=channel, person=p,
        identities=ids_for(p, channel), subject=subject, body=body, at=t0, problem=problem_key(p, topic, d),
        why=f"Original: {topic.replace('_', ' ')} on {channel}.")
    sc_negative_after(p, channel, topic, t0, "same_channel")


CROSS = [("email", "whatsapp"), ("email", "sms"), ("email", "phone"), ("chat", "email"), ("web_form", "whatsapp"),
         ("email", "chat"), ("whatsapp", "email"), ("sms", "email")]


def cc_case(positive: bool) -> None:
    """The same person on two channels (the first ticket shows both identities)."""
    lang = rng.choice(["fr", "fr", "en"])
    p = new_person(lang)
    topic = rng.choice(TOPIC_NAMES)
    a_ch, b_ch = rng.choice(CROSS)
    d = details(lang)
    i, j = two_indices()
    t0 = base_time(72)
    subject, body = compose(a_ch, p, topic, d, i, generic=rng.random() < 0.5)
    ids = ids_for(p, a_ch)
    second_kind = CHANNEL_KIND[b_ch]
    if ids[0]["kind"] == second_kind or (ids[0]["kind"], second_kind) in (("phone", "whatsapp"), ("whatsapp", "phone")):
        pass
    else:
        ids.append(identity(p, second_kind))
    first = add(category="cross_channel", role="original", kind="original", channel=a_ch, person=p, identities=ids,
                subject=subject, body=body, at=t0, problem=problem_key(p, topic, d), text_index=i,
                why=f"Original: {topic.replace('_', ' ')} on {a_ch}.")
    at = later(t0, 0.2, 68)
    if positive:
        subject, body = compose(b_ch, p, topic, d, j, generic=rng.random() < 0.5)
        add(category="cross_channel", role="duplicate", kind="other channel, other words", channel=b_ch, person=p,
            identities=ids_for(p, b_ch), subject=subject, body=body, at=at, problem=problem_key(p, topic, d),
            text_index=j, dup_of=first,
            why=f"Same person, same {topic.replace('_', ' ')} problem on {b_ch} after {a_ch}, in other words.")
    else:
        other = other_topic(topic)
        d2 = details(lang)
        subject, body = compose(b_ch, p, other, d2, j, generic=True)
        add(category="cross_channel", role="negative", kind="same person, other problem, other channel",
            channel=b_ch, person=p, identities=ids_for(p, b_ch), subject=subject, body=body, at=at,
            problem=problem_key(p, other, d2),
            why=f"Hard negative: same person on {b_ch} within 72 h, about {other.replace('_', ' ')}, not {topic.replace('_', ' ')}.")


def window_negative() -> None:
    """The same problem re-sent on the same channel more than 72 hours later."""
    lang = rng.choice(["fr", "en"])
    p = new_person(lang)
    topic = rng.choice(TOPIC_NAMES)
    channel = rng.choice(SAME_CHANNELS)
    d = details(lang)
    i, j = two_indices()
    t0 = base_time(110)
    subject, body = compose(channel, p, topic, d, i, generic=False)
    add(category="same_channel", role="original", kind="original", channel=channel, person=p,
        identities=ids_for(p, channel), subject=subject, body=body, at=t0, problem=problem_key(p, topic, d),
        why=f"Original: {topic.replace('_', ' ')} on {channel}.")
    subject, body = compose(channel, p, topic, d, j, generic=False)
    add(category="same_channel", role="negative", kind="same problem after the window", channel=channel, person=p,
        identities=ids_for(p, channel), subject=subject, body=body, at=later(t0, 74, 108),
        problem=problem_key(p, topic, d), why="Hard negative: same person and problem, but more than 72 h later.")


def background() -> None:
    lang = rng.choice(["fr", "fr", "en"])
    p = new_person(lang)
    topic = rng.choice(TOPIC_NAMES)
    channel = rng.choice(["email", "email", "whatsapp", "chat", "sms", "web_form", "phone", "messenger"])
    d = details(lang)
    ch = "chat" if channel == "messenger" else channel
    subject, body = compose(ch, p, topic, d, rng.randrange(5), generic=rng.random() < 0.5)
    ids = ids_for(p, ch)
    if channel == "messenger":
        ids = [{"kind": "messenger", "value": f"psid-{rng.randint(10**9, 10**10 - 1)}"}]
    add(category="unrelated", role="background", kind="background", channel=channel, person=p, identities=ids,
        subject=subject, body=body, at=base_time(0), problem=problem_key(p, topic, d),
        why=f"Unrelated: the only ticket of its person ({topic.replace('_', ' ')}).")


def build() -> None:
    for n in [2] * 26 + [3] * 8:
        sc_positive(n)
    for _ in range(14):
        sc_negative()
    for _ in range(6):
        window_negative()
    for _ in range(24):
        cc_case(True)
    for _ in range(16):
        cc_case(False)
    for _ in range(30):
        background()


# --------------------------------------------------------------------------------------
# Rendering and checks
# --------------------------------------------------------------------------------------


def fmt(t: datetime, zone: str) -> str:
    if zone == "Z":
        return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return paris(t).isoformat()


def norm_identity(i: dict) -> str:
    if i["kind"] == "email":
        return "email:" + i["value"].lower()
    if i["kind"] in ("phone", "whatsapp"):
        raw = i["value"].replace("(0)", "")
        digits = re.sub(r"\D", "", raw)
        if raw.strip().startswith("+"):
            e164 = digits
        elif digits.startswith("00"):
            e164 = digits[2:]
        elif digits.startswith("0") and len(digits) == 10:
            e164 = "33" + digits[1:]
        else:
            e164 = digits
        return "tel:+" + e164
    return i["kind"] + ":" + i["value"]


def expected_labels(lines: list[dict], problems: dict[str, str]) -> dict[str, str | None]:
    """Each ticket's label from the rules: the oldest open ticket of the same person
    (shared or linked identities learnt from earlier tickets) about the same problem,
    created at most 72 h before."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    seen: list[tuple[str, datetime, set[str], str]] = []  # id, at, identities, problem
    merged: dict[str, str] = {}
    out: dict[str, str | None] = {}
    for line in lines:
        t = line["event"]["ticket"]
        at = datetime.fromisoformat(t["created_at"].replace("Z", "+00:00"))
        ids = {norm_identity(i) for i in t["requester"]["identities"]}
        roots = {find(i) for i in ids}
        target = None
        for oid, oat, oids, oproblem in seen:
            if oid in merged or oproblem != problems[t["id"]] or at - oat > WINDOW:
                continue
            if roots & {find(i) for i in oids}:
                target = oid
                break
        out[t["id"]] = target
        if target:
            merged[t["id"]] = target
        ids_list = sorted(ids)
        for other in ids_list[1:]:
            parent[find(other)] = find(ids_list[0])
        seen.append((t["id"], at, ids, problems[t["id"]]))
    return out


TICKET_KEYS = {"id", "channel", "requester", "subject", "status", "created_at", "updated_at", "messages", "fields"}


def check(lines: list[dict], problems: dict[str, str]) -> None:
    prev = None
    numbers = set()
    for n, line in enumerate(lines, 1):
        ev, label = line["event"], line["label"]
        t = ev["ticket"]
        where = t["id"]
        assert set(line) == {"event", "label"}, where
        assert set(ev) == {"id", "kind", "occurred_at", "ticket"}, where
        assert ev["id"] == "ev-" + t["id"] and ev["kind"] == {"type": "ticket_created"}, where
        assert t["id"] == f"p-{n:04d}", where
        assert set(t) <= TICKET_KEYS and TICKET_KEYS - set(t) <= {"fields"}, where
        assert t["created_at"] == t["updated_at"] == ev["occurred_at"], where
        at = datetime.fromisoformat(ev["occurred_at"].replace("Z", "+00:00"))
        assert START <= at <= END + timedelta(hours=72), where
        off = ev["occurred_at"][19:]
        assert off == "Z" or off == ("+02:00" if at < DST_END else "+01:00"), where
        assert prev is None or at > prev, where
        prev = at
        assert (t["subject"] is not None) == (t["channel"] in ("email", "web_form")), where
        assert set(t["requester"]) == {"name", "identities", "language"}, where
        assert t["requester"]["language"] in ("fr", "en"), where
        for i in t["requester"]["identities"]:
            assert set(i) == {"kind", "value"}, where
        (m,) = t["messages"]
        assert m == {"id": "m-" + t["id"], "author_role": "requester", "channel": t["channel"], "body": m["body"],
                     "created_at": t["created_at"]}, where
        for f in t.get("fields", []):
            assert f["name"] == "number" and f["value"]["text"] not in numbers, where
            numbers.add(f["value"]["text"])
        assert set(label) == {"category", "duplicate_of", "why"}, where
    want = expected_labels(lines, problems)
    for line in lines:
        t = line["event"]["ticket"]
        got = line["label"]["duplicate_of"]
        assert got == want[t["id"]], f"{t['id']}: label {got}, the rules give {want[t['id']]}"


def main() -> None:
    build()
    drafts.sort(key=lambda d: d.at)
    for a, b in zip(drafts, drafts[1:]):
        if b.at <= a.at:
            b.at = a.at + timedelta(seconds=1)
    for n, d in enumerate(drafts, 1):
        d.id = f"p-{n:04d}"
    number = 61_200
    for d in drafts:
        number += rng.randint(1, 9)
        if rng.random() < 0.33:
            d.number = number
    lines = []
    problems = {}
    for d in drafts:
        when = fmt(d.at, d.zone)
        ticket = {
            "id": d.id,
            "channel": d.channel,
            "requester": {"name": d.person.name, "identities": d.identities, "language": d.person.lang},
            "subject": d.subject,
            "status": "new",
            "created_at": when,
            "updated_at": when,
        }
        if d.number is not None:
            ticket["fields"] = [{"name": "number", "value": {"text": str(d.number)}}]
        ticket["messages"] = [{"id": "m-" + d.id, "author_role": "requester", "channel": d.channel, "body": d.body,
                               "created_at": when}]
        why = d.why + (f" (first: {d.dup_of.id})" if d.dup_of else "")
        lines.append({"event": {"id": "ev-" + d.id, "kind": {"type": "ticket_created"}, "occurred_at": when,
                                "ticket": ticket},
                      "label": {"category": d.category, "duplicate_of": d.dup_of.id if d.dup_of else None, "why": why}})
        problems[d.id] = d.problem
    check(lines, problems)
    with open(OUT, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    counts: dict[tuple[str, str], int] = {}
    for d in drafts:
        counts[(d.category, d.role)] = counts.get((d.category, d.role), 0) + 1
    print(f"{len(drafts)} tickets written to {OUT}")
    for (c, r), k in sorted(counts.items()):
        print(f"  {c:<14} {r:<10} {k}")


if __name__ == "__main__":
    main()
