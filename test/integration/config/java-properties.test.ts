// gregor's .properties reader against the real thing: java.util.Properties (the JDK the local Kafka runs on)
// loads the same tricky file, and both must yield the same keys and values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProperties } from '../../../src/config/index.js';

const JAVA_SOURCE = `
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.util.*;
public class DumpProperties {
  static String esc(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (c == '\\\\') b.append("\\\\\\\\");
      else if (c == '\\n') b.append("\\\\n");
      else if (c == '\\r') b.append("\\\\r");
      else if (c == '\\t') b.append("\\\\t");
      else if (c < 0x20 || c > 0x7e) b.append(String.format("\\\\u%04x", (int) c));
      else b.append(c);
    }
    return b.toString();
  }
  public static void main(String[] args) throws IOException {
    Properties p = new Properties();
    try (Reader r = new InputStreamReader(new FileInputStream(args[0]), StandardCharsets.UTF_8)) { p.load(r); }
    for (String k : new TreeSet<>(p.stringPropertyNames())) System.out.println(esc(k) + "=" + esc(p.getProperty(k)));
  }
}
`;

// Same escaping as DumpProperties.esc, so the two outputs compare as text.
function esc(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

const TRICKY = [
  '# comment', '! bang comment', '   # indented comment', '', '  \t  ',
  'plain=value', 'colon:value', 'space value with spaces', 'tabbed\tvalue', 'padded   =   value   ',
  'empty=', 'keyonly', 'eq.in.value=a=b:c', 'colon.then.eq : = x',
  'escaped\\ key\\=with\\:separators = v', 'unicode=\\u0041\\u00e9\\u20ac', 'escapes=tab\\there\\nnewline\\rcr\\ffeed\\\\back',
  'unknown.escape=\\q\\z', 'hash.in.value=a # not a comment', 'bang.in.value=!x',
  'continued=first \\', '    second \\', '\t  third', 'double.backslash.end=ends\\\\', 'after=ok',
  'comment.continuation.does.not.apply=1', '# comment ending in backslash \\', 'next.after.comment=2',
  'sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \\',
  '    username="u" \\', '    password="p\\\\w";',
  'crlf=1\r', 'last.line.continued=end\\',
].join('\n');

test('parseProperties reads files exactly as java.util.Properties does', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gregor-props-'));
  const file = join(dir, 'tricky.properties');
  writeFileSync(file, TRICKY);
  const source = join(dir, 'DumpProperties.java');
  writeFileSync(source, JAVA_SOURCE);
  const java = spawnSync('java', [source, file], { encoding: 'utf8' });
  assert.equal(java.status, 0, `java failed (is a JDK installed? it runs the local Kafka too): ${java.stderr}`);
  // Java's TreeSet orders keys by UTF-16 code units, as JavaScript's < does.
  const ours = parseProperties(TRICKY, file)
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((e) => `${esc(e.key)}=${esc(e.value)}`);
  const theirs = java.stdout.split('\n').filter((l) => l !== '');
  assert.ok(theirs.length > 20, `Java read ${theirs.length} properties`);
  assert.deepEqual(ours, theirs);
});
