// Writing answers: JSON/YAML objects, lists and Status failures, on bare node responses (the hot path skips express).
import type { ServerResponse } from 'node:http';
import * as yaml from 'js-yaml';
import { ApiError, internalError } from './errors.ts';
import type { Rendering } from './negotiate.ts';

export function writeJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json', warnings?: readonly string[]): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | number | string[]> = {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
  };
  if (warnings?.length) headers['Warning'] = warnings.map((w) => `299 - "${w.replace(/"/g, '\\"')}"`);
  res.writeHead(code, headers);
  res.end(text);
}

export function writeRendered(res: ServerResponse, code: number, body: unknown, rendering: Rendering, warnings?: readonly string[]): void {
  if (rendering.as === 'object' && rendering.format === 'yaml') {
    const text = yaml.dump(body, { noRefs: true, lineWidth: -1 } as yaml.DumpOptions);
    res.writeHead(code, { 'Content-Type': 'application/yaml', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
    res.end(text);
    return;
  }
  writeJson(res, code, body, 'application/json', warnings);
}

/** The one place a thrown failure becomes a Status on the wire; anything that is not an ApiError is a 500. */
export function writeError(res: ServerResponse, e: unknown, log?: (msg: string, err: unknown) => void): void {
  const err = e instanceof ApiError ? e : internalError(e instanceof Error ? e.message : String(e), e);
  if (!(e instanceof ApiError)) log?.('internal error', e);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  writeJson(res, err.code, err.toStatus());
}
