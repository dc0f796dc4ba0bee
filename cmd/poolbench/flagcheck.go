package main

import (
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// The checks below turn a flag's bad value into bad input (exit 2) with one
// line that names the flag: "sweep: -conns 0: want 1 to 10000". Every
// command validates its flags through them, before it starts anything, so
// the same kind of flag is rejected the same way everywhere (and the e2e
// flag test, which wants the flag named, holds for new flags too).

// flagError is bad input in the value of flag -name of command cmd.
// A multi-line reason (a parser's caret under the bad column) is folded
// into the one line bad input gets.
func flagError(cmd, name string, value any, format string, args ...any) error {
	why := strings.Join(strings.Fields(fmt.Sprintf(format, args...)), " ")
	return badInput("%s: -%s %s: %s", cmd, name, quoteEmpty(fmt.Sprint(value)), why)
}

// quoteEmpty shows an empty value as "" so the line still reads.
func quoteEmpty(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

// checkInt wants lo <= v <= hi.
func checkInt(cmd, name string, v, lo, hi int) error {
	if v < lo || v > hi {
		return flagError(cmd, name, v, "want %d to %d", lo, hi)
	}
	return nil
}

// checkFloat wants a finite v with lo <= v <= hi (NaN and Inf parse as
// floats, and a NaN passes every comparison written the other way round).
func checkFloat(cmd, name string, v, lo, hi float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < lo || v > hi {
		return flagError(cmd, name, v, "want a number from %v to %v", lo, hi)
	}
	return nil
}

// checkOpenUnit wants 0 < v < 1 (a probability or a confidence level).
func checkOpenUnit(cmd, name string, v float64) error {
	if !(v > 0 && v < 1) {
		return flagError(cmd, name, v, "want a number between 0 and 1, exclusive")
	}
	return nil
}

// checkDuration wants lo <= d <= hi.
func checkDuration(cmd, name string, d, lo, hi time.Duration) error {
	if d < lo || d > hi {
		return flagError(cmd, name, d, "want %v to %v", lo, hi)
	}
	return nil
}

// maxRunDuration bounds any duration flag: a typo of units (-duration 10h
// for 10s) is caught instead of loading a machine for hours.
const maxRunDuration = time.Hour

// checkNotEmpty wants a value.
func checkNotEmpty(cmd, name, v string) error {
	if strings.TrimSpace(v) == "" {
		return flagError(cmd, name, v, "want a value")
	}
	return nil
}

// checkListenAddr wants host:port for a server to bind: the host an IP
// address or localhost (or empty, every interface), the port 0 to 65535.
func checkListenAddr(cmd, name, addr string) error {
	host, err := checkHostPort(cmd, name, addr, 0)
	if err != nil {
		return err
	}
	if host != "" && host != "localhost" && net.ParseIP(host) == nil {
		return flagError(cmd, name, addr, "host %q is not an IP address (a server binds an address, not a name)", host)
	}
	return nil
}

// checkDialAddr wants host:port of a server to reach: a host name or IP,
// the port 1 to 65535.
func checkDialAddr(cmd, name, addr string) error {
	host, err := checkHostPort(cmd, name, addr, 1)
	if err != nil {
		return err
	}
	if host == "" {
		return flagError(cmd, name, addr, "want a host before the port")
	}
	return nil
}

// checkHostPort splits addr and checks its port is numeric and at least
// minPort. A host of digits and dots must be an IPv4 address: 999.1.1.1 is
// a typo, not a name to look up.
func checkHostPort(cmd, name, addr string, minPort int) (host string, err error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		var ae *net.AddrError
		if errors.As(err, &ae) {
			err = errors.New(ae.Err)
		}
		return "", flagError(cmd, name, addr, "want host:port (%v)", err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < minPort || p > 65535 {
		return "", flagError(cmd, name, addr, "port %q: want a number from %d to 65535", port, minPort)
	}
	if strings.Trim(host, "0123456789.") == "" && host != "" && net.ParseIP(host) == nil {
		return "", flagError(cmd, name, addr, "%s is not an IPv4 address", host)
	}
	return host, nil
}

// checkInputDir wants an existing directory.
func checkInputDir(cmd, name, dir string) error {
	if dir == "" {
		return flagError(cmd, name, dir, "want a directory")
	}
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return flagError(cmd, name, dir, "%s directory %s does not exist", name, dir)
	case err != nil:
		return flagError(cmd, name, dir, "%v", err)
	case !st.IsDir():
		return flagError(cmd, name, dir, "%s is not a directory", dir)
	}
	return nil
}

// checkOutputFile wants a path the command can create or replace, checked
// before any work so that a run of minutes is not lost at its end: not a
// directory, and the nearest existing parent a directory this process may
// write into (a missing one is created when the file is written). The check
// writes nothing.
func checkOutputFile(cmd, name, path string) error {
	if path == "" {
		return flagError(cmd, name, path, "want a file name")
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return flagError(cmd, name, path, "%s is a directory", path)
	}
	return checkWritableDir(cmd, name, path, filepath.Dir(path))
}

// checkOutputDir wants a directory the command can create files in: an
// existing directory, or a path under one it may create.
func checkOutputDir(cmd, name, dir string) error {
	if dir == "" {
		return flagError(cmd, name, dir, "want a directory")
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return flagError(cmd, name, dir, "%s is not a directory", dir)
	}
	return checkWritableDir(cmd, name, dir, dir)
}

// checkWritableDir walks up from dir to the first path that exists: it
// must be a directory this process may create entries in.
func checkWritableDir(cmd, name, value, dir string) error {
	for {
		st, err := os.Stat(dir)
		if err == nil {
			if !st.IsDir() {
				return flagError(cmd, name, value, "%s is not a directory", dir)
			}
			// access(2) asks the kernel without writing: a read-only file
			// system or a denied directory fails here, not after the run.
			if err := unix.Access(dir, unix.W_OK|unix.X_OK); err != nil {
				return flagError(cmd, name, value, "cannot write in %s: %v", dir, err)
			}
			return nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return flagError(cmd, name, value, "%v", err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return flagError(cmd, name, value, "%v", err)
		}
		dir = parent
	}
}

// checkUnique wants no name twice in a list flag: a design named twice is
// a typo, and would run every point twice.
func checkUnique(cmd, name string, list []string) error {
	seen := map[string]bool{}
	for _, s := range list {
		if seen[s] {
			return flagError(cmd, name, strings.Join(list, ","), "%s is named twice", s)
		}
		seen[s] = true
	}
	return nil
}
