package harness

import (
	"fmt"
	"slices"
)

// msgSizes lists the message sizes of each point in plan order: Sizes, or
// the one 0 that stands for Settings.Size (and no size key in the name).
func (s *Sweep) msgSizes() []int {
	if len(s.Sizes) == 0 {
		return []int{0}
	}
	return s.Sizes
}

// validateSizes reports the first invalid size of Sizes, or a field that a
// sizes sweep does not take.
func (s *Sweep) validateSizes() error {
	if len(s.Sizes) == 0 {
		return nil
	}
	for i, n := range s.Sizes {
		if n < 1 || n > MaxSize {
			return invalid("Sizes", "message size %d bytes out of range 1 to %d", n, MaxSize)
		}
		if slices.Contains(s.Sizes[:i], n) {
			return invalid("Sizes", "message size %d bytes is named twice", n)
		}
	}
	switch {
	case s.Restart.Idle || s.ColdBurst.asked():
		return invalid("Sizes", "restart while idle and the cold burst run at one message size (Size)")
	case s.Restart.At > 0:
		return invalid("Sizes", "a sizes sweep does not restart servers (its Restart results would have no size key)")
	}
	return nil
}

// sizeKey is "/size=B" for a point of a Sizes sweep, as in its name; ""
// otherwise.
func sizeKey(msg int) string {
	if msg == 0 {
		return ""
	}
	return fmt.Sprintf("/size=%d", msg)
}

// sizeLabel is " size=B" for a point of a Sizes sweep, "" otherwise.
func sizeLabel(msg int) string {
	if msg == 0 {
		return ""
	}
	return fmt.Sprintf(" size=%d", msg)
}
