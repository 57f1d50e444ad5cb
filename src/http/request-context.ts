import { AsyncLocalStorage } from 'node:async_hooks';

/** The GraphQL request an upstream call is made for: its id travels to the vendor as x-request-id. */
export interface RequestScope {
  requestId: string;
}

export const requestScope = new AsyncLocalStorage<RequestScope>();
