/**
 * A throwaway PostgreSQL cluster for tests and benchmarks: the real server
 * (Debian's `postgresql` package, newest version under /usr/lib/postgresql),
 * initdb'd into a fresh temp folder and started on a free loopback port with
 * durability switched off. No mocks; if PostgreSQL is missing, `startPostgres`
 * throws (tests fail, they do not skip). Nothing global is registered: the
 * caller stops it. It never touches a system cluster (e.g. Debian's `15/main`).
 *
 * Authentication mirrors production where it matters: the Unix socket (in the
 * temp folder, `host`) trusts everyone, so the superuser `postgres` needs no
 * password there; TCP on 127.0.0.1 demands scram-sha-256, so a role created
 * with a password logs in with it and a wrong password fails (SQLSTATE 28P01).
 *
 *   const pg = await startPostgres();
 *   try {
 *     pg.sql(`CREATE ROLE app_rw LOGIN PASSWORD 'secret'`);
 *     pg.createDatabase('app');
 *     const client = new Client({ connectionString: pg.url('app', 'app_rw', 'secret') });
 *   } finally { await pg.stop(); }
 *
 * When the process runs as root, initdb/pg_ctl/psql run as the `postgres` OS
 * user through `runuser` (initdb refuses root) and the folder is chowned to it.
 */
import { execFile, execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PgCluster {
  /** The Unix socket folder (also the cluster's temp folder). */
  host: string;
  /** The TCP port on 127.0.0.1 (the socket uses the same number). */
  port: number;
  /** The temp folder: `data/` (the cluster), `log` (server log), the socket. */
  dir: string;
  superuser: 'postgres';
  /** With `tls`: the server's self-signed certificate (its own CA; names 127.0.0.1 and localhost). */
  caFile: string | null;
  /**
   * A connection URL. With a password: TCP to 127.0.0.1 (scram-sha-256). Without
   * one: the Unix socket (trust), e.g. `url()` for the superuser on `postgres`.
   */
  url(db?: string, user?: string, password?: string): string;
  /** Runs SQL as superuser via psql over the socket; returns stdout (`-At`), throws with stderr. */
  sql(sql: string, db?: string): string;
  createDatabase(name: string): void;
  /** Immediate shutdown, then removes the folder. Idempotent. */
  stop(): Promise<void>;
}

/** The newest `/usr/lib/postgresql/<version>/bin`. */
function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(`PostgreSQL not found: no ${root}/<version>/bin/initdb (apt-get install postgresql)`);
  return join(root, newest, 'bin');
}

/** A port the kernel just handed out on 127.0.0.1 (free unless someone races us). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/** `tls`: TLS on the TCP port too (a self-signed certificate made with openssl; plain connections still work). */
export async function startPostgres(options: { port?: number; tls?: boolean } = {}): Promise<PgCluster> {
  const bin = binDir();
  const asRoot = process.getuid?.() === 0;
  // [file, args] for a PostgreSQL binary, as the postgres OS user when we are root.
  const cmd = (tool: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];

  const dir = mkdtempSync(join(tmpdir(), 'iampass-pg-'));
  const data = join(dir, 'data');
  // cwd: the folder, which the postgres user can enter (it may not enter ours).
  const exec = async (tool: string, args: string[]) => run(...cmd(tool, args), { cwd: dir });
  let port = 0;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      if (existsSync(join(data, 'postmaster.pid'))) await exec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  try {
    if (asRoot) {
      const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(dir, id('-u'), id('-g'));
    }
    const initdb = (locale: string) =>
      exec('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', `--locale=${locale}`]);
    // C.UTF-8 is in glibc since 2.35 (Debian 12); older systems may only have C.
    await initdb('C.UTF-8').catch(() => initdb('C'));
    // Socket: trust (the superuser's way in). TCP: passwords, as in production.
    writeFileSync(join(data, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n');

    port = options.port ?? (await freePort());
    if (options.tls) {
      // Made as this user, then handed to postgres: the server refuses a key others can read.
      await run('openssl', [
        ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost'],
        ...['-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
        ...['-keyout', join(data, 'server.key'), '-out', join(data, 'server.crt')],
      ]);
      chmodSync(join(data, 'server.key'), 0o600);
      copyFileSync(join(data, 'server.crt'), join(dir, 'ca.crt'));
      if (asRoot) {
        const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
        for (const f of ['server.key', 'server.crt']) chownSync(join(data, f), id('-u'), id('-g'));
      }
    }
    // pg_ctl hands -o to a shell, hence the quotes around the folder.
    const serverOptions = [
      `-k '${dir}' -p ${port} -c listen_addresses=127.0.0.1`,
      '-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50',
      options.tls ? '-c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key' : '',
    ].join(' ');
    await exec('pg_ctl', ['-D', data, '-o', serverOptions, '-l', join(dir, 'log'), '-w', 'start']).catch(
      (error: unknown) => {
        const log = existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8') : '(no log)';
        throw new Error(`pg_ctl start failed: ${String(error)}\n${log}`, { cause: error });
      },
    );
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }

  const sql = (text: string, db = 'postgres'): string => {
    const args = ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', dir, '-p', String(port), '-U', 'postgres'];
    try {
      return execFileSync(...cmd('psql', [...args, '-d', db, '-c', text]), {
        cwd: dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? '';
      throw new Error(`psql failed: ${stderr.trim() || String(error)}\nSQL: ${text}`, { cause: error });
    }
  };
  const e = encodeURIComponent;
  return {
    host: dir,
    port,
    dir,
    superuser: 'postgres',
    caFile: options.tls ? join(dir, 'ca.crt') : null,
    url: (db = 'postgres', user = 'postgres', password?: string) =>
      password === undefined
        ? `postgresql://${e(user)}@/${e(db)}?host=${e(dir)}&port=${port}`
        : `postgresql://${e(user)}:${e(password)}@127.0.0.1:${port}/${e(db)}`,
    sql,
    // CREATE DATABASE cannot run inside a transaction, so alone in its own psql -c.
    createDatabase: (name) => void sql(`CREATE DATABASE "${name.replaceAll('"', '""')}"`),
    stop,
  };
}
