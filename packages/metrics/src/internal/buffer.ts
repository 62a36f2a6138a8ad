/** An append-only Float64 buffer that doubles its capacity, for metrics that keep every score. */
export class GrowableFloat64 {
  private data = new Float64Array(64);
  length = 0;

  push(values: Float64Array): void {
    const needed = this.length + values.length;
    if (needed > this.data.length) {
      let capacity = this.data.length;
      while (capacity < needed) capacity *= 2;
      const next = new Float64Array(capacity);
      next.set(this.data.subarray(0, this.length));
      this.data = next;
    }
    this.data.set(values, this.length);
    this.length = needed;
  }

  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }

  clear(): void {
    this.data = new Float64Array(64);
    this.length = 0;
  }
}
