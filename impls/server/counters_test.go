package server_test

import (
	"sync"
	"testing"

	"github.com/poolbench/poolbench/impls/server"
)

// TestAdmitHoldsLimit races many acceptors for few slots: active never
// exceeds the limit, and every conn is either accepted or rejected.
func TestAdmitHoldsLimit(t *testing.T) {
	const limit, acceptors, rounds = 8, 64, 200
	var c server.Counters
	var over sync.Map
	var wg sync.WaitGroup
	for g := range acceptors {
		wg.Go(func() {
			for range rounds {
				if !c.Admit(limit) {
					continue
				}
				if a := c.Snapshot().Active; a > limit {
					over.Store(g, a)
				}
				c.In(3)
				c.Out(2)
				c.Closed()
			}
		})
	}
	wg.Wait()
	over.Range(func(g, a any) bool {
		t.Errorf("acceptor %v saw Active %v > %d", g, a, limit)
		return true
	})
	st := c.Snapshot()
	if st.Accepted+st.Rejected != acceptors*rounds || st.Active != 0 || st.Accepted == 0 {
		t.Errorf("Stats %+v: want Accepted+Rejected %d, Active 0, some accepted", st, acceptors*rounds)
	}
	if st.BytesIn != 3*st.Accepted || st.BytesOut != 2*st.Accepted {
		t.Errorf("Stats %+v: bytes do not match %d accepted conns", st, st.Accepted)
	}
}

func TestNoLimit(t *testing.T) {
	var c server.Counters
	for range 100 {
		if !c.Admit(0) || c.Full(0) {
			t.Fatal("MaxConns 0 must admit every conn")
		}
	}
	if st := c.Snapshot(); st.Active != 100 || st.Accepted != 100 {
		t.Errorf("Stats %+v", st)
	}
}

func TestNormalized(t *testing.T) {
	cfg, err := server.Config{Loops: 1}.Normalized()
	if err != nil || cfg.Addr != "127.0.0.1:0" || cfg.ReadBufferSize != server.DefaultReadBufferSize {
		t.Errorf("Normalized = %+v, %v", cfg, err)
	}
}
