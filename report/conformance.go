package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/poolbench/poolbench/atomicfile"
)

// Conformance is results/conformance.json: every registered pool checked
// against every pooltest property. impls' TestConformanceMatrix writes it
// (go test -tags conformance ./impls -run TestConformanceMatrix).
type Conformance struct {
	Properties []Property   `json:"properties"` // in CONFORMANCE.md order
	Pools      []PoolReport `json:"pools"`      // in registry order
}

// Property is one pooltest property.
type Property struct {
	Name    string `json:"name"`
	Number  int    `json:"number"`
	Summary string `json:"summary"`
}

// PoolReport is one pool's row of the matrix.
type PoolReport struct {
	Name string `json:"name"`
	Peer bool   `json:"peer"` // a third-party pool, adapted with nothing added
	// Library is the library a peer is, or one of ours builds on ("" for none).
	Library string `json:"library,omitempty"`
	// Advice is a peer's one line of what its verdicts mean for a caller.
	Advice string `json:"advice,omitempty"`
	// Policy is what the pool declares (pool.Capabilities): waiter order,
	// reactions to misuse, and any check the caller supplies.
	Policy  Policy   `json:"policy"`
	Results []Result `json:"results"`
}

// Policy is a pool's declared policy, as the matrix shows it.
type Policy struct {
	Waiters   string `json:"waiters"`    // "FIFO", "unordered" or "fail fast"
	DoublePut string `json:"double_put"` // "error", "panic" or "undetected"
	StalePut  string `json:"stale_put"`
	// CallerCheck names the hook the caller fills for the dead-peer check,
	// on which DeadPeer's verdict depends; "" when the pool checks by itself.
	CallerCheck string `json:"caller_check,omitempty"`
}

// Result is one property's outcome for one pool, as pooltest.Result encodes it.
type Result struct {
	Property string `json:"property"`
	Number   int    `json:"number"`
	Status   string `json:"status"` // "pass", "fail", "partial" or "n/a"
	Message  string `json:"message,omitempty"`
}

// WriteConformance writes c to path as indented JSON, atomically.
func WriteConformance(path string, c *Conformance) error {
	if err := c.validate(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// ReadConformance reads path; a missing file returns nil and no error.
func ReadConformance(path string) (*Conformance, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var c Conformance
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}

// validate rejects a status other than pass, fail and n/a, and a pool
// result for a property the file does not list.
func (c *Conformance) validate() error {
	known := map[string]bool{}
	for _, p := range c.Properties {
		known[p.Name] = true
	}
	for _, pr := range c.Pools {
		for _, r := range pr.Results {
			switch r.Status {
			case "pass", "fail", "n/a", "partial":
			default:
				return fmt.Errorf("pool %s, property %s: unknown status %q", pr.Name, r.Property, r.Status)
			}
			if !known[r.Property] {
				return fmt.Errorf("pool %s: result for unlisted property %q", pr.Name, r.Property)
			}
		}
	}
	return nil
}

// writeConformance renders the matrix: one row per property, one column
// per pool; failures and partial runs are listed under it with their first
// line, then each pool's declared policy and, for third-party pools, what
// the verdicts mean for a caller.
func writeConformance(b *strings.Builder, c *Conformance, registered []string) {
	if !section(b, "Conformance", c != nil && len(c.Pools) > 0,
		"No conformance results yet (results/conformance.json is missing); `make report` generates them.") {
		return
	}
	if missing, gone := staleness(c, registered); len(missing)+len(gone) > 0 {
		b.WriteString("**The matrix is stale**: ")
		if len(missing) > 0 {
			fmt.Fprintf(b, "registered pools without results: %s. ", strings.Join(missing, ", "))
		}
		if len(gone) > 0 {
			fmt.Fprintf(b, "results for pools no longer registered: %s. ", strings.Join(gone, ", "))
		}
		b.WriteString("Regenerate with `make report`.\n\n")
	}
	b.WriteString("Every registered pool against every property of [CONFORMANCE.md](CONFORMANCE.md) " +
		"(pooltest.Check). *pass*: the whole check ran and held; **FAIL**: it ran and did not hold; " +
		"*partial*: part of it could not run (never counted as a pass); *n/a*: the pool cannot be configured " +
		"for it and its constructor refuses such a Config. *pass (caller check)*: the pass depends on a check " +
		"the caller supplies through the library's hook. Third-party pools are marked †.\n\n")
	t := table{head: []string{"#", "property"}, left: true}
	for _, p := range c.Pools {
		name := p.Name
		if p.Peer {
			name += " †"
		}
		t.head = append(t.head, name)
	}
	type note struct{ pool, prop, status, msg string }
	var notes []note
	for _, prop := range c.Properties {
		row := []string{fmt.Sprint(prop.Number), prop.Name}
		for _, p := range c.Pools {
			r, ok := resultOf(p, prop.Name)
			switch {
			case !ok:
				row = append(row, "-")
			case r.Status == "fail":
				notes = append(notes, note{p.Name, prop.Name, "fail", r.Message})
				row = append(row, fmt.Sprintf("**FAIL** [%d]", len(notes)))
			case r.Status == "partial":
				notes = append(notes, note{p.Name, prop.Name, "partial", r.Message})
				row = append(row, fmt.Sprintf("partial [%d]", len(notes)))
			case r.Status == "pass" && prop.Name == "DeadPeer" && p.Policy.CallerCheck != "":
				row = append(row, "pass (caller check)")
			default:
				row = append(row, r.Status)
			}
		}
		t.add(row...)
	}
	t.write(b)
	counts := countStatus(c)
	fmt.Fprintf(b, "%d pools × %d properties: %d pass, %d fail, %d partial, %d n/a; - means the property was not run for that pool.\n\n",
		len(c.Pools), len(c.Properties), counts["pass"], counts["fail"], counts["partial"], counts["n/a"])
	for i, n := range notes {
		what := "fails"
		if n.status == "partial" {
			what = "partial"
		}
		fmt.Fprintf(b, "%d. %s, %s %s: %s\n", i+1, n.pool, n.prop, what, firstLine(n.msg))
	}
	if len(notes) > 0 {
		b.WriteString("\n")
	}
	writePolicies(b, c)
}

// writePolicies renders each pool's declared policy and, for third-party
// pools, its line of advice.
func writePolicies(b *strings.Builder, c *Conformance) {
	b.WriteString("### Declared policies\n\n")
	t := table{head: []string{"pool", "what it is", "waiters", "double Put", "stale Put", "dead-peer check by"}, left: true}
	for _, p := range c.Pools {
		kind := "ours"
		switch {
		case p.Peer:
			kind = "third-party: " + p.Library
		case p.Library != "":
			kind = "ours, built on " + p.Library
		}
		check := "the pool (see DeadPeer)"
		if p.Policy.CallerCheck != "" {
			check = "the caller: " + p.Policy.CallerCheck
		}
		t.add(p.Name, kind, p.Policy.Waiters, p.Policy.DoublePut, p.Policy.StalePut, check)
	}
	t.write(b)
	var advice []string
	for _, p := range c.Pools {
		if p.Peer && p.Advice != "" {
			advice = append(advice, fmt.Sprintf("- **%s** (%s): %s.", p.Name, p.Library, p.Advice))
		}
	}
	if len(advice) > 0 {
		b.WriteString("### What this means for you\n\n")
		b.WriteString(strings.Join(advice, "\n"))
		b.WriteString("\n\n")
	}
}

// staleness compares the matrix's pools with the registry's.
func staleness(c *Conformance, registered []string) (missing, gone []string) {
	if registered == nil {
		return nil, nil
	}
	in := map[string]bool{}
	for _, p := range c.Pools {
		in[p.Name] = true
	}
	reg := map[string]bool{}
	for _, name := range registered {
		reg[name] = true
		if !in[name] {
			missing = append(missing, name)
		}
	}
	for _, p := range c.Pools {
		if !reg[p.Name] {
			gone = append(gone, p.Name)
		}
	}
	return missing, gone
}

func resultOf(p PoolReport, property string) (Result, bool) {
	for _, r := range p.Results {
		if r.Property == property {
			return r, true
		}
	}
	return Result{}, false
}

// countStatus counts the results of every pool by status.
func countStatus(c *Conformance) map[string]int {
	counts := make(map[string]int)
	for _, p := range c.Pools {
		for _, r := range p.Results {
			counts[r.Status]++
		}
	}
	return counts
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}
