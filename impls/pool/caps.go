package pool

// Capabilities declares what a pool can be configured for and which policies
// it follows, so that the conformance suite (pool/pooltest) knows which
// properties apply and the report can show each pool's declared policy. It
// lives in the contract, not in the suite, so that a production package can
// declare its capabilities without linking the testing package.
//
// A false configuration field (MaxIdle, IdleTimeout, Reaper, MaxLifetime)
// means the pool cannot be configured for that Config field, and its
// constructor must reject a Config that sets it with an error wrapping
// ErrUnsupported; the property is then n/a. Behaviour every pool has or lacks
// (a dead-peer check, refusing a double Put, Close) is not declared: it is
// checked for every pool.
type Capabilities struct {
	MaxIdle     bool // honours Config.MaxIdle (property 4)
	IdleTimeout bool // honours Config.IdleTimeout on Get (property 11)
	Reaper      bool // closes expired idle conns without traffic (property 12)
	MaxLifetime bool // honours Config.MaxLifetime (property 13)

	// FIFO is a policy: waiters are served first-in first-out and a newcomer
	// does not barge (property 9, checked only where declared).
	FIFO bool
	// FailFast is a policy: Get fails at once instead of waiting when
	// exhausted (property 3); every property about a waiting Get is then n/a.
	FailFast bool
	// DialCtx: a Get cancelled during its dial stops waiting on it (the
	// prompt half of property 16; without it that half is not run and the
	// property is partial).
	DialCtx bool
	// DoublePut and StalePut declare how Put and Discard refuse a second
	// return or an old hand-out (properties 22, 23). Undetected is a
	// declaration too: the suite still checks that no conn ends up shared.
	DoublePut Misuse
	StalePut  Misuse
	Stats     bool // Stats() reports real values (property 29)
	// NeverReuses: Put closes the conn and every Get dials (the dial
	// baseline). The properties whose subject is an idle or reused conn, or
	// that can only observe through one, are then n/a; the others expect a
	// fresh conn where a pool would hand back the returned one.
	NeverReuses bool
	// CallerCheck names a check the caller supplies through a hook the
	// library provides for it (such as a Ping func), on which the dead-peer
	// verdict depends; "" when the pool checks by itself.
	CallerCheck string
}

// Misuse says how a pool reacts to a caller bug such as a double Put.
type Misuse int

const (
	// Undetected means the pool does not notice: the suite checks only that
	// the misuse does no harm (no conn held twice).
	Undetected Misuse = iota
	// ReturnsError means Put (or Discard) returns an error.
	ReturnsError
	// Panics means Put (or Discard) panics with a message.
	Panics
)

// String names the reaction as the report shows it.
func (m Misuse) String() string {
	switch m {
	case ReturnsError:
		return "error"
	case Panics:
		return "panic"
	}
	return "undetected"
}

// Full is what poolbench's own designs declare: every Config field is
// honoured, waiters are FIFO, and misuse returns an error.
var Full = Capabilities{
	MaxIdle: true, IdleTimeout: true, Reaper: true, MaxLifetime: true,
	FIFO: true, DialCtx: true,
	DoublePut: ReturnsError, StalePut: ReturnsError, Stats: true,
}

// Check returns an error wrapping ErrUnsupported and ErrInvalidConfig for
// the first field of cfg that caps says the pool cannot honour, or nil.
// Constructors of pools that lack a capability call it after Validate.
func (caps Capabilities) Check(cfg Config) error {
	switch {
	case !caps.IdleTimeout && cfg.IdleTimeout > 0:
		return unsupported("IdleTimeout", cfg.IdleTimeout)
	case !caps.MaxLifetime && cfg.MaxLifetime > 0:
		return unsupported("MaxLifetime", cfg.MaxLifetime)
	case !caps.MaxIdle && cfg.MaxIdle > 0 && cfg.MaxIdle < cfg.MaxConns:
		return unsupported("MaxIdle", cfg.MaxIdle)
	}
	return nil
}
