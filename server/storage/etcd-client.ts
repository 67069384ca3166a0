// A minimal typed etcd v3 client on @grpc/grpc-js: Range, Txn, Compact, Status and Watch streams, nothing more.
import { readFileSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const PROTO_PATH = fileURLToPath(new URL('./etcd-rpc.proto', import.meta.url));
/** etcd answers up to 1.5 MiB per object, but a 10k-key list is far larger than gRPC's 4 MiB default. */
const MAX_MESSAGE_BYTES = 512 * 1024 * 1024;

let definition: protoLoader.PackageDefinition | undefined;
function loadDefinition(): protoLoader.PackageDefinition {
  // int64 as JS numbers: revisions and counts stay far below 2^53. keepCase: the wire names, as in the .proto.
  definition ??= protoLoader.loadSync(PROTO_PATH, { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });
  return definition;
}

/** A decoded etcd KeyValue (key and value stay bytes). */
export interface RawKv {
  key: Buffer;
  value: Buffer;
  create_revision: number;
  mod_revision: number;
  version: number;
}
export interface Header {
  revision: number;
  member_id: number;
}
export interface RangeReq {
  key: Buffer;
  range_end?: Buffer;
  limit?: number;
  revision?: number;
  count_only?: boolean;
}
export interface RangeResp {
  header: Header;
  kvs: RawKv[];
  more: boolean;
  count: number;
}
export interface PutReq {
  key: Buffer;
  value: Buffer;
  prev_kv?: boolean;
}
export interface DeleteReq {
  key: Buffer;
  range_end?: Buffer;
  prev_kv?: boolean;
}
export type RequestOp = { request_range: RangeReq } | { request_put: PutReq } | { request_delete_range: DeleteReq };
export interface ResponseOp {
  response?: 'response_range' | 'response_put' | 'response_delete_range';
  response_range?: RangeResp;
  response_put?: { header: Header; prev_kv: RawKv | null };
  response_delete_range?: { header: Header; deleted: number; prev_kvs: RawKv[] };
}
export interface Compare {
  key: Buffer;
  target: 'CREATE' | 'MOD';
  result: 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';
  create_revision?: number;
  mod_revision?: number;
}
export interface TxnReq {
  compare: Compare[];
  success: RequestOp[];
  failure: RequestOp[];
}
export interface TxnResp {
  header: Header;
  succeeded: boolean;
  responses: ResponseOp[];
}
export interface RawEvent {
  type: 'PUT' | 'DELETE';
  kv: RawKv;
  prev_kv: RawKv | null;
}
export interface WatchResp {
  header: Header;
  watch_id: number;
  created: boolean;
  canceled: boolean;
  compact_revision: number;
  cancel_reason: string;
  events: RawEvent[];
}
export interface StatusResp {
  header: Header;
  version: string;
  dbSize: number;
  leader: number;
}

export interface EtcdTlsOptions {
  /** PEM file of the CA that signed the etcd members' serving certificates. */
  caFile?: string;
  /** PEM client certificate and key, when etcd requires client certificates. */
  certFile?: string;
  keyFile?: string;
}

export interface EtcdClientOptions extends EtcdTlsOptions {
  /** Deadline of each unary call (default 10 s). */
  timeoutMs?: number;
}

/** A call that failed: the gRPC status code and etcd's message (e.g. "etcdserver: mvcc: required revision has been compacted"). */
export class EtcdCallError extends Error {
  constructor(
    readonly method: string,
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(`etcd ${method}: ${details || grpc.status[code]}`);
    this.name = 'EtcdCallError';
  }
}

/** The live side of one watch stream. */
export interface WatchStream {
  /** Ends the stream (client side); idempotent. */
  close(): void;
}

/**
 * Parses `etcd://host:port[,host:port…]` (or a bare `host:port,…` list) into endpoints. Throws on anything else.
 */
export function parseEtcdUrl(url: string): { host: string; port: number }[] {
  const list = url.replace(/^etcd:\/\//, '');
  if (!list || /^[a-z]+:\/\//i.test(list)) throw new Error(`invalid etcd storage URL ${JSON.stringify(url)}: want etcd://host:port[,host:port…]`);
  return list.split(',').map((ep) => {
    const m = /^(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(ep.trim());
    if (!m) throw new Error(`invalid etcd endpoint ${JSON.stringify(ep)} in ${JSON.stringify(url)}: want host:port`);
    const port = Number(m[2]);
    if (port < 1 || port > 65535) throw new Error(`invalid etcd endpoint port in ${JSON.stringify(ep)}`);
    return { host: m[1].replace(/^\[|\]$/g, ''), port };
  });
}

/**
 * One gRPC channel to an etcd cluster. Host names are resolved once, when connecting, so that every member can
 * sit in one channel (gRPC's static address list takes only IPs); the channel fails over between members.
 */
export class EtcdClient {
  #client: grpc.Client;
  #def: protoLoader.PackageDefinition;
  #timeoutMs: number;

  private constructor(target: string, creds: grpc.ChannelCredentials, channelOpts: grpc.ChannelOptions, timeoutMs: number) {
    this.#def = loadDefinition();
    this.#timeoutMs = timeoutMs;
    this.#client = new grpc.Client(target, creds, channelOpts);
  }

  /** Builds the client; connecting is lazy (a down cluster shows on the first call). Throws on a bad URL or TLS file. */
  static async connect(url: string, opts: EtcdClientOptions = {}): Promise<EtcdClient> {
    const endpoints = parseEtcdUrl(url);
    const ips = await Promise.all(
      endpoints.map(async ({ host, port }) => ({ ip: isIP(host) ? host : (await lookup(host)).address, host, port })),
    );
    const target = ips.map(({ ip, port }) => (isIP(ip) === 6 ? `[${ip}]:${port}` : `${ip}:${port}`)).join(',');
    const family = ips.every(({ ip }) => isIP(ip) === 4) ? 'ipv4' : 'ipv6';
    if (family === 'ipv6' && ips.some(({ ip }) => isIP(ip) === 4)) throw new Error('etcd endpoints must be all IPv4 or all IPv6');
    const tls = Boolean(opts.caFile || opts.certFile || opts.keyFile);
    const creds = tls
      ? grpc.credentials.createSsl(
          opts.caFile ? readFileSync(opts.caFile) : null,
          opts.keyFile ? readFileSync(opts.keyFile) : null,
          opts.certFile ? readFileSync(opts.certFile) : null,
        )
      : grpc.credentials.createInsecure();
    const channelOpts: grpc.ChannelOptions = {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      // Notice a dead member on an idle connection (watch streams) within seconds, not at the next write.
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 2_000,
    };
    // TLS with IP targets: check the certificate against the host name the user wrote.
    if (tls && !isIP(endpoints[0].host)) channelOpts['grpc.ssl_target_name_override'] = endpoints[0].host;
    return new EtcdClient(`${family}:${target}`, creds, channelOpts, opts.timeoutMs ?? 10_000);
  }

  #method(service: string, method: string): protoLoader.MethodDefinition<object, object> {
    const svc = this.#def[`etcdserverpb.${service}`] as protoLoader.ServiceDefinition | undefined;
    const m = svc?.[method];
    if (!m) throw new Error(`etcd-rpc.proto has no ${service}.${method}`);
    return m;
  }

  #unary<T>(service: string, method: string, request: object): Promise<T> {
    const m = this.#method(service, method);
    const deadline = new Date(Date.now() + this.#timeoutMs);
    return new Promise<T>((resolve, reject) => {
      this.#client.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, request, new grpc.Metadata(), { deadline }, (err, res) => {
        if (err) reject(new EtcdCallError(method, err.code, err.details));
        // The decoder built from etcd-rpc.proto yields exactly the shapes declared above.
        else resolve(res as T);
      });
    });
  }

  range(req: RangeReq): Promise<RangeResp> {
    return this.#unary('KV', 'Range', req);
  }

  txn(req: TxnReq): Promise<TxnResp> {
    return this.#unary('KV', 'Txn', req);
  }

  compact(revision: number): Promise<unknown> {
    return this.#unary('KV', 'Compact', { revision, physical: true });
  }

  status(): Promise<StatusResp> {
    return this.#unary('Maintenance', 'Status', {});
  }

  /**
   * Opens one watch stream and sends its create request. Every response goes to onResponse; onEnd runs once when
   * the stream ends for any reason other than close() (with the error, if any). The stream asks etcd to cancel it
   * when the member it talks to loses its leader (metadata hasleader), so a cut-off member cannot stall it silently.
   */
  watch(create: { key: Buffer; range_end: Buffer; start_revision: number; prev_kv: boolean }, onResponse: (r: WatchResp) => void, onEnd: (err?: EtcdCallError) => void): WatchStream {
    const m = this.#method('Watch', 'Watch');
    const md = new grpc.Metadata();
    md.set('hasleader', 'true');
    const call = this.#client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, md, {});
    let closed = false;
    let ended = false;
    const end = (err?: EtcdCallError): void => {
      if (ended || closed) return;
      ended = true;
      onEnd(err);
    };
    // Decoded by etcd-rpc.proto's WatchResponse.
    call.on('data', (r: WatchResp) => {
      if (!closed) onResponse(r);
    });
    call.on('error', (e: grpc.ServiceError) => end(new EtcdCallError('Watch', e.code, e.details)));
    call.on('end', () => end(new EtcdCallError('Watch', grpc.status.UNAVAILABLE, 'watch stream ended by the server')));
    call.write({ create_request: create });
    return {
      close: () => {
        if (closed) return;
        closed = true;
        call.cancel();
      },
    };
  }

  close(): void {
    this.#client.close();
  }
}
