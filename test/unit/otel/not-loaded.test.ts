// Nothing OpenTelemetry is loaded unless the application imports gregor/otel: a child process records every module
// it resolves (module.registerHooks), imports gregor's main entry point and makes a consumer and a producer; no
// @opentelemetry module is among them. Importing gregor/otel then loads @opentelemetry/api (the control).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = new URL('../../../src/index.js', import.meta.url).href;
const otel = new URL('../../../src/otel/index.js', import.meta.url).href;

const child = `
import { registerHooks } from 'node:module';
const resolved = [];
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); resolved.push(r.url); return r; } });
const { Consumer, Producer } = await import(${JSON.stringify(main)});
const c = new Consumer({ 'bootstrap.servers': '127.0.0.1:1', 'group.id': 'g' });
const p = new Producer({ 'bootstrap.servers': '127.0.0.1:1' });
await Promise.all([c.close(), p.close()]);
const before = resolved.filter((u) => u.includes('@opentelemetry'));
const gregorModules = resolved.filter((u) => u.includes('/dist/src/')).length;
await import(${JSON.stringify(otel)});
const after = resolved.filter((u) => u.includes('@opentelemetry'));
console.log(JSON.stringify({ before, gregorModules, after }));
`;

test('without gregor/otel no @opentelemetry module is loaded; importing gregor/otel loads @opentelemetry/api', () => {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', child], { encoding: 'utf8', cwd: fileURLToPath(new URL('.', import.meta.url)) });
  const { before, gregorModules, after } = JSON.parse(out.trim().split('\n').at(-1)!) as { before: string[]; gregorModules: number; after: string[] };
  assert.ok(gregorModules > 50, `the hook saw gregor's own modules load (${gregorModules})`);
  assert.deepEqual(before, []);
  assert.ok(after.some((u) => u.includes('/@opentelemetry/api/')), JSON.stringify(after));
});
