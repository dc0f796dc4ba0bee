package mutexlist

import "testing"

func TestWaitQueueFIFOAndRemove(t *testing.T) {
	var q waitQueue
	ws := make([]*waiter, 5)
	for i := range ws {
		ws[i] = &waiter{}
		q.push(ws[i])
	}
	q.remove(ws[2]) // middle
	q.remove(ws[0]) // head
	q.remove(ws[4]) // tail
	if ws[0].queued || ws[2].queued || ws[4].queued || q.len() != 2 {
		t.Fatalf("after removals: len %d, queued flags not cleared", q.len())
	}
	q.push(ws[0])
	for _, want := range []*waiter{ws[1], ws[3], ws[0]} {
		if got := q.pop(); got != want || got.queued {
			t.Fatalf("pop = %p (queued %v), want %p", got, got.queued, want)
		}
	}
	if q.pop() != nil || q.len() != 0 || q.head != nil || q.tail != nil {
		t.Fatal("queue not empty after popping everything")
	}
}
