/**
 * Zeek's conn_state for a flow, from the packets each endpoint sent. The decision follows the conn_state
 * function of Zeek's base/protocols/conn/main.zeek. The endpoint states it reads are derived here from
 * the flags seen, not from Zeek's full TCP state machine.
 */

/** Packets, flags and payload bytes sent by one endpoint of a flow. */
export interface EndpointActivity {
  packets: number;
  /** Sent a SYN without ACK. */
  syn: boolean;
  /** Sent a SYN with ACK. */
  synAck: boolean;
  fin: boolean;
  rst: boolean;
  /** Payload bytes sent. */
  bytes: number;
}

type EndpointState =
  'inactive' | 'syn-sent' | 'syn-ack-sent' | 'partial' | 'established' | 'closed' | 'reset';

function originatorState(orig: EndpointActivity, resp: EndpointActivity): EndpointState {
  if (orig.rst) return 'reset';
  if (orig.fin) return 'closed';
  if (orig.syn) return resp.synAck ? 'established' : 'syn-sent';
  return orig.packets > 0 ? 'partial' : 'inactive';
}

function responderState(orig: EndpointActivity, resp: EndpointActivity): EndpointState {
  if (resp.rst) return 'reset';
  if (resp.fin) return 'closed';
  if (resp.synAck) return orig.syn ? 'established' : 'syn-ack-sent';
  return resp.packets > 0 ? 'partial' : 'inactive';
}

/**
 * Returns the conn_state of a TCP flow: S0, S1, SF, REJ, S2, S3, RSTO, RSTR, RSTOS0, RSTRH, SH, SHR or
 * OTH, with Zeek's meanings.
 */
export function tcpConnState(orig: EndpointActivity, resp: EndpointActivity): string {
  const os = originatorState(orig, resp);
  const rs = responderState(orig, resp);
  const originatorInactive = os === 'inactive' || os === 'partial';
  const responderInactive = rs === 'inactive' || rs === 'partial';

  if (rs === 'reset') {
    if (
      os === 'syn-sent' ||
      os === 'syn-ack-sent' ||
      (os === 'reset' && orig.bytes === 0 && resp.bytes === 0)
    ) {
      return 'REJ';
    }
    return originatorInactive ? 'RSTRH' : 'RSTR';
  }
  if (os === 'reset') {
    if (!responderInactive) return 'RSTO';
    // Zeek requires a history of SYN then RST with nothing else from the originator in between.
    return orig.syn && !orig.fin && orig.bytes === 0 ? 'RSTOS0' : 'OTH';
  }
  if (os === 'closed' && rs === 'closed') return 'SF';
  if (os === 'closed') return responderInactive ? 'SH' : 'S2';
  if (rs === 'closed') return originatorInactive ? 'SHR' : 'S3';
  if (os === 'syn-sent' && rs === 'inactive') return 'S0';
  if (os === 'established' && rs === 'established') return 'S1';
  return 'OTH';
}

/** Returns the conn_state of a UDP flow: SF when both ends sent, S0 when only the originator did. */
export function udpConnState(orig: EndpointActivity, resp: EndpointActivity): string {
  if (orig.packets > 0) return resp.packets > 0 ? 'SF' : 'S0';
  return resp.packets > 0 ? 'SHR' : 'OTH';
}
