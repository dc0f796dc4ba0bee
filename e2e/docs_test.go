package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestReportGolden fails when the committed REPORT.md is not what
// "poolbench report" makes of the committed results/. The report writes its
// plots into the results directory, so it runs on a copy: the committed
// plots are compared too, and never touched.
func TestReportGolden(t *testing.T) {
	root := filepath.Join("..")
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "results"), os.DirFS(filepath.Join(root, "results"))); err != nil {
		t.Fatal(err)
	}
	const regen = "poolbench report -results results -out REPORT.md (from the repository root; make report also reruns the conformance matrix first)"
	r := runPoolbench(t, dir, "report", "-results", "results", "-out", "REPORT.md")
	if r.code != 0 {
		t.Fatalf("poolbench report: exit %d\n%s", r.code, r.stderr)
	}
	compareFile(t, filepath.Join(root, "REPORT.md"), filepath.Join(dir, "REPORT.md"), regen)
	plots, err := filepath.Glob(filepath.Join(dir, "results", "plots", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plots {
		compareFile(t, filepath.Join(root, "results", "plots", filepath.Base(p)), p, regen)
	}
	// The per-pool files benchstat results/*.txt reads: what split makes of
	// the committed raw/, every one committed (the copy is split afresh, so
	// a committed file the raw results no longer give is not compared).
	const resplit = "poolbench split -results results (from the repository root)"
	if r := runPoolbench(t, dir, "split", "-results", "results"); r.code != 0 {
		t.Fatalf("poolbench split: exit %d\n%s", r.code, r.stderr)
	}
	split, err := filepath.Glob(filepath.Join(dir, "results", "*.txt"))
	if err != nil || len(split) < 6 {
		t.Fatalf("split wrote %d per-pool files (%v), want >= 6", len(split), err)
	}
	for _, p := range split {
		compareFile(t, filepath.Join(root, "results", filepath.Base(p)), p, resplit)
	}
}

// compareFile fails naming the first differing line of committed against
// generated and the command that regenerates it.
func compareFile(t *testing.T, committed, generated, regen string) {
	t.Helper()
	want, err := os.ReadFile(committed)
	if err != nil {
		t.Errorf("%s: %v; regenerate it with %s", committed, err, regen)
		return
	}
	got, err := os.ReadFile(generated)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(want, got) {
		return
	}
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			t.Errorf("%s is stale: line %d is\n\t%s\nbut the committed results give\n\t%s\nregenerate it with %s", committed, i+1, w, g, regen)
			return
		}
	}
}

// docCommand is one poolbench command as the docs print it.
type docCommand struct {
	where string   // file:line
	args  []string // after "poolbench"
}

// TestDocCommands runs every poolbench command in the README's tables and
// code blocks and in the package docs' example blocks (tab-indented
// "//\tpoolbench ..." lines of doc.go files), shortened: -duration 20ms
// -warmup 10ms -count 1, a few conns, outputs in a temp dir, a poolbench
// serve child's address for SERVER, shard 0/1 for I/N. A serve command is
// started and must print its address. make and scripts/ commands are out of
// scope (they run minutes of load; make test runs its own targets), and so
// are commands quoted inside prose, and the usage synopsis of cmd/poolbench,
// whose [flags] are a syntax, not a command: its subcommands are checked
// with -h instead.
func TestDocCommands(t *testing.T) {
	cmds := readmeCommands(t, filepath.Join("..", "README.md"))
	if len(cmds) < 5 {
		t.Fatalf("README.md: found %d poolbench commands in tables and code blocks; the extraction is broken", len(cmds))
	}
	docs, err := filepath.Glob(filepath.Join("..", "*", "doc.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		cmds = append(cmds, docGoCommands(t, d)...)
	}
	dir := t.TempDir()
	for _, name := range []string{"OLD.txt", "NEW.txt"} {
		copyFile(t, filepath.Join("..", "results", "raw", "pool.txt"), filepath.Join(dir, name))
	}
	addr := startServe(t, dir, "the test's own server", "serve", "-design", "net")
	if addr == "" {
		t.FailNow()
	}
	for _, c := range cmds {
		args := shorten(t, c, dir, addr)
		t.Logf("%s: poolbench %s", c.where, strings.Join(args, " "))
		if args[0] == "serve" {
			startServe(t, dir, c.where, args...)
			continue
		}
		r := runPoolbench(t, dir, args...)
		if r.code != 0 {
			t.Errorf("%s: documented command poolbench %s (run as %q): exit %d\n%s", c.where, strings.Join(c.args, " "), args, r.code, r.stderr)
		}
	}
	for _, sub := range []string{"serve", "sweep", "gate", "report", "merge"} {
		if r := runPoolbench(t, dir, sub, "-h"); r.code != 0 || !strings.Contains(r.stderr+r.stdout, "-") {
			t.Errorf("cmd/poolbench usage names %q: poolbench %s -h exits %d\n%s", sub, sub, r.code, r.stderr)
		}
	}
}

// codeSpan is one `...` span of a table cell.
var codeSpan = regexp.MustCompile("`([^`]*)`")

// readmeCommands returns the poolbench commands of path's table cells and
// fenced code blocks, with backslash continuations joined and # comments cut.
func readmeCommands(t *testing.T, path string) []docCommand {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []docCommand
	sc := bufio.NewScanner(f)
	inBlock, n, pending, pendingLine := false, 0, "", 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.HasPrefix(line, "```") {
			inBlock = !inBlock
			continue
		}
		switch {
		case inBlock:
			if pending == "" {
				pendingLine = n
			}
			pending += " " + line
			if strings.HasSuffix(line, "\\") {
				pending = strings.TrimSuffix(pending, "\\")
				continue
			}
			if c, ok := parseCommand(pending); ok {
				out = append(out, docCommand{fmt.Sprintf("%s:%d", path, pendingLine), c})
			}
			pending = ""
		case strings.HasPrefix(line, "|"):
			cells := strings.Split(line, "|")
			if len(cells) < 2 {
				continue
			}
			for _, m := range codeSpan.FindAllStringSubmatch(cells[1], -1) {
				if c, ok := parseCommand(m[1]); ok {
					out = append(out, docCommand{fmt.Sprintf("%s:%d", path, n), c})
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// docGoCommands returns the "//\tpoolbench ..." example lines of a doc.go.
func docGoCommands(t *testing.T, path string) []docCommand {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []docCommand
	for i, line := range strings.Split(string(b), "\n") {
		rest, ok := strings.CutPrefix(line, "//\t")
		if !ok {
			continue
		}
		if c, ok := parseCommand(rest); ok {
			out = append(out, docCommand{fmt.Sprintf("%s:%d", path, i+1), c})
		}
	}
	return out
}

// parseCommand splits a "poolbench ..." or "go run ./cmd/poolbench ..."
// line into the arguments after the command, without a trailing # comment.
func parseCommand(s string) ([]string, bool) {
	if i := strings.Index(s, " #"); i >= 0 {
		s = s[:i]
	}
	f := strings.Fields(s)
	switch {
	case len(f) > 1 && f[0] == "poolbench":
		return f[1:], true
	case len(f) > 3 && f[0] == "go" && f[1] == "run" && f[2] == "./cmd/poolbench":
		return f[3:], true
	}
	return nil, false
}

// shortFlags replace a documented sweep's long load with a tiny one.
var shortFlags = map[string]string{
	"-duration": "20ms", "-warmup": "10ms", "-count": "1", "-conns": "2", "-cap-time": "1s",
}

// shorten rewrites a documented command to run here in well under a second
// of load: short flags, placeholders filled, outputs inside dir, loopback.
func shorten(t *testing.T, c docCommand, dir, addr string) []string {
	t.Helper()
	var args []string
	sweep := c.args[0] == "sweep"
	for i := 0; i < len(c.args); i++ {
		a := c.args[i]
		a = strings.ReplaceAll(a, "SERVER:7070", addr)
		a = strings.ReplaceAll(a, "shard-I", "shard-0")
		switch {
		case a == "I/N":
			a = "0/1"
		case a == "0.0.0.0:7070":
			a = "127.0.0.1:0"
		case strings.Contains(a, "*"):
			m, err := filepath.Glob(filepath.Join(dir, a))
			if err != nil || len(m) == 0 {
				t.Errorf("%s: %s matches no file the commands before it wrote", c.where, a)
				continue
			}
			for _, p := range m {
				args = append(args, filepath.Base(p))
			}
			continue
		}
		args = append(args, a)
		if i+1 >= len(c.args) {
			continue
		}
		switch v, ok := shortFlags[a]; {
		case sweep && ok:
			args = append(args, v)
			i++
		case a == "-start-at":
			args = append(args, time.Now().Add(2*time.Second).UTC().Format(time.RFC3339))
			i++
		case a == "-out":
			args = append(args, filepath.Base(strings.ReplaceAll(c.args[i+1], "shard-I", "shard-0")))
			i++
		}
	}
	if sweep {
		for _, f := range []string{"-duration", "-warmup", "-count"} {
			if !contains(args, f) {
				args = append(args, f, shortFlags[f])
			}
		}
	}
	return args
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// startServe starts a poolbench serve child, waits (bounded) for the
// address it prints first and stops it when the test ends. It returns ""
// after an error naming where the command is documented when there is none.
func startServe(t *testing.T, dir, where string, args ...string) string {
	t.Helper()
	cmd := exec.Command(poolbench, args...)
	cmd.Dir = dir
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case a := <-line:
		if !strings.HasPrefix(a, "127.0.0.1:") {
			t.Errorf("%s: poolbench %q: first line %q, want its 127.0.0.1 address\n%s", where, args, a, stderr.String())
			return ""
		}
		return a
	case <-time.After(cmdTimeout):
		t.Errorf("%s: poolbench %q: no address within %v", where, args, cmdTimeout)
		return ""
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
