// Socket reads land in the frame being assembled (network/connection.ts: net/tls `onread` -> FrameReader's
// readBuffer()/pushRead()). Fetch responses of ~1 MiB span many socket reads, so most bytes go straight into the frame
// buffer and small responses go through the reused scratch area: every record must come out intact and in order, over
// PLAINTEXT and over SASL_SSL (TLS hands decrypted bytes to the same callback).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Consumer } from '../../../src/index.js';
import { USERS, createTopic, ensureKafka, produce, uniqueName } from '../helpers/kafka.js';
import { drain } from './env.js';

const RECORDS = 48;
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** ~90 KiB of text that differs per record and per position, so a misplaced read shows as a wrong value. */
function valueOf(i: number): string {
  let seed = (i + 1) * 2654435761;
  const out: string[] = [`${i}:`];
  for (let k = 0; k < 90_000; k++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    out.push(LETTERS[seed % LETTERS.length]!);
  }
  return out.join('');
}

test('fetch responses spanning many socket reads arrive intact over PLAINTEXT and SASL_SSL', { timeout: 300_000 }, async () => {
  const env = await ensureKafka();
  const topic = uniqueName('socket-reads');
  await createTopic(topic, 1, { configs: { 'max.message.bytes': String(4 * 1024 * 1024) } });
  const values = Array.from({ length: RECORDS }, (_, i) => valueOf(i));
  // Small records between the big ones: some responses are small (the scratch area), some large (in place).
  const records = values.flatMap((v, i) => [{ key: `k${i}`, value: v }, { key: `s${i}`, value: `small-${i}` }]);
  await produce(topic, records, { lingerMs: 0, properties: { 'max.request.size': String(4 * 1024 * 1024) } });
  const expected = records.map((r) => r.value);
  const listeners: { name: string; props: Record<string, unknown> }[] = [
    { name: 'PLAINTEXT', props: { 'bootstrap.servers': env.bootstrap } },
    {
      name: 'SASL_SSL',
      props: {
        'bootstrap.servers': env.saslSslBootstrap,
        'security.protocol': 'SASL_SSL',
        'sasl.mechanism': 'PLAIN',
        'sasl.username': USERS.PLAIN.username,
        'sasl.password': USERS.PLAIN.password,
        'ssl.ca.location': env.caFile,
      },
    },
  ];
  for (const { name, props } of listeners) {
    const c = new Consumer({ ...props, 'gregor.log.level': 'warn', 'auto.offset.reset': 'earliest', 'max.partition.fetch.bytes': 1024 * 1024 });
    try {
      c.assign([{ topic, partition: 0 }]);
      const got = await drain(c, expected.length, 60_000);
      assert.equal(got.length, expected.length, `${name}: record count`);
      for (let i = 0; i < got.length; i++) {
        assert.equal(got[i]!.offset, BigInt(i), `${name}: offset of record ${i}`);
        // Compared without assert's diff of 90 KiB strings.
        assert.ok(got[i]!.valueString() === expected[i], `${name}: value of record ${i} differs from what was produced`);
      }
    } finally {
      await c.close();
    }
  }
});
