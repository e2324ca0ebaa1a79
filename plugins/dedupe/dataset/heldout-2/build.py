#!/usr/bin/env python3
"""Builds the second held-out set of the dedupe plugin: heldout-2.jsonl and README.md.

Standard library only, deterministic (fixed seed). Run from anywhere:

    python3 plugins/dedupe/dataset/heldout-2/build.py

Every ticket is generated with hidden keys (the person behind it, the problem instance
it is about, the review it re-posts, the numbers it cites). The labels are then rebuilt
from those keys by an independent reading of the labelling rules (`oracle`) and must
agree with what each generated case was meant to be; any disagreement, borderline
window, stray 5-digit number or malformed line stops the build.
"""

import datetime as dt
import json
import os
import random
import re
import sys
import unicodedata
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from texts import (AGAIN, AGAIN_SHORT, ASK, GOOD_REVIEWS, GREET, NUM_FOLLOW,  # noqa: E402
                   NUM_FOLLOW_SUBJ, ORDER_CITES, OTHER_CITES, REVIEW, REVIEW_CLOSE,
                   REVIEW_EDIT, REVIEW_OPEN, SIGN, TOPICS, UNKNOWN_CITES)

SEED = 2026_11_05
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "heldout-2.jsonl")
README = os.path.join(HERE, "README.md")

UTC = dt.timezone.utc
START = dt.datetime(2026, 10, 13, 5, 0, tzinfo=UTC)
END = dt.datetime(2026, 11, 5, 21, 30, tzinfo=UTC)
DST_END = dt.datetime(2026, 10, 25, 1, 0, tzinfo=UTC)  # Paris leaves +02:00 for +01:00
WINDOW_H = 72.0
H = dt.timedelta(hours=1)

rng = random.Random(SEED)
CATS = ["cross_channel", "same_channel", "ticket_number", "store_review"]

# --------------------------------------------------------------------------- people

FR_FIRST = ["Camille", "Léa", "Hugo", "Inès", "Mathis", "Chloé", "Théo", "Manon", "Nathan", "Élodie", "Julien",
            "Sofiane", "Margaux", "Bastien", "Anaïs", "Yanis", "Clémence", "Romain", "Océane", "Karim", "Pauline",
            "Adrien", "Maëlle", "Quentin", "Salomé", "Loïc", "Amandine", "Rachid", "Gaëlle", "Benoît", "Justine",
            "Nadia", "Cédric", "Aurélie", "Jérôme", "Fatou", "Grégoire", "Hélène", "Mehdi", "Solène", "Thibault",
            "Agathe", "Dylan", "Noémie", "Franck", "Laetitia", "Valentin", "Zélie", "Marius", "Capucine"]
FR_LAST = ["Lefèvre", "Moreau", "Girard", "Bonnet", "Faure", "Rousseau", "Mercier", "Blanchard", "Gauthier",
           "Perrin", "Morel", "Chevalier", "Roussel", "Lemaire", "Barbier", "Renaud", "Brunet", "Schmitt",
           "Colin", "Vidal", "Caron", "Picard", "Roger", "Fabre", "Aubert", "Lemoine", "Dufour", "Meunier",
           "Benali", "Haddad", "Nguyen", "Diallo", "Marchand", "Lacroix", "Huet", "Poirier", "Leclerc", "Guérin"]
EN_FIRST = ["Oliver", "Amelia", "Harry", "Isla", "George", "Ava", "Jack", "Poppy", "Charlie", "Freya", "Alfie",
            "Grace", "Thomas", "Evie", "James", "Ruby", "William", "Daisy", "Henry", "Phoebe", "Samuel", "Imogen",
            "Joshua", "Holly", "Owen", "Megan", "Callum", "Niamh", "Rhys", "Aisha"]
EN_LAST = ["Thompson", "Walker", "Hughes", "Edwards", "Green", "Wood", "Harris", "Clarke", "Lewis", "Roberts",
           "Patel", "Hall", "Turner", "Baker", "Wright", "Evans", "Cooper", "Morgan", "Bennett", "Price",
           "Shaw", "Murphy", "Kelly", "Reid", "Fletcher", "Doyle"]
DOMAINS = ["example.fr", "example.com", "example.org", "example.net", "courriel.example", "mail.example"]

_used = set()


def _fresh(make):
    """Draws values from `make` until one has not been used by anybody yet."""
    while True:
        v = make()
        if v not in _used:
            _used.add(v)
            return v


def ascii_fold(s):
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


class Person:
    """Somebody writing in. Identities are only generated here, so two people never share one."""

    def __init__(self, lang, last=None):
        self.lang = lang
        firsts, lasts = (FR_FIRST, FR_LAST) if lang == "fr" else (EN_FIRST, EN_LAST)
        self.first = rng.choice(firsts)
        self.last = last or rng.choice(lasts)
        self.name = f"{self.first} {self.last}"
        f, l_ = ascii_fold(self.first).lower().replace(" ", ""), ascii_fold(self.last).lower().replace(" ", "")
        pats = [f"{f}.{l_}", f"{f}{l_}", f"{f[0]}.{l_}", f"{f}_{l_}", f"{f}.{l_}{rng.randint(10, 99)}", f"{l_}.{f}"]
        self.email = _fresh(lambda: f"{rng.choice(pats)}@{rng.choice(DOMAINS)}")
        if lang == "fr":
            self.national = _fresh(lambda: rng.choice("67") + "".join(str(rng.randint(0, 9)) for _ in range(8)))
            self.e164 = "+33" + self.national
        else:
            self.national = _fresh(lambda: "7" + rng.choice("3456789") + "".join(str(rng.randint(0, 9)) for _ in range(8)))
            self.e164 = "+44" + self.national
        self.app_user = _fresh(lambda: "usr_" + "".join(rng.choice("abcdef0123456789") for _ in range(10)))
        self.messenger = _fresh(lambda: "".join(str(rng.randint(1, 9)) for _ in range(16)))
        self.external = _fresh(lambda: "crm-" + "".join(rng.choice("ABCDEFGHJKMNPQRSTUVWXYZ") for _ in range(3)) +
                               "-" + "".join(str(rng.randint(0, 9)) for _ in range(6)))

    # Written forms -----------------------------------------------------------------
    def email_as(self, style="lower"):
        local, dom = self.email.split("@")
        if style == "lower":
            return self.email
        if style == "title":
            return ".".join(p[:1].upper() + p[1:] for p in local.split(".")) + "@" + dom[:1].upper() + dom[1:]
        if style == "upper":
            return self.email.upper()
        if style == "domain":
            return local + "@" + dom.upper()
        raise ValueError(f"unknown e-mail style {style!r}")

    def plus_tag(self, tag):
        local, dom = self.email.split("@")
        return f"{local}+{tag}@{dom}"

    def phone_as(self, style):
        n = self.national
        if self.lang == "fr":
            pairs = " ".join(n[i:i + 2] for i in range(1, 9, 2))
            forms = {
                "national": f"0{n[0]} {pairs}",
                "compact": f"0{n}",
                "paren": f"+33 (0){n[0]} {pairs}",
                "intl00": f"0033 {n[0]} {pairs}",
                "e164": f"+33{n}",
                "spaced": f"+33 {n[0]} {pairs}",
            }
        else:
            forms = {
                "national": f"+44 {n[:4]} {n[4:]}",
                "compact": f"+44{n}",
                "paren": f"+44 (0){n[:4]} {n[4:]}",
                "intl00": f"0044 {n[:4]} {n[4:]}",
                "e164": f"+44{n}",
                "spaced": f"+44 {n[:4]} {n[4:7]} {n[7:]}",
            }
        return forms[style]

    def whatsapp(self):
        return self.e164[1:]

    def sig_tel(self):
        return self.phone_as(rng.choice(["national", "paren", "spaced"]))


PHONE_STYLES = ["national", "compact", "paren", "intl00", "e164", "spaced"]

# --------------------------------------------------------------------------- details

CITIES = ["Lyon", "Nantes", "Lille", "Rennes", "Bordeaux", "Toulouse", "Strasbourg", "Montpellier", "Grenoble",
          "Dijon", "Angers", "Reims", "Tours", "Metz", "Brest", "Annecy"]
DEST = {"fr": ["Lisbonne", "Rome", "Barcelone", "Berlin", "Porto", "Athènes", "Séville", "Vienne", "Prague", "Dublin"],
        "en": ["Lisbon", "Rome", "Barcelona", "Berlin", "Porto", "Athens", "Seville", "Vienna", "Prague", "Dublin"]}
ITEMS = {"fr": ["la veste en laine", "les baskets blanches", "la robe bleue", "le casque audio", "la lampe de bureau",
                "le sac à dos", "la cafetière", "le manteau"],
         "en": ["the wool jacket", "the white trainers", "the blue dress", "the headphones", "the desk lamp",
                "the backpack", "the coffee maker", "the winter coat"]}
PLANS = {"fr": ["forfait 100 Go", "forfait 5G 200 Go", "forfait Essentiel 40 Go", "forfait Voyage 80 Go"],
         "en": ["100GB plan", "5G 200GB plan", "Essentials 40GB plan", "Travel 80GB plan"]}
MONTHS_FR = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre"]
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December"]


def params(lang, when):
    """The details of one problem instance (amounts, dates, references)."""
    d = when - dt.timedelta(days=rng.randint(3, 20))
    amt = rng.randint(1200, 48000) / 100
    ref = rng.choice(["CMD-", "FR", "C-", "R", "BK-"]) + str(rng.randint(1000000, 9999999))
    return {
        "amt": (f"{amt:.2f} €".replace(".", ",") if lang == "fr" else f"€{amt:.2f}"),
        "day": (f"le {d.day} {MONTHS_FR[d.month - 1]}" if lang == "fr" else f"on {d.day} {MONTHS_EN[d.month - 1]}"),
        "ref": ref,
        "city": rng.choice(CITIES),
        "dest": rng.choice(DEST[lang]),
        "item": rng.choice(ITEMS[lang]),
        "plan": rng.choice(PLANS[lang]),
        "last4": str(rng.randint(1000, 9999)),
    }


def fill(s, p):
    out = s.format_map(p)
    return out[:1].upper() + out[1:] if out[:1] in ("l", "t") and s.startswith("{item}") else out


# --------------------------------------------------------------------------- noise

def strip_accents(s):
    return ascii_fold(s)


def typo(s, k=1):
    words = s.split(" ")
    idx = [i for i, w in enumerate(words) if len(w) > 5 and w.isalpha()]
    for i in rng.sample(idx, min(k, len(idx))):
        w = words[i]
        j = rng.randint(1, len(w) - 3)
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:] if rng.random() < 0.6 else w[:j] + w[j + 1:]
    return " ".join(words)


def noisy(s, level):
    if level >= 1 and rng.random() < 0.6:
        s = typo(s, rng.randint(1, 2))
    if level >= 2 and rng.random() < 0.6:
        s = strip_accents(s)
    if level >= 2 and rng.random() < 0.5:
        s = s.lower()
    return s


def local_time(when, lang):
    off = 2 if when < DST_END else 1
    if lang == "en":
        off -= 1
    return when + dt.timedelta(hours=off)


FR_DAYS = ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."]
FR_MON = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]
EN_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
EN_MON = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def quote(orig, person, addr):
    """Quoted history of `orig` as a mail client would add it."""
    lt = local_time(orig["when"], person.lang)
    lines = orig["body"].split("\n")
    if person.lang == "fr":
        if rng.random() < 0.6:
            head = (f"Le {FR_DAYS[lt.weekday()]} {lt.day} {FR_MON[lt.month - 1]} {lt.year} à {lt:%H:%M}, "
                    f"{person.name} <{addr}> a écrit :")
            return head + "\n" + "\n".join("> " + x if x else ">" for x in lines)
        head = (f"-----Message d'origine-----\nDe : {person.name} <{addr}>\nEnvoyé : {lt:%d/%m/%Y %H:%M}\n"
                f"À : Service client\nObjet : {orig['subject'] or ''}")
        return head + "\n\n" + orig["body"]
    h12 = lt.hour % 12 or 12
    ampm = "AM" if lt.hour < 12 else "PM"
    if rng.random() < 0.6:
        head = (f"On {EN_DAYS[lt.weekday()]}, {EN_MON[lt.month - 1]} {lt.day}, {lt.year} at {h12}:{lt:%M} {ampm} "
                f"{person.name} <{addr}> wrote:")
        return head + "\n" + "\n".join("> " + x if x else ">" for x in lines)
    head = (f"-----Original Message-----\nFrom: {person.name} <{addr}>\nSent: {lt:%d %B %Y %H:%M}\n"
            f"To: Customer Service\nSubject: {orig['subject'] or ''}")
    return head + "\n\n" + orig["body"]


# --------------------------------------------------------------------------- tickets

TICKETS = []
_pk = [0]
_rk = [0]


def new_problem():
    _pk[0] += 1
    return f"P{_pk[0]:04d}"


def new_review_key():
    _rk[0] += 1
    return f"R{_rk[0]:04d}"


LONG = {"email", "web_form", "api"}


def compose(topic, lang, p, ch, person, var=None, again=False, level=0, with_detail=None):
    """Subject and body about `topic` for channel `ch`, in one of the topic's phrasings."""
    T = TOPICS[topic][lang]
    subj = None
    if ch in LONG:
        core = fill(T["core"][var % 3 if var is not None else rng.randrange(3)], p)
        detail = fill(rng.choice(T["detail"]), p) if (with_detail if with_detail is not None else rng.random() < 0.6) else ""
        body_core = noisy((core + (" " + detail if detail else "")).strip(), level)
        parts = []
        if ch == "email":
            parts.append(rng.choice(GREET[lang]))
        if again:
            parts.append(rng.choice(AGAIN[lang]))
        parts.append(body_core)
        if ch != "api":
            parts.append(rng.choice(ASK[lang]))
        if ch == "email":
            parts.append(rng.choice(SIGN[lang]).format(name=person.name, first=person.first, tel=person.sig_tel()))
        body = "\n\n".join(parts)
        if ch == "api":
            body = ("[Formulaire partenaire] " if lang == "fr" else "[Partner form] ") + body
        if ch in ("email", "web_form"):
            subj = fill(rng.choice(T["subj"]), p)
            if level >= 2 and rng.random() < 0.5:
                subj = strip_accents(subj).lower()
    else:
        line = fill(T["short"][var % 3 if var is not None else rng.randrange(3)], p)
        if again:
            line = rng.choice(AGAIN_SHORT[lang]) + " " + line
        line = noisy(line, max(level, 1))
        if ch == "phone":
            line = ("Message vocal transcrit : " if lang == "fr" else "Voicemail transcript: ") + line
        body = line
    return subj, body


def ident(kind, value):
    return (kind, value)


def add(when, ch, person, ids, subj, body, cat, role, pkey=None, rkey=None, refs=(), number=False,
        expect=None, name=None, lang=None):
    """Records one ticket with its hidden keys. `expect` is the ticket it was built to be merged into."""
    t = {
        "when": when, "ch": ch, "person": person, "ids": list(ids), "lang": lang or person.lang,
        "name": name if name is not None else (person.name if person else None),
        "subject": subj if ch in ("email", "web_form") else None, "body": body, "cat": cat, "role": role,
        "pkey": pkey or new_problem(), "rkey": rkey, "refs": list(refs), "want_number": number,
        "expect": expect, "number": None, "numfield": "number",
    }
    if ch in ("email", "web_form") and not t["subject"]:
        raise ValueError(f"ticket on {ch} without subject: {body[:40]!r}")
    TICKETS.append(t)
    return t


def ids_for(person, ch, email_style="lower", phone_style=None, extra=()):
    """The identities a channel gives a ticket of `person`."""
    if ch in ("email", "web_form"):
        out = [("email", person.email_as(email_style))]
    elif ch in ("phone", "sms"):
        out = [("phone", person.phone_as(phone_style or rng.choice(PHONE_STYLES)))]
    elif ch == "whatsapp":
        out = [("whatsapp", person.whatsapp())]
    elif ch == "chat":
        out = [("app_user", person.app_user)]
    elif ch == "messenger":
        out = [("messenger", person.messenger)]
    elif ch == "api":
        out = [("external", person.external)]
    else:
        raise ValueError(f"no identities for channel {ch!r}")
    return out + list(extra)


def start(span_h, lo=START, hi=END):
    """A start instant leaving `span_h` hours before the end of the set."""
    latest = hi - dt.timedelta(hours=span_h)
    secs = int((latest - lo).total_seconds())
    return lo + dt.timedelta(seconds=rng.randint(0, secs))


def hrs(a, b):
    return dt.timedelta(hours=rng.uniform(a, b))


def lang_pick(p_en=0.35):
    return "en" if rng.random() < p_en else "fr"


TOPIC_NAMES = list(TOPICS)


def other_topic(t):
    return rng.choice([x for x in TOPIC_NAMES if x != t])


SHORT_CH = ["chat", "whatsapp", "sms", "messenger"]


# --------------------------------------------------------------------------- cross_channel

def cross_positive(pattern):
    lang = lang_pick()
    per = Person(lang)
    topic = rng.choice(TOPIC_NAMES)
    n_dup = 2 if rng.random() < 0.5 else 1
    t0 = start(80 + 24 * 8)
    p = params(lang, t0)
    pk = new_problem()
    cat = "cross_channel"
    seq = []  # (channel, ids) for original then duplicates
    if pattern == "phone_forms":  # the same number written differently on phone, whatsapp and sms
        styles = rng.sample(PHONE_STYLES, 3)
        seq = [("phone", [("phone", per.phone_as(styles[0]))]), ("whatsapp", [("whatsapp", per.whatsapp())]),
               ("sms", [("phone", per.phone_as(styles[1]))])]
        rng.shuffle(seq)
    elif pattern == "email_case":  # e-mail then web form (or back) with another case of the address
        a, b = rng.sample(["lower", "title", "upper", "domain"], 2)
        seq = [("email", [("email", per.email_as(a))]), ("web_form", [("email", per.email_as(b))]),
               ("chat", [("app_user", per.app_user), ("email", per.email_as(rng.choice(["lower", "title"])))])]
    elif pattern == "form_links":  # the original carries e-mail and phone; later on whatsapp/sms
        seq = [("web_form", [("email", per.email_as("lower")), ("phone", per.phone_as(rng.choice(PHONE_STYLES)))]),
               (rng.choice(["whatsapp", "sms"]), None), ("email", [("email", per.email_as("title"))])]
    elif pattern == "earlier_link":  # an earlier ticket about something else links e-mail and whatsapp
        tl = t0 - dt.timedelta(hours=rng.uniform(30, 200))
        if tl < START:
            tl = START + hrs(0, 3)
        lt = other_topic(topic)
        ch = rng.choice(["web_form", "phone"])
        ids = ([("email", per.email_as("lower")), ("phone", per.phone_as(rng.choice(PHONE_STYLES)))])
        s, b = compose(lt, lang, params(lang, tl), ch, per)
        add(tl, ch, per, ids, s if ch == "web_form" else None, b, cat, "link")
        seq = [("email", [("email", per.email_as(rng.choice(["lower", "title"])))]),
               ("whatsapp", [("whatsapp", per.whatsapp())]), ("sms", [("phone", per.phone_as("paren"))])]
    elif pattern == "chat_email":  # in-app chat signed in with e-mail, then e-mail, then chat alone
        seq = [("chat", [("app_user", per.app_user), ("email", per.email_as("lower"))]),
               ("email", [("email", per.email_as(rng.choice(["title", "upper"])))]),
               ("messenger", [("messenger", per.messenger), ("email", per.email_as("lower"))])]
    elif pattern == "messenger_email":  # messenger bot asked the e-mail; then e-mail
        seq = [("messenger", [("messenger", per.messenger), ("email", per.email_as("title"))]),
               ("email", [("email", per.email_as("lower"))]), ("chat", [("app_user", per.app_user), ("email", per.email_as("lower"))])]
    elif pattern == "api_phone":  # partner system with external id and phone, then whatsapp
        seq = [("api", [("external", per.external), ("phone", per.phone_as(rng.choice(PHONE_STYLES)))]),
               ("whatsapp", [("whatsapp", per.whatsapp())]), ("phone", [("phone", per.phone_as("intl00"))])]
    else:
        raise ValueError(f"unknown cross-channel pattern {pattern!r}")
    # Fill in a missing identity list (form_links: the duplicate's channel).
    seq = [(ch, ids if ids is not None else ids_for(per, ch, phone_style=rng.choice(PHONE_STYLES))) for ch, ids in seq]
    seq = seq[:1 + n_dup]
    var = rng.randrange(3)
    when = t0
    orig = None
    for i, (ch, ids) in enumerate(seq):
        if i:
            when = when + hrs(0.3, 30)
            if (when - t0) > dt.timedelta(hours=68):
                when = t0 + hrs(50, 68)
        s, b = compose(topic, lang, p, ch, per, var=(var + i) % 3, again=i > 0, level=rng.choice([0, 1, 2]) if i else 0)
        t = add(when, ch, per, ids, s, b, cat, "original" if i == 0 else "duplicate", pkey=pk,
                expect=orig, number=rng.random() < 0.34)
        orig = orig or t
    return orig


def cross_negative(kind):
    lang = lang_pick()
    per = Person(lang)
    topic = rng.choice(TOPIC_NAMES)
    cat = "cross_channel"
    t0 = start(200)
    p = params(lang, t0)
    if kind == "other_problem":  # same person, another channel, another problem, within the window
        ch0, ch1 = rng.sample(["email", "web_form", "whatsapp", "sms", "chat", "phone"], 2)
        style = rng.choice(PHONE_STYLES)
        ids0 = ids_for(per, ch0, phone_style=style)
        other = ids_for(per, ch1, phone_style=rng.choice(PHONE_STYLES))[0]
        if norm(*other) not in {norm(k, v) for k, v in ids0}:
            ids0 = ids0 + [other]  # seen together on the first ticket, so linked from then on
        s, b = compose(topic, lang, p, ch0, per)
        add(t0, ch0, per, ids0, s, b, cat, "original", number=rng.random() < 0.34)
        t1 = t0 + hrs(1, 60)  # ids0 already holds an identity of ch1: the two are linked
        s, b = compose(other_topic(topic), lang, params(lang, t1), ch1, per, level=rng.choice([0, 1]))
        add(t1, ch1, per, ids_for(per, ch1, email_style="title", phone_style=rng.choice(PHONE_STYLES)), s, b, cat,
            "neg_same_person_other_problem_other_channel", number=rng.random() < 0.34)
    elif kind == "unlinked":  # same person, same problem, identities never seen together
        ch0, ch1 = rng.choice([("email", "whatsapp"), ("web_form", "sms"), ("chat", "email"), ("whatsapp", "email"),
                               ("messenger", "phone"), ("email", "chat")])
        s, b = compose(topic, lang, p, ch0, per)
        add(t0, ch0, per, ids_for(per, ch0), s, b, cat, "original", number=rng.random() < 0.34)
        t1 = t0 + hrs(0.5, 40)
        s, b = compose(topic, lang, p, ch1, per, again=True, level=1)
        add(t1, ch1, per, ids_for(per, ch1), s, b, cat, "neg_identities_never_linked", number=rng.random() < 0.34)
    elif kind == "plus_tag":  # same problem from the +tag address on a web form
        s, b = compose(topic, lang, p, "email", per)
        add(t0, "email", per, [("email", per.email_as("lower"))], s, b, cat, "original", number=rng.random() < 0.34)
        t1 = t0 + hrs(0.5, 40)
        ch1 = rng.choice(["web_form", "chat"])
        ids1 = ([("email", per.plus_tag(rng.choice(["shop", "achats", "pro", "factures", "travel", "news"])))]
                if ch1 == "web_form" else [("email", per.plus_tag(rng.choice(["app", "mobile"])))])
        s, b = compose(topic, lang, p, ch1, per, again=True, level=1)
        add(t1, ch1, per, ids1, s if ch1 == "web_form" else None, b, cat, "neg_plus_tag_email")
    elif kind == "beyond_window":  # same person, same problem, another channel, more than 72 h later
        style = rng.choice(PHONE_STYLES)
        s, b = compose(topic, lang, p, "web_form", per)
        add(t0, "web_form", per, [("email", per.email_as("lower")), ("phone", per.phone_as(style))], s, b, cat,
            "original", number=rng.random() < 0.34)
        t1 = t0 + hrs(WINDOW_H + 5, WINDOW_H + 110)
        ch1 = rng.choice(["whatsapp", "sms", "phone", "email"])
        s, b = compose(topic, lang, p, ch1, per, again=True, level=1)
        add(t1, ch1, per, ids_for(per, ch1, email_style="upper"), s, b, cat, "neg_beyond_window_other_channel",
            number=rng.random() < 0.34)
    else:
        raise ValueError(f"unknown cross-channel negative {kind!r}")


# --------------------------------------------------------------------------- same_channel

def same_positive():
    lang = lang_pick()
    per = Person(lang)
    topic = rng.choice(TOPIC_NAMES)
    ch = rng.choice(["email", "email", "email", "web_form", "whatsapp", "whatsapp", "chat", "sms", "messenger", "phone"])
    n_dup = 2 if rng.random() < 0.45 else 1
    t0 = start(80)
    p = params(lang, t0)
    pk = new_problem()
    cat = "same_channel"
    var = rng.randrange(3)
    estyles = ["lower", "title", "upper", "domain"]
    orig = None
    prev = None
    when = t0
    for i in range(1 + n_dup):
        if i:
            when = when + hrs(0.2, 30)
            if (when - t0) > dt.timedelta(hours=68):
                when = t0 + hrs(50, 68)
        # the same words re-sent, or other words
        same_words = i > 0 and rng.random() < 0.3
        v = var if same_words else (var + i) % 3
        s, b = compose(topic, lang, p, ch, per, var=v, again=i > 0 and not same_words,
                       level=rng.choice([0, 1, 2]) if i else 0)
        if i and ch == "email" and rng.random() < 0.55:
            b = b + "\n\n" + quote(prev, per, prev["ids"][0][1])
            s = ("Re: " if lang == "en" or rng.random() < 0.5 else "RE : ") + (prev["subject"] or s)
        if same_words and prev["subject"]:
            s = prev["subject"]
        ids = ids_for(per, ch, email_style=estyles[(i + rng.randrange(2)) % 4] if i else "lower")
        t = add(when, ch, per, ids, s, b, cat, "original" if i == 0 else "duplicate", pkey=pk, expect=orig,
                number=rng.random() < 0.34)
        orig = orig or t
        prev = t
    return orig


def same_negative(kind):
    lang = lang_pick()
    per = Person(lang)
    topic = rng.choice(TOPIC_NAMES)
    cat = "same_channel"
    t0 = start(200)
    p = params(lang, t0)
    ch = rng.choice(["email", "email", "web_form", "whatsapp", "chat", "sms", "messenger"])
    if kind == "other_problem":
        s, b = compose(topic, lang, p, ch, per)
        add(t0, ch, per, ids_for(per, ch), s, b, cat, "original", number=rng.random() < 0.34)
        t1 = t0 + hrs(0.5, 60)
        s, b = compose(other_topic(topic), lang, params(lang, t1), ch, per, level=1)
        add(t1, ch, per, ids_for(per, ch, email_style="title"), s, b, cat, "neg_same_person_other_problem_same_channel",
            number=rng.random() < 0.34)
    elif kind == "other_people":  # same problem, same channel, another person (often same family name)
        s, b = compose(topic, lang, p, ch, per)
        var_used = None
        add(t0, ch, per, ids_for(per, ch), s, b, cat, "original", number=rng.random() < 0.34)
        other = Person(lang, last=per.last if rng.random() < 0.6 else None)
        t1 = t0 + hrs(0.3, 48)
        p2 = dict(params(lang, t1))
        for k in ("day", "city", "dest", "item"):  # often the very same circumstances
            if rng.random() < 0.6:
                p2[k] = p[k]
        s, b = compose(topic, lang, p2, ch, other, var=var_used)
        add(t1, ch, other, ids_for(other, ch), s, b, cat, "neg_same_problem_other_person", number=rng.random() < 0.34)
    elif kind == "beyond_window":
        s, b = compose(topic, lang, p, ch, per)
        t = add(t0, ch, per, ids_for(per, ch), s, b, cat, "original", number=rng.random() < 0.34)
        t1 = t0 + hrs(WINDOW_H + 5, WINDOW_H + 120)
        s, b = compose(topic, lang, p, ch, per, again=True, level=1)
        if ch == "email" and rng.random() < 0.5:
            b = b + "\n\n" + quote(t, per, t["ids"][0][1])
        add(t1, ch, per, ids_for(per, ch, email_style="title"), s, b, cat, "neg_beyond_window_same_channel",
            number=rng.random() < 0.34)
    elif kind == "plus_tag":
        s, b = compose(topic, lang, p, "email", per)
        t = add(t0, "email", per, [("email", per.email_as("lower"))], s, b, cat, "original")
        t1 = t0 + hrs(0.5, 40)
        s, b = compose(topic, lang, p, "email", per, again=True, level=1)
        b = b + "\n\n" + quote(t, per, per.email)
        add(t1, "email", per, [("email", per.plus_tag(rng.choice(["shop", "perso", "sav", "2026"])))], s, b, cat,
            "neg_plus_tag_email")
    else:
        raise ValueError(f"unknown same-channel negative {kind!r}")


# --------------------------------------------------------------------------- ticket_number

def number_positive():
    lang = lang_pick()
    per = Person(lang)
    topic = rng.choice(TOPIC_NAMES)
    cat = "ticket_number"
    t0 = start(24 * 6, hi=END - dt.timedelta(hours=12))
    p = params(lang, t0)
    pk = new_problem()
    ch0 = rng.choice(["email", "email", "web_form", "chat", "whatsapp", "phone"])
    style = rng.choice(PHONE_STYLES)
    ids0 = ids_for(per, ch0, phone_style=style)
    linked = rng.random() < 0.35
    if linked and ch0 in ("email", "web_form"):
        ids0 = ids0 + [("phone", per.phone_as(style))]
    elif linked:
        ids0 = ids0 + [("email", per.email_as("lower"))]
    s, b = compose(topic, lang, p, ch0, per)
    orig = add(t0, ch0, per, ids0, s, b, cat, "original", pkey=pk, number=True)
    n_dup = 2 if rng.random() < 0.25 else 1
    when = t0
    for i in range(n_dup):
        beyond = rng.random() < 0.65
        when = when + (hrs(WINDOW_H + 4, 24 * 6) if beyond else hrs(2, 60))
        if when > END:
            when = END - hrs(0, 5)
        if linked:
            ch = rng.choice(["whatsapp", "sms", "email"]) if ch0 in ("email", "web_form") else "email"
        else:
            ch = ch0 if rng.random() < 0.6 else ("email" if ch0 in ("email", "web_form") else ch0)
        ids = ids_for(per, ch, email_style=rng.choice(["lower", "title", "upper"]), phone_style=rng.choice(PHONE_STYLES))
        short = fill(rng.choice(TOPICS[topic][lang]["short"]), p) if rng.random() < 0.5 else ""
        body = rng.choice(NUM_FOLLOW[lang]).format(n="{N0}", short=short).strip()
        subj = None
        if ch in ("email", "web_form"):
            subj = rng.choice(NUM_FOLLOW_SUBJ[lang]).format(n="{N0}", subj=orig["subject"] or fill(TOPICS[topic][lang]["subj"][0], p))
            body = rng.choice(GREET[lang]) + "\n\n" + body + "\n\n" + rng.choice(SIGN[lang]).format(
                name=per.name, first=per.first, tel=per.sig_tel())
            if rng.random() < 0.4 and orig["ch"] == "email":
                body += "\n\n" + quote(orig, per, orig["ids"][0][1])
        add(when, ch, per, ids, subj, body, cat, "duplicate", pkey=pk, expect=orig, refs=[("ticket", orig)],
            number=rng.random() < 0.34)
    return orig


_order_turn = [0]  # every order/invoice wording in turn


def number_negative(kind):
    lang = lang_pick()
    cat = "ticket_number"
    per = Person(lang)
    topic = rng.choice(TOPIC_NAMES)
    t0 = start(24 * 8)
    p = params(lang, t0)
    if kind == "someone_else":
        ch0 = rng.choice(["email", "web_form", "whatsapp", "chat"])
        s, b = compose(topic, lang, p, ch0, per)
        orig = add(t0, ch0, per, ids_for(per, ch0), s, b, cat, "original", number=True)
        other = Person(rng.choice([lang, lang, "fr", "en"]), last=per.last if rng.random() < 0.5 else None)
        t1 = t0 + hrs(1, 24 * 6)
        ch = rng.choice(["email", "whatsapp", "sms", "web_form", "chat"])
        short = fill(rng.choice(TOPICS[topic][lang]["short"]), params(lang, t1)) if other.lang == lang else ""
        body = rng.choice(OTHER_CITES[other.lang]).format(n="{N0}", short=short).strip()
        subj = None
        if ch in ("email", "web_form"):
            subj = ("Dossier {N0}" if other.lang == "fr" else "Ticket {N0}") if rng.random() < 0.6 else (
                "Demande pour un proche" if other.lang == "fr" else "On behalf of a relative")
        add(t1, ch, other, ids_for(other, ch), subj, body, cat, "neg_number_cited_by_someone_else",
            refs=[("ticket", orig)], number=rng.random() < 0.3, pkey=None)
    elif kind == "order_number":
        ch0 = rng.choice(["email", "web_form", "chat", "whatsapp"])
        s, b = compose(topic, lang, p, ch0, per)
        orig = add(t0, ch0, per, ids_for(per, ch0), s, b, cat, "original", number=True)
        same = rng.random() < 0.5
        writer = per if same else Person(lang)
        t1 = t0 + hrs(1, 60 if same else 24 * 6)
        ch = rng.choice(["email", "web_form", "chat", "whatsapp", "sms"])
        _order_turn[0] += 1
        body = ORDER_CITES[lang][_order_turn[0] % len(ORDER_CITES[lang])].format(n="{N0}")
        subj = None
        if ch in ("email", "web_form"):
            subj = rng.choice(["Commande {N0}", "Facture {N0}", "Question sur ma commande"] if lang == "fr"
                              else ["Order #{N0}", "Invoice {N0}", "Question about my order"])
            body = rng.choice(GREET[lang]) + "\n\n" + body + "\n\n" + rng.choice(SIGN[lang]).format(
                name=writer.name, first=writer.first, tel=writer.sig_tel())
        add(t1, ch, writer, ids_for(writer, ch), subj, body, cat, "neg_order_or_invoice_number",
            refs=[("order", orig)], number=rng.random() < 0.34)
    elif kind == "unknown_number":
        has_earlier = rng.random() < 0.4
        t1 = t0 + hrs(1, 48)
        if has_earlier:  # the person has another ticket, about something else, with its own number
            ch0 = rng.choice(["email", "chat", "whatsapp"])
            s, b = compose(other_topic(topic), lang, params(lang, t0), ch0, per)
            add(t0, ch0, per, ids_for(per, ch0), s, b, cat, "original", number=True)
            ch = ch0
        else:
            ch = rng.choice(["email", "web_form", "whatsapp", "sms", "chat"])
        short = fill(rng.choice(TOPICS[topic][lang]["short"]), p)
        body = rng.choice(UNKNOWN_CITES[lang]).format(n="{NX}", short=short)
        subj = None
        if ch in ("email", "web_form"):
            subj = "Relance dossier {NX}" if lang == "fr" else "Ticket {NX}"
        add(t1, ch, per, ids_for(per, ch), subj, body, cat, "neg_unknown_number", refs=[("unknown", None)],
            number=rng.random() < 0.34)
    else:
        raise ValueError(f"unknown ticket-number negative {kind!r}")


# --------------------------------------------------------------------------- store_review

PHONES = ["iPhone 13", "Pixel 7", "Galaxy S22", "Redmi Note 12", "iPhone SE", "Galaxy A54", "iPhone 15"]
_review_slots = defaultdict(list)  # (topic, lang) -> sentence indices already used


def review_text(rtopic, lang):
    """A review nobody else wrote: a sentence of the topic not used by another reviewer."""
    key = (rtopic, lang)
    free = [i for i in range(4) if i not in _review_slots[key]]
    if not free:
        return None
    i = rng.choice(free)
    _review_slots[key].append(i)
    sent = REVIEW[rtopic][lang][i].format(phone=rng.choice(PHONES))
    opener = rng.choice(REVIEW_OPEN[lang])
    if opener.endswith(("mais", "but", ",", ":")):
        sent = sent[:1].lower() + sent[1:]
    parts = [opener, sent, rng.choice(REVIEW_CLOSE[lang])]
    text = " ".join(x for x in parts if x)
    stars = rng.choice(["", "", "★☆☆☆☆ ", "1/5 "])
    return stars + text


def review_edit(text, lang):
    op = rng.choice(["same", "edit", "punct", "accents", "case"])
    if op == "same":
        return text
    if op == "edit":
        return text + " " + rng.choice(REVIEW_EDIT[lang])
    if op == "punct":
        return text.rstrip(".!") + " !!" if lang == "fr" else text.rstrip(".!") + "!!"
    if op == "accents":
        return strip_accents(text)
    return text.lower()


def reviewer_name(lang):
    if rng.random() < 0.2:
        return None
    first = rng.choice(FR_FIRST if lang == "fr" else EN_FIRST)
    last = rng.choice(FR_LAST if lang == "fr" else EN_LAST)
    return rng.choice([f"{first} {last[0]}.", f"{ascii_fold(first).lower()}{rng.randint(1, 99)}", first])


def free_review_topic(lang):
    choices = [k for k in REVIEW if len(_review_slots[(k, lang)]) < 4]
    return rng.choice(choices) if choices else None


def store_family(n_dup, others=0, beyond=False):
    lang = lang_pick(0.45)
    rt = free_review_topic(lang)
    if rt is None:
        lang = "fr" if lang == "en" else "en"
        rt = free_review_topic(lang)
    text = review_text(rt, lang)
    rk = new_review_key()
    cat = "store_review"
    t0 = start(250)
    name = reviewer_name(lang)
    orig = add(t0, "app_store_review", None, [], None, text, cat, "original", rkey=rk, name=name, lang=lang)
    when = t0
    for i in range(n_dup):
        when = when + hrs(0.1, 30)
        if when - t0 > dt.timedelta(hours=66):
            when = t0 + hrs(40, 66)
        nm = name if rng.random() < 0.7 else reviewer_name(lang)
        add(when, "app_store_review", None, [], None, review_edit(text, lang), cat, "duplicate", rkey=rk,
            name=nm, lang=lang, expect=orig)
    for _ in range(others):  # other reviewers, same topic, own words, within the window
        t = review_text(rt, lang)
        if t is None:
            break
        add(t0 + hrs(0.5, 60), "app_store_review", None, [], None, t, cat, "neg_similar_review_other_reviewer",
            rkey=new_review_key(), name=reviewer_name(lang), lang=lang)
    if beyond:  # the same review posted again long after
        add(when + hrs(WINDOW_H + 6, WINDOW_H + 100), "app_store_review", None, [], None, review_edit(text, lang), cat,
            "neg_review_beyond_window", rkey=rk, name=name, lang=lang)


# --------------------------------------------------------------------------- background

_good = {lang: list(v) for lang, v in GOOD_REVIEWS.items()}  # each praise posted once


def background():
    lang = lang_pick()
    per = Person(lang)
    t0 = start(1)
    if rng.random() < 0.06 and _good[lang]:
        add(t0, "app_store_review", None, [], None, _good[lang].pop() + rng.choice(["", " ★★★★★", " 5/5"]),
            "unrelated", "background", rkey=new_review_key(), name=reviewer_name(lang), lang=lang)
        return
    ch = rng.choice(["email", "email", "web_form", "chat", "whatsapp", "sms", "messenger", "phone", "api"])
    topic = rng.choice(TOPIC_NAMES)
    extra = []
    if rng.random() < 0.15 and ch not in ("email", "web_form"):
        extra = [("email", per.email_as("lower"))]
    s, b = compose(topic, lang, params(lang, t0), ch, per, level=rng.choice([0, 0, 1, 2]))
    add(t0, ch, per, ids_for(per, ch, email_style=rng.choice(["lower", "lower", "title"]), extra=extra), s, b,
        "unrelated", "background", number=rng.random() < 0.34)


# --------------------------------------------------------------------------- oracle

def e164(value):
    s = value.strip().replace("(0)", "")
    digits = re.sub(r"\D", "", s)
    if s.startswith("+"):
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    if digits.startswith("0"):
        return "+33" + digits[1:]  # default region FR
    return "+" + digits  # whatsapp: digits without +


def norm(kind, value):
    if kind == "email":
        return "email:" + value.lower()
    if kind in ("phone", "whatsapp"):
        return "tel:" + e164(value)
    return f"{kind}:{value}"


class Links:
    def __init__(self):
        self.parent = {}

    def find(self, k):
        self.parent.setdefault(k, k)
        while self.parent[k] != k:
            self.parent[k] = self.parent[self.parent[k]]
            k = self.parent[k]
        return k

    def union(self, a, b):
        self.parent[self.find(a)] = self.find(b)


def oracle(tickets):
    """Labels from the hidden keys, reading the rules afresh. Returns {ticket index: target index or None}."""
    links = Links()
    by_number = {}
    out = {}
    problems = []
    for i, t in enumerate(tickets):
        keys = [norm(k, v) for k, v in t["ids"]]
        for k in keys[1:]:
            links.union(keys[0], k)
        mine = {links.find(k) for k in keys}

        def same_person(u):
            return any(links.find(norm(k, v)) in mine for k, v in tickets[u]["ids"])

        def root(u):
            return out[u] if out[u] is not None else u

        target = None
        if t["ch"] != "app_store_review":
            for kind, n in t["cites"]:
                if kind == "ticket" and n in by_number:
                    u = by_number[n]
                    if out[u] is not None:
                        problems.append(f"{t['id']} cites {n} of merged ticket {tickets[u]['id']}")
                    elif same_person(u):
                        target = u
                        break
        if target is None:
            near = []
            for u in range(i):
                o = tickets[u]
                if (t["ch"] == "app_store_review") != (o["ch"] == "app_store_review"):
                    continue
                if t["ch"] == "app_store_review":
                    if o["rkey"] != t["rkey"]:
                        continue
                elif o["pkey"] != t["pkey"] or not same_person(u):
                    continue
                gap = (t["when"] - o["when"]).total_seconds() / 3600
                if WINDOW_H - 3 <= gap <= WINDOW_H + 3:
                    problems.append(f"{t['id']} is {gap:.1f} h after {o['id']}: too close to the window edge")
                if gap <= WINDOW_H:
                    near.append(u)
            roots = sorted({root(u) for u in near})
            if roots:
                target = roots[0]
                gap = (t["when"] - tickets[target]["when"]).total_seconds() / 3600
                if gap > WINDOW_H:
                    problems.append(f"{t['id']} is within the window of a merged member but not of {tickets[target]['id']}")
                if len(roots) > 1:
                    problems.append(f"{t['id']} matches several groups {[tickets[r]['id'] for r in roots]}")
        out[i] = target
        if t["number"] is not None:
            by_number[t["number"]] = i
    return out, problems


# --------------------------------------------------------------------------- build

def ts(when, offset):
    if offset == "Z":
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")
    h = int(offset[1:3])
    return (when + dt.timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%S") + offset


def main():
    # Case families. The mixes are fixed so the counts below hold for this seed.
    cross_patterns = ["phone_forms", "email_case", "form_links", "earlier_link", "chat_email", "messenger_email", "api_phone"]
    for i in range(26):
        cross_positive(cross_patterns[i % len(cross_patterns)])
    for kind, n in [("other_problem", 8), ("unlinked", 7), ("plus_tag", 5), ("beyond_window", 7)]:
        for _ in range(n):
            cross_negative(kind)
    for _ in range(26):
        same_positive()
    for kind, n in [("other_problem", 8), ("other_people", 8), ("beyond_window", 7), ("plus_tag", 4)]:
        for _ in range(n):
            same_negative(kind)
    for _ in range(30):
        number_positive()
    for kind, n in [("someone_else", 8), ("order_number", 9), ("unknown_number", 8)]:
        for _ in range(n):
            number_negative(kind)
    for i in range(26):
        store_family(n_dup=2 if i % 3 == 0 else 1, others=1 if i % 2 == 0 else 0, beyond=i % 5 == 0)
    for _ in range(110):
        background()

    # Order, unique instants, ids.
    TICKETS.sort(key=lambda t: t["when"])
    for a, b in zip(TICKETS, TICKETS[1:]):
        if b["when"] <= a["when"]:
            b["when"] = a["when"] + dt.timedelta(seconds=rng.randint(7, 90))
    for a, b in zip(TICKETS, TICKETS[1:]):
        assert a["when"] < b["when"], "instants must be strictly increasing"
    if TICKETS[-1]["when"] > END + dt.timedelta(hours=3):
        raise SystemExit(f"last ticket at {TICKETS[-1]['when']} is past the span")
    for i, t in enumerate(TICKETS):
        t["id"] = f"k-{i + 1:04d}"
        t["idx"] = i

    # Ticket numbers: unique 5-digit, targets first; some in `zammad_number`.
    pool = rng.sample(range(10000, 100000), 2000)
    for t in TICKETS:
        if t["want_number"] and t["ch"] != "app_store_review":
            t["number"] = str(pool.pop())
    numbered = [t for t in TICKETS if t["number"]]
    for t in rng.sample(numbered, 9):
        t["numfield"] = "zammad_number"
    unknown_pool = [str(n) for n in pool[:200]]
    for t in TICKETS:
        cites = []
        for kind, target in t["refs"]:
            if kind == "unknown":
                n = unknown_pool.pop()
                t["subject"] = t["subject"].replace("{NX}", n) if t["subject"] else None
                t["body"] = t["body"].replace("{NX}", n)
                cites.append(("unknown", n))
            else:
                n = target["number"]
                if n is None:
                    raise SystemExit(f"{t['id']} cites {target['id']}, which carries no number")
                if target["when"] >= t["when"]:
                    raise SystemExit(f"{t['id']} cites a later ticket {target['id']}")
                t["subject"] = t["subject"].replace("{N0}", n) if t["subject"] else None
                t["body"] = t["body"].replace("{N0}", n)
                cites.append((kind, n))
        t["cites"] = cites
        if "{N" in t["body"] or (t["subject"] and "{N" in t["subject"]):
            raise SystemExit(f"{t['id']} still has a number placeholder")

    # Offsets: Z or Paris local time.
    for t in TICKETS:
        paris = "+02:00" if t["when"] < DST_END else "+01:00"
        t["stamp"] = ts(t["when"], "Z" if rng.random() < 0.4 else paris)

    # Labels from the oracle, checked against the intent of each case.
    labels, problems = oracle(TICKETS)
    for i, t in enumerate(TICKETS):
        got = labels[i]
        want = t["expect"]["idx"] if t["expect"] is not None else None
        if got != want:
            problems.append(f"{t['id']} ({t['cat']}/{t['role']}): rules say "
                            f"{TICKETS[got]['id'] if got is not None else None}, built as "
                            f"{TICKETS[want]['id'] if want is not None else None}")
    if problems:
        raise SystemExit("labels disagree:\n  " + "\n  ".join(problems[:40]))

    lines = []
    for i, t in enumerate(TICKETS):
        tk = {
            "id": t["id"],
            "channel": t["ch"],
            "requester": {"name": t["name"], "identities": [{"kind": k, "value": v} for k, v in t["ids"]],
                          "language": t["lang"]},
            "subject": t["subject"],
            "status": "new",
        }
        if t["number"]:
            tk["fields"] = [{"name": t["numfield"], "value": {"text": t["number"]}}]
        tk["created_at"] = t["stamp"]
        tk["updated_at"] = t["stamp"]
        tk["messages"] = [{"id": f"m-{t['id']}", "author_role": "requester", "channel": t["ch"], "body": t["body"],
                           "created_at": t["stamp"]}]
        target = labels[i]
        lines.append({
            "event": {"id": f"ev-{t['id']}", "kind": {"type": "ticket_created"}, "occurred_at": t["stamp"], "ticket": tk},
            "label": {"category": t["cat"], "duplicate_of": TICKETS[target]["id"] if target is not None else None,
                      "why": why(t, TICKETS[target] if target is not None else None)},
        })
    validate(lines, TICKETS)
    with open(OUT, "w", encoding="utf-8") as f:
        for obj in lines:
            f.write(json.dumps(obj, ensure_ascii=False) + "\n")
    stats = report(lines, TICKETS)
    write_readme(stats)


WHY = {
    "original": "First ticket of its case: nothing earlier to merge into.",
    "link": "Same person about something else; it links their e-mail and phone for later tickets.",
    "background": "Unrelated ticket from somebody who writes only once.",
    "neg_same_person_other_problem_other_channel": "Same person within 72 h on another channel, but about a different problem.",
    "neg_same_person_other_problem_same_channel": "Same person within 72 h on the same channel, but about a different problem.",
    "neg_identities_never_linked": "Same problem and name, but this identity was never seen with the earlier one.",
    "neg_plus_tag_email": "The +tag address is another identity; nothing links it to the earlier ticket.",
    "neg_beyond_window_other_channel": "Same person and problem, but more than 72 h after the earlier ticket.",
    "neg_beyond_window_same_channel": "Same person and problem, but more than 72 h after the earlier ticket.",
    "neg_same_problem_other_person": "Same problem, but another person with identities of their own.",
    "neg_number_cited_by_someone_else": "Cites a real ticket number, but of another person.",
    "neg_order_or_invoice_number": "An order or invoice number that merely equals a ticket number.",
    "neg_unknown_number": "Cites a ticket number that no ticket carries.",
    "neg_similar_review_other_reviewer": "Another reviewer's own words about a similar problem.",
    "neg_review_beyond_window": "The same review posted again more than 72 h later.",
}


def why(t, target):
    if target is None:
        return WHY[t["role"]]
    if t["ch"] == "app_store_review":
        return "The same review posted again within 72 h."
    if t["cites"] and t["cites"][0][0] == "ticket":
        return f"Follow-up citing ticket {target['number']} of the same person."
    if t["ch"] == target["ch"]:
        return "Same person, same problem, same channel, within 72 h."
    return f"Same person, same problem, from {t['ch']} after {target['ch']}, within 72 h."


# --------------------------------------------------------------------------- validation

EVENT_KEYS = {"id", "kind", "occurred_at", "ticket"}
TICKET_KEYS = {"id", "channel", "requester", "subject", "status", "created_at", "updated_at", "messages"}
REQ_KEYS = {"name", "identities", "language"}
MSG_KEYS = {"id", "author_role", "channel", "body", "created_at"}
CHANNELS = {"email", "chat", "whatsapp", "messenger", "phone", "app_store_review", "sms", "web_form", "api"}
KINDS = {"email", "phone", "whatsapp", "messenger", "app_store", "app_user", "external"}
STAMP = re.compile(r"^2026-(10|11)-\d\dT\d\d:\d\d:\d\d(Z|\+01:00|\+02:00)$")


def parse(stamp):
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def validate(lines, tickets):
    errs = []
    seen = {}
    numbers = {}
    prev = None
    for i, obj in enumerate(lines):
        if set(obj) != {"event", "label"} or set(obj["label"]) != {"category", "duplicate_of", "why"}:
            errs.append(f"line {i + 1}: unexpected keys")
        ev = obj["event"]
        tk = ev["ticket"]
        if set(ev) != EVENT_KEYS or ev["kind"] != {"type": "ticket_created"} or ev["id"] != "ev-" + tk["id"]:
            errs.append(f"{tk['id']}: bad event envelope")
        if set(tk) - {"fields"} != TICKET_KEYS:
            errs.append(f"{tk['id']}: ticket keys {sorted(tk)}")
        if set(tk["requester"]) != REQ_KEYS or tk["requester"]["language"] not in ("fr", "en"):
            errs.append(f"{tk['id']}: requester keys")
        if tk["id"] != f"k-{i + 1:04d}" or tk["id"] in seen:
            errs.append(f"{tk['id']}: id out of sequence or repeated")
        seen[tk["id"]] = i
        if tk["channel"] not in CHANNELS or any(x["kind"] not in KINDS for x in tk["requester"]["identities"]):
            errs.append(f"{tk['id']}: channel or identity kind")
        if (tk["subject"] is not None) != (tk["channel"] in ("email", "web_form")):
            errs.append(f"{tk['id']}: subject only on email and web_form")
        if tk["channel"] == "app_store_review" and tk["requester"]["identities"]:
            errs.append(f"{tk['id']}: a store review with identities")
        st = ev["occurred_at"]
        if not STAMP.match(st) or tk["created_at"] != st or tk["updated_at"] != st:
            errs.append(f"{tk['id']}: timestamp {st!r}")
        when = parse(st)
        if st.endswith("+02:00") and when >= DST_END or st.endswith("+01:00") and when < DST_END:
            errs.append(f"{tk['id']}: Paris offset of {st} is wrong for that instant")
        if not (dt.datetime(2026, 10, 13, tzinfo=UTC) <= when < dt.datetime(2026, 11, 6, tzinfo=UTC)):
            errs.append(f"{tk['id']}: {st} outside 2026-10-13..2026-11-05")
        if prev is not None and when <= prev:
            errs.append(f"{tk['id']}: not after the previous ticket")
        prev = when
        msgs = tk["messages"]
        if (len(msgs) != 1 or set(msgs[0]) != MSG_KEYS or msgs[0]["id"] != "m-" + tk["id"]
                or msgs[0]["author_role"] != "requester" or msgs[0]["channel"] != tk["channel"]
                or msgs[0]["created_at"] != st or not msgs[0]["body"].strip()):
            errs.append(f"{tk['id']}: message")
        for f in tk.get("fields", []):
            if set(f) != {"name", "value"} or f["name"] not in ("number", "zammad_number") or not re.fullmatch(r"\d{5}", f["value"].get("text", "")):
                errs.append(f"{tk['id']}: field {f}")
            elif f["value"]["text"] in numbers:
                errs.append(f"{tk['id']}: number {f['value']['text']} repeated")
            else:
                numbers[f["value"]["text"]] = tk["id"]
        lab = obj["label"]
        if lab["category"] not in CATS + ["unrelated"] or not lab["why"]:
            errs.append(f"{tk['id']}: label")
        d = lab["duplicate_of"]
        t = tickets[i]
        if d is not None:
            if d not in seen or seen[d] >= i:
                errs.append(f"{tk['id']}: duplicate_of {d} is not earlier")
            elif lines[seen[d]]["label"]["duplicate_of"] is not None:
                errs.append(f"{tk['id']}: duplicate_of {d}, itself a duplicate")
            else:
                o = tickets[seen[d]]
                same_group = (o["pkey"] == t["pkey"] if t["ch"] != "app_store_review" else o["rkey"] == t["rkey"])
                if not same_group and not any(n == o["number"] for k, n in t["cites"] if k == "ticket"):
                    errs.append(f"{tk['id']}: duplicate_of {d} outside its group")
            if lab["category"] == "unrelated":
                errs.append(f"{tk['id']}: unrelated ticket labelled duplicate")
        # Every 5-digit number in the text is a declared citation, existing or not as built.
        text = (tk["subject"] or "") + "\n" + msgs[0]["body"]
        found = set(re.findall(r"(?<!\d)\d{5}(?!\d)", text))
        declared = {n for _, n in t["cites"]}
        if found != declared:
            errs.append(f"{tk['id']}: 5-digit numbers in text {sorted(found)} vs declared {sorted(declared)}")
        for kind, n in t["cites"]:
            owner = numbers.get(n)
            if kind in ("ticket", "order") and (owner is None or owner == tk["id"]):
                errs.append(f"{tk['id']}: cites {n} ({kind}) which no earlier ticket carries")
            if kind == "unknown" and any(x["number"] == n for x in tickets):
                errs.append(f"{tk['id']}: 'unknown' number {n} is carried by a ticket")
    # Store reviews: near-identical inside a group, clearly different across groups.
    reviews = [t for t in tickets if t["ch"] == "app_store_review"]
    for a in range(len(reviews)):
        for b in range(a + 1, len(reviews)):
            x, y = reviews[a], reviews[b]
            s = jaccard(x["body"], y["body"])
            if x["rkey"] == y["rkey"] and s < 0.7:
                errs.append(f"{x['id']}/{y['id']}: same review but similarity {s:.2f}")
            if x["rkey"] != y["rkey"] and s >= 0.5:
                errs.append(f"{x['id']}/{y['id']}: different reviews but similarity {s:.2f}")
    if errs:
        raise SystemExit("invalid dataset:\n  " + "\n  ".join(errs[:50]))


def words(s):
    return set(re.findall(r"\w+", strip_accents(s).lower()))


def jaccard(a, b):
    x, y = words(a), words(b)
    return len(x & y) / max(1, len(x | y))


# --------------------------------------------------------------------------- report

def report(lines, tickets):
    by = Counter()
    roles = defaultdict(Counter)
    for obj, t in zip(lines, tickets):
        cat = obj["label"]["category"]
        pos = obj["label"]["duplicate_of"] is not None
        by[(cat, "positive" if pos else "negative")] += 1
        roles[cat][t["role"]] += 1
    langs = Counter(t["lang"] for t in tickets)
    chans = Counter(t["ch"] for t in tickets)
    with_num = sum(1 for t in tickets if t["number"])
    zam = sum(1 for t in tickets if t["numfield"] == "zammad_number" and t["number"])
    stats = {"total": len(lines), "by": by, "roles": roles, "langs": langs, "chans": chans, "with_num": with_num,
             "zammad": zam, "first": lines[0]["event"]["occurred_at"], "last": lines[-1]["event"]["occurred_at"]}
    print(f"{OUT}: {len(lines)} tickets ({langs['fr']} fr, {langs['en']} en), {with_num} with a number "
          f"({zam} as zammad_number), {stats['first']} .. {stats['last']}")
    for cat in CATS + ["unrelated"]:
        print(f"  {cat:14} duplicates {by[(cat, 'positive')]:3}  not duplicates {by[(cat, 'negative')]:3}  "
              + ", ".join(f"{r}={n}" for r, n in sorted(roles[cat].items())))
    for cat in CATS:
        if by[(cat, "positive")] < 30:
            raise SystemExit(f"only {by[(cat, 'positive')]} duplicates in {cat}, 30 needed")
    if len(lines) < 320:
        raise SystemExit(f"only {len(lines)} tickets")
    return stats


def write_readme(s):
    rows = []
    for cat in CATS + ["unrelated"]:
        r = s["roles"][cat]
        negs = ", ".join(f"{k.removeprefix('neg_').replace('_', ' ')} {v}" for k, v in sorted(r.items()) if k.startswith("neg_"))
        extra = ", ".join(f"{k} {v}" for k, v in sorted(r.items()) if not k.startswith("neg_") and k != "duplicate")
        rows.append(f"| `{cat}` | {s['by'][(cat, 'positive')]} | {sum(v for k, v in r.items() if k.startswith('neg_'))} "
                    f"| {negs or '-'} | {extra} |")
    chans = ", ".join(f"{c} {n}" for c, n in s["chans"].most_common())
    text = f"""# dedupe: second held-out set

`heldout-2.jsonl` is a labelled set for measuring the `dedupe` plugin on tickets it was
never tuned on. It follows the dataset format of the plugin (one `{{"event", "label"}}`
object per line, `ticket_created` events in chronological order) and its labelling
rules, with the plugin configured as `{{"default_region": "FR", "window_hours": 72}}`.

## What it holds

{s['total']} tickets `k-0001` .. `k-{s['total']:04d}`, {s['langs']['fr']} in French and {s['langs']['en']} in English,
from {s['first']} to {s['last']} (instants written with `Z`, `+02:00` before
2026-10-25 01:00Z and `+01:00` after). {s['with_num']} tickets carry the number customers
see, {s['zammad']} of them in the field `zammad_number` instead of `number`.
Channels: {chans}.

| category | duplicates | hard negatives | hard negatives by kind | other tickets |
|---|---|---|---|---|
{chr(10).join(rows)}

"Duplicates" have `duplicate_of` set (always the first ticket of their group).
"original" tickets start a case; "link" tickets are the same person writing about
something else earlier, on a ticket carrying both their e-mail and phone, which is what
lets a later ticket on WhatsApp or SMS be recognised; "background" tickets come from
people who write once.

The cases:

- **cross_channel**: the same person on another channel within 72 h, recognised through
  one identity written differently (`06 …`, `+33 (0)6 …`, `0033 6 …`, `+33…`, WhatsApp
  digits, `+44 …` for English customers; e-mail addresses in other letter cases) or
  through identities seen together on an earlier ticket. Negatives: another problem on
  another channel, identities never seen together (same name, same problem), a `+tag`
  address, the same problem more than 72 h later.
- **same_channel**: re-sends in the same or other words, with quoted history (Gmail,
  Outlook, French and English headers), signatures, dropped accents, typos, lower case.
  Negatives: another problem, the same problem from another person (often of the same
  family), more than 72 h later, a `+tag` address.
- **ticket_number**: follow-ups citing the ticket number (`Re: [#N]`, `[Ticket#N]`,
  `ticket N`, `ticket #N`, `demande n°N`, `demande n° N`, `dossier N`, `ref. N`,
  `votre référence N`), most of them more than 72 h later and some in other words or
  from a linked identity. Negatives: another person citing the number, order and
  invoice numbers equal to a real ticket number (of the same person about something
  else, or of someone else), numbers no ticket carries.
- **store_review**: the same review posted again within 72 h (identical, edited,
  without accents, lower case), never with identities. Negatives: other reviewers'
  own words on the same topic within the window, the same review re-posted after 72 h.

## How it was built and kept apart

`build.py` (with its phrasings in `texts.py`) was written from the labelling rules
alone, without reading the development set, the paraphrase set, the first held-out set
or the plugin's code; its names, topics, templates and numbers are its own. Every
ticket is generated with hidden keys: the problem instance it is about, the review it
re-posts, the tickets whose numbers it cites. The labels are then rebuilt by a separate
reading of the rules (identity normalisation to E.164 and case-folded e-mail, links
learnt from earlier tickets, 72 h window on instants, number follow-ups of the same
person, store reviews by review key) and the build stops if they disagree with what
each case was built to be. It also checks: unique ids in order, strictly increasing
instants, correct Paris offsets, exact keys of events, tickets, requesters and
messages, `duplicate_of` naming an earlier non-duplicate ticket of the same group,
every 5-digit number in a subject or body being a declared citation (existing for
ticket and order citations, carried by no ticket for unknown ones), unique ticket
numbers, no gap within 3 h of the 72 h edge, and store reviews near-identical inside a
group (word Jaccard at least 0.7) and clearly different across groups (below 0.5).

## Regenerating

    python3 plugins/dedupe/dataset/heldout-2/build.py

Python 3.9 or later, standard library only, fixed seed ({SEED}): the output is the same
on every run. It rewrites `heldout-2.jsonl` and this README and prints the counts.
"""
    with open(README, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
