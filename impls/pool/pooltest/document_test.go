package pooltest_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/poolbench/poolbench/impls/pool/pooltest"
)

// propertyRow matches a row of CONFORMANCE.md's table of properties:
// "| 14 | DeadPeer | ...".
var propertyRow = regexp.MustCompile(`^\| (\d+) \| ([A-Z][A-Za-z]+) \|`)

// TestConformanceDocument: CONFORMANCE.md, at the repository root, lists
// exactly the suite's properties, with their numbers, in the suite's order.
func TestConformanceDocument(t *testing.T) {
	path := filepath.Join("..", "..", "..", "CONFORMANCE.md")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("the contract document: %v", err)
	}
	defer f.Close()
	var doc []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := propertyRow.FindStringSubmatch(sc.Text()); m != nil {
			doc = append(doc, m[1]+" "+m[2])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	var suite []string
	for _, p := range pooltest.Properties() {
		suite = append(suite, fmt.Sprintf("%d %s", p.Number, p.Name))
	}
	inDoc, inSuite := make(map[string]bool), make(map[string]bool)
	for _, p := range doc {
		inDoc[p] = true
	}
	for _, p := range suite {
		inSuite[p] = true
		if !inDoc[p] {
			t.Errorf("property %s is in the suite but not in %s", p, path)
		}
	}
	for _, p := range doc {
		if !inSuite[p] {
			t.Errorf("property %s is in %s but not in the suite", p, path)
		}
	}
	if !t.Failed() && fmt.Sprint(doc) != fmt.Sprint(suite) {
		t.Errorf("%s lists the properties in another order than the suite:\n doc   %v\n suite %v", path, doc, suite)
	}
}
