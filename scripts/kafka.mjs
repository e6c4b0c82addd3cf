#!/usr/bin/env node
// The project's own Apache Kafka for tests, the demo and benchmarks: real broker jars from Maven Central, started
// as detached JVMs on 127.0.0.1. No Docker, no downloads at test time once `.kafka/` is filled.
//
//   node scripts/kafka.mjs start [--nodes 1|3] [--json]   start (idempotent; safe to run concurrently)
//   node scripts/kafka.mjs start --secure [--json]         the secured node: ACLs, SASL_SSL users, an mTLS listener
//   node scripts/kafka.mjs start --nodes 3 --no-racks      the cluster without racks (default: rack1..rack3, below)
//   node scripts/kafka.mjs stop [--nodes 1|3] [--clean]   stop what runs (both layouts unless --nodes); --clean wipes data
//   node scripts/kafka.mjs stop --nodes 3 --node N [--kill] stop one node of the cluster (--kill: SIGKILL, a crash)
//   node scripts/kafka.mjs start --nodes 3 --node N         start that node again (its data is kept)
//   node scripts/kafka.mjs status [--json]                what runs, pids, ports, RSS
//   node scripts/kafka.mjs jars                            only download the jars into .kafka/lib
//
// Layout (all under .kafka/, gitignored):
//   lib/                 the jars; lib/kafka-clients-<version>.jar carries the protocol specs (common/message/*.json)
//   tls/                 ca.pem (trust this), server.p12 (broker keystore), their keys
//   tls/clients/         client certificates for the mTLS listener (and a foreign CA's, for refusal tests)
//   single/              the one-node cluster: server.properties, data/, broker.log, broker.pid, telemetry.jsonl
//   telemetry-receiver/  test/telemetry-receiver/*.java compiled (the single node's KIP-714 receiver; needs javac)
//   secure/              the secured node (start --secure), same files
//   cluster/nodeN/       the three-node cluster, N = 1..3, same files per node
//   lock                 held while any start/stop runs, so concurrent test files do not race
//
// Ports derive from GREGOR_KAFKA_PORT_BASE (default 9092), so a second checkout can run beside the first:
//   single node:  PLAINTEXT base, CONTROLLER base+1, SASL_SSL base+2
//   three nodes:  node N: PLAINTEXT base+10000+(N-1)*1000, CONTROLLER +1, SASL_SSL +2   (19092, 20092, 21092 by
//                 default), JMX +3 (the brokers' own metrics, read with Kafka's JmxTool: test/reliability/cluster/jmx.ts)
// Every port stays below 32768, where Linux's ephemeral range starts (ip_local_port_range 32768-60999): a listener
// there can find its port taken by the local end of any outgoing connection. It happened: CI's three-node start
// failed on 39092 (the old node 3) held by a connection, with the single node and its clients busy beside it.
//   secure node:  SASL_SSL base+10, CONTROLLER base+11, SSL with client certificates required base+12
// Heap: 1g for the single node, 384m for the others; GREGOR_KAFKA_HEAP overrides it (e.g. 2g for an own broker with
// GREGOR_KAFKA_DIR and its own port base that holds the 10,000-partition bench topic; never the shared ones).
//
// Racks (three nodes): node N is in rack "rackN" and the brokers run RackAwareReplicaSelector, so a consumer with
// client.rack=rackN is told to fetch from node N when it holds a replica (KIP-392, follower fetching). Clients
// without client.rack read from leaders as before, so this is the default; --no-racks starts the cluster without
// them. The choice is recorded in cluster/racks and kept when one node is started again (--node N).
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync,
  writeSync,
} from 'node:fs';
import { connect, createServer } from 'node:net';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const POM = join(ROOT, 'scripts', 'kafka', 'pom.xml');
// Resolved through a symlink: git worktrees of this repository link their .kafka to one checkout's and so share
// its running broker (the pid check compares the node directory in the JVM's command line).
const KAFKA_DIR = kafkaDir();
function kafkaDir() {
  // GREGOR_KAFKA_DIR: a test's own broker (e.g. R19's, with its own ports) in a directory of its own.
  const dir = process.env.GREGOR_KAFKA_DIR ?? join(ROOT, '.kafka');
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}
const LIB = join(KAFKA_DIR, 'lib');
const TLS = join(KAFKA_DIR, 'tls');
const LOCK = join(KAFKA_DIR, 'lock');
const BROKER_LOG4J = join(ROOT, 'scripts', 'kafka', 'log4j2-broker.properties');
const SECURE_LOG4J = join(ROOT, 'scripts', 'kafka', 'log4j2-secure.properties');
export const KAFKA_VERSION = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(POM, 'utf8'))[1];
export const CLIENTS_JAR = join(LIB, `kafka-clients-${KAFKA_VERSION}.jar`);
const KEYSTORE_PASSWORD = 'gregor-keystore-secret';
// The single node's KIP-714 client telemetry receiver (test/telemetry-receiver): compiled at start when a JDK is
// there, it appends every push the broker accepts to telemetry.jsonl in the node's directory.
const RECEIVER_SRC = join(ROOT, 'test', 'telemetry-receiver');
const RECEIVER_CLASSES = join(KAFKA_DIR, 'telemetry-receiver');
const RECEIVER_CLASS = 'gregor.test.TelemetryReceiver';

// One user per SASL mechanism. Documented in README.md and exported by test/integration/helpers/kafka.ts.
export const USERS = {
  PLAIN: { username: 'plain-user', password: 'plain-secret' },
  'SCRAM-SHA-256': { username: 'scram256-user', password: 'scram256-secret' },
  'SCRAM-SHA-512': { username: 'scram512-user', password: 'scram512-secret' },
};

// SASL mechanisms of the SASL_SSL listener. OAUTHBEARER takes unsecured (unsigned, alg "none") JWTs: see
// serverProperties(); any token with a "sub" and a future "exp" claim is accepted, which is what a test needs.
export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'];

// KIP-368: the broker announces this session lifetime in SaslAuthenticate and closes a connection used after it
// unless the client re-authenticated on it (the Java tools and gregor do). Brokers default to 0 (no lifetime, no
// re-authentication), so without it re-authentication cannot be tested at all. 5 s lets the re-authentication
// tests (test/integration/network/reauth.test.ts) watch several rounds in seconds; SASL_SSL clients that live longer
// simply re-authenticate every ~4.5 s, which also exercises it under the other SASL tests. A client that does not
// implement KIP-368 is disconnected after 5 s on this listener: use PLAINTEXT for those.
export const SASL_SESSION_LIFETIME_MS = 5000;

// The secured node (start --secure): StandardAuthorizer with ACLs, PLAIN users on SASL_SSL, client certificates on
// an SSL listener. `admin` is the super user (and the identity the node's broker and controller use between
// themselves); `reader` and the certificate's principal start with no ACL at all: tests grant what they need with
// `scripts/kafka-tool acls` (config/secure-admin.properties) and see what a refusal looks like before that.
export const SECURE_USERS = {
  admin: { username: 'gregor-admin', password: 'gregor-admin-secret' },
  reader: { username: 'gregor-reader', password: 'gregor-reader-secret' },
};
// The subject CN of tls/clients/client.pem; ssl.principal.mapping.rules makes it the principal User:gregor-mtls-client.
export const MTLS_PRINCIPAL = 'gregor-mtls-client';
// Passphrase of tls/clients/client-encrypted.key (the same key as client.key, encrypted: ssl.key.password).
const CLIENT_KEY_PASSWORD = 'gregor-client-key-secret';

class UsageError extends Error {}
class EnvError extends Error {}

function portBase() {
  const raw = process.env.GREGOR_KAFKA_PORT_BASE ?? '9092';
  const base = Number(raw);
  // Node 3's JMX port is base + 12003; it must stay below Linux's ephemeral range (32768, see the top of the file).
  if (!Number.isInteger(base) || base < 1024 || base > 20000) {
    throw new UsageError(`GREGOR_KAFKA_PORT_BASE must be an integer in 1024..20000, got '${raw}'`);
  }
  return base;
}

/** The nodes of one layout ("single", "cluster" or "secure"): directories and ports. */
function layout(nodes) {
  const base = portBase();
  if (nodes === 'secure') {
    return {
      name: 'secure', dir: join(KAFKA_DIR, 'secure'),
      nodes: [{ id: 1, dir: join(KAFKA_DIR, 'secure'), controller: base + 11, saslSsl: base + 10, ssl: base + 12 }],
    };
  }
  if (nodes === 1) {
    return {
      name: 'single', dir: join(KAFKA_DIR, 'single'),
      nodes: [{ id: 1, dir: join(KAFKA_DIR, 'single'), plaintext: base, controller: base + 1, saslSsl: base + 2 }],
    };
  }
  const list = [1, 2, 3].map((id) => {
    const p = base + 10000 + (id - 1) * 1000;
    return {
      id, dir: join(KAFKA_DIR, 'cluster', `node${id}`),
      plaintext: p, controller: p + 1, saslSsl: p + 2, jmx: p + 3, rack: `rack${id}`,
    };
  });
  return { name: 'cluster', dir: join(KAFKA_DIR, 'cluster'), nodes: list };
}

/** The ports clients connect to (every listener but the controller's). */
function clientPorts(n) {
  return [n.plaintext, n.saslSsl, n.ssl].filter((p) => p !== undefined);
}

function info(l) {
  if (l.name === 'secure') return secureInfo(l);
  return {
    layout: l.name,
    racks: l.nodes.length > 1 && recordedRacks(l) !== false,
    kafkaVersion: KAFKA_VERSION,
    bootstrap: l.nodes.map((n) => `127.0.0.1:${n.plaintext}`).join(','),
    saslSslBootstrap: l.nodes.map((n) => `127.0.0.1:${n.saslSsl}`).join(','),
    caFile: join(TLS, 'ca.pem'),
    clientsJar: CLIENTS_JAR,
    users: USERS,
    saslMechanisms: SASL_MECHANISMS,
    saslSessionLifetimeMs: SASL_SESSION_LIFETIME_MS,
    nodes: l.nodes.map((n) => ({
      id: n.id, pid: readPid(n), plaintext: n.plaintext, controller: n.controller, saslSsl: n.saslSsl,
      jmx: n.jmx ?? null, rack: n.rack !== undefined && recordedRacks(l) !== false ? n.rack : null,
      log: join(n.dir, 'broker.log'), dataDir: join(n.dir, 'data'),
      // Where the KIP-714 receiver writes, when this node runs with one (its server.properties names it).
      telemetryLog: telemetryLogOf(n),
    })),
  };
}

function telemetryLogOf(n) {
  try {
    const m = /^gregor\.telemetry\.receiver\.file=(.*)$/m.exec(readFileSync(join(n.dir, 'server.properties'), 'utf8'));
    return m ? m[1] : null;
  } catch {
    return null;
  }
}

function secureInfo(l) {
  const n = l.nodes[0];
  const clients = join(TLS, 'clients');
  return {
    layout: l.name,
    kafkaVersion: KAFKA_VERSION,
    saslSslBootstrap: `127.0.0.1:${n.saslSsl}`,
    mtlsBootstrap: `127.0.0.1:${n.ssl}`,
    caFile: join(TLS, 'ca.pem'),
    users: SECURE_USERS,
    mtls: {
      principal: MTLS_PRINCIPAL,
      certificate: join(clients, 'client.pem'),
      key: join(clients, 'client.key'),
      encryptedKey: join(clients, 'client-encrypted.key'),
      keyPassword: CLIENT_KEY_PASSWORD,
      // A certificate and key signed by another CA than the one the listener trusts.
      foreignCertificate: join(clients, 'foreign-client.pem'),
      foreignKey: join(clients, 'foreign-client.key'),
    },
    adminConfig: 'config/secure-admin.properties',
    nodes: l.nodes.map((n) => ({
      id: n.id, pid: readPid(n), controller: n.controller, saslSsl: n.saslSsl, ssl: n.ssl,
      log: join(n.dir, 'broker.log'), requestLog: join(n.dir, 'requests.log'), dataDir: join(n.dir, 'data'),
    })),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Environment checks

function javaBin() {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

function checkJava() {
  const r = spawnSync(javaBin(), ['-version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new EnvError(
      `Java not found (tried '${javaBin()}'): Kafka ${KAFKA_VERSION} needs Java 17 or newer.\n` +
      '  Install a JDK or JRE >= 17, e.g. `apt-get install openjdk-17-jre-headless` or https://adoptium.net, ' +
      'and put `java` on PATH (or set JAVA_HOME).');
  }
  const m = /version "(\d+)(?:\.(\d+))?/.exec(r.stderr + r.stdout);
  const major = m ? (m[1] === '1' ? Number(m[2]) : Number(m[1])) : NaN;
  if (!(major >= 17)) {
    throw new EnvError(`Java ${m ? m[0] : '(unknown version)'} found, but Kafka ${KAFKA_VERSION} needs Java 17 or newer.`);
  }
}

function checkTool(cmd, args, what) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new EnvError(`${cmd} not found: ${what}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Jars

function jarsStamp() {
  // Re-download when the pom changes (a version bump), not on every start.
  return createHash('sha256').update(readFileSync(POM)).digest('hex');
}

export function jarsReady() {
  try {
    return readFileSync(join(LIB, '.complete'), 'utf8') === jarsStamp() && existsSync(CLIENTS_JAR);
  } catch {
    return false;
  }
}

function ensureJars(log) {
  if (jarsReady()) return;
  checkTool('mvn', ['-v'], 'Maven downloads the Kafka jars once. Install Apache Maven 3.6+ ' +
    '(`apt-get install maven` or https://maven.apache.org/download.cgi) and put `mvn` on PATH.');
  log(`downloading Apache Kafka ${KAFKA_VERSION} jars with Maven into ${LIB} ...`);
  const t0 = Date.now();
  const tmp = `${LIB}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const args = ['-B', '-q', '-f', POM, 'dependency:copy-dependencies', '-DincludeScope=runtime',
    // An absolute path: Maven resolves a relative one against the pom's folder, not the current directory.
    `-DoutputDirectory=${tmp}`];
  if (process.env.GREGOR_MAVEN_REPO_LOCAL) args.push(`-Dmaven.repo.local=${process.env.GREGOR_MAVEN_REPO_LOCAL}`);
  const r = spawnSync('mvn', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0 || !existsSync(join(tmp, `kafka-clients-${KAFKA_VERSION}.jar`))) {
    rmSync(tmp, { recursive: true, force: true });
    throw new EnvError(`Maven could not fetch the Kafka jars (exit ${r.status}):\n${tail(r.stdout + r.stderr, 30)}`);
  }
  writeFileSync(join(tmp, '.complete'), jarsStamp());
  rmSync(LIB, { recursive: true, force: true });
  renameSync(tmp, LIB);
  log(`jars ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (${readdirSync(LIB).length - 1} files)`);
}

// ---------------------------------------------------------------------------------------------------------------
// TLS material

function ensureTls(log) {
  if (existsSync(join(TLS, 'server.p12')) && existsSync(join(TLS, 'ca.pem'))) return;
  checkTool('openssl', ['version'], 'openssl generates the test CA and server certificate. Install OpenSSL ' +
    '(`apt-get install openssl`).');
  const tmp = `${TLS}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const run = (args) => {
    const r = spawnSync('openssl', args, { cwd: tmp, encoding: 'utf8' });
    if (r.status !== 0) throw new EnvError(`openssl ${args[0]} failed:\n${tail(r.stdout + r.stderr, 20)}`);
  };
  // A CA of our own that tests trust explicitly: clients keep certificate verification on.
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '3650',
    '-subj', '/CN=gregor test CA', '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  // The IP SAN is what a client connecting to 127.0.0.1 checks; DNS:localhost covers 'localhost'.
  writeFileSync(join(tmp, 'server.ext'), [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '',
  ].join('\n'));
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial',
    `0x${randomBytes(8).toString('hex')}`, '-out', 'server.pem', '-days', '3650', '-extfile', 'server.ext']);
  // PKCS12 with the CA in the chain, so the broker presents the full chain.
  run(['pkcs12', '-export', '-in', 'server.pem', '-inkey', 'server.key', '-certfile', 'ca.pem', '-name', 'localhost',
    '-out', 'server.p12', '-passout', `pass:${KEYSTORE_PASSWORD}`]);
  rmSync(TLS, { recursive: true, force: true });
  renameSync(tmp, TLS);
  log(`TLS material generated in ${TLS}`);
}

// Client certificates for the secured node's mTLS listener, signed by the same CA (kept in tls/ since the server
// certificate was made). Made on the first `start --secure`, beside the existing CA: the running brokers keep theirs.
function ensureClientTls(log) {
  const dir = join(TLS, 'clients');
  if (existsSync(join(dir, 'client.pem'))) return;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const run = (args) => {
    const r = spawnSync('openssl', args, { cwd: tmp, encoding: 'utf8' });
    if (r.status !== 0) throw new EnvError(`openssl ${args[0]} failed:\n${tail(r.stdout + r.stderr, 20)}`);
  };
  writeFileSync(join(tmp, 'client.ext'), [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    // Java checks the extended key usage of a client certificate: it must allow client authentication.
    'extendedKeyUsage=clientAuth',
    '',
  ].join('\n'));
  const sign = (name, caPem, caKey) => {
    run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${MTLS_PRINCIPAL}`]);
    run(['x509', '-req', '-in', `${name}.csr`, '-CA', caPem, '-CAkey', caKey, '-set_serial',
      `0x${randomBytes(8).toString('hex')}`, '-out', `${name}.pem`, '-days', '3650', '-extfile', 'client.ext']);
  };
  sign('client', join(TLS, 'ca.pem'), join(TLS, 'ca.key'));
  // ssl.key.password: the same key, encrypted (PKCS#8, AES-256).
  run(['pkcs8', '-topk8', '-in', 'client.key', '-out', 'client-encrypted.key', '-v2', 'aes-256-cbc',
    '-passout', `pass:${CLIENT_KEY_PASSWORD}`]);
  // A client of another CA: the listener must refuse it although certificate and key match.
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'foreign-ca.key', '-out', 'foreign-ca.pem', '-days', '3650',
    '-subj', '/CN=not the gregor test CA', '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  sign('foreign-client', 'foreign-ca.pem', 'foreign-ca.key');
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  log(`mTLS client certificates generated in ${dir}`);
}

// The KIP-714 receiver, compiled against the broker's own jars; again when its source or the Kafka version changes.
// Without javac (a JRE only) the single node starts without it, and the telemetry test skips.
function ensureTelemetryReceiver(log) {
  const sources = readdirSync(RECEIVER_SRC).filter((f) => f.endsWith('.java')).sort();
  const hash = createHash('sha256').update(KAFKA_VERSION);
  for (const f of sources) hash.update(f).update(readFileSync(join(RECEIVER_SRC, f)));
  const stamp = hash.digest('hex');
  try {
    if (readFileSync(join(RECEIVER_CLASSES, '.complete'), 'utf8') === stamp) return true;
  } catch {
    // not compiled yet
  }
  const javac = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'javac') : 'javac';
  if (spawnSync(javac, ['-version'], { encoding: 'utf8' }).status !== 0) {
    log('javac not found (a JRE only?): the single node starts without the KIP-714 telemetry receiver');
    return false;
  }
  const tmp = `${RECEIVER_CLASSES}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const r = spawnSync(javac, ['-d', tmp, '-cp', join(LIB, '*'), ...sources.map((f) => join(RECEIVER_SRC, f))], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new EnvError(`compiling ${RECEIVER_SRC} failed:\n${tail(r.stdout + r.stderr, 30)}`);
  }
  writeFileSync(join(tmp, '.complete'), stamp);
  rmSync(RECEIVER_CLASSES, { recursive: true, force: true });
  renameSync(tmp, RECEIVER_CLASSES);
  log(`KIP-714 telemetry receiver compiled into ${RECEIVER_CLASSES}`);
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Broker configuration

/** The racks choice recorded by the last start of the layout: true, false, or null (never started). */
function recordedRacks(l) {
  try {
    return readFileSync(join(l.dir, 'racks'), 'utf8').trim() === 'on';
  } catch {
    return null;
  }
}

function serverProperties(l, n, racks, receiver) {
  if (l.name === 'secure') return secureServerProperties(n);
  const single = l.nodes.length === 1;
  const rf = single ? 1 : 3;
  const minIsr = single ? 1 : 2;
  const quorum = single
    // KIP-853 dynamic quorum: formatted with --standalone, the node bootstraps itself as the only voter.
    ? [`controller.quorum.bootstrap.servers=127.0.0.1:${n.controller}`]
    // A static voter set: all three nodes are formatted alike and start together (a quorum needs two).
    : [`controller.quorum.voters=${l.nodes.map((o) => `${o.id}@127.0.0.1:${o.controller}`).join(',')}`];
  const jaas = (mech) => `listener.name.sasl_ssl.${mech.toLowerCase()}.sasl.jaas.config=`;
  const plain = USERS.PLAIN;
  return [
    '# Generated by scripts/kafka.mjs at each start; edit that script, not this file.',
    'process.roles=broker,controller',
    `node.id=${n.id}`,
    ...quorum,
    'controller.listener.names=CONTROLLER',
    `listeners=PLAINTEXT://127.0.0.1:${n.plaintext},CONTROLLER://127.0.0.1:${n.controller},SASL_SSL://127.0.0.1:${n.saslSsl}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${n.plaintext},CONTROLLER://127.0.0.1:${n.controller},SASL_SSL://127.0.0.1:${n.saslSsl}`,
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${join(n.dir, 'data')}`,
    ...(racks ? [
      '# Racks (KIP-392): a consumer with client.rack set is told to fetch from a replica in its rack.',
      `broker.rack=${n.rack}`,
      'replica.selector.class=org.apache.kafka.common.replica.RackAwareReplicaSelector',
    ] : []),
    '',
    '# SASL_SSL: TLS with our own CA, then PLAIN, SCRAM or OAUTHBEARER. A bare sasl.jaas.config is ignored by',
    '# brokers; each mechanism needs its own listener-scoped entry.',
    `listener.name.sasl_ssl.sasl.enabled.mechanisms=${SASL_MECHANISMS.join(',')}`,
    `listener.name.sasl_ssl.ssl.keystore.location=${join(TLS, 'server.p12')}`,
    // The default keystore type is JKS; ours is PKCS12.
    'listener.name.sasl_ssl.ssl.keystore.type=PKCS12',
    `listener.name.sasl_ssl.ssl.keystore.password=${KEYSTORE_PASSWORD}`,
    `listener.name.sasl_ssl.ssl.key.password=${KEYSTORE_PASSWORD}`,
    `${jaas('PLAIN')}org.apache.kafka.common.security.plain.PlainLoginModule required user_${plain.username}="${plain.password}";`,
    // SCRAM users are stored in the cluster metadata: added at format time (StorageTool -S).
    `${jaas('SCRAM-SHA-256')}org.apache.kafka.common.security.scram.ScramLoginModule required;`,
    `${jaas('SCRAM-SHA-512')}org.apache.kafka.common.security.scram.ScramLoginModule required;`,
    // OAUTHBEARER (KIP-255) without an identity provider: with no sasl.server.callback.handler.class the broker
    // validates tokens with OAuthBearerUnsecuredValidatorCallbackHandler (unsigned JWT with "sub" and "exp",
    // "iat"/"nbf" consistent if present). The login module gives the broker its own token (unused here:
    // inter-broker traffic is PLAINTEXT) and must be configured for the mechanism to start.
    `${jaas('OAUTHBEARER')}org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required ` +
      'unsecuredLoginStringClaim_sub="broker";',
    // KIP-368 session lifetime, scoped to this listener and each mechanism (Kafka's documented form for it): see
    // SASL_SESSION_LIFETIME_MS for why it is short. For OAUTHBEARER the lifetime is also capped by the token's "exp".
    ...SASL_MECHANISMS.map((m) => `listener.name.sasl_ssl.${m.toLowerCase()}.connections.max.reauth.ms=${SASL_SESSION_LIFETIME_MS}`),
    '',
    '# Tests create their topics explicitly (test/integration/helpers/kafka.ts createTopic): a typo in a topic',
    '# name must fail as UNKNOWN_TOPIC_OR_PARTITION instead of silently creating a one-partition topic.',
    'auto.create.topics.enable=false',
    `num.partitions=1`,
    `default.replication.factor=${rf}`,
    `min.insync.replicas=${minIsr}`,
    '',
    '# Internal topics: few partitions, because the default 50 __consumer_offsets partitions make the first',
    '# group of a fresh cluster wait for 50 partition leaders; replicated to every node of the layout.',
    `offsets.topic.replication.factor=${rf}`,
    'offsets.topic.num.partitions=3',
    `transaction.state.log.replication.factor=${rf}`,
    `transaction.state.log.min.isr=${minIsr}`,
    'transaction.state.log.num.partitions=3',
    `share.coordinator.state.topic.replication.factor=${rf}`,
    `share.coordinator.state.topic.min.isr=${minIsr}`,
    'share.coordinator.state.topic.num.partitions=3',
    '',
    '# Classic groups: no 3 s wait for more members before the first rebalance of an empty group.',
    'group.initial.rebalance.delay.ms=0',
    '# Classic groups: let tests use session.timeout.ms down to 1 s (default floor 6 s) so member-loss tests are quick.',
    'group.min.session.timeout.ms=1000',
    '# KIP-848 consumer groups: the session timeout and heartbeat interval are set by the broker (defaults 45 s and',
    '# 5 s, with equally high floors). Lower defaults make failover tests fast; lower floors let a test tighten them',
    '# further per group (incrementalAlterConfigs on the GROUP resource: consumer.session.timeout.ms, ...).',
    'group.consumer.min.session.timeout.ms=1000',
    'group.consumer.session.timeout.ms=10000',
    'group.consumer.min.heartbeat.interval.ms=100',
    'group.consumer.heartbeat.interval.ms=1000',
    '# KIP-932 share groups: the same reasoning as for consumer groups.',
    'group.share.min.session.timeout.ms=1000',
    'group.share.session.timeout.ms=10000',
    'group.share.min.heartbeat.interval.ms=100',
    'group.share.heartbeat.interval.ms=1000',
    '',
    '# The machine has 2 cores; the defaults (3 network, 8 I/O threads) only add context switches.',
    'num.network.threads=2',
    'num.io.threads=2',
    ...(receiver ? [
      '',
      '# KIP-714: a client telemetry receiver (test/telemetry-receiver), so clients see GetTelemetrySubscriptions and',
      '# PushTelemetry in ApiVersions. Nothing is pushed until a test creates a client-metrics subscription.',
      `metric.reporters=${RECEIVER_CLASS}`,
      `gregor.telemetry.receiver.file=${join(n.dir, 'telemetry.jsonl')}`,
    ] : []),
    '',
  ].join('\n');
}

// The secured node: no PLAINTEXT listener at all, so every client has an identity the authorizer can judge.
function secureServerProperties(n) {
  const { admin, reader } = SECURE_USERS;
  const plainUsers = `user_${admin.username}="${admin.password}" user_${reader.username}="${reader.password}"`;
  const plainModule = 'org.apache.kafka.common.security.plain.PlainLoginModule required';
  const keystore = (listener) => [
    `listener.name.${listener}.ssl.keystore.location=${join(TLS, 'server.p12')}`,
    `listener.name.${listener}.ssl.keystore.type=PKCS12`,
    `listener.name.${listener}.ssl.keystore.password=${KEYSTORE_PASSWORD}`,
    `listener.name.${listener}.ssl.key.password=${KEYSTORE_PASSWORD}`,
    `listener.name.${listener}.ssl.truststore.location=${join(TLS, 'ca.pem')}`,
    `listener.name.${listener}.ssl.truststore.type=PEM`,
  ];
  return [
    '# Generated by scripts/kafka.mjs (start --secure) at each start; edit that script, not this file.',
    'process.roles=broker,controller',
    `node.id=${n.id}`,
    `controller.quorum.bootstrap.servers=127.0.0.1:${n.controller}`,
    'controller.listener.names=CONTROLLER',
    `listeners=SASL_SSL://127.0.0.1:${n.saslSsl},CONTROLLER://127.0.0.1:${n.controller},SSL://127.0.0.1:${n.ssl}`,
    `advertised.listeners=SASL_SSL://127.0.0.1:${n.saslSsl},CONTROLLER://127.0.0.1:${n.controller},SSL://127.0.0.1:${n.ssl}`,
    'listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL',
    `log.dirs=${join(n.dir, 'data')}`,
    '',
    '# The authorizer: nothing is allowed without an ACL, except to super users. The node talks to itself (broker to',
    '# controller, broker to broker) as the admin user over SASL PLAIN, so no anonymous principal needs rights.',
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    `super.users=User:${admin.username}`,
    'allow.everyone.if.no.acl.found=false',
    'inter.broker.listener.name=SASL_SSL',
    'sasl.mechanism.inter.broker.protocol=PLAIN',
    'sasl.mechanism.controller.protocol=PLAIN',
    'listener.name.controller.sasl.enabled.mechanisms=PLAIN',
    `listener.name.controller.plain.sasl.jaas.config=${plainModule} username="${admin.username}" password="${admin.password}" ${plainUsers};`,
    '',
    '# SASL_SSL: PLAIN users (the admin and an unprivileged reader).',
    'listener.name.sasl_ssl.sasl.enabled.mechanisms=PLAIN',
    `listener.name.sasl_ssl.plain.sasl.jaas.config=${plainModule} username="${admin.username}" password="${admin.password}" ${plainUsers};`,
    ...keystore('sasl_ssl'),
    '',
    '# SSL with client certificates required (mTLS): the principal is the certificate\'s CN.',
    ...keystore('ssl'),
    'listener.name.ssl.ssl.client.auth=required',
    'ssl.principal.mapping.rules=RULE:^CN=([^,]+)$/$1/,DEFAULT',
    '',
    'auto.create.topics.enable=false',
    'num.partitions=1',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=3',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=3',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'share.coordinator.state.topic.num.partitions=3',
    'group.initial.rebalance.delay.ms=0',
    'group.min.session.timeout.ms=1000',
    'group.consumer.min.session.timeout.ms=1000',
    'group.consumer.session.timeout.ms=10000',
    'group.consumer.min.heartbeat.interval.ms=100',
    'group.consumer.heartbeat.interval.ms=1000',
    'num.network.threads=2',
    'num.io.threads=2',
    '',
  ].join('\n');
}

// Kafka's Uuid.randomUuid() in base64url without padding; like Kafka, avoid a leading '-' (it reads as a CLI flag).
function randomClusterId() {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function jvm(heap, extra = [], classpath = []) {
  return [
    `-Xms${heap}`, `-Xmx${heap}`,
    '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent', '-Djava.awt.headless=true',
    ...extra,
    '-cp', [join(LIB, '*'), ...classpath].join(delimiter),
  ];
}

function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.once('error', (e) => resolve({ status: null, out: `${out}${e.message}` }));
    child.once('close', (status) => resolve({ status, out }));
  });
}

async function formatStorage(l, n, clusterId, log) {
  if (existsSync(join(n.dir, 'data', 'meta.properties'))) return;
  const args = [
    ...jvm('256m', ['-XX:TieredStopAtLevel=1', `-Dlog4j2.configurationFile=${join(ROOT, 'scripts', 'kafka', 'log4j2-tools.properties')}`]),
    'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', join(n.dir, 'server.properties'),
    ...(l.nodes.length === 1 ? ['--standalone'] : []),
  ];
  if (l.name !== 'secure') for (const mech of ['SCRAM-SHA-256', 'SCRAM-SHA-512']) {
    args.push('-S', `${mech}=[name=${USERS[mech].username},password=${USERS[mech].password}]`);
  }
  const r = await run(javaBin(), args);
  if (r.status !== 0) {
    throw new EnvError(`formatting ${join(n.dir, 'data')} failed (exit ${r.status}):\n${tail(r.out, 30)}`);
  }
  log(`node ${n.id}: storage formatted (cluster id ${clusterId})`);
}

// ---------------------------------------------------------------------------------------------------------------
// Processes

function readPid(n) {
  try {
    const pid = Number(readFileSync(join(n.dir, 'broker.pid'), 'utf8').trim());
    return isOurBroker(pid, n) ? pid : null;
  } catch {
    return null;
  }
}

// A pid file can outlive its process and the pid be reused: the JVM carries -Dgregor.kafka=<node dir> so we
// recognise our own broker in /proc (Linux); elsewhere a live pid is taken at its word.
function isOurBroker(pid, n) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if (e.code !== 'EPERM') return false;
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(`-Dgregor.kafka=${n.dir}\0`);
  } catch {
    return process.platform !== 'linux';
  }
}

function portFree(port) {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', (e) => resolve(e.code === 'EADDRINUSE' ? false : true));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

function portAnswers(port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    const done = (ok) => { s.destroy(); resolve(ok); };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

// A running broker asked whether it answers: three tries of 2 s. One try of 1 s said no to a healthy broker while the
// machine was saturated (a CI rehearsal at load ~14: the connect's callback came after its timer), failing a whole
// test file twice over ("runs but port 9192 does not answer"); a wedged broker still fails all three.
async function portAnswersAgain(port) {
  for (let i = 0; i < 3; i++) if (await portAnswers(port, 2000)) return true;
  return false;
}

function portHolder(port) {
  // Best effort: name the process holding the port (ss from iproute2, lsof as fallback).
  let r = spawnSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  if (r.status === 0 && r.stdout.trim()) {
    const m = /users:\(\("([^"]+)",pid=(\d+)/.exec(r.stdout);
    if (m) return `${m[1]} (pid ${m[2]})`;
  }
  r = spawnSync('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN'], { encoding: 'utf8' });
  if (r.status === 0) {
    const line = r.stdout.split('\n')[1];
    if (line) return `${line.split(/\s+/)[0]} (pid ${line.split(/\s+/)[1]})`;
  }
  // Nothing listens there, yet the bind failed: the port is the local end of a connection (an ephemeral port).
  return 'a connection\'s local end (no listener; an ephemeral port in use)';
}

function tail(text, lines) {
  return text.trimEnd().split('\n').slice(-lines).map((s) => `    ${s}`).join('\n');
}

function fileTail(path, lines) {
  try {
    return tail(readFileSync(path, 'utf8'), lines);
  } catch {
    return `    (no log at ${path})`;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function spawnBroker(l, n, receiver) {
  const logPath = join(n.dir, 'broker.log');
  const logOffset = existsSync(logPath) ? statSync(logPath).size : 0;
  const fd = openSync(logPath, 'a');
  const heap = process.env.GREGOR_KAFKA_HEAP ?? (l.name === 'single' ? '1g' : '384m');
  const args = [
    ...jvm(heap, [
      `-Dgregor.kafka=${n.dir}`,
      `-Dkafka.logs.dir=${n.dir}`,
      `-Dlog4j2.configurationFile=${l.name === 'secure' ? SECURE_LOG4J : BROKER_LOG4J}`,
      // The cluster's brokers expose their metrics over JMX on loopback (no authentication: 127.0.0.1 only), so tests
      // can show what a broker served (kafka.network RequestMetrics) with Kafka's own JmxTool.
      ...(n.jmx === undefined ? [] : [
        `-Dcom.sun.management.jmxremote.port=${n.jmx}`, `-Dcom.sun.management.jmxremote.rmi.port=${n.jmx}`,
        '-Dcom.sun.management.jmxremote.host=127.0.0.1', '-Djava.rmi.server.hostname=127.0.0.1',
        '-Dcom.sun.management.jmxremote.authenticate=false', '-Dcom.sun.management.jmxremote.ssl=false',
        '-Dcom.sun.management.jmxremote.local.only=true',
      ]),
    ], receiver ? [RECEIVER_CLASSES] : []),
    'kafka.Kafka', join(n.dir, 'server.properties'),
  ];
  // Detached in its own process group: it outlives `npm run kafka:start`, and Ctrl-C in that terminal spares it.
  const child = spawn(javaBin(), args, { cwd: n.dir, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let exited = null;
  child.once('exit', (code, signal) => { exited = signal ?? `exit ${code}`; });
  child.once('error', (e) => { exited = e.message; });
  child.unref();
  writeFileSync(join(n.dir, 'broker.pid'), `${child.pid}\n`);
  return { n, child, logPath, logOffset, exited: () => exited };
}

function logSince(p) {
  try {
    const buf = readFileSync(p.logPath);
    return buf.subarray(p.logOffset).toString('utf8');
  } catch {
    return '';
  }
}

async function allAnswer(ports) {
  for (const port of ports) if (!(await portAnswers(port))) return false;
  return true;
}

async function waitReady(started, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(started);
  while (pending.size > 0) {
    for (const p of [...pending]) {
      const why = p.exited();
      if (why !== null) {
        throw new EnvError(`node ${p.n.id}: the broker exited during start (${why}). Last lines of ${p.logPath}:\n` +
          fileTail(p.logPath, 40));
      }
      if (logSince(p).includes('Kafka Server started') && await allAnswer(clientPorts(p.n))) pending.delete(p);
    }
    if (pending.size === 0) break;
    if (Date.now() > deadline) {
      const p = [...pending][0];
      throw new EnvError(`node ${p.n.id}: not ready after ${timeoutMs / 1000} s. Last lines of ${p.logPath}:\n` +
        fileTail(p.logPath, 40));
    }
    await sleep(200);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Lock: O_EXCL create of .kafka/lock holding our pid; a lock whose owner died is taken over.

async function withLock(fn, log) {
  mkdirSync(KAFKA_DIR, { recursive: true });
  const deadline = Date.now() + 10 * 60_000;
  let said = false;
  for (;;) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let seen;
      try { seen = readFileSync(LOCK, 'utf8'); } catch { continue; }
      const owner = Number(seen.trim());
      let alive = Number.isInteger(owner) && owner > 0;
      if (alive) {
        try { process.kill(owner, 0); } catch (err) { alive = err.code === 'EPERM'; }
      }
      if (!alive) {
        // An empty lock may be one being written this instant: give its writer a moment before taking it over.
        if (seen.trim() === '') await sleep(200);
        try { if (readFileSync(LOCK, 'utf8') === seen) rmSync(LOCK); } catch { /* gone */ }
        continue;
      }
      if (Date.now() > deadline) throw new EnvError(`${LOCK} held by pid ${owner} for 10 minutes; is it stuck?`);
      if (!said) { log(`waiting for another kafka.mjs (pid ${owner}) to finish ...`); said = true; }
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    try { if (readFileSync(LOCK, 'utf8').trim() === String(process.pid)) rmSync(LOCK); } catch { /* gone */ }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Commands

async function start(nodes, log, only = null, racksOption = null) {
  const l = layout(nodes);
  return withLock(async () => {
    // --node N: only that node is started (the others are left as they are, running or not).
    const wanted = only === null ? l.nodes : l.nodes.filter((n) => n.id === only);
    const running = l.nodes.filter((n) => readPid(n) !== null);
    const recorded = recordedRacks(l);
    if (racksOption !== null && recorded !== null && racksOption !== recorded && running.length > 0) {
      throw new EnvError(`the ${l.name} runs ${recorded ? 'with' : 'without'} racks; stop it first ` +
        `(node scripts/kafka.mjs stop --nodes ${nodes}) to start it ${racksOption ? 'with' : 'without'} them`);
    }
    // Without the option, the layout keeps the choice of its last start (a node started again alone included).
    const racks = l.name === 'cluster' && (racksOption ?? recorded ?? true);
    if (wanted.every((n) => running.includes(n))) {
      // Running: still make sure it answers (it may be mid-shutdown or wedged).
      for (const n of wanted) {
        if (!(await portAnswersAgain(clientPorts(n)[0]))) {
          throw new EnvError(`node ${n.id} (pid ${readPid(n)}) runs but port ${clientPorts(n)[0]} does not answer; ` +
            `see ${join(n.dir, 'broker.log')} or run \`npm run kafka:stop\``);
        }
      }
      log(`Kafka ${KAFKA_VERSION} (${l.name}${only === null ? '' : `, node ${only}`}) already running.`);
      return { info: info(l), alreadyRunning: true };
    }
    // Partially running cluster (a node crashed): start only the missing nodes.
    checkJava();
    ensureJars(log);
    ensureTls(log);
    if (l.name === 'secure') ensureClientTls(log);
    const missing = wanted.filter((n) => !running.includes(n));
    for (const n of missing) {
      for (const port of [...clientPorts(n), n.controller, ...(n.jmx === undefined ? [] : [n.jmx])]) {
        if (!(await portFree(port))) {
          throw new EnvError(`port ${port} (node ${n.id}) is held by ${portHolder(port)}; stop it, or run on other ` +
            'ports with GREGOR_KAFKA_PORT_BASE=<base> (see README.md)');
        }
      }
    }
    mkdirSync(l.dir, { recursive: true });
    if (l.name === 'cluster') writeFileSync(join(l.dir, 'racks'), racks ? 'on\n' : 'off\n');
    const idFile = join(l.dir, 'cluster.id');
    if (!existsSync(idFile) || l.nodes.every((n) => !existsSync(join(n.dir, 'data', 'meta.properties')))) {
      writeFileSync(idFile, `${randomClusterId()}\n`);
    }
    const clusterId = readFileSync(idFile, 'utf8').trim();
    const receiver = l.name === 'single' && ensureTelemetryReceiver(log);
    const t0 = Date.now();
    for (const n of missing) {
      mkdirSync(n.dir, { recursive: true });
      writeFileSync(join(n.dir, 'server.properties'), serverProperties(l, n, racks, receiver));
    }
    // Formatting is one JVM per node; run them side by side.
    await Promise.all(missing.map((n) => formatStorage(l, n, clusterId, log)));
    const started = missing.map((n) => spawnBroker(l, n, receiver));
    log(`starting Kafka ${KAFKA_VERSION} (${l.name}, ${missing.length} node${missing.length > 1 ? 's' : ''}) ...`);
    try {
      await waitReady(started, 120_000);
    } catch (e) {
      for (const p of started) { try { process.kill(p.child.pid, 'SIGKILL'); } catch { /* gone */ } }
      throw e;
    }
    log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return { info: info(l), alreadyRunning: false };
  }, log);
}

async function stopLayout(l, clean, log, only = null, kill = false) {
  const nodes = only === null ? l.nodes : l.nodes.filter((n) => n.id === only);
  const pids = nodes.map((n) => ({ n, pid: readPid(n) })).filter((x) => x.pid !== null);
  // --kill: SIGKILL, a crash as reliability tests need it (no controlled shutdown, no leadership handed over).
  for (const { pid } of pids) process.kill(pid, kill ? 'SIGKILL' : 'SIGTERM');
  const what = only === null ? l.name : `${l.name} node ${only}`;
  if (pids.length) log(`${kill ? 'killing' : 'stopping'} ${what} (pid ${pids.map((x) => x.pid).join(', ')}) ...`);
  const deadline = Date.now() + 60_000;
  for (const { n, pid } of pids) {
    while (isOurBroker(pid, n)) {
      if (Date.now() > deadline) {
        log(`node ${n.id} (pid ${pid}) did not stop within 60 s of SIGTERM; sending SIGKILL`);
        try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
        await sleep(500);
        break;
      }
      await sleep(200);
    }
  }
  for (const n of nodes) rmSync(join(n.dir, 'broker.pid'), { force: true });
  if (clean) {
    // A broker that still answers here was not stopped above (e.g. started from another checkout whose .kafka this
    // one links to): wiping its data under it fails its log dirs, so refuse rather than corrupt a running broker.
    for (const n of l.nodes) {
      // The secure node has no PLAINTEXT listener: its controller port tells as well.
      const port = n.plaintext ?? n.controller;
      if (await portAnswers(port)) {
        throw new EnvError(`${l.name}: a broker still answers on port ${port}; not wiping ${l.dir} under it`);
      }
    }
    rmSync(l.dir, { recursive: true, force: true });
    log(`${l.name}: data wiped (${l.dir})`);
  }
  if (pids.length) log(`${what} ${kill ? 'killed' : 'stopped'}`);
  return pids.length;
}

async function stop(nodes, clean, log, only = null, kill = false) {
  return withLock(async () => {
    const layouts = nodes ? [layout(nodes)] : [layout(1), layout(3), layout('secure')];
    let n = 0;
    for (const l of layouts) n += await stopLayout(l, clean, log, only, kill);
    if (n === 0) log('no Kafka running');
  }, log);
}

function rssKiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function status() {
  return [layout(1), layout(3), layout('secure')].map((l) => {
    const i = info(l);
    for (const n of i.nodes) n.rssKiB = n.pid ? rssKiB(n.pid) : null;
    i.running = i.nodes.every((n) => n.pid !== null);
    return i;
  });
}

function describe(i) {
  if (i.layout === 'secure') {
    return [
      `  bootstrap (SASL_SSL, PLAIN): ${i.saslSslBootstrap}`,
      `  bootstrap (SSL, client certificate required): ${i.mtlsBootstrap}`,
      `  CA file:               ${i.caFile}`,
      `  users:                 ${i.users.admin.username}/${i.users.admin.password} (super user), ` +
        `${i.users.reader.username}/${i.users.reader.password} (no ACLs)`,
      `  client certificate:    ${i.mtls.certificate} (principal User:${i.mtls.principal}, no ACLs), key ${i.mtls.key}`,
      `  ACLs:                  scripts/kafka-tool acls --bootstrap-server ${i.saslSslBootstrap} --command-config ${i.adminConfig} ...`,
      `  logs:                  ${i.nodes.map((n) => n.log).join(', ')}`,
    ].join('\n');
  }
  return [
    `  bootstrap (PLAINTEXT): ${i.bootstrap}`,
    `  bootstrap (SASL_SSL):  ${i.saslSslBootstrap}   (${i.saslMechanisms.join(', ')}; ` +
      `re-authentication every ${i.saslSessionLifetimeMs / 1000} s)`,
    `  CA file:               ${i.caFile}`,
    `  users:                 ${Object.entries(i.users).map(([m, u]) => `${m} ${u.username}/${u.password}`).join(', ')}`,
    `  logs:                  ${i.nodes.map((n) => n.log).join(', ')}`,
  ].join('\n');
}

function parseArgs(argv) {
  const opts = { nodes: null, node: null, clean: false, json: false, kill: false, racks: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--nodes') {
      const v = argv[++i];
      if (v !== '1' && v !== '3') throw new UsageError(`--nodes takes 1 or 3, got '${v ?? ''}'`);
      if (opts.nodes === 'secure') throw new UsageError('--secure is a layout of its own; it does not combine with --nodes');
      opts.nodes = Number(v);
    } else if (a.startsWith('--nodes=')) {
      return parseArgs([...argv.slice(0, i), '--nodes', a.slice(8), ...argv.slice(i + 1)]);
    } else if (a === '--node') {
      const v = argv[++i];
      if (v !== '1' && v !== '2' && v !== '3') throw new UsageError(`--node takes 1, 2 or 3, got '${v ?? ''}'`);
      opts.node = Number(v);
    } else if (a.startsWith('--node=')) {
      return parseArgs([...argv.slice(0, i), '--node', a.slice(7), ...argv.slice(i + 1)]);
    } else if (a === '--secure') {
      if (opts.nodes !== null && opts.nodes !== 'secure') throw new UsageError('--secure is a layout of its own; it does not combine with --nodes');
      opts.nodes = 'secure';
    } else if (a === '--clean') opts.clean = true;
    else if (a === '--json') opts.json = true;
    else if (a === '--kill') opts.kill = true;
    else if (a === '--racks') opts.racks = true;
    else if (a === '--no-racks') opts.racks = false;
    else throw new UsageError(`unknown option '${a}'`);
  }
  if (opts.node !== null && opts.nodes !== 3) throw new UsageError('--node N needs --nodes 3 (a node of the three-node cluster)');
  if (opts.node !== null && opts.clean) throw new UsageError('--clean wipes a whole layout; it does not combine with --node');
  if (opts.racks !== null && opts.nodes !== 3) throw new UsageError('--racks/--no-racks are for the three-node cluster (--nodes 3)');
  if (opts.kill && opts.node === null) throw new UsageError('--kill needs --nodes 3 --node N (one node to crash)');
  return opts;
}

const USAGE = `usage: node scripts/kafka.mjs <start|stop|status|jars> [--nodes 1|3 | --secure] [--node N] [--clean] [--kill] [--json]
  start   start the single node (default) or the three-node cluster (--nodes 3); idempotent
          --secure: the secured node (StandardAuthorizer and ACLs, SASL_SSL users, an mTLS listener) on its own ports
          --nodes 3: node N in rack "rackN" with RackAwareReplicaSelector (KIP-392); --no-racks: without racks
          --nodes 3 --node N: start only node N of the cluster (e.g. again after a stop or a kill)
  stop    stop what runs (every layout unless --nodes or --secure); --clean also wipes data
          --nodes 3 --node N: stop only node N; --kill: SIGKILL it (a crash) instead of SIGTERM
  status  show what runs
  jars    download the Kafka jars only (${CLIENTS_JAR})`;

async function main(argv) {
  // `kafka.mjs status | head` closes our stdout early: not an error.
  process.stdout.on('error', (e) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw e; });
  const [cmd, ...rest] = argv;
  const opts = parseArgs(rest);
  // With --json, stdout carries only the JSON document; progress goes to stderr.
  const log = (m) => (opts.json ? process.stderr : process.stdout).write(`kafka: ${m}\n`);
  switch (cmd) {
    case 'start': {
      if (opts.kill) throw new UsageError('--kill is for stop');
      const { info: i, alreadyRunning } = await start(opts.nodes ?? 1, log, opts.node, opts.racks);
      if (opts.json) process.stdout.write(`${JSON.stringify({ ...i, startedNow: !alreadyRunning })}\n`);
      else log(`Kafka ${KAFKA_VERSION} on 127.0.0.1:\n${describe(i)}`);
      return 0;
    }
    case 'stop':
      await stop(opts.nodes, opts.clean, log, opts.node, opts.kill);
      return 0;
    case 'status': {
      const s = status();
      if (opts.json) { process.stdout.write(`${JSON.stringify(s)}\n`); return 0; }
      for (const i of s) {
        const state = i.running ? 'running' : i.nodes.some((n) => n.pid) ? 'PARTIALLY running' : 'stopped';
        log(`${i.layout}: ${state}`);
        for (const n of i.nodes) {
          log(`  node ${n.id}: ${n.pid ? `pid ${n.pid}, RSS ${n.rssKiB ? `${(n.rssKiB / 1024).toFixed(0)} MiB` : '?'}` : 'stopped'}` +
            `, ports ${[...clientPorts(n), n.controller].join('/')}`);
        }
        if (i.running) log(describe(i));
      }
      log(`jars: ${jarsReady() ? CLIENTS_JAR : 'not downloaded'}`);
      return 0;
    }
    case 'jars':
      mkdirSync(KAFKA_DIR, { recursive: true });
      await withLock(async () => ensureJars(log), log);
      log(`jars in ${LIB}; protocol specs in ${CLIENTS_JAR}`);
      return 0;
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(`${USAGE}\n`);
      return cmd === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command '${cmd}'`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
    if (e instanceof UsageError) {
      process.stderr.write(`kafka: ${e.message}\n${USAGE}\n`);
      process.exitCode = 2;
    } else if (e instanceof EnvError) {
      process.stderr.write(`kafka: ${e.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`kafka: unexpected failure: ${e.stack ?? e}\n`);
      process.exitCode = 1;
    }
  });
}
