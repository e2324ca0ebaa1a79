"""sentiment: tag and route tickets by the mood of the requester's words.

A guichet `automation` plugin in Python (built with componentize-py). On a new ticket
and on every requester message it scores the text with keyword lists in French and
English, accents and case folded, then:

- tags the ticket `sentiment:negative`, `sentiment:positive` or `sentiment:neutral`
  (only when the tag changes);
- on a negative score at or below `escalate_at`, raises the priority to high, moves the
  ticket to the `escalation_group` and leaves an internal note naming the words found;
- counts the negative messages of each requester in the plugin's storage and, on the
  `repeat_after`-th one, notifies the escalation group's lead.

Configuration (all keys optional; see config.json beside this file):
    {"negative": [...], "positive": [...], "intensifiers": [...],
     "escalate_at": -2, "escalation_group": "care/escalations", "repeat_after": 3}
"""

import json
import re
import unicodedata

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import config, log, storage, types

DEFAULTS = {
    "negative": [
        "inadmissible", "scandale", "scandaleux", "honteux", "honte", "arnaque", "nul",
        "decu", "decue", "furieux", "furieuse", "colere", "inacceptable", "plainte",
        "avocat", "jamais", "pire", "remboursez",
        "unacceptable", "disgrace", "disgraceful", "scam", "useless", "angry", "furious",
        "worst", "terrible", "awful", "complaint", "lawyer", "refund", "never",
    ],
    "positive": [
        "merci", "parfait", "super", "genial", "excellent", "bravo", "content", "contente",
        "thanks", "thank", "great", "perfect", "awesome", "love", "happy",
    ],
    "intensifiers": ["tres", "vraiment", "totalement", "very", "really", "totally", "so"],
    "escalate_at": -2,
    "escalation_group": "care/escalations",
    "repeat_after": 3,
}

WORD = re.compile(r"[a-z0-9']+")


def fold(text):
    """Lower case without accents, so that 'DÉÇU' and 'decu' are the same word."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text):
    # "l'arnaque" -> "l", "arnaque": elided articles must not hide the word.
    return [w for part in WORD.findall(fold(text)) for w in part.split("'") if w]


def load_config():
    raw = config.get().strip()
    settings = dict(DEFAULTS)
    if not raw:
        return settings
    try:
        given = json.loads(raw)
    except ValueError as error:
        raise Err(f"configuration is not valid JSON: {error}")
    if not isinstance(given, dict):
        raise Err("configuration must be a JSON object")
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise Err(f"unknown configuration key(s): {', '.join(unknown)}; known: {', '.join(DEFAULTS)}")
    settings.update(given)
    for key in ("negative", "positive", "intensifiers"):
        settings[key] = {fold(w) for w in settings[key]}
    return settings


def score(text, settings):
    """Sum of +1 per positive and -1 per negative word, doubled after an intensifier."""
    total, found, weight = 0, [], 1
    for word in words(text):
        if word in settings["intensifiers"]:
            weight = 2
            continue
        if word in settings["negative"]:
            total -= weight
            found.append(word)
        elif word in settings["positive"]:
            total += weight
            found.append(word)
        weight = 1
    return total, found


def requester_key(ticket):
    identities = ticket.requester.identities
    if not identities:
        return None
    first = identities[0]
    return f"negative-count/{first.kind.name.lower()}/{first.value.casefold()}"


class Rules(exports.Rules):
    def on_event(self, event):
        ticket = event.ticket
        kind = event.kind
        if ticket is None:
            return []
        if isinstance(kind, types.EventKind_TicketCreated):
            text = " ".join(
                [ticket.subject or ""]
                + [m.body for m in ticket.messages if m.author_role == types.AuthorRole.REQUESTER]
            )
        elif isinstance(kind, types.EventKind_MessageAdded):
            if kind.value.author_role != types.AuthorRole.REQUESTER:
                return []
            text = kind.value.body
        else:
            return []

        settings = load_config()
        total, found = score(text, settings)
        mood = "negative" if total < 0 else "positive" if total > 0 else "neutral"
        log.log(log.Level.DEBUG, f"score {total} from {found}")

        actions = []
        tag = f"sentiment:{mood}"
        stale = [t for t in ticket.tags if t.startswith("sentiment:") and t != tag]
        if stale:
            actions.append(types.Action_RemoveTags(stale))
        if tag not in ticket.tags:
            actions.append(types.Action_AddTags([tag]))

        if total <= settings["escalate_at"]:
            if ticket.priority in (types.Priority.LOW, types.Priority.NORMAL):
                actions.append(types.Action_SetPriority(types.Priority.HIGH))
            group = settings["escalation_group"]
            if ticket.group != group:
                actions.append(types.Action_Assign(types.Assignment(agent=None, group=group)))
            actions.append(
                types.Action_InternalNote(
                    f"Escalated: the requester sounds upset (score {total}; words: {', '.join(found)})."
                )
            )

        if mood == "negative":
            actions += self.count_negative(ticket, settings)
        return actions

    def count_negative(self, ticket, settings):
        key = requester_key(ticket)
        if key is None:
            return []
        stored = storage.get(key)
        count = int(stored.decode()) + 1 if stored else 1
        storage.set(key, str(count).encode())
        if count != settings["repeat_after"]:
            return []
        return [
            types.Action_Notify(
                types.Notification(
                    recipient=types.Recipient_GroupLead(settings["escalation_group"]),
                    message=f"This requester has written {count} upset messages; a call may help.",
                )
            )
        ]
