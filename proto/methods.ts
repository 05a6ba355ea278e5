// The Sidecar service's methods as bytes on the wire, with no gRPC library: each method's path and
// the codec calls that turn its messages into protobuf and back (proto/wire.ts, by the generated
// schema). The sidecar's own gRPC server (node-image/src/grpc/server.ts) serves by this table, and
// proto/service.ts builds grpc-js's service definition and the operator's client from it.
import { SCHEMA } from "./generated/schema.ts";
import { Codec } from "./wire.ts";

type Message = Record<string, unknown>;

export interface MethodWire {
  /** `/mdb.sidecar.v1.Sidecar/GetStatus`: the HTTP/2 path of a call. */
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  encodeRequest(value: Message): Buffer;
  decodeRequest(bytes: Buffer): Message;
  encodeResponse(value: Message): Buffer;
  decodeResponse(bytes: Buffer): Message;
}

const codec = new Codec(SCHEMA);

function methodsOf(service: string): Record<string, MethodWire> {
  const out: Record<string, MethodWire> = {};
  for (const [name, [request, response, requestStream, responseStream]] of Object.entries(SCHEMA.services[service])) {
    out[name] = {
      path: `/${SCHEMA.package}.${service}/${name}`, requestStream, responseStream,
      encodeRequest: (value) => codec.encode(request, value),
      decodeRequest: (bytes) => codec.decode(request, bytes),
      encodeResponse: (value) => codec.encode(response, value),
      decodeResponse: (bytes) => codec.decode(response, bytes),
    };
  }
  return out;
}

/** The Sidecar service's methods by name (GetStatus, WatchStatus, …). */
export const SIDECAR_METHODS: Readonly<Record<string, MethodWire>> = methodsOf("Sidecar");
