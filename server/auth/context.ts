// The identity and request of the API call being served, carried implicitly to admission (AsyncLocalStorage).
import { AsyncLocalStorage } from 'node:async_hooks';
import type { UserInfo } from './types.ts';

export interface RequestContext {
  user: UserInfo;
  /** Lower-case verb of the request (create, update, patch, …). */
  verb: string;
  subresource: string;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();

/** Runs fn outside any request context: for server-internal writes triggered while serving (e.g. aggregation). */
export function outsideRequest<T>(fn: () => T): T {
  return requestContext.exit(fn);
}
