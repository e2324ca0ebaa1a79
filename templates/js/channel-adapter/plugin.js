// {{name}}: a guichet channel adapter for an SMS gateway.
//
// Inbound: the gateway POSTs {"id": "...", "from": "+33...", "text": "...", "sent_at": MS}
// (milliseconds since the Unix epoch) with the shared secret in an X-Gateway-Secret
// header; each delivery becomes one requester message, and its X-Delivery-Id header,
// when sent, lets the host drop a delivery it already received.
// Outbound: each public reply among a ticket's actions becomes a JSON POST of
// {"text": "...", "to": "+33..."} to the configured `send_url`; other actions have no
// counterpart on the gateway.
// Configuration: {"send_url": "https://.../send", "secret": "..."}
//
// WIT types in JavaScript: records are objects with camelCase fields, variants are
// {tag, val} with kebab-case tags, enums are kebab-case strings, s64 is a BigInt,
// list<u8> is a Uint8Array. An `err` result is returned by throwing its value.

import { get as getConfig } from 'guichet:plugin/config@0.3.0';

const malformed = (message) => ({ tag: 'malformed', val: message });
const rejected = (message) => ({ tag: 'rejected', val: message });

// The configuration, as `check-config` accepted it.
const settings = () => {
  try {
    return JSON.parse(getConfig());
  } catch (error) {
    throw rejected(`configuration is not valid JSON: ${error.message}`);
  }
};

// The value of the request's header `name` (lower case: the host lowers them).
const header = (request, name) => request.headers.find((h) => h.name === name)?.value;

// Whether `a` and `b` are equal, in a time that does not tell how much of them is.
const sameSecret = (a, b) => {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  if (x.length !== y.length) return false;
  let difference = 0;
  for (let i = 0; i < x.length; i++) difference |= x[i] ^ y[i];
  return difference === 0;
};

export const adapter = {
  servedChannel() {
    return 'sms';
  },

  handleInbound(request) {
    const secret = settings()?.secret;
    if (typeof secret !== 'string') throw rejected('configuration: `secret` is missing');
    const sent = header(request, 'x-gateway-secret');
    if (sent === undefined) throw rejected('X-Gateway-Secret is missing');
    if (!sameSecret(sent, secret)) {
      throw rejected('X-Gateway-Secret does not match the configured `secret`');
    }
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
    return {
      deliveryId: header(request, 'x-delivery-id'),
      items: [
        {
          tag: 'message',
          val: {
            externalTicketId: undefined,
            externalMessageId: sms.id,
            channel: 'sms',
            requester: { name: undefined, identities: [{ kind: 'phone', value: sms.from }], language: undefined },
            authorRole: 'requester',
            author: undefined,
            subject: undefined,
            body: sms.text,
            public: true,
            createdAt: BigInt(sms.sent_at),
            ticketRef: undefined,
            fields: [],
          },
        },
      ],
      // The gateway does not read the answer: the host's own will do.
      answer: undefined,
    };
  },

  renderActions(outbound) {
    // Notes, tags, statuses... stay in guichet: the gateway only sends texts.
    const replies = outbound.actions.filter((a) => a.tag === 'public-reply').map((a) => a.val.body);
    if (replies.length === 0) return [];
    const phone = outbound.ticket.requester.identities.find((i) => i.kind === 'phone');
    if (!phone) throw rejected('the requester has no phone number');
    const url = settings()?.send_url;
    if (typeof url !== 'string') throw rejected('configuration: `send_url` is missing');
    return replies.map((text) => ({
      method: 'POST',
      url,
      headers: [{ name: 'content-type', value: 'application/json' }],
      body: new TextEncoder().encode(JSON.stringify({ text, to: phone.value })),
    }));
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
    const url = config?.send_url;
    if (typeof url !== 'string') {
      problems.push({ path: '/send_url', message: '`send_url` is missing' });
    } else if (!url.startsWith('https://') && !url.startsWith('http://')) {
      problems.push({ path: '/send_url', message: `\`send_url\` must be an http(s) URL, not \`${url}\`` });
    }
    const secret = config?.secret;
    if (typeof secret !== 'string') {
      problems.push({ path: '/secret', message: '`secret` is missing' });
    } else if (secret === '') {
      problems.push({ path: '/secret', message: '`secret` is empty' });
    }
    return problems;
  },
};
