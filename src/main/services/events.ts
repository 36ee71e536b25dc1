/**
 * The one event convention of the services: `on(listener)` returns the
 * unsubscribe function; every event is `{ type, payload }`. A listener that
 * throws never breaks the emitter or the other listeners.
 */
export interface TypedEvent {
  type: string;
  payload: unknown;
}

export type Listener<E extends TypedEvent> = (event: E) => void;

export class Emitter<E extends TypedEvent> {
  readonly #listeners = new Set<Listener<E>>();

  on(listener: Listener<E>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: E): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch {
        // a listener's failure (the bridge, a test) never breaks the service
      }
    }
  }
}
