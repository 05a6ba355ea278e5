// Where the sidecar proto lives, and the options the generator reads it with (`npm run proto:gen`, the
// drift test). Nothing loads the proto at run time: the sidecar and the operator use the schema
// generated from it (proto/service.ts).
import { fileURLToPath } from "node:url";
import { dirname } from "node:path";

/** Root of the proto tree (this directory). */
export const protoRoot = dirname(fileURLToPath(import.meta.url));
export const protoFile = "mdb/sidecar/v1/sidecar.proto";

/**
 * Arguments for proto-loader-gen-types: the shapes of proto-loader's `keepCase: false, longs: Number,
 * enums: String, defaults: true, oneofs: true`, which proto/wire.ts decodes to.
 */
export function generatorArgs(outDir: string): string[] {
  return [
    "--longs=Number", "--enums=String", "--defaults", "--oneofs",
    "--grpcLib=@grpc/grpc-js", "--importFileExtension=.ts", "--targetFileExtension=.ts",
    "-I", protoRoot, "-O", outDir, protoFile,
  ];
}
