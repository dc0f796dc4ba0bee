// Package peers_test holds the adapter policy's test. The third-party pools
// live one folder each below impls/peers; an adapter maps its library's API
// onto pool.Pool and adds no behaviour of its own (CONFORMANCE.md).
package peers_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// bookkeeping is what our own designs use to add behaviour to a pool: an
// adapter that imports any of it is doing the pool's work for the library.
var bookkeeping = map[string]string{
	"sync":        "locks of its own",
	"sync/atomic": "shared state of its own",
	"github.com/poolbench/poolbench/internal/lease":    "hand-out bookkeeping (misuse detection)",
	"github.com/poolbench/poolbench/internal/dialer":   "dial management",
	"github.com/poolbench/poolbench/internal/reaper":   "a reaper",
	"github.com/poolbench/poolbench/internal/counters": "counters of its own",
}

// timers are calls that schedule work: an adapter has no timing of its own.
var timers = map[string]bool{"NewTimer": true, "NewTicker": true, "AfterFunc": true, "Sleep": true, "Tick": true, "After": true}

// TestPeersAddNoBehaviour: no peer adapter imports our designs' bookkeeping,
// starts a goroutine or schedules a timer. (internal/expiry's socket peek is
// allowed: adapters feed it to a hook the library provides, and the matrix
// marks those verdicts as depending on a caller-supplied check.)
func TestPeersAddNoBehaviour(t *testing.T) {
	dirs, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		fset := token.NewFileSet()
		files, err := filepath.Glob(filepath.Join(d.Name(), "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			checked++
			checkAdapterFile(t, fset, f)
		}
	}
	if checked == 0 {
		t.Fatal("no peer adapter found below impls/peers")
	}
}

// checkAdapterFile reports every import of bookkeeping, go statement and
// timer call in f.
func checkAdapterFile(t *testing.T, fset *token.FileSet, f *ast.File) {
	t.Helper()
	timeName := ""
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if why, ok := bookkeeping[path]; ok {
			t.Errorf("%s imports %s: an adapter with %s adds behaviour to the library", fset.Position(imp.Pos()), path, why)
		}
		if path == "time" {
			timeName = "time"
			if imp.Name != nil {
				timeName = imp.Name.Name
			}
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			t.Errorf("%s starts a goroutine: an adapter runs nothing of its own", fset.Position(n.Pos()))
		case *ast.SelectorExpr:
			if id, ok := n.X.(*ast.Ident); ok && timeName != "" && id.Name == timeName && timers[n.Sel.Name] {
				t.Errorf("%s calls time.%s: an adapter schedules nothing of its own", fset.Position(n.Pos()), n.Sel.Name)
			}
		}
		return true
	})
}
