/**
 * A PostgreSQL instance of our own: initdb into a fresh directory, the postmaster as our child
 * on a port of its own, trust auth on loopback. Tests and benchmarks that restart PostgreSQL
 * use this, never the machine's shared cluster. Binaries come from the machine's PostgreSQL
 * packages (Debian: /usr/lib/postgresql/<major>/bin, newest major first; PG_BIN overrides).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Pool } from 'pg';
import { startSupervised, type Supervised } from './child-process';
import { freePort } from '../temporal-dev-server';
import { ownedTempDir } from './temp-dirs';

export function postgresBinDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PG_BIN) return env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const majors = fs.existsSync(root) ? fs.readdirSync(root).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const major of majors) {
    const bin = path.join(root, major, 'bin');
    if (fs.existsSync(path.join(bin, 'initdb'))) return bin;
  }
  throw new Error('No PostgreSQL server binaries found under /usr/lib/postgresql/*/bin (install postgresql, or set PG_BIN)');
}

export interface PrivatePostgresOptions {
  port?: number;
  /** Extra `-c name=value` settings. */
  settings?: Record<string, string | number>;
  /** Where the server log goes; inside the data directory when omitted. */
  logFile?: string;
}

export interface PrivatePostgres {
  port: number;
  dataDir: string;
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url(database: string): string;
  /** Immediate shutdown (as a crash would end it: clients cut off, WAL recovery at start), then start again. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
  /** Stops the server and removes its directory. */
  destroy(): Promise<void>;
}

export async function startPrivatePostgres(opts: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  const root = ownedTempDir('psa-sync-pg-');
  const dataDir = path.join(root, 'data');
  // PostgreSQL refuses to run as root; as root the server runs as the postgres system user.
  const user = process.getuid?.() === 0 ? 'postgres' : undefined;
  fs.mkdirSync(dataDir, { mode: 0o700 });
  if (user) {
    const pw = spawnSync('id', ['-u', user], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', user], { encoding: 'utf8' });
    fs.chownSync(root, Number(pw.stdout.trim()), Number(gid.stdout.trim()));
    fs.chownSync(dataDir, Number(pw.stdout.trim()), Number(gid.stdout.trim()));
  }
  const asUser = (cmd: string, args: string[]) =>
    user ? spawnSync('setpriv', ['--reuid', user, '--regid', user, '--init-groups', '--', cmd, ...args], { encoding: 'utf8' }) : spawnSync(cmd, args, { encoding: 'utf8' });
  const init = asUser(path.join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-instructions', '--no-sync']);
  if (init.status !== 0) {
    fs.rmSync(root, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  }
  const port = opts.port ?? (await freePort());
  const logFile = opts.logFile ?? path.join(root, 'postgres.log');
  // Durability against an OS crash is not what these runs test, and fsyncs are slow on a shared disk.
  // A PostgreSQL crash is: commits stay synchronous, so what a client saw committed survives restart().
  const settings: Record<string, string | number> = {
    listen_addresses: '127.0.0.1',
    port,
    unix_socket_directories: root,
    max_connections: 300,
    fsync: 'off',
    full_page_writes: 'off',
    shared_buffers: '64MB',
    ...opts.settings,
  };
  const args = ['-D', dataDir, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  let server: Supervised | null = null;

  const start = async () => {
    // SIGINT = fast shutdown, also when this process dies (pdeathsig).
    server = startSupervised({ name: 'postgres', command: path.join(bin, 'postgres'), args, user, stopSignal: 'SIGINT', logFile });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const pool = new Pool({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', max: 1, connectionTimeoutMillis: 1_000 });
      try {
        await pool.query('select 1');
        return;
      } catch (err) {
        if (!server.isRunning() || Date.now() > deadline) {
          throw new Error(`private PostgreSQL on port ${port} did not start (${(err as Error).message}); log: ${logFile}\n${tail(logFile)}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      } finally {
        await pool.end().catch(() => undefined);
      }
    }
  };
  const stop = async () => {
    await server?.stop(15_000);
  };
  try {
    await start();
  } catch (err) {
    await stop();
    fs.rmSync(root, { recursive: true, force: true });
    throw err;
  }

  return {
    port,
    dataDir,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    async restart(downMs = 1_000) {
      const s = server as Supervised | null;
      if (s?.isRunning()) {
        s.child.kill('SIGQUIT');
        await s.exited;
      }
      await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
    stop,
    async destroy() {
      await stop();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}
