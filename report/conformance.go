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
	Name    string   `json:"name"`
	Peer    bool     `json:"peer"` // a third-party pool
	Results []Result `json:"results"`
}

// Result is one property's outcome for one pool, as pooltest.Result encodes it.
type Result struct {
	Property string `json:"property"`
	Number   int    `json:"number"`
	Status   string `json:"status"` // "pass", "fail", "n/a" or "partial"
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
// per pool; failures are listed under it with their first line.
func writeConformance(b *strings.Builder, c *Conformance, registered []string) {
	b.WriteString("## Conformance\n\n")
	if c == nil || len(c.Pools) == 0 {
		b.WriteString("No conformance results yet (results/conformance.json is missing); `make report` generates them.\n\n")
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
	b.WriteString("Every registered pool against every property of [CONFORMANCE.md](impls/pool/pooltest/doc.go) " +
		"(pooltest.Check). *n/a*: the pool has no API for the property; never counted as a pass. " +
		"Third-party pools are marked †.\n\n")
	t := table{head: []string{"#", "property"}, left: true}
	for _, p := range c.Pools {
		name := p.Name
		if p.Peer {
			name += " †"
		}
		t.head = append(t.head, name)
	}
	type failure struct{ pool, prop, msg string }
	var fails []failure
	for _, prop := range c.Properties {
		row := []string{fmt.Sprint(prop.Number), prop.Name}
		for _, p := range c.Pools {
			r, ok := resultOf(p, prop.Name)
			switch {
			case !ok:
				row = append(row, "-")
			case r.Status == "fail":
				fails = append(fails, failure{p.Name, prop.Name, r.Message})
				row = append(row, fmt.Sprintf("**FAIL** [%d]", len(fails)))
			default:
				row = append(row, r.Status)
			}
		}
		t.add(row...)
	}
	t.write(b)
	pass, na := countStatus(c)
	fmt.Fprintf(b, "%d pools × %d properties: %d pass, %d fail, %d n/a; - means the property was not run for that pool.\n\n",
		len(c.Pools), len(c.Properties), pass, len(fails), na)
	for i, f := range fails {
		fmt.Fprintf(b, "%d. %s, %s: %s\n", i+1, f.pool, f.prop, firstLine(f.msg))
	}
	if len(fails) > 0 {
		b.WriteString("\n")
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

func countStatus(c *Conformance) (pass, na int) {
	for _, p := range c.Pools {
		for _, r := range p.Results {
			switch r.Status {
			case "pass":
				pass++
			case "n/a":
				na++
			}
		}
	}
	return pass, na
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}
