//go:build !amd64

package bench

import "time"

// epoch anchors ticks.
var epoch = time.Now()

// ticks is the monotonic clock in nanoseconds where no cheaper counter is
// wired up.
func ticks() int64 { return int64(time.Since(epoch)) }
