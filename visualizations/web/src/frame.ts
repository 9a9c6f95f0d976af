/**
 * Batches DOM work to one pass per animation frame: a thousand trades a second mark their card
 * dirty a thousand times, and the card renders once per frame. Data is kept up to date on
 * arrival (bounded), so a hidden tab that gets no frames holds no growing queue.
 */
const dirty = new Set<() => void>();
let scheduled = false;

function flush(): void {
  scheduled = false;
  const tasks = [...dirty];
  dirty.clear();
  for (const task of tasks) task();
}

/** Runs `render` once in the next animation frame, however often it is asked for before then. */
export function renderNextFrame(render: () => void): void {
  dirty.add(render);
  if (!scheduled) {
    scheduled = true;
    requestAnimationFrame(flush);
  }
}
