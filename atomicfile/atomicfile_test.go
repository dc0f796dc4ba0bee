package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteReplaces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	for _, text := range []string{"first\n", "second\n"} {
		if err := Write(path, func(w io.Writer) error {
			_, err := io.WriteString(w, text)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != text {
			t.Fatalf("after writing %q: read %q, %v", text, got, err)
		}
	}
	assertOnly(t, filepath.Dir(path), "out.txt")
}

func TestWriteFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := Write(path, func(w io.Writer) error {
		io.WriteString(w, "partial")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "old\n" {
		t.Fatalf("file = %q after a failed write, want the old contents", got)
	}
	assertOnly(t, dir, "out.txt")
}

// assertOnly fails unless dir holds exactly the named file (no temp left).
func assertOnly(t *testing.T, dir, name string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != name {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Fatalf("dir holds %v, want only %s", names, name)
	}
}

// TestFileStreams writes a File in two parts: the target keeps its old
// contents until Commit, then holds both parts; a second Commit fails.
func TestFileStreams(t *testing.T) {
	dir, path, f := createOverOld(t)
	for _, part := range []string{"one\n", "two\n"} {
		if _, err := io.WriteString(f, part); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(path); string(got) != "old\n" {
			t.Fatalf("target = %q while the File is open, want the old contents", got)
		}
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "one\ntwo\n" {
		t.Fatalf("target = %q after Commit, want both parts", got)
	}
	if err := f.Commit(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Commit: %v, want ErrClosed", err)
	}
	assertOnly(t, dir, "out.txt")
}

// TestFileCommitAsAndAbort: CommitAs leaves the target untouched and
// writes the other name; Abort leaves nothing behind; CommitAs to another
// directory fails and removes the temporary file.
func TestFileCommitAsAndAbort(t *testing.T) {
	dir, path, f := createOverOld(t)
	io.WriteString(f, "part\n")
	if err := f.CommitAs(path + ".interrupted"); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "old\n" {
		t.Errorf("target = %q after CommitAs, want the old contents", got)
	}
	if got, _ := os.ReadFile(path + ".interrupted"); string(got) != "part\n" {
		t.Errorf("the other name holds %q, want the part", got)
	}
	os.Remove(path + ".interrupted")

	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, "gone\n")
	f.Abort()
	assertOnly(t, dir, "out.txt")

	f, err = Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.CommitAs(filepath.Join(t.TempDir(), "elsewhere.txt")); err == nil {
		t.Error("CommitAs to another directory succeeded")
	}
	assertOnly(t, dir, "out.txt")
}

// createOverOld writes "old\n" to out.txt in a fresh directory and starts
// a File to replace it.
func createOverOld(t *testing.T) (dir, path string, f *File) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, "out.txt")
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	return dir, path, f
}
