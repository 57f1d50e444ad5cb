import type { Plugin } from 'graphql-yoga';

/** Media types a cross-site page can POST without a CORS preflight (forms, text/plain beacons). */
const SIMPLE_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];
/** Any of these shows the request was preflighted (a browser cannot add them cross-site without CORS). */
export const PREFLIGHT_HEADERS = ['x-graphql-yoga-csrf', 'x-requested-with', 'apollo-require-preflight'];

const json = (status: number, message: string, code: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ errors: [{ message, extensions: { code } }] }), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } });

/**
 * CSRF: a POST a cross-site page could send without a preflight (a form post, text/plain) needs a
 * preflight header; JSON POSTs are preflighted by browsers anyway. GET needs nothing: it cannot
 * run a mutation (405), and queries and subscriptions change nothing — so EventSource and
 * GraphiQL's subscriptions work. A POST without any Content-Type is told so.
 */
export function useCsrfPrevention(): Plugin {
  return {
    onRequest({ request, endResponse }) {
      if (request.method !== 'POST') return;
      const type = request.headers.get('content-type');
      if (!type) {
        endResponse(json(415, 'Missing Content-Type header: send the operation as application/json', 'BAD_REQUEST', { accept: 'application/json' }));
        return;
      }
      const media = type.split(';')[0]!.trim().toLowerCase();
      if (!SIMPLE_TYPES.includes(media)) return;
      if (PREFLIGHT_HEADERS.some((h) => request.headers.has(h))) return;
      endResponse(
        json(403, `A ${media} POST needs one of the headers ${PREFLIGHT_HEADERS.join(', ')} (CSRF protection); or send application/json`, 'FORBIDDEN'),
      );
    },
  };
}
