/**
 * A Chrome DevTools Protocol session with the Worker's isolate in `wrangler dev` (the Worker and
 * its Durable Objects run in it), through wrangler's inspector: what bench/cpu-profile.ts profiles
 * and bench/resident-memory.ts asks for the isolate's own memory.
 */
export interface InspectorSession {
  call<T>(method: string, params?: object): Promise<T>;
  close(): void;
}

export async function openInspector(inspectorPort: number): Promise<InspectorSession> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as { webSocketDebuggerUrl: string }[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target on port ${inspectorPort}`);
  // wrangler's inspector proxy admits the origins of its DevTools only.
  const ws = new WebSocket(url, { headers: { origin: "https://devtools.devprod.cloudflare.dev" } } as unknown as string[]);
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error(`cannot open ${url}`));
  });
  let id = 0;
  const pending = new Map<number, (result: unknown) => void>();
  ws.onmessage = (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  };
  return {
    call: <T>(method: string, params: object = {}) =>
      new Promise<T>((resolve) => {
        const n = ++id;
        pending.set(n, (r) => resolve(r as T));
        ws.send(JSON.stringify({ id: n, method, params }));
      }),
    close: () => ws.close(),
  };
}
