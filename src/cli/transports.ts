// The libraries the CLI talks to a gateway with, loaded on first use (client.ts).
export { Agent, fetch } from 'undici';
export { createClient as createSseClient } from 'graphql-sse';
export { createClient as createWsClient } from 'graphql-ws';
export { default as WebSocket } from 'ws';
