/**
 * The tables of a beaconhunt dataset in ClickHouse. Column names and meanings are those of the DuckDB
 * store (src/store/schema.ts). Every column but the start time is Nullable, because an input format may
 * lack any other field.
 *
 * Only features of ClickHouse 18.16 (the release Debian ships) are used, so the same DDL works on old and
 * current servers: no Nullable column in a sorting key, no LowCardinality, no codecs.
 */
import { EVENT_COLUMNS, type ColumnType } from '../../model/event.js';

const CLICKHOUSE_TYPE: Record<ColumnType, string> = {
  BIGINT: 'Int64',
  INTEGER: 'Int32',
  DOUBLE: 'Float64',
  VARCHAR: 'String',
};

/** Maps an event column to its ClickHouse type. starttime is the sorting key, which cannot be Nullable. */
export function clickhouseColumnType(name: string, type: ColumnType): string {
  return name === 'starttime' ? CLICKHOUSE_TYPE[type] : `Nullable(${CLICKHOUSE_TYPE[type]})`;
}

/** Column list of the events table, one `name Type` per line. */
export function eventColumnsDdl(): string {
  return EVENT_COLUMNS.map(
    (column) => `  ${column.name} ${clickhouseColumnType(column.name, column.type)}`,
  ).join(',\n');
}

/**
 * DDL of the events table on one server. Rows are sorted by start time so a time window reads a
 * contiguous range; a month partition lets retention drop whole parts.
 */
export function createEventsTableSql(table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (
${eventColumnsDdl()}
) ENGINE = MergeTree
PARTITION BY toYYYYMM(toDateTime(intDiv(starttime, 1000)))
ORDER BY starttime`;
}

/**
 * DDL of a Distributed table that spreads `local` over the shards of `cluster`. Rows go to a shard by a
 * hash of the source address, so every series of one source is on one shard and per-source aggregates
 * can run on each shard alone.
 */
export function createDistributedTableSql(
  table: string,
  cluster: string,
  database: string,
  local: string,
): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (
${eventColumnsDdl()}
) ENGINE = Distributed(${cluster}, ${database}, ${local}, cityHash64(ifNull(sourceip, '')))`;
}
