// The Sidecar service for @grpc/grpc-js, from the method table (proto/methods.ts): the definition a
// grpc-js server can serve (the tests' stand-ins do) and the client class the operator calls it with.
import * as grpc from "@grpc/grpc-js";
import type { SidecarClient, SidecarDefinition } from "./generated/mdb/sidecar/v1/Sidecar.ts";
import { SIDECAR_METHODS } from "./methods.ts";

function serviceDefinition(): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<Record<string, unknown>, Record<string, unknown>>> = {};
  for (const [name, m] of Object.entries(SIDECAR_METHODS)) {
    definition[name] = {
      path: m.path, requestStream: m.requestStream, responseStream: m.responseStream,
      requestSerialize: m.encodeRequest, requestDeserialize: m.decodeRequest,
      responseSerialize: m.encodeResponse, responseDeserialize: m.decodeResponse,
      originalName: name.charAt(0).toLowerCase() + name.slice(1),
    };
  }
  return definition;
}

/** What a grpc-js server adds (server.addService). */
export const sidecarService = serviceDefinition() as unknown as SidecarDefinition;

/** The client class of the service: `new SidecarStubClient(address, credentials, options)`. */
export const SidecarStubClient = grpc.makeGenericClientConstructor(sidecarService as unknown as grpc.ServiceDefinition, "Sidecar") as unknown as
  new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => SidecarClient;
