package shard

import _ "unsafe" // for go:linkname

// procID returns the id of the P the calling goroutine runs on, as
// sync.Pool finds its per-P shard. It is a hint: the goroutine may move to
// another P as soon as procID returns, which costs only locality.
func procID() int {
	id := runtimeProcPin()
	runtimeProcUnpin()
	return id
}

// runtime.procPin and procUnpin are the runtime's own per-P hooks behind
// sync.Pool; the runtime keeps them reachable by linkname for packages
// outside the standard library (see its "hall of shame" note on procPin).
//
//go:linkname runtimeProcPin runtime.procPin
func runtimeProcPin() int

//go:linkname runtimeProcUnpin runtime.procUnpin
func runtimeProcUnpin()
