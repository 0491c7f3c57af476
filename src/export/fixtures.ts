/**
 * Rules shared by the export tests: the default rule, and a tuned rule whose config exercises every
 * allowlist selector and values that need escaping in each target.
 */
import { parseConfig } from '../config.js';
import { buildRule, type ExportRule } from './model.js';

/**
 * A config with a local network list, a source group and one allowlist entry per selector. The process
 * paths hold a single quote, a double quote and backslashes, which every target must escape.
 */
export const TUNED_CONFIG_YAML = `local_networks:
  - 10.0.0.0/8
  - 192.168.0.0/16
  - fd00::/8
source_groups:
  scanners: [10.9.0.0/16]
allowlist:
  - domain: '*.corp-cdn.example'
    reason: our CDN's health checks
  - domain: winatp-gw-*.microsoft.com
    port: 443
  - cidr: 203.0.113.0/24
    reason: monitoring provider
  - process: 'C:\\Program Files\\O''Brien "Tools"\\agent.exe'
  - process: updater.exe
    protocol: tcp
  - source_group: scanners
    port: 8443
`;

export function defaultRule(): ExportRule {
  return buildRule({});
}

export function tunedRule(): ExportRule {
  return buildRule(parseConfig(TUNED_CONFIG_YAML, 'tuned.yaml'), {
    ports: [443, 8443, 53],
    windowMs: 6 * 3_600_000,
  });
}
