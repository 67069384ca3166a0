// The one error type CriClient rejects with: the CRI method, the gRPC status code and the runtime's text.
import { status } from '@grpc/grpc-js';

/** gRPC status codes, by name (NOT_FOUND = 5, DEADLINE_EXCEEDED = 4, UNAVAILABLE = 14, ...). */
export const CriCode = status;
export type CriCode = status;

const codeNames = new Map<number, string>(
  Object.entries(status).filter((e): e is [string, number] => typeof e[1] === 'number').map(([name, code]) => [code, name]),
);

/** Name of a gRPC status code, e.g. 5 → "NOT_FOUND"; unknown numbers give "CODE_<n>". */
export function codeName(code: number): string {
  return codeNames.get(code) ?? `CODE_${code}`;
}

/**
 * A failed CRI call. `code` is the gRPC status: containerd answers NOT_FOUND for unknown ids on
 * status/stop/exec, DEADLINE_EXCEEDED when our deadline (or an ExecSync timeout) passed, UNAVAILABLE
 * when the runtime's socket does not answer, CANCELLED when the caller aborted.
 */
export class CriError extends Error {
  override readonly name = 'CriError';
  readonly method: string;
  readonly code: number;
  readonly details: string;

  constructor(method: string, code: number, details: string, options?: { cause?: unknown }) {
    super(`CRI ${method}: ${codeName(code)}: ${details}`, options);
    this.method = method;
    this.code = code;
    this.details = details;
  }

  get codeName(): string {
    return codeName(this.code);
  }
}

/** True when `e` is a CriError, and of `code` when one is given. */
export function isCriError(e: unknown, code?: number): e is CriError {
  return e instanceof CriError && (code === undefined || e.code === code);
}

/** True for the "no such sandbox/container/image" answer, which callers usually treat as already gone. */
export function isNotFound(e: unknown): boolean {
  return isCriError(e, status.NOT_FOUND);
}

/** Wrap whatever a gRPC call failed with into a CriError (grpc-js errors carry `code` and `details`). */
export function toCriError(method: string, e: unknown): CriError {
  if (e instanceof CriError) return e;
  if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'number') {
    const details = 'details' in e && typeof e.details === 'string' ? e.details : String(e);
    return new CriError(method, e.code, details, { cause: e });
  }
  return new CriError(method, status.UNKNOWN, e instanceof Error ? e.message : String(e), { cause: e });
}
