/**
 * Answering before the whole request body has arrived, without losing the answer.
 *
 * A body over the limit is refused as soon as the limit is passed (or at once, when its
 * content-length says so), while the client is still sending. Fastify then asks for the
 * connection to be closed, and Node closes it as soon as the answer is written. Closing a socket
 * that still has unread bytes, or that bytes keep arriving on, makes the kernel send a reset: the
 * client's next write fails, and a client that reads the answer only once it has sent its body
 * (a browser's fetch) reports a network error instead of the 413, or the reset overtakes the
 * answer on a slow link. So the connection is kept open instead: the rest of the body is read and
 * thrown away, the client finishes sending and reads the 413, and the connection can carry its
 * next request.
 *
 * Bounded, because what is thrown away still costs bandwidth and a connection: a body whose
 * content-length is over DRAIN_BYTES gets Fastify's immediate close, and one that goes on past
 * DRAIN_BYTES or DRAIN_MS has its connection closed where it stands.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Most bytes read and thrown away after an early answer: 8 times the largest body any route accepts. */
export const DRAIN_BYTES = 64 * 1024 * 1024;
/** Longest the rest of a refused body is waited for. */
const DRAIN_MS = 30_000;

/** Call while answering a request whose body has not been read to the end. */
export function lingerAfterEarlyAnswer(request: FastifyRequest, reply: FastifyReply): void {
  const raw = request.raw;
  if (raw.complete) return;
  if (Number(raw.headers['content-length']) > DRAIN_BYTES) return;
  reply.removeHeader('connection');
  let drained = 0;
  // Destroying a request that has not ended destroys its connection too.
  const cut = () => {
    clearTimeout(timer);
    raw.destroy();
  };
  const timer = setTimeout(cut, DRAIN_MS);
  // Never keeps the process alive by itself: closing the server ends the connection anyway.
  timer.unref();
  raw.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_BYTES) cut();
  });
  raw.once('end', () => clearTimeout(timer));
  raw.once('close', () => clearTimeout(timer));
  raw.resume();
}
