// mdbcluster/test-incluster: an HTTP server on $PORT or 8080 whose GET / lists the pods of its own
// namespace with in-cluster configuration (the projected ServiceAccount token at the standard path
// and KUBERNETES_SERVICE_HOST/PORT), and answers {"code": <HTTP status of that call>, "pods": n}.
import { createServer } from "node:http";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";

const port = Number(process.env.PORT ?? 8080);

async function listOwnNamespace(): Promise<{ code: number; pods?: number; message?: string }> {
  const kc = new KubeConfig();
  kc.loadFromCluster();
  const namespace = kc.getContextObject(kc.getCurrentContext())?.namespace ?? "default";
  try {
    const list = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace });
    return { code: 200, pods: list.items.length };
  } catch (e) {
    const code = (e as { code?: number }).code;
    return { code: typeof code === "number" ? code : 0, message: (e as Error).message.slice(0, 300) };
  }
}

createServer((_req, res) => {
  listOwnNamespace().then((result) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(result));
  }, (e: Error) => {
    res.statusCode = 500;
    res.end(JSON.stringify({ code: 0, message: e.message }));
  });
}).listen(port, () => console.log(`test-incluster listening on ${port}`));
