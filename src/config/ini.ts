// The INI dialect of the hands-on config.ini, read the way Python's configparser (which the hands-on uses) reads
// it, so a file that works there works here:
//   [default]                      section headers; names matched case-insensitively
//   bootstrap.servers=host:9092    `key=value`, `key = value` or `key: value`; the key ends at the first = or :
//   # comment / ; comment          whole-line comments only: "value # note" keeps "# note", as in Python
//   ssl.ca.pem = -----BEGIN ...    an indented line continues the previous value (joined with "\n")
//     MIIB...
// Keys are lower-cased (configparser's default). Differences, on purpose: values are taken literally (no
// %(name)s interpolation, so a password with % works), and an empty line ends a multi-line value.
// Duplicate sections or keys are errors, as with configparser's default strict mode.

import { ConfigError } from '../errors.js';

export interface FileEntry {
  readonly key: string;
  readonly value: string;
  /** 1-based line where the entry starts. */
  readonly line: number;
}

export interface IniSection {
  /** The name as written. */
  readonly name: string;
  readonly line: number;
  readonly entries: FileEntry[];
}

interface MutableEntry { key: string; value: string; line: number }

const KEY_VALUE = /^(.*?)\s*[=:]\s*(.*)$/;

/** Parses INI text; `where` names the file in errors. Sections are returned in file order. */
export function parseIni(text: string, where: string): IniSection[] {
  const sections: Array<{ name: string; line: number; entries: MutableEntry[] }> = [];
  const seenSections = new Map<string, number>();
  let current: (typeof sections)[number] | undefined;
  let seenKeys = new Map<string, number>();
  let last: MutableEntry | undefined;
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i];
    const stripped = raw.trim();
    if (stripped === '') { last = undefined; continue; }
    if (stripped.startsWith('#') || stripped.startsWith(';')) continue;
    if (last !== undefined && /^\s/.test(raw)) {
      last.value = last.value === '' ? stripped : `${last.value}\n${stripped}`;
      continue;
    }
    last = undefined;
    if (stripped.startsWith('[')) {
      if (!stripped.endsWith(']')) throw new ConfigError(`${where}:${lineNo}: a section header must end with ']'`);
      const name = stripped.slice(1, -1).trim();
      if (name === '') throw new ConfigError(`${where}:${lineNo}: empty section name`);
      const previous = seenSections.get(name.toLowerCase());
      if (previous !== undefined) {
        throw new ConfigError(`${where}:${lineNo}: section [${name}] already started at line ${previous}`);
      }
      seenSections.set(name.toLowerCase(), lineNo);
      current = { name, line: lineNo, entries: [] };
      sections.push(current);
      seenKeys = new Map();
      continue;
    }
    if (current === undefined) {
      throw new ConfigError(`${where}:${lineNo}: property outside any section; start the file with a header such as [default]`);
    }
    const m = KEY_VALUE.exec(stripped);
    if (m === null) throw new ConfigError(`${where}:${lineNo}: expected key = value`);
    const key = m[1].trim().toLowerCase();
    if (key === '') throw new ConfigError(`${where}:${lineNo}: a property name is missing before '='`);
    const previous = seenKeys.get(key);
    if (previous !== undefined) {
      throw new ConfigError(`${where}:${lineNo}: ${key} is already set in [${current.name}] at line ${previous}`, key);
    }
    seenKeys.set(key, lineNo);
    last = { key, value: m[2], line: lineNo };
    current.entries.push(last);
  }
  return sections;
}
