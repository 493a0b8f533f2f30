/**
 * Lets one hook evaluation at a time run its CQL, the others waiting in arrival order. Evaluation is CPU
 * work in microtasks: started together, the evaluations of fifty calls interleave and each finishes only
 * when nearly all have (every call is as late as the slowest, and a busy service's tail grew to seconds).
 * Taken in turn, a call waits for those that came before it and then runs alone: the service's
 * throughput is the same and its latency is the queue ahead of it. Fetching data from the EHR happens
 * before the gate, so calls waiting on a slow FHIR server never hold it.
 */
export class EvaluationGate {
  private running = 0;
  private readonly queue: Array<() => void> = [];

  constructor(private readonly concurrency = 1) {}

  /** Calls waiting for their turn. */
  get waiting(): number {
    return this.queue.length;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      const next = this.queue.shift();
      if (next !== undefined) next();
      else this.running--;
    }
  }
}
