/**
 * Sysmon Event ID 3 (network connection) as Windows event XML, one <Event> per line inside an <Events>
 * root, the layout of `wevtutil qe Microsoft-Windows-Sysmon/Operational /f:xml` wrapped for a file.
 * Field names follow the Event ID 3 schema of Sysmon 15 (schema version 4.90).
 */
import type { SimConnection } from '../model.js';
import { isIpv6, type OutputFile, type OutputFormat } from './types.js';

const SYSMON_PROVIDER_GUID = '{5770385f-c22a-43e0-bf4c-06f5698ffbd9}';

function escapeXml(text: string): string {
  if (!/[&<>"']/.test(text)) return text;
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** Sysmon's UtcTime: "2026-11-02 10:00:00.123". */
function utcTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23).replace('T', ' ');
}

/** Hostname names for common destination ports, as Sysmon resolves them from the services file. */
const PORT_NAMES: Record<number, string> = { 53: 'domain', 80: 'http', 123: 'ntp', 443: 'https' };

function eventXml(connection: SimConnection, recordId: number, initiated: boolean): string {
  const process = connection.process ?? '';
  const data: [string, string][] = [
    ['RuleName', '-'],
    ['UtcTime', utcTime(connection.starttime)],
    ['ProcessGuid', `{7c1d8e3a-0000-0000-0000-${String(recordId % 1_000_000_000_000).padStart(12, '0')}}`],
    ['ProcessId', String(1000 + ((process.length * 37) % 9000))],
    ['Image', process],
    ['User', connection.username ?? '-'],
    ['Protocol', connection.protocol],
    ['Initiated', initiated ? 'true' : 'false'],
    ['SourceIsIpv6', isIpv6(connection.sourceip) ? 'true' : 'false'],
    ['SourceIp', connection.sourceip],
    ['SourceHostname', '-'],
    ['SourcePort', String(connection.sourceport)],
    ['SourcePortName', '-'],
    ['DestinationIsIpv6', isIpv6(connection.destinationip) ? 'true' : 'false'],
    ['DestinationIp', connection.destinationip],
    ['DestinationHostname', '-'],
    ['DestinationPort', String(connection.destinationport)],
    ['DestinationPortName', PORT_NAMES[connection.destinationport] ?? '-'],
  ];
  const eventData = data.map(([name, value]) => `<Data Name="${name}">${escapeXml(value)}</Data>`).join('');
  const created = new Date(connection.starttime + 2).toISOString().replace(/Z$/, '0000Z');
  return (
    '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>' +
    `<Provider Name="Microsoft-Windows-Sysmon" Guid="${SYSMON_PROVIDER_GUID}"/><EventID>3</EventID>` +
    '<Version>5</Version><Level>4</Level><Task>3</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords>' +
    `<TimeCreated SystemTime="${created}"/><EventRecordID>${recordId}</EventRecordID><Correlation/>` +
    '<Execution ProcessID="3212" ThreadID="4480"/><Channel>Microsoft-Windows-Sysmon/Operational</Channel>' +
    `<Computer>${escapeXml(connection.computer)}</Computer><Security UserID="S-1-5-18"/></System>` +
    `<EventData>${eventData}</EventData></Event>`
  );
}

export const sysmonXmlOutput: OutputFormat = {
  id: 'sysmon-xml',
  aliases: ['sysmon'],
  description: 'Sysmon Event ID 3 as Windows event XML (wevtutil), with Image and User',
  limits:
    'only series with a process (hosts running Sysmon); no server name, URI, bytes or connection state, and blocked attempts appear as ordinary connections',
  files(connections, context): OutputFile[] {
    return [
      {
        path: 'sysmon.xml',
        *lines() {
          yield '<?xml version="1.0" encoding="utf-8"?>';
          yield '<Events>';
          let recordId = 0;
          for (const connection of connections) {
            if (connection.process === null) continue;
            recordId += 1;
            // The host logs its own connections; a probe from outside is logged by the server that accepted it.
            const initiated = context.localNetworks.isLocal(connection.sourceip);
            yield eventXml(connection, recordId, initiated);
          }
          yield '</Events>';
        },
      },
    ];
  },
  recordsFor: (connection) => (connection.process === null ? 0 : 1),
};
