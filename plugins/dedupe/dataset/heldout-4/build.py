#!/usr/bin/env python3
"""Builds heldout-4.jsonl, a held-out set for the guichet `dedupe` plugin.

Standard library only and deterministic (fixed seed): running it again writes the same
file. Wording lives in wording.py beside this script. Every ticket is built from hidden
facts (the person behind it, the problem it is about, the review it re-posts, the number
it cites); before writing, the script rebuilds every label from those facts with the
labelling rules alone and refuses to write a file whose labels disagree.

Usage: python3 build.py
"""

import json
import os
import random
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wording as W  # noqa: E402

SEED = 20261016_4
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "heldout-4.jsonl")

UTC = timezone.utc
SPAN_START = datetime(2026, 10, 16, 5, 0, tzinfo=UTC)
SPAN_END = datetime(2026, 11, 6, 21, 0, tzinfo=UTC)
DST_END = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)  # Paris and London fall back
WINDOW = timedelta(hours=72)
H = timedelta(hours=1)

rng = random.Random(SEED)


# ------------------------------------------------------------------ small helpers
def fold(s):
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


def paris(t):
    return t.astimezone(timezone(timedelta(hours=2 if t < DST_END else 1)))


def london(t):
    return t.astimezone(timezone(timedelta(hours=1 if t < DST_END else 0)))


def rfc3339(t):
    """An instant with a mixed offset: Z or the Paris offset of the moment."""
    if rng.random() < 0.4:
        return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return paris(t).isoformat()


def pick(seq):
    return seq[rng.randrange(len(seq))]


def mangle(text, strength):
    """Chat/SMS noise: dropped accents, lower case, a swapped pair of letters."""
    if rng.random() < strength:
        text = fold(text)
    if rng.random() < strength * 0.6:
        text = text.lower()
    if rng.random() < strength * 0.5:
        words = text.split(" ")
        cand = [i for i, w in enumerate(words) if len(w) > 5 and w.isalpha()]
        if cand:
            i = pick(cand)
            w = words[i]
            j = rng.randrange(1, len(w) - 2)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
            text = " ".join(words)
    if rng.random() < strength * 0.4:
        text = text.rstrip(".!?")
    return text


# ------------------------------------------------------------------ people and identities
USED = set()
HUMANS = {}
NUMBER_POOL = rng.sample(range(10000, 100000), 1400)
_num_i = 0


def fresh_number():
    global _num_i
    n = NUMBER_POOL[_num_i]
    _num_i += 1
    return str(n)


def unique(make):
    for _ in range(1000):
        v = make()
        if v not in USED:
            USED.add(v)
            return v
    raise RuntimeError("could not make a unique value")


class Human:
    counter = 0

    def __init__(self, lang):
        Human.counter += 1
        HUMANS["h%04d" % Human.counter] = self
        self.hid = "h%04d" % Human.counter
        self.lang = lang
        if lang == "fr":
            first, last = pick(W.FR_FIRST), pick(W.FR_LAST)
        else:
            first, last = pick(W.EN_FIRST), pick(W.EN_LAST)
        self.first, self.last = first, last
        self.name = f"{first} {last}"
        f, l = fold(first).lower().replace(" ", ""), fold(last).lower().replace(" ", "").replace("'", "")
        self.email = unique(lambda: pick([
            f"{f}.{l}", f"{f[0]}{l}", f"{f}{l}{rng.randrange(10, 99)}", f"{f}_{l}", f"{l}.{f}",
            f"{f}.{l}{rng.randrange(1960, 2005)}"]) + "@" + pick(W.DOMAINS))
        if lang == "fr":
            self.phone = unique(lambda: pick([
                "+3363998%04d" % rng.randrange(10000),
                "+337%d%07d" % (rng.choice([5, 6, 8]), rng.randrange(10 ** 7))]))
        else:
            self.phone = unique(lambda: "+447700900%03d" % rng.randrange(1000))
        self.app_user = unique(lambda: "u-%d" % rng.randrange(100000, 999999))
        self.psid = unique(lambda: "%d" % rng.randrange(10 ** 15, 10 ** 16))
        self.crm = unique(lambda: "crm-%s" % "".join(pick("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(8)))

    # identity spellings
    def email_id(self, variant=None):
        e = self.email
        local, dom = e.split("@")
        forms = [e, local.capitalize() + "@" + dom,
                 ".".join(p.capitalize() for p in local.split(".")) + "@" + dom,
                 e.upper(), local + "@" + dom.capitalize()]
        v = forms[variant] if variant is not None else pick(forms)
        return {"kind": "email", "value": v}

    def tag_email_id(self, tag):
        local, dom = self.email.split("@")
        return {"kind": "email", "value": f"{local}+{tag}@{dom}"}

    def phone_text(self, style=None):
        p = self.phone
        if p.startswith("+33"):
            nat = "0" + p[3:]
            pairs = " ".join(nat[i:i + 2] for i in range(0, 10, 2))
            rest = p[3:]
            rest_sp = rest[0] + " " + " ".join(rest[i:i + 2] for i in range(1, 9, 2))
            forms = [pairs, nat, pairs.replace(" ", "."), "+33 (0)" + rest_sp, "0033 " + rest_sp,
                     p, "+33 " + rest_sp]
        else:
            rest = p[3:]
            forms = ["+44 " + rest[:4] + " " + rest[4:], p, "0044 " + rest[:4] + " " + rest[4:],
                     "+44 (0)" + rest[:4] + " " + rest[4:]]
        return forms[style % len(forms)] if style is not None else pick(forms)

    def phone_id(self, style=None):
        return {"kind": "phone", "value": self.phone_text(style)}

    def wa_id(self):
        return {"kind": "whatsapp", "value": self.phone[1:]}

    def app_id(self):
        return {"kind": "app_user", "value": self.app_user}

    def msg_id(self):
        return {"kind": "messenger", "value": self.psid}

    def crm_id(self):
        return {"kind": "external", "value": self.crm}


def slots(lang):
    up = "ABCDEFGHJKLMNPQRSTUVWXZ"
    ref = (pick(["CMD-", "R", "BK-", "", "DOS-"]) if lang == "fr" else pick(["ORD-", "BK", "", "R-"])) + \
        "".join(pick(up) if k % 2 == 0 else str(rng.randrange(10)) for k in range(6))
    if lang == "fr":
        amt = pick(["%d,%02d €" % (rng.randrange(8, 400), rng.choice([0, 90, 50, 99, 20, 45])),
                    "%d €" % rng.randrange(12, 900)])
        plate = "%s%s-%03d-%s%s" % (pick(up), pick(up), rng.randrange(1000), pick(up), pick(up))
        return dict(amt=amt, day=pick(W.FR_DAYS), ref=ref, city=pick(W.FR_CITIES), kid=pick(W.KIDS),
                    plate=plate, last4="%04d" % rng.randrange(10000))
    amt = "£%d.%02d" % (rng.randrange(8, 400), rng.choice([0, 99, 50, 20, 45]))
    plate = "%s%s%02d %s%s%s" % (pick(up), pick(up), rng.randrange(10, 75), pick(up), pick(up), pick(up))
    return dict(amt=amt, day=pick(W.EN_DAYS), ref=ref, city=pick(W.EN_CITIES), kid=pick(W.KIDS),
                plate=plate, last4="%04d" % rng.randrange(10000))


# ------------------------------------------------------------------ tickets
TICKETS = []  # dicts with hidden facts, in build order
_key = 0


def ticket(h, channel, t, body, subject, ids, problem, family, role, dup=None, why="",
           cite=None, review=None, name=True, number=None):
    global _key
    _key += 1
    if h and name is True and channel in ("sms", "phone", "whatsapp") and rng.random() < 0.3:
        name = False  # the bridge knows only the number
    tk = dict(key=_key, human=h.hid if h else None, channel=channel, t=t, body=body,
              subject=subject if channel in ("email", "web_form") else None, ids=ids,
              name=(h.name if (h and name) else (name if isinstance(name, str) else None)),
              lang=h.lang if h else None, problem=problem, family=family, role=role,
              dup=dup, why=why, cite=cite, review=review, number=number, number_field="number")
    TICKETS.append(tk)
    return tk


def root(tk):
    return tk["key"] if tk["dup"] is None else tk["dup"]


def quote_header(lang, h, t, addr):
    if lang == "fr":
        lt = paris(t)
        return "Le %s %d %s 2026 à %02d:%02d, %s <%s> a écrit :" % (
            W.FR_DAYS_ABBR[lt.weekday()], lt.day, W.FR_MONTHS_ABBR[lt.month], lt.hour, lt.minute, h.name, addr)
    lt = london(t)
    hr = lt.hour % 12 or 12
    return "On %s, %s %d, 2026 at %d:%02d %s %s <%s> wrote:" % (
        W.EN_DAYS_ABBR[lt.weekday()], W.EN_MONTHS_ABBR[lt.month], lt.day, hr, lt.minute,
        "AM" if lt.hour < 12 else "PM", h.name, addr)


def signature(h, lang):
    close = pick(W.FR_CLOSE if lang == "fr" else W.EN_CLOSE)
    parts = [close, pick([h.name, h.first, h.name + "\n" + h.phone_text(), "-- \n" + h.name, h.first + " " + h.last[0] + "."])]
    if rng.random() < 0.25:
        parts.append("\n" + pick(W.FR_SENT if lang == "fr" else W.EN_SENT))
    return "\n".join(parts)


class Writer:
    """One customer's messages about one problem: keeps the details and the variants used."""

    def __init__(self, h, topic, ctx=None):
        self.h, self.topic, self.lang = h, topic, topic["lang"]
        self.ctx = ctx or slots(self.lang)
        self.used_long, self.used_short = [], []
        self.last = None  # (ticket, subject, body) of the previous message

    def f(self, s):
        return s.format(**self.ctx)

    def _next(self, pool, used):
        free = [i for i in range(len(pool)) if i not in used]
        i = pick(free) if free else pick(range(len(pool)))
        used.append(i)
        return self.f(pool[i])

    def subject(self):
        return self.f(pick(self.topic["subj"]))

    def long(self):
        return self._next(self.topic["long"], self.used_long)

    def short(self):
        return self._next(self.topic["short"], self.used_short)

    def write(self, channel, again=False, other_channel=False):
        """(subject, body) for a message on `channel`; `again` for a repeat of the problem."""
        lang, h = self.lang, self.h
        fr = lang == "fr"
        remind = (pick(W.FR_REMIND) if fr else pick(W.EN_REMIND)) if again and rng.random() < 0.6 else ""
        prefix = (pick(W.FR_OTHER_CHANNEL) if fr else pick(W.EN_OTHER_CHANNEL)) if other_channel and rng.random() < 0.5 else ""
        if channel in ("email", "web_form"):
            greet = pick(W.FR_GREET if fr else W.EN_GREET)
            if again and self.last and self.last[0]["channel"] == "email" and channel == "email" and rng.random() < 0.55:
                prev_t, prev_subj, prev_body = self.last
                subj = pick(W.FR_REMIND_SUBJ if fr else W.EN_REMIND_SUBJ).format(s=prev_subj or self.subject())
                head = (remind or (pick(W.FR_REMIND) if fr else pick(W.EN_REMIND))) + self.short()
                quoted = "\n".join("> " + ln if ln else ">" for ln in prev_body.split("\n"))
                addr = prev_t["ids"][0]["value"] if prev_t["ids"] else h.email
                body = "%s\n\n%s\n\n%s" % (head, quote_header(lang, h, prev_t["t"], addr), quoted)
                if rng.random() < 0.5:
                    body = "%s\n\n%s\n\n%s" % (head, signature(h, lang), quote_header(lang, h, prev_t["t"], addr) + "\n" + quoted)
                return subj, body
            text = self.long() if (not again or rng.random() < 0.6) else self.short()
            if remind[:3] in ("Bon", "Reb", "Hi ") or prefix:
                greet = ""
            body = "\n\n".join(x for x in [greet, prefix + remind + text, signature(h, lang)] if x)
            subj = self.subject()
            if channel == "web_form" and rng.random() < 0.3:
                subj = pick(["Réclamation", "Autre demande", "Contact"] if fr else ["Complaint", "Other", "Contact us"])
            return subj, body
        if channel == "phone":
            if fr:
                body = pick(["Message vocal : ", "Messagerie (transcription auto) : ", "Appel manqué, message laissé : "]) + \
                    pick(["oui bonjour c'est %s, " % h.name, "bonjour madame c'est %s " % h.first, "allo oui euh "]) + \
                    fold(self.short()).lower() + pick([" rappelez-moi merci", " merci de me rappeler", ", voilà au revoir", ""])
            else:
                body = pick(["Voicemail: ", "Voicemail (auto transcript): "]) + \
                    pick(["hi it's %s, " % h.name, "hello, this is %s, " % h.first, "hi um "]) + \
                    self.short().lower() + pick([" please call me back", " thanks bye", ""])
            return None, body
        if channel == "api":
            return None, self.long()
        text = self.short() if rng.random() < 0.8 else self.long()
        strength = {"chat": 0.35, "messenger": 0.45, "whatsapp": 0.6, "sms": 0.75, "api": 0.0}[channel]
        hello = pick(["", "", "Bonjour ", "bjr ", "Bonsoir, "] if fr else ["", "", "Hi ", "hello, "])
        body = mangle(prefix + remind + hello + text, strength)
        if channel == "whatsapp" and rng.random() < 0.3:
            body += pick(["\n??", " 🙏", "\nmerci" if fr else "\nthanks", " !!"])
        return None, body

    def ticket(self, channel, t, ids, family, role, dup=None, why="", again=False, other_channel=False, **kw):
        subj, body = self.write(channel, again=again, other_channel=other_channel)
        tk = ticket(self.h, channel, t, body, subj, ids, self.problem, family, role, dup=dup, why=why, **kw)
        self.last = (tk, subj, body)
        return tk


def topic_of(lang, not_keys=()):
    return pick([t for t in W.TOPICS if t["lang"] == lang and t["key"] not in not_keys])


def writer(h, topic=None, ctx=None):
    w = Writer(h, topic or topic_of(h.lang), ctx)
    w.problem = "%s:%s" % (h.hid, w.topic["key"])
    return w


def lang():
    return "fr" if rng.random() < 0.65 else "en"


def when(span_hours):
    lo = SPAN_START + timedelta(hours=2)
    hi = SPAN_END - timedelta(hours=span_hours + 2)
    while True:
        t = lo + timedelta(seconds=rng.randrange(int((hi - lo).total_seconds())))
        if paris(t).hour >= 7 or rng.random() < 0.08:  # most customers write during the day
            return t.replace(microsecond=0)


def after(t, lo_h, hi_h):
    return t + timedelta(seconds=rng.randrange(int(lo_h * 3600), int(hi_h * 3600)))


def email_ids(h):
    return [h.email_id()]


# ------------------------------------------------------------------ cross_channel
def cross_channel():
    fam = "cross_channel"
    # positives: (pattern) -> list of (channel, identity maker) for the original and its repeats
    patterns = [
        ("email→chat", [("email", lambda h: [h.email_id(0)]), ("chat", lambda h: [h.app_id(), h.email_id()]),
                        ("chat", lambda h: [h.app_id()])], "the chat session carries the same e-mail address"),
        ("form→whatsapp", [("web_form", lambda h: [h.email_id(), h.phone_id()]), ("whatsapp", lambda h: [h.wa_id()]),
                           ("phone", lambda h: [h.phone_id()])], "the web form gave the phone number the WhatsApp account uses"),
        ("whatsapp→phone", [("whatsapp", lambda h: [h.wa_id()]), ("phone", lambda h: [h.phone_id()]),
                            ("sms", lambda h: [h.phone_id()])], "the same mobile number written another way"),
        ("sms→whatsapp", [("sms", lambda h: [h.phone_id(3)]), ("whatsapp", lambda h: [h.wa_id()]),
                          ("email", lambda h: [h.email_id(), h.phone_id(4)])], "the same mobile number, +33 (0) form vs WhatsApp digits"),
        ("chat→email", [("chat", lambda h: [h.app_id(), h.email_id(0)]), ("email", lambda h: [h.email_id(3)]),
                        ("web_form", lambda h: [h.email_id(1)])], "the e-mail address of the chat session, in another case"),
        ("phone→sms", [("phone", lambda h: [h.phone_id(0)]), ("sms", lambda h: [h.phone_id(4)]),
                       ("whatsapp", lambda h: [h.wa_id()])], "the same mobile number, national vs 0033 form"),
    ]
    groups = 0
    for gi in range(33):
        h = Human(lang())
        w = writer(h)
        kind = gi % 8
        t0 = when(80)
        if kind in (6, 7):
            # the link is learnt from an earlier ticket about something else
            link_w = writer(h, topic_of(h.lang, (w.topic["key"],)))
            lt = t0 - timedelta(hours=rng.randrange(30, 200))
            if lt < SPAN_START:
                lt = SPAN_START + timedelta(seconds=rng.randrange(3600, 36000))
                t0 = lt + timedelta(hours=rng.randrange(20, 60))
            if kind == 6:
                link = link_w.ticket("chat", lt, [h.app_id(), h.email_id(), h.phone_id()], fam, "link",
                                     why="Same person's earlier chat about another problem; it links app account, e-mail and phone.")
                chans = [("email", [h.email_id()]), ("whatsapp", [h.wa_id()]), ("chat", [h.app_id()])]
                via = "the WhatsApp number and the e-mail were linked by the person's earlier chat ticket"
            else:
                link = link_w.ticket("api", lt, [h.crm_id(), h.email_id(), h.msg_id()], fam, "link",
                                     why="CRM ticket of the same person about another problem; it links e-mail and Messenger.")
                chans = [("messenger", [h.msg_id()]), ("email", [h.email_id()]), ("web_form", [h.email_id()])]
                via = "Messenger and e-mail were linked by the person's earlier CRM ticket"
        else:
            name, mk, via = patterns[kind]
            chans = [(c, f(h)) for c, f in mk]
        ndup = 1 if rng.random() < 0.55 else 2
        o = w.ticket(chans[0][0], t0, chans[0][1], fam, "original",
                     why="First message of this person about this problem.")
        t = t0
        for k in range(ndup):
            c, ids = chans[k + 1]
            t = after(t, 0.3, 30) if k == 0 else after(t, 0.5, max(1.0, 70 - (t - t0).total_seconds() / 3600))
            w.ticket(c, t, ids, fam, "duplicate", dup=o["key"], again=True, other_channel=True,
                     why="Same person (%s) about the same problem on %s, %dh after the first ticket." % (
                         via if k == 0 or kind in (6, 7) else "identities linked by the earlier tickets of the group",
                         c.replace("_", " "), (t - t0).total_seconds() // 3600))
        groups += 1

    # same person, other problem, other channel, within 72h
    for _ in range(9):
        h = Human(lang())
        w1 = writer(h)
        w2 = writer(h, topic_of(h.lang, (w1.topic["key"],)))
        t0 = when(80)
        a = pick([("email", [h.email_id()], "chat", [h.app_id(), h.email_id()]),
                  ("whatsapp", [h.wa_id()], "phone", [h.phone_id()]),
                  ("web_form", [h.email_id(), h.phone_id()], "sms", [h.phone_id()])])
        w1.ticket(a[0], t0, a[1], fam, "original", why="First message of this person about this problem.")
        w2.ticket(a[2], after(t0, 1, 60), a[3], fam, "neg_same_person_other_problem_other_channel",
                  why="Same person on another channel within 72 h, but about a different problem.")
    # same problem, identities never seen together
    for _ in range(7):
        h = Human(lang())
        w = writer(h)
        t0 = when(60)
        a = pick([("email", [h.email_id()], "whatsapp", [h.wa_id()]),
                  ("chat", [h.app_id()], "email", [h.email_id()]),
                  ("messenger", [h.msg_id()], "sms", [h.phone_id()]),
                  ("email", [h.email_id()], "phone", [h.phone_id()])])
        w.ticket(a[0], t0, a[1], fam, "original", why="First message of this person about this problem.")
        w.ticket(a[2], after(t0, 1, 48), a[3], fam, "neg_unlinked_identities", again=True, other_channel=True,
                 why="Same problem, but the two identities were never seen together on a ticket.")
    # beyond the window, other channel
    for _ in range(6):
        h = Human(lang())
        w = writer(h)
        t0 = when(170)
        a = pick([("email", [h.email_id()], "chat", [h.app_id(), h.email_id()]),
                  ("whatsapp", [h.wa_id()], "sms", [h.phone_id()]),
                  ("web_form", [h.email_id(), h.phone_id()], "whatsapp", [h.wa_id()])])
        w.ticket(a[0], t0, a[1], fam, "original", why="First message of this person about this problem.")
        t1 = after(t0, 76, 160)
        w.ticket(a[2], t1, a[3], fam, "neg_beyond_window", again=True, other_channel=True,
                 why="Same person and problem on another channel, but %dh later, beyond the 72 h window." % ((t1 - t0).total_seconds() // 3600))
    # +tag address
    for _ in range(5):
        h = Human(lang())
        w = writer(h)
        t0 = when(60)
        tag = pick(["shop", "banque", "promo", "perso", "orders", "travel"])
        w.ticket("email", t0, [h.email_id()], fam, "original", why="First message of this person about this problem.")
        w.ticket(pick(["chat", "web_form"]), after(t0, 1, 40), [h.app_id(), h.tag_email_id(tag)] if rng.random() < 0.5 else [h.tag_email_id(tag)],
                 fam, "neg_plus_tag", again=True, other_channel=True,
                 why="Same problem, but from the +%s address, another identity never linked to the first." % tag)
    # same problem, other people, other channel
    for _ in range(7):
        h1, h2 = Human(lang()), None
        h2 = Human(h1.lang)
        w1 = writer(h1)
        w2 = writer(h2, w1.topic)
        t0 = when(40)
        w1.ticket(pick(["email", "web_form"]), t0, [h1.email_id()], fam, "original",
                  why="First message of this person about this problem.")
        c = pick(["chat", "whatsapp", "sms", "messenger"])
        ids = {"chat": [h2.app_id()], "whatsapp": [h2.wa_id()], "sms": [h2.phone_id()], "messenger": [h2.msg_id()]}[c]
        w2.ticket(c, after(t0, 0.5, 30), ids, fam, "neg_other_person_same_problem",
                  why="Same kind of problem, but another person with unrelated identities.")


# ------------------------------------------------------------------ same_channel
def same_channel():
    fam = "same_channel"
    specs = [
        ("email", lambda h, k: [h.email_id(0 if k == 0 else rng.randrange(5))], "same e-mail address (case aside)"),
        ("chat", lambda h, k: [h.app_id()], "same app account"),
        ("whatsapp", lambda h, k: [h.wa_id()], "same WhatsApp number"),
        ("sms", lambda h, k: [h.phone_id(k * 3)], "same mobile number written differently"),
        ("phone", lambda h, k: [h.phone_id(k * 2 + 1)], "same caller number written differently"),
        ("web_form", lambda h, k: [h.email_id(k % 5)], "same e-mail address"),
        ("messenger", lambda h, k: [h.msg_id()], "same Messenger account"),
        ("email", lambda h, k: [h.email_id(k * 2 % 5)], "same e-mail address"),
    ]
    for gi in range(32):
        h = Human(lang())
        w = writer(h)
        c, mk, via = specs[gi % len(specs)]
        t0 = when(75)
        ndup = 1 if rng.random() < 0.5 else (2 if rng.random() < 0.8 else 3)
        o = w.ticket(c, t0, mk(h, 0), fam, "original", why="First message of this person about this problem.")
        t = t0
        for k in range(ndup):
            t = after(t, 0.2, 24) if k == 0 else after(t, 0.3, max(0.6, 70 - (t - t0).total_seconds() / 3600))
            w.ticket(c, t, mk(h, k + 1), fam, "duplicate", dup=o["key"], again=True,
                     why="Same person (%s) about the same problem again on %s, within 72 h." % (via, c.replace("_", " ")))
    # same person, other problem, same channel, within 72h
    for i in range(9):
        h = Human(lang())
        w1 = writer(h)
        w2 = writer(h, topic_of(h.lang, (w1.topic["key"],)))
        c, mk, _ = specs[i % len(specs)]
        t0 = when(75)
        w1.ticket(c, t0, mk(h, 0), fam, "original", why="First message of this person about this problem.")
        w2.ticket(c, after(t0, 0.5, 60), mk(h, 1), fam, "neg_same_person_other_problem_same_channel",
                  why="Same person on the same channel within 72 h, but about a different problem.")
    # beyond the window, same channel
    for i in range(7):
        h = Human(lang())
        w = writer(h)
        c, mk, _ = specs[(i * 3) % len(specs)]
        t0 = when(170)
        w.ticket(c, t0, mk(h, 0), fam, "original", why="First message of this person about this problem.")
        t1 = after(t0, 75, 160)
        w.ticket(c, t1, mk(h, 1), fam, "neg_beyond_window", again=True,
                 why="Same person and problem on the same channel, but %dh later, beyond the 72 h window." % ((t1 - t0).total_seconds() // 3600))
    # same problem, other people, same channel
    for i in range(7):
        h1 = Human(lang())
        h2 = Human(h1.lang)
        w1 = writer(h1)
        w2 = writer(h2, w1.topic)
        c, mk, _ = specs[(i * 5) % len(specs)]
        t0 = when(40)
        w1.ticket(c, t0, mk(h1, 0), fam, "original", why="First message of this person about this problem.")
        w2.ticket(c, after(t0, 0.2, 30), mk(h2, 0), fam, "neg_other_person_same_problem",
                  why="Same problem on the same channel, but another person.")
    # +tag e-mail, same channel
    for _ in range(5):
        h = Human(lang())
        w = writer(h)
        t0 = when(60)
        tag = pick(["factures", "pro", "newsletter", "amazon", "work", "home"])
        w.ticket("email", t0, [h.email_id()], fam, "original", why="First message of this person about this problem.")
        w.ticket("email", after(t0, 0.5, 40), [h.tag_email_id(tag)], fam, "neg_plus_tag", again=True,
                 why="Same problem by e-mail, but from the +%s address, which is another identity." % tag)


# ------------------------------------------------------------------ ticket_number
TN_ORIGINALS = []


def ref_text(lang, n):
    """A ticket reference with its article (French), e.g. "le dossier 48213"."""
    return pick(W.FR_REF_FORMS if lang == "fr" else W.EN_REF_FORMS).format(n=n)


def bare_ref(lang, n):
    return pick(W.FR_BARE_FORMS if lang == "fr" else W.EN_BARE_FORMS).format(n=n)


def cap(s):
    return s[0].upper() + s[1:]


def followup_body(h, lang, n, noisy=False):
    """A follow-up citing ticket `n`; chat-like noise never touches the reference itself."""
    r = ref_text(lang, n)
    tpl = pick(W.FR_FOLLOWUP if lang == "fr" else W.EN_FOLLOWUP)
    if noisy:
        tpl = mangle(tpl.replace("{r}", "\x00").replace("{R}", "\x01"), 0.3)
        return tpl.replace("\x00", r).replace("\x01", cap(r)), r
    return tpl.format(r=r, R=cap(r)), r


def ticket_number():
    fam = "ticket_number"
    for gi in range(32):
        h = Human(lang())
        w = writer(h)
        kind = gi % 6
        t0 = when(260)
        chan0, ids0 = pick([("email", [h.email_id()]), ("web_form", [h.email_id(), h.phone_id()]),
                            ("chat", [h.app_id(), h.email_id()]), ("phone", [h.phone_id()]),
                            ("whatsapp", [h.wa_id()])])
        o = w.ticket(chan0, t0, ids0, fam, "original", why="First message of this person about this problem.",
                     number=fresh_number())
        cited = o
        t = t0
        if kind == 5:
            # the group has a text duplicate first; the follow-up cites that merged ticket's number
            t = after(t0, 1, 40)
            d = w.ticket(chan0, t, ids0, fam, "duplicate", dup=o["key"], again=True, number=fresh_number(),
                         why="Same person about the same problem again on the same channel within 72 h.")
            cited = d
        if gi in (3, 11, 19):
            cited["number_field"] = "zammad_number"
        nf = 1 if rng.random() < 0.7 else 2
        for k in range(nf):
            if k == 0:
                t = after(t, 2, 40) if rng.random() < 0.25 else after(t, 76, 200)
            else:
                t = after(t, 3, max(4, 255 - (t - t0).total_seconds() / 3600))
            # channel of the follow-up: the same identities, or one linked through the original
            linked = [("email", [h.email_id()]) if any(i["kind"] == "email" for i in ids0) else None,
                      ("sms", [h.phone_id()]) if any(i["kind"] in ("phone", "whatsapp") for i in ids0) else None,
                      ("whatsapp", [h.wa_id()]) if any(i["kind"] in ("phone", "whatsapp") for i in ids0) else None,
                      (chan0, ids0)]
            c, ids = pick([x for x in linked if x])
            body, r = followup_body(h, h.lang, cited["number"], noisy=c not in ("email", "web_form"))
            subj = None
            if c in ("email", "web_form"):
                subj = pick(["Re: [#%s] %s" % (cited["number"], w.subject()), "[Ticket#%s] %s" % (cited["number"], w.subject()),
                             w.subject(), "Re: votre demande" if h.lang == "fr" else "Re: your request"])
                body = "\n\n".join(x for x in [pick(W.FR_GREET if h.lang == "fr" else W.EN_GREET), body, signature(h, h.lang)] if x)
            hours = (t - cited["t"]).total_seconds() // 3600
            tk = ticket(h, c, t, body, subj, ids, w.problem, fam, "duplicate", dup=root(cited),
                        why="Cites %s, the number of an open ticket of the same person (%dh earlier%s)." % (
                            r, hours, ", merged into the group's first ticket" if cited is not o else ""),
                        cite={"n": cited["number"], "form": "ref"})
            w.last = (tk, subj, body)
        TN_ORIGINALS.append((h, w, o))


def ticket_number_negatives():
    """Built once every other ticket has its number, so real numbers can be reused."""
    fam = "ticket_number"
    numbered = sorted([tk for tk in TICKETS if tk["number"]], key=lambda tk: tk["t"])
    # someone else cites a real ticket number
    for i in range(9):
        carrier = pick(numbered[: len(numbered) * 3 // 4])
        h = Human(carrier["lang"] or "fr")
        t = min(after(carrier["t"], 3, 120), SPAN_END - timedelta(minutes=rng.randrange(5, 300)))
        r = bare_ref(h.lang, carrier["number"])
        body = pick(W.FR_OTHER_CITER if h.lang == "fr" else W.EN_OTHER_CITER).format(b=r)
        c, ids = pick([("email", [h.email_id()]), ("chat", [h.app_id()]), ("whatsapp", [h.wa_id()])])
        subj = ("Suivi %s" % r if h.lang == "fr" else "Chasing %s" % r) if c == "email" else None
        ticket(h, c, t, body, subj, ids, "%s:citer" % h.hid, fam, "neg_other_person_cites_number",
               why="Cites %s, a real ticket number, but of another person." % r,
               cite={"n": carrier["number"], "form": "ref"})
    # the same human from an unlinked address cites their own ticket
    for i in range(2):
        h, w, o = TN_ORIGINALS[i * 7 + 2]
        t = after(o["t"], 80, 150)
        tag = pick(["pro", "travail"])
        r = ref_text(h.lang, o["number"])
        body, r = followup_body(h, h.lang, o["number"])
        ticket(h, "email", t, body, "Re: [#%s]" % o["number"], [h.tag_email_id(tag)], w.problem, fam,
               "neg_other_person_cites_number",
               why="Cites %s, but from a +%s address never linked to that ticket's requester." % (r, tag),
               cite={"n": o["number"], "form": "ref"})
    # order / invoice / contract numbers equal to a real ticket number
    for i in range(12):
        carrier = pick(numbered[: len(numbered) * 3 // 4])
        same = i % 2 == 0 and carrier["family"] != "store_review" and carrier["human"]
        if same:
            h = HUMANS[carrier["human"]]
            ids = carrier["ids"]
            c = carrier["channel"]
        else:
            h = Human(pick(["fr", "en"]))
            c, ids = pick([("email", [h.email_id()]), ("web_form", [h.email_id()]), ("chat", [h.app_id()])])
        t = min(after(carrier["t"], 2, 100), SPAN_END - timedelta(minutes=rng.randrange(5, 300)))
        o = pick(W.FR_ORDER_FORMS if h.lang == "fr" else W.EN_ORDER_FORMS).format(n=carrier["number"])
        body = pick(W.FR_ORDER_TEXT if h.lang == "fr" else W.EN_ORDER_TEXT).format(o=o)
        if c in ("email", "web_form"):
            body = "\n\n".join(x for x in [pick(W.FR_GREET if h.lang == "fr" else W.EN_GREET), body, signature(h, h.lang)] if x)
        subj = o[0].upper() + o[1:] if c in ("email", "web_form") else None
        ticket(h, c, t, body, subj, ids, "%s:order%d" % (h.hid, i), fam, "neg_order_number",
               why="'%s' is an order/invoice/contract number that equals a ticket number%s; not a ticket reference." % (
                   o, " of the same person" if same else ""),
               cite={"n": carrier["number"], "form": "order"})
    # numbers no ticket carries
    for i in range(9):
        h = Human(lang())
        n = fresh_number()
        t = when(5)
        r = ref_text(h.lang, n)
        b = bare_ref(h.lang, n)
        body = pick(W.FR_UNKNOWN_REF if h.lang == "fr" else W.EN_UNKNOWN_REF).format(r=r, b=b)
        c, ids = pick([("email", [h.email_id()]), ("web_form", [h.email_id(), h.phone_id()]), ("sms", [h.phone_id()])])
        if c != "sms":
            body = "\n\n".join(x for x in [pick(W.FR_GREET if h.lang == "fr" else W.EN_GREET), body, signature(h, h.lang)] if x)
        ticket(h, c, t, body, ("Re: [#%s]" % n) if c != "sms" else None, ids, "%s:unknown" % h.hid, fam,
               "neg_unknown_number", why="Cites ticket number %s, which no ticket carries." % n, cite={"n": n, "form": "ref"})


# ------------------------------------------------------------------ store_review
def review_edit(text, lang, kind):
    if kind == 0:
        return text
    if kind == 1:
        return text + pick(W.FR_REVIEW_ADD if lang == "fr" else W.EN_REVIEW_ADD)
    if kind == 2:
        return pick(W.FR_REVIEW_PRE if lang == "fr" else W.EN_REVIEW_PRE) + text
    if kind == 3:  # a word fixed or spoiled
        words = text.split(" ")
        cand = [i for i, x in enumerate(words) if len(x) > 6 and x.isalpha() and x[2] != x[3]] or \
            [i for i, x in enumerate(words) if len(x) > 4 and x[2] != x[3]]
        i = pick(cand)
        x = words[i]
        words[i] = x[:2] + x[3] + x[2] + x[4:]
        return " ".join(words)
    if kind == 4:
        return fold(text)
    raise ValueError(kind)


def store_review():
    fam = "store_review"
    order = list(range(len(W.REVIEWS)))
    rng.shuffle(order)
    by_topic = defaultdict(list)
    for i in order:
        by_topic[W.REVIEWS[i][1]].append(i)
    used = set()
    bases = []
    # group bases: one per topic first, then more
    for i in order:
        if len(bases) >= 36:
            break
        if i not in used and sum(1 for b in bases if W.REVIEWS[b][1] == W.REVIEWS[i][1]) < 2:
            bases.append(i)
            used.add(i)
    names = list(W.REVIEW_NAMES)
    groups = []
    for gi, bi in enumerate(bases):
        lg, topic, text = W.REVIEWS[bi]
        name = pick(names) if rng.random() < 0.75 else None
        t0 = when(200)
        first_text = review_edit(text, lg, 3) if gi % 7 == 3 else text
        key = "review:%d" % bi
        o = ticket(None, "app_store_review", t0, first_text, None, [], None, fam, "original", review=key,
                   name=name or False, why="First posting of this review.")
        o["lang"] = lg
        ndup = 1 if gi % 5 else 2
        t = t0
        for k in range(ndup):
            t = after(t, 0.1, 30)
            kind = [0, 1, 2, 3, 4, 1, 0][(gi + k) % 7] if gi % 7 != 3 else 0
            body = review_edit(text, lg, kind)
            d = ticket(None, "app_store_review", t, body, None, [], None, fam, "duplicate", dup=o["key"], review=key,
                       name=(name if rng.random() < 0.7 else pick(names)) or False,
                       why="The same review posted again %s within 72 h." % [
                           "word for word (other store)", "with a sentence added", "with the stars written in",
                           "with one word changed", "without accents", "with a sentence added", "word for word"][kind if gi % 7 != 3 else 3])
            d["lang"] = lg
        groups.append((o, t, key, text, lg))
        # a similar review by someone else, close in time
        others = [j for j in by_topic[topic] if j not in used]
        if others and len([x for x in TICKETS if x["role"] == "neg_similar_review"]) < 20:
            j = others[0]
            used.add(j)
            lj, _, tj = W.REVIEWS[j]
            n = ticket(None, "app_store_review", after(t0, 0.2, 60), tj, None, [], None, fam, "neg_similar_review",
                       review="review:%d" % j, name=pick(names),
                       why="Another reviewer's review of the same problem, in other words.")
            n["lang"] = lj
    # the same review posted again much later
    for o, last, key, text, lg in groups[:5]:
        t = after(last, 75, 140)
        if t > SPAN_END:
            continue
        n = ticket(None, "app_store_review", t, review_edit(text, lg, 1), None, [], None, fam, "neg_beyond_window",
                   review=key, name=o["name"] or False,
                   why="The same review re-posted %dh after the first, beyond the 72 h window." % ((t - o["t"]).total_seconds() // 3600))
        n["lang"] = lg
    return [i for i in order if i not in used]


# ------------------------------------------------------------------ background
def background(spare_reviews):
    fam = "unrelated"
    for i in range(118):
        h = Human(lang())
        t = when(1)
        c = pick(["email", "email", "chat", "whatsapp", "sms", "web_form", "phone", "messenger", "chat"])
        ids = {"email": [h.email_id()], "web_form": [h.email_id()] + ([h.phone_id()] if rng.random() < 0.4 else []),
               "chat": [h.app_id()] + ([h.email_id()] if rng.random() < 0.5 else []), "whatsapp": [h.wa_id()],
               "sms": [h.phone_id()], "phone": [h.phone_id()], "messenger": [h.msg_id()]}[c]
        if i % 3 == 0:
            w = writer(h)
            w.ticket(c, t, ids, fam, "background", why="A single message about a problem nobody else in this person's name raised.")
        else:
            subj, text = pick(W.FR_MISC if h.lang == "fr" else W.EN_MISC)
            ctx = slots(h.lang)
            text = text.format(**ctx)
            if c in ("email", "web_form"):
                body = "\n\n".join([pick(W.FR_GREET if h.lang == "fr" else W.EN_GREET), text, signature(h, h.lang)]).strip()
            elif c == "phone":
                body = (pick(["Message vocal : ", "Messagerie : "]) if h.lang == "fr" else "Voicemail: ") + text
            else:
                body = mangle(text, 0.4)
            ticket(h, c, t, body, subj, ids, "%s:misc" % h.hid, fam, "background", why="An unrelated one-off request.")
    for j in spare_reviews:
        lg, _, text = W.REVIEWS[j]
        n = ticket(None, "app_store_review", when(1), text, None, [], None, fam, "background", review="review:%d" % j,
                   name=pick(W.REVIEW_NAMES), why="A single review, posted once.")
        n["lang"] = lg




# ------------------------------------------------------------------ numbers on other tickets
def sprinkle_numbers():
    rest = [tk for tk in TICKETS if not tk["number"]]
    rng.shuffle(rest)
    target = len(TICKETS) // 3 - sum(1 for tk in TICKETS if tk["number"])
    for tk in rest[:max(0, target)]:
        tk["number"] = fresh_number()
    with_num = [tk for tk in rest[:max(0, target)]]
    for tk in with_num[:5]:
        tk["number_field"] = "zammad_number"


# ------------------------------------------------------------------ rules, rebuilt from hidden facts
def norm_identity(i):
    k, v = i["kind"], i["value"]
    if k == "email":
        return ("email", v.lower())
    if k in ("phone", "whatsapp"):
        s = re.sub(r"[\s.\-]", "", v).replace("(0)", "")
        if s.startswith("00"):
            s = "+" + s[2:]
        elif s.startswith("+"):
            pass
        elif s.startswith("0"):
            s = "+33" + s[1:]
        else:
            s = "+" + s
        if not re.fullmatch(r"\+(33[67]\d{8}|447\d{9})", s):
            raise ValueError("phone %r normalises to %r" % (v, s))
        return ("tel", s)
    return (k, v)


REF_RE = re.compile(r"(?:Re: \[#|ticket #?|demande n° ?|\[Ticket#|dossier |ref\. |votre référence )(\d{5})\b", re.I)
ORDER_RE = re.compile(r"(?:commande (?:n°)?|order #?|facture (?:n° )?|contrat (?:n°)?|invoice (?:no\. )?|contract |bon de commande )(\d{5})\b", re.I)


def rebuild_labels(ts):
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    carriers = {}
    seen = []
    labels = {}
    for tk in ts:
        keys = [norm_identity(i) for i in tk["ids"]]
        text = (tk["subject"] or "") + "\n" + tk["body"]
        refs = set(REF_RE.findall(text))
        orders = set(ORDER_RE.findall(text))
        cite = tk["cite"]
        # the text must cite exactly what the hidden facts say
        if cite and cite["form"] == "ref":
            assert refs == {cite["n"]} and not orders, (tk["key"], refs, orders, cite)
        elif cite:
            assert orders == {cite["n"]} and not refs, (tk["key"], refs, orders, cite)
        else:
            assert not refs and not orders, (tk["key"], refs, orders)
        for n5 in re.findall(r"(?<!\d)\d{5}(?!\d)", text):
            assert cite and n5 == cite["n"], ("stray 5-digit number", tk["key"], n5)

        def same_person(u):
            return any(find(a) == find(b) for a in keys for b in u["_keys"])

        target = None
        if cite and cite["form"] == "ref" and cite["n"] in carriers:
            u = carriers[cite["n"]]
            if same_person(u):
                target = labels[u["key"]] or u["key"]
        if target is None:
            roots_any, roots_root = set(), set()
            for u in seen:
                if tk["channel"] == "app_store_review":
                    ok = u["channel"] == "app_store_review" and u["review"] == tk["review"]
                else:
                    ok = u["channel"] != "app_store_review" and u["problem"] == tk["problem"] and same_person(u)
                if not ok:
                    continue
                r = labels[u["key"]] or u["key"]
                if tk["t"] - u["t"] <= WINDOW:
                    roots_any.add(r)
                if tk["t"] - BY_KEY[r]["t"] <= WINDOW:
                    roots_root.add(r)
            assert roots_any == roots_root, ("window is ambiguous", tk["key"], roots_any, roots_root)
            assert len(roots_any) <= 1, ("several groups match", tk["key"], roots_any)
            target = min(roots_any) if roots_any else None
        labels[tk["key"]] = target
        tk["_keys"] = keys
        for a in keys[1:]:
            parent[find(a)] = find(keys[0])
        for k in keys:
            find(k)
        if tk["number"]:
            assert tk["number"] not in carriers
            carriers[tk["number"]] = tk
        seen.append(tk)
    # identities resolved as one person must be one human
    groups = defaultdict(set)
    for tk in ts:
        for k in tk["_keys"]:
            groups[find(k)].add(tk["human"])
    for g, hs in groups.items():
        assert len(hs) == 1, ("identities of different people got linked", hs)
    return labels


BY_KEY = {}


def main():
    cross_channel()
    same_channel()
    ticket_number()
    spare = store_review()
    background(spare)
    sprinkle_numbers()
    ticket_number_negatives()
    # unknown numbers must stay unknown; fresh_number never reuses a number
    ts = sorted(TICKETS, key=lambda tk: tk["t"])
    for a, b in zip(ts, ts[1:]):
        if b["t"] <= a["t"]:
            b["t"] = a["t"] + timedelta(seconds=rng.randrange(5, 90))
    ts = sorted(ts, key=lambda tk: tk["t"])
    assert ts[0]["t"] >= SPAN_START and ts[-1]["t"] <= SPAN_END + timedelta(hours=6), (ts[0]["t"], ts[-1]["t"])
    for tk in ts:
        BY_KEY[tk["key"]] = tk
    labels = rebuild_labels(ts)
    bad = [(tk["key"], tk["role"], tk["dup"], labels[tk["key"]]) for tk in ts if tk["dup"] != labels[tk["key"]]]
    assert not bad, bad
    # cited numbers exist (or not) as the roles say
    numbers = {tk["number"]: tk for tk in ts if tk["number"]}
    for tk in ts:
        if tk["cite"]:
            exists = tk["cite"]["n"] in numbers and numbers[tk["cite"]["n"]]["t"] < tk["t"]
            assert exists == (tk["role"] != "neg_unknown_number"), tk["key"]
            if tk["role"] == "neg_unknown_number":
                assert tk["cite"]["n"] not in numbers

    ids = {tk["key"]: "w-%04d" % (i + 1) for i, tk in enumerate(ts)}
    lines = []
    for tk in ts:
        tid = ids[tk["key"]]
        stamp = rfc3339(tk["t"])
        req = {"name": tk["name"], "identities": tk["ids"], "language": tk["lang"]}
        ticket_json = {"id": tid, "channel": tk["channel"], "requester": req, "subject": tk["subject"],
                       "status": "new", "created_at": stamp, "updated_at": stamp}
        if tk["number"]:
            ticket_json["fields"] = [{"name": tk["number_field"], "value": {"text": tk["number"]}}]
        ticket_json["messages"] = [{"id": "m-" + tid, "author_role": "requester", "channel": tk["channel"],
                                    "body": tk["body"], "created_at": stamp}]
        dup = ids[tk["dup"]] if tk["dup"] else None
        lines.append({"event": {"id": "ev-" + tid, "kind": {"type": "ticket_created"}, "occurred_at": stamp,
                                "ticket": ticket_json},
                      "label": {"category": tk["family"], "duplicate_of": dup, "why": tk["why"]}})
    validate(lines)
    with open(OUT, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    report(ts, lines)


def parse(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def validate(lines):
    """Checks the written shape alone, as a reader of the file would."""
    seen, first_of = {}, {}
    prev = None
    for n, line in enumerate(lines):
        assert set(line) == {"event", "label"}
        ev, lb = line["event"], line["label"]
        assert set(ev) == {"id", "kind", "occurred_at", "ticket"} and ev["kind"] == {"type": "ticket_created"}
        tk = ev["ticket"]
        keys = {"id", "channel", "requester", "subject", "status", "created_at", "updated_at", "messages"}
        assert set(tk) in (keys, keys | {"fields"}), set(tk)
        assert tk["id"] == "w-%04d" % (n + 1) and ev["id"] == "ev-" + tk["id"]
        assert tk["created_at"] == tk["updated_at"] == ev["occurred_at"]
        t = parse(ev["occurred_at"])
        off = ev["occurred_at"][-6:]
        assert ev["occurred_at"].endswith("Z") or off == ("+02:00" if t < DST_END else "+01:00"), ev["occurred_at"]
        assert prev is None or t > prev
        prev = t
        assert set(tk["requester"]) == {"name", "identities", "language"}
        for i in tk["requester"]["identities"]:
            assert set(i) == {"kind", "value"}
        assert (tk["subject"] is not None) == (tk["channel"] in ("email", "web_form"))
        if tk["channel"] == "app_store_review":
            assert tk["requester"]["identities"] == []
        (m,) = tk["messages"]
        assert set(m) == {"id", "author_role", "channel", "body", "created_at"}
        assert m["channel"] == tk["channel"] and m["created_at"] == ev["occurred_at"] and m["id"] == "m-" + tk["id"]
        for f in tk.get("fields", []):
            assert f["name"] in ("number", "zammad_number") and re.fullmatch(r"\d{5}", f["value"]["text"])
        assert set(lb) == {"category", "duplicate_of", "why"}
        assert lb["category"] in ("cross_channel", "same_channel", "ticket_number", "store_review", "unrelated")
        d = lb["duplicate_of"]
        if d is not None:
            assert d in seen and seen[d] is None, (tk["id"], d)
            assert parse(lines[int(d[2:]) - 1]["event"]["occurred_at"]) < t
            assert lb["category"] != "unrelated"
        seen[tk["id"]] = d
    nums = [f["value"]["text"] for ln in lines for f in ln["event"]["ticket"].get("fields", [])]
    assert len(nums) == len(set(nums))


def report(ts, lines):
    cats = ["cross_channel", "same_channel", "ticket_number", "store_review", "unrelated"]
    roles = Counter((tk["family"], tk["role"]) for tk in ts)
    print("tickets: %d (fr %d, en %d)" % (len(ts), sum(tk["lang"] == "fr" for tk in ts), sum(tk["lang"] == "en" for tk in ts)))
    print("with a number field: %d (zammad_number %d)" % (
        sum(1 for tk in ts if tk["number"]), sum(1 for tk in ts if tk["number"] and tk["number_field"] == "zammad_number")))
    first, last = lines[0]["event"]["occurred_at"], lines[-1]["event"]["occurred_at"]
    print("span: %s .. %s" % (first, last))
    for c in cats:
        pos = sum(1 for tk in ts if tk["family"] == c and tk["dup"])
        neg = {r: n for (f, r), n in roles.items() if f == c and r.startswith("neg_")}
        other = {r: n for (f, r), n in roles.items() if f == c and not r.startswith("neg_") and r != "duplicate"}
        print("%-14s positives %3d | hard negatives %3d %s | other %s" % (c, pos, sum(neg.values()), dict(sorted(neg.items())), other))
        if c != "unrelated":
            assert pos >= 40, (c, pos)
    print("channels:", dict(Counter(tk["channel"] for tk in ts)))


if __name__ == "__main__":
    main()
