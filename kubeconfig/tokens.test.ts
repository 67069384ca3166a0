// Tests for the static token file: upstream's CSV format, round trips, errors, and the admin token.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { csvField, parseCsv } from './csv.ts';
import { addToken, ensureTokenFile, formatTokenLine, loadTokenFile, parseTokenFile, type TokenEntry } from './tokens.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tskube-tokens-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('parseCsv', () => {
  it.each([
    ['plain fields', 'a,b,c\n', [['a', 'b', 'c']]],
    ['a quoted field with commas', 'a,b,c,"g1,g2"\n', [['a', 'b', 'c', 'g1,g2']]],
    ['doubled quotes inside quotes', '"x""y",b\n', [['x"y', 'b']]],
    ['a quoted field spanning lines', '"a\nb",c\n', [['a\nb', 'c']]],
    ['CRLF line ends', 'a,b\r\nc,d\r\n', [['a', 'b'], ['c', 'd']]],
    ['a last line without newline', 'a,b', [['a', 'b']]],
    ['empty lines skipped', '\n\na,b\n\n', [['a', 'b']]],
    ['spaces kept', ' a , b ', [[' a ', ' b ']]],
    ['a trailing comma as an empty field', 'a,', [['a', '']]],
    ['an empty quoted field', '"",x', [['', 'x']]],
  ])('reads %s as Go does', (_label, text, want) => {
    expect(parseCsv(text).map((r) => r.fields)).toEqual(want);
  });

  it('reports the line each record started on', () => {
    expect(parseCsv('\na\n"b\nc"\nd\n').map((r) => r.line)).toEqual([2, 3, 5]);
  });

  it.each([
    ['a bare quote', 'ok,1,2\nab"c,d\n', 'parse error on line 2, column 3: bare " in non-quoted-field'],
    ['text after a closing quote', '"ab"c,d\n', 'parse error on line 1, column 5: extraneous or missing " in quoted-field'],
    ['an unterminated quote', 'x\n"ab\ncd\n', 'record on line 2; parse error on line 3, column 4: extraneous or missing " in quoted-field'],
  ])('rejects %s with Go\'s message', (_label, text, message) => {
    expect(() => parseCsv(text)).toThrow(message);
  });

  it.each([
    ['plain', 'abc', 'abc'],
    ['with a comma', 'a,b', '"a,b"'],
    ['with a quote', 'a"b', '"a""b"'],
    ['with a leading space', ' a', '" a"'],
    ['empty', '', ''],
  ])('quotes a %s field only when needed', (_label, value, want) => {
    expect(csvField(value)).toBe(want);
    expect(parseCsv(`${want},x`)[0]?.fields[0]).toBe(value);
  });
});

describe('parseTokenFile', () => {
  it('reads tokens, users, uids and groups in upstream\'s format', () => {
    const text = [
      'tok1,admin,admin,system:masters',
      'tok2,alice,1001,"dev,ops"',
      'tok3,bob,1002',
      '',
      'tok4,carol,1003,,extra-column-ignored',
    ].join('\n');
    const tokens = parseTokenFile(text);
    expect(Object.fromEntries(tokens)).toEqual({
      tok1: { user: 'admin', uid: 'admin', groups: ['system:masters'] },
      tok2: { user: 'alice', uid: '1001', groups: ['dev', 'ops'] },
      tok3: { user: 'bob', uid: '1002', groups: [] },
      tok4: { user: 'carol', uid: '1003', groups: [''] },
    });
  });

  it('skips a record with an empty token and lets a later duplicate win, as upstream does', () => {
    const tokens = parseTokenFile(',nobody,0\nt,first,1\nt,second,2\n');
    expect([...tokens.keys()]).toEqual(['t']);
    expect(tokens.get('t')?.user).toBe('second');
  });

  it.each([
    ['too few columns', 'a,b,c\nonly,two\n', "token file 'x.csv' must have at least 3 columns (token, user name, user uid), found 2 on line 2"],
    ['a whitespace-only line', 'a,b,c\n  \n', 'found 1 on line 2'],
    ['a bare quote', 'a,b,c\nt,u"x,1\n', "token file 'x.csv': parse error on line 2, column 4: bare \" in non-quoted-field"],
  ])('rejects a file with %s, naming the line', (_label, text, message) => {
    expect(() => parseTokenFile(text, 'x.csv')).toThrow(message);
  });
});

describe('formatTokenLine and addToken', () => {
  const entries: TokenEntry[] = [
    { token: 'abc', user: 'admin', uid: 'admin', groups: ['system:masters'] },
    { token: 'def', user: 'alice', uid: '1', groups: ['a', 'b'] },
    { token: 'ghi', user: 'with "quote", and comma', uid: '2', groups: [] },
  ];

  it('writes upstream\'s line shape, quoting the groups only when there are several', () => {
    expect(entries.map(formatTokenLine)).toEqual(['abc,admin,admin,system:masters', 'def,alice,1,"a,b"', 'ghi,"with ""quote"", and comma",2']);
  });

  it('round-trips entries through the file with mode 0600', () => {
    const path = join(dir, 'tokens.csv');
    for (const e of entries) addToken(path, e);
    const loaded = loadTokenFile(path);
    expect([...loaded].map(([token, who]) => ({ token, ...who }))).toEqual(entries);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('appends after a last line that lacks a newline', () => {
    const path = join(dir, 'tokens.csv');
    writeFileSync(path, 'abc,u,1');
    addToken(path, { token: 'def', user: 'v', uid: '2', groups: [] });
    expect(readFileSync(path, 'utf8')).toBe('abc,u,1\ndef,v,2\n');
  });

  it('refuses a token already in the file', () => {
    const path = join(dir, 'tokens.csv');
    addToken(path, entries[0]!);
    expect(() => addToken(path, { ...entries[0]!, user: 'mallory' })).toThrow(/already holds that token/);
  });

  it.each([
    ['an empty token', { token: '', user: 'u', uid: '1', groups: [] }],
    ['a group with a comma', { token: 't', user: 'u', uid: '1', groups: ['a,b'] }],
    ['an empty group', { token: 't', user: 'u', uid: '1', groups: [''] }],
    ['a line break', { token: 't', user: 'u\nv', uid: '1', groups: [] }],
  ])('refuses an entry with %s', (_label, entry) => {
    expect(() => formatTokenLine(entry)).toThrow();
  });
});

describe('ensureTokenFile', () => {
  it('creates an admin token in system:masters and returns the same one on the next call', () => {
    const first = ensureTokenFile(dir);
    expect(first.path).toBe(join(dir, 'tokens.csv'));
    expect(first.adminToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(loadTokenFile(first.path).get(first.adminToken)).toEqual({ user: 'admin', uid: 'admin', groups: ['system:masters'] });
    expect(statSync(first.path).mode & 0o777).toBe(0o600);
    const second = ensureTokenFile(dir);
    expect(second).toEqual(first);
    expect(readFileSync(first.path, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('adds an admin token to an existing file that has none, keeping the other entries', () => {
    const path = join(dir, 'tokens.csv');
    writeFileSync(path, 'kubelet-token,system:node:n1,n1,system:nodes\n');
    const { adminToken } = ensureTokenFile(dir);
    const tokens = loadTokenFile(path);
    expect(tokens.size).toBe(2);
    expect(tokens.get(adminToken)?.groups).toEqual(['system:masters']);
  });
});
