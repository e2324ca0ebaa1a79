"""{{name}}: a guichet channel adapter for an SMS gateway.

Inbound: the gateway POSTs {"id": "...", "from": "+33...", "text": "...", "sent_at": MS}
(milliseconds since the Unix epoch) with the shared secret in an X-Gateway-Secret
header; each delivery becomes one requester message, and its X-Delivery-Id header,
when sent, lets the host drop a delivery it already received.
Outbound: each public reply among a ticket's actions becomes a JSON POST of
{"text": "...", "to": "+33..."} to the configured `send_url`; other actions have no
counterpart on the gateway.
Configuration: {"send_url": "https://.../send", "secret": "..."}
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


def settings():
    """The configuration, as `check-config` accepted it."""
    try:
        return json.loads(config.get())
    except ValueError as error:
        raise rejected(f"configuration is not valid JSON: {error}")


def header(request, name):
    """The value of the request's header `name` (lower case: the host lowers them)."""
    return next((h.value for h in request.headers if h.name == name), None)


def same_secret(a, b):
    """Whether `a` and `b` are equal, in a time that does not tell how much of them is."""
    a, b = a.encode(), b.encode()
    if len(a) != len(b):
        return False
    difference = 0
    for x, y in zip(a, b):
        difference |= x ^ y
    return difference == 0


class Adapter(exports.Adapter):
    def served_channel(self):
        return types.Channel.SMS

    def handle_inbound(self, request):
        secret = settings().get("secret")
        if not isinstance(secret, str):
            raise rejected("configuration: `secret` is missing")
        sent = header(request, "x-gateway-secret")
        if sent is None:
            raise rejected("X-Gateway-Secret is missing")
        if not same_secret(sent, secret):
            raise rejected("X-Gateway-Secret does not match the configured `secret`")
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
            author=None,
            subject=None,
            body=sms["text"],
            public=True,
            created_at=int(sms["sent_at"]),
            ticket_ref=None,
            fields=[],
        )
        return adapter.InboundBatch(
            delivery_id=header(request, "x-delivery-id"),
            items=[adapter.Inbound_Message(message)],
            # The gateway does not read the answer: the host's own will do.
            answer=None,
        )

    def render_actions(self, outbound):
        # Notes, tags, statuses... stay in guichet: the gateway only sends texts.
        replies = [a.value.body for a in outbound.actions if isinstance(a, types.Action_PublicReply)]
        if not replies:
            return []
        phones = [i.value for i in outbound.ticket.requester.identities if i.kind == types.IdentityKind.PHONE]
        if not phones:
            raise rejected("the requester has no phone number")
        url = settings().get("send_url")
        if not isinstance(url, str):
            raise rejected("configuration: `send_url` is missing")
        requests = []
        for text in replies:
            body = json.dumps({"text": text, "to": phones[0]}, separators=(",", ":"), ensure_ascii=False)
            requests.append(
                adapter.OutgoingRequest(
                    method="POST",
                    url=url,
                    headers=[adapter.Header(name="content-type", value="application/json")],
                    body=body.encode(),
                )
            )
        return requests


class ConfigCheck(exports.ConfigCheck):
    """What is wrong with a configuration, before the service sets it."""

    def check_config(self, config):
        try:
            settings = json.loads(config)
        except ValueError as error:
            return [config_check.ConfigProblem(path="", message=f"not valid JSON: {error}")]
        if not isinstance(settings, dict):
            settings = {}
        problems = []
        url = settings.get("send_url")
        if not isinstance(url, str):
            problems.append(config_check.ConfigProblem(path="/send_url", message="`send_url` is missing"))
        elif not (url.startswith("https://") or url.startswith("http://")):
            problems.append(
                config_check.ConfigProblem(
                    path="/send_url",
                    message=f"`send_url` must be an http(s) URL, not `{url}`",
                )
            )
        secret = settings.get("secret")
        if not isinstance(secret, str):
            problems.append(config_check.ConfigProblem(path="/secret", message="`secret` is missing"))
        elif not secret:
            problems.append(config_check.ConfigProblem(path="/secret", message="`secret` is empty"))
        return problems
