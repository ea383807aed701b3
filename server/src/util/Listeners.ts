/** Callbacks run after a change this node made (for the other nodes to be told of it). */
export class Listeners {
  readonly #all: (() => void)[] = [];

  add(listener: () => void): void {
    this.#all.push(listener);
  }

  fire(): void {
    for (const listener of this.#all) listener();
  }
}
