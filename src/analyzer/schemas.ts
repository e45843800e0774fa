/**
 * Response schemas of the Analyzer's routes (the API contract, /work/contract-api.md; DESIGN.md §6). They also
 * serialize: a property missing here is missing from the answer.
 */
const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const num = { type: 'number' } as const;
const nstr = { type: ['string', 'null'] } as const;
const nint = { type: ['integer', 'null'] } as const;
const obj = (properties: Record<string, unknown>, required?: string[]) => ({ type: 'object', properties, ...(required ? { required } : {}) });
const arr = (items: unknown) => ({ type: 'array', items });

export const error = obj({ error: str, code: str, position: int }, ['error']);

export const capture = obj({
  id: int, name: str, source: str, state: str, packets: int, bytes: int, flows: int, size_bytes: nint, sha256: nstr,
  first_ts: { type: ['string', 'null'] }, last_ts: { type: ['string', 'null'] }, link_types: arr(int),
  report: { type: 'object', additionalProperties: true }, created_at: str, updated_at: str,
});

export const protoCount = obj({ protocol: str, packets: int, bytes: int });

export const packetRow = obj({
  id: int, capture_id: int, frame: int, ts: str, len: int, caplen: int, src_ip: nstr, dst_ip: nstr, src_port: nint, dst_port: nint,
  eth_src: nstr, eth_dst: nstr, ip_proto: nint, protocol: str, summary: str, stream: nint, malformed: { type: 'boolean' },
});

export const packetPage = obj({ packets: arr(packetRow), next: nstr });

export const count = obj({ count: int });

export const field = obj({ name: str, type: str, label: str });

export const packetDetail = obj({
  packet: packetRow,
  layers: arr(obj({ name: str, offset: int, length: int, fields: arr(obj({ name: str, label: str, value: str, offset: int, length: int })) })),
  bytes: { type: 'string', description: 'the stored frame in hex' },
  anomalies: arr(str),
});

export const flow = obj({
  id: int, capture_id: int, ip_proto: int, stream: int, client_ip: nstr, server_ip: nstr, client_port: nint, server_port: nint,
  first_ts: str, last_ts: str, duration: num, packets_c2s: int, packets_s2c: int, bytes_c2s: int, bytes_s2c: int,
  tcp_state: nstr, app: nstr, app_by: nstr, server_name: nstr,
});

export const flowPage = obj({ flows: arr(flow), next: nstr });

export const flowStream = obj({
  flow,
  segments: arr(obj({ dir: int, frame: int, ts: str, data: { type: 'string', description: 'base64' } })),
  truncated: { type: 'boolean' },
});

const hierNode: Record<string, unknown> = obj({ protocol: str, packets: int, bytes: int, children: arr({ $ref: 'pktlensHierNode#' }) });
export const hierNodeSchema = { $id: 'pktlensHierNode', ...hierNode };
export const hierarchy = obj({ packets: int, bytes: int, tree: arr({ $ref: 'pktlensHierNode#' }) });

export const conversations = obj({
  type: str,
  conversations: arr(obj({
    a: str, b: str, a_port: int, b_port: int, packets_ab: int, bytes_ab: int, packets_ba: int, bytes_ba: int, packets: int, bytes: int,
    start: num, duration: num,
  })),
});

export const endpoints = obj({
  type: str,
  endpoints: arr(obj({ address: str, port: int, packets: int, bytes: int, tx_packets: int, tx_bytes: int, rx_packets: int, rx_bytes: int })),
});

export const io = obj({ interval: num, buckets: arr(obj({ t: num, packets: int, bytes: int })) });

const tally = arr(obj({ value: str, count: int, name: str }));
export const ports = obj({
  type: str,
  ports: arr(obj({ port: int, packets: int, bytes: int })),
});
export const tallies = (lists: string[]) => obj(Object.fromEntries(lists.map((l) => [l, tally])));

export const anomalies = obj({ anomalies: arr(obj({ name: str, count: int, first_frame: int, capture_id: int })) });
