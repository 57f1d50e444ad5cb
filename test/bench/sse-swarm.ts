/**
 * Many SSE subscribers for the subscription benchmark, as bare sockets: one HTTP/1.1 POST each
 * (Accept: text/event-stream) and a byte search per read, so that 10,000 of them cost the load
 * generator little and what is measured is the gateway, not the client.
 */
import net from 'node:net';

const EVENT = Buffer.from('event: next');
const OK = Buffer.from('HTTP/1.1 200');

export interface SwarmRound {
  /** performance.now() when the change was made upstream. */
  changedAt: number;
  /** The `at` of the event (when the hub saw the change), epoch ms. */
  hubAt: number | null;
  /** performance.now() at which each subscriber received it (NaN: not yet). */
  received: Float64Array;
}

export class SseSwarm {
  private readonly sockets: net.Socket[] = [];
  /** Events received per subscriber. */
  private counts = new Int32Array(0);
  private readonly rounds: SwarmRound[] = [];
  private readonly request: string;
  private readonly host: string;
  private readonly port: number;
  errors: string[] = [];
  /** Subscribers that closed or failed after connecting. */
  dropped = 0;

  constructor(url: string, body: string) {
    const u = new URL(url);
    this.host = u.hostname;
    this.port = Number(u.port);
    this.request =
      `POST ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\ncontent-type: application/json\r\naccept: text/event-stream\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  }

  get size(): number {
    return this.sockets.length;
  }

  /** Opens subscribers until there are `total`, `concurrency` handshakes at a time. */
  async grow(total: number, concurrency = 200): Promise<void> {
    const from = this.sockets.length;
    if (total <= from) return;
    const counts = new Int32Array(total);
    counts.set(this.counts);
    // Newcomers hear only of changes made after they joined.
    counts.fill(this.rounds.length, from);
    this.counts = counts;
    for (const r of this.rounds) {
      const received = new Float64Array(total).fill(NaN);
      received.set(r.received);
      r.received = received;
    }
    let next = from;
    const worker = async () => {
      while (next < total) await this.open(next++);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, total - from) }, worker));
  }

  private open(i: number): Promise<void> {
    return new Promise((resolve) => {
      const s = net.connect(this.port, this.host);
      s.setNoDelay(true);
      this.sockets[i] = s;
      let answered = false;
      s.on('connect', () => s.write(this.request));
      s.on('data', (buf: Buffer) => {
        const now = performance.now();
        if (!answered) {
          answered = true;
          if (buf.indexOf(OK) !== 0) this.errors.push(`subscriber ${i}: ${buf.toString('utf8', 0, 300)}`);
          resolve();
        }
        let n = 0;
        for (let at = buf.indexOf(EVENT); at !== -1; at = buf.indexOf(EVENT, at + EVENT.length)) n++;
        if (n === 0) return;
        for (let k = 0; k < n; k++) {
          const round = this.rounds[this.counts[i]!];
          this.counts[i]! += 1;
          if (!round) {
            this.errors.push(`subscriber ${i}: an event no change explains: ${buf.toString('utf8', 0, 300)}`);
            continue;
          }
          round.received[i] = now;
          if (round.hubAt === null) {
            const m = /"at":"([^"]+)"/.exec(buf.toString('utf8'));
            if (m) round.hubAt = Date.parse(m[1]!);
          }
        }
      });
      s.on('error', (err) => {
        if (!answered) {
          answered = true;
          this.errors.push(`subscriber ${i}: ${err.message}`);
          resolve();
        } else this.dropped++;
      });
      s.on('close', () => {
        if (answered) this.dropped++;
        else {
          answered = true;
          this.errors.push(`subscriber ${i}: closed before answering`);
          resolve();
        }
      });
    });
  }

  /** Starts a round: the next event each subscriber receives is for this change. */
  beginRound(): SwarmRound {
    const round: SwarmRound = { changedAt: performance.now(), hubAt: null, received: new Float64Array(this.sockets.length).fill(NaN) };
    this.rounds.push(round);
    return round;
  }

  /** Resolves when every subscriber has the round's event, or at the deadline; returns how many miss it. */
  async awaitRound(round: SwarmRound, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      let missing = 0;
      for (let i = 0; i < round.received.length; i++) if (Number.isNaN(round.received[i]!)) missing++;
      if (missing === 0 || performance.now() > deadline) return missing;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.length = 0;
  }
}
