// The property table against Kafka's own: the ConfigDef of ConsumerConfig, ProducerConfig and AdminClientConfig in
// the kafka-clients jar the local broker ships. Every property both know must have Java's default, Java's lower and
// upper bound, and accept every value Java accepts - or appear below with the reason gregor differs. A new Kafka
// version that changes a default or a bound fails here, instead of drifting silently.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROPERTIES, type ClientKind, type PropertyDef } from '../../../src/config/index.js';
import { kafkaJars } from '../helpers/kafka.js';

const JAVA_SOURCE = `
import org.apache.kafka.common.config.ConfigDef;
import java.util.*;
public class DumpConfigDef {
  public static void main(String[] args) {
    Map<String, ConfigDef> defs = new LinkedHashMap<>();
    defs.put("consumer", org.apache.kafka.clients.consumer.ConsumerConfig.configDef());
    defs.put("producer", org.apache.kafka.clients.producer.ProducerConfig.configDef());
    defs.put("admin", org.apache.kafka.clients.admin.AdminClientConfig.configDef());
    for (Map.Entry<String, ConfigDef> e : defs.entrySet()) {
      for (ConfigDef.ConfigKey k : e.getValue().configKeys().values()) {
        Object d = k.defaultValue;
        String shown;
        if (d == ConfigDef.NO_DEFAULT_VALUE) shown = "<none>";
        else if (d == null) shown = "<null>";
        else if (d instanceof List<?> l) shown = String.join(",", l.stream().map(x -> x instanceof Class<?> c ? c.getName() : String.valueOf(x)).toList());
        else if (d instanceof Class<?> c) shown = c.getName();
        else shown = String.valueOf(d);
        System.out.println(e.getKey() + "\\t" + k.name + "\\t" + k.type + "\\t" + shown + "\\t" + (k.validator == null ? "" : k.validator.toString()));
      }
    }
  }
}
`;

interface JavaKey { type: string; default: string; validator: string }

/**
 * Where gregor deliberately differs from Java, by client kind and property: `default`, `min`, `max` or `values`
 * (Java values gregor refuses), with the reason. Everything else must match.
 */
const DEVIATIONS: Record<string, Partial<Record<'default' | 'min' | 'max' | 'values', string>>> = {
  'request.timeout.ms': { min: 'Java accepts 0 and then times out every request at once: refused as a certain mistake' },
  'socket.connection.setup.timeout.ms': { min: 'Java has no bound; 0 or less fails every connection attempt' },
  'socket.connection.setup.timeout.max.ms': { min: 'Java has no bound; a negative maximum means nothing' },
  'connections.max.idle.ms': { min: 'Java has no bound and treats any negative value as never; -1 is that value' },
  'session.timeout.ms': { min: 'Java has no bound; the broker refuses a session timeout below its group.min.session.timeout.ms' },
  'heartbeat.interval.ms': { min: 'Java has no bound; 0 would be a heartbeat loop' },
  'transaction.timeout.ms': { min: 'Java has no bound; the coordinator refuses a timeout of 0 or less' },
  'max.in.flight.requests.per.connection': { max: 'the network layer pipelines at most 1000 requests per connection' },
  'sasl.mechanism': {
    default: 'Java defaults to GSSAPI, which gregor does not implement: the mechanism comes from sasl.jaas.config or is required',
    values: 'Java takes any string (plugins); gregor knows PLAIN, SCRAM-SHA-256/512 and OAUTHBEARER',
  },
  'ssl.keystore.type': { default: 'Java defaults to JKS; gregor reads PEM only', values: 'gregor reads PEM only' },
  'ssl.truststore.type': { default: 'Java defaults to JKS; gregor reads PEM only', values: 'gregor reads PEM only' },
  'ssl.endpoint.identification.algorithm': { values: 'Java takes any algorithm name; https and none are the two that exist' },
  'auto.offset.reset': { values: 'by_duration:<ISO-8601> (KIP-1106) is not implemented' },
  'key.deserializer': { default: 'Java requires a class (no default); gregor hands out the bytes when none is set' },
  'value.deserializer': { default: 'Java requires a class (no default); gregor hands out the bytes when none is set' },
  'client.dns.lookup': { values: 'resolve_canonical_bootstrap_servers_only serves Kerberos (GSSAPI) principals, which gregor does not implement' },
};

function javaConfigDefs(): Map<string, JavaKey> {
  const dir = mkdtempSync(join(tmpdir(), 'gregor-configdef-'));
  const source = join(dir, 'DumpConfigDef.java');
  writeFileSync(source, JAVA_SOURCE);
  const classpath = join(kafkaJars().lib, '*');
  const java = spawnSync('java', ['-cp', classpath, source], { encoding: 'utf8' });
  assert.equal(java.status, 0, `java failed (is a JDK installed? it runs the local Kafka too): ${java.stderr}`);
  const out = new Map<string, JavaKey>();
  for (const line of java.stdout.split('\n')) {
    const [kind, name, type, dflt, validator] = line.split('\t');
    if (validator === undefined) continue;
    out.set(`${kind} ${name}`, { type, default: dflt, validator });
  }
  return out;
}

/** Java's Range validator as bounds: "[0,...]", "[1,...,2147483647]", "[...,5]". */
function range(validator: string): { min?: number; max?: number } | undefined {
  const m = /^\[(-?\d+|\.\.\.),\.\.\.(?:,(-?\d+))?\]$/.exec(validator) ?? /^\[\.\.\.,(-?\d+)\]$/.exec(validator);
  if (m === null) return undefined;
  if (validator.startsWith('[...,')) return { max: Number(m[1]) };
  return { min: Number(m[1]), max: m[2] === undefined ? undefined : Number(m[2]) };
}

/** The values of Java's ValidString / CaseInsensitiveValidString: "[a, b]" or "(case insensitive) [A, B]". */
function validStrings(validator: string): string[] | undefined {
  const m = /^(?:\(case insensitive\) )?\[([^\]]*)\]$/.exec(validator);
  if (m === null || range(validator) !== undefined) return undefined;
  return m[1].split(', ').map((v) => v.toLowerCase());
}

const ASSIGNOR_CLASSES: Record<string, string> = {
  'org.apache.kafka.clients.consumer.RangeAssignor': 'range',
  'org.apache.kafka.clients.consumer.CooperativeStickyAssignor': 'cooperative-sticky',
};

function gregorDefault(def: PropertyDef, kind: ClientKind): string {
  const d = def.defaultByKind?.[kind] ?? def.default;
  if (d === undefined) return def.type === 'list' && def.required === true ? '<none>' : '<null>';
  return Array.isArray(d) ? d.join(',') : String(d);
}

function javaDefault(name: string, key: JavaKey): string {
  if (name === 'partition.assignment.strategy') return key.default.split(',').map((c) => ASSIGNOR_CLASSES[c] ?? c).join(',');
  // Java lists start empty where gregor requires a value (admin's bootstrap.servers).
  if (name === 'bootstrap.servers' && key.default === '') return '<none>';
  return key.default;
}

test('the property table has the defaults, bounds and values of Kafka\'s own ConfigDef, or says why not', () => {
  const java = javaConfigDefs();
  assert.ok(java.size > 300, `read ${java.size} Java properties`);
  const problems: string[] = [];
  const excused = new Set<string>();
  let compared = 0;
  for (const [name, def] of Object.entries(PROPERTIES as Record<string, PropertyDef>)) {
    for (const kind of def.clients) {
      const key = java.get(`${kind} ${name}`);
      if (key === undefined) continue; // librdkafka's names (ssl.ca.location...) and gregor's own
      compared++;
      const allowed = DEVIATIONS[name] ?? {};
      const theirs = javaDefault(name, key);
      const ours = gregorDefault(def, kind);
      if (theirs.toLowerCase() !== ours.toLowerCase()) {
        if (allowed.default === undefined) problems.push(`${kind} ${name}: default ${ours}, Java ${theirs}`);
        else excused.add(`${name} default`);
      }
      const bounds = range(key.validator);
      if (def.type === 'int') {
        const javaMin = bounds?.min;
        const javaMax = bounds?.max ?? (key.type === 'INT' ? 2147483647 : Number.MAX_SAFE_INTEGER);
        if (javaMin !== def.min) {
          if (allowed.min === undefined) problems.push(`${kind} ${name}: min ${def.min}, Java ${javaMin}`);
          else excused.add(`${name} min`);
        }
        if (javaMax !== def.max) {
          if (allowed.max === undefined) problems.push(`${kind} ${name}: max ${def.max}, Java ${javaMax}`);
          else excused.add(`${name} max`);
        }
      }
      const values = validStrings(key.validator);
      // A Java property without a ValidString takes any string; gregor's enum then refuses most of them.
      if (def.type === 'enum') {
        const accepted = new Set([...(def.values ?? []), ...Object.keys(def.valueAliases ?? {})].map((v) => v.toLowerCase()));
        const refused = values === undefined ? ['any other string'] : values.filter((v) => !accepted.has(v));
        if (refused.length > 0) {
          if (allowed.values === undefined) problems.push(`${kind} ${name}: refuses Java's ${refused.join(', ')}`);
          else excused.add(`${name} values`);
        }
      }
    }
  }
  assert.ok(compared > 100, `compared ${compared} properties`);
  assert.deepEqual(problems, []);
  // Every deviation listed is one that exists (a fixed one must leave the list).
  const listed = Object.entries(DEVIATIONS).flatMap(([name, d]) => Object.keys(d).map((aspect) => `${name} ${aspect}`));
  assert.deepEqual(listed.filter((l) => !excused.has(l)), []);
});
