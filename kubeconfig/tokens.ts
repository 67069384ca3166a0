// The static token file in upstream's --token-auth-file format: `token,user,uid,"group1,group2"`.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CsvParseError, csvField, parseCsv } from './csv.ts';
import { SECRET_MODE, writeFileAtomic } from './files.ts';

/** Who a token authenticates as. */
export interface TokenUser {
  user: string;
  uid: string;
  groups: string[];
}

export interface TokenEntry extends TokenUser {
  token: string;
}

export const ADMIN_USER = 'admin';
export const ADMIN_UID = 'admin';
export const ADMIN_GROUP = 'system:masters';

/** A fresh bearer token: 32 random bytes as base64url (43 characters, safe in CSV and HTTP headers). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Parses token-file text exactly as upstream's tokenfile.NewCSV does: Go CSV rules (see parseCsv),
 * at least three columns per record, a record with an empty token skipped, a duplicate token
 * overriding the earlier one, and the fourth column (when present) split on `,` into groups — so an
 * empty fourth column yields one empty group, as upstream. Further columns are ignored.
 * Throws with the file name and line number on a malformed record.
 */
export function parseTokenFile(text: string, path = 'tokens.csv'): Map<string, TokenUser> {
  let records;
  try {
    records = parseCsv(text);
  } catch (e: unknown) {
    if (e instanceof CsvParseError) throw new Error(`token file '${path}': ${e.message}`, { cause: e });
    throw e;
  }
  const tokens = new Map<string, TokenUser>();
  for (const { line, fields } of records) {
    if (fields.length < 3) {
      throw new Error(
        `token file '${path}' must have at least 3 columns (token, user name, user uid), found ${fields.length} on line ${line}`,
      );
    }
    const [token = '', user = '', uid = '', groups] = fields;
    if (token === '') continue;
    tokens.set(token, { user, uid, groups: groups === undefined ? [] : groups.split(',') });
  }
  return tokens;
}

/** Reads and parses a token file (see {@link parseTokenFile}); throws when it cannot be read. */
export function loadTokenFile(path: string): Map<string, TokenUser> {
  return parseTokenFile(readFileSync(path, 'utf8'), path);
}

/**
 * One token-file line for `entry`, quoting fields as Go's csv.Writer does; the groups column is
 * omitted when there are none. Throws when the entry cannot round-trip: an empty token, a group that
 * is empty or contains `,` (upstream splits the column on commas), or a field with a line break.
 */
export function formatTokenLine(entry: TokenEntry): string {
  if (entry.token === '') throw new Error('token must not be empty');
  for (const g of entry.groups) {
    if (g === '' || g.includes(',')) throw new Error(`invalid group ${JSON.stringify(g)}: must be non-empty and contain no comma`);
  }
  const fields = [entry.token, entry.user, entry.uid];
  if (fields.some((f) => /[\r\n]/.test(f)) || entry.groups.some((g) => /[\r\n]/.test(g))) {
    throw new Error('token file fields must not contain line breaks');
  }
  if (entry.groups.length > 0) fields.push(entry.groups.join(','));
  return fields.map(csvField).join(',');
}

/**
 * Appends `entry` to the token file at `path` (created mode 0600 when missing), rewriting it
 * atomically. Throws when the existing file is malformed or already holds the same token, so a
 * token never silently changes owner.
 */
export function addToken(path: string, entry: TokenEntry): void {
  const line = formatTokenLine(entry);
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  if (parseTokenFile(text, path).has(entry.token)) throw new Error(`token file '${path}' already holds that token`);
  const prefix = text === '' || text.endsWith('\n') ? text : `${text}\n`;
  writeFileAtomic(path, `${prefix}${line}\n`, SECRET_MODE);
}

/**
 * Makes sure `<dataDir>/tokens.csv` exists and holds an admin token (user `admin`, uid `admin`, group
 * `system:masters`), creating the file or appending the entry as needed, and returns the path and
 * that token. The same token is returned on every later call: the first admin entry in the file wins.
 */
export function ensureTokenFile(dataDir: string): { path: string; adminToken: string } {
  const path = join(dataDir, 'tokens.csv');
  if (existsSync(path)) {
    for (const [token, who] of loadTokenFile(path)) {
      if (who.user === ADMIN_USER && who.groups.includes(ADMIN_GROUP)) return { path, adminToken: token };
    }
  }
  const adminToken = newToken();
  addToken(path, { token: adminToken, user: ADMIN_USER, uid: ADMIN_UID, groups: [ADMIN_GROUP] });
  return { path, adminToken };
}
