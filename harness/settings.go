package harness

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Settings are a sweep's levels, durations and counts: what a preset
// fixes and a flag may override. This file is the one place their default
// values live; poolbench sweep and the Makefile name a preset.
type Settings struct {
	// Workers are the concurrency levels: goroutines sharing one pool,
	// each with one request in flight. Levels above MaxConnsThreaded are
	// skipped for servers that are not event loops.
	Workers []int
	// MaxConns are the pool sizes; Auto means MaxConns = Workers, the pool
	// never makes a worker wait. Each size is swept against every level of
	// Workers it does not exceed (a pool larger than its workers opens no
	// more conns than there are workers).
	MaxConns []int
	// Duration is each point's measurement window.
	Duration time.Duration
	// Warmup runs before the window of every point, unmeasured: the pool
	// dials, the server's and client's heaps grow.
	Warmup time.Duration
	// Count is the number of repetitions of every point, interleaved.
	Count int
	// Size is the message (echo payload, HTTP body) in bytes.
	Size int
	// OpTimeout is the deadline of one request's write and read, and of a dial.
	OpTimeout time.Duration
}

// Auto, as a MaxConns level, sizes the pool to the point's workers.
const Auto = 0

// Presets by name (poolbench sweep -preset NAME).
//
// quick is make bench's: six interleaved repetitions, the fewest for
// which benchstat gives a 95% interval, of short points; the pool sizes 4,
// 16 and 64 against up to 1024 workers (W/M from 1 to 256) and the
// unwaited pool (Auto) at every level.
//
// full is for numbers to publish: longer points, more repetitions, more levels.
var Presets = map[string]Settings{
	"quick": {
		Workers:   []int{4, 16, 64, 256, 1024},
		MaxConns:  []int{Auto, 4, 16, 64},
		Duration:  100 * time.Millisecond,
		Warmup:    50 * time.Millisecond,
		Count:     6,
		Size:      DefaultSize,
		OpTimeout: DefaultOpTimeout,
	},
	"full": {
		Workers:   []int{1, 4, 16, 64, 256, 1024},
		MaxConns:  []int{Auto, 4, 16, 64},
		Duration:  1 * time.Second,
		Warmup:    200 * time.Millisecond,
		Count:     10,
		Size:      DefaultSize,
		OpTimeout: DefaultOpTimeout,
	},
}

// DefaultPreset is the preset of a sweep that names none.
const DefaultPreset = "quick"

// Preset returns the settings of the preset called name.
func Preset(name string) (Settings, error) {
	s, ok := Presets[name]
	if !ok {
		return Settings{}, fmt.Errorf("unknown preset %q (have %s)", name, strings.Join(PresetNames(), ", "))
	}
	s.Workers, s.MaxConns = slices.Clone(s.Workers), slices.Clone(s.MaxConns)
	return s, nil
}

// PresetNames returns the presets' names, sorted.
func PresetNames() []string {
	var names []string
	for n := range Presets {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// validate reports the first invalid setting.
func (s Settings) validate() error {
	switch {
	case len(s.Workers) == 0:
		return invalid("Workers", "no worker levels")
	case len(s.MaxConns) == 0:
		return invalid("MaxConns", "no pool sizes")
	case s.Duration <= 0:
		return invalid("Duration", "duration is %v, want > 0", s.Duration)
	case s.Warmup < 0:
		return invalid("Warmup", "warm-up is %v, want >= 0", s.Warmup)
	case s.Count < 1:
		return invalid("Count", "count is %d, want >= 1", s.Count)
	case s.Size < 1 || s.Size > MaxSize:
		return invalid("Size", "message size is %d bytes, want 1 to %d", s.Size, MaxSize)
	case s.OpTimeout <= 0:
		return invalid("OpTimeout", "op timeout is %v, want > 0", s.OpTimeout)
	}
	for _, w := range s.Workers {
		if w < 1 || w > MaxWorkers {
			return invalid("Workers", "worker level %d out of range 1 to %d", w, MaxWorkers)
		}
	}
	for _, m := range s.MaxConns {
		if m < Auto || m > MaxWorkers {
			return invalid("MaxConns", "pool size %d out of range 1 to %d (or auto)", m, MaxWorkers)
		}
	}
	return nil
}

// FieldError is an invalid field of a Sweep, named as in its struct
// ("Count", "Restart.At"), so that a command can name its own flag.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

func invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}

// Defaults of the scenario engines' fields left zero (IdleRestart,
// ColdBurst); the quick preset uses the same.
const (
	DefaultSize      = 64
	DefaultOpTimeout = 5 * time.Second
)
