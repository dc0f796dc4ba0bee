package results

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/perf/benchfmt"

	"github.com/poolbench/poolbench/atomicfile"
)

// Result is one result to write: one point of one repetition.
type Result struct {
	Name  Name
	Procs int // the client's GOMAXPROCS, the -G suffix
	// Iters is the benchfmt iteration count (an Echo point's successful
	// requests); values below 1 are written as 1, as benchfmt requires.
	Iters int
	// Config is the file configuration the result was measured under, in
	// the order its lines are written. Every value must be non-empty (use
	// None), and a key once written must stay in every later result of the
	// same Writer: benchfmt clears a dropped key with an empty line.
	Config []KV
	Values []Value
}

// Value is one measured value in its unit.
type Value struct {
	Unit  Unit
	Value float64
}

// ErrEmptyConfig is returned (wrapped) by Writer.Write for a result whose
// configuration would write an empty line.
var ErrEmptyConfig = errors.New("empty configuration line")

// ErrNoResults is returned (wrapped) by WriteFile when write wrote no
// result: no file is replaced by an emptier one.
var ErrNoResults = errors.New("no results to write")

// Writer writes results as benchfmt: a "Unit U better=B" line for each
// unit before its first use, a configuration block whenever the
// configuration changes, then the result lines.
type Writer struct {
	bw    *bufio.Writer
	out   *benchfmt.Writer
	units map[string]bool // declared so far
	keys  map[Key]bool    // configuration keys written so far
	n     int             // results written
}

// NewWriter returns a Writer to w; call Flush when done.
func NewWriter(w io.Writer) *Writer {
	bw := bufio.NewWriter(w)
	return &Writer{bw: bw, out: benchfmt.NewWriter(bw), units: map[string]bool{}, keys: map[Key]bool{}}
}

// Declare writes the Unit metadata lines of us not yet declared. Write
// declares a result's units itself; Declare puts them at the top of a file.
func (w *Writer) Declare(us ...Unit) error {
	for _, u := range us {
		if w.units[u.Name] {
			continue
		}
		w.units[u.Name] = true
		md := &benchfmt.UnitMetadata{OrigUnit: u.Name, Value: u.Better.String()}
		md.Unit, md.Key = u.Tidied(), "better"
		if err := w.out.Write(md); err != nil {
			return err
		}
	}
	return nil
}

// Write writes r.
func (w *Writer) Write(r Result) error {
	cfg := make([]benchfmt.Config, 0, len(r.Config))
	have := map[Key]bool{}
	for _, kv := range r.Config {
		if kv.Value == "" {
			return fmt.Errorf("Benchmark%s: config key %q: %w", r.Name, kv.Key, ErrEmptyConfig)
		}
		have[kv.Key] = true
		cfg = append(cfg, benchfmt.Config{Key: string(kv.Key), Value: []byte(kv.Value), File: true})
	}
	for k := range w.keys {
		if !have[k] {
			return fmt.Errorf("Benchmark%s: config key %q set by an earlier result is missing: %w", r.Name, k, ErrEmptyConfig)
		}
	}
	for k := range have {
		w.keys[k] = true
	}
	vals := make([]benchfmt.Value, len(r.Values))
	for i, v := range r.Values {
		if err := w.Declare(v.Unit); err != nil {
			return err
		}
		vals[i] = benchfmt.Value{Value: v.Value, Unit: v.Unit.Name}
	}
	w.n++
	return w.out.Write(&benchfmt.Result{
		Config: cfg,
		Name:   benchfmt.Name(fmt.Sprintf("%s-%d", r.Name, max(r.Procs, 1))),
		Iters:  max(r.Iters, 1),
		Values: vals,
	})
}

// Flush writes any buffered data to the underlying writer.
func (w *Writer) Flush() error { return w.bw.Flush() }

// WriteFile writes the results write produces to path atomically (package
// atomicfile): a failed or interrupted write leaves the previous file
// untouched, and a write that produced no result leaves it too.
func WriteFile(path string, write func(*Writer) error) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	if err := write(f.Writer); err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}

// File is a results file being written over time: a Writer to a
// temporary file that replaces path only on Commit (atomicfile.File), so
// that results can be written as they are measured, not held until the
// end.
type File struct {
	*Writer
	f *atomicfile.File
}

// Create starts a File that will replace path, creating path's directory.
// It fails, before anything is measured, when path's directory cannot be
// written.
func Create(path string) (*File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := atomicfile.Create(path)
	if err != nil {
		return nil, err
	}
	return &File{Writer: NewWriter(f), f: f}, nil
}

// Len is the number of results written so far.
func (w *Writer) Len() int { return w.n }

// Commit flushes the results and renames the file over its path. A file
// that holds no result is removed instead, with an error wrapping
// ErrNoResults: no file is replaced by an emptier one.
func (f *File) Commit() error { return f.commit(f.f.Commit) }

// CommitAs is Commit to path, in the same directory, instead (an
// interrupted sweep's part, next to the whole it must not replace).
func (f *File) CommitAs(path string) error {
	return f.commit(func() error { return f.f.CommitAs(path) })
}

func (f *File) commit(rename func() error) error {
	if f.n == 0 {
		f.f.Abort()
		return ErrNoResults
	}
	if err := f.Flush(); err != nil {
		f.f.Abort()
		return err
	}
	return rename()
}

// Abort removes the temporary file; path is left as it was.
func (f *File) Abort() { f.f.Abort() }
