#!/usr/bin/env python3
"""Build the third held-out set for the dedupe plugin: heldout-3.jsonl.

Standard library only, deterministic (fixed seed). Cases are planned as families
(a customer, their problem, their follow-ups and the hard negatives around them)
with hidden keys: who wrote (identities), which problem (`pkey`), which review text
(`rkey`) and which number is cited and how. The tickets are then ordered by instant,
numbered q-0001..., rendered, and the labels are rebuilt from the hidden keys with
the labelling rules and compared with the planned ones before anything is written.

Usage: python3 build.py   (writes heldout-3.jsonl beside this file, prints counts)
"""
import datetime as dt
import difflib
import json
import os
import random
import re
import sys
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wording as W  # noqa: E402

SEED = 3_2026_1015
rng = random.Random(SEED)
UTC = dt.timezone.utc
START = dt.datetime(2026, 10, 15, 5, 0, tzinfo=UTC)
END = dt.datetime(2026, 11, 6, 21, 0, tzinfo=UTC)
DST = dt.datetime(2026, 10, 25, 1, 0, tzinfo=UTC)
WINDOW = dt.timedelta(hours=72)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "heldout-3.jsonl")


def paris(t):
    return dt.timezone(dt.timedelta(hours=2 if t < DST else 1))


def fold(s):
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


# ----------------------------------------------------------------------------- people
_used_names, _used_phones, _used_ids = set(), set(), set()


def _uniq_digits(n, prefix=""):
    while True:
        v = prefix + "".join(rng.choice("0123456789") for _ in range(n))
        if v not in _used_ids:
            _used_ids.add(v)
            return v


class Person:
    def __init__(self, lang):
        self.lang = lang
        firsts, lasts = (W.FR_FIRST, W.FR_LAST) if lang == "fr" else (W.EN_FIRST, W.EN_LAST)
        while True:
            first, last = rng.choice(firsts), rng.choice(lasts)
            if (first, last) not in _used_names:
                _used_names.add((first, last))
                break
        self.first, self.last = first, last
        self.name = f"{first} {last}"
        f, l = fold(first).lower(), fold(last).lower().replace(" ", "")
        local = rng.choice([f"{f}.{l}", f"{f}{l}", f"{f[0]}{l}", f"{f}.{l}{rng.randint(2, 99)}",
                            f"{l}.{f}", f"{f}_{l}"])
        dom = rng.choice(W.DOMAINS_FR if lang == "fr" else W.DOMAINS_EN)
        self.email = f"{local}@{dom}"
        while True:
            if lang == "fr":
                e = "+33" + rng.choice("67") + "".join(rng.choice("0123456789") for _ in range(8))
            else:
                e = "+447700900" + "".join(rng.choice("0123456789") for _ in range(3))
            if e not in _used_phones:
                _used_phones.add(e)
                break
        self.e164 = e
        self.app_user = "u-" + _uniq_digits(6)
        self.messenger = _uniq_digits(16, "7")
        self.external = "crm-" + _uniq_digits(7)

    def email_variant(self, style=None):
        style = style or rng.choice(["lower", "lower", "lower", "title", "upper_dom", "caps"])
        local, dom = self.email.split("@")
        if style == "title":
            local = ".".join(p[:1].upper() + p[1:] for p in local.split("."))
            dom = dom[:1].upper() + dom[1:]
        elif style == "upper_dom":
            dom = dom.upper()
        elif style == "caps":
            local = local.upper()
        return f"{local}@{dom}"

    def tagged(self):
        local, dom = self.email.split("@")
        return f"{local}+{rng.choice(['promo', 'shop', 'billets', 'pro', 'news', 'vols'])}@{dom}"

    def phone(self, style=None):
        e = self.e164
        if e.startswith("+33"):
            n = e[3:]
            pairs = " ".join(["0" + n[0]] + [n[i:i + 2] for i in range(1, 9, 2)])
            style = style or rng.choice(["nat_sp", "nat", "dot", "intl_sp", "intl_0", "0033", "e164"])
            return {"nat_sp": pairs, "nat": "0" + n, "dot": pairs.replace(" ", "."),
                    "intl_sp": "+33 " + n[0] + " " + " ".join(n[i:i + 2] for i in range(1, 9, 2)),
                    "intl_0": "+33 (0)" + n[0] + " " + " ".join(n[i:i + 2] for i in range(1, 9, 2)),
                    "0033": "0033 " + n[0] + " " + " ".join(n[i:i + 2] for i in range(1, 9, 2)),
                    "e164": e}[style]
        n = e[3:]
        style = style or rng.choice(["sp", "e164", "00", "0"])
        return {"sp": f"+44 {n[:4]} {n[4:]}", "e164": e, "00": f"0044 {n[:4]} {n[4:]}",
                "0": f"+44 (0){n[:4]} {n[4:]}"}[style]

    def wa(self):
        return self.e164[1:]

    def ident(self, kind):
        """One identity of this person, in a writing picked at random."""
        if kind == "email":
            return ("email", self.email_variant())
        if kind == "phone":
            return ("phone", self.phone())
        if kind == "whatsapp":
            return ("whatsapp", self.wa())
        if kind == "messenger":
            return ("messenger", self.messenger)
        if kind == "app_user":
            return ("app_user", self.app_user)
        if kind == "external":
            return ("external", self.external)
        raise ValueError(f"unknown identity kind {kind!r}")


# ----------------------------------------------------------------------------- planning
TICKETS = []
_pkey = [0]


class T:
    def __init__(self, **kw):
        self.person = None
        self.reviewer = None
        self.lang = "fr"
        self.ids = []
        self.prob = None
        self.slots = {}
        self.pkey = None
        self.rkey = None
        self.review_text = None
        self.role = "root"
        self.dup_of = None
        self.why = ""
        self.cite = None  # (kind, target T or int) kind: ticket|order|other|unknown
        self.mode = "orig"
        self.ref = None
        self.number = None
        self.numfield = "number"
        self.needs_number = False
        self.body_idx = None
        self.__dict__.update(kw)
        TICKETS.append(self)


def rand_time(lo=START, hi=END):
    while True:
        t = lo + dt.timedelta(seconds=rng.randint(0, int((hi - lo).total_seconds())))
        h = t.astimezone(paris(t)).hour
        if 7 <= h <= 22 or rng.random() < 0.08:
            return t


def within():
    r = rng.random()
    if r < 0.3:
        return dt.timedelta(minutes=rng.randint(8, 180))
    if r < 0.8:
        return dt.timedelta(minutes=rng.randint(180, 30 * 60))
    return dt.timedelta(minutes=rng.randint(30 * 60, 70 * 60))


def beyond():
    return dt.timedelta(minutes=rng.randint(74 * 60, 230 * 60))


DAY_NAMES = {"fr": W.DAYS_FR, "en": W.DAYS_EN}
MONTHS_FR = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
             "octobre", "novembre", "décembre"]
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December"]
SHOPS = ["Marché Central", "Pharmacie du Parc", "Station Orvia", "Bricomax", "Le Fournil d'Anna",
         "Cinéma Lumière", "Boucherie Favre"]


def instance(person, prob, at):
    _pkey[0] += 1
    d = at - dt.timedelta(days=rng.randint(1, 9))
    dd = at - dt.timedelta(days=rng.randint(1, 3))
    fr = person.lang == "fr"
    amount = rng.choice([rng.randint(12, 95), rng.randint(100, 640)]) + rng.choice([0, 0, 0.5, 0.9, 0.99, 0.49])
    amt = (f"{amount:.2f}".replace(".", ",") if fr else f"{amount:.2f}")
    if amt.endswith(",00") or amt.endswith(".00"):
        amt = amt[:-3]
    slots = {
        "last4": f"{rng.randint(0, 9999):04d}", "amount": amt,
        "day": W.DAYS_FR[dd.weekday()], "dayen": W.DAYS_EN[dd.weekday()],
        "date": rng.choice([f"{d.day}/{d.month:02d}", f"{d.day} {MONTHS_FR[d.month - 1]}"]),
        "dateen": f"{d.day} {MONTHS_EN[d.month - 1]}",
        "flight": f"AZ {rng.randint(1000, 8999)}", "city": rng.choice(W.CITIES_FR if fr else W.CITIES_EN),
        "kwh": f"{rng.randint(2, 9)} {rng.randint(100, 999)}", "shop": rng.choice(SHOPS),
        "show": rng.choice(W.SHOWS),
    }
    return {"prob": prob, "slots": slots, "pkey": f"p{_pkey[0]}"}


PROBS = {"fr": [p for p in W.PROBLEMS if p["lang"] == "fr"], "en": [p for p in W.PROBLEMS if p["lang"] == "en"]}


def pick_prob(lang, avoid=()):
    while True:
        p = rng.choice(PROBS[lang])
        if p["key"] not in avoid:
            return p


def person(lang=None):
    return Person(lang or ("fr" if rng.random() < 0.72 else "en"))


def mk(p, channel, ids, at, inst, **kw):
    return T(person=p, lang=p.lang, channel=channel, ids=ids, at=at, prob=inst["prob"],
             slots=inst["slots"], pkey=inst["pkey"], **kw)


CROSS_WHY = {
    "webform_wa": "Same person (phone seen with the e-mail on the web form), same problem, on WhatsApp within 72 h.",
}

# ------------------------------------------------------------------ cross_channel family
def fam_cross_positive(i):
    lang = "en" if i % 4 == 3 else "fr"
    p = person(lang)
    kinds = i % 7
    at = rand_time(START, END - dt.timedelta(hours=75))
    prior = []
    if kinds == 0:  # web form with e-mail and phone, follow-up on WhatsApp / SMS / phone
        root_ch, root_ids = "web_form", [p.ident("email"), ("phone", p.phone())]
        follow = [("whatsapp", [("whatsapp", p.wa())]), ("sms", [("phone", p.phone())]), ("phone", [("phone", p.phone())])]
        how = "the phone number was given with the e-mail on the first ticket"
    elif kinds == 1:  # chat with app user and e-mail, follow-up by e-mail in other case
        root_ch, root_ids = "chat", [p.ident("app_user"), ("email", p.email_variant("lower"))]
        follow = [("email", [("email", p.email_variant(rng.choice(["title", "upper_dom", "caps"])))]), ("messenger", None)]
        how = "the e-mail address was seen with the app account on the chat ticket (case differs)"
    elif kinds == 2:  # WhatsApp, then phone call from the same number written nationally
        root_ch, root_ids = "whatsapp", [("whatsapp", p.wa())]
        follow = [("phone", [("phone", p.phone(rng.choice(["nat_sp", "intl_0", "0033", "dot"]) if lang == "fr" else None))]),
                  ("sms", [("phone", p.phone())])]
        how = "the WhatsApp number and the phone number are the same E.164 number"
    elif kinds == 3:  # link learnt from an older ticket (e-mail + messenger)
        pat = at - dt.timedelta(hours=rng.randint(90, 200))
        if pat < START:
            at += START - pat + dt.timedelta(hours=5)
            pat = at - dt.timedelta(hours=rng.randint(90, 100))
        inst0 = instance(p, pick_prob(lang), pat)
        prior.append(mk(p, "messenger", [("messenger", p.messenger), ("email", p.email_variant("lower"))], pat, inst0,
                        role="link", cat="cross_channel", why="Earlier ticket of the person on another problem; it links their Messenger id to their e-mail."))
        root_ch, root_ids = "email", [p.ident("email")]
        follow = [("messenger", [("messenger", p.messenger)])]
        how = "an earlier ticket linked the Messenger id to the e-mail"
    elif kinds == 4:  # e-mail with phone known, follow-up by SMS
        root_ch, root_ids = "email", [p.ident("email"), ("phone", p.phone())]
        follow = [("sms", [("phone", p.phone())]), ("whatsapp", [("whatsapp", p.wa())])]
        how = "the phone number was on the e-mail ticket"
    elif kinds == 5:  # transitive: e-mail+phone earlier, phone+app_user earlier, then app chat & e-mail
        pat = at - dt.timedelta(hours=rng.randint(100, 240))
        if pat < START:
            at += START - pat + dt.timedelta(hours=3)
            pat = at - dt.timedelta(hours=rng.randint(100, 110))
        inst0 = instance(p, pick_prob(lang), pat)
        prior.append(mk(p, "web_form", [p.ident("email"), ("phone", p.phone())], pat, inst0, role="link", cat="cross_channel",
                        why="Earlier ticket of the person on another problem; links e-mail and phone."))
        pat2 = pat + dt.timedelta(hours=rng.randint(2, 40))
        inst1 = instance(p, pick_prob(lang, (inst0["prob"]["key"],)), pat2)
        prior.append(mk(p, "phone", [("phone", p.phone()), ("app_user", p.app_user)], pat2, inst1, role="link", cat="cross_channel",
                        why="Earlier ticket of the person on another problem; links phone and app account."))
        root_ch, root_ids = "chat", [("app_user", p.app_user)]
        follow = [("email", [p.ident("email")])]
        how = "the app account and the e-mail are linked through the phone number on earlier tickets"
    else:  # e-mail first, then chat carrying both
        root_ch, root_ids = "email", [p.ident("email")]
        follow = [("chat", [("app_user", p.app_user), p.ident("email")]), ("messenger", None)]
        how = "the chat ticket carries the same e-mail"
    inst = instance(p, pick_prob(lang, [x.prob["key"] for x in prior]), at)
    root = mk(p, root_ch, root_ids, at, inst, role="root", cat="cross_channel",
              why="First ticket of the person about this problem.")
    n = 2 if i % 3 == 0 and len([f for f in follow if f[1]]) > 1 else 1
    t = at
    used = [f for f in follow if f[1]][:n]
    for ch, ids in used:
        t = t + within()
        if t - at >= WINDOW or t > END:
            t = at + dt.timedelta(hours=rng.randint(1, 60))
        mk(p, ch, ids, t, inst, role="dup", dup_of=root, ref=root, mode="cross", cat="cross_channel",
           why=f"Same person ({how}), same problem on {ch} within 72 h.")
    return p, root


def fam_cross_negatives(pos_roots):
    # same person, other problem, another channel, within 72 h (identities linked)
    for p, root in pos_roots[:8]:
        at = root.at + within()
        inst = instance(p, pick_prob(p.lang, (root.prob["key"],)), at)
        ch = rng.choice([c for c in ["chat", "whatsapp", "email", "phone"] if c != root.channel])
        ids = root.ids[:1] if ch == root.channel else None
        if ch == "email":
            ids = [p.ident("email"), ("phone", p.phone())]
        elif ch == "whatsapp":
            ids = [("whatsapp", p.wa()), ("app_user", p.app_user)]
        elif ch == "phone":
            ids = [("phone", p.phone()), p.ident("email")]
        else:
            ids = [("app_user", p.app_user), p.ident("email")]
        ids = ids + [root.ids[0]]
        mk(p, ch, ids, at, inst, role="neg", cat="cross_channel",
           why="Same person on another channel within 72 h, but about a different problem.")
    # same person, same problem, another channel, beyond 72 h
    for k in range(6):
        p = person("fr" if k % 3 else "en")
        at = rand_time(START, END - dt.timedelta(hours=240))
        inst = instance(p, pick_prob(p.lang), at)
        a = mk(p, "email", [p.ident("email"), ("phone", p.phone())], at, inst, cat="cross_channel",
               why="First ticket of the person about this problem.")
        ch = rng.choice(["whatsapp", "sms", "chat"])
        ids = {"whatsapp": [("whatsapp", p.wa())], "sms": [("phone", p.phone())], "chat": [("app_user", p.app_user), p.ident("email")]}[ch]
        mk(p, ch, ids, at + beyond(), inst, role="neg", mode="late", ref=a, cat="cross_channel",
           why="Same person and problem on another channel, but more than 72 h later.")
    # identities never seen together
    for k in range(8):
        p = person("fr" if k % 4 else "en")
        at = rand_time(START, END - dt.timedelta(hours=75))
        inst = instance(p, pick_prob(p.lang), at)
        first_ch, first_ids, second = [
            ("email", [p.ident("email")], ("whatsapp", [("whatsapp", p.wa())])),
            ("chat", [("app_user", p.app_user)], ("email", [p.ident("email")])),
            ("messenger", [("messenger", p.messenger)], ("sms", [("phone", p.phone())])),
            ("email", [p.ident("email")], ("phone", [("phone", p.phone())])),
        ][k % 4]
        a = mk(p, first_ch, first_ids, at, inst, cat="cross_channel", why="First ticket of the person about this problem.")
        mk(p, second[0], second[1], at + within(), inst, role="neg", mode="cross", ref=a, cat="cross_channel",
           why="Same problem, but the two identities were never seen together on a ticket.")
    # +tag e-mail across channels
    for k in range(3):
        p = person("fr")
        at = rand_time(START, END - dt.timedelta(hours=75))
        inst = instance(p, pick_prob("fr"), at)
        a = mk(p, "web_form", [("email", p.email), ("phone", p.phone())], at, inst, cat="cross_channel",
               why="First ticket of the person about this problem.")
        mk(p, "email", [("email", p.tagged())], at + within(), inst, role="neg", mode="cross", ref=a, cat="cross_channel",
           why="The address carries a +tag, so it is another identity.")
    # same problem, other people, other channels
    for k in range(5):
        lang = "fr" if k % 2 == 0 else "en"
        p1, p2 = person(lang), person(lang)
        prob = pick_prob(lang)
        at = rand_time(START, END - dt.timedelta(hours=75))
        mk(p1, "email", [p1.ident("email")], at, instance(p1, prob, at), cat="cross_channel",
           why="First ticket of the person about this problem.")
        t2 = at + within()
        mk(p2, rng.choice(["chat", "whatsapp"]), [("app_user", p2.app_user)] if k % 2 else [("whatsapp", p2.wa())], t2,
           instance(p2, prob, t2), role="neg", cat="cross_channel",
           why="Same problem within 72 h, but another customer.")


# ------------------------------------------------------------------- same_channel family
SAME_CH = ["email", "email", "email", "chat", "whatsapp", "sms", "messenger", "phone", "web_form", "chat"]


def same_ids(p, ch, first):
    if ch in ("email",):
        return [p.ident("email")] if not first or rng.random() < 0.7 else [p.ident("email"), ("phone", p.phone())]
    if ch == "web_form":
        return [p.ident("email"), ("phone", p.phone())]
    if ch == "chat":
        return [("app_user", p.app_user)]
    if ch == "whatsapp":
        return [("whatsapp", p.wa())]
    if ch in ("sms", "phone"):
        return [("phone", p.phone())]
    if ch == "messenger":
        return [("messenger", p.messenger)]
    raise ValueError(ch)


def fam_same_positive(i):
    lang = "en" if i % 4 == 1 else "fr"
    p = person(lang)
    ch = SAME_CH[i % len(SAME_CH)]
    at = rand_time(START, END - dt.timedelta(hours=75))
    inst = instance(p, pick_prob(lang), at)
    root = mk(p, ch, same_ids(p, ch, True), at, inst, cat="same_channel", why="First ticket of the person about this problem.")
    n = 2 if i % 3 == 2 else 1
    t = at
    for _ in range(n):
        t = t + within()
        if t - at >= WINDOW or t > END:
            t = at + dt.timedelta(hours=rng.randint(1, 50))
        mk(p, ch, same_ids(p, ch, False), t, inst, role="dup", dup_of=root, ref=root, mode="resend", cat="same_channel",
           why=f"Same person, same problem, again on {ch} within 72 h.")
    return p, root


def fam_same_negatives(pos_roots):
    for p, root in pos_roots[:8]:  # same person, other problem, same channel, within 72 h
        at = root.at + within()
        if at > END:
            at = root.at + dt.timedelta(hours=2)
        mk(p, root.channel, same_ids(p, root.channel, False), at, instance(p, pick_prob(p.lang, (root.prob["key"],)), at),
           role="neg", cat="same_channel", why="Same person on the same channel within 72 h, but about a different problem.")
    for k in range(6):  # beyond the window, same channel
        p = person("fr" if k % 3 else "en")
        ch = ["email", "chat", "whatsapp", "email", "sms", "messenger"][k]
        at = rand_time(START, END - dt.timedelta(hours=240))
        inst = instance(p, pick_prob(p.lang), at)
        a = mk(p, ch, same_ids(p, ch, True), at, inst, cat="same_channel", why="First ticket of the person about this problem.")
        mk(p, ch, same_ids(p, ch, False), at + beyond(), inst, role="neg", mode="late", ref=a, cat="same_channel",
           why="Same person and problem on the same channel, but more than 72 h later.")
    for k in range(8):  # same problem, other people, same channel (a wave of similar complaints)
        lang = "fr" if k % 3 else "en"
        prob = pick_prob(lang)
        ch = ["email", "chat", "whatsapp", "email"][k % 4]
        at = rand_time(START, END - dt.timedelta(hours=75))
        p1, p2 = person(lang), person(lang)
        mk(p1, ch, same_ids(p1, ch, True), at, instance(p1, prob, at), cat="same_channel",
           why="First ticket of the person about this problem.")
        t2 = at + within()
        mk(p2, ch, same_ids(p2, ch, True), t2, instance(p2, prob, t2), role="neg", cat="same_channel",
           why="Same problem on the same channel within 72 h, but another customer.")
    for k in range(3):  # +tag on the same channel
        p = person("fr" if k else "en")
        at = rand_time(START, END - dt.timedelta(hours=75))
        inst = instance(p, pick_prob(p.lang), at)
        a = mk(p, "email", [("email", p.email)], at, inst, cat="same_channel", why="First ticket of the person about this problem.")
        mk(p, "email", [("email", p.tagged())], at + within(), inst, role="neg", mode="resend", ref=a, cat="same_channel",
           why="Re-sent from a +tag address, which is another identity.")


# ------------------------------------------------------------------ ticket_number family
def fam_ticket_positive(i):
    lang = "en" if i % 4 == 2 else "fr"
    p = person(lang)
    at = rand_time(START, END - dt.timedelta(hours=100))
    inst = instance(p, pick_prob(lang), at)
    ch = ["email", "web_form", "chat", "email", "whatsapp", "phone"][i % 6]
    ids = same_ids(p, ch, True)
    if ch == "email" and i % 2:
        ids = [p.ident("email"), ("phone", p.phone())]
    root = mk(p, ch, ids, at, inst, cat="ticket_number", needs_number=True,
              numfield="zammad_number" if i % 7 == 3 else "number", why="Ticket whose number the customer cites later.")
    n = 2 if i % 5 == 0 else 1
    t = at
    for k in range(n):
        late = rng.random() < 0.65
        gap = beyond() if late else within()
        t = t + gap
        if t > END:
            t = END - dt.timedelta(minutes=rng.randint(10, 600))
        # the citing ticket: same identity, another writing of it, or a linked one
        choice = rng.choice(["email", "email", "phone", "same"])
        all_ids = {x[0] for x in ids}
        if choice == "email" and "email" in all_ids:
            fch, fids = "email", [("email", p.email_variant())]
        elif choice == "phone" and ("phone" in all_ids or "whatsapp" in all_ids):
            fch, fids = rng.choice([("whatsapp", [("whatsapp", p.wa())]), ("sms", [("phone", p.phone())])])
        else:
            fch, fids = ch, same_ids(p, ch, False)
        same_problem = rng.random() < 0.8
        finst = inst if same_problem else instance(p, pick_prob(lang, (inst["prob"]["key"],)), t)
        mk(p, fch, fids, t, finst, role="dup", dup_of=root, ref=root, mode="tn", cite=("ticket", root), cat="ticket_number",
           why="Cites the number of the person's own open ticket" + (" (beyond 72 h: the number decides)." if (t - at) >= WINDOW else "."))
        if t >= END - dt.timedelta(hours=12):
            break
    return p, root


def fam_ticket_negatives(pos_roots):
    # someone else cites a real ticket number
    for p, root in pos_roots[:7]:
        q = person(p.lang)
        t = root.at + (beyond() if rng.random() < 0.5 else within())
        if t > END:
            t = root.at + dt.timedelta(hours=3)
        mk(q, rng.choice(["email", "chat", "whatsapp"]), [q.ident("email")], t, instance(q, root.prob, t), role="neg",
           mode="other_cite", cite=("other", root), ref=root, cat="ticket_number",
           why="Cites a real ticket number, but the ticket belongs to someone else.")
    # order / invoice / contract numbers equal to a real ticket number
    for k, (p, root) in enumerate(pos_roots[7:15]):
        if k % 2 == 0:  # the same person, about another problem
            q, ids = p, [p.ident("email")] if "email" in {x[0] for x in root.ids} else root.ids[:1]
            why = "The number is an order/invoice number of this person that equals their own ticket number; other problem."
            prob = pick_prob(p.lang, (root.prob["key"],))
        else:
            q = person(p.lang)
            ids = [q.ident("email")]
            why = "An order/invoice number that equals another customer's ticket number."
            prob = pick_prob(q.lang)
        t = root.at + dt.timedelta(hours=rng.randint(80, 200))
        if t > END:
            t = END - dt.timedelta(hours=rng.randint(1, 10))
        mk(q, "email" if ids[0][0] == "email" else root.channel, ids, t, instance(q, prob, t), role="neg", mode="order_cite",
           cite=("order", root), cat="ticket_number", why=why)
    # numbers that no ticket carries
    for k in range(6):
        if k < 3:
            p, root = pos_roots[15 + k]
            t = root.at + dt.timedelta(hours=rng.randint(76, 160))
            if t > END:
                t = END - dt.timedelta(hours=1)
            mk(p, "email", [p.ident("email")] if "email" in {x[0] for x in root.ids} else root.ids[:1], t,
               instance(p, pick_prob(p.lang, (root.prob["key"],)), t), role="neg", mode="unknown_cite", cite=("unknown", None),
               cat="ticket_number", why="Cites a ticket number that no ticket carries.")
        else:
            q = person("fr" if k % 2 else "en")
            t = rand_time()
            mk(q, rng.choice(["email", "chat"]), [q.ident("email")], t, instance(q, pick_prob(q.lang), t), role="neg",
               mode="unknown_cite", cite=("unknown", None), cat="ticket_number",
               why="Cites a ticket number that no ticket carries.")


# ------------------------------------------------------------------ store_review family
ALL_REVIEWS = []
for topic, lst in W.REVIEWS.items():
    for j, r in enumerate(lst + W.REVIEWS_MORE.get(topic, [])):
        ALL_REVIEWS.append((topic, f"{topic}-{j}") + r)


def small_edit(title, text, lang):
    kind = rng.choice(["same", "edit_add", "accents", "word", "punct", "stars"])
    if kind == "same":
        return title, text
    if kind == "edit_add":
        add = rng.choice(["Edit : toujours pas corrigé.", "EDIT: toujours le même problème.", "Mise à jour : rien n'a changé."]) if lang == "fr" else \
            rng.choice(["Edit: still not fixed.", "UPDATE: still the same.", "Edit: reinstalled again, no change."])
        return title, text + " " + add
    if kind == "accents":
        return title, fold(text).lower()
    if kind == "word":
        return title, text.replace(", ", " ", 1).replace(" très ", " vraiment ", 1).replace("Really", "Very", 1)
    if kind == "punct":
        return title.upper(), text.rstrip(".!") + " !!"
    return title, text + (" 1 étoile." if lang == "fr" else " 1 star.")


def review_name(lang):
    return rng.choice(W.REVIEWERS_FR if lang == "fr" else W.REVIEWERS_EN)


def mk_review(name, at, rkey, title, text, lang, **kw):
    return T(reviewer=name, lang=lang, channel="app_store_review", ids=[], at=at, rkey=rkey,
             review_text=(title, text), **kw)


def fam_reviews():
    pool = ALL_REVIEWS[:]
    rng.shuffle(pool)
    by_topic = {}
    for r in pool:
        by_topic.setdefault(r[0], []).append(r)
    groups, negs = [], []
    topics = list(by_topic)
    # one group text per topic first, then more; keep at least one other text per topic for negatives
    order = []
    for round_ in range(3):
        for tp in topics:
            if len(by_topic[tp]) > 1 + (1 if round_ else 0) and len(order) < 30:
                order.append(by_topic[tp].pop())
    rest = [r for tp in topics for r in by_topic[tp]]
    positives = []
    for i, (topic, rkey, lang, title, text) in enumerate(order):
        at = rand_time(START, END - dt.timedelta(hours=75))
        name = review_name(lang)
        root = mk_review(name, at, rkey, title, text, lang, cat="store_review", why="First posting of this review.")
        n = 2 if i % 4 == 0 else 1
        t = at
        for _ in range(n):
            t = t + within()
            if t - at >= WINDOW or t > END:
                t = at + dt.timedelta(hours=rng.randint(1, 40))
            nm = rng.choice([name, name, None, name.lower()])
            tt, tx = small_edit(title, text, lang)
            mk_review(nm, t, rkey, tt, tx, lang, role="dup", dup_of=root, cat="store_review",
                      why="The same review posted again (other store or small edit) within 72 h.")
        positives.append(root)
        groups.append((topic, root))
    # similar reviews by different reviewers, close in time to a group of the same topic
    used = 0
    for r in rest:
        topic, rkey, lang, title, text = r
        cands = [g for g in groups if g[0] == topic]
        if not cands:
            continue
        g = rng.choice(cands)[1]
        t = g.at + within()
        if t > END:
            t = g.at - dt.timedelta(hours=rng.randint(2, 40))
        mk_review(review_name(lang) if rng.random() < 0.85 else None, t, rkey, title, text, lang, role="neg",
                  cat="store_review", why="Another reviewer's review of the same kind of problem; not the same text.")
        used += 1
    # the same review posted again more than 72 h later
    for root in positives[:5]:
        t = root.at + beyond()
        if t > END:
            continue
        tt, tx = small_edit(*root.review_text, root.lang)
        mk_review(root.reviewer, t, root.rkey, tt, tx, root.lang, role="neg", cat="store_review",
                  why="The same review posted again, but more than 72 h after the earlier posting.")
    for lang, title, text in W.BACKGROUND_REVIEWS:
        mk_review(review_name(lang), rand_time(), "bg-" + title, title, text, lang, role="bg", cat="unrelated",
                  why="A review on its own.")


# --------------------------------------------------------------------- background tickets
def fam_background(n):
    bg = W.BACKGROUND[:]
    for k in range(n):
        lang = bg[k][0] if k < len(bg) else ("fr" if rng.random() < 0.72 else "en")
        p = person(lang)
        at = rand_time()
        ch = rng.choice(["email", "email", "chat", "whatsapp", "web_form", "sms", "messenger", "phone", "api", "chat"])
        if ch == "api":
            ids = [("external", p.external), p.ident("email")]
        else:
            ids = same_ids(p, ch, True)
        if k < len(bg):
            inst = {"prob": None, "slots": {"show": rng.choice(W.SHOWS)}, "pkey": f"bg{k}"}
            t = mk(p, ch, ids, at, inst, role="bg", cat="unrelated", why="A one-off question from a customer seen once.")
            t.oneoff = bg[k]
        else:
            mk(p, ch, ids, at, instance(p, pick_prob(lang), at), role="bg", cat="unrelated",
               why="A one-off request from a customer seen once.")


# ------------------------------------------------------------------------------ rendering
GREET = {"fr": ["Bonjour,", "Bonjour,", "Madame, Monsieur,", "Bonsoir,", "Bonjour à vous,", "Hello,", "Bjr,"],
         "en": ["Hi,", "Hello,", "Hi there,", "Dear Sir or Madam,", "Hey,", "Good morning,"]}
CLOSE = {"fr": ["Merci d'avance pour votre aide.", "Dans l'attente de votre retour.", "Merci de faire le nécessaire rapidement.",
                "Pouvez-vous regarder ça svp ?", "Je compte sur vous pour régler ça.", "Merci de me tenir au courant."],
         "en": ["Thanks in advance.", "Looking forward to hearing from you.", "Please sort this out asap.",
                "Could you look into it?", "Let me know what you need from me."]}
CHAN = {"fr": {"email": "par mail", "chat": "sur le chat", "whatsapp": "sur WhatsApp", "messenger": "sur Messenger",
               "phone": "par téléphone", "sms": "par SMS", "web_form": "via le formulaire du site", "api": "via votre partenaire"},
        "en": {"email": "by email", "chat": "on the chat", "whatsapp": "on WhatsApp", "messenger": "on Messenger",
               "phone": "by phone", "sms": "by text", "web_form": "through the contact form", "api": "through your partner"}}
DOW_FR = ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."]
MON_FR = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]
DOW_EN = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MON_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
CITE_FR = ["ticket {n}", "ticket #{n}", "demande n°{n}", "demande n° {n}", "dossier {n}", "ref. {n}", "votre référence {n}"]
CITE_EN = ["ticket #{n}", "ticket {n}", "ref. {n}"]


class _Slots(dict):
    def __missing__(self, k):
        raise KeyError(f"slot {k!r} missing")


def fill(s, slots):
    return s.format_map(_Slots(slots))


def sig(t):
    p = t.person
    if t.lang == "fr":
        return rng.choice([f"Cordialement,\n{p.name}", f"Bien à vous,\n{p.first}", f"--\n{p.name}\n{p.phone()}",
                           f"{p.first}\n\nEnvoyé de mon iPhone", f"Merci,\n{p.name}", f"Bonne journée\n{p.first} {p.last[0]}.",
                           f"Cdlt\n{p.last.upper()} {p.first}"])
    return rng.choice([f"Thanks,\n{p.first}", f"Kind regards,\n{p.name}", f"Best,\n{p.first}\n\nSent from my iPhone",
                       f"Cheers,\n{p.first}", f"--\n{p.name}\n{p.phone()}"])


def when(gap, lang):
    h = gap.total_seconds() / 3600
    if lang == "fr":
        return "tout à l'heure" if h < 5 else "ce matin" if h < 12 else "hier" if h < 36 else "il y a quelques jours"
    return "earlier today" if h < 12 else "yesterday" if h < 36 else "a few days ago"


def noisy(s, lang):
    if rng.random() < 0.3:
        s = fold(s)
    if rng.random() < 0.35:
        s = s.lower()
    if rng.random() < 0.3 and len(s) > 12 and not re.search(r"\d{5}", s):
        i = rng.randrange(3, len(s) - 3)
        if s[i].isalpha() and s[i + 1].isalpha():
            s = s[:i] + s[i + 1] + s[i] + s[i + 2:]
    return s


def core(t, other_than=None):
    bodies = t.prob["body"]
    idx = rng.choice([i for i in range(len(bodies)) if i != other_than] or [0])
    t.body_idx = idx
    return fill(bodies[idx], t.slots)


def short(t):
    return fill(rng.choice(t.prob["short"]), t.slots)


def quote(ref, lang):
    lt = ref.at.astimezone(paris(ref.at))
    em = next((v for k, v in ref.ids if k == "email"), ref.person.email)
    if lang == "fr":
        head = rng.choice([
            f"Le {DOW_FR[lt.weekday()]} {lt.day} {MON_FR[lt.month - 1]} 2026 à {lt:%H:%M}, {ref.person.name} <{em}> a écrit :",
            f"-----Message d'origine-----\nDe : {ref.person.name} <{em}>\nEnvoyé : {DAYS_FULL_FR[lt.weekday()]} {lt.day} {MONTHS_FR[lt.month - 1]} 2026 {lt:%H:%M}\nObjet : {ref.subject or ''}"])
    else:
        h12 = lt.hour % 12 or 12
        head = f"On {DOW_EN[lt.weekday()]}, {MON_EN[lt.month - 1]} {lt.day}, 2026 at {h12}:{lt:%M} {'AM' if lt.hour < 12 else 'PM'} {ref.person.name} <{em}> wrote:"
    if head.startswith("-----"):
        return head + "\n\n" + ref.body
    return head + "\n" + "\n".join("> " + l if l else ">" for l in ref.body.split("\n"))


DAYS_FULL_FR = W.DAYS_FR


def email_body(t, text):
    return f"{rng.choice(GREET[t.lang])}\n\n{text}\n\n{rng.choice(CLOSE[t.lang])}\n\n{sig(t)}"


def web_form_body(t, text):
    p = t.person
    em = next((v for k, v in t.ids if k == "email"), p.email)
    ph = next((v for k, v in t.ids if k == "phone"), "")
    if t.lang == "fr":
        return f"Nom : {p.name}\nE-mail : {em}\nTéléphone : {ph}\nMessage :\n{text}"
    return f"Name: {p.name}\nEmail: {em}\nPhone: {ph}\nMessage:\n{text}"


def channel_text(t, long_text, short_text):
    """The message for the ticket's channel from a long and a short wording."""
    lang, ch = t.lang, t.channel
    if ch == "email":
        return email_body(t, long_text)
    if ch == "web_form":
        return web_form_body(t, long_text)
    if ch == "phone":
        ph = t.person.phone()
        if lang == "fr":
            return f"[Transcription messagerie vocale] Oui bonjour c'est {t.person.first} {t.person.last}, euh {long_text[0].lower() + long_text[1:]} Rappelez-moi au {ph}, merci."
        return f"[Voicemail transcript] Hi, it's {t.person.first} {t.person.last}, um, {long_text[0].lower() + long_text[1:]} Call me back on {ph}, thanks."
    if ch == "api":
        return f"[Formulaire partenaire] {long_text}" if lang == "fr" else f"[Partner form] {long_text}"
    if ch == "chat":
        return noisy(rng.choice([long_text, short_text, ("Bonjour, " if lang == "fr" else "Hi, ") + short_text]), lang)
    return noisy(rng.choice([short_text, short_text, long_text]), lang)


def render(t, numbers):
    lang = t.lang
    if t.channel == "app_store_review":
        title, text = t.review_text
        return None, f"{title}\n{text}" if rng.random() < 0.7 else text
    if getattr(t, "oneoff", None):
        _, _, subj, text = t.oneoff
        text = text.replace("{show}", t.slots["show"])
        subj = subj or (text[:40].rstrip() + "…")
        if t.channel in ("email",):
            return subj, email_body(t, text)
        if t.channel == "web_form":
            return subj, web_form_body(t, text)
        return None, channel_text(t, text, text)
    subj = fill(rng.choice(t.prob["subj"]), t.slots)
    m = t.mode
    if m == "orig":  # a first message describes the problem: the first terse wording only
        long_text, sh = core(t), fill(t.prob["short"][0], t.slots)
    elif m in ("resend", "late"):
        ref = t.ref
        if lang == "fr":
            lead = rng.choice(["Je me permets de relancer ma demande, toujours sans réponse.", "Je relance car je n'ai eu aucun retour.",
                               "2e message !!", "Re-bonjour, je reviens vers vous au sujet de mon problème.",
                               "Toujours rien de votre côté ?"] if m == "resend" else
                              ["Je reviens vers vous car le problème n'est toujours pas réglé.", "Je vous recontacte, rien n'a bougé depuis mon dernier message.",
                               "Nouvelle relance, ça fait des jours."])
        else:
            lead = rng.choice(["Following up on my message, no reply yet.", "Second time asking.", "Sorry to chase, but",
                               "Hi again, still waiting on this."] if m == "resend" else
                              ["Coming back to you because this still isn't fixed.", "Chasing again, it's been days.",
                               "Still not resolved, writing again."])
        other = core(t, ref.body_idx)
        sh = lead + " " + short(t)
        long_text = lead + "\n\n" + other
        if t.channel == "email":
            subj = rng.choice(["Re: ", "RE: ", "TR: ", "Fwd: ", "RELANCE - ", ""]) + (ref.subject or subj)
            body = email_body(t, long_text)
            if rng.random() < 0.75 and ref.channel == "email":
                body += "\n\n" + quote(ref, lang)
            return subj, body
    elif m == "cross":
        ref = t.ref
        w = when(t.at - ref.at, lang)
        lead = rng.choice([f"Je vous ai écrit {CHAN['fr'][ref.channel]} {w} à ce sujet.", f"j'ai déjà contacté {CHAN['fr'][ref.channel]} {w}",
                           f"Suite à mon message {CHAN['fr'][ref.channel]} {w} :", "Je relance ici car pas de réponse."]) if lang == "fr" else \
            rng.choice([f"I contacted you {CHAN['en'][ref.channel]} {w} about this.", f"Already reached out {CHAN['en'][ref.channel]} {w}.",
                        "Trying here since nobody answered."])
        long_text = lead + "\n\n" + core(t, ref.body_idx)
        sh = lead + " " + short(t)
    elif m == "tn":
        n = numbers[id(t.cite[1])]
        form = rng.choice(CITE_FR if lang == "fr" else CITE_EN).format(n=n)
        same = t.pkey == t.cite[1].pkey
        if lang == "fr":
            lead = rng.choice([f"Je reviens vers vous concernant ma {form}." if form.startswith("demande") else f"Je reviens vers vous concernant le {form}." if not form.startswith("votre") else f"Je reviens vers vous, {form}.",
                               f"Toujours rien pour le {form} ?" if not form.startswith(("demande", "votre")) else f"Toujours rien, {form} ?",
                               f"Suite à votre mail ({form}), je complète :"])
        else:
            lead = rng.choice([f"Chasing {form}.", f"Re {form} - any news?", f"Following up on {form}, I've heard nothing since."])
        long_text = lead + "\n\n" + (core(t) if not same or rng.random() < 0.5 else short(t))
        sh = lead + " " + short(t)
        if t.channel == "email":
            mode = rng.random()
            if mode < 0.35:
                subj = f"Re: [#{n}] {fill(rng.choice(t.cite[1].prob['subj']), t.cite[1].slots)}"
            elif mode < 0.6:
                subj = f"[Ticket#{n}] {subj}"
            return subj, email_body(t, long_text)
    elif m == "other_cite":
        n = numbers[id(t.cite[1])]
        form = rng.choice(CITE_FR if lang == "fr" else CITE_EN).format(n=n)
        who = rng.choice(["ma mère", "mon mari", "ma femme", "mon fils", "une collègue"]) if lang == "fr" else rng.choice(["my wife", "my dad", "a colleague", "my partner"])
        lead = f"Je vous écris de la part de {who}, pour le suivi de son dossier chez vous ({form})." if lang == "fr" else \
            f"Writing on behalf of {who}, it's about {form} they opened with you."
        long_text = lead + "\n\n" + core(t)
        sh = lead + " " + short(t)
    elif m == "order_cite":
        n = numbers[id(t.cite[1])]
        line = rng.choice(["Pour info, il s'agit de la commande {n}.", "C'est au sujet de la facture {n} reçue ce mois-ci.",
                           "Je suis titulaire du contrat {n}.", "Ma commande {n} est concernée."]) if lang == "fr" else \
            rng.choice(["It's about order #{n}.", "This relates to invoice {n}.", "My contract {n} is the one affected."])
        long_text = core(t) + "\n\n" + line.format(n=n)
        sh = short(t) + " " + line.format(n=n)
    elif m == "unknown_cite":
        n = t.cite[1]
        form = rng.choice(CITE_FR if lang == "fr" else CITE_EN).format(n=n)
        line = f"(Je vous avais déjà écrit, {form}.)" if lang == "fr" else f"(I already wrote to you, {form}.)"
        long_text = core(t) + "\n\n" + line
        sh = short(t) + " " + line
    else:
        raise ValueError(f"unknown mode {m!r}")
    body = channel_text(t, long_text, sh)
    return (subj if t.channel in ("email", "web_form") else None), body


def stamp(t):
    if rng.random() < 0.35:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    lt = t.astimezone(paris(t))
    return lt.isoformat()


# ----------------------------------------------------------------------------- validation
def norm_identity(kind, value):
    if kind == "email":
        return ("email", value.lower())
    if kind in ("phone", "whatsapp"):
        s = re.sub(r"[\s.\-]", "", value).replace("(0)", "")
        if s.startswith("00"):
            s = "+" + s[2:]
        elif s.startswith("0"):
            s = "+33" + s[1:]
        elif not s.startswith("+"):
            s = "+" + s
        if not re.fullmatch(r"\+\d{10,13}", s):
            raise ValueError(f"phone {value!r} does not normalise")
        return ("tel", s)
    return (kind, value)


CITE_RE = re.compile(r"(?:ticket\s*#?|demande\s*n°\s*|dossier\s+|ref\.\s*|reference\s+|\[#|Ticket#)(\d{5})", re.I)


def validate(lines, plan):
    assert len({l["event"]["ticket"]["id"] for l in lines}) == len(lines), "ids not unique"
    ev_keys = {"id", "kind", "occurred_at", "ticket"}
    tk_keys = {"id", "channel", "requester", "subject", "status", "created_at", "updated_at", "messages"}
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    prev = None
    seen = []  # (ticket plan, keys, line)
    by_number = {}
    for l in lines:
        for f in l["event"]["ticket"].get("fields", []):
            by_number[f["value"]["text"]] = l["event"]["ticket"]["id"]
    idx = {l["event"]["ticket"]["id"]: i for i, l in enumerate(lines)}
    expect = {}
    for i, (l, t) in enumerate(zip(lines, plan)):
        ev, tk = l["event"], l["event"]["ticket"]
        assert set(ev) == ev_keys and ev["kind"] == {"type": "ticket_created"} and ev["id"] == "ev-" + tk["id"]
        assert set(tk) - {"fields"} == tk_keys, set(tk)
        assert set(l["label"]) == {"category", "duplicate_of", "why"} and set(l) == {"event", "label"}
        assert tk["id"] == f"q-{i + 1:04d}"
        at = dt.datetime.fromisoformat(ev["occurred_at"].replace("Z", "+00:00"))
        assert at == t.at and tk["created_at"] == tk["updated_at"] == ev["occurred_at"]
        assert prev is None or at > prev, "not chronological"
        prev = at
        keys = [norm_identity(x["kind"], x["value"]) for x in tk["requester"]["identities"]]
        for k in keys[1:]:
            parent[find(k)] = find(keys[0])
        comps = {find(k) for k in keys}

        def same_person(s_keys):
            return any(find(k) in comps for k in s_keys)

        def root_of(j):
            d = expect[j]
            return d if d is not None else j

        exp = None
        text = (tk["subject"] or "") + "\n" + tk["messages"][0]["body"]
        found = set(CITE_RE.findall(fold(text)))
        allnum = set(re.findall(r"(?<![\d+])\d{5}(?!\d)", text))
        if t.cite:
            kind, target = t.cite
            n = str(target) if kind == "unknown" else lines[idx[target.id]]["event"]["ticket"]["fields"][0]["value"]["text"]
            assert allnum == {n}, (tk["id"], allnum, n)
            if kind == "unknown":
                assert n not in by_number and found == {n}
            elif kind == "order":
                assert n in by_number and not found, (tk["id"], found)
            else:
                assert found == {n} and n in by_number, (tk["id"], found, n, text)
                j = idx[by_number[n]]
                if kind == "ticket":
                    assert expect[j] is None, "cited ticket already merged"
                    assert same_person(seen[j][1]), f"{tk['id']} cites {n} but is not the same person"
                    exp = j
                else:
                    assert not same_person(seen[j][1]), f"{tk['id']} cites another person's {n} but is linked"
        else:
            assert not allnum, (tk["id"], allnum)
        if exp is None and t.channel == "app_store_review":
            c = [j for j, (s, _, _) in enumerate(seen) if s.channel == "app_store_review" and s.rkey == t.rkey and at - s.at < WINDOW]
            if c:
                roots = {root_of(j) for j in c}
                assert len(roots) == 1 and at - plan[roots.pop()].at < WINDOW, f"ambiguous review group at {tk['id']}"
                exp = root_of(c[0])
        elif exp is None:
            c = [j for j, (s, sk, _) in enumerate(seen) if s.channel != "app_store_review" and s.pkey == t.pkey
                 and at - s.at < WINDOW and same_person(sk)]
            if c:
                roots = {root_of(j) for j in c}
                r = roots.pop()
                assert not roots and at - plan[r].at < WINDOW, f"ambiguous group at {tk['id']}"
                exp = r
        expect[i] = exp
        got = l["label"]["duplicate_of"]
        want = lines[exp]["event"]["ticket"]["id"] if exp is not None else None
        assert got == want, f"{tk['id']}: labelled {got}, rules give {want} ({t.why})"
        if got:
            assert idx[got] < i and lines[idx[got]]["label"]["duplicate_of"] is None
        seen.append((t, keys, l))
    # review texts: duplicates nearly the same, other reviewers' texts clearly different
    revs = [(t, l) for t, l in zip(plan, lines) if t.channel == "app_store_review"]

    def simple(l):
        return fold(l["event"]["ticket"]["messages"][0]["body"]).lower()
    for a in range(len(revs)):
        for b in range(a + 1, len(revs)):
            ta, tb = revs[a][0], revs[b][0]
            if abs(tb.at - ta.at) >= WINDOW:
                continue
            r = difflib.SequenceMatcher(None, simple(revs[a][1]), simple(revs[b][1])).ratio()
            if ta.rkey == tb.rkey:
                assert r >= 0.75, (ta.rkey, r)
            else:
                assert r < 0.6, (ta.rkey, tb.rkey, r)


# ----------------------------------------------------------------------------------- main
def main():
    cc = [fam_cross_positive(i) for i in range(34)]
    fam_cross_negatives(cc)
    sc = [fam_same_positive(i) for i in range(30)]
    fam_same_negatives(sc)
    tn = [fam_ticket_positive(i) for i in range(36)]
    fam_ticket_negatives(tn)
    fam_reviews()
    fam_background(140)

    # distinct instants, chronological order
    TICKETS.sort(key=lambda t: t.at)
    for a, b in zip(TICKETS, TICKETS[1:]):
        if b.at <= a.at:
            b.at = a.at + dt.timedelta(seconds=rng.randint(7, 90))
    TICKETS.sort(key=lambda t: t.at)
    assert TICKETS[0].at >= START and TICKETS[-1].at <= END + dt.timedelta(hours=1), (TICKETS[0].at, TICKETS[-1].at)
    for i, t in enumerate(TICKETS):
        t.id = f"q-{i + 1:04d}"
    # customer-visible numbers: every cited ticket, then others up to about a third
    numbers, pool = {}, rng.sample(range(10000, 100000), 2000)
    for t in TICKETS:
        if t.channel != "app_store_review" and (t.needs_number or rng.random() < 0.31):
            numbers[id(t)] = str(pool.pop())
            if not t.needs_number and rng.random() < 0.12:
                t.numfield = "zammad_number"
    for t in TICKETS:
        if t.cite and t.cite[0] == "unknown":
            while True:
                n = rng.randint(10000, 99999)
                if str(n) not in numbers.values():
                    t.cite = ("unknown", n)
                    break
        if t.cite and t.cite[0] in ("order", "other") and id(t.cite[1]) not in numbers:
            numbers[id(t.cite[1])] = str(pool.pop())
    lines = []
    for t in TICKETS:
        subj, body = render(t, numbers)
        t.subject, t.body = subj, body
        if t.body_idx is None:
            t.body_idx = -1
        ts = stamp(t.at)
        if t.channel == "app_store_review":
            req = {"identities": []}
            if t.reviewer:
                req = {"name": t.reviewer, "identities": []}
            req["language"] = t.lang
        else:
            ids, seen = [], set()
            for k, v in t.ids:
                nk = norm_identity(k, v)
                if nk not in seen:
                    seen.add(nk)
                    ids.append({"kind": k, "value": v})
            req = {"name": t.person.name if rng.random() < 0.85 or t.channel == "email" else None,
                   "identities": ids, "language": t.lang}
            if req["name"] is None:
                del req["name"]
        tk = {"id": t.id, "channel": t.channel, "requester": req, "subject": subj, "status": "new",
              "created_at": ts, "updated_at": ts}
        if id(t) in numbers:
            tk["fields"] = [{"name": t.numfield, "value": {"text": numbers[id(t)]}}]
        tk["messages"] = [{"id": "m-" + t.id, "author_role": "requester", "channel": t.channel, "body": body, "created_at": ts}]
        lines.append({"event": {"id": "ev-" + t.id, "kind": {"type": "ticket_created"}, "occurred_at": ts, "ticket": tk},
                      "label": {"category": t.cat, "duplicate_of": t.dup_of.id if t.dup_of else None, "why": t.why}})
    validate(lines, TICKETS)
    with open(OUT, "w", encoding="utf-8") as f:
        for l in lines:
            f.write(json.dumps(l, ensure_ascii=False) + "\n")
    # counts
    from collections import Counter
    pos = Counter(l["label"]["category"] for l in lines if l["label"]["duplicate_of"])
    neg = Counter(l["label"]["category"] for t, l in zip(TICKETS, lines) if t.role == "neg")
    allc = Counter(l["label"]["category"] for l in lines)
    print(f"{len(lines)} tickets -> {OUT}")
    for c in ["cross_channel", "same_channel", "ticket_number", "store_review", "unrelated"]:
        print(f"  {c:14} total {allc[c]:4}  duplicates {pos[c]:3}  hard negatives {neg[c]:3}")
    print("  languages", dict(Counter(l["event"]["ticket"]["requester"]["language"] for l in lines)))
    print("  channels", dict(Counter(l["event"]["ticket"]["channel"] for l in lines)))
    print("  with number", sum(1 for l in lines if l["event"]["ticket"].get("fields")),
          "of which zammad_number", sum(1 for l in lines if l["event"]["ticket"].get("fields", [{}])[0].get("name") == "zammad_number"))
    print("  offsets", dict(Counter(l["event"]["occurred_at"][-6:] if not l["event"]["occurred_at"].endswith("Z") else "Z" for l in lines)))
    print("  negatives by kind", dict(Counter(t.why for t in TICKETS if t.role == "neg")))


if __name__ == "__main__":
    main()
