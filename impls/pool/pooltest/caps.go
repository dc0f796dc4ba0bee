package pooltest

// Capabilities declares what a pool can express. A property whose capability
// is false is reported as n/a for that pool, never as a pass. Fields describe
// behaviour the pool has an API or a mechanism for; whether it actually
// behaves correctly is what the suite checks.
type Capabilities struct {
	MaxIdle     bool // honours Config.MaxIdle (property 4)
	IdleTimeout bool // honours Config.IdleTimeout on Get (property 11)
	Reaper      bool // closes expired idle conns without traffic (property 12)
	MaxLifetime bool // honours Config.MaxLifetime (property 13)
	AliveCheck  bool // skips idle conns whose peer closed them (property 14)
	FIFO        bool // declares first-in first-out waiters, no barging (property 9)
	// FailFast: Get fails at once instead of waiting when exhausted
	// (property 3); every property about a waiting Get is then n/a.
	FailFast bool
	// DialCtx: a Get cancelled during its dial stops waiting on it (the
	// prompt half of property 16; its late-conn half always applies).
	DialCtx   bool
	DoublePut Misuse // how Put and Discard react to a second return (property 22)
	StalePut  Misuse // how they react to an old hand-out of a re-acquired conn (property 23)
	Stats     bool   // Stats() reports real values (property 29)
}

// Misuse says how a pool reacts to a caller bug such as a double Put.
type Misuse int

const (
	// Undetected means the pool has no way to notice; the property is n/a.
	Undetected Misuse = iota
	// ReturnsError means Put (or Discard) returns an error.
	ReturnsError
	// Panics means Put (or Discard) panics with a message.
	Panics
)

// Full is what poolbench's own designs declare: every property applies.
var Full = Capabilities{
	MaxIdle: true, IdleTimeout: true, Reaper: true, MaxLifetime: true,
	AliveCheck: true, FIFO: true, DialCtx: true,
	DoublePut: ReturnsError, StalePut: ReturnsError, Stats: true,
}
