// Java .properties files, read as java.util.Properties.load reads them, so the client.properties files of
// Kafka's tools and Confluent's Java examples work unchanged:
//   - `key=value`, `key:value` or `key value`; whitespace around the separator is ignored;
//   - comment lines start with # or ! (after leading whitespace); blank lines are skipped;
//   - a line ending in an odd number of backslashes continues on the next line, whose leading whitespace is
//     dropped;
//   - escapes: \t \n \r \f, \uXXXX, and a backslash before any other character stands for that character
//     (so `\=`, `\:` and `\ ` put separators in keys).
// Unlike java.util.Properties, a key given twice is an error naming both lines rather than last-one-wins: in a
// hand-edited file that is nearly always a mistake.

import { ConfigError } from '../errors.js';
import type { FileEntry } from './ini.js';

const isBlank = (c: string) => c === ' ' || c === '\t' || c === '\f';

function skipBlanks(s: string, i: number): number {
  while (i < s.length && isBlank(s[i])) i++;
  return i;
}

function endsWithOddBackslashes(s: string): boolean {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

function unescape(s: string, where: string): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '\\') { out += c; continue; }
    const e = s[++i];
    if (e === undefined) break;
    if (e === 'u') {
      const hex = s.slice(i + 1, i + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new ConfigError(`${where}: malformed \\uxxxx escape`);
      out += String.fromCharCode(parseInt(hex, 16));
      i += 4;
    } else {
      out += e === 't' ? '\t' : e === 'n' ? '\n' : e === 'r' ? '\r' : e === 'f' ? '\f' : e;
    }
  }
  return out;
}

function splitLogicalLine(line: string, where: string): { key: string; value: string } {
  let i = 0;
  let keyEnd = -1;
  while (i < line.length) {
    const c = line[i];
    if (c === '\\') { i += 2; continue; }
    if (c === '=' || c === ':' || isBlank(c)) { keyEnd = i; break; }
    i++;
  }
  if (keyEnd === -1) return { key: unescape(line, where), value: '' };
  let v = skipBlanks(line, keyEnd);
  if (line[v] === '=' || line[v] === ':') v = skipBlanks(line, v + 1);
  return { key: unescape(line.slice(0, keyEnd), where), value: unescape(line.slice(v), where) };
}

/** Parses .properties text; `where` names the file in errors. Entries are returned in file order. */
export function parseProperties(text: string, where: string): FileEntry[] {
  const entries: FileEntry[] = [];
  const seen = new Map<string, number>();
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const startLine = i + 1;
    let logical = lines[i].slice(skipBlanks(lines[i], 0));
    if (logical === '' || logical[0] === '#' || logical[0] === '!') continue;
    while (endsWithOddBackslashes(logical)) {
      logical = logical.slice(0, -1);
      if (i + 1 >= lines.length) break;
      i++;
      logical += lines[i].slice(skipBlanks(lines[i], 0));
    }
    const { key, value } = splitLogicalLine(logical, `${where}:${startLine}`);
    if (key === '') throw new ConfigError(`${where}:${startLine}: a property name is missing before the separator`);
    const previous = seen.get(key);
    if (previous !== undefined) {
      throw new ConfigError(`${where}:${startLine}: ${key} is already set at line ${previous}`, key);
    }
    seen.set(key, startLine);
    entries.push({ key, value, line: startLine });
  }
  return entries;
}
