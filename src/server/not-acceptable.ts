import type { Plugin } from 'graphql-yoga';

/**
 * Yoga answers 406 with an empty body when no media type in Accept fits the result (a
 * subscription asked for as JSON): say what to ask for instead. Yoga drops the subscription's
 * stream without ending it; it is ended here, or its watch (and the polling of its backend)
 * would live on with nobody to hear it.
 */
export function useClearNotAcceptable(): Plugin {
  return {
    // After Yoga's own hook, which picks the result processor the Accept header allows.
    onResultProcess({ result, resultProcessor }) {
      if (resultProcessor || !result || typeof result !== 'object' || !(Symbol.asyncIterator in result)) return;
      void (result as AsyncIterable<unknown>)[Symbol.asyncIterator]().return?.();
    },
    onResponse({ response, setResponse }) {
      if (response.status !== 406 || response.body !== null) return;
      const offered = response.headers.get('accept') ?? '';
      const message = offered.includes('text/event-stream') && !offered.includes('json')
        ? 'A subscription streams its events: send Accept: text/event-stream (or use the graphql-ws WebSocket)'
        : `None of the media types in Accept can be served; this operation can be sent as: ${offered}`;
      const headers = new Headers(response.headers);
      headers.set('content-type', 'application/json; charset=utf-8');
      setResponse(new Response(JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] }), { status: 406, headers }));
    },
  };
}
