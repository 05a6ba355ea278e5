// The Sidecar service for @grpc/grpc-js, from the generated schema and the codec (proto/wire.ts): the
// definition the sidecar serves and the client class the operator calls it with.
import * as grpc from "@grpc/grpc-js";
import { SCHEMA } from "./generated/schema.ts";
import type { SidecarClient, SidecarDefinition } from "./generated/mdb/sidecar/v1/Sidecar.ts";
import { Codec } from "./wire.ts";

const codec = new Codec(SCHEMA);

function serviceDefinition(service: string): grpc.ServiceDefinition {
  const methods = SCHEMA.services[service];
  const definition: Record<string, grpc.MethodDefinition<Record<string, unknown>, Record<string, unknown>>> = {};
  for (const [name, [request, response, requestStream, responseStream]] of Object.entries(methods)) {
    definition[name] = {
      path: `/${SCHEMA.package}.${service}/${name}`,
      requestStream, responseStream,
      requestSerialize: (value: Record<string, unknown>) => codec.encode(request, value),
      requestDeserialize: (bytes: Buffer) => codec.decode(request, bytes),
      responseSerialize: (value: Record<string, unknown>) => codec.encode(response, value),
      responseDeserialize: (bytes: Buffer) => codec.decode(response, bytes),
      originalName: name.charAt(0).toLowerCase() + name.slice(1),
    };
  }
  return definition;
}

/** What the sidecar's gRPC server adds (server.addService). */
export const sidecarService = serviceDefinition("Sidecar") as unknown as SidecarDefinition;

/** The client class of the service: `new SidecarStubClient(address, credentials, options)`. */
export const SidecarStubClient = grpc.makeGenericClientConstructor(sidecarService as unknown as grpc.ServiceDefinition, "Sidecar") as unknown as
  new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => SidecarClient;
