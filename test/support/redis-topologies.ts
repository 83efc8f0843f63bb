// Redis Cluster and Sentinel groups of the test's own, from the `redis-server` binary: each server
// on free loopback ports the OS hands out (so parallel runs and other suites never collide), in a
// temporary directory, with an append-only file (fsync always) so a killed server comes back with
// its data (`persist: false`, for the benchmark: no files, nothing comes back). stop() kills every
// process and removes the directory. With `tls`, every server, replica link, cluster bus and
// sentinel speaks TLS only (no plain port), with the certificates given.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import type { TestCertificates } from './tls-certs';
import { freePort } from './ports';

const HOST = '127.0.0.1';
const NOT_INSTALLED = 'redis-server and redis-cli are needed: these tests start servers of their own (Debian/Ubuntu: apt install redis-server)';

export interface ServerProcess {
  port: number;
  /** `127.0.0.1:<port>` */
  address: string;
  /** SIGKILL; does nothing when it is not running. */
  kill(): Promise<void>;
  /** Starts it again with the same arguments (and its data); does nothing while it runs. */
  start(): Promise<void>;
  running(): boolean;
  /** SIGSTOP: frozen with its connections open, as behind a network partition; resume() with SIGCONT. */
  freeze(): void;
  resume(): void;
}

/** A redis-server on `port` with `args`; resolves once it accepts connections. */
async function startServer(port: number, args: string[], logName: string): Promise<ServerProcess> {
  let child: ChildProcess | undefined;
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;

  async function start(): Promise<void> {
    if (running()) return;
    const started = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        if (/Ready to accept connections|Sentinel ID is/.test(out)) {
          started.stdout?.off('data', onData);
          started.stdout?.resume();
          resolve();
        }
      };
      started.stdout?.on('data', onData);
      started.stderr?.resume();
      started.once('exit', (code) => reject(new Error(`${logName} exited (${code}): ${out.slice(-800)}`)));
      started.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? new Error(NOT_INSTALLED) : err));
    });
  }

  async function kill(): Promise<void> {
    const victim = child;
    if (!victim || !running()) return;
    await new Promise<void>((resolve) => {
      victim.once('exit', () => resolve());
      victim.kill('SIGKILL');
    });
  }

  await start();
  return {
    port,
    address: `${HOST}:${port}`,
    kill,
    start,
    running,
    freeze: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
  };
}

export interface ServerOptions {
  /** An append-only file, fsync'd on every write, so a killed server restarts with its data (default true). */
  persist?: boolean;
  /** TLS only, with these certificates (clients are not asked for one). */
  tls?: TestCertificates;
}

/** Addresses that speak TLS only, and the CA to trust there: `ask` connects to them with it. */
const tlsAt = new Map<string, { ca: string }>();

/** The listening part of a server's or sentinel's arguments: `port`, or TLS on `port` and no plain port. */
function listenArgs(port: number, tls: TestCertificates | undefined): string[] {
  if (!tls) return ['--port', String(port)];
  tlsAt.set(`${HOST}:${port}`, { ca: readFileSync(tls.ca, 'utf8') });
  return ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.cert, '--tls-key-file', tls.key, '--tls-ca-cert-file', tls.ca,
    '--tls-auth-clients', 'no', '--tls-replication', 'yes', '--tls-cluster', 'yes'];
}

function dataArgs(dir: string, port: number, { persist = true, tls }: ServerOptions = {}): string[] {
  const files = persist ? ['--appendonly', 'yes', '--appendfsync', 'always', '--appenddirname', `aof-${port}`] : ['--appendonly', 'no'];
  return [...listenArgs(port, tls), '--bind', HOST, '--dir', dir, '--save', '', ...files, '--dbfilename', `dump-${port}.rdb`];
}

/** The app's TLS settings for a topology started with `options`. */
const tlsEnv = (options: ServerOptions): Record<string, string> => (options.tls ? { REDIS_TLS: 'true', REDIS_TLS_CA_FILE: options.tls.ca } : {});

/** Waits until `check` holds, asking again after each answer (never a fixed sleep: each poll is a round trip). */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** ['--a', 'x', '--b', 'y'] → [['--a', 'x'], ['--b', 'y']]: command-line options as config-file lines. */
const chunk = (args: string[]): string[][] => args.flatMap((arg, i) => (i % 2 === 0 ? [[arg, args[i + 1]!]] : []));

async function ask<T>(address: string, work: (redis: Redis) => Promise<T>): Promise<T> {
  const [host, port] = address.split(':');
  const tls = tlsAt.get(address);
  const redis = new Redis({ host, port: Number(port), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000, ...(tls ? { tls } : {}) });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

const info = (address: string, section: string) => ask(address, (redis) => redis.info(section));
const field = (text: string, name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(text)?.[1]?.trim();

export interface RedisCluster {
  primaries: ServerProcess[];
  /** The app's configuration for this cluster. */
  env: { REDIS_CLUSTER_NODES: string } & Record<string, string>;
  /** Every node answers and the cluster says `cluster_state:ok`. */
  healthy(): Promise<void>;
  stop(): Promise<void>;
}

/** `primaries` nodes (no replicas), every slot assigned, created with `redis-cli --cluster create`. */
export async function startCluster(primaries = 3, options: ServerOptions = {}): Promise<RedisCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cc-cluster-'));
  const nodes: ServerProcess[] = [];
  try {
    for (let i = 0; i < primaries; i++) {
      const [port, busPort] = [await freePort(), await freePort()];
      nodes.push(
        await startServer(port, [...dataArgs(dir, port, options), '--cluster-enabled', 'yes', '--cluster-port', String(busPort),
          '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000'], `cluster node ${port}`),
      );
    }
    const cliTls = options.tls ? ['--tls', '--cacert', options.tls.ca] : [];
    const created = spawnSync('redis-cli', [...cliTls, '--cluster', 'create', ...nodes.map((n) => n.address), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8' });
    if (created.error) throw new Error(`${NOT_INSTALLED} (${created.error.message})`);
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    const cluster: RedisCluster = {
      primaries: nodes,
      env: { REDIS_CLUSTER_NODES: nodes.map((n) => n.address).join(','), ...tlsEnv(options) },
      healthy: () =>
        until('cluster_state:ok on every node', async () => {
          for (const node of nodes) if (field(await ask(node.address, (r) => r.cluster('INFO')), 'cluster_state') !== 'ok') return false;
          return true;
        }),
      async stop() {
        await Promise.all(nodes.map((n) => n.kill()));
        rmSync(dir, { recursive: true, force: true });
      },
    };
    await cluster.healthy();
    return cluster;
  } catch (err) {
    await Promise.all(nodes.map((n) => n.kill()));
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

export interface ReplicatedPair {
  primary: ServerProcess;
  replica: ServerProcess;
  /** The replica is linked and has caught up with the primary. */
  inSync(): Promise<void>;
  stop(): Promise<void>;
}

/** A primary and its replica, no sentinels (what replicated writes wait on). */
export async function startReplicatedPair(): Promise<ReplicatedPair> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cc-pair-'));
  const started: ServerProcess[] = [];
  const stop = async () => {
    await Promise.all(started.map((p) => p.kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [primary, replica] = await startPrimaryAndReplica(dir, started);
    const pair = { primary, replica, inSync: () => replicaInSync(primary, replica), stop };
    await pair.inSync();
    return pair;
  } catch (err) {
    await stop();
    throw err;
  }
}

async function startPrimaryAndReplica(dir: string, started: ServerProcess[], options: ServerOptions = {}): Promise<[ServerProcess, ServerProcess]> {
  const primaryPort = await freePort();
  const replicaPort = await freePort();
  // No delay before the first sync (the default waits 5 s for more replicas to join).
  const serverArgs = (port: number) => [...dataArgs(dir, port, options), '--repl-diskless-sync-delay', '0'];
  const primary = await startServer(primaryPort, serverArgs(primaryPort), 'primary');
  started.push(primary);
  const replica = await startServer(replicaPort, [...serverArgs(replicaPort), '--replicaof', HOST, String(primaryPort)], 'replica');
  started.push(replica);
  return [primary, replica];
}

async function replicaInSync(primary: ServerProcess, replica: ServerProcess): Promise<void> {
  await until('the replica in sync with the primary', async () => {
    const [primaryInfo, replicaInfo] = await Promise.all([info(primary.address, 'replication'), info(replica.address, 'replication')]);
    // Both sides: the replica's link is up, and the primary counts it online. After a diskless sync
    // the primary puts a replica online only at its first REPLCONF ACK (up to a second later); until
    // then ROLE lists no replica, and a write would not be waited on.
    const online = new RegExp(`^slave\\d+:ip=${HOST.replace(/\./g, '\\.')},port=${replica.port},state=online`, 'm').test(primaryInfo);
    return online && field(replicaInfo, 'master_link_status') === 'up' && field(replicaInfo, 'master_repl_offset') === field(primaryInfo, 'master_repl_offset');
  });
}

export interface SentinelGroup {
  name: string;
  sentinels: ServerProcess[];
  /** The servers as started: [0] began as primary, [1] as its replica. */
  servers: ServerProcess[];
  env: { REDIS_SENTINELS: string; REDIS_SENTINEL_NAME: string } & Record<string, string>;
  /** The server the sentinels name as primary now. */
  primary(): Promise<ServerProcess>;
  /** Resolves once the sentinels name another primary than `previous` and it accepts writes. */
  failedOverFrom(previous: ServerProcess): Promise<ServerProcess>;
  /** Every replica is linked to the primary and has caught up with it; every sentinel knows it. */
  inSync(): Promise<void>;
  /** Every sentinel sees the primary as plainly up: no failover under way or winding down (one would refuse another). */
  calm(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * One primary, one replica, three sentinels (quorum 2). Failure is declared after 1 s without an
 * answer and a failover may take 3 s, so a killed primary is replaced within a few seconds.
 */
export async function startSentinelGroup(options: ServerOptions = {}): Promise<SentinelGroup> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cc-sentinel-'));
  const name = 'cc-primary';
  const processes: ServerProcess[] = [];
  try {
    const servers = await startPrimaryAndReplica(dir, processes, options);
    const primaryPort = servers[0].port;

    const sentinels: ServerProcess[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const conf = path.join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          ...chunk(listenArgs(port, options.tls)).map((pair) => pair.join(' ').replace(/^--/, '')),
          `bind ${HOST}`,
          `dir ${dir}`,
          `sentinel monitor ${name} ${HOST} ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 3000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      const sentinel = await startServer(port, [conf, '--sentinel'], `sentinel ${port}`);
      sentinels.push(sentinel);
      processes.push(sentinel);
    }

    const named = async (): Promise<string | undefined> => {
      for (const sentinel of sentinels.filter((s) => s.running())) {
        const answer = await ask(sentinel.address, (r) => r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)).catch(() => null);
        if (Array.isArray(answer)) return `${answer[0]}:${answer[1]}`;
      }
      return undefined;
    };
    const serverAt = (address: string | undefined) => servers.find((s) => s.address === address);

    const group: SentinelGroup = {
      name,
      sentinels,
      servers,
      env: { REDIS_SENTINELS: sentinels.map((s) => s.address).join(','), REDIS_SENTINEL_NAME: name, ...tlsEnv(options) },
      async primary() {
        const found = serverAt(await named());
        if (!found) throw new Error('the sentinels name no known primary');
        return found;
      },
      async failedOverFrom(previous) {
        let next: ServerProcess | undefined;
        await until('the sentinels to promote another primary', async () => {
          next = serverAt(await named());
          if (!next || next === previous) return false;
          return field(await info(next.address, 'replication'), 'role') === 'master';
        }, 30_000);
        return next!;
      },
      async inSync() {
        await until('every replica in sync with the primary', async () => {
          const primaryNow = await group.primary();
          const replicas = servers.filter((s) => s !== primaryNow && s.running());
          for (const r of replicas) await replicaInSync(primaryNow, r);
          // Every sentinel knows the replica (it learns of it from the primary's INFO, every 10 s at first).
          for (const s of sentinels) {
            const known = await ask(s.address, (r) => r.call('SENTINEL', 'REPLICAS', name));
            if (!Array.isArray(known) || known.length < replicas.length) return false;
          }
          return true;
        }, 30_000);
      },
      async calm() {
        await until('every sentinel to see the primary plainly up', async () => {
          for (const s of sentinels) {
            const primaryAsSeen = (await ask(s.address, (r) => r.call('SENTINEL', 'MASTER', name))) as string[];
            if (primaryAsSeen[primaryAsSeen.indexOf('flags') + 1] !== 'master') return false;
          }
          return true;
        }, 30_000);
      },
      async stop() {
        await Promise.all(processes.map((p) => p.kill()));
        rmSync(dir, { recursive: true, force: true });
      },
    };
    await group.inSync();
    return group;
  } catch (err) {
    await Promise.all(processes.map((p) => p.kill()));
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
