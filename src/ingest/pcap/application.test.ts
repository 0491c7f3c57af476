import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

import { dnsQuery, httpRequest, tlsClientHello } from '../../../test/pcap-writer.js';
import { ClientStreamAnalyzer } from './application.js';
import { firstQuestionName } from './dns.js';
import { classifyHttpStart, HttpRequestParser, stripPort, type HttpRequest } from './http.js';
import { MAX_PENDING_BYTES, TcpStream, type StreamConsumer } from './stream.js';
import { parseClientHello } from './tls.js';

describe('parseClientHello', () => {
  const hello = tlsClientHello('www.example.com', 200);

  test('reads the server name', () => {
    expect(parseClientHello(hello)).toEqual({ status: 'hello', serverName: 'www.example.com' });
  });

  test('incomplete at every cut', () => {
    for (let cut = 0; cut < hello.length; cut += 1) {
      expect(parseClientHello(hello.subarray(0, cut))).toEqual({ status: 'incomplete' });
    }
  });

  test('handshake spread over two records', () => {
    const handshake = hello.subarray(5);
    const record = (part: Buffer) =>
      Buffer.concat([Buffer.from([22, 3, 3, part.length >> 8, part.length & 0xff]), part]);
    const split = Buffer.concat([record(handshake.subarray(0, 50)), record(handshake.subarray(50))]);

    expect(parseClientHello(split)).toEqual({ status: 'hello', serverName: 'www.example.com' });
  });

  test('hello without SNI', () => {
    const withoutName = Buffer.from(hello);
    // Turn the server_name extension (type 0) into an unknown type.
    const extension = withoutName.indexOf(Buffer.from([0, 0, 0, 20, 0, 18, 0, 0, 15]));
    withoutName.writeUInt16BE(0xff01, extension);

    expect(parseClientHello(withoutName)).toEqual({ status: 'hello', serverName: null });
  });

  test.each([
    ['HTTP', Buffer.from('GET / HTTP/1.1\r\n')],
    ['application data record', Buffer.from([23, 3, 3, 0, 5, 1, 2, 3, 4, 5])],
    ['ServerHello', Buffer.from([22, 3, 3, 0, 4, 2, 0, 0, 0])],
  ])('%s is not a ClientHello', (_name, bytes) => {
    expect(parseClientHello(bytes)).toEqual({ status: 'not-tls' });
  });

  test('random bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        parseClientHello(Buffer.from(bytes));
        // A valid record header in front makes the parser read into the random body.
        parseClientHello(
          Buffer.concat([Buffer.from([22, 3, 1, bytes.length >> 8, bytes.length & 0xff, 1]), bytes]),
        );
      }),
    );
  });

  test('damaged hellos never throw', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(hello.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        (flips) => {
          const damaged = Buffer.from(hello);
          for (const [offset, value] of flips) damaged[offset] = value;
          const result = parseClientHello(damaged);
          expect(['hello', 'not-tls', 'incomplete']).toContain(result.status);
        },
      ),
    );
  });
});

function parseRequests(chunks: readonly Buffer[]): HttpRequest[] {
  const requests: HttpRequest[] = [];
  const parser = new HttpRequestParser((request) => requests.push(request));
  chunks.forEach((chunk, index) => parser.data(chunk, 1000 * (index + 1), index + 1));
  return requests;
}

describe('HttpRequestParser', () => {
  const first = httpRequest(
    'POST',
    '/submit',
    { Host: 'Example.com:8080', 'Content-Length': '11' },
    'hello world',
  );
  const second = httpRequest('GET', '/next', { Host: '[2001:db8::1]:80', 'User-Agent': 'curl/8.5.0' });
  const chunked = Buffer.from(
    'POST /chunked HTTP/1.1\r\nHost: c.example\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n',
  );
  const third = httpRequest('GET', '/third', { Host: 'third.example' });

  test('keep-alive requests with bodies', () => {
    const requests = parseRequests([Buffer.concat([first, second, chunked, third])]);

    expect(requests.map((request) => [request.method, request.uri, request.host, request.userAgent])).toEqual(
      [
        ['POST', '/submit', 'Example.com', null],
        ['GET', '/next', '[2001:db8::1]', 'curl/8.5.0'],
        ['POST', '/chunked', 'c.example', null],
        ['GET', '/third', 'third.example', null],
      ],
    );
    expect(requests[0]!.bytes).toBe(first.length);
  });

  test('same requests at every split point', () => {
    const stream = Buffer.concat([first, second, chunked, third]);
    const whole = parseRequests([stream]).map((request) => request.uri);
    for (let cut = 1; cut < stream.length; cut += 1) {
      const requests = parseRequests([stream.subarray(0, cut), stream.subarray(cut)]);
      expect(requests.map((request) => request.uri)).toEqual(whole);
    }
  });

  test('request time is the packet of its first byte', () => {
    const requests = parseRequests([
      first.subarray(0, 10),
      Buffer.concat([first.subarray(10), second.subarray(0, 4)]),
      second.subarray(4),
    ]);

    expect(requests.map((request) => [request.index, request.timeMicros])).toEqual([
      [1, 1000],
      [2, 2000],
    ]);
  });

  test('resumes after a gap at the next request', () => {
    const requests: HttpRequest[] = [];
    const parser = new HttpRequestParser((request) => requests.push(request));
    parser.data(first.subarray(0, 20), 1, 1);
    parser.gap();
    parser.data(Buffer.from('rest of a lost body'), 2, 2);
    parser.data(second, 3, 3);

    expect(requests.map((request) => request.uri)).toEqual(['/next']);
  });

  test('stops at bytes that are not HTTP', () => {
    const requests: HttpRequest[] = [];
    const parser = new HttpRequestParser((request) => requests.push(request));
    parser.data(Buffer.concat([second, Buffer.from([0x16, 3, 1, 0, 10])]), 1, 1);

    expect(requests).toHaveLength(1);
    expect(parser.done).toBe(true);
  });

  test.each([
    ['GET / HTTP/1.1', 'http'],
    ['GE', 'undecided'],
    ['PROPFIND ', 'undecided'],
    ['SSH-2.0-OpenSSH_9.6', 'other'],
    ['\u0016\u0003\u0001', 'other'],
  ])('classifyHttpStart(%j) is %s', (start, expected) => {
    expect(classifyHttpStart(Buffer.from(start, 'latin1'))).toBe(expected);
  });

  test.each([
    ['example.com:8080', 'example.com'],
    ['example.com', 'example.com'],
    ['[::1]:80', '[::1]'],
    ['::1', '::1'],
    ['', null],
  ])('stripPort(%j) is %j', (host, expected) => {
    expect(stripPort(host)).toBe(expected);
  });

  test('random bytes never throw', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 6 }),
        fc.boolean(),
        (chunks, withRequest) => {
          const start = withRequest ? [Buffer.from('GET /x HTTP/1.1\r\nContent-Length: 3\r\n')] : [];
          parseRequests([...start, ...chunks.map((chunk) => Buffer.from(chunk))]);
        },
      ),
    );
  });
});

describe('firstQuestionName', () => {
  test('reads the first question', () => {
    expect(firstQuestionName(dnsQuery('www.example.com'))).toBe('www.example.com');
  });

  test('follows a compression pointer', () => {
    const query = dnsQuery('a.example.com');
    // The question is "b" and a pointer to "example.com", which the bytes after the question contain at
    // offset 22: 12 header bytes, 8 question bytes, then the label "a".
    const pointer = Buffer.concat([
      query.subarray(0, 12),
      Buffer.from([1, 0x62, 0xc0, 22, 0, 1, 0, 1]),
      query.subarray(12),
    ]);

    expect(firstQuestionName(pointer)).toBe('b.example.com');
  });

  test('escapes unusual bytes', () => {
    const query = dnsQuery('ab.example');
    // The label "ab" starts at offset 12 with its length byte, so "b" is at 14.
    query[14] = 0x2e;

    expect(firstQuestionName(query)).toBe('a\\x2e.example');
  });

  test.each([
    ['too short', Buffer.alloc(8)],
    ['no question', Buffer.alloc(12)],
    ['pointer loop', Buffer.concat([dnsQuery('x').subarray(0, 12), Buffer.from([0xc0, 12, 0, 1, 0, 1])])],
    ['name past the end', Buffer.concat([dnsQuery('x').subarray(0, 12), Buffer.from([9, 0x61])])],
  ])('%s gives null', (_name, message) => {
    expect(firstQuestionName(message)).toBeNull();
  });

  test('random bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const name = firstQuestionName(Buffer.from(bytes));
        if (name !== null) expect(name.length).toBeGreaterThan(0);
      }),
    );
  });
});

class Recorder implements StreamConsumer {
  chunks: string[] = [];
  done = false;

  data(bytes: Buffer): void {
    this.chunks.push(bytes.toString());
  }

  gap(): void {
    this.chunks.push('<gap>');
  }
}

describe('TcpStream', () => {
  test('delivers in order once', () => {
    const recorder = new Recorder();
    const stream = new TcpStream(recorder);
    stream.synchronize(0xfffffffe);
    // Data starts at 0xffffffff and wraps around 2^32.
    stream.segment(0x00000002, Buffer.from('def'), 3, 3, 3);
    stream.segment(0xffffffff, Buffer.from('abc'), 3, 1, 1);
    stream.segment(0xffffffff, Buffer.from('abc'), 3, 2, 2);
    stream.segment(0x00000001, Buffer.from('cdefg'), 5, 4, 4);
    stream.finish();

    expect(recorder.chunks.join('')).toBe('abcdefg');
  });

  test('gives up on missing bytes beyond the bound', () => {
    const recorder = new Recorder();
    const stream = new TcpStream(recorder);
    stream.synchronize(0);
    stream.segment(1, Buffer.from('a'), 1, 1, 1);
    const early = Buffer.alloc(MAX_PENDING_BYTES / 2, 0x62);
    stream.segment(100, early, early.length, 2, 2);
    stream.segment(100 + early.length, early, early.length, 3, 3);
    stream.segment(100 + 2 * early.length, Buffer.from('c'), 1, 4, 4);

    expect(recorder.chunks.map((chunk) => chunk.slice(0, 5))).toEqual(['a', '<gap>', 'bbbbb', 'bbbbb', 'c']);
  });

  test('snap length cut is a gap', () => {
    const recorder = new Recorder();
    const stream = new TcpStream(recorder);
    stream.segment(10, Buffer.from('ab'), 5, 1, 1);
    stream.segment(15, Buffer.from('z'), 1, 2, 2);

    expect(recorder.chunks).toEqual(['ab', '<gap>', 'z']);
  });

  test('random segments never throw', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(5000), fc.uint8Array({ minLength: 1, maxLength: 300 })), { maxLength: 30 }),
        (segments) => {
          const analyzer = new ClientStreamAnalyzer(() => undefined);
          const stream = new TcpStream(analyzer);
          for (const [sequence, bytes] of segments)
            stream.segment(sequence, Buffer.from(bytes), bytes.length, 0, 1);
          stream.finish();
        },
      ),
    );
  });
});

describe('ClientStreamAnalyzer', () => {
  test('TLS hello delivered one byte at a time', () => {
    const analyzer = new ClientStreamAnalyzer(() => undefined);
    const hello = tlsClientHello('slow.example.com');
    for (const byte of hello) analyzer.data(Buffer.from([byte]), 0, 1);

    expect(analyzer.findings).toEqual({ service: 'ssl', serverName: 'slow.example.com' });
    expect(analyzer.done).toBe(true);
  });

  test('other protocols are left alone', () => {
    const analyzer = new ClientStreamAnalyzer(() => undefined);
    analyzer.data(Buffer.from('SSH-2.0-OpenSSH_9.6\r\n'), 0, 1);

    expect(analyzer.findings).toEqual({ service: null, serverName: null });
    expect(analyzer.done).toBe(true);
  });
});
