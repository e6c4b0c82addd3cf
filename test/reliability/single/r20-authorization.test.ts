// R20 authorization (../shared/notes/reliability.md), on the project's secured node (scripts/kafka.mjs start
// --secure: StandardAuthorizer, an unprivileged PLAIN user), through the Consumer and the Admin:
//   - topic READ missing, group READ missing (classic and KIP-848 groups): the typed error naming the resource
//     within a second of the first poll; in the 3 s of polling after it, no more than a handful of requests (counted
//     in the broker's own request log); nothing committed
//   - cluster DESCRIBE missing (the admin's broker configs): ClusterAuthorizationError within a second
//   - READ granted afterwards: a new consumer of the same group reads every record and commits the end.
// The feature tests with the individual paths (assign + Fetch, OffsetFetch, producer, admin) are
// test/integration/consumer/authorization.test.ts and test/integration/producer/authorization.test.ts.
import { test } from 'node:test';
import {
  Admin, ClusterAuthorizationError, Consumer, GroupAuthorizationError, TopicAuthorizationError, type AuthorizationError,
} from '../../../src/index.js';
import { uniqueName } from '../../integration/helpers/kafka.js';
import {
  acl, asAdmin, asReader, createSecureTopics, ensureSecureKafka, produceAsAdmin, requestLogMark, requestsSince,
} from '../../integration/helpers/secure-kafka.js';
import { finish } from '../report.js';

const READER = 'gregor-reader';
const RECORDS = 200;
// Connection setup, Metadata, FindCoordinator and the refused request, with a membership's own follow-ups: a retry
// storm would be hundreds in 3 s.
const HANDFUL = 16;

async function committedAsAdmin(group: string): Promise<bigint[]> {
  const admin = new Admin({ ...asAdmin(), 'gregor.log.level': 'error' });
  try {
    return (await admin.listGroupOffsets(group)).map((o) => o.offset);
  } finally {
    await admin.close();
  }
}

for (const protocol of ['classic', 'consumer'] as const) {
  for (const missing of ['topic', 'group'] as const) {
    test(`R20 ${missing} READ missing (${protocol}): typed error within 1 s, a handful of requests, nothing committed; granted, every record`, { timeout: 180_000 }, async () => {
      const started = Date.now();
      ensureSecureKafka();
      const topic = uniqueName(`r20-${missing}`);
      const group = uniqueName(`r20-g-${missing}`);
      await createSecureTopics([topic], 2);
      await produceAsAdmin(topic, RECORDS);
      await acl({ principal: READER, operations: ['Read'], ...(missing === 'topic' ? { groups: [group] } : { topics: [topic] }) });
      const props = {
        ...asReader(), 'group.id': group, 'group.protocol': protocol, 'auto.offset.reset': 'earliest', 'gregor.log.level': 'error',
      } as const;
      const clientId = uniqueName('r20-client');
      const mark = requestLogMark();
      const refused = new Consumer({ ...props, 'client.id': clientId });
      let error: unknown = null;
      let ms = 0;
      let later = 0;
      try {
        refused.subscribe([topic]);
        const t0 = performance.now();
        error = await refused.poll(30_000).then(() => null, (e: unknown) => e);
        ms = performance.now() - t0;
        for (const until = Date.now() + 3000; Date.now() < until;) {
          if (await refused.poll(200).then(() => false, (e: unknown) => e === error)) later++;
        }
      } finally {
        await refused.close();
      }
      const sent = await requestsSince(mark, clientId);
      const commits = sent.filter((r) => r.apiKey === 'OFFSET_COMMIT').length;
      const committedBefore = await committedAsAdmin(group).catch(() => []);

      await acl({ principal: READER, operations: ['Read'], ...(missing === 'topic' ? { topics: [topic] } : { groups: [group] }) });
      const granted = new Consumer({ ...props, 'client.id': `${clientId}-granted`, 'enable.auto.commit': false });
      const seen = new Set<string>();
      try {
        granted.subscribe([topic]);
        for (const deadline = Date.now() + 60_000; seen.size < RECORDS && Date.now() < deadline;) {
          const m = await granted.poll(1000);
          if (m !== null) seen.add(`${m.partition}:${m.offset}`);
        }
        await granted.commit();
      } finally {
        await granted.close();
      }
      const committedAfter = (await committedAsAdmin(group)).reduce((a, b) => a + b, 0n);

      const Expected = missing === 'topic' ? TopicAuthorizationError : GroupAuthorizationError;
      const resources = (error as AuthorizationError | null)?.resources ?? [];
      finish(`R20 ${missing} READ missing (${protocol})`, {
        startedAt: started,
        records: seen.size,
        notes: `${(error as Error | null)?.name}: ${resources.join(',')} after ${ms.toFixed(0)} ms; ${sent.length} requests in all ` +
          `(${[...new Set(sent.map((r) => r.apiKey))].join(' ')}); sticky for ${later} later polls; granted: ${seen.size}/${RECORDS} read`,
        failures: [
          !(error instanceof Expected) && `expected ${Expected.name}, got ${String(error)}`,
          !resources.includes(missing === 'topic' ? topic : group) && `the error does not name the ${missing}: ${String(error)}`,
          ms >= 1000 && `reported after ${ms.toFixed(0)} ms`,
          later === 0 && 'later polls did not reject with the same error',
          sent.length > HANDFUL && `${sent.length} requests after the refusal: a retry storm`,
          (commits > 0 || committedBefore.length > 0) && `committed while refused (${commits} OffsetCommit, offsets ${committedBefore.join(',')})`,
          seen.size !== RECORDS && `after the grant read ${seen.size} of ${RECORDS}`,
          committedAfter !== BigInt(RECORDS) && `after the grant committed ${committedAfter}, expected ${RECORDS}`,
        ],
      });
    });
  }
}

test('R20 cluster DESCRIBE missing (admin broker configs): ClusterAuthorizationError within 1 s', { timeout: 60_000 }, async () => {
  const started = Date.now();
  ensureSecureKafka();
  const admin = new Admin({ ...asReader(), 'gregor.log.level': 'error' });
  let error: unknown = null;
  const t0 = performance.now();
  try {
    await admin.describeConfigs([{ type: 'broker', name: '1' }]);
  } catch (e) {
    error = e;
  } finally {
    await admin.close();
  }
  const ms = performance.now() - t0;
  finish('R20 cluster DESCRIBE missing (admin)', {
    startedAt: started,
    notes: `${(error as Error | null)?.name} (${(error as { code?: string } | null)?.code}) after ${ms.toFixed(0)} ms`,
    failures: [
      !(error instanceof ClusterAuthorizationError) && `expected ClusterAuthorizationError, got ${String(error)}`,
      ms >= 1000 && `reported after ${ms.toFixed(0)} ms`,
    ],
  });
});
