// loadConfigFile(): a config file on disk to property strings plus, for each, the file and line it came from,
// ready for resolveConfig(kind, file.values, { origins: file.origins }) so any later error names the line.
//
// Format by extension (.ini/.cfg: INI; .properties/.conf: Java properties), otherwise by content: a file whose
// first meaningful line is a [section] header is INI. For INI, the sections read are [default] then the client's
// own ([consumer], [producer] or [admin]), later ones overriding earlier ones: the hands-on's
// `config = dict(parser['default']); config.update(parser['consumer'])`.

import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { ConfigError } from '../errors.js';
import { parseIni } from './ini.js';
import { isSecretProperty } from './properties.js';
import { parseProperties } from './properties-file.js';
import { Secret } from '../network/secret.js';
import type { ClientKind } from './types.js';

export type ConfigFileFormat = 'ini' | 'properties';

export interface LoadConfigFileOptions {
  /** INI sections to merge, in order (later wins). Default: ['default', kind]. Ignored for .properties files. */
  sections?: readonly string[];
  /** The client the file configures; picks the default INI sections. Default: consumer. */
  kind?: ClientKind;
  /** Force a format instead of guessing from the extension and content. */
  format?: ConfigFileFormat;
}

/** loadConfigFile()'s result: the properties a file holds, before resolveConfig() checks them. */
export interface ConfigFile {
  /** The file read. */
  readonly path: string;
  /** How it was parsed (INI sections or Java properties). */
  readonly format: ConfigFileFormat;
  /**
   * Property name (as written) to value (as written, not yet coerced). Values of secret properties (passwords,
   * sasl.jaas.config, private keys) are already wrapped in a Secret, so printing a loaded file shows none of them.
   */
  readonly values: Readonly<Record<string, string | Secret>>;
  /** Property name to "path:line", for resolveConfig's error messages. */
  readonly origins: Readonly<Record<string, string>>;
  /** INI sections that were merged (empty for .properties). */
  readonly sections: readonly string[];
}

/** "no such file or directory (ENOENT)" from a Node fs error, without Node's "open 'path'" suffix. */
function osReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const m = typeof e?.message === 'string' ? /^[A-Z0-9_]+: ([^,]+)/.exec(e.message) : null;
  if (m !== null && e.code !== undefined) return `${m[1]} (${e.code})`;
  return e?.message ?? String(err);
}

function decode(bytes: Buffer, path: string, format: ConfigFileFormat | undefined): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // java.util.Properties.load(InputStream) reads ISO-8859-1; accept that for .properties files only.
    if (format === 'properties') text = bytes.toString('latin1');
    else throw new ConfigError(`config file ${path} is not UTF-8 text`);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function guessFormat(path: string, text: string): ConfigFileFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.ini' || ext === '.cfg') return 'ini';
  if (ext === '.properties' || ext === '.conf') return 'properties';
  for (const line of text.split(/\r\n|\r|\n/)) {
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';') || t.startsWith('!')) continue;
    return t.startsWith('[') ? 'ini' : 'properties';
  }
  return 'properties';
}

/** Reads and parses a config file. Throws ConfigError naming the path (and line) on any problem. */
export function loadConfigFile(path: string, options: LoadConfigFileOptions = {}): ConfigFile {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${osReason(err)}`, undefined, { cause: err });
  }
  const extFormat = options.format ?? (/\.(properties|conf)$/i.test(path) ? 'properties' : undefined);
  const text = decode(bytes, path, extFormat);
  const format = options.format ?? guessFormat(path, text);
  const values: Record<string, string | Secret> = {};
  const origins: Record<string, string> = {};
  const put = (key: string, value: string, line: number) => {
    values[key] = isSecretProperty(key) ? new Secret(value) : value;
    origins[key] = `${path}:${line}`;
  };

  if (format === 'properties') {
    for (const entry of parseProperties(text, path)) put(entry.key, entry.value, entry.line);
    return Object.freeze({ path, format, values: Object.freeze(values), origins: Object.freeze(origins), sections: [] });
  }

  const wanted = options.sections ?? ['default', options.kind ?? 'consumer'];
  const sections = parseIni(text, path);
  const used: string[] = [];
  for (const name of wanted) {
    const section = sections.find((s) => s.name.toLowerCase() === name.toLowerCase());
    if (section === undefined) continue;
    used.push(section.name);
    for (const entry of section.entries) put(entry.key, entry.value, entry.line);
  }
  if (used.length === 0) {
    const found = sections.length === 0 ? 'none' : sections.map((s) => `[${s.name}]`).join(', ');
    throw new ConfigError(`config file ${path} has no ${wanted.map((s) => `[${s}]`).join(' or ')} section (found: ${found})`);
  }
  return Object.freeze({ path, format, values: Object.freeze(values), origins: Object.freeze(origins), sections: Object.freeze(used) });
}
