/**
 * The tables of a beaconhunt dataset in ClickHouse. Column names and meanings are those of the DuckDB
 * store (src/store/schema.ts). Every column but the start time is Nullable, because an input format may
 * lack any other field.
 *
 * Only features of ClickHouse 18.16 (the release Debian ships) are used, so the same DDL works on old and
 * current servers: no Nullable column in a sorting key, no LowCardinality, no codecs.
 */
import { EVENT_COLUMNS, type ColumnType } from '../../model/event.js';
import { DNS_QUERIES_TABLE, EVENTS_TABLE, FILES_TABLE, FLOW_HTTP_TABLE } from '../schema.js';

const CLICKHOUSE_TYPE: Record<ColumnType, string> = {
  BIGINT: 'Int64',
  INTEGER: 'Int32',
  DOUBLE: 'Float64',
  VARCHAR: 'String',
};

/** A table of the dataset: its columns as (name, ClickHouse type), its sorting key and its time column. */
export interface TableSpec {
  readonly name: string;
  readonly columns: readonly (readonly [string, string])[];
  readonly orderBy: string;
  /** The epoch-ms column that partitions the table by month, or null for the catalogue. */
  readonly time: string | null;
  /** Column of the source address, which picks the shard of a row, or null to spread rows at random. */
  readonly shardBy: string | null;
}

/** Maps an event column to its ClickHouse type. starttime is the sorting key, which cannot be Nullable. */
export function clickhouseColumnType(name: string, type: ColumnType): string {
  return name === 'starttime' ? CLICKHOUSE_TYPE[type] : `Nullable(${CLICKHOUSE_TYPE[type]})`;
}

export const EVENTS_SPEC: TableSpec = {
  name: EVENTS_TABLE,
  columns: EVENT_COLUMNS.map(
    (column) => [column.name, clickhouseColumnType(column.name, column.type)] as const,
  ),
  orderBy: 'starttime',
  time: 'starttime',
  shardBy: 'sourceip',
};

/** DNS queries; `answers` is an array, empty where DuckDB has NULL (ClickHouse 18 has no Nullable arrays). */
export const DNS_QUERIES_SPEC: TableSpec = {
  name: DNS_QUERIES_TABLE,
  columns: [
    ['starttime', 'Int64'],
    ['sourceip', 'Nullable(String)'],
    ['resolverip', 'Nullable(String)'],
    ['query', 'Nullable(String)'],
    ['qtype', 'Nullable(String)'],
    ['rcode', 'Nullable(String)'],
    ['answers', 'Array(String)'],
    ['answered', 'UInt8'],
    ['uid', 'Nullable(String)'],
    ['transactionid', 'Nullable(Int32)'],
    ['sourcefile', 'Nullable(String)'],
    ['sourceline', 'Nullable(Int64)'],
  ],
  orderBy: 'starttime',
  time: 'starttime',
  shardBy: 'sourceip',
};

/** HTTP requests by flow id, for keep-alive connections whose every request counts. */
export const FLOW_HTTP_SPEC: TableSpec = {
  name: FLOW_HTTP_TABLE,
  columns: [
    ['uid', 'Nullable(String)'],
    ['ts', 'Int64'],
    ['host', 'Nullable(String)'],
    ['uri', 'Nullable(String)'],
    ['user_agent', 'Nullable(String)'],
  ],
  orderBy: 'ts',
  time: 'ts',
  shardBy: null,
};

/** The file catalogue: one row per imported file. */
export const FILES_SPEC: TableSpec = {
  name: FILES_TABLE,
  columns: [
    ['path', 'String'],
    ['format', 'String'],
    ['bytes', 'Int64'],
    ['events', 'Int64'],
    ['skipped', 'Int64'],
    ['importedat', 'Int64'],
    ['sha256', 'Nullable(String)'],
  ],
  orderBy: 'importedat',
  time: null,
  shardBy: null,
};

export const DATASET_TABLES: readonly TableSpec[] = [
  EVENTS_SPEC,
  DNS_QUERIES_SPEC,
  FLOW_HTTP_SPEC,
  FILES_SPEC,
];

function columnsDdl(spec: TableSpec): string {
  return spec.columns.map(([name, type]) => `  ${name} ${type}`).join(',\n');
}

/**
 * DDL of a table on one server, under `name` (the spec's name, or its per-shard name in a cluster). A
 * month partition on the time column lets a retention drop whole parts.
 */
export function createTableSql(spec: TableSpec, name = spec.name): string {
  const partition =
    spec.time === null ? '' : `\nPARTITION BY toYYYYMM(toDateTime(intDiv(${spec.time}, 1000)))`;
  return `CREATE TABLE IF NOT EXISTS ${name} (
${columnsDdl(spec)}
) ENGINE = MergeTree${partition}
ORDER BY ${spec.orderBy}`;
}

/** Names the table each shard keeps its own rows in, under a Distributed table of the spec's name. */
export function shardTableName(spec: TableSpec): string {
  return `${spec.name}_shard`;
}

/**
 * DDL of a Distributed table over the shard tables of `cluster`. Rows of one source go to one shard
 * (a hash of the source address), so the per-source series of the beacon detector are never split.
 */
export function createDistributedTableSql(spec: TableSpec, cluster: string, database: string): string {
  const key = spec.shardBy === null ? 'rand()' : `cityHash64(ifNull(${spec.shardBy}, ''))`;
  return `CREATE TABLE IF NOT EXISTS ${spec.name} (
${columnsDdl(spec)}
) ENGINE = Distributed(${cluster}, ${database}, ${shardTableName(spec)}, ${key})`;
}

/**
 * Lists the statements that prepare one shard of a cluster: the database and the per-shard tables. Run them on
 * every shard when the servers have no distributed DDL (ON CLUSTER needs ZooKeeper or ClickHouse Keeper).
 */
export function shardSetupSql(database: string): string[] {
  return [
    `CREATE DATABASE IF NOT EXISTS ${database}`,
    ...DATASET_TABLES.map((spec) => createTableSql(spec, `${database}.${shardTableName(spec)}`)),
  ];
}
