// mdb-sidecar entrypoint.
//   mdb-sidecar serve                       run the sidecar (default)
//   mdb-sidecar render-config --out PATH    write the engine's redis.conf from the pod's settings
import { readFileSync, writeFileSync, mkdirSync, renameSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { MemberEnv, parsePasswordFile, SettingsError, SHUTDOWN_HANDOVER_MS } from "../../../common/member-env.ts";
import { parseEngineSettings, renderEngineConfig, validatePassword } from "./engine-config.ts";
import { makeLogger } from "../../../common/log.ts";
import { parseSidecarSettings } from "./settings.ts";
import { sidecarLogger, type Logger } from "./log.ts";
import { Member } from "./member.ts";
import { MemberMetrics, startMetricsServer } from "./metrics-server.ts";
import { startGrpcServer } from "./server.ts";
import { startHealthServer } from "./health-server.ts";
import { watchEngineTls } from "./engine-tls.ts";
import { memberTlsFiles } from "./auth.ts";
import { liveEngineTls, materialDigest } from "./tls-files.ts";

export function renderConfigCommand(env: Record<string, string | undefined>, outPath: string): void {
  const settings = parseEngineSettings(env);
  const passwordFile = parsePasswordFile(env);
  let passwordText: string;
  try {
    passwordText = readFileSync(passwordFile, "utf8");
  } catch (err) {
    throw new SettingsError(MemberEnv.PASSWORD_FILE, `cannot read ${passwordFile} (${(err as NodeJS.ErrnoException).code}); mount the Secret there`);
  }
  const text = renderEngineConfig(settings, validatePassword(passwordText, MemberEnv.PASSWORD_FILE));
  mkdirSync(dirname(outPath), { recursive: true });
  const temp = `${outPath}.tmp`;
  writeFileSync(temp, text, { mode: 0o600 });
  renameSync(temp, outPath);
}

export async function serve(env: Record<string, string | undefined>): Promise<{ log: Logger; stop(): Promise<void> }> {
  const settings = parseSidecarSettings(env, (p) => readFileSync(p));
  const log = sidecarLogger(settings);
  // One reader of the member's TLS files for the API, the engine and the sidecar's own engine clients.
  const tlsFiles = memberTlsFiles(settings.auth, log);
  const engineTls = settings.engineTls && tlsFiles ? liveEngineTls(tlsFiles) : undefined;
  const member = new Member({ ...settings, engineTls }, log);
  // The set the engine serves (it started with the first); status reports what both the API and the engine took.
  let engineTook = tlsFiles?.material();
  member.tlsDigest = () => (!tlsFiles ? "" : materialDigest(engineTls ? engineTook! : tlsFiles.material()));
  member.start();
  const grpcServer = await startGrpcServer(member, settings, log, tlsFiles);
  const stopEngineTls = engineTls && tlsFiles && settings.auth.tls
    ? watchEngineTls(member.engine, tlsFiles, settings.auth.tls.files, (m) => { engineTook = m; }, log) : () => undefined;
  const health = await startHealthServer(member, settings.listenHosts, settings.healthPort);
  const metrics = await startMetricsServer(member, new MemberMetrics(settings.identity), settings.listenHosts, settings.metricsPort);
  log.info("mdb-sidecar serving", {
    grpc: settings.listenHosts.map((h) => `${h}:${settings.sidecarPort}`), health: settings.healthPort, metrics: settings.metricsPort,
    engine: `${settings.podIp}:${settings.enginePort}${settings.engineTls ? " (tls)" : ""}`, auth: [settings.auth.bearerToken ? "bearer" : "", settings.auth.tls ? "mtls" : ""].filter(Boolean).join("+"),
    logLevel: settings.logLevel,
  });
  return {
    log,
    async stop() {
      // A primary's engine stopping with the pod hands its slots over first: report that until it is done.
      const { verdict, waitedMs } = await member.reportWhileEngineStops(SHUTDOWN_HANDOVER_MS);
      if (verdict !== "not-stopping" && waitedMs > 0) log.info("reported while the engine stopped", { engine: verdict, waitedMs });
      stopEngineTls();
      await grpcServer.close();
      await health.close();
      await metrics.close();
      await member.stop();
    },
  };
}

async function main(argv: string[]): Promise<void> {
  const [command = "serve", ...rest] = argv;
  if (command === "render-config") {
    const outIndex = rest.indexOf("--out");
    const out = outIndex >= 0 ? rest[outIndex + 1] : process.env[MemberEnv.ENGINE_CONFIG];
    if (!out) throw new SettingsError("--out", `render-config needs --out PATH (or ${MemberEnv.ENGINE_CONFIG})`);
    renderConfigCommand(process.env, out);
    return;
  }
  if (command !== "serve") throw new Error(`unknown command "${command}": use serve or render-config --out PATH`);
  const { log, stop } = await serve(process.env);
  let stopping = false;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log.info(`${signal}: stopping (a running migration is cancelled cleanly)`);
      stop().then(() => process.exit(0), () => process.exit(1));
    });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    // Before the settings are read there is no member to name: the line has the format, not the fields.
    makeLogger().error(`mdb-sidecar: ${(err as Error).message}`);
    process.exit(1);
  });
}
