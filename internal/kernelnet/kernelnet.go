// Package kernelnet reads what the kernel holds for a server while it is
// loaded: the TCP sockets on its port by state (TIME_WAIT, CLOSE_WAIT,
// SYN_RECV), the listen queue's overflow and drop counters, the ephemeral
// ports in use against ip_local_port_range, and the server process's open
// fds against its RLIMIT_NOFILE. These are the costs a pool saves and the
// limits a connection burst runs into.
//
// Sockets come from netlink sock_diag (sockdiag.go: the kernel filters the
// dump to the server's port and the ephemeral range), which also gives each
// TIME_WAIT socket's remaining timer, so a window can count the ones it
// created apart from those earlier load left behind; the
// counters, the sysctl and the process's fds and limits come from /proc
// (github.com/prometheus/procfs). Everything read is of the network
// namespace of the calling process, so the server must share it.
//
// It must not know the harness, a pool or a server design: it is given a
// port and a pid.
package kernelnet

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/procfs"
)

// TCP states as sock_diag reports them (include/net/tcp_states.h).
const (
	stateSynRecv   = 3
	stateTimeWait  = 6
	stateCloseWait = 8
)

// timeWaitLen is how long Linux keeps a socket in TIME_WAIT (TCP_TIMEWAIT_LEN,
// fixed at compile time): a TIME_WAIT socket whose timer has e left was
// created timeWaitLen - e ago.
const timeWaitLen = 60 * time.Second

// timerSlack is how much older than its window a TIME_WAIT socket's timer
// may read and still count as the window's own. The kernel keeps the timer
// in jiffies, which tick every 1/HZ (up to 10 ms) and, in a VM whose vCPU
// the host holds back, run behind the wall clock for a while and then
// catch up: a socket made as the window began can read a tick or more
// older than the window. (A Begin whose dump took longer, as netlink's
// SocketDiagTCP did, hid this in its own duration.) The sockets of the load
// before a window, made in the slack or closing as it began, are left out
// by their ports instead (see earlier).
const timerSlack = 10 * time.Millisecond

// earlier is the conns with the server's port at one end when a window
// began, by their two ports, with their state then and, in TIME_WAIT, their
// age: the load before the window's. A window counts none of their
// TIME_WAIT sockets as its own. The timer alone did, for the ones younger
// than timerSlack and for the conns still closing when the window began,
// which reach TIME_WAIT inside it: a harness point of a pool that closes
// nothing, begun right after dial's on the same server, counted 2 to 54 of
// dial's closes (TestKernelPerPoint, 7 of 40 runs), and a sweep's point
// could be charged with its predecessor's pool closing its conns.
//
// A port pair seen then can come back in the window: on loopback Linux
// reuses a TIME_WAIT socket's ports for a new conn (tcp_tw_reuse's default).
// A TIME_WAIT socket whose timer reads younger than the one seen at Begin
// has aged since, by more than timerSlack, is that new conn's and counts.
// Left out by mistake: such a conn closed in the window's first timerSlack,
// and a pair seen at Begin in another state that closes, is reused and
// closes again inside one window; rare runs, one socket each.
type earlier map[uint32]earlierConn

type earlierConn struct {
	state uint8
	age   time.Duration // in TIME_WAIT: timeWaitLen less its timer
}

// pair is a socket's two ports, its key in earlier.
func pair(s diagSocket) uint32 { return uint32(s.sport)<<16 | uint32(s.dport) }

// Sockets counts the TCP sockets with the server's port at one end.
type Sockets struct {
	// TimeWaitClient is TIME_WAIT sockets whose remote port is the server's:
	// the client closed first and holds the 2MSL wait (and its port).
	TimeWaitClient int
	// TimeWaitServer is TIME_WAIT sockets whose local port is the server's:
	// the server closed first.
	TimeWaitServer int
	// CloseWait is CLOSE_WAIT sockets at either end: the peer closed and
	// this side has not yet.
	CloseWait int
	// SynRecv is half-open connections to the server: SYN received, the
	// final ACK not yet (or dropped because the accept queue was full).
	SynRecv int
	// PortsInUse is the distinct local ports inside ip_local_port_range held
	// by any TCP socket of the namespace (not only the server's), a
	// listener's included (a server bound to port 0 takes its port from
	// the same range, and connect(2) cannot pick it either): the range less
	// this is what connect(2) has left to choose from.
	PortsInUse int
}

// Listen is the namespace's listen-queue counters (TcpExt in
// /proc/net/netstat); they only grow.
type Listen struct {
	// Overflows counts final ACKs (or SYNs) dropped because an accept queue
	// was full; the client sees a timeout or a reset.
	Overflows uint64
	// Drops counts every connection dropped at listen, overflows included.
	Drops uint64
}

// FDs is a process's open files against its soft RLIMIT_NOFILE.
type FDs struct {
	Open, Limit int
}

// Headroom is how many more fds the process may open: 0 means accept fails
// with EMFILE ("too many open files").
func (f FDs) Headroom() int { return max(f.Limit-f.Open, 0) }

// Sample is one reading.
type Sample struct {
	At      time.Time
	Sockets Sockets
	Listen  Listen
	// Ports is the size of ip_local_port_range, the ephemeral ports there are.
	Ports int
	// FDs is the server process's; zero when Reader has no pid.
	FDs FDs
}

// Reader reads Samples for one server: its TCP port and, when it runs on
// this host as a process of its own, its pid (0 when not).
type Reader struct {
	port uint16
	pid  int
	fs   procfs.FS
	// lo, hi are ip_local_port_range, read once: a sweep does not change it.
	lo, hi int
	// filter is the sock_diag bytecode that keeps the sockets counted: the
	// server's port at either end, or a local port within lo..hi.
	filter []byte
}

// New returns a Reader for the server listening on port, whose process is
// pid (0 for none: its fds are then not read).
func New(port, pid int) (*Reader, error) {
	if port <= 0 || port > 65535 {
		return nil, fmt.Errorf("kernelnet: port %d out of range", port)
	}
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return nil, fmt.Errorf("kernelnet: %w", err)
	}
	r := &Reader{port: uint16(port), pid: pid, fs: fs}
	rng, err := fs.SysctlInts("net.ipv4.ip_local_port_range")
	if err != nil {
		return nil, fmt.Errorf("kernelnet: ip_local_port_range: %w", err)
	}
	if len(rng) != 2 || rng[0] < 1 || rng[0] > rng[1] || rng[1] > 65535 {
		return nil, fmt.Errorf("kernelnet: ip_local_port_range is %v, want two ports, low first", rng)
	}
	r.lo, r.hi = rng[0], rng[1]
	r.filter = or(or(portEq(bcSportEq, r.port), portEq(bcDportEq, r.port)), sportWithin(uint16(r.lo), uint16(r.hi)))
	return r, nil
}

// Ports returns the size of ip_local_port_range.
func (r *Reader) Ports() int { return r.hi - r.lo + 1 }

// Sample reads everything once. With since > 0 it counts only the TIME_WAIT
// sockets younger than since (and timerSlack), by their timers, so that a
// window counts the ones it made and not those earlier load left behind;
// with 0, all of them.
func (r *Reader) Sample(since time.Duration) (Sample, error) { return r.sample(since, nil, nil) }

// sample is Sample leaving out the TIME_WAIT sockets of the conns in before
// (nil: none), and recording every conn on the server's port into record
// (nil: not recorded).
func (r *Reader) sample(since time.Duration, before, record earlier) (Sample, error) {
	s := Sample{At: time.Now(), Ports: r.Ports()}
	var err error
	if s.Sockets, err = r.sockets(since, before, record); err != nil {
		return s, err
	}
	if s.Listen, err = r.listen(); err != nil {
		return s, err
	}
	if r.pid != 0 {
		if s.FDs, err = r.FDs(); err != nil {
			return s, err
		}
	}
	return s, nil
}

// sockets dumps the TCP sockets with the server's port at one end or a
// local port in ip_local_port_range (the kernel filters them, sockdiag.go),
// and counts them.
func (r *Reader) sockets(since time.Duration, before, record earlier) (Sockets, error) {
	var c Sockets
	var ports [1 << 16]bool
	err := dumpTCP(allStates, r.filter, func(s diagSocket) {
		r.count(&c, s, since, before)
		if record != nil && (s.sport == r.port || s.dport == r.port) {
			record[pair(s)] = earlierConn{state: s.state, age: timeWaitLen - s.expires}
		}
		if p := int(s.sport); p >= r.lo && p <= r.hi && !ports[p] {
			ports[p] = true
			c.PortsInUse++
		}
	})
	if err != nil && !errors.Is(err, errDumpInterrupted) {
		// An interrupted dump changed under the read; its counts are
		// still a fair picture of a moment, so it is kept.
		return c, fmt.Errorf("kernelnet: sock_diag: %w", err)
	}
	return c, nil
}

// count adds socket s to c when the server's port is at one of its ends.
func (r *Reader) count(c *Sockets, s diagSocket, since time.Duration, before earlier) {
	local, remote := s.sport == r.port, s.dport == r.port
	if !local && !remote {
		return
	}
	switch s.state {
	case stateTimeWait:
		age := timeWaitLen - s.expires
		if since > 0 && age > since+timerSlack {
			return
		}
		if e, ok := before[pair(s)]; ok && (e.state != stateTimeWait || age >= e.age+since-timerSlack) {
			return // the load before the window's (see earlier)
		}
		if remote {
			c.TimeWaitClient++
		} else {
			c.TimeWaitServer++
		}
	case stateCloseWait:
		c.CloseWait++
	case stateSynRecv:
		if local {
			c.SynRecv++
		}
	}
}

// listen reads TcpExt's ListenOverflows and ListenDrops.
func (r *Reader) listen() (Listen, error) {
	self, err := r.fs.Self()
	if err != nil {
		return Listen{}, fmt.Errorf("kernelnet: %w", err)
	}
	ns, err := self.Netstat()
	if err != nil {
		return Listen{}, fmt.Errorf("kernelnet: netstat: %w", err)
	}
	if ns.TcpExt.ListenOverflows == nil || ns.TcpExt.ListenDrops == nil {
		return Listen{}, errors.New("kernelnet: netstat: no TcpExt ListenOverflows or ListenDrops")
	}
	return Listen{Overflows: uint64(*ns.TcpExt.ListenOverflows), Drops: uint64(*ns.TcpExt.ListenDrops)}, nil
}

// FDs reads only the server process's open fds and soft RLIMIT_NOFILE: a
// few /proc reads, cheap enough to poll every millisecond where a Sample's
// socket dump is not.
func (r *Reader) FDs() (FDs, error) {
	p, err := r.fs.Proc(r.pid)
	if err != nil {
		return FDs{}, fmt.Errorf("kernelnet: %w", err)
	}
	n, err := p.FileDescriptorsLen()
	if err != nil {
		return FDs{}, fmt.Errorf("kernelnet: fds of %d: %w", r.pid, err)
	}
	lim, err := p.Limits()
	if err != nil {
		return FDs{}, fmt.Errorf("kernelnet: limits of %d: %w", r.pid, err)
	}
	return FDs{Open: n, Limit: int(min(lim.OpenFiles, 1<<31-1))}, nil
}
