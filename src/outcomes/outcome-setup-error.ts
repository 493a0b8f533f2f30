/**
 * The outcome store cannot be used as configured (its schema, the pseudonym key, the journal's lock).
 * The service refuses to start with the message alone: it says what to do.
 */
export class OutcomeSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
