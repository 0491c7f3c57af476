/**
 * Starts throw-away ClickHouse servers on loopback for tests: each in its own temporary folder, on free
 * ports, with a configuration written here, and stopped (folder removed) afterwards. Several servers
 * started together form a cluster named `beaconhunt_test`, one shard per server, for Distributed tables.
 *
 * The server comes from the Debian package (`clickhouse-server`, release 18.16 on bookworm) or from a
 * newer single `clickhouse` binary. Where neither is installed the tests that need it are skipped with a
 * message, as in a user's clone; CI installs the package and sets BEACONHUNT_REQUIRE_CLICKHOUSE=1 so that
 * a missing server fails instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CLUSTER_NAME = 'beaconhunt_test';

export interface ClickHouseServer {
  /** HTTP address, such as http://127.0.0.1:41234. */
  readonly httpUrl: string;
  readonly httpPort: number;
  readonly tcpPort: number;
  stop(): Promise<void>;
}

/** Finds the command that starts a server: the Debian program, or `clickhouse server` of newer releases. */
function serverCommand(): { command: string; args: string[] } | null {
  for (const path of ['/usr/sbin/clickhouse-server', '/usr/bin/clickhouse-server']) {
    if (existsSync(path)) return { command: path, args: [] };
  }
  for (const path of ['/usr/bin/clickhouse', '/usr/local/bin/clickhouse']) {
    if (existsSync(path)) return { command: path, args: ['server'] };
  }
  return null;
}

export const CLICKHOUSE_AVAILABLE = serverCommand() !== null;
const REQUIRED = process.env.BEACONHUNT_REQUIRE_CLICKHOUSE === '1';

if (!CLICKHOUSE_AVAILABLE) {
  if (REQUIRED) {
    throw new Error(
      'BEACONHUNT_REQUIRE_CLICKHOUSE=1 but no clickhouse-server is installed; install the Debian package clickhouse-server',
    );
  }
  console.warn(
    'skipping tests on ClickHouse: clickhouse-server is not installed (Debian package clickhouse-server)',
  );
}

/** Asks the kernel for a free loopback port. Another process could take it before the server binds it. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface Ports {
  http: number;
  tcp: number;
}

function configXml(folder: string, own: Ports, cluster: readonly Ports[]): string {
  const shards = cluster
    .map((ports) => `      <shard><replica><host>127.0.0.1</host><port>${ports.tcp}</port></replica></shard>`)
    .join('\n');
  return `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${folder}/server.log</log><errorlog>${folder}/server.err.log</errorlog></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${own.http}</http_port>
  <tcp_port>${own.tcp}</tcp_port>
  <path>${folder}/data/</path>
  <tmp_path>${folder}/tmp/</tmp_path>
  <user_files_path>${folder}/user_files/</user_files_path>
  <format_schema_path>${folder}/format_schemas/</format_schema_path>
  <users_config>${folder}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>268435456</mark_cache_size>
  <max_server_memory_usage_to_ram_ratio>0.25</max_server_memory_usage_to_ram_ratio>
  <remote_servers>
    <${CLUSTER_NAME}>
${shards}
    </${CLUSTER_NAME}>
  </remote_servers>
</yandex>
`;
}

/** A default user with no password that may connect from loopback only. */
const USERS_XML = `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default></default></quotas>
</yandex>
`;

async function waitUntilReady(url: string, child: ChildProcess, folder: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`clickhouse-server exited with code ${child.exitCode}; see ${folder}/server.err.log`);
    }
    try {
      const response = await fetch(`${url}/ping`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`clickhouse-server did not answer on ${url} within 60 s; see ${folder}/server.err.log`);
}

async function startOne(own: Ports, cluster: readonly Ports[]): Promise<ClickHouseServer> {
  const command = serverCommand();
  if (command === null) throw new Error('clickhouse-server is not installed');
  const folder = mkdtempSync(join(tmpdir(), 'beaconhunt-clickhouse-'));
  writeFileSync(join(folder, 'config.xml'), configXml(folder, own, cluster));
  writeFileSync(join(folder, 'users.xml'), USERS_XML);
  const child = spawn(command.command, [...command.args, `--config-file=${join(folder, 'config.xml')}`], {
    cwd: folder,
    stdio: 'ignore',
  });
  const httpUrl = `http://127.0.0.1:${own.http}`;
  try {
    await waitUntilReady(httpUrl, child, folder);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    httpUrl,
    httpPort: own.http,
    tcpPort: own.tcp,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** Starts `count` servers that know each other as the shards of CLUSTER_NAME. */
export async function startClickHouse(count = 1): Promise<ClickHouseServer[]> {
  const ports: Ports[] = [];
  for (let index = 0; index < count; index += 1)
    ports.push({ http: await freePort(), tcp: await freePort() });
  const servers: ClickHouseServer[] = [];
  try {
    for (const own of ports) servers.push(await startOne(own, ports));
  } catch (error) {
    await Promise.all(servers.map((server) => server.stop()));
    throw error;
  }
  return servers;
}
