package harness

import (
	"net"
	"strconv"

	"github.com/poolbench/poolbench/internal/kernelnet"
)

// kernelProbe reads the kernel's view of one point's server from before its
// workers start until after they stop (package kernelnet). It works only for a server started here as a
// child process: the sockets and counters read are this host's network
// namespace, which an external server's need not be. A probe whose read
// fails reports nothing rather than a partial point.
type kernelProbe struct {
	r   *kernelnet.Reader // nil: not applicable
	w   *kernelnet.Window
	pt  kernelnet.Point
	err error
}

func newKernelProbe(pid int, addr string) *kernelProbe {
	if pid <= 0 {
		return &kernelProbe{}
	}
	_, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return &kernelProbe{err: err}
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return &kernelProbe{err: err}
	}
	r, err := kernelnet.New(port, pid)
	return &kernelProbe{r: r, err: err}
}

// begin takes the first sample; no sampling runs in between, so the probe
// costs nothing during the load.
func (k *kernelProbe) begin() {
	if k.r == nil || k.err != nil {
		return
	}
	k.w, k.err = k.r.Begin(0)
}

// end takes the last sample.
func (k *kernelProbe) end() {
	if k.w == nil || k.err != nil {
		return
	}
	k.pt, k.err = k.w.End()
}

// point returns the window's Point, and false when there is none.
func (k *kernelProbe) point() (kernelnet.Point, bool) {
	if k.r == nil || k.w == nil || k.err != nil {
		return kernelnet.Point{}, false
	}
	return k.pt, true
}
