/** Builds the normalised events of a capture: one per flow, and one per later HTTP request of a connection. */
import { emptyEvent, type ConnectionEvent } from '../../model/event.js';
import { tcpConnState, udpConnState } from './conn-state.js';
import { applicationFindings, type Flow } from './flows.js';
import type { HttpRequest } from './http.js';

export const FORMAT_ID = 'pcap';

/** logsource of the events that stand for an HTTP request after the first in a connection. */
export const HTTP_REQUEST_LOGSOURCE = 'pcap:http-request';

/** Returns the connection event of a finished flow. */
export function flowEvent(flow: Flow, sourcefile: string): ConnectionEvent {
  const event = emptyEvent(sourcefile, flow.firstIndex);
  const findings = applicationFindings(flow);
  event.starttime = flow.firstTimeMicros / 1000;
  event.sourceip = flow.sourceIp;
  event.sourceport = flow.sourcePort;
  event.destinationip = flow.destinationIp;
  event.destinationport = flow.destinationPort;
  event.protocol = flow.protocol;
  event.sourcebytes = flow.orig.bytes;
  event.destinationbytes = flow.resp.bytes;
  event.duration = (flow.lastTimeMicros - flow.firstTimeMicros) / 1_000_000;
  event.connstate =
    flow.protocol === 'tcp' ? tcpConnState(flow.orig, flow.resp) : udpConnState(flow.orig, flow.resp);
  event.logsource = FORMAT_ID;
  event.uid = flow.uid;

  if (flow.dnsName !== null) {
    event.service = 'dns';
    event.servername = flow.dnsName;
  } else {
    event.service = findings.service;
    // The TLS server name, else the Host of the first HTTP request, as Zeek's ssl and http logs give them.
    event.servername = findings.serverName ?? flow.firstRequest?.host ?? null;
  }
  if (flow.firstRequest !== null) {
    event.uri = flow.firstRequest.uri;
    event.useragent = flow.firstRequest.userAgent;
  }
  return event;
}

/**
 * Returns the event of an HTTP request after the first in a keep-alive connection. The first request is
 * carried by the connection's own event, so that each request is one event and a connection that carries
 * one request still counts once.
 */
export function requestEvent(
  flow: Flow,
  request: HttpRequest,
  number: number,
  sourcefile: string,
): ConnectionEvent {
  const event = emptyEvent(sourcefile, request.index);
  event.starttime = request.timeMicros / 1000;
  event.sourceip = flow.sourceIp;
  event.sourceport = flow.sourcePort;
  event.destinationip = flow.destinationIp;
  event.destinationport = flow.destinationPort;
  event.protocol = flow.protocol;
  event.service = 'http';
  event.sourcebytes = request.bytes;
  event.servername = request.host;
  event.uri = request.uri;
  event.useragent = request.userAgent;
  event.logsource = HTTP_REQUEST_LOGSOURCE;
  event.uid = `${flow.uid}-${number}`;
  return event;
}
