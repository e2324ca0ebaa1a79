"""{{name}}: a guichet channel adapter for an SMS gateway.

Inbound: the gateway POSTs {"id": "...", "from": "+33...", "text": "...", "sent_at": MS}
(milliseconds since the Unix epoch); each delivery becomes one requester message.
Outbound: a reply becomes a JSON POST of {"text": "...", "to": "+33..."} to the
configured `send_url`. Configuration: {"send_url": "https://.../send"}
"""

import json

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports import config_check
from wit_world.exports import adapter
from wit_world.imports import config, types


def malformed(message):
    return Err(adapter.AdapterError_Malformed(message))


def rejected(message):
    return Err(adapter.AdapterError_Rejected(message))


class Adapter(exports.Adapter):
    def served_channel(self):
        return types.Channel.SMS

    def parse_inbound(self, request):
        if request.method != "POST":
            raise rejected(f"{request.method} is not a delivery")
        try:
            sms = json.loads(bytes(request.body))
        except ValueError as error:
            raise malformed(f"the body is not JSON: {error}")
        if not isinstance(sms, dict):
            raise malformed("the body must be a JSON object")
        for name in ("id", "from", "text"):
            if not isinstance(sms.get(name), str):
                raise malformed(f"`{name}` is missing")
        if not isinstance(sms.get("sent_at"), int):
            raise malformed("`sent_at` is missing")
        message = adapter.InboundMessage(
            external_ticket_id=None,
            external_message_id=sms["id"],
            channel=types.Channel.SMS,
            requester=types.Requester(
                name=None,
                identities=[types.Identity(kind=types.IdentityKind.PHONE, value=sms["from"])],
                language=None,
            ),
            author_role=types.AuthorRole.REQUESTER,
            subject=None,
            body=sms["text"],
            public=True,
            created_at=int(sms["sent_at"]),
        )
        return [adapter.Inbound_Message(message)]

    def render_outbound(self, reply):
        phones = [i.value for i in reply.ticket.requester.identities if i.kind == types.IdentityKind.PHONE]
        if not phones:
            raise rejected("the requester has no phone number")
        try:
            settings = json.loads(config.get())
        except ValueError as error:
            raise rejected(f"configuration is not valid JSON: {error}")
        if "send_url" not in settings:
            raise rejected("configuration: `send_url` is missing")
        body = json.dumps({"text": reply.body, "to": phones[0]}, separators=(",", ":"), ensure_ascii=False)
        return adapter.OutgoingRequest(
            method="POST",
            url=settings["send_url"],
            headers=[adapter.Header(name="content-type", value="application/json")],
            body=body.encode(),
        )


class ConfigCheck(exports.ConfigCheck):
    """What is wrong with a configuration, before the service sets it."""

    def check_config(self, config):
        try:
            settings = json.loads(config)
        except ValueError as error:
            return [config_check.ConfigProblem(path="", message=f"not valid JSON: {error}")]
        url = settings.get("send_url") if isinstance(settings, dict) else None
        if not isinstance(url, str):
            return [config_check.ConfigProblem(path="/send_url", message="`send_url` is missing")]
        if not (url.startswith("https://") or url.startswith("http://")):
            return [
                config_check.ConfigProblem(
                    path="/send_url",
                    message=f"`send_url` must be an http(s) URL, not `{url}`",
                )
            ]
        return []
