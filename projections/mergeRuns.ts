/**
 * Merges runs that are each sorted by `compare` into one sorted sequence, handed out `chunkSize` items at a time:
 * a k-way merge over a binary heap of the runs' heads, O(n log k). A caller can yield to the event loop between
 * chunks, which one `Array.prototype.sort` over millions of items does not allow. Equal items keep run order.
 */
export function* mergeSortedRuns<T>(runs: readonly (readonly T[])[], compare: (a: T, b: T) => number, chunkSize: number): Generator<T[]> {
  // Heap entries: [run index, position in run]; ties go to the earlier run, so the merge is stable.
  const heap: [number, number][] = [];
  const less = (a: [number, number], b: [number, number]) => {
    const order = compare(runs[a[0]]![a[1]]!, runs[b[0]]![b[1]]!);
    return order < 0 || (order === 0 && a[0] < b[0]);
  };
  const swap = (i: number, j: number) => ([heap[i], heap[j]] = [heap[j]!, heap[i]!]);
  const up = (i: number) => {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i]!, heap[parent]!)) return;
      swap(i, parent);
      i = parent;
    }
  };
  const down = (i: number) => {
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && less(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && less(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) return;
      swap(i, smallest);
      i = smallest;
    }
  };
  runs.forEach((run, index) => {
    if (run.length > 0) {
      heap.push([index, 0]);
      up(heap.length - 1);
    }
  });
  let chunk: T[] = [];
  while (heap.length > 0) {
    const head = heap[0]!;
    chunk.push(runs[head[0]]![head[1]]!);
    if (head[1] + 1 < runs[head[0]]!.length) {
      heap[0] = [head[0], head[1] + 1];
    } else {
      const last = heap.pop()!;
      if (heap.length === 0) break;
      heap[0] = last;
    }
    down(0);
    if (chunk.length >= chunkSize) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}
