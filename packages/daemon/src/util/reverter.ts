// Reverter: each step of a multi-step change registers its undo; a failure undoes them all, newest first.
export class Reverter {
  private undo: (() => unknown)[] = [];
  private succeeded = false;

  add(fn: () => unknown): void {
    this.undo.push(fn);
  }

  success(): void {
    this.succeeded = true;
  }

  /** Runs the undo steps unless success() was called; undo errors are collected, not thrown over the original. */
  async run(onError?: (e: unknown) => void): Promise<void> {
    if (this.succeeded) return;
    for (const fn of this.undo.reverse()) {
      try {
        await fn();
      } catch (e) {
        onError?.(e);
      }
    }
    this.undo = [];
  }
}
