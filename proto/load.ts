// Where the sidecar proto lives and how it is loaded, for both sides of the API (the sidecar serves
// it, the operator calls it). The generator and the runtime loader share these options so the
// generated types describe exactly what the loader returns.
import { fileURLToPath } from "node:url";
import { dirname } from "node:path";
import * as protoLoader from "@grpc/proto-loader";
import * as grpc from "@grpc/grpc-js";
import type { ProtoGrpcType } from "./generated/sidecar.ts";
import { MemberEnv } from "../common/member-env.ts";

const here = dirname(fileURLToPath(import.meta.url));

/** Root of the proto tree; the image sets MemberEnv.SIDECAR_PROTO_DIR because the bundle moves the code. */
export const protoRoot = process.env[MemberEnv.SIDECAR_PROTO_DIR] ?? here;
export const protoFile = "mdb/sidecar/v1/sidecar.proto";

export const loaderOptions: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [protoRoot],
};

/** Arguments for proto-loader-gen-types matching loaderOptions (used by `npm run proto:gen` and the drift test). */
export function generatorArgs(outDir: string): string[] {
  return [
    "--longs=Number", "--enums=String", "--defaults", "--oneofs",
    "--grpcLib=@grpc/grpc-js", "--importFileExtension=.ts", "--targetFileExtension=.ts",
    "-I", protoRoot, "-O", outDir, protoFile,
  ];
}

export function loadSidecarProto(): ProtoGrpcType {
  const definition = protoLoader.loadSync(protoFile, loaderOptions);
  return grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
}
