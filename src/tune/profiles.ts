/**
 * Built-in suppression profiles for benign beacon classes. Every profile is on unless the config's
 * `profiles.disable` lists it. Each rule pairs a port or protocol with vendor domains, an address block,
 * a header or a period range, so that no profile hides an implant calling an unknown host on 443.
 *
 * NOTE: the vendor names are from memory of the vendors' published firewall and proxy lists and were not
 * checked against current lists. A host a profile misses stays visible, which is the safe side.
 */
import { parseCidr, parseDomainPattern, type CidrPattern, type DomainPattern } from './patterns.js';
import type { CompiledRule } from './rules.js';

export interface ProfileRule {
  domains?: readonly string[];
  cidrs?: readonly string[];
  ports?: readonly number[];
  protocols?: readonly string[];
  userAgentPrefixes?: readonly string[];
  uriPaths?: readonly string[];
  periodSeconds?: { min: number; max: number };
  notOutbound?: boolean;
  /**
   * Require a local source. Rules on a port alone carry it, so that an internet scanner probing our
   * SIP, MQTT or NTP ports is never taken for our own clients.
   */
  localSource?: boolean;
}

export interface Profile {
  id: string;
  title: string;
  /** Shown with every finding the profile hides. */
  reason: string;
  rules: readonly ProfileRule[];
}

/** RFC 5905 poll intervals run from 2^4 s to 2^17 s (16 s to about 36 h); 1 s allows for SNTP bursts. */
const NTP_PERIOD = { min: 1, max: 131_072 };

export const PROFILES: readonly Profile[] = [
  {
    id: 'cdn-health-check',
    title: 'CDN and load-balancer health checks and keep-alives',
    reason:
      'load balancers, CDNs, uptime monitors and Kubernetes probe a service on a fixed interval to see that it is up',
    rules: [
      {
        // Prefixes of the User-Agent each checker sends (AWS ELB and Route 53, Google Cloud load
        // balancing, the kubelet, Azure Traffic Manager and Front Door, Consul, Envoy).
        userAgentPrefixes: [
          'ELB-HealthChecker/',
          'Amazon-Route53-Health-Check-Service',
          'GoogleHC/',
          'kube-probe/',
          'Azure Traffic Manager Endpoint Monitor',
          'Edge Health Probe',
          'Consul Health Check',
          'Envoy/HC',
        ],
        // Cloud checkers probe every 1 s to 300 s (AWS ELB allows 5–300 s, Google 1–300 s); 900 s leaves
        // room for slower uptime monitors.
        periodSeconds: { min: 0.5, max: 900 },
        // Checks come into a service or stay inside the network; an implant may fake the header, so an
        // outbound series is never hidden by it.
        notOutbound: true,
      },
      {
        uriPaths: ['/health', '/healthz', '/healthcheck', '/livez', '/readyz', '/ping', '/status'],
        periodSeconds: { min: 0.5, max: 900 },
        notOutbound: true,
      },
      {
        // Keep-alives and check-ins of monitoring and APM agents on application servers to their vendors'
        // intake: Datadog, New Relic, Dynatrace, Elastic Cloud, Pingdom, UptimeRobot, StatusCake, Site24x7.
        domains: [
          'datadoghq.com',
          'datadoghq.eu',
          'ddog-gov.com',
          'nr-data.net',
          'newrelic.com',
          'dynatrace.com',
          'live.dynatrace.com',
          'cloud.es.io',
          'pingdom.com',
          'pingdom.net',
          'uptimerobot.com',
          'statuscake.com',
          'site24x7.com',
        ],
        periodSeconds: { min: 0.5, max: 900 },
      },
    ],
  },
  {
    id: 'voip-sip',
    title: 'VoIP and SIP registration refresh',
    reason:
      'SIP phones and softphones refresh their registration and send NAT keep-alives on a timer (RFC 3261 REGISTER, default expiry 3600 s)',
    rules: [
      // SIP runs over UDP or TCP on 5060 and over TLS on 5061 (RFC 3261 §26.2). Refreshes come before the
      // registration expires, so periods above an hour are not SIP's.
      { ports: [5060], protocols: ['udp', 'tcp'], periodSeconds: { min: 1, max: 3900 }, localSource: true },
      { ports: [5061], protocols: ['tcp'], periodSeconds: { min: 1, max: 3900 }, localSource: true },
      {
        // Hosted VoIP and unified-communications providers that register over TLS on 443 or 5061.
        domains: [
          'zoom.us',
          'zoom.com',
          'ringcentral.com',
          '8x8.com',
          'vonage.com',
          'sip.twilio.com',
          'webex.com',
          'dialpad.com',
          'jive.com',
          'gotoconnect.com',
          'nextiva.com',
          'aircall.io',
          'lync.com',
          'teams.microsoft.com',
        ],
        periodSeconds: { min: 1, max: 3900 },
      },
    ],
  },
  {
    id: 'iot-mqtt',
    title: 'IoT and OT telemetry over MQTT',
    reason: 'IoT and OT devices publish telemetry and MQTT keep-alives to their broker at a fixed cadence',
    rules: [
      // MQTT (1883) and MQTT over TLS (8883), the IANA ports; MQTT runs over TCP only.
      { ports: [1883, 8883], protocols: ['tcp'], localSource: true },
      // AWS IoT Core (<prefix>-ats.iot.<region>.amazonaws.com) and Azure IoT Hub, which also accept MQTT
      // over WebSockets on 443.
      { domains: ['*.iot.*.amazonaws.com', 'azure-devices.net'], ports: [443, 8883] },
    ],
  },
  {
    id: 'ntp',
    title: 'Network time (NTP)',
    reason: 'NTP clients poll their time servers on a timer (RFC 5905 poll intervals of 16 s to 36 h)',
    rules: [
      { ports: [123], protocols: ['udp'], periodSeconds: NTP_PERIOD, localSource: true },
      {
        // Well-known time services, also on the NTS key-exchange port (RFC 8915, tcp 4460).
        domains: [
          'pool.ntp.org',
          'time.windows.com',
          'time.apple.com',
          'time.google.com',
          'time.cloudflare.com',
          'time.nist.gov',
        ],
        ports: [123, 4460],
        periodSeconds: NTP_PERIOD,
      },
    ],
  },
  {
    id: 'update-checks',
    title: 'Operating-system and antivirus update checks',
    reason: 'operating systems and antivirus products check for updates and signatures on a schedule',
    rules: [
      {
        domains: [
          // Microsoft Update, Windows Update and Delivery Optimization.
          'windowsupdate.com',
          'update.microsoft.com',
          'delivery.mp.microsoft.com',
          'dsp.mp.microsoft.com',
          'download.microsoft.com',
          'definitionupdates.microsoft.com',
          'wdcp.microsoft.com',
          'wdcpalt.microsoft.com',
          // Apple software update.
          'swscan.apple.com',
          'swcdn.apple.com',
          'swdist.apple.com',
          'mesu.apple.com',
          'gdmf.apple.com',
          'updates.cdn-apple.com',
          // Ubuntu and Debian archives and their update notices.
          'archive.ubuntu.com',
          'security.ubuntu.com',
          'changelogs.ubuntu.com',
          'motd.ubuntu.com',
          'api.snapcraft.io',
          'deb.debian.org',
          'security.debian.org',
          // Distribution mirrors that cloud providers point their images at.
          'mirrors.digitalocean.com',
          'repos-droplet.digitalocean.com',
          'mirrors.fedoraproject.org',
          'packages.microsoft.com',
          // Antivirus vendors: whole vendor domains, since their clients only reach their own hosts.
          'eset.com',
          'eset.systems',
          'sophos.com',
          'sophosupd.com',
          'sophosupd.net',
          'sophosxl.net',
          'symantec.com',
          'symantecliveupdate.com',
          'norton.com',
          'kaspersky.com',
          'kaspersky-labs.com',
          'avast.com',
          'avcdn.net',
          'avg.com',
          'bitdefender.com',
          'bitdefender.net',
          'mwbsys.com',
          'malwarebytes.com',
          'trendmicro.com',
          'mcafee.com',
        ],
      },
      {
        // ESET's address block, the RIPE allocation 91.228.164.0/22 to ESET (AS50881). ESET's push
        // notification service connects to epns.eset.com with MQTT over TLS on 8883, falling back to 443.
        // ESET's update and reputation servers serve 80 and 443 from the same block.
        // NOTE: the allocation is stated from memory of the RIPE database and was not checked online.
        // The Stratosphere benign capture 008 shows eset.com names on addresses across 91.228.165-167.x.
        cidrs: ['91.228.164.0/22'],
        ports: [80, 443, 8883],
        protocols: ['tcp'],
      },
    ],
  },
  {
    id: 'edr-heartbeat',
    title: 'EDR sensor check-ins',
    reason: 'endpoint detection and response sensors check in with their cloud on a fixed heartbeat',
    rules: [
      {
        domains: [
          // CrowdStrike Falcon.
          'cloudsink.net',
          'crowdstrike.com',
          // SentinelOne.
          'sentinelone.net',
          // Microsoft Defender for Endpoint.
          'endpoint.security.microsoft.com',
          'winatp-gw-*.microsoft.com',
          'securitycenter.windows.com',
          'wd.microsoft.com',
          // VMware Carbon Black Cloud.
          'conferdeploy.net',
          // Palo Alto Networks Cortex XDR.
          'traps.paloaltonetworks.com',
          'xdr.*.paloaltonetworks.com',
          // Elastic Agent enrolled in an Elastic Cloud Fleet Server.
          '*.fleet.*.*.elastic-cloud.com',
          '*.fleet.*.*.cloud.es.io',
          // Cybereason.
          'cybereason.net',
        ],
      },
    ],
  },
];

export const PROFILE_IDS: readonly string[] = PROFILES.map((profile) => profile.id);

/** Turns a profile into rules; rules naming vendors (domains or blocks) come first, as the more specific. */
export function compileProfile(profile: Profile): CompiledRule[] {
  return profile.rules.map((rule) => {
    const domains: DomainPattern[] | undefined = rule.domains?.map(parseDomainPattern);
    const cidrs: CidrPattern[] | undefined = rule.cidrs?.map(parseCidr);
    return {
      name: `profile ${profile.id}`,
      reason: profile.reason,
      ...(domains !== undefined ? { domains } : {}),
      ...(cidrs !== undefined ? { cidrs } : {}),
      ...(rule.ports !== undefined ? { ports: rule.ports } : {}),
      ...(rule.protocols !== undefined ? { protocols: rule.protocols } : {}),
      ...(rule.userAgentPrefixes !== undefined ? { userAgentPrefixes: rule.userAgentPrefixes } : {}),
      ...(rule.uriPaths !== undefined ? { uriPaths: rule.uriPaths } : {}),
      ...(rule.periodSeconds !== undefined ? { periodSeconds: rule.periodSeconds } : {}),
      ...(rule.notOutbound !== undefined ? { notOutbound: rule.notOutbound } : {}),
      ...(rule.localSource !== undefined ? { localSource: rule.localSource } : {}),
    };
  });
}
