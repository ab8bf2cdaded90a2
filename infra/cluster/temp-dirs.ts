/**
 * Temporary directories that name their owner process, so a run killed before its cleanup
 * (SIGKILL, a CI timeout) leaves nothing for long: the next run with the same prefix removes
 * directories whose owner is gone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const OWNER_FILE = 'owner.pid';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sweep(prefix: string): void {
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (!name.startsWith(prefix)) continue;
    const dir = path.join(os.tmpdir(), name);
    try {
      const owner = Number(fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) continue;
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // not ours (no owner file) or removed meanwhile: leave it
    }
  }
}

/** A fresh directory under the system temp dir, after sweeping this prefix's orphans. */
export function ownedTempDir(prefix: string): string {
  sweep(prefix);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.writeFileSync(path.join(dir, OWNER_FILE), String(process.pid));
  return dir;
}
