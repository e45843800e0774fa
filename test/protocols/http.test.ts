/**
 * HTTP and SSDP golden decodes of real bytes:
 *  - zeek-get-gzip.pcap frames 4 (GET), 6 (first 17 bytes of the response), 8 (rest of the response, JSON body)
 *  - ndpi-1kxun.pcap frame 3 (SSDP M-SEARCH)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from '../../src/dissect/session.js';
import { fid } from '../../src/fields/catalog.js';
import { Reader } from '../../src/wire/reader.js';
import { http, lineKind } from '../../src/protocols/http.js';
import { frame, sweep } from './helpers.js';

const GET = '0010db88d2efc8bcc896d2a0080045000083a72540004006740d8d8ee40536f376bbc3e90050c53d8b122d6d036e8018202b7ab600000101080a1d1325ac1b9b0549474554202f677a697020485454502f312e310d0a557365722d4167656e743a206375726c2f372e32392e300d0a486f73743a206874747062696e2e6f72670d0a4163636570743a202a2f2a0d0a0d0a';
const RESP1 = 'c8bcc896d2a00010db88d2ef080045000045062240003006254f36f376bb8d8ee4050050c3e92d6d036ec53d8b6180180039ee0200000101080a1b9b05521d1325ac485454502f312e3120323030204f4b0d0a';
const RESP2 = 'c8bcc896d2a00010db88d2ef080045000179062340003006241a36f376bb8d8ee4050050c3e92d6d037fc53d8b6180180039ed4b00000101080a1b9b05521d1325ac5365727665723a2067756e69636f726e2f302e31362e310d0a446174653a204d6f6e2c203138204d617220323031332031363a33373a313120474d540d0a436f6e74656e742d547970653a206170706c69636174696f6e2f6a736f6e0d0a436f6e74656e742d4c656e6774683a203136350d0a436f6e74656e742d456e636f64696e673a20677a69700d0a436f6e6e656374696f6e3a20636c6f73650d0a0d0a1f8b0800b742475102ff35cd410e82301005d03da7686649b4403511dc1163f4007a002d93d2043a4d5b3612ee6edb84e5fcf767662d1803725a690357064dcd8538f3a6edb838b570483ae26740e723af718cc1937c48e53104fbd5869353b919e946c6a00c9af2353991c79d7a29d1e6bdb22af7f0edd11d7b8526835cdc545db8e8780dd1b7fc5efdb4b538440f6ec11ccd18464a093cee2f28b63fbc3ec7dcc5000000';
const SSDP = '01005e7ffffa185e0f52e8010800450000a1301700000111d359c0a80539effffffada01076c008dc1a04d2d534541524348202a20485454502f312e310d0a486f73743a3233392e3235352e3235352e3235303a313930300d0a53543a75726e3a736368656d61732d75706e702d6f72673a6465766963653a496e7465726e6574476174657761794465766963653a310d0a4d616e3a22737364703a646973636f766572220d0a4d583a330d0a0d0a';

test('HTTP request, then a response reassembled over two segments', () => {
  const s = new Session();
  let d = s.dissect(frame(GET, 1));
  assert.equal(d.protocol, 'HTTP');
  assert.equal(d.info, 'GET /gzip HTTP/1.1 ');
  assert.equal(d.get(fid('http.request.method')), 'GET');
  assert.equal(d.get(fid('http.request.uri')), '/gzip');
  assert.equal(d.get(fid('http.request.version')), 'HTTP/1.1');
  assert.equal(d.get(fid('http.host')), 'httpbin.org');
  assert.equal(d.get(fid('http.user_agent')), 'curl/7.29.0');
  assert.equal(d.protocols, 'eth:ethertype:ip:tcp:http');
  d = s.dissect(frame(RESP1, 2));
  assert.equal(d.protocol, 'TCP'); // headers incomplete: a segment of a reassembled PDU
  assert.equal(d.has(fid('http.response.code')), false);
  d = s.dissect(frame(RESP2, 3));
  assert.equal(d.protocol, 'HTTP/JSON');
  assert.equal(d.get(fid('http.response.code')), 200);
  assert.equal(d.get(fid('http.response.phrase')), 'OK');
  assert.equal(d.get(fid('http.content_length')), 165);
  assert.equal(d.get(fid('http.content_encoding')), 'gzip');
  assert.equal(d.protocols, 'eth:ethertype:ip:tcp:http:json');
  const flow = [...s.flows.flows()][0];
  assert.equal(flow.serverName, 'httpbin.org');
});

test('SSDP over UDP 1900', () => {
  const d = new Session().dissect(frame(SSDP));
  assert.equal(d.protocol, 'SSDP');
  assert.equal(d.info, 'M-SEARCH * HTTP/1.1 ');
  assert.equal(d.get(fid('http.request.method')), 'M-SEARCH');
  assert.equal(d.get(fid('http.host')), '239.255.255.250:1900');
  assert.equal(d.protocols, 'eth:ethertype:ip:udp:ssdp');
});

test('framing: Content-Length, chunked, no body', () => {
  const enc = (t: string) => new Reader(Uint8Array.from(Buffer.from(t, 'latin1')), 0, t.length);
  const len = (t: string) => http.framing!.pduLength(enc(t), 0, new Session().d);
  assert.equal(len('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 27);
  assert.equal(len('GET / HTTP/1.1\r\nHost: x\r\n'), 0);
  assert.equal(len('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n'), 39 + 10);
  assert.equal(len('HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n'), 49);
  const ch = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n';
  assert.equal(len(ch), ch.length);
  assert.equal(len(ch.slice(0, -2)), 0);
  assert.equal(len('\x16\x03\x01\x00'), -1);
});

test('heuristic: strict request/status lines only', () => {
  const r = (t: string) => new Reader(Uint8Array.from(Buffer.from(t, 'latin1')), 0, t.length);
  assert.ok(lineKind(r('POST /exhmedmx HTTP/1.1\r\n'), 0, true));
  assert.ok(lineKind(r('HTTP/1.0 404 Not Found\r\n'), 0, true));
  assert.equal(lineKind(r('GET /x\r\n'), 0, true), 0);
  assert.equal(lineKind(r('SSH-2.0-OpenSSH_8.0\r\n'), 0, true), 0);
  assert.equal(lineKind(r('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03'), 0, true), 0);
  assert.equal(lineKind(r('220 smtp.example.com ESMTP\r\n'), 0, true), 0);
  assert.equal(lineKind(r('FOO / HTTP/1.1\r\n'), 0, true), 0);
  for (const h of http.heuristics!) assert.equal(h.test(r(''), 0, new Session().d), false);
});

test('truncation sweep', () => sweep([GET, RESP1, RESP2, SSDP]));
