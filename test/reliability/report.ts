// The result table of `npm run test:reliability`: each scenario appends one JSON line to the results file named by
// GREGOR_RELIABILITY_RESULTS (scripts/test-reliability.mjs sets it; without it, lines go to
// dist/reliability-results.jsonl), and the script prints them as a Markdown table.
//
// A scenario calls finish(): it computes the verdict from the ledger check plus the scenario's own conditions,
// writes the line, and then throws an AssertionError listing every violation, so the test's outcome and the table
// always agree.
import { AssertionError } from 'node:assert';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LedgerCheck } from '../support/ledger.js';

export interface ScenarioResult {
  /** "R1 steady consumption", "R12 reset mid-Fetch", ... */
  scenario: string;
  /** Distinct records delivered (or checked). */
  records: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  /** Time from the fault (or its end) to the next delivery; null when the scenario has no fault. */
  recoverMs: number | null;
  verdict: 'pass' | 'fail';
  /** Duplicates allowed by at-least-once (counted in `duplicated`). */
  duplicatesInWindow?: number;
  /** Short free text: what else was measured (connection attempts, error seen...). */
  notes?: string;
  /** Why the verdict is fail. */
  failures?: string[];
  durationMs?: number;
}

// "No unhandled rejection" is part of every verdict: rejections nobody handled, anywhere in the process, since the
// previous finish() fail the next one. (Node's test runner reports them too, but not in the table.)
const unhandled: string[] = [];
process.on('unhandledRejection', (reason: unknown) => {
  unhandled.push(reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason));
});
// One that came after the last finish() of the file still fails the run.
process.on('exit', () => {
  if (unhandled.length === 0) return;
  report({
    scenario: '(unhandled rejection after the last scenario of a file)', records: 0, lost: 0, duplicated: 0, outOfOrder: 0,
    recoverMs: null, verdict: 'fail', failures: unhandled.splice(0).map((r) => `unhandled rejection: ${r}`),
  });
  process.exitCode = 1;
});

const DEFAULT_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'reliability-results.jsonl');

export function resultsFile(): string {
  return process.env.GREGOR_RELIABILITY_RESULTS ?? DEFAULT_FILE;
}

/** Appends one result line (synchronously: a result written is kept even if the run dies afterwards). */
export function report(result: ScenarioResult): void {
  const file = resultsFile();
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify(result)}\n`);
}

export function readResults(file = resultsFile()): ScenarioResult[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as ScenarioResult);
}

export interface FinishOptions {
  /** The ledger check (omit for scenarios that are not about records, e.g. security). */
  check?: LedgerCheck;
  recoverMs?: number | null;
  /** The scenario's own conditions: a failure message for each one not met. */
  failures?: (string | null | undefined | false)[];
  notes?: string;
  /** Records for the table when there is no ledger check. */
  records?: number;
  startedAt?: number;
}

/**
 * Writes the scenario's line to the results file and throws (AssertionError) when the verdict is fail: any ledger
 * violation (lost, duplicate outside the window, out of order, gap, commit regression or commit while not owned,
 * aborted record delivered, final commit wrong) or any of the scenario's own failures.
 */
export function finish(scenario: string, opts: FinishOptions): ScenarioResult {
  const c = opts.check;
  const failures = [
    ...(c?.violations ?? []),
    ...(opts.failures ?? []).filter((f): f is string => typeof f === 'string' && f !== ''),
    ...unhandled.splice(0).map((r) => `unhandled rejection: ${r}`),
  ];
  const result: ScenarioResult = {
    scenario,
    records: c?.distinct ?? opts.records ?? 0,
    lost: c?.lost ?? 0,
    duplicated: c?.duplicated ?? 0,
    outOfOrder: c?.outOfOrder ?? 0,
    recoverMs: opts.recoverMs ?? null,
    verdict: failures.length === 0 ? 'pass' : 'fail',
  };
  if (c !== undefined && c.duplicated > 0) result.duplicatesInWindow = c.duplicated - c.duplicatesOutsideWindow;
  if (opts.notes) result.notes = opts.notes;
  if (failures.length > 0) result.failures = failures.slice(0, 20);
  if (opts.startedAt !== undefined) result.durationMs = Math.round(Date.now() - opts.startedAt);
  report(result);
  if (failures.length > 0) {
    throw new AssertionError({ message: `${scenario}: ${failures.length} failure(s):\n  ${failures.slice(0, 30).join('\n  ')}` });
  }
  return result;
}

/** The Markdown table printed at the end of a run. */
export function formatTable(results: readonly ScenarioResult[]): string {
  const rows = [
    '| scenario | records | lost | duplicated | out of order | recover ms | verdict | notes |',
    '|---|---:|---:|---:|---:|---:|---|---|',
  ];
  for (const r of results) {
    const dup = r.duplicated === 0 ? '0' : `${r.duplicated}${r.duplicatesInWindow !== undefined ? ` (${r.duplicatesInWindow} in window)` : ''}`;
    const notes = [r.notes, ...(r.failures ?? []).slice(0, 3)].filter(Boolean).join('; ').replace(/\|/g, '\\|').replace(/\n/g, ' ');
    rows.push(`| ${r.scenario} | ${r.records} | ${r.lost} | ${dup} | ${r.outOfOrder} | ${r.recoverMs ?? '-'} | ${r.verdict.toUpperCase()} | ${notes} |`);
  }
  return rows.join('\n');
}
