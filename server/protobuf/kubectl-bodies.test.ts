import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeKubeProtobuf } from './decode.ts';

/**
 * Request bodies recorded from real kubectl: each protobuf body is what kubectl 1.33 sent for the command, and
 * `json` is what kubectl 1.31 sent (as JSON) for the same command. The decoder must turn the first into the second.
 */
const cases = JSON.parse(readFileSync(new URL('./testdata/kubectl-bodies.json', import.meta.url), 'utf8')) as { command: string; request: string; protobuf: string; json: unknown }[];

describe('kubectl 1.33 protobuf bodies decode to what kubectl 1.31 sends as JSON', () => {
  it.each(cases.map((c) => [c.command, c.request, c] as const))('%s (%s)', (_command, _request, c) => {
    expect(decodeKubeProtobuf(Buffer.from(c.protobuf, 'base64'))).toStrictEqual(c.json);
  });
});
