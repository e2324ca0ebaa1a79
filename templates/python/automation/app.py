"""{{name}}: a guichet automation plugin.

On a new ticket whose subject or requester messages contain one of the configured
keywords, it adds the configured tag and raises the priority to high.
Configuration: {"keywords": ["urgent", "asap"], "tag": "urgent"}
"""

import json

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports import config_check
from wit_world.imports import config, log, types


class Rules(exports.Rules):
    def on_event(self, event):
        ticket = event.ticket
        if not isinstance(event.kind, types.EventKind_TicketCreated) or ticket is None:
            return []
        try:
            settings = json.loads(config.get())
        except ValueError as error:
            raise Err(f"configuration is not valid JSON: {error}")
        keywords = settings.get("keywords")
        if not isinstance(keywords, list):
            raise Err("configuration: `keywords` must be a list of words")
        tag = settings.get("tag", "urgent")

        parts = [ticket.subject or ""]
        parts += [m.body for m in ticket.messages if m.author_role == types.AuthorRole.REQUESTER]
        text = " ".join(parts).lower()
        if not any(str(k).lower() in text for k in keywords):
            return []
        log.log(log.Level.INFO, f"ticket {ticket.id} looks urgent")
        return [types.Action_AddTags([tag]), types.Action_SetPriority(types.Priority.HIGH)]


class ConfigCheck(exports.ConfigCheck):
    """What is wrong with a configuration, before the service sets it."""

    def check_config(self, config):
        try:
            settings = json.loads(config)
        except ValueError as error:
            return [config_check.ConfigProblem(path="", message=f"not valid JSON: {error}")]
        problems = []
        keywords = settings.get("keywords") if isinstance(settings, dict) else None
        if not isinstance(keywords, list):
            problems.append(
                config_check.ConfigProblem(
                    path="/keywords", message="`keywords` must be a list of words"
                )
            )
        else:
            for n, word in enumerate(keywords):
                if not isinstance(word, str):
                    problems.append(
                        config_check.ConfigProblem(
                            path=f"/keywords/{n}",
                            message=f"a keyword is a string, not {json.dumps(word)}",
                        )
                    )
        tag = settings.get("tag") if isinstance(settings, dict) else None
        if tag is not None and not isinstance(tag, str):
            problems.append(
                config_check.ConfigProblem(path="/tag", message="`tag` must be a string")
            )
        return problems
