package gate

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// TestFormatGolden pins the table layout: verdict words, the "vs old"
// column, notes and the summary lines.
func TestFormatGolden(t *testing.T) {
	old := bench("Pool/impl=a", "ns/op", base...) +
		bench("Pool/impl=b", "ns/op", base...) +
		bench("Pool/impl=gone", "ns/op", base...) +
		bench("Echo", "req/s", scaled(1000, base)...) +
		bench("Small", "ns/op", base[:3]...)
	new := bench("Pool/impl=a", "ns/op", shuffled...) +
		bench("Pool/impl=b", "ns/op", scaled(1.25, base)...) +
		bench("Pool/impl=new", "ns/op", base...) +
		bench("Echo", "req/s", scaled(1300, base)...) +
		bench("Small", "ns/op", base[:3]...)
	o := compare(t, old, new, DefaultOptions)
	var b strings.Builder
	if err := Format(&b, o); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "format.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("Format output differs from %s (run go test -update):\n%s", golden, b.String())
	}
}
