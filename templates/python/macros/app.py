"""{{name}}: a guichet macros plugin.

One macro, `thanks`: greets the requester by name and says which agent (the `agent`
variable) looks after the request, signed with the configured signature.
Configuration: {"signature": "The support team"}
"""

import json

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports import config_check
from wit_world.exports import macro_library
from wit_world.imports import config, types


class MacroLibrary(exports.MacroLibrary):
    def list_macros(self):
        return [
            macro_library.MacroInfo(
                id="thanks",
                title="Thank the requester",
                description="Greets the requester and names the agent in charge.",
                channels=[],
            )
        ]

    def render(self, id, ticket, variables):
        if id != "thanks":
            raise Err(macro_library.RenderError_UnknownMacro(id))
        agent = next((v.value for v in variables if v.name == "agent"), None)
        if agent is None:
            raise Err(macro_library.RenderError_MissingValue("agent"))
        try:
            settings = json.loads(config.get())
        except ValueError as error:
            raise Err(macro_library.RenderError_Failed(f"configuration is not valid JSON: {error}"))
        signature = settings.get("signature", "The support team")
        name = ticket.requester.name or "there"
        body = (
            f"Hello {name},\n\nThank you for your message. {agent} will look after your request."
            f"\n\n{signature}"
        )
        return macro_library.Rendered(body=body, actions=[types.Action_AddTags(["thanked"])])


class ConfigCheck(exports.ConfigCheck):
    """What is wrong with a configuration, before the service sets it."""

    def check_config(self, config):
        try:
            settings = json.loads(config)
        except ValueError as error:
            return [config_check.ConfigProblem(path="", message=f"not valid JSON: {error}")]
        signature = settings.get("signature") if isinstance(settings, dict) else None
        if signature is not None and not isinstance(signature, str):
            return [
                config_check.ConfigProblem(
                    path="/signature", message="`signature` must be a string"
                )
            ]
        return []
