// The /v1 API, called with the signed-in token. Errors come back as RFC 9457
// problems (`application/problem+json`): they are thrown as ApiError, which keeps
// the problem's `title`, `detail` and, for `invalid-config`, its `problems`.

const KEYS = { token: 'guichet.token', tenant: 'guichet.tenant', scope: 'guichet.scope' };
const ENDED = 'guichet.ended';

/** Why the last session ended, once (then forgotten). */
export function endedBecause() {
  const why = sessionStorage.getItem(ENDED);
  sessionStorage.removeItem(ENDED);
  return why;
}

/** The signed-in session of this tab, or null. */
export function session() {
  const token = sessionStorage.getItem(KEYS.token);
  if (!token) return null;
  return {
    token,
    tenant: sessionStorage.getItem(KEYS.tenant) || null,
    scope: sessionStorage.getItem(KEYS.scope) || 'admin',
  };
}

export function signIn({ token, tenant, scope }) {
  sessionStorage.setItem(KEYS.token, token);
  if (tenant) sessionStorage.setItem(KEYS.tenant, tenant);
  else sessionStorage.removeItem(KEYS.tenant);
  sessionStorage.setItem(KEYS.scope, scope);
}

export function signOut() {
  for (const key of Object.values(KEYS)) sessionStorage.removeItem(key);
}

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.title = problem.title || '';
    this.detail = problem.detail || '';
    this.kind = (problem.type || '').split('/').pop();
    this.problems = Array.isArray(problem.problems) ? problem.problems : [];
  }
}

/** `/v1/tenants/{tenant}` + `rest`, for the signed-in tenant. */
export function tenantPath(rest) {
  const s = session();
  return `/v1/tenants/${encodeURIComponent(s && s.tenant ? s.tenant : '')}${rest}`;
}

/** `?a=1&b=2` from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const text = q.toString();
  return text ? `?${text}` : '';
}

/**
 * Calls the API. `body` is sent as JSON unless `raw` is given (a File or bytes, sent
 * as `contentType`); `as: 'text'` or `'blob'` reads the answer so. Answers the parsed
 * body (null for 204); throws ApiError otherwise, with status 0 when the service
 * could not be reached.
 */
export async function api(method, path, { body, raw, contentType, as, token } = {}) {
  const s = session();
  const headers = {};
  const bearer = token || (s && s.token);
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let payload;
  if (raw !== undefined) {
    payload = raw;
    headers['Content-Type'] = contentType || 'application/octet-stream';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: payload, cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, { title: 'network', detail: String(e.message || e) });
  }
  const type = response.headers.get('Content-Type') || '';
  if (!response.ok) {
    let problem = { title: response.statusText, detail: '' };
    if (type.includes('json')) {
      try {
        problem = await response.json();
      } catch {
        // Not JSON after all: keep the status line.
      }
    } else {
      problem.detail = (await response.text()).slice(0, 500);
    }
    const error = new ApiError(response.status, problem);
    // The session's token no longer works (revoked): back to the sign-in page,
    // which says why.
    if (response.status === 401 && !token && s) {
      signOut();
      sessionStorage.setItem(ENDED, error.detail || error.title);
      location.hash = '#/signin';
    }
    throw error;
  }
  if (response.status === 204) return null;
  if (as === 'text') return response.text();
  if (as === 'blob') return response.blob();
  if (type.includes('json')) return response.json();
  return response.text();
}
