// {{name}}: a guichet automation plugin.
//
// On a new ticket whose subject or requester messages contain one of the configured
// keywords, it adds the configured tag and raises the priority to high.
// Configuration: {"keywords": ["urgent", "asap"], "tag": "urgent"}
//
// WIT types in JavaScript: records are objects with camelCase fields, variants are
// {tag, val} with kebab-case tags, enums are kebab-case strings, s64 is a BigInt. An
// `err` result is returned by throwing its value.

import { get as getConfig } from 'guichet:plugin/config@0.3.0';
import { log } from 'guichet:plugin/log@0.3.0';

export const rules = {
  onEvent(event) {
    const ticket = event.ticket;
    if (event.kind.tag !== 'ticket-created' || !ticket) return [];
    let config;
    try {
      config = JSON.parse(getConfig());
    } catch (error) {
      throw `configuration is not valid JSON: ${error.message}`;
    }
    if (!Array.isArray(config.keywords)) {
      throw 'configuration: `keywords` must be a list of words';
    }
    const tag = config.tag ?? 'urgent';

    const parts = [ticket.subject ?? ''];
    for (const message of ticket.messages) {
      if (message.authorRole === 'requester') parts.push(message.body);
    }
    const text = parts.join(' ').toLowerCase();
    if (!config.keywords.some((k) => text.includes(String(k).toLowerCase()))) return [];
    log('info', `ticket ${ticket.id} looks urgent`);
    return [
      { tag: 'add-tags', val: [tag] },
      { tag: 'set-priority', val: 'high' },
    ];
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
    const problems = [];
    if (!Array.isArray(config?.keywords)) {
      problems.push({ path: '/keywords', message: '`keywords` must be a list of words' });
    } else {
      config.keywords.forEach((word, n) => {
        if (typeof word !== 'string') {
          problems.push({
            path: `/keywords/${n}`,
            message: `a keyword is a string, not ${JSON.stringify(word)}`,
          });
        }
      });
    }
    if (config?.tag != null && typeof config.tag !== 'string') {
      problems.push({ path: '/tag', message: '`tag` must be a string' });
    }
    return problems;
  },
};
