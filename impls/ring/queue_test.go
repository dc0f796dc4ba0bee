package ring

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestQueueFIFOAcrossLaps(t *testing.T) {
	q := newQueue[int](4)
	next, want := 0, 0
	// Pushing 3 and popping 2 per round drifts the positions across many
	// laps of the 4 cells, so every cell is reused with every sequence shift.
	for round := 0; round < 100; round++ {
		for i := 0; i < 3 && q.len() < 4; i++ {
			if !q.push(next) {
				t.Fatalf("round %d: push %d failed with len %d", round, next, q.len())
			}
			next++
		}
		for i := 0; i < 2; i++ {
			v, ok := q.pop()
			if !ok || v != want {
				t.Fatalf("round %d: pop = %d, %v; want %d, true", round, v, ok, want)
			}
			want++
		}
	}
	for {
		v, ok := q.pop()
		if !ok {
			break
		}
		if v != want {
			t.Fatalf("drain: pop = %d, want %d", v, want)
		}
		want++
	}
	if want != next {
		t.Fatalf("popped %d elements, pushed %d", want, next)
	}
}

func TestQueueFullAndEmpty(t *testing.T) {
	for _, c := range []struct{ limit, cells int }{{0, 2}, {1, 2}, {2, 2}, {3, 4}, {4, 4}, {5, 8}, {8, 8}} {
		q := newQueue[int](c.limit)
		if len(q.cells) != c.cells || q.cap() != c.limit {
			t.Fatalf("limit %d: %d cells, cap %d; want %d cells", c.limit, len(q.cells), q.cap(), c.cells)
		}
		if _, ok := q.pop(); ok {
			t.Fatalf("limit %d: pop from a new queue succeeded", c.limit)
		}
		for lap := 0; lap < 3; lap++ {
			for i := 0; i < c.limit; i++ {
				if !q.push(i) {
					t.Fatalf("limit %d lap %d: push %d of %d failed", c.limit, lap, i+1, c.limit)
				}
			}
			if q.push(-1) {
				t.Fatalf("limit %d lap %d: push beyond the limit succeeded", c.limit, lap)
			}
			if q.len() != c.limit {
				t.Fatalf("limit %d lap %d: len %d when full", c.limit, lap, q.len())
			}
			for i := 0; i < c.limit; i++ {
				if v, ok := q.pop(); !ok || v != i {
					t.Fatalf("limit %d lap %d: pop = %d, %v; want %d", c.limit, lap, v, ok, i)
				}
			}
			if _, ok := q.pop(); ok || q.len() != 0 {
				t.Fatalf("limit %d lap %d: pop from an emptied queue succeeded (len %d)", c.limit, lap, q.len())
			}
		}
	}
}

// TestQueueConcurrentConservesElements has producers push distinct values and
// consumers pop them, retrying on full and empty; every value must come out
// exactly once, and each producer's values in the order it pushed them.
func TestQueueConcurrentConservesElements(t *testing.T) {
	const producers, consumers, perProducer = 4, 4, 20000
	q := newQueue[int](5) // a limit below the cell count exercises both full checks
	deadline := time.Now().Add(30 * time.Second)

	var wg sync.WaitGroup
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perProducer; i++ {
				for !q.push(p*perProducer + i) {
					if time.Now().After(deadline) {
						t.Error("producer stuck on a full queue")
						return
					}
					runtime.Gosched()
				}
			}
		}()
	}

	var popped atomic.Int64
	seen := make([]atomic.Int32, producers*perProducer)
	var orderErrs atomic.Int64
	for c := 0; c < consumers; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := make([]int, producers) // per producer, the last index this consumer saw
			for i := range last {
				last[i] = -1
			}
			for popped.Load() < producers*perProducer {
				v, ok := q.pop()
				if !ok {
					if time.Now().After(deadline) {
						t.Error("consumer stuck on an empty queue")
						return
					}
					runtime.Gosched()
					continue
				}
				popped.Add(1)
				seen[v].Add(1)
				p, i := v/perProducer, v%perProducer
				if i <= last[p] {
					orderErrs.Add(1)
				}
				last[p] = i
			}
		}()
	}
	wg.Wait()

	for v := range seen {
		if n := seen[v].Load(); n != 1 {
			t.Fatalf("value %d popped %d times", v, n)
		}
	}
	if n := orderErrs.Load(); n != 0 {
		t.Fatalf("%d pops saw a producer's values out of order", n)
	}
	if _, ok := q.pop(); ok || q.len() != 0 {
		t.Fatalf("queue not empty after every value was popped (len %d)", q.len())
	}
}
