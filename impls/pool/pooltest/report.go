package pooltest

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Status is the outcome of one property for one pool.
type Status int

// The outcomes. The zero Status is "unknown": what Report.Status returns
// for a property the report does not hold.
const (
	Pass Status = iota + 1 // the property was checked and holds
	Fail                   // the property was checked and does not hold
	NA                     // the pool cannot be configured for it (see pool.Capabilities); not a pass
	// Partial: what ran of the check held, but part of it could not run
	// (the message says which); never counted as a pass.
	Partial
)

var statusNames = map[Status]string{Pass: "pass", Fail: "fail", NA: "n/a", Partial: "partial"}

// String returns "pass", "fail", "n/a", "partial", or "unknown".
func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return "unknown"
}

// MarshalText encodes s as its String, so JSON reports read "pass", "fail", "n/a".
func (s Status) MarshalText() ([]byte, error) {
	if _, ok := statusNames[s]; !ok {
		return nil, fmt.Errorf("pooltest: cannot encode status %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText decodes what MarshalText wrote.
func (s *Status) UnmarshalText(b []byte) error {
	for v, n := range statusNames {
		if n == string(b) {
			*s = v
			return nil
		}
	}
	return fmt.Errorf("pooltest: unknown status %q (want pass, fail, n/a or partial)", b)
}

// Result is the outcome of one property. It encodes to JSON as
// {"property":"IdleExpiry","number":11,"status":"fail","message":"..."}.
type Result struct {
	Property string `json:"property"` // Property.Name
	Number   int    `json:"number"`   // Property.Number, the CONFORMANCE.md number
	Status   Status `json:"status"`
	// Message is the failure text for Fail, the reason for NA, what did
	// not run for Partial, and empty for Pass.
	Message string `json:"message,omitempty"`
}

// Report is the outcome of every property for one pool, in Properties order.
type Report []Result

// Status returns the status of the named property, or 0 ("unknown") when the
// report does not hold it.
func (r Report) Status(name string) Status {
	for _, res := range r {
		if res.Property == name {
			return res.Status
		}
	}
	return 0
}

// Result returns the named property's result and whether the report holds it.
func (r Report) Result(name string) (Result, bool) {
	for _, res := range r {
		if res.Property == name {
			return res, true
		}
	}
	return Result{}, false
}

// Names returns the names of the properties whose status is s, in order.
func (r Report) Names(s Status) []string {
	var names []string
	for _, res := range r {
		if res.Status == s {
			names = append(names, res.Property)
		}
	}
	return names
}

// Diff compares r with an expected table and returns one line per property
// whose status differs. A property missing from want is expected to pass, so
// a third-party pool's table lists only its known failures and n/a
// properties; a property in want that r does not hold is a difference too.
func (r Report) Diff(want map[string]Status) []string {
	var diffs []string
	seen := make(map[string]bool, len(r))
	for _, res := range r {
		seen[res.Property] = true
		exp, ok := want[res.Property]
		if !ok {
			exp = Pass
		}
		if res.Status != exp {
			line := fmt.Sprintf("%s: got %v, want %v", res.Property, res.Status, exp)
			if res.Message != "" {
				line += ": " + firstLine(res.Message)
			}
			diffs = append(diffs, line)
		}
	}
	for name, exp := range want {
		if !seen[name] {
			diffs = append(diffs, fmt.Sprintf("%s: not in the report, want %v", name, exp))
		}
	}
	return diffs
}

// JSON returns r as indented JSON: an array of Result.
func (r Report) JSON() ([]byte, error) { return json.MarshalIndent(r, "", "  ") }

// String renders r as a table, one property a line, with the first line of
// each failure's message.
func (r Report) String() string {
	var b strings.Builder
	for _, res := range r {
		fmt.Fprintf(&b, "%2d %-26s %-4v", res.Number, res.Property, res.Status)
		if res.Message != "" {
			fmt.Fprintf(&b, " %s", firstLine(res.Message))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}
