/** A binary min-heap of integers: the drop order needs "lowest index still waiting" many times. */
export class MinHeap {
  private readonly values: number[] = [];

  get size(): number {
    return this.values.length;
  }

  push(value: number): void {
    const values = this.values;
    values.push(value);
    let index = values.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const above = values[parent] ?? 0;
      if (above <= value) break;
      values[index] = above;
      index = parent;
    }
    values[index] = value;
  }

  pop(): number | undefined {
    const values = this.values;
    const top = values[0];
    const last = values.pop();
    if (values.length === 0 || last === undefined) return top;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= values.length) break;
      const right = left + 1;
      const child =
        right < values.length && (values[right] ?? 0) < (values[left] ?? 0) ? right : left;
      const smaller = values[child] ?? 0;
      if (smaller >= last) break;
      values[index] = smaller;
      index = child;
    }
    values[index] = last;
    return top;
  }
}
