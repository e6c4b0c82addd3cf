// Reading Java's `sasl.jaas.config` line, so a Java client.properties file works unchanged:
//   org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="secret";
//
// The grammar is the JAAS configuration file's, restricted as Kafka restricts it to exactly one login module:
//   <module class> <control flag> (<option>=<value>)* ;
// Values are bare words or strings quoted with " or ' (backslash escapes inside quotes). The whole line is a
// secret, so errors give positions and option names, never a value.

import { ConfigError } from '../errors.js';
import { Secret } from '../network/secret.js';

export interface JaasLogin {
  /** The login module class, e.g. org.apache.kafka.common.security.plain.PlainLoginModule. */
  readonly loginModule: string;
  /** The SASL mechanism the module implies, when it implies exactly one. */
  readonly mechanism: 'PLAIN' | 'OAUTHBEARER' | undefined;
  /** Mechanisms the module can be used with. */
  readonly mechanisms: readonly string[];
  readonly username: string | undefined;
  readonly password: Secret | undefined;
  /** Names of options gregor does not use (reported as a warning by the resolver). */
  readonly unusedOptions: readonly string[];
}

const MODULES: Record<string, { mechanisms: string[]; options: string[] }> = {
  'org.apache.kafka.common.security.plain.PlainLoginModule': { mechanisms: ['PLAIN'], options: ['username', 'password'] },
  'org.apache.kafka.common.security.scram.ScramLoginModule': {
    mechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-512'], options: ['username', 'password'],
  },
  // Token values come from sasl.oauthbearer.token.provider; the module's own options configure Java's
  // unsecured-token or HTTP token retrieval, which gregor leaves to the provider function.
  'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule': { mechanisms: ['OAUTHBEARER'], options: [] },
};

const UNSUPPORTED_MODULES: Record<string, string> = {
  'com.sun.security.auth.module.Krb5LoginModule': 'Kerberos (GSSAPI) is not supported by gregor',
};

const FLAGS = new Set(['required', 'requisite', 'sufficient', 'optional']);

// Option names that may be shown in messages. Any other "name" could be half of an unquoted password that
// contains a space (password=abc def), so it is described by position only.
const SHOWABLE_OPTIONS = new Set([
  'username', 'password', 'tokenauth', 'unsecuredLoginStringClaim_sub', 'unsecuredLoginLifetimeSeconds',
  'clientId', 'clientSecret', 'scope', 'debug', 'serviceName', 'useKeyTab', 'keyTab', 'principal', 'storeKey',
]);

function optionLabel(t: Token): string {
  return SHOWABLE_OPTIONS.has(t.text) ? `option ${t.text}` : `the option at character ${t.at + 1}`;
}
const CLASS_NAME = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)+$/;

type Token = { kind: 'word' | 'quoted' | 'punct'; text: string; at: number };

function fail(message: string): ConfigError {
  return new ConfigError(`sasl.jaas.config: ${message}`, 'sasl.jaas.config');
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === '=' || c === ';') { tokens.push({ kind: 'punct', text: c, at: i }); i++; continue; }
    if (c === '"' || c === "'") {
      const start = i;
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw fail(`unterminated quoted string starting at character ${start + 1}`);
        const d = text[i];
        if (d === c) { i++; break; }
        if (d === '\\' && i + 1 < text.length) {
          const e = text[i + 1];
          value += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
          i += 2;
          continue;
        }
        value += d;
        i++;
      }
      tokens.push({ kind: 'quoted', text: value, at: start });
      continue;
    }
    const start = i;
    while (i < text.length && !/[\s=;"']/.test(text[i])) i++;
    tokens.push({ kind: 'word', text: text.slice(start, i), at: start });
  }
  return tokens;
}

function unused(options: Map<string, string>, used: string[]): string[] {
  const names = [...options.keys()].filter((k) => !used.includes(k));
  const shown = names.filter((k) => SHOWABLE_OPTIONS.has(k));
  const hidden = names.length - shown.length;
  if (hidden > 0) shown.push(hidden === 1 ? '1 other option' : `${hidden} other options`);
  return shown;
}

/** Parses a sasl.jaas.config value (given as a Secret or a string). Throws ConfigError without the value. */
export function parseJaasConfig(input: Secret | string): JaasLogin {
  const text = typeof input === 'string' ? input : input.reveal();
  const tokens = tokenize(text);
  let pos = 0;
  const at = (t: Token | undefined) => (t === undefined ? 'at the end' : `at character ${t.at + 1}`);

  const moduleToken = tokens[pos++];
  if (moduleToken === undefined) throw fail('is empty');
  if (moduleToken.kind !== 'word' || !CLASS_NAME.test(moduleToken.text)) {
    throw fail('expected a login module class name (e.g. org.apache.kafka.common.security.plain.PlainLoginModule) first');
  }
  const loginModule = moduleToken.text;
  const flagToken = tokens[pos++];
  if (flagToken === undefined || flagToken.kind !== 'word' || !FLAGS.has(flagToken.text.toLowerCase())) {
    throw fail(`expected a control flag (required, requisite, sufficient or optional) after the login module, ${at(flagToken)}`);
  }
  const options = new Map<string, string>();
  for (;;) {
    const t = tokens[pos++];
    if (t === undefined) break; // a missing final ';' is forgiven: there is only one module anyway
    if (t.kind === 'punct' && t.text === ';') {
      if (pos < tokens.length) throw fail(`only one login module is allowed; found more after the ';' ${at(tokens[pos])}`);
      break;
    }
    if (t.kind !== 'word') throw fail(`expected an option name ${at(t)}`);
    const eq = tokens[pos++];
    if (eq === undefined || eq.kind !== 'punct' || eq.text !== '=') throw fail(`expected '=' after ${optionLabel(t)} ${at(eq)}`);
    const value = tokens[pos++];
    if (value === undefined || value.kind === 'punct') throw fail(`expected a value for ${optionLabel(t)} ${at(value)}`);
    if (options.has(t.text)) throw fail(`${optionLabel(t)} is given twice`);
    options.set(t.text, value.text);
  }

  const unsupported = UNSUPPORTED_MODULES[loginModule];
  if (unsupported !== undefined) throw fail(`${loginModule}: ${unsupported}`);
  const known = MODULES[loginModule];
  if (known === undefined) {
    throw fail(`unknown login module ${loginModule}; gregor understands ${Object.keys(MODULES).join(', ')}`);
  }
  const username = options.get('username');
  const password = options.get('password');
  return {
    loginModule,
    mechanisms: known.mechanisms,
    mechanism: known.mechanisms.length === 1 ? (known.mechanisms[0] as 'PLAIN' | 'OAUTHBEARER') : undefined,
    username: known.options.includes('username') ? username : undefined,
    password: known.options.includes('password') && password !== undefined ? new Secret(password) : undefined,
    unusedOptions: unused(options, known.options),
  };
}
