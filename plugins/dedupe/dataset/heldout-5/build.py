#!/usr/bin/env python3
"""Builds heldout-5.jsonl, a held-out labelled set for the guichet `dedupe` plugin.

Standard library only, deterministic (fixed seed). Every ticket is generated
from hidden keys (person, problem, review, cited number); the labels are then
rebuilt from those keys by an independent simulation of the labelling rules
(identity normalisation and linking, 72 h window, ticket-number follow-ups,
near-identical store reviews) and must agree with the labels intended by the
case that produced each ticket. Usage: python3 build.py
"""
import datetime as dt
import json
import os
import random
import re
import sys
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wording import *  # noqa: E402,F401,F403

R = random.Random(5_2026_1014)
UTC = dt.timezone.utc
START = dt.datetime(2026, 10, 14, 6, 0, tzinfo=UTC)
END = dt.datetime(2026, 11, 6, 21, 0, tzinfo=UTC)
DST = dt.datetime(2026, 10, 25, 1, 0, tzinfo=UTC)
H = dt.timedelta(hours=1)
WINDOW = 72 * H
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "heldout-5.jsonl")
NUM = "\u00a7\u00a7\u00a7"  # placeholder for a cited number, filled once numbers exist
TOPIC_BY_KEY = {t[1]: t for t in TOPICS}

def fold(s):
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")

# ---------------------------------------------------------------- people
_uid = [0]
class Person:
    def __init__(self, lang):
        _uid[0] += 1
        n = self.uid = _uid[0]
        self.lang = lang
        fl, ll = (FIRST_FR, LAST_FR) if lang == "fr" else (FIRST_EN, LAST_EN)
        self.first, self.last = R.choice(fl), R.choice(ll)
        self.name = f"{self.first} {self.last}"
        local = fold(f"{self.first}.{self.last}").lower().replace(" ", "")
        self.email = f"{local}{n}@{R.choice(DOMAINS)}"
        self.e164 = f"+336{12000000 + n * 37:08d}" if lang == "fr" else f"+447700{100000 + n * 7:06d}"
        self.app_user = f"u-{40000 + n * 13}"
        self.messenger = f"psid-{880000000 + n * 101}"
    def email_v(self, style=None):
        style = R.choice(["lower", "lower", "title", "upper"]) if style is None else style
        if style == "title":
            loc, dom = self.email.split("@")
            return ".".join(p.capitalize() for p in loc.split(".")) + "@" + dom.capitalize()
        return self.email.upper() if style == "upper" else self.email
    def phone_v(self, i=None):
        d = self.e164
        if self.lang == "fr":
            nat = "0" + d[3:]
            pairs = " ".join(nat[k:k + 2] for k in range(0, 10, 2))
            forms = [pairs, "+33 (0)" + pairs[1:], "0033 " + pairs[1:], d, nat, pairs.replace(" ", "."), "+33 " + pairs[1:]]
        else:
            s = d[3:]
            forms = [f"+44 {s[:4]} {s[4:]}", d, f"0044 {s[:4]} {s[4:]}", f"+44 (0){s[:4]} {s[4:]}"]
        return forms[i % len(forms)] if i is not None else R.choice(forms)
    def wa(self):
        return self.e164[1:]

# ---------------------------------------------------------------- tickets
class T:
    def __init__(self, when, channel, person, ids, lang, body, subject=None, cat="unrelated",
                 pkey=None, want=None, cite=None, rkey=None, reviewer=None, force_num=False):
        self.when, self.channel, self.person, self.ids, self.lang = when, channel, person, ids, lang
        self.body, self.subject, self.cat, self.pkey, self.want = body, subject, cat, pkey, want
        self.cite, self.rkey, self.reviewer, self.force_num = cite, rkey, reviewer, force_num
        self.num = None
        self.field = "number"
TICKETS = []
def add(*a, **k):
    t = T(*a, **k)
    TICKETS.append(t)
    return t

def noisy(s, lang, level=0.35):
    if lang == "fr" and R.random() < level:
        s = fold(s)
    if R.random() < level:
        s = s.lower()
    if R.random() < level:
        w = s.split(" ")
        i = R.randrange(len(w))
        if len(w[i]) > 4 and "\u00a7" not in w[i]:
            j = R.randrange(1, len(w[i]) - 2)
            w[i] = w[i][:j] + w[i][j + 1] + w[i][j] + w[i][j + 2:]
        s = " ".join(w)
    return s

def core(topic, lang, variant):
    return TOPIC_BY_KEY[topic][2 if lang == "fr" else 3][variant]

def quote_block(prev, lang):
    p = prev.person
    when = prev.when + (dt.timedelta(hours=1) if prev.when >= DST else dt.timedelta(hours=2))
    wd_fr = ["lun", "mar", "mer", "jeu", "ven", "sam", "dim"][when.weekday()]
    wd_en = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][when.weekday()]
    m_fr = ["janv", "févr", "mars", "avr", "mai", "juin", "juil", "août", "sept", "oct.", "nov.", "déc."][when.month - 1]
    m_en = when.strftime("%b")
    h12 = when.hour % 12 or 12
    hdr = QUOTE_HDR[lang].format(wd=wd_fr if lang == "fr" else wd_en, d=when.day, m=m_fr if lang == "fr" else m_en,
                                 hh=f"{when.hour:02d}", mm=f"{when.minute:02d}", h12=h12,
                                 ap="AM" if when.hour < 12 else "PM", name=p.name, email=p.email)
    return hdr + "\n" + "\n".join("> " + l if l else ">" for l in prev.body.split("\n"))

def render(person, topic, lang, channel, variant, remind=False, prev=None, prefix=""):
    """Subject and body of a ticket about `topic` written on `channel`."""
    tp = TOPIC_BY_KEY[topic][2 if lang == "fr" else 3]
    text = tp[variant]
    if channel in ("email", "web_form"):
        g = R.choice(GREET[lang])
        body = (g + "\n\n" if g else "") + (R.choice(REMIND[lang]) if remind else "") + prefix + text
        if R.random() < 0.25:
            body = noisy(body, lang, 0.5)
        body += "\n\n" + R.choice(SIGN[lang]).format(name=person.name, first=person.first)
        if prev is not None:
            body += "\n\n" + quote_block(prev, lang)
        subj = tp["subj"]
        if remind:
            subj = ("RE: " if lang == "fr" else "Re: ") + subj
        elif R.random() < 0.2:
            subj = fold(subj).upper() if lang == "fr" else subj.upper()
        return subj, body
    if channel == "phone":
        lead = R.choice(["Appel entrant — le client explique : ", "Cliente au téléphone : ", "Rappel demandé. Motif : "]) if lang == "fr" \
            else R.choice(["Inbound call - customer says: ", "Caller reports: ", "Callback requested. Reason: "])
        return None, lead + (R.choice(REMIND[lang]) if remind else "") + prefix + text
    body = (R.choice(REMIND[lang]) if remind else "") + prefix + text
    if R.random() < 0.3:
        body = (R.choice(["bonjour ", "slt ", "allo ? ", ""]) if lang == "fr" else R.choice(["hi ", "hello? ", "hey ", ""])) + body
    return None, noisy(body, lang)

IDS = {
    "email": lambda p: [("email", p.email_v())],
    "web_form": lambda p: [("email", p.email_v()), ("phone", p.phone_v())],
    "chat": lambda p: [("app_user", p.app_user)],
    "whatsapp": lambda p: [("whatsapp", p.wa())],
    "sms": lambda p: [("phone", p.phone_v())],
    "phone": lambda p: [("phone", p.phone_v())],
    "messenger": lambda p: [("messenger", p.messenger)],
}
def ticket(when, ch, p, topic, variant, cat, want=None, ids=None, remind=False, prev=None, prefix="", **k):
    subj, body = render(p, topic, p.lang, ch, variant, remind, prev, prefix)
    return add(when, ch, p, ids if ids is not None else IDS[ch](p), p.lang, body, subj, cat,
               (p.uid, topic), want, **k)

def rtime(span_h=0):
    lo, hi = START, END - span_h * H
    return lo + dt.timedelta(seconds=R.randrange(int((hi - lo).total_seconds())))
def hrs(a, b):
    return dt.timedelta(minutes=R.randrange(int(a * 60), int(b * 60)))
def lang():
    return "fr" if R.random() < 0.62 else "en"
def topics(n):
    return R.sample([t[1] for t in TOPICS], n)

# ---------------------------------------------------------------- cross_channel
C = "cross_channel"
for k in range(42):
    p, (tp,) = Person(lang()), topics(1)
    t0 = rtime(75)
    kind = k % 6
    if kind == 0:
        r = ticket(t0, "web_form", p, tp, "long", C)
        d = ticket(t0 + hrs(1, 30), "whatsapp", p, tp, "short", C, want=r)
        if k % 12 == 0:
            ticket(d.when + hrs(2, 30), "phone", p, tp, "alt", C, want=r, ids=[("phone", p.phone_v(k))])
    elif kind == 1:
        r = ticket(t0, "email", p, tp, "long", C, ids=[("email", p.email_v("lower"))])
        ticket(t0 + hrs(0.5, 60), "chat", p, tp, "short", C, want=r, ids=[("app_user", p.app_user), ("email", p.email_v())])
    elif kind == 2:
        r = ticket(t0, "phone", p, tp, "alt", C, ids=[("phone", p.phone_v(k))])
        ticket(t0 + hrs(1, 70), "sms", p, tp, "short", C, want=r, ids=[("phone", p.phone_v(k + 3))])
    elif kind == 3:
        r = ticket(t0, "whatsapp", p, tp, "short", C)
        ticket(t0 + hrs(3, 70), "web_form", p, tp, "alt", C, want=r, ids=[("email", p.email_v()), ("phone", p.phone_v(k))])
    elif kind == 4:
        r = ticket(t0, "chat", p, tp, "short", C, ids=[("app_user", p.app_user), ("email", p.email_v("lower"))])
        d = ticket(t0 + hrs(0.2, 40), "email", p, tp, "long", C, want=r, ids=[("email", p.email_v("title"))])
        if k % 8 == 4:
            ticket(d.when + hrs(1, 20), "messenger", p, tp, "short", C, want=r, ids=[("messenger", p.messenger), ("email", p.email_v())])
    else:
        # link learnt days earlier on another problem, then e-mail and WhatsApp
        other = [t[1] for t in TOPICS if t[1] != tp][k % (len(TOPICS) - 1)]
        t0 = START + (t0 - START) * 0.7 + 145 * H
        ticket(t0 - hrs(90, 140), "web_form", p, other, "long", C, ids=[("email", p.email_v("lower")), ("phone", p.phone_v(k))])
        r = ticket(t0, "email", p, tp, "long", C)
        ticket(t0 + hrs(1, 48), "whatsapp", p, tp, "short", C, want=r)
# negatives: same person, other problem, other channel, within 72 h
for k in range(10):
    p, (a, b) = Person(lang()), topics(2)
    t0 = rtime(75)
    ticket(t0, "web_form", p, a, "long", C)
    ticket(t0 + hrs(1, 70), R.choice(["whatsapp", "sms", "phone"]), p, b, "short", C)
# negatives: two open tickets on two problems, then a message about one of them
for k in range(9):
    p, (a, b) = Person(lang()), topics(2)
    t0 = rtime(75)
    r = ticket(t0, "web_form", p, a, "long", C)
    ticket(t0 + hrs(1, 20), "whatsapp", p, b, "short", C)
    ticket(t0 + hrs(22, 70), "sms", p, a, "alt", C, want=r)
# negatives: identities never seen together
for k in range(10):
    p, (tp,) = Person(lang()), topics(1)
    t0 = rtime(75)
    ticket(t0, "email", p, tp, "long", C)
    ticket(t0 + hrs(1, 60), R.choice(["whatsapp", "sms", "phone"]), p, tp, "short", C)
# negatives: same person, same problem, other channel, beyond the window
for k in range(10):
    p, (tp,) = Person(lang()), topics(1)
    t0 = rtime(160)
    ticket(t0, "web_form", p, tp, "long", C)
    ticket(t0 + hrs(74, 150), R.choice(["whatsapp", "sms", "phone"]), p, tp, "short", C, remind=True)

# ---------------------------------------------------------------- same_channel
S = "same_channel"
for k in range(40):
    p, (tp,) = Person(lang()), topics(1)
    t0 = rtime(75)
    kind = k % 5
    if kind == 0:
        r = ticket(t0, "email", p, tp, "long", S, ids=[("email", p.email_v("lower"))])
        ticket(t0 + hrs(4, 70), "email", p, tp, "short", S, want=r, remind=True, prev=r, ids=[("email", p.email_v())])
    elif kind == 1:
        r = ticket(t0, "email", p, tp, "long", S)
        d = ticket(t0 + hrs(0.1, 30), "email", p, tp, "alt", S, want=r)
        if k % 10 == 1:
            ticket(d.when + hrs(1, 30), "email", p, tp, "long", S, want=r, remind=True, prev=d)
    elif kind == 2:
        r = ticket(t0, "chat", p, tp, "short", S)
        ticket(t0 + hrs(0.05, 8), "chat", p, tp, "alt", S, want=r, remind=R.random() < 0.5)
    elif kind == 3:
        ch = R.choice(["whatsapp", "messenger", "sms"])
        r = ticket(t0, ch, p, tp, "short", S)
        ticket(t0 + hrs(0.5, 70), ch, p, tp, "alt", S, want=r, ids=[("phone", p.phone_v(k))] if ch == "sms" else None)
        if k % 10 == 3:
            ticket(t0 + hrs(71, 71.9), ch, p, tp, "short", S, want=r, remind=True)
    else:
        r = ticket(t0, "web_form", p, tp, "long", S)
        ticket(t0 + hrs(0.5, 50), "web_form", p, tp, "alt", S, want=r, ids=[("email", p.email_v()), ("phone", p.phone_v(k))])
for k in range(10):  # same person, other problem, same channel
    p, (a, b) = Person(lang()), topics(2)
    ch, t0 = R.choice(["email", "chat", "whatsapp"]), rtime(75)
    ticket(t0, ch, p, a, "long" if ch == "email" else "short", S)
    ticket(t0 + hrs(0.5, 70), ch, p, b, "long" if ch == "email" else "short", S)
for k in range(8):  # two problems then one of them
    p, (a, b) = Person(lang()), topics(2)
    t0 = rtime(75)
    r = ticket(t0, "email", p, a, "long", S)
    ticket(t0 + hrs(0.5, 10), "email", p, b, "long", S)
    ticket(t0 + hrs(12, 70), "email", p, a, "alt", S, want=r, remind=True)
for k in range(10):  # +tag e-mail address
    p, (tp,) = Person(lang()), topics(1)
    t0 = rtime(75)
    ticket(t0, "email", p, tp, "long", S, ids=[("email", p.email)])
    loc, dom = p.email.split("@")
    ticket(t0 + hrs(1, 60), "email", p, tp, "alt", S, ids=[("email", f"{loc}+{R.choice(['shop', 'parlio', 'pro', 'abo', 'news'])}@{dom}")])
for k in range(10):  # same problem, other people
    (tp,), t0, ch = topics(1), rtime(75), R.choice(["email", "chat", "whatsapp", "web_form"])
    for j in range(2 + k % 2):
        q = Person(lang())
        ticket(t0 + hrs(j * 2, j * 2 + 20), ch, q, tp, R.choice(["long", "alt"]) if ch in ("email", "web_form") else "short", S)
for k in range(10):  # beyond the window, same channel
    p, (tp,) = Person(lang()), topics(1)
    ch, t0 = R.choice(["email", "chat", "whatsapp"]), rtime(170)
    ticket(t0, ch, p, tp, "long" if ch == "email" else "short", S)
    ticket(t0 + hrs(72.5, 160), ch, p, tp, "alt", S, remind=True)

# ---------------------------------------------------------------- ticket_number
N = "ticket_number"
def cite_text(lang, extra_ok=True):
    c = R.choice(CITE[lang]).replace("{n}", NUM)
    f = R.choice(FOLLOW[lang])
    return f.format(c=c, extra=R.choice(EXTRA[lang]))
for k in range(42):
    p, (tp,) = Person(lang()), topics(1)
    kind = k % 6
    t0 = START + hrs(0, 380)
    ch0 = R.choice(["email", "web_form", "chat", "phone", "whatsapp"])
    r = ticket(t0, ch0, p, tp, "long" if ch0 in ("email", "web_form") else "short", N, force_num=True)
    target = r
    if kind == 5:  # the cited ticket was itself merged
        target = ticket(t0 + hrs(1, 40), ch0, p, tp, "alt", S, want=r, force_num=True,
                        ids=[("email", p.email_v()), ("phone", p.phone_v())] if ch0 == "web_form" else None)
    gap = hrs(2, 60) if kind in (0, 1) else hrs(80, 200)
    when = target.when + gap
    lg = p.lang
    body = cite_text(lg)
    if kind in (0, 3):  # e-mail reply with the number in the subject
        subj = R.choice(["Re: [#" + NUM + "] ", "RE: [Ticket#" + NUM + "] "]) + TOPIC_BY_KEY[tp][2 if lg == "fr" else 3]["subj"]
        body += "\n\n" + R.choice(SIGN[lg]).format(name=p.name, first=p.first)
        add(when, "email", p, [("email", p.email_v())] if ch0 in ("email", "web_form", "chat") and ch0 != "chat" else
            [("email", p.email_v()), ("phone", p.phone_v())] if ch0 in ("phone", "whatsapp") else [("app_user", p.app_user), ("email", p.email_v())],
            lg, body, subj, N, (p.uid, tp), r, cite=("ticket", target))
    else:
        ch = {"email": "email", "web_form": "sms", "chat": "chat", "phone": "whatsapp", "whatsapp": "phone"}[ch0]
        ids = {"email": lambda: [("email", p.email_v())], "sms": lambda: [("phone", p.phone_v())],
               "chat": lambda: [("app_user", p.app_user)], "whatsapp": lambda: [("whatsapp", p.wa())],
               "phone": lambda: [("phone", p.phone_v())]}[ch]()
        pk = (p.uid, tp) if k % 4 else (p.uid, "other-" + str(k))  # text may be about anything
        if k % 4 == 0:
            body = body + " " + ("Et autre chose : " if lg == "fr" else "Also: ") + core(R.choice([t[1] for t in TOPICS if t[1] != tp]), lg, "short")
        add(when, ch, p, ids, lg, noisy(body, lg, 0.2), "Suivi " + NUM if ch == "email" else None, N, pk, r, cite=("ticket", target))
for k in range(11):  # someone else cites a number
    a, (tp,) = Person(lang()), topics(1)
    t0 = rtime(90)
    owner = ticket(t0, R.choice(["email", "web_form", "phone"]), a, tp, "long", N, force_num=True)
    b = Person(a.lang)
    txt = R.choice(OTHER_CITE[b.lang]).format(c=R.choice(CITE[b.lang]).replace("{n}", NUM), short=core(tp, b.lang, "short"))
    ch = R.choice(["email", "chat", "whatsapp"])
    add(t0 + hrs(1, 80), ch, b, IDS[ch](b), b.lang, txt, ("Question" if ch == "email" else None), N, (b.uid, tp), None, cite=("ticket", owner))
ORDER_NEG = []
for k in range(13):  # order / invoice / contract number equal to a real ticket number
    b, (tp,) = Person(lang()), topics(1)
    ch = R.choice(["email", "web_form", "chat", "whatsapp"])
    txt = R.choice(ORDER[b.lang]).replace("{n}", NUM)
    ORDER_NEG.append(add(START + hrs(200, 540), ch, b, IDS[ch](b), b.lang, txt,
                         ("Commande" if b.lang == "fr" else "Order") if ch in ("email", "web_form") else None, N, (b.uid, "order"), None, cite=("order", None)))
for k in range(10):  # numbers no ticket carries
    b, (tp,) = Person(lang()), topics(1)
    ch = R.choice(["email", "chat", "sms", "whatsapp"])
    txt = R.choice(UNKNOWN[b.lang]).format(c=R.choice(CITE[b.lang]).replace("{n}", NUM), short=core(tp, b.lang, "short"))
    add(rtime(0), ch, b, IDS[ch](b), b.lang, txt, "Relance" if ch == "email" else None, N, (b.uid, tp), None, cite=("unknown", None))

# ---------------------------------------------------------------- store_review
SR = "store_review"
slots = [(app, pb, lg, i) for app in REVIEW for pb in REVIEW[app] for lg in ("fr", "en") for i in range(len(REVIEW[app][pb][lg]))]
uses = {s: [] for s in slots}
def free(slot, times):
    return all(abs(u - t) > 100 * H for u in uses[slot] for t in times)
def review_text(slot):
    app, pb, lg, i = slot
    return (R.choice(R_OPEN[lg]) + REVIEW[app][pb][lg][i] + R.choice(R_CLOSE[lg])).strip()
def edit(text, lg):
    m = R.randrange(4)
    if m == 0:
        return text + R.choice(R_EDIT[lg])
    if m == 1:
        return text.rstrip(".!") + " !!"
    if m == 2:
        return fold(text).lower() if lg == "fr" else text.lower()
    return text
RID = [0]
def review(when, slot, text, want, reviewer, cat=SR):
    RID[0] += 1
    app, pb, lg, i = slot
    return add(when, "app_store_review", None, [], lg, text, None, cat, None, want, rkey=("r", slot, reviewer), reviewer=reviewer)
def place(times_rel, span):
    for _ in range(2000):
        t0 = rtime(span)
        s = R.choice(slots)
        ts = [t0 + x for x in times_rel]
        if free(s, ts):
            uses[s].extend(ts)
            return s, ts
    raise SystemExit("no free review slot")
def reviewer_name(k):
    return R.choice(REVIEWERS) + ("" if k % 3 else str(k))
groups = []
for k in range(42):
    rel = [dt.timedelta(0), hrs(0.2, 60)] + ([hrs(61, 71)] if k % 7 == 0 else [])
    s, ts = place(rel, 72)
    who = reviewer_name(k) if k % 9 else None
    text = review_text(s)
    r = review(ts[0], s, text, None, who)
    for t in ts[1:]:
        review(t, s, edit(text, s[2]), r, who)
    groups.append((s, ts))
for k in range(22):  # different reviewers, same problem, different words, near a group
    s0, ts0 = groups[k]
    alts = [x for x in slots if x[:3] == s0[:3] and x != s0]
    t = ts0[0] + hrs(1, 48)
    cand = [x for x in alts if free(x, [t])]
    if not cand:
        cand = [x for x in slots if x[0] == s0[0] and x != s0 and free(x, [t])]
    s = R.choice(cand)
    uses[s].append(t)
    review(t, s, review_text(s), None, reviewer_name(100 + k))
for k in range(8):  # the same review again, beyond the window
    s, ts = place([dt.timedelta(0), hrs(80, 140)], 145)
    who = reviewer_name(200 + k)
    text = review_text(s)
    review(ts[0], s, text, None, who)
    review(ts[1], s, edit(text, s[2]), None, who)

# ---------------------------------------------------------------- background
CHS = ["email", "email", "web_form", "chat", "whatsapp", "phone", "sms", "messenger"]
for k in range(150):
    p = Person(lang())
    ch = R.choice(CHS)
    tp = R.choice(TOPICS)[1]
    ids = IDS[ch](p)
    if ch == "chat" and R.random() < 0.3:
        ids = ids + [("email", p.email_v())]
    if ch == "email" and k % 25 == 0:
        ch, ids = "api", [("external", f"crm-{700000 + k}")]
    ticket(rtime(0), ch, p, tp, R.choice(["long", "alt"]) if ch in ("email", "web_form", "api") else R.choice(["short", "alt"]), "unrelated", ids=ids)

# ================================================================ assemble
TICKETS.sort(key=lambda t: t.when)
for a, b in zip(TICKETS, TICKETS[1:]):
    if b.when <= a.when:
        b.when = a.when + dt.timedelta(seconds=1)
assert TICKETS[0].when >= START and TICKETS[-1].when <= END + 2 * H, (TICKETS[0].when, TICKETS[-1].when)
for i, t in enumerate(TICKETS, 1):
    t.id = f"v-{i:04d}"
pool = R.sample(range(10000, 100000), len(TICKETS))
numbered = set()
for t in TICKETS:
    if t.force_num or (t.cite is None and t.channel != "app_store_review" and R.random() < 0.30):
        t.num = str(pool.pop())
        t.field = "zammad_number" if R.random() < 0.07 else "number"
        numbered.add(t.num)
# order negatives take the number of a real earlier ticket of someone else
for t in ORDER_NEG:
    c = R.choice([u for u in TICKETS if u.num and u.when < t.when and u.person is not None])
    t.cite = ("order", c)
for t in TICKETS:
    if t.cite:
        kind, c = t.cite
        n = c.num if c is not None else str(pool.pop())
        assert (n in numbered) == (kind != "unknown"), (t.id, kind, n)
        t.cite_num = n
        t.body = t.body.replace(NUM, n)
        t.subject = t.subject.replace(NUM, n) if t.subject else t.subject
        assert n in t.body + (t.subject or ""), t.id
    assert NUM not in t.body and (t.subject is None or NUM not in t.subject), t.id

# ---------------------------------------------------------------- rebuild labels from hidden keys
def norm(kind, value):
    if kind in ("phone", "whatsapp"):
        v = value.replace("(0)", "")
        digits = re.sub(r"\D", "", v)
        if v.strip().startswith("+"):
            return ("tel", "+" + digits)
        if digits.startswith("00"):
            return ("tel", "+" + digits[2:])
        if digits.startswith("0"):
            return ("tel", "+33" + digits[1:])
        return ("tel", "+" + digits)
    if kind == "email":
        return ("email", value.lower())
    return (kind, value)
parent = {}
def find(x):
    parent.setdefault(x, x)
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x
def same_person(a, b):
    ra = {find(k) for k in a.keys}
    return any(find(k) in ra for k in b.keys)
def root(t):
    return t.sim if t.sim is not None else t
by_num = {}
for i, t in enumerate(TICKETS):
    t.keys = [norm(k, v) for k, v in t.ids]
    for k in t.keys[1:]:
        parent[find(k)] = find(t.keys[0])
    for k in t.keys:
        find(k)
    t.sim = None
    if t.cite and t.cite[0] == "ticket":
        c = by_num.get(t.cite_num)
        if c is not None and same_person(c, t):
            t.sim = root(c)
    if t.sim is None:
        roots = set()
        for u in TICKETS[:i]:
            if t.when - u.when > WINDOW:
                continue
            if t.channel == "app_store_review":
                ok = u.channel == "app_store_review" and u.rkey == t.rkey
            else:
                ok = u.channel != "app_store_review" and u.pkey == t.pkey and same_person(u, t)
            if ok:
                roots.add(root(u))
        assert len(roots) <= 1, (t.id, [r.id for r in roots])
        if roots:
            t.sim = roots.pop()
            assert t.when - t.sim.when <= WINDOW, ("ambiguous window", t.id)
    if t.num:
        by_num[t.num] = t
bad = [(t.id, t.want and t.want.id, t.sim and t.sim.id) for t in TICKETS if t.want is not t.sim]
assert not bad, bad[:10]

# ---------------------------------------------------------------- write
def stamp(w):
    if R.random() < 0.35:
        return w.strftime("%Y-%m-%dT%H:%M:%SZ")
    off = 2 if w < DST else 1
    return (w + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
WHY = {
    "cross_channel": ("same person (linked identities) about the same problem on another channel within 72 h",
                      "not the same person, another problem, or outside 72 h"),
    "same_channel": ("same person re-writing about the same problem on the same channel within 72 h",
                     "another problem, another person, a +tag address or outside 72 h"),
    "ticket_number": ("cites the number of an open ticket of the same person",
                      "number cited by someone else, an order/invoice number, or unknown"),
    "store_review": ("the same review posted again with at most a small edit within 72 h",
                     "a different reviewer's review, or the same review beyond 72 h"),
}
lines = []
ROOTS = {t.want for t in TICKETS if t.want is not None}
for t in TICKETS:
    ts = stamp(t.when)
    req = {"name": t.person.name if t.person else t.reviewer, "identities": [{"kind": k, "value": v} for k, v in t.ids], "language": t.lang}
    tk = {"id": t.id, "channel": t.channel, "requester": req,
          "subject": t.subject if t.channel in ("email", "web_form") else None,
          "status": "new", "created_at": ts, "updated_at": ts}
    if t.num:
        tk["fields"] = [{"name": t.field, "value": {"text": t.num}}]
    tk["messages"] = [{"id": "m-" + t.id, "author_role": "requester", "channel": t.channel, "body": t.body, "created_at": ts}]
    if t.want is not None:
        why = WHY[t.cat][0] if t.cat in WHY else "duplicate"
        if t.cite and t.want is not t.cite[1]:
            why = "cites the number of a ticket already merged into the group's oldest ticket"
    elif t in ROOTS:
        why = "first ticket of its duplicate group; later tickets are merged into it"
    elif t.cat == "unrelated":
        why = "background ticket from a customer seen nowhere else"
    else:
        why = WHY[t.cat][1]
    lines.append({"event": {"id": "ev-" + t.id, "kind": {"type": "ticket_created"}, "occurred_at": ts, "ticket": tk},
                  "label": {"category": t.cat, "duplicate_of": t.want.id if t.want else None, "why": why}})

# ---------------------------------------------------------------- validate the file as written
EV = {"id", "kind", "occurred_at", "ticket"}
TK = {"id", "channel", "requester", "subject", "status", "created_at", "updated_at", "messages"}
def inst(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
seen, prev, lab = set(), None, {}
for ln in lines:
    e, l = ln["event"], ln["label"]
    tk = e["ticket"]
    assert set(ln) == {"event", "label"} and set(l) == {"category", "duplicate_of", "why"} and set(e) == EV
    assert set(tk) - {"fields"} == TK and set(tk["requester"]) == {"name", "identities", "language"}
    assert set(tk["messages"][0]) == {"id", "author_role", "channel", "body", "created_at"}
    assert tk["id"] not in seen and e["id"] == "ev-" + tk["id"]
    assert tk["created_at"] == tk["updated_at"] == e["occurred_at"] == tk["messages"][0]["created_at"]
    w = inst(e["occurred_at"])
    assert prev is None or w >= prev
    prev = w
    d = l["duplicate_of"]
    if d is not None:
        assert d in seen and lab[d] is None, tk["id"]
    seen.add(tk["id"])
    lab[tk["id"]] = d
with open(OUT, "w", encoding="utf-8") as f:
    for ln in lines:
        f.write(json.dumps(ln, ensure_ascii=False) + "\n")

cats = ["cross_channel", "same_channel", "ticket_number", "store_review", "unrelated"]
print(f"{len(lines)} tickets -> {OUT}")
for c in cats:
    pos = sum(1 for l in lines if l["label"]["category"] == c and l["label"]["duplicate_of"])
    neg = sum(1 for l in lines if l["label"]["category"] == c and not l["label"]["duplicate_of"])
    print(f"  {c:14s} positives {pos:4d}  non-duplicates {neg:4d}")
print("  languages:", {lg: sum(1 for l in lines if l['event']['ticket']['requester']['language'] == lg) for lg in ('fr', 'en')})
print("  with number:", sum(1 for l in lines if 'fields' in l['event']['ticket']),
      " zammad_number:", sum(1 for l in lines if any(x['name'] == 'zammad_number' for x in l['event']['ticket'].get('fields', []))))
