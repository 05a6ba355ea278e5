// A watched, cached collection of one kind (client-node's ListWatch: list, then watch, relist on
// 410 Gone). A watch that ends in an error is restarted with backoff instead of stopping the
// process (the counter-example in CONTRIBUTING.md#house-style), and `synced` resolves after the first full list.
import { makeInformer, type KubeConfig, type KubernetesListObject, type KubernetesObject } from "@kubernetes/client-node";
import type { Logger } from "./log.ts";

export interface Cache<T> {
  list(namespace?: string): readonly T[];
  get(name: string, namespace?: string): T | undefined;
}

export class WatchedCollection<T extends KubernetesObject> implements Cache<T> {
  private readonly informer: ReturnType<typeof makeInformer<T>>;
  private readonly handlers: ((obj: T, verb: "add" | "update" | "delete") => void)[] = [];
  private stopped = false;
  private restartMs = 200;
  private syncedResolve!: () => void;
  readonly synced: Promise<void>;

  constructor(kc: KubeConfig, readonly what: string, path: string, list: () => Promise<KubernetesListObject<T>>, private readonly log: Logger, labelSelector?: string) {
    this.synced = new Promise((resolve) => (this.syncedResolve = resolve));
    // client-node emits "connect" before it lists and swallows a failed list, so neither "connect" nor
    // start() means synced: a list that returned does. The cache is filled right after it returns,
    // in the same turn, so `synced` resolves on the next one.
    const listed = async () => {
      const result = await list();
      this.restartMs = 200; // back-off grows over failed lists and watches, and starts over once one works
      setImmediate(() => this.syncedResolve());
      return result;
    };
    this.informer = makeInformer<T>(kc, path, listed, labelSelector);
    for (const verb of ["add", "update", "delete"] as const) {
      this.informer.on(verb, (obj) => { for (const h of this.handlers) h(obj, verb); });
    }
    this.informer.on("error", (err) => {
      if (this.stopped) return;
      this.log.warn("watch ended; restarting", { what, error: (err as Error)?.message ?? String(err), retryInMs: this.restartMs });
      const t = setTimeout(() => { if (!this.stopped) void this.start(); }, this.restartMs);
      t.unref?.();
      this.restartMs = Math.min(this.restartMs * 2, 30_000);
    });
  }

  onChange(handler: (obj: T, verb: "add" | "update" | "delete") => void): void {
    this.handlers.push(handler);
  }

  async start(): Promise<void> {
    try {
      await this.informer.start();
    } catch (err) {
      // start() rejects when the first list fails; the error handler above restarts it.
      this.log.warn("list failed", { what: this.what, error: (err as Error)?.message ?? String(err) });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.informer.stop();
  }

  list(namespace?: string): readonly T[] {
    return this.informer.list(namespace);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.informer.get(name, namespace);
  }
}
