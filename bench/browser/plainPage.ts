/**
 * The bench page in a plain Chromium (bench/lib/plainBenchPage.ts): asks the bench server for a
 * call, runs it, posts the answer, and asks again. Between calls nothing runs; during one, nothing
 * but the call.
 */
export const PLAIN_PAGE_PATH = '/bench/page';

type Api = Record<string, (...args: never[]) => unknown>;

async function post(answer: { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string }): Promise<void> {
  await fetch('/bench/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(answer) });
}

export async function followOrders(api: Api): Promise<never> {
  for (;;) {
    const order = (await (await fetch('/bench/next', { cache: 'no-store' })).json()) as { id: number; name: string; args: never[] };
    try {
      const fn = api[order.name];
      if (!fn) throw new Error(`the bench page has no call named ${order.name}`);
      await post({ id: order.id, ok: true, result: await fn(...order.args) });
    } catch (error) {
      await post({ id: order.id, ok: false, error: error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error) });
    }
  }
}
