package faults

import (
	"errors"
	"testing"
	"time"
)

func TestParseSpec(t *testing.T) {
	good := []struct {
		in   string
		want Spec
	}{
		{"none", Spec{Kind: None}},
		{"latency=1ms", Spec{Latency, time.Millisecond}},
		{"latency=10ms", Spec{Latency, 10 * time.Millisecond}},
		{"latency=1.5s", Spec{Latency, 1500 * time.Millisecond}},
		{"reset_peer", Spec{Kind: ResetPeer}},
		{"reset_peer=5ms", Spec{ResetPeer, 5 * time.Millisecond}},
		{"timeout", Spec{Kind: Timeout}},
		{"timeout=2s", Spec{Timeout, 2 * time.Second}},
		{"slow_close", Spec{SlowClose, DefaultSlowClose}},
		{"slow_close=0s", Spec{Kind: SlowClose}},
		{" latency=2ms ", Spec{Latency, 2 * time.Millisecond}},
	}
	for _, tc := range good {
		got, err := ParseSpec(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseSpec(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if again, err := ParseSpec(got.String()); err != nil || again != got {
			t.Errorf("ParseSpec(%q.String() = %q) = %+v, %v; want it back", tc.in, got.String(), again, err)
		}
	}
	for _, in := range []string{
		"", "bogus", "latency", "latency=", "latency=0s", "latency=-1ms", "latency=500us",
		"latency=ten", "none=1ms", "reset_peer=1", "LATENCY=1ms", "latency=1ms=2ms",
	} {
		if got, err := ParseSpec(in); !errors.Is(err, ErrBadSpec) {
			t.Errorf("ParseSpec(%q) = %+v, %v; want an error wrapping ErrBadSpec", in, got, err)
		}
	}
}
