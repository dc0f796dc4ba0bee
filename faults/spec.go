package faults

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind names one fault a Proxy injects.
type Kind string

// The faults a Spec can name. Each is one toxiproxy toxic on the stream from
// the upstream server back to the client, except None, which forwards bytes
// untouched (a baseline for what the proxy hop itself costs).
const (
	// None forwards every byte unchanged.
	None Kind = "none"
	// Latency holds every chunk from upstream for Spec.Duration before
	// passing it on, so every request/response round trip takes at least that
	// much longer. Requires a duration.
	Latency Kind = "latency"
	// ResetPeer waits Spec.Duration (default 0) after the first chunk from
	// upstream, drops it and closes both sides with SO_LINGER 0: the client
	// sees ECONNRESET instead of its reply.
	ResetPeer Kind = "reset_peer"
	// Timeout swallows every byte from upstream, so the client waits and no
	// reply ever comes; with a duration the proxy closes the conn after it.
	Timeout Kind = "timeout"
	// SlowClose passes data through but delays the close from upstream by
	// Spec.Duration (default DefaultSlowClose): the client sees EOF late.
	SlowClose Kind = "slow_close"
)

// DefaultSlowClose is the delay of slow_close when the spec gives none.
const DefaultSlowClose = 100 * time.Millisecond

// kinds lists every Kind and whether it needs a duration, in the order the
// error message names them.
var kinds = []struct {
	kind         Kind
	needDuration bool
}{
	{None, false}, {Latency, true}, {ResetPeer, false}, {Timeout, false}, {SlowClose, false},
}

// ErrBadSpec is wrapped by every ParseSpec error.
var ErrBadSpec = errors.New("faults: bad spec")

// Spec is a parsed fault: a Kind and its duration parameter.
type Spec struct {
	Kind     Kind
	Duration time.Duration // latency, reset delay, timeout, close delay; 0 when unset
}

// String formats s the way ParseSpec reads it.
func (s Spec) String() string {
	// slow_close without a duration means DefaultSlowClose, not 0, so its
	// duration is always written out.
	if s.Duration == 0 && s.Kind != Latency && s.Kind != SlowClose {
		return string(s.Kind)
	}
	return fmt.Sprintf("%s=%v", s.Kind, s.Duration)
}

// ParseSpec parses NAME or NAME=DURATION, for example "latency=10ms",
// "reset_peer", "timeout=2s", "slow_close", "none". Durations are whole
// milliseconds because toxiproxy counts in milliseconds; a finer one would be
// silently rounded, so it is an error instead.
func ParseSpec(text string) (Spec, error) {
	name, arg, hasArg := strings.Cut(strings.TrimSpace(text), "=")
	for _, k := range kinds {
		if Kind(name) != k.kind {
			continue
		}
		s := Spec{Kind: k.kind}
		switch {
		case k.kind == None && hasArg:
			return Spec{}, fmt.Errorf("%w %q: none takes no duration", ErrBadSpec, text)
		case !hasArg && k.needDuration:
			return Spec{}, fmt.Errorf("%w %q: %s needs a duration, like %s=10ms", ErrBadSpec, text, name, name)
		case !hasArg:
			if k.kind == SlowClose {
				s.Duration = DefaultSlowClose
			}
			return s, nil
		}
		d, err := time.ParseDuration(arg)
		switch {
		case err != nil:
			return Spec{}, fmt.Errorf("%w %q: %v", ErrBadSpec, text, err)
		case d < 0:
			return Spec{}, fmt.Errorf("%w %q: negative duration", ErrBadSpec, text)
		case d%time.Millisecond != 0:
			return Spec{}, fmt.Errorf("%w %q: duration must be whole milliseconds", ErrBadSpec, text)
		case k.kind == Latency && d == 0:
			return Spec{}, fmt.Errorf("%w %q: latency must be > 0 (use none for no fault)", ErrBadSpec, text)
		}
		s.Duration = d
		return s, nil
	}
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k.kind)
	}
	return Spec{}, fmt.Errorf("%w %q: unknown fault (have %s)", ErrBadSpec, text, strings.Join(names, ", "))
}
