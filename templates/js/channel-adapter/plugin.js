// {{name}}: a guichet channel adapter for an SMS gateway.
//
// Inbound: the gateway POSTs {"id": "...", "from": "+33...", "text": "...", "sent_at": MS}
// (milliseconds since the Unix epoch); each delivery becomes one requester message.
// Outbound: a reply becomes a JSON POST of {"text": "...", "to": "+33..."} to the
// configured `send_url`. Configuration: {"send_url": "https://.../send"}
//
// WIT types in JavaScript: records are objects with camelCase fields, variants are
// {tag, val} with kebab-case tags, enums are kebab-case strings, s64 is a BigInt,
// list<u8> is a Uint8Array. An `err` result is returned by throwing its value.

import { get as getConfig } from 'guichet:plugin/config@0.2.0';

const malformed = (message) => ({ tag: 'malformed', val: message });
const rejected = (message) => ({ tag: 'rejected', val: message });

export const adapter = {
  servedChannel() {
    return 'sms';
  },

  parseInbound(request) {
    if (request.method !== 'POST') throw rejected(`${request.method} is not a delivery`);
    let sms;
    try {
      sms = JSON.parse(new TextDecoder().decode(request.body));
    } catch (error) {
      throw malformed(`the body is not JSON: ${error.message}`);
    }
    if (typeof sms !== 'object' || sms === null || Array.isArray(sms)) {
      throw malformed('the body must be a JSON object');
    }
    for (const name of ['id', 'from', 'text']) {
      if (typeof sms[name] !== 'string') throw malformed(`\`${name}\` is missing`);
    }
    if (!Number.isInteger(sms.sent_at)) throw malformed('`sent_at` is missing');
    return [
      {
        tag: 'message',
        val: {
          externalTicketId: undefined,
          externalMessageId: sms.id,
          channel: 'sms',
          requester: { name: undefined, identities: [{ kind: 'phone', value: sms.from }], language: undefined },
          authorRole: 'requester',
          subject: undefined,
          body: sms.text,
          public: true,
          createdAt: BigInt(sms.sent_at),
        },
      },
    ];
  },

  renderOutbound(reply) {
    const phone = reply.ticket.requester.identities.find((i) => i.kind === 'phone');
    if (!phone) throw rejected('the requester has no phone number');
    let config;
    try {
      config = JSON.parse(getConfig());
    } catch (error) {
      throw rejected(`configuration is not valid JSON: ${error.message}`);
    }
    if (!config.send_url) throw rejected('configuration: `send_url` is missing');
    const body = JSON.stringify({ text: reply.body, to: phone.value });
    return {
      method: 'POST',
      url: config.send_url,
      headers: [{ name: 'content-type', value: 'application/json' }],
      body: new TextEncoder().encode(body),
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
    const url = config?.send_url;
    if (typeof url !== 'string') {
      return [{ path: '/send_url', message: '`send_url` is missing' }];
    }
    if (!url.startsWith('https://') && !url.startsWith('http://')) {
      return [{ path: '/send_url', message: `\`send_url\` must be an http(s) URL, not \`${url}\`` }];
    }
    return [];
  },
};
