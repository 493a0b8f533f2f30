import { IdleSlots } from '../population/idle-slots.js';

/**
 * Lets one hook evaluation at a time run its CQL, the others waiting in arrival order. Evaluation is CPU
 * work in microtasks: started together, the evaluations of fifty calls interleave and each finishes only
 * when nearly all have (every call is as late as the slowest, and a busy service's tail grew to seconds).
 * Taken in turn, a call waits for those that came before it and then runs alone: the service's
 * throughput is the same and its latency is the queue ahead of it. Fetching data from the EHR happens
 * before the gate, so calls waiting on a slow FHIR server never hold it. The turns are the slots of an
 * {@link IdleSlots}, as the population's worker threads are.
 */
export class EvaluationGate {
  private readonly turns: IdleSlots<number>;

  constructor(concurrency = 1) {
    this.turns = new IdleSlots(Array.from({ length: concurrency }, (_, i) => i));
  }

  /** Calls waiting for their turn. */
  get waiting(): number {
    return this.turns.waiting;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    const turn = await this.turns.acquire();
    try {
      return await work();
    } finally {
      this.turns.release(turn);
    }
  }
}
