// The parent's side of member processes (member-child.ts): start one, SIGKILL it, stop it gracefully, freeze it
// (SIGSTOP) and thaw it, send it commands; and a Group of them sharing one directory of ledger files, merged with
// the parent's own ledger (writes, marks) whenever a scenario needs to look.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ledger, type LedgerEvent } from '../../support/ledger.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'member-child.js');

/** What member-child.ts is started with (JSON in argv[2]). */
export interface MemberSpec {
  bootstrap: string;
  topic: string;
  group: string;
  /** The member's name in the ledger: unique per process ("b#2" is the second process of member b). */
  name: string;
  /** client.id: the member's name without the incarnation. */
  clientId: string;
  ledgerFile: string;
  /** Consumer properties over the defaults (group.protocol, session.timeout.ms, group.instance.id, ...). */
  properties: Record<string, string | number | boolean>;
  /** Commit after this many deliveries (default 200). */
  commitEvery?: number;
}

export class MemberProcess {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr = '';
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  constructor(readonly spec: MemberSpec, readonly child: ChildProcess) {
    child.stderr?.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-20_000); });
    child.stdout?.resume();
    child.stdin?.on('error', () => { /* a killed child closes its stdin */ });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => { this.exitInfo = { code, signal }; resolve(this.exitInfo); });
    });
  }

  get name(): string {
    return this.spec.name;
  }

  get running(): boolean {
    return this.exitInfo === null;
  }

  /** Set when the scenario kills or stops the process: any other exit is a crash the scenario must report. */
  private ended = false;

  /** The exit status when the process ended without being told to (a crash), else null. */
  crashed(): string | null {
    if (this.exitInfo === null || this.ended) return null;
    return `${this.name} exited by itself (${this.exitInfo.signal ?? `exit ${this.exitInfo.code}`}): ${this.stderr.trim().slice(-1500)}`;
  }

  /** A crash: SIGKILL, resolves once the process is gone. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.ended = true;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** A clean stop: SIGTERM (commit, close, exit 0); SIGKILL after `timeoutMs`, which is then an error. */
  async stop(timeoutMs = 120_000): Promise<void> {
    if (!this.running) return;
    this.ended = true;
    this.child.kill('SIGCONT'); // a frozen member must be able to stop
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const r = await this.exited;
    clearTimeout(timer);
    if (r.code !== 0) throw new Error(`member ${this.name} did not stop cleanly (${r.signal ?? `exit ${r.code}`}):\n${this.stderr}`);
  }

  /** Freezes the process (SIGSTOP): no heartbeat, no poll, sockets stay open - a member that stopped answering. */
  freeze(): void {
    this.child.kill('SIGSTOP');
  }

  thaw(): void {
    this.child.kill('SIGCONT');
  }

  /** A command line for member-child.ts ('stall <ms>', 'commit'). */
  send(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }
}

/**
 * Members of one group on one topic, each process recording into its own file of one directory; `ledger` is the
 * parent's (writes, marks). `load()` merges everything, ordered by time.
 */
export class Group {
  readonly dir = mkdtempSync(join(tmpdir(), 'gregor-rel-members-'));
  readonly members: MemberProcess[] = [];
  private files: string[] = [];
  private starts = 0;
  private readonly incarnations = new Map<string, number>();

  constructor(readonly ledger: Ledger, readonly base: Omit<MemberSpec, 'name' | 'clientId' | 'ledgerFile' | 'properties'> & { properties?: MemberSpec['properties'] }) {}

  /**
   * Starts a process of member `name` (properties added to the group's). Each process records under its own name,
   * `name#k` for the k-th process of `name`: a killed process never records that it lost its partitions, so its
   * successor must not inherit its ownership in the ledger.
   */
  start(name: string, properties: MemberSpec['properties'] = {}, commitEvery = this.base.commitEvery): MemberProcess {
    const k = (this.incarnations.get(name) ?? 0) + 1;
    this.incarnations.set(name, k);
    const ledgerName = `${name}#${k}`;
    const ledgerFile = join(this.dir, `${String(++this.starts).padStart(3, '0')}-${name}-${k}.jsonl`);
    this.files.push(ledgerFile);
    const spec: MemberSpec = {
      ...this.base, name: ledgerName, clientId: name, ledgerFile, properties: { ...this.base.properties, ...properties }, commitEvery,
    };
    const child = spawn(process.execPath, [CHILD, JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const m = new MemberProcess(spec, child);
    this.members.push(m);
    return m;
  }

  /** The live members (not exited). */
  live(): MemberProcess[] {
    return this.members.filter((m) => m.running);
  }

  /** Every event so far: the parent's ledger and every member file. */
  load(): Ledger {
    return Ledger.load(this.files, [this.ledger]);
  }

  /** Kills whatever still runs (after a failure) and removes the files. */
  async dispose(): Promise<void> {
    await Promise.all(this.members.map((m) => m.kill()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Partitions ("topic\0p" keys) each member owns now, from the assignment events of a merged ledger. */
export function ownership(events: readonly LedgerEvent[]): Map<string, Set<number>> {
  const owned = new Map<string, Set<number>>();
  for (const e of events) {
    if (e.t !== 'assigned' && e.t !== 'revoked' && e.t !== 'lost') continue;
    let s = owned.get(e.member);
    if (s === undefined) owned.set(e.member, (s = new Set()));
    for (const p of e.partitions) {
      if (e.t === 'assigned') s.add(p.partition);
      else s.delete(p.partition);
    }
  }
  return owned;
}
