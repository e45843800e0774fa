/**
 * Versioned schema migrations, applied at start-up under an advisory lock so that several processes
 * starting at once apply each exactly once. The same SQL runs on a PostgreSQL server and on PGlite.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'captures, packets (time-partitioned), flows, rollups, batches, anomalies',
    sql: `
CREATE TABLE captures (
  id          bigserial PRIMARY KEY,
  name        text NOT NULL,
  source      text NOT NULL,
  sha256      text,
  size_bytes  bigint,
  link_types  integer[] NOT NULL DEFAULT '{}',
  first_ts    timestamptz,
  last_ts     timestamptz,
  packets     bigint NOT NULL DEFAULT 0,
  bytes       bigint NOT NULL DEFAULT 0,
  state       text NOT NULL CHECK (state IN ('importing', 'complete', 'failed', 'live')),
  report      jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX captures_sha256 ON captures (sha256);

CREATE SEQUENCE packets_id_seq;
CREATE TABLE packets (
  id              bigint NOT NULL DEFAULT nextval('packets_id_seq'),
  capture_id      bigint NOT NULL,
  frame           bigint NOT NULL,
  ts              timestamptz NOT NULL,
  ts_ns           bigint NOT NULL,
  len             integer NOT NULL,
  caplen          integer NOT NULL,
  linktype        integer NOT NULL,
  iface           integer NOT NULL,
  eth_src         macaddr,
  eth_dst         macaddr,
  vlan            integer,
  src_ip          inet,
  dst_ip          inet,
  ip_proto        smallint,
  ttl             smallint,
  src_port        integer,
  dst_port        integer,
  tcp_flags       smallint,
  stream          bigint,
  protocol        text NOT NULL,
  summary         text NOT NULL,
  protocols       text NOT NULL,
  dns_name        text,
  dns_type        integer,
  dns_rcode       smallint,
  http_method     text,
  http_host       text,
  http_uri        text,
  http_status     smallint,
  http_user_agent text,
  tls_sni         text,
  tls_ja3         text,
  tls_ja4         text,
  malformed       boolean NOT NULL DEFAULT false,
  data            bytea NOT NULL
) PARTITION BY RANGE (ts);
CREATE INDEX packets_capture_frame ON packets (capture_id, frame);
CREATE INDEX packets_id ON packets (id);
CREATE INDEX packets_ts ON packets USING brin (ts);
CREATE INDEX packets_src_ip ON packets (src_ip);
CREATE INDEX packets_dst_ip ON packets (dst_ip);

CREATE TABLE flows (
  id           bigserial,
  capture_id   bigint NOT NULL,
  ip_proto     smallint NOT NULL,
  stream       bigint NOT NULL,
  client_ip    inet,
  server_ip    inet,
  client_port  integer,
  server_port  integer,
  first_ts     timestamptz NOT NULL,
  last_ts      timestamptz NOT NULL,
  packets_c2s  bigint NOT NULL DEFAULT 0,
  packets_s2c  bigint NOT NULL DEFAULT 0,
  bytes_c2s    bigint NOT NULL DEFAULT 0,
  bytes_s2c    bigint NOT NULL DEFAULT 0,
  syn          boolean NOT NULL DEFAULT false,
  syn_ack      boolean NOT NULL DEFAULT false,
  fin          boolean NOT NULL DEFAULT false,
  rst          boolean NOT NULL DEFAULT false,
  tcp_state    text,
  app          text,
  app_by       text,
  server_name  text,
  PRIMARY KEY (capture_id, ip_proto, stream)
);
CREATE UNIQUE INDEX flows_id ON flows (id);

CREATE TABLE rollup_protocol (
  capture_id bigint NOT NULL,
  minute     timestamptz NOT NULL,
  protocol   text NOT NULL,
  packets    bigint NOT NULL,
  bytes      bigint NOT NULL,
  PRIMARY KEY (capture_id, minute, protocol)
);
CREATE TABLE rollup_endpoint (
  capture_id   bigint NOT NULL,
  minute       timestamptz NOT NULL,
  ip           inet NOT NULL,
  packets_sent bigint NOT NULL,
  bytes_sent   bigint NOT NULL,
  packets_recv bigint NOT NULL,
  bytes_recv   bigint NOT NULL,
  PRIMARY KEY (capture_id, minute, ip)
);
CREATE TABLE rollup_port (
  capture_id bigint NOT NULL,
  minute     timestamptz NOT NULL,
  ip_proto   smallint NOT NULL,
  port       integer NOT NULL,
  packets    bigint NOT NULL,
  bytes      bigint NOT NULL,
  PRIMARY KEY (capture_id, minute, ip_proto, port)
);

CREATE TABLE ingest_batches (
  capture_id  bigint NOT NULL,
  seq         bigint NOT NULL,
  first_frame bigint NOT NULL,
  last_frame  bigint NOT NULL,
  packets     integer NOT NULL,
  written_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (capture_id, seq)
);

CREATE TABLE anomalies (
  capture_id bigint NOT NULL,
  frame      bigint NOT NULL,
  ts         timestamptz NOT NULL,
  name       text NOT NULL
);
CREATE INDEX anomalies_capture ON anomalies (capture_id, name);
`,
  },
  {
    version: 2,
    name: 'flows.last_frame: flow updates that commit out of order never set the state back',
    sql: `
ALTER TABLE flows ADD COLUMN last_frame bigint NOT NULL DEFAULT 0;
`,
  },
  {
    version: 3,
    name: 'packets.fields (every field occurrence, jsonb) and packets.tags (GIN): exact display filters in SQL',
    // what goes into both: src/store/packet-fields.ts; rows stored before this version have neither (re-ingest them)
    sql: `
ALTER TABLE packets ADD COLUMN fields jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE packets ADD COLUMN tags text[] NOT NULL DEFAULT '{}'::text[];
CREATE INDEX packets_tags ON packets USING gin (tags);
-- rows now often pass the 2 kB TOAST threshold: lz4 compresses and decompresses several times faster than pglz (a
-- build without lz4, such as PGlite's, keeps pglz). One line: the migration runner splits statements at ";" + newline.
DO $$ BEGIN ALTER TABLE packets ALTER COLUMN fields SET COMPRESSION lz4; ALTER TABLE packets ALTER COLUMN data SET COMPRESSION lz4; EXCEPTION WHEN feature_not_supported THEN NULL; END $$;
CREATE FUNCTION pktlens_bytes(data bytea, ref text) RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN left(ref, 1) = '@'
    THEN substring(data FROM split_part(substr(ref, 2), '+', 1)::integer + 1 FOR split_part(ref, '+', 2)::integer)
    ELSE decode(ref, 'hex') END
$$;
`,
  },
  {
    version: 4,
    name: 'rollup_hierarchy (frame.protocols per minute), rollup_value (DNS/HTTP/TLS values per minute); packets by stream, flows by bytes',
    sql: `
CREATE TABLE rollup_hierarchy (
  capture_id bigint NOT NULL,
  minute     timestamptz NOT NULL,
  protocols  text NOT NULL,
  packets    bigint NOT NULL,
  bytes      bigint NOT NULL,
  PRIMARY KEY (capture_id, minute, protocols)
);
CREATE TABLE rollup_value (
  capture_id bigint NOT NULL,
  minute     timestamptz NOT NULL,
  kind       smallint NOT NULL,
  value      text NOT NULL,
  count      bigint NOT NULL,
  PRIMARY KEY (capture_id, minute, kind, value)
);
CREATE INDEX packets_stream ON packets (capture_id, stream) WHERE stream IS NOT NULL;
CREATE INDEX flows_bytes ON flows ((bytes_c2s + bytes_s2c), id);
-- finer statistics of packets.tags: a rare address or name is then estimated rare, and its filter's first page is
-- read through the GIN index (milliseconds) instead of walking (capture, frame) order through every row
ALTER TABLE packets ALTER COLUMN tags SET STATISTICS 1000;
`,
  },
  {
    version: 5,
    name: 'whole-capture summaries: rollup_second (I/O per second), rollup_value_total (DNS/HTTP/TLS values per capture), rollup_endpoint_total and rollup_conv (IP endpoints and conversations per capture), captures.flows; rollup_*_all (values, IP conversations, TCP/UDP endpoints over all captures)',
    // filled from what is already stored, so statistics over captures stored before this version stay exact
    sql: `
CREATE TABLE rollup_second (
  capture_id bigint NOT NULL,
  second     bigint NOT NULL,
  packets    bigint NOT NULL,
  bytes      bigint NOT NULL,
  PRIMARY KEY (capture_id, second)
);
CREATE TABLE rollup_value_total (
  capture_id bigint NOT NULL,
  kind       smallint NOT NULL,
  value      text NOT NULL,
  count      bigint NOT NULL,
  PRIMARY KEY (kind, capture_id, value) -- read by kind, for some captures or all
);
CREATE TABLE rollup_endpoint_total (
  capture_id   bigint NOT NULL,
  ip           inet NOT NULL,
  packets_sent bigint NOT NULL,
  bytes_sent   bigint NOT NULL,
  packets_recv bigint NOT NULL,
  bytes_recv   bigint NOT NULL,
  PRIMARY KEY (capture_id, ip)
);
CREATE TABLE rollup_conv (
  capture_id bigint NOT NULL,
  lo         inet NOT NULL,
  hi         inet NOT NULL,
  packets_lh bigint NOT NULL,
  bytes_lh   bigint NOT NULL,
  packets_hl bigint NOT NULL,
  bytes_hl   bigint NOT NULL,
  first_lh   bigint,
  first_hl   bigint,
  first_ns   bigint NOT NULL,
  last_ns    bigint NOT NULL,
  PRIMARY KEY (capture_id, lo, hi)
);
-- the same over all captures at once (what the dashboard asks for by default), kept by the same batches and
-- corrected when a capture is deleted
CREATE TABLE rollup_value_all (
  kind  smallint NOT NULL,
  value text NOT NULL,
  count bigint NOT NULL,
  PRIMARY KEY (kind, value)
);
CREATE TABLE rollup_conv_all (
  lo         inet NOT NULL,
  hi         inet NOT NULL,
  packets_lh bigint NOT NULL,
  bytes_lh   bigint NOT NULL,
  packets_hl bigint NOT NULL,
  bytes_hl   bigint NOT NULL,
  first_lh   bigint,
  first_hl   bigint,
  first_ns   bigint NOT NULL,
  last_ns    bigint NOT NULL,
  PRIMARY KEY (lo, hi)
);
CREATE TABLE rollup_endpoint_port_all (
  ip_proto     smallint NOT NULL,
  ip           inet NOT NULL,
  port         integer NOT NULL,
  packets_sent bigint NOT NULL,
  bytes_sent   bigint NOT NULL,
  packets_recv bigint NOT NULL,
  bytes_recv   bigint NOT NULL,
  PRIMARY KEY (ip_proto, ip, port)
);
-- the busiest endpoints first without sorting them all
CREATE INDEX rollup_endpoint_port_all_busiest ON rollup_endpoint_port_all (ip_proto, (bytes_sent + bytes_recv) DESC);
INSERT INTO rollup_second SELECT capture_id, ts_ns / 1000000000, count(*), sum(len) FROM packets GROUP BY 1, 2;
INSERT INTO rollup_value_total SELECT capture_id, kind, value, sum(count) FROM rollup_value GROUP BY 1, 2, 3;
INSERT INTO rollup_endpoint_total SELECT capture_id, ip, sum(packets_sent), sum(bytes_sent), sum(packets_recv), sum(bytes_recv) FROM rollup_endpoint GROUP BY 1, 2;
ALTER TABLE captures ADD COLUMN flows bigint NOT NULL DEFAULT 0;
UPDATE captures c SET flows = (SELECT count(*) FROM flows f WHERE f.capture_id = c.id);
INSERT INTO rollup_conv SELECT capture_id, least(src_ip, dst_ip), greatest(src_ip, dst_ip),
    count(*) FILTER (WHERE src_ip <= dst_ip), coalesce(sum(len) FILTER (WHERE src_ip <= dst_ip), 0),
    count(*) FILTER (WHERE src_ip > dst_ip), coalesce(sum(len) FILTER (WHERE src_ip > dst_ip), 0),
    min(frame) FILTER (WHERE src_ip <= dst_ip), min(frame) FILTER (WHERE src_ip > dst_ip), min(ts_ns), max(ts_ns)
  FROM packets WHERE src_ip IS NOT NULL AND dst_ip IS NOT NULL GROUP BY 1, 2, 3;
INSERT INTO rollup_value_all SELECT kind, value, sum(count) FROM rollup_value_total GROUP BY 1, 2;
INSERT INTO rollup_conv_all SELECT lo, hi, sum(packets_lh), sum(bytes_lh), sum(packets_hl), sum(bytes_hl),
    min(capture_id * 4294967296 + first_lh), min(capture_id * 4294967296 + first_hl), min(first_ns), max(last_ns)
  FROM rollup_conv GROUP BY lo, hi;
INSERT INTO rollup_endpoint_port_all SELECT ip_proto, ip, port, sum(ps), sum(bs), sum(pr), sum(br) FROM (
    SELECT ip_proto, client_ip AS ip, client_port AS port, packets_c2s AS ps, bytes_c2s AS bs, packets_s2c AS pr, bytes_s2c AS br FROM flows
    UNION ALL
    SELECT ip_proto, server_ip, server_port, packets_s2c, bytes_s2c, packets_c2s, bytes_c2s FROM flows) e
  WHERE ip IS NOT NULL AND port IS NOT NULL GROUP BY 1, 2, 3;
`,
  },
];
