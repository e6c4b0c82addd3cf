// A mixed share group (KIP-932): two gregor ShareConsumers and Kafka's Java ConsoleShareConsumer in one share group
// share the work of a 3-partition topic while records are written: every record is delivered to some member,
// gregor's members and the Java member each get records, and no record is handed out twice with deliveryCount 1
// (a second delivery only follows a release or an expired lock, which raises the count).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Admin, type ShareConsumer, type ShareMessage } from '../../../src/index.js';
import { startJavaShareConsumer, type JavaShareConsumer } from '../helpers/share.js';
import { bootstrap, makeTopic, produceRecords, shareConsumer, shareGroup, until } from './support.js';

const open: ShareConsumer[] = [];
let java: JavaShareConsumer | undefined;
after(async () => {
  await java?.stop();
  for (const c of open) await c.close();
});

test('gregor and Java share consumers in one share group share the work; nothing is lost', { timeout: 120_000 }, async () => {
  const topic = await makeTopic('share-mixed', 3);
  const group = await shareGroup('share-mixed');
  const admin = new Admin({ 'bootstrap.servers': await bootstrap() });
  try {
    java = await startJavaShareConsumer(topic, group, { bootstrap: await bootstrap(), properties: { 'max.poll.records': '50' } });
    const got: { member: string; m: ShareMessage }[] = [];
    const stop = new AbortController();
    const loops = [0, 1].map(async (i) => {
      // Small polls, so that no member takes a whole partition's backlog in one acquisition.
      const c = await shareConsumer(group, { 'max.poll.records': 50 });
      open.push(c);
      c.subscribe([topic]);
      while (!stop.signal.aborted) for (const m of await c.poll(200)) got.push({ member: `gregor-${i}`, m });
    });
    // Every member joined (3 members on 3 partitions) before anything is written, so none starts with the backlog.
    await until('3 members', async () => (await admin.describeShareGroups([group]))[0].members.length === 3, 60_000);
    const N = 3_000;
    for (let round = 0; round < 10; round++) {
      await produceRecords(topic, Array.from({ length: N / 10 }, (_, j) => {
        const i = round * (N / 10) + j;
        return { partition: i % 3, key: null, value: `r${i}` };
      }));
    }
    const all = () => new Set<string | null>([...got.map((g) => g.m.valueString()), ...java!.lines]);
    await until(`all ${N} records delivered`, async () => all().size >= N, 60_000);
    stop.abort();
    await Promise.all(loops);

    const expected = Array.from({ length: N }, (_, i) => `r${i}`);
    const seen = all();
    assert.deepEqual(expected.filter((v) => !seen.has(v)), [], 'records delivered to no member');
    const byGregor = got.filter((g) => g.m.deliveryCount === 1).map((g) => g.m.valueString());
    assert.ok(byGregor.length > 0, 'gregor members got no records');
    assert.ok(java.lines.length > 0, 'the Java member got no records');
    // First deliveries are exclusive: the same record with deliveryCount 1 twice would mean two holders at once.
    assert.equal(new Set(byGregor).size, byGregor.length, 'a record handed out twice by gregor at delivery count 1');
    const javaSet = new Set<string | null>(java.lines);
    const twice = got.filter((g) => g.m.deliveryCount === 1 && javaSet.has(g.m.valueString())).map((g) => g.m.valueString());
    // A record Java printed and gregor also got first-time would be a double hand-out, unless Java's came after a
    // release (Java's console consumer accepts what it prints, so it releases nothing while it runs).
    assert.deepEqual(twice, [], 'records handed to gregor (delivery 1) and to Java');
    const members = new Set(got.map((g) => g.member));
    console.log(`# mixed share group: ${N} records; gregor-0 ${got.filter((g) => g.member === 'gregor-0').length}, gregor-1 ${got.filter((g) => g.member === 'gregor-1').length}, Java ${java.lines.length}; gregor members with work: ${members.size}`);
  } finally {
    await admin.close();
  }
});
