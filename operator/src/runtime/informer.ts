// A watched, cached collection of one kind: list, then watch from the list's resourceVersion; a watch
// the server ends is resumed from the last version seen, one refused as too old (410 Gone) or that
// fails is restarted with backoff by a fresh list (never stopping the process: the counter-example in
// CONTRIBUTING.md#house-style), and `synced` resolves after the first full list. The cache keeps the
// objects as the API server sent them, less metadata.managedFields, which nothing here reads, and as
// the collection's `project` leaves them (docs/footprint.md#the-operator).
import type { KubernetesListObject, KubernetesObject } from "@kubernetes/client-node";
import type { KubeAccess } from "./kube-http.ts";
import type { Logger } from "./log.ts";

export interface Cache<T> {
  list(namespace?: string): readonly T[];
  get(name: string, namespace?: string): T | undefined;
}

type Verb = "add" | "update" | "delete";
const key = (name: string, namespace?: string) => `${namespace ?? ""}/${name}`;

function trimmed<T extends KubernetesObject>(obj: T): T {
  if (obj.metadata?.managedFields) delete obj.metadata.managedFields;
  return obj;
}

export class WatchedCollection<T extends KubernetesObject> implements Cache<T> {
  private readonly objects = new Map<string, T>();
  private readonly handlers: ((obj: T, verb: Verb) => void)[] = [];
  private stopped = false;
  private running = false;
  private restartMs = 200;
  private current: { stop(): void } | undefined;
  private syncedResolve!: () => void;
  readonly synced: Promise<void>;

  constructor(
    private readonly access: KubeAccess, readonly what: string, private readonly path: string, private readonly listFn: () => Promise<KubernetesListObject<T>>, private readonly log: Logger,
    private readonly labelSelector?: string,
    /** What of each object the cache keeps (the handlers see the same): the fields the operator reads. */
    private readonly project: (obj: T) => T = (obj) => obj,
  ) {
    this.synced = new Promise((resolve) => (this.syncedResolve = resolve));
  }

  onChange(handler: (obj: T, verb: Verb) => void): void {
    this.handlers.push(handler);
  }

  private emit(obj: T, verb: Verb): void {
    for (const h of this.handlers) h(obj, verb);
  }

  /** Replaces the cache with a full list: adds, updates (resourceVersion changed) and deletes what is gone. */
  private replaceAll(items: T[]): void {
    const seen = new Set<string>();
    for (const item of items.map((o) => this.project(trimmed(o)))) {
      const k = key(item.metadata!.name!, item.metadata?.namespace);
      seen.add(k);
      const before = this.objects.get(k);
      this.objects.set(k, item);
      if (!before) this.emit(item, "add");
      else if (before.metadata?.resourceVersion !== item.metadata?.resourceVersion) this.emit(item, "update");
    }
    for (const [k, obj] of this.objects) if (!seen.has(k)) { this.objects.delete(k); this.emit(obj, "delete"); }
  }

  private apply(type: string, obj: T): void {
    const k = key(obj.metadata!.name!, obj.metadata?.namespace);
    if (type === "DELETED") { this.objects.delete(k); this.emit(obj, "delete"); return; }
    const had = this.objects.has(k);
    const kept = this.project(trimmed(obj));
    this.objects.set(k, kept);
    this.emit(kept, had ? "update" : "add");
  }

  /** List, then watch until stopped; returns when the first list fails (start() logs it and retries). */
  async start(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      const listed = await this.listFn();
      this.restartMs = 200; // back-off grows over failed lists and watches, and starts over once one works
      this.replaceAll(listed.items);
      setImmediate(() => this.syncedResolve());
      void this.watchFrom(listed.metadata?.resourceVersion ?? "");
    } catch (err) {
      this.running = false;
      this.log.warn("list failed", { what: this.what, error: (err as Error)?.message ?? String(err) });
      this.retry();
    }
  }

  private async watchFrom(resourceVersion: string): Promise<void> {
    let version = resourceVersion;
    for (;;) {
      if (this.stopped) return;
      let gone = false;
      const watch = this.access.watch(this.path, { resourceVersion: version, allowWatchBookmarks: true, labelSelector: this.labelSelector, timeoutSeconds: 240 + Math.floor(Math.random() * 120) }, (event) => {
        const obj = event.object as T;
        if (event.type === "ERROR") { gone = (obj as { code?: number }).code === 410; return; }
        if (obj?.metadata?.resourceVersion) version = obj.metadata.resourceVersion;
        if (event.type !== "BOOKMARK") this.apply(event.type, obj);
      });
      this.current = watch;
      try {
        await watch.done;
      } catch (err) {
        if (this.stopped) return;
        this.running = false;
        this.log.warn("watch ended; restarting", { what: this.what, error: (err as Error)?.message ?? String(err), retryInMs: this.restartMs });
        this.retry();
        return;
      }
      if (gone) { // the version is too old: list again
        this.running = false;
        void this.start();
        return;
      }
    }
  }

  private retry(): void {
    const t = setTimeout(() => { if (!this.stopped) void this.start(); }, this.restartMs);
    t.unref?.();
    this.restartMs = Math.min(this.restartMs * 2, 30_000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.current?.stop();
  }

  list(namespace?: string): readonly T[] {
    const all = [...this.objects.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.objects.get(key(name, namespace));
  }
}
