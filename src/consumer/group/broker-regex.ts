// A JavaScript RegExp subscription as the regular expression a KIP-848 coordinator evaluates (SubscribedTopicRegex).
//
// The broker compiles the expression with RE2/J and matches it against whole topic names. gregor's classic
// protocol tests a pattern the JavaScript way (RegExp.test: a match anywhere in the name), so the same subscription
// selects the same topics under either protocol: the source is wrapped as `.*(?:source).*` (a sticky /y/ pattern
// must match from the start, so it gets no leading `.*`). Anchors inside the group keep their meaning, as topic
// names hold no line breaks.
//
// RE2 has no backtracking, so JavaScript features that need it (lookahead, lookbehind, backreferences) and flags
// it cannot express are refused here with a ConfigError naming the problem, instead of a broker error later.

import { ConfigError } from '../../errors.js';

/** Inline RE2/J flag groups for the JavaScript flags that change matching. */
const INLINE_FLAGS: Readonly<Record<string, string>> = { i: 'i', m: 'm', s: 's' };
/** Flags without effect on a whole-name test (g, y handled apart; d only adds indices; u: RE2 is Unicode-aware). */
const IGNORED_FLAGS = new Set(['g', 'd', 'u', 'y']);

function refuse(pattern: RegExp, why: string): never {
  throw new ConfigError(
    `subscribe(${String(pattern)}): with group.protocol=consumer the broker evaluates the pattern with RE2/J, which ${why}`,
    'group.protocol',
  );
}

/** The RE2/J expression the broker must match against whole topic names to select what `pattern.test()` selects. */
export function toBrokerRegex(pattern: RegExp): string {
  let inline = '';
  for (const flag of pattern.flags) {
    if (INLINE_FLAGS[flag] !== undefined) inline += INLINE_FLAGS[flag];
    else if (!IGNORED_FLAGS.has(flag)) refuse(pattern, `has no equivalent of the /${flag}/ flag`);
  }
  const src = pattern.source;
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      const next = src[i + 1] ?? '';
      if (!inClass && /[1-9]/.test(next)) refuse(pattern, 'does not support backreferences (\\1...)');
      if (!inClass && next === 'k' && src[i + 2] === '<') refuse(pattern, 'does not support named backreferences (\\k<name>)');
      if (next === 'u') {
        // \uXXXX and \u{X...} are JavaScript spellings; RE2 writes \x{X...}.
        const braced = /^\{([0-9a-fA-F]{1,6})\}/.exec(src.slice(i + 2));
        const plain = /^[0-9a-fA-F]{4}/.exec(src.slice(i + 2));
        if (braced !== null) {
          out += `\\x{${braced[1]}}`;
          i += 2 + braced[0].length - 1;
          continue;
        }
        if (plain !== null) {
          out += `\\x{${plain[0]}}`;
          i += 5;
          continue;
        }
      }
      if (next === 'c') refuse(pattern, 'does not support control escapes (\\cX)');
      out += c + next;
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      // JavaScript's [^] (any character) and [] (nothing) are not RE2 syntax.
      if (src.startsWith('[^]', i)) {
        out += '[\\s\\S]';
        i += 2;
        continue;
      }
      if (src.startsWith('[]', i)) refuse(pattern, 'does not accept the empty class []');
      inClass = true;
      out += c;
      if (src[i + 1] === '^') {
        out += '^';
        i++;
      }
      // A ']' right after '[' or '[^' is a literal in RE2 but closes the class in JavaScript (handled above).
      continue;
    }
    if (c === '(' && src[i + 1] === '?') {
      const rest = src.slice(i + 2);
      if (rest.startsWith('=') || rest.startsWith('!')) refuse(pattern, 'does not support lookahead ((?= and (?!)');
      if (rest.startsWith('<=') || rest.startsWith('<!')) refuse(pattern, 'does not support lookbehind ((?<= and (?<!)');
      if (rest.startsWith('<')) {
        out += '(?P<';
        i += 2;
        continue;
      }
    }
    out += c;
  }
  const sticky = pattern.flags.includes('y');
  return `${inline === '' ? '' : `(?${inline})`}${sticky ? '' : '.*'}(?:${out}).*`;
}
