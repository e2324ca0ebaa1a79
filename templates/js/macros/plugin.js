// {{name}}: a guichet macros plugin.
//
// One macro, `thanks`: greets the requester by name and says which agent (the `agent`
// variable) looks after the request, signed with the configured signature.
// Configuration: {"signature": "The support team"}
//
// WIT types in JavaScript: records are objects with camelCase fields, variants are
// {tag, val} with kebab-case tags, enums are kebab-case strings, s64 is a BigInt. An
// `err` result is returned by throwing its value.

import { get as getConfig } from 'guichet:plugin/config@0.3.0';

export const macroLibrary = {
  listMacros() {
    return [
      {
        id: 'thanks',
        title: 'Thank the requester',
        description: 'Greets the requester and names the agent in charge.',
        channels: [],
      },
    ];
  },

  render(id, ticket, variables) {
    if (id !== 'thanks') throw { tag: 'unknown-macro', val: id };
    const agent = variables.find((v) => v.name === 'agent')?.value;
    if (agent === undefined) throw { tag: 'missing-value', val: 'agent' };
    let config;
    try {
      config = JSON.parse(getConfig());
    } catch (error) {
      throw { tag: 'failed', val: `configuration is not valid JSON: ${error.message}` };
    }
    const signature = config.signature ?? 'The support team';
    const name = ticket.requester.name ?? 'there';
    return {
      body: `Hello ${name},\n\nThank you for your message. ${agent} will look after your request.\n\n${signature}`,
      actions: [{ tag: 'add-tags', val: ['thanked'] }],
    };
  },
};

// What is wrong with a configuration, before the service sets it (`check-config`).
export const configCheck = {
  checkConfig(text) {
    let config;
    try {
      config = JSON.parse(text);
    } catch (error) {
      return [{ path: '', message: `not valid JSON: ${error.message}` }];
    }
    if (config?.signature != null && typeof config.signature !== 'string') {
      return [{ path: '/signature', message: '`signature` must be a string' }];
    }
    return [];
  },
};
