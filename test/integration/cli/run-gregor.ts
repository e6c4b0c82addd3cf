// The CLI as a user runs it, for the CLI tests: `bin/gregor.js` in a child process of the current Node, its exit code
// and both output streams; a run that has not finished in 60 s is killed and fails the test (never a hang).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers/kafka.js';

export interface Run { code: number | null; stdout: string; stderr: string }

export function gregor(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'gregor.js'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`gregor ${args.join(' ')} did not finish in 60 s\n${stderr}`)); }, 60_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}
