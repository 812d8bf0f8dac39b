/**
 * The bench bundle on a page of the app's origin in a plain Chromium (plainChromium.ts): nothing
 * attached to the browser, so nothing but the page itself is in a timed path. The page asks the
 * bench server for its next call (GET /bench/next, answered when there is one), runs it and posts
 * the answer (POST /bench/messages); bench/browser/plainPage.ts is that loop. The calls are the
 * same as on the automated page (browserPage.ts), so a figure's code runs on either.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { BenchApi } from '../browser/entry.ts';
import { PLAIN_PAGE_PATH } from '../browser/plainPage.ts';
import type { BenchPage } from './browserPage.ts';
import { answerOf, launchPlainChromium } from './plainChromium.ts';
import { serveBuild } from './serve.ts';

/** Generous: a loaded 2-core machine, and one call may store and sync tens of thousands of events. */
const CALL_TIMEOUT_MS = 10 * 60_000;

const Answer = z.discriminatedUnion('ok', [
  z.object({ id: z.number().int(), ok: z.literal(true), result: z.unknown() }),
  z.object({ id: z.number().int(), ok: z.literal(false), error: z.string() }),
]);

export type PlainBenchPage = Pick<BenchPage, 'call' | 'dispose'>;

interface Order {
  id: number;
  name: string;
  args: unknown[];
}

export async function openPlainBenchPage(appDir: string, bundle: string): Promise<PlainBenchPage> {
  const orders: Order[] = [];
  let handOut: ((order: Order) => void) | null = null;
  const answers = new Map<number, (answer: z.infer<typeof Answer>) => void>();
  const page = `<!doctype html><meta charset="utf-8"><title>Footfall bench</title><script src="/bench/bundle.js"></script>`;

  const routes: FastifyPluginAsync = async (app) => {
    app.get(PLAIN_PAGE_PATH, async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
    app.get('/bench/bundle.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(bundle));
    app.get('/bench/next', () => {
      const order = orders.shift();
      return order ?? new Promise<Order>((resolve) => (handOut = resolve));
    });
    app.post('/bench/messages', { bodyLimit: 64 * 1024 * 1024 }, async (request, reply) => {
      const answer = Answer.parse(request.body);
      answers.get(answer.id)?.(answer);
      return reply.code(204).send();
    });
  };
  const served = await serveBuild(appDir, routes);
  const chromium = launchPlainChromium(`${served.url}${PLAIN_PAGE_PATH}`);
  let ids = 0;

  const call = async (name: string, args: unknown[]) => {
    const order = { id: ++ids, name, args };
    const answered = new Promise<z.infer<typeof Answer>>((resolve) => answers.set(order.id, resolve));
    if (handOut) {
      handOut(order);
      handOut = null;
    } else orders.push(order);
    try {
      const answer = await answerOf(answered, chromium, CALL_TIMEOUT_MS, `the bench page's ${name}`);
      if (!answer.ok) throw new Error(`${name} failed in the bench page: ${answer.error}`);
      return answer.result;
    } finally {
      answers.delete(order.id);
    }
  };

  return {
    call: ((name: keyof BenchApi, ...args: unknown[]) => call(name, args)) as PlainBenchPage['call'],
    dispose: async () => {
      await chromium.close();
      await served.stop();
    },
  };
}
