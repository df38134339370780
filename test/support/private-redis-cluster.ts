import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../src/postgres/free-port.ts';
import { GaveUp, poll } from './poll.ts';
import { type ClusterNode, coveredSlots, describeView, parseClusterNodes } from './redis-cluster-topology.ts';

export type { ClusterNode } from './redis-cluster-topology.ts';

export interface RedisClusterOptions {
  masters?: number;
  replicasPerMaster?: number;
  /**
   * cluster-node-timeout: how long a node may be silent before it is suspected. It bounds how
   * fast a replica takes over from a killed master (about twice this, plus the election).
   */
  nodeTimeoutMs?: number;
  /** Deadline for every wait on the cluster's state (start, failover, kill, restart). */
  settleTimeoutMs?: number;
}

export interface PrivateRedisCluster {
  /** The nodes as they were once the cluster had formed. */
  nodes: ClusterNode[];
  /** Every node's `host:port`, for REDIS_CLUSTER_NODES or `new Cluster(...)`. */
  addresses: string[];
  /** The cluster as a running node sees it now. */
  topology(): Promise<ClusterNode[]>;
  /** The master serving the key's slot now. */
  masterForKey(key: string): Promise<ClusterNode>;
  /** CLUSTER FAILOVER on a replica; resolves once it is master and the cluster is ok. */
  failover(replicaPort: number): Promise<ClusterNode>;
  /** SIGKILL to a master; resolves with its promoted replica once the cluster is ok again. */
  killMaster(port: number): Promise<ClusterNode>;
  /** Kills the node if it runs, starts it again with its nodes.conf, waits until it rejoined. */
  restartNode(port: number): Promise<ClusterNode>;
  /** Kills every node and removes their directories. */
  stop(): Promise<void>;
}

interface Member {
  port: number;
  busPort: number;
  dir: string;
  child: ChildProcess | null;
  exited: Promise<unknown>;
}

/**
 * A Redis Cluster of the test's own: redis-server processes with cluster mode on, free ports,
 * no persistence, 127.0.0.1 only, formed by `redis-cli --cluster create`. Every wait polls the
 * nodes until all of them agree on the topology, never a fixed sleep.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<PrivateRedisCluster> {
  const { masters = 3, replicasPerMaster = 1, nodeTimeoutMs = 1000, settleTimeoutMs = 30_000 } = options;
  const root = await mkdtemp(join(tmpdir(), 'evt-redis-cluster-'));
  const members: Member[] = [];
  const clients = new Map<number, Redis>();
  const onExit = () => {
    for (const m of members) m.child?.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  };
  process.on('exit', onExit);

  const running = () => members.filter((m) => m.child !== null);
  const member = (port: number) => {
    const m = members.find((x) => x.port === port);
    if (!m) throw new Error(`no node of this cluster on port ${port}`);
    return m;
  };
  const ask = (port: number, ...args: string[]) => {
    let client = clients.get(port);
    if (!client) {
      // Fails at once while the node is down instead of queueing; reconnects when it is back.
      client = new Redis({ host: '127.0.0.1', port, enableOfflineQueue: false, maxRetriesPerRequest: 0, enableReadyCheck: false, retryStrategy: () => 50 });
      client.on('error', () => {});
      clients.set(port, client);
    }
    return client.call(args[0]!, ...args.slice(1)) as Promise<string>;
  };

  const launch = async (m: Member) => {
    // Bus ports are chosen, not port + 10000, which can pass 65535 for ephemeral ports.
    const args = ['--port', String(m.port), '--cluster-port', String(m.busPort), '--bind', '127.0.0.1', '--dir', m.dir,
      '--cluster-enabled', 'yes', '--cluster-config-file', join(m.dir, 'nodes.conf'), '--cluster-node-timeout', String(nodeTimeoutMs),
      '--cluster-replica-validity-factor', '0', '--cluster-allow-replica-migration', 'no',
      '--save', '', '--appendonly', 'no', '--repl-diskless-sync-delay', '0', '--logfile', join(m.dir, 'redis.log')];
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    m.child = child;
    m.exited = new Promise((resolve) => child.once('exit', resolve));
    const why = await poll(async () => {
      if (child.exitCode !== null) throw new GaveUp(`exited (${child.exitCode})`);
      return (await ask(m.port, 'ping')) === 'PONG' ? null : 'no PONG';
    }, settleTimeoutMs).catch((error: Error) => error.message);
    if (why !== null) throw new Error(`redis-server on ${m.port} did not start (${why}):\n${await logTail(m)}`);
  };
  // A port free a moment ago can be taken before redis-server binds it (this machine is
  // shared): such a node starts over on other ports, which is possible until the cluster forms.
  const launchOnFreePorts = async (m: Member) => {
    for (let attempt = 1; ; attempt++) {
      const taken = new Set(members.flatMap((x) => [x.port, x.busPort]));
      do m.port = await freePort(); while (taken.has(m.port));
      do m.busPort = await freePort(); while (taken.has(m.busPort) || m.busPort === m.port);
      try {
        return await launch(m);
      } catch (error) {
        if (attempt === 5 || !(error as Error).message.includes('Address already in use')) throw error;
        clients.get(m.port)?.disconnect();
        clients.delete(m.port);
        await rm(m.dir, { recursive: true, force: true });
        await mkdir(m.dir);
      }
    }
  };
  const kill = async (m: Member) => {
    if (!m.child) return;
    m.child.kill('SIGKILL');
    await m.exited;
    m.child = null;
  };

  /** Why the cluster has not settled yet, or null: every running node ok and of one mind. */
  const unsettled = async (expect?: (view: ClusterNode[]) => string | null): Promise<string | null> => {
    let agreed: string | undefined;
    for (const m of running()) {
      if (!(await ask(m.port, 'cluster', 'info')).includes('cluster_state:ok')) return `${m.port} is not ok`;
      const view = parseClusterNodes(await ask(m.port, 'cluster', 'nodes'));
      if (view.length !== members.length) return `${m.port} knows ${view.length} nodes`;
      for (const n of view) {
        const up = member(n.port).child !== null;
        if (n.failed === up) return `${m.port} sees ${n.port} as ${n.failed ? 'failed' : 'up'}`;
      }
      if (coveredSlots(view) !== 16384) return `${m.port} sees ${coveredSlots(view)} slots covered`;
      const shape = describeView(view);
      if (agreed !== undefined && shape !== agreed) return 'the nodes disagree on the topology';
      agreed = shape;
      const me = view.find((n) => n.port === m.port);
      if (me?.role === 'replica' && !(await ask(m.port, 'info', 'replication')).includes('master_link_status:up')) return `replica ${m.port} is not linked`;
      const why = expect?.(view);
      if (why) return why;
    }
    return null;
  };
  const settle = async (what: string, expect?: (view: ClusterNode[]) => string | null) => {
    const why = await poll(() => unsettled(expect), settleTimeoutMs);
    if (why !== null) throw new Error(`redis cluster: ${what} did not happen within ${settleTimeoutMs} ms (${why})`);
  };
  const topology = async () => {
    const m = running()[0];
    if (!m) throw new Error('no node of the cluster is running');
    return parseClusterNodes(await ask(m.port, 'cluster', 'nodes'));
  };
  const stopAll = async () => {
    process.off('exit', onExit);
    await Promise.all(members.map(kill));
    for (const client of clients.values()) client.disconnect();
    await rm(root, { recursive: true, force: true });
  };
  const nodeAt = async (port: number) => (await topology()).find((n) => n.port === port)!;

  try {
    const total = masters * (1 + replicasPerMaster);
    for (let i = 0; i < total; i++) {
      const dir = join(root, String(i));
      await mkdir(dir);
      members.push({ port: 0, busPort: 0, dir, child: null, exited: Promise.resolve() });
    }
    await Promise.all(members.map(launchOnFreePorts));
    const addresses = members.map((m) => `127.0.0.1:${m.port}`);
    await redisCli(['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicasPerMaster), '--cluster-yes']);
    await settle('forming', (view) => {
      const roles = view.filter((n) => n.role === 'master').length;
      return roles === masters ? null : `${roles} masters`;
    });
    const nodes = await topology();

    return {
      nodes,
      addresses,
      topology,
      async masterForKey(key) {
        const slot = Number(await ask(running()[0]!.port, 'cluster', 'keyslot', key));
        const owner = (await topology()).find((n) => n.role === 'master' && n.slots.some(([from, to]) => slot >= from && slot <= to));
        if (!owner) throw new Error(`no master serves slot ${slot}`);
        return owner;
      },
      async failover(replicaPort) {
        await ask(replicaPort, 'cluster', 'failover');
        await settle(`failover to ${replicaPort}`, (view) => (view.find((n) => n.port === replicaPort)?.role === 'master' ? null : `${replicaPort} is not master yet`));
        return nodeAt(replicaPort);
      },
      async killMaster(port) {
        const before = await topology();
        const target = before.find((n) => n.port === port);
        if (target?.role !== 'master') throw new Error(`${port} is not a master`);
        const replicas = before.filter((n) => n.masterId === target.id && !n.failed).map((n) => n.id);
        if (replicas.length === 0) throw new Error(`${port} has no replica to take over`);
        await kill(member(port));
        let promoted: ClusterNode | undefined;
        await settle(`promotion of a replica of ${port}`, (view) => {
          promoted = view.find((n) => replicas.includes(n.id) && n.role === 'master');
          return promoted ? null : 'no replica promoted yet';
        });
        return promoted!;
      },
      async restartNode(port) {
        const m = member(port);
        await kill(m);
        await launch(m);
        await settle(`rejoining of ${port}`);
        return nodeAt(port);
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function redisCli(args: string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.once('error', fail);
    child.once('exit', (code) => (code === 0 ? done() : fail(new Error(`redis-cli ${args.join(' ')} failed (${code}):\n${output}`))));
  });
}

const logTail = async (m: Member) => (await readFile(join(m.dir, 'redis.log'), 'utf8').catch(() => '')).split('\n').slice(-20).join('\n');
