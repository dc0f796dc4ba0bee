package kernelnet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// A sock_diag dump (linux/inet_diag.h) asked of the kernel with a state mask
// and a bytecode filter. netlink's SocketDiagTCP asks for every TCP socket
// of a family with its tcp_info, so after a sweep's no-pool points left
// ~14k TIME_WAIT sockets each Sample copied and parsed all of them, twice
// (IPv4, then IPv6). Here the kernel runs the filter (as `ss 'sport = :N'`
// does) and only the sockets counted cross to user space, with no
// extensions, and both families come from one walk of the kernel's socket
// hash: the walk itself, of every bucket whether used or not (262144 here),
// is what a dump that returns nothing still costs. The one-walk request is
// inet_diag's original one (TCPDIAG_GETSOCK, family AF_UNSPEC); a kernel
// that refuses it gets the per-family SOCK_DIAG_BY_FAMILY requests instead.
// vishvananda/netlink takes neither a mask nor a filter, and x/sys/unix has
// the netlink framing but not inet_diag's structs, so they are written here.

// Sizes and offsets of inet_diag's structs.
const (
	sizeofReqV2   = 56 // struct inet_diag_req_v2
	sizeofReqV1   = 60 // struct inet_diag_req, TCPDIAG_GETSOCK's
	sizeofDiagMsg = 72 // struct inet_diag_msg
	// In struct inet_diag_msg: state (u8), then the sockid's big-endian
	// ports, and idiag_expires, the timer left in milliseconds.
	offState   = 1
	offSport   = 4
	offDport   = 6
	offExpires = 52
	// INET_DIAG_REQ_BYTECODE, the request's filter attribute.
	attrBytecode = 1
	// TCPDIAG_GETSOCK, the request (and reply) type of a dump of both
	// families' TCP sockets.
	msgTCPDiagGetSock = 18
)

// Bytecode ops (enum in linux/inet_diag.h). An op is {code u8, yes u8,
// no u16}: yes and no are how many bytes on to jump; landing exactly on the
// program's end accepts the socket, 4 past it rejects. A port op is followed
// by a second op whose no field holds the port.
const (
	bcJump    = 1  // INET_DIAG_BC_JMP: always takes no
	bcSportGE = 2  // INET_DIAG_BC_S_GE
	bcSportLE = 3  // INET_DIAG_BC_S_LE
	bcSportEq = 11 // INET_DIAG_BC_S_EQ
	bcDportEq = 12 // INET_DIAG_BC_D_EQ
)

// allStates is the state mask of TCP_ESTABLISHED to TCP_CLOSING (bit n is
// state n), what netlink's SocketDiagTCP asks for.
const allStates = 0xfff

// diagBufSize holds one netlink read: the kernel fills a dump's reads up to
// 32 KiB at most.
const diagBufSize = 64 << 10

// diagSocket is what a count needs of one inet_diag_msg.
type diagSocket struct {
	state        uint8
	sport, dport uint16
	// expires is the socket's timer left (a TIME_WAIT socket's to its end).
	expires time.Duration
}

// op appends one bytecode op to prog.
func op(prog []byte, code, yes uint8, no uint16) []byte {
	prog = append(prog, code, yes)
	return binary.NativeEndian.AppendUint16(prog, no)
}

// portEq is the filter sport == port (code bcSportEq) or dport == port
// (bcDportEq): accept falls through to the end, reject jumps 4 past it.
func portEq(code uint8, port uint16) []byte {
	return op(op(nil, code, 8, 12), 0, 0, port)
}

// sportWithin is the filter lo <= sport && sport <= hi.
func sportWithin(lo, hi uint16) []byte {
	var p []byte
	p = op(p, bcSportGE, 8, 20)
	p = op(p, 0, 0, lo)
	p = op(p, bcSportLE, 8, 12)
	return op(p, 0, 0, hi)
}

// or is the filter a || b, laid out as ss compiles one: a's rejects, which
// jump 4 past its end, land on b; its accepts land on a JMP to the end.
func or(a, b []byte) []byte {
	p := append([]byte(nil), a...)
	p = op(p, bcJump, 4, uint16(len(b)+4))
	return append(p, b...)
}

// dumpTCP dumps the TCP sockets of both families whose state is in the
// mask states (bit n for state n) and that filter accepts, calling each for
// every one. An interrupted dump (the tables changed under it) is returned
// as errDumpInterrupted after all its sockets were passed to each.
func dumpTCP(states uint32, filter []byte, each func(diagSocket)) error {
	err := dump(msgTCPDiagGetSock, tcpDiagRequest(states), filter, each)
	var errno unix.Errno
	if err == nil || !errors.As(err, &errno) {
		return err
	}
	// Refused (a kernel without the old request): one dump per family.
	for _, family := range []uint8{unix.AF_INET, unix.AF_INET6} {
		if err := dump(unix.SOCK_DIAG_BY_FAMILY, sockDiagRequest(family, states), filter, each); err != nil {
			return err
		}
	}
	return nil
}

// tcpDiagRequest is struct inet_diag_req for TCPDIAG_GETSOCK: family,
// address lengths and extensions 0 (a dump's family is both), a zero sockid
// (a dump matches any), the states, no dbs.
func tcpDiagRequest(states uint32) []byte {
	req := make([]byte, sizeofReqV1)
	binary.NativeEndian.PutUint32(req[sizeofReqV1-8:], states)
	return req
}

// sockDiagRequest is struct inet_diag_req_v2 for SOCK_DIAG_BY_FAMILY:
// family, IPPROTO_TCP, no extensions, the states, a zero sockid.
func sockDiagRequest(family uint8, states uint32) []byte {
	req := make([]byte, sizeofReqV2)
	req[0], req[1] = family, unix.IPPROTO_TCP
	binary.NativeEndian.PutUint32(req[4:], states)
	return req
}

// dump sends one dump request of type kind, with req as its body and filter
// as its INET_DIAG_REQ_BYTECODE attribute, and passes each socket of the
// reply to each. The kernel's errors are returned as their unix.Errno.
func dump(kind uint16, req, filter []byte, each func(diagSocket)) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(fd)
	const seq = 1
	if err := unix.Sendto(fd, diagMessage(kind, seq, req, filter), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	buf := make([]byte, diagBufSize)
	interrupted := false
	for {
		n, err := unix.Read(fd, buf)
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		for b := buf[:n]; len(b) >= unix.NLMSG_HDRLEN; {
			length := int(binary.NativeEndian.Uint32(b))
			typ := binary.NativeEndian.Uint16(b[4:])
			flags := binary.NativeEndian.Uint16(b[6:])
			if length < unix.NLMSG_HDRLEN || length > len(b) {
				return fmt.Errorf("read: message of %d bytes in %d", length, len(b))
			}
			if binary.NativeEndian.Uint32(b[8:]) != seq {
				return errors.New("read: a reply to another request")
			}
			body := b[unix.NLMSG_HDRLEN:length]
			interrupted = interrupted || flags&unix.NLM_F_DUMP_INTR != 0
			switch typ {
			case unix.NLMSG_DONE:
				if interrupted {
					return errDumpInterrupted
				}
				return nil
			case unix.NLMSG_ERROR:
				if len(body) >= 4 {
					if errno := int32(binary.NativeEndian.Uint32(body)); errno < 0 {
						return fmt.Errorf("dump: %w", unix.Errno(-errno))
					}
				}
				return errors.New("dump: an error reply without an errno")
			case kind:
				if len(body) < sizeofDiagMsg {
					return fmt.Errorf("dump: a socket of %d bytes, want %d", len(body), sizeofDiagMsg)
				}
				each(diagSocket{
					state:   body[offState],
					sport:   binary.BigEndian.Uint16(body[offSport:]),
					dport:   binary.BigEndian.Uint16(body[offDport:]),
					expires: time.Duration(binary.NativeEndian.Uint32(body[offExpires:])) * time.Millisecond,
				})
			}
			b = b[min(nlmAlign(length), len(b)):]
		}
	}
}

// errDumpInterrupted: the socket tables changed while the kernel dumped
// them, so a socket may be missed or seen twice (NLM_F_DUMP_INTR).
var errDumpInterrupted = errors.New("dump interrupted")

// diagMessage is a netlink request of type kind asking for a dump: the
// header, req, and filter as its INET_DIAG_REQ_BYTECODE attribute when
// there is one.
func diagMessage(kind uint16, seq uint32, req, filter []byte) []byte {
	attrLen := 0
	if len(filter) > 0 {
		attrLen = nlmAlign(unix.SizeofNlAttr + len(filter))
	}
	total := unix.NLMSG_HDRLEN + len(req) + attrLen
	ne := binary.NativeEndian
	m := make([]byte, 0, total)
	m = ne.AppendUint32(m, uint32(total))
	m = ne.AppendUint16(m, kind)
	m = ne.AppendUint16(m, unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	m = ne.AppendUint32(m, seq)
	m = ne.AppendUint32(m, 0) // port id: the kernel assigns it
	m = append(m, req...)
	if len(filter) > 0 {
		m = ne.AppendUint16(m, uint16(unix.SizeofNlAttr+len(filter)))
		m = ne.AppendUint16(m, attrBytecode)
		m = append(m, filter...)
		m = append(m, make([]byte, total-len(m))...)
	}
	return m
}

// nlmAlign rounds n up to netlink's 4-byte alignment.
func nlmAlign(n int) int { return (n + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1) }
