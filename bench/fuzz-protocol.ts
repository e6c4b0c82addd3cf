// Fuzzes the message decoders: real broker responses (test/fixtures/protocol, captured by the protocol integration
// tests with GREGOR_CAPTURE_FIXTURES=1) mutated in many ways, plus pure random frames, fed to decodeResponse for
// their API and version; and mutated request frames fed to decodeRequest. A script, not a test:
//
//   npm run build && node dist/bench/fuzz-protocol.js [--cases 1000000] [--seed 1]
//
// Every case must end in a decoded value or a ProtocolError (UnsupportedError for a mutated API key or version in
// a request header). Anything else (a RangeError, a TypeError, an error of another class) is a failure: the script
// prints the first few with the frame in hex and exits 1. A unit test runs a small sample (test/unit/protocol).

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ProtocolError, UnsupportedError } from '../src/errors.js';
import { decodeRequest, decodeResponse, encodeRequest, implementedApis } from '../src/protocol/index.js';
import { prng } from '../test/support/prng.js';

interface Seed {
  apiKey: number;
  version: number;
  frame: Buffer;
}

export interface FuzzStats {
  cases: number;
  decodedOk: number;
  typedErrors: number;
  failures: { what: string; error: string; frameHex: string }[];
}

function repoRoot(): string {
  // dist/bench/fuzz-protocol.js -> repository root
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** The captured real responses. */
export function loadSeeds(root = repoRoot()): Seed[] {
  const dir = join(root, 'test', 'fixtures', 'protocol');
  const seeds: Seed[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    const j = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { apiKey: number; frames: Record<string, string> };
    for (const [v, hex] of Object.entries(j.frames)) {
      const seed = { apiKey: j.apiKey, version: Number(v.slice(1)), frame: Buffer.from(hex, 'hex') };
      decodeResponse(seed.apiKey, seed.version, seed.frame); // a seed that does not decode is a stale fixture: say so
      seeds.push(seed);
    }
  }
  return seeds;
}

/** Requests with empty bodies at every version (the decoder still walks every field and header). */
function requestSeeds(): Buffer[] {
  const out: Buffer[] = [];
  for (const [apiKey, range] of implementedApis()) {
    for (let v = range.min; v <= range.max; v++) out.push(encodeRequest(apiKey, v, 1, 'fuzz', {}).subarray(4));
  }
  return out;
}

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];
const INTERESTING_32 = [0, 1, -1, 0x7fffffff, -0x80000000, 0x10000, 0xffff, 255];

function mutate(src: Buffer, rnd: () => number, other: () => Buffer): Buffer {
  const int = (n: number): number => Math.floor(rnd() * n);
  const b = Buffer.from(src);
  switch (int(8)) {
    case 0: // flip a few bytes
      for (let k = 1 + int(4); k > 0 && b.length > 0; k--) b[int(b.length)] = int(256);
      return b;
    case 1: // interesting byte values (varint continuation bits, -1 lengths)
      for (let k = 1 + int(3); k > 0 && b.length > 0; k--) b[int(b.length)] = INTERESTING[int(INTERESTING.length)];
      return b;
    case 2: // an interesting int32 at a random position (array counts, lengths)
      if (b.length >= 4) b.writeInt32BE(INTERESTING_32[int(INTERESTING_32.length)] | 0, int(b.length - 3));
      return b;
    case 3: // truncate
      return b.subarray(0, int(b.length + 1));
    case 4: { // insert random bytes
      const at = int(b.length + 1);
      return Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: 1 + int(8) }, () => int(256))), b.subarray(at)]);
    }
    case 5: { // delete a range
      const at = int(b.length + 1);
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + int(8)))]);
    }
    case 6: { // splice with another frame
      const o = other();
      const at = int(b.length + 1);
      return Buffer.concat([b.subarray(0, at), o.subarray(int(o.length + 1))]);
    }
    default: // pure random bytes, correlation id kept
      return Buffer.concat([b.subarray(0, Math.min(4, b.length)), Buffer.from(Array.from({ length: int(64) }, () => int(256)))]);
  }
}

/** Runs `cases` fuzz cases; failures are collected, not thrown. */
export function runFuzz(cases: number, seed = 1, seeds = loadSeeds()): FuzzStats {
  if (seeds.length === 0) throw new Error('no seeds in test/fixtures/protocol');
  const requests = requestSeeds();
  const rnd = prng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
  const stats: FuzzStats = { cases: 0, decodedOk: 0, typedErrors: 0, failures: [] };
  for (let i = 0; i < cases; i++) {
    const asRequest = i % 10 === 9;
    let frame: Buffer;
    let what: string;
    let run: () => void;
    if (asRequest) {
      frame = mutate(pick(requests), rnd, () => pick(requests));
      what = 'decodeRequest';
      run = () => decodeRequest(frame);
    } else {
      const s = pick(seeds);
      frame = mutate(s.frame, rnd, () => pick(seeds).frame);
      what = `decodeResponse(${s.apiKey}, v${s.version})`;
      run = () => decodeResponse(s.apiKey, s.version, frame);
    }
    stats.cases++;
    try {
      run();
      stats.decodedOk++;
    } catch (e) {
      if (e instanceof ProtocolError || (asRequest && e instanceof UnsupportedError)) stats.typedErrors++;
      else if (stats.failures.length < 20) stats.failures.push({ what, error: String((e as Error)?.stack ?? e), frameHex: frame.toString('hex') });
      else stats.failures.length++;
    }
  }
  return stats;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const arg = (name: string, def: number): number => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : def;
  };
  const cases = arg('--cases', 1_000_000);
  const seed = arg('--seed', 1);
  const seeds = loadSeeds();
  const t0 = performance.now();
  const stats = runFuzz(cases, seed, seeds);
  const secs = (performance.now() - t0) / 1000;
  console.log(`protocol fuzz: ${stats.cases} cases from ${seeds.length} captured responses, seed ${seed}, ${secs.toFixed(1)} s`);
  console.log(`  decoded: ${stats.decodedOk}, typed errors: ${stats.typedErrors}, failures: ${stats.failures.length}`);
  for (const f of stats.failures.slice(0, 5)) console.log(`  FAIL ${f.what}: ${f.error}\n    frame ${f.frameHex}`);
  process.exitCode = stats.failures.length === 0 ? 0 : 1;
}
