package counters

import (
	"testing"
	"testing/synctest"
	"time"
)

func TestSnapshot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c Counters
		c.Dials.Add(3)
		c.Reuses.Add(2)
		start := time.Now()
		time.Sleep(1500 * time.Millisecond)
		c.Waited(start)
		c.Waited(start)
		s := c.Snapshot()
		if s.Dials != 3 || s.Reuses != 2 || s.WaitTime != 3*time.Second || s.Open != 0 {
			t.Fatalf("snapshot %+v", s)
		}
	})
}
