// The secured node of the project's Kafka (`node scripts/kafka.mjs start --secure`): StandardAuthorizer with ACLs,
// PLAIN users on a SASL_SSL listener, client certificates required on an SSL listener. Started on demand by the
// tests that need it (a separate JVM on its own ports; the shared open broker is never touched), stopped by .ci/run.
//
// - ensureSecureKafka(): starts it if needed (idempotent, under kafka.mjs's lock) and returns addresses, users,
//   certificate files.
// - acl(): grants or removes ACLs with Kafka's own AclCommand as the super user (one JVM per call).
// - asAdmin() / asReader() / viaMtls(): gregor client properties for each identity.
// - requestsSince(): the broker's own request log (every request with API, client id and principal), to count what
//   a client sent.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Admin, Producer } from '../../../src/index.js';
import { ROOT, kafkaTool } from './kafka.js';

export interface SecureUser {
  username: string;
  password: string;
}

export interface SecureKafkaEnv {
  /** SASL_SSL (PLAIN) bootstrap, e.g. "127.0.0.1:9102". */
  saslSslBootstrap: string;
  /** SSL with ssl.client.auth=required, e.g. "127.0.0.1:9104". */
  mtlsBootstrap: string;
  caFile: string;
  /** admin is a super user; reader has no ACL until a test grants one. */
  users: { admin: SecureUser; reader: SecureUser };
  mtls: {
    /**
     * The principal the listener derives from client.pem (User:<principal>); no ACLs until granted. Never grant it
     * WRITE: the idempotence refusal (test/integration/producer/authorization.test.ts) needs a principal without
     * WRITE on any topic (KIP-679).
     */
    principal: string;
    certificate: string;
    key: string;
    /** The same key, encrypted with keyPassword (ssl.key.password). */
    encryptedKey: string;
    keyPassword: string;
    /** A matching certificate and key signed by a CA the broker does not trust. */
    foreignCertificate: string;
    foreignKey: string;
  };
  /** kafka-tool --command-config for the super user (relative to the repository root). */
  adminConfig: string;
  nodes: { id: number; pid: number | null; saslSsl: number; ssl: number; log: string; requestLog: string; dataDir: string }[];
}

let env: SecureKafkaEnv | undefined;

export function ensureSecureKafka(): SecureKafkaEnv {
  if (env === undefined) {
    let out: string;
    try {
      out = execFileSync(process.execPath, [join(ROOT, 'scripts', 'kafka.mjs'), 'start', '--secure', '--json'], {
        cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10 * 60_000,
      });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`could not start the secured Kafka (node scripts/kafka.mjs start --secure):\n${err.stderr ?? err.message}`);
    }
    const line = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
    if (line === undefined) throw new Error(`kafka.mjs start --secure --json printed no JSON:\n${out}`);
    env = JSON.parse(line) as SecureKafkaEnv;
  }
  return env;
}

const sasl = (e: SecureKafkaEnv, u: SecureUser) => ({
  'bootstrap.servers': e.saslSslBootstrap,
  'security.protocol': 'SASL_SSL',
  'sasl.mechanism': 'PLAIN',
  'sasl.username': u.username,
  'sasl.password': u.password,
  'ssl.ca.location': e.caFile,
}) as const;

/** Client properties for the super user. */
export function asAdmin(e: SecureKafkaEnv = ensureSecureKafka()) {
  return sasl(e, e.users.admin);
}

/** Client properties for the unprivileged user (User:gregor-reader). */
export function asReader(e: SecureKafkaEnv = ensureSecureKafka()) {
  return sasl(e, e.users.reader);
}

/** Client properties for the mTLS listener with the project CA's client certificate. */
export function viaMtls(e: SecureKafkaEnv = ensureSecureKafka()) {
  return {
    'bootstrap.servers': e.mtlsBootstrap,
    'security.protocol': 'SSL',
    'ssl.ca.location': e.caFile,
    'ssl.certificate.location': e.mtls.certificate,
    'ssl.key.location': e.mtls.key,
  } as const;
}

/** Creates topics as the super user (gregor's own Admin: no JVM). */
export async function createSecureTopics(topics: readonly string[], partitions = 1): Promise<void> {
  const admin = new Admin({ ...asAdmin(), 'gregor.log.level': 'error' });
  try {
    await admin.createTopics(topics.map((topic) => ({ topic, numPartitions: partitions })));
  } finally {
    await admin.close();
  }
}

/** Writes `count` records (keys k0.., values v0..) as the super user. */
export async function produceAsAdmin(topic: string, count: number): Promise<void> {
  const p = new Producer({ ...asAdmin(), 'gregor.log.level': 'error' });
  try {
    await p.sendBatch(Array.from({ length: count }, (_, i) => ({ topic, key: `k${i}`, value: `v${i}` })));
  } finally {
    await p.close();
  }
}

export interface AclSpec {
  principal: string;
  operations: readonly string[];
  topics?: readonly string[];
  groups?: readonly string[];
  transactionalIds?: readonly string[];
  cluster?: boolean;
}

/** Adds (or with remove, removes) ACLs with Kafka's AclCommand as the super user: one JVM per call. */
export async function acl(spec: AclSpec, action: 'add' | 'remove' = 'add'): Promise<void> {
  const e = ensureSecureKafka();
  const args = ['--bootstrap-server', e.saslSslBootstrap, '--command-config', e.adminConfig, `--${action}`,
    '--allow-principal', `User:${spec.principal}`];
  if (action === 'remove') args.push('--force');
  for (const op of spec.operations) args.push('--operation', op);
  for (const t of spec.topics ?? []) args.push('--topic', t);
  for (const g of spec.groups ?? []) args.push('--group', g);
  for (const id of spec.transactionalIds ?? []) args.push('--transactional-id', id);
  if (spec.cluster === true) args.push('--cluster');
  await kafkaTool('acls', args);
  await aclVisible(spec, action === 'add');
}

/**
 * Waits until the broker's own view of the ACLs (DescribeAcls, answered from the authorizer that checks requests)
 * shows the change: AclCommand returns once the controller committed it, and the broker applies the metadata record
 * a moment later, so a request sent at once could still be judged by the old ACLs (seen on a loaded CI machine).
 */
async function aclVisible(spec: AclSpec, present: boolean): Promise<void> {
  const e = ensureSecureKafka();
  const resources = (spec.topics?.length ?? 0) + (spec.groups?.length ?? 0) + (spec.transactionalIds?.length ?? 0) + (spec.cluster === true ? 1 : 0);
  const args = ['--bootstrap-server', e.saslSslBootstrap, '--command-config', e.adminConfig, '--list', '--principal', `User:${spec.principal}`];
  for (const t of spec.topics ?? []) args.push('--topic', t);
  for (const g of spec.groups ?? []) args.push('--group', g);
  for (const id of spec.transactionalIds ?? []) args.push('--transactional-id', id);
  if (spec.cluster === true) args.push('--cluster');
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { stdout } = await kafkaTool('acls', args);
    const shown = spec.operations.every((op) => {
      const lines = stdout.split('\n').filter((l) => l.includes(`principal=User:${spec.principal},`) && l.toUpperCase().replace(/_/g, '').includes(`OPERATION=${op.toUpperCase()},`));
      return present ? lines.length >= resources : lines.length === 0;
    });
    if (shown) return;
    if (Date.now() > deadline) throw new Error(`ACL ${present ? 'add' : 'remove'} not visible at the broker within 30 s: ${JSON.stringify(spec)}\n${stdout}`);
  }
}

/** A position in the broker's request log; requestsSince() reads what was logged after it. */
export function requestLogMark(e: SecureKafkaEnv = ensureSecureKafka()): number {
  try {
    return statSync(e.nodes[0].requestLog).size;
  } catch {
    return 0;
  }
}

export interface LoggedRequest {
  apiKey: string;
  clientId: string;
  principal: string;
  response: Record<string, unknown>;
}

/** Requests the broker logged since `mark` from `clientId` (the request logger's "Completed request" lines). */
function readRequests(mark: number, clientId: string, e: SecureKafkaEnv): LoggedRequest[] {
  const text = readFileSync(e.nodes[0].requestLog).subarray(mark).toString('utf8');
  const out: LoggedRequest[] = [];
  for (const line of text.split('\n')) {
    const i = line.indexOf('Completed request:');
    if (i < 0) continue;
    let r: { requestHeader?: { requestApiKeyName?: string; clientId?: string }; principal?: string; response?: Record<string, unknown> };
    try {
      r = JSON.parse(line.slice(i + 'Completed request:'.length)) as typeof r;
    } catch {
      continue; // a line still being written
    }
    if (r.requestHeader?.clientId !== clientId) continue;
    out.push({ apiKey: r.requestHeader.requestApiKeyName ?? '?', clientId, principal: r.principal ?? '?', response: r.response ?? {} });
  }
  return out;
}

/**
 * The requests of `clientId` the broker logged after `mark`, complete: the broker writes a request's "Completed
 * request" line after its response went out, so a client can hold its answer before the line exists (seen under CI
 * load: a Produce counted 0 times). A marker request (a super user's Metadata under client id `<clientId>.marker`),
 * sent after the caller's client is done, is waited for in the log first.
 */
export async function requestsSince(mark: number, clientId: string, e: SecureKafkaEnv = ensureSecureKafka()): Promise<LoggedRequest[]> {
  const markerId = `${clientId}.marker`;
  const admin = new Admin({ ...asAdmin(), 'client.id': markerId, 'gregor.log.level': 'error' });
  try {
    await admin.listTopics();
  } finally {
    await admin.close();
  }
  const deadline = Date.now() + 10_000;
  while (!readRequests(mark, markerId, e).some((r) => r.apiKey === 'METADATA')) {
    if (Date.now() > deadline) throw new Error(`the marker request of ${markerId} never reached ${e.nodes[0].requestLog}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return readRequests(mark, clientId, e);
}
