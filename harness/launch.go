package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Launcher starts a server instance. The sweep launches one instance per
// point and stops it after the point, so every point starts from a fresh
// process: no conns or heap left over from the previous point, and a clean
// idle baseline for the server's RSS.
type Launcher interface {
	Launch(ctx context.Context) (Instance, error)
}

// Instance is a running server.
type Instance interface {
	// Addr is the host:port to dial.
	Addr() string
	// PID is the server's process id when it is a child process on this
	// machine, whose RSS the sweep reads; 0 otherwise.
	PID() int
	// Stop stops the server and waits until it has exited.
	Stop() error
}

// Process launches a server as a child process that prints its bound
// address as the first line of its stdout (a line whose last field is
// host:port) and exits on SIGTERM, as "poolbench serve" does.
type Process struct {
	Path string   // executable
	Args []string // arguments after the executable's name
	Env  []string // added to this process's environment
	// Stderr receives the child's stderr. nil keeps only its last few
	// lines, quoted in the error when the child fails to start or stop:
	// a server's start-up and shutdown log lines are noise in a sweep.
	Stderr io.Writer
	// StartTimeout bounds the wait for the address line; 0 means 10s.
	StartTimeout time.Duration
	// StopTimeout bounds the wait for exit after SIGTERM, after which the
	// child is killed; 0 means 10s.
	StopTimeout time.Duration
}

// Launch starts the child and returns once it has printed its address.
func (p Process) Launch(ctx context.Context) (Instance, error) {
	cmd := exec.Command(p.Path, p.Args...)
	cmd.Env = append(os.Environ(), p.Env...)
	tail := &tailBuffer{}
	cmd.Stderr = p.Stderr
	if p.Stderr == nil {
		cmd.Stderr = tail
	}
	first := &firstLine{line: make(chan string, 1)}
	cmd.Stdout = first
	// Its own process group keeps a terminal's Ctrl-C away from the child,
	// so the sweep stops it in order; Pdeathsig kills it if the sweep dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start server %s: %w", p.Path, err)
	}
	c := &child{cmd: cmd, exited: make(chan struct{}), stopTimeout: orDefault(p.StopTimeout, 10*time.Second), tail: tail}
	go func() {
		c.err = cmd.Wait()
		close(c.exited)
	}()
	timer := time.NewTimer(orDefault(p.StartTimeout, 10*time.Second))
	defer timer.Stop()
	var err error
	select {
	case line := <-first.line:
		if c.addr, err = parseAddrLine(line); err == nil {
			return c, nil
		}
	case <-c.exited:
		return nil, fmt.Errorf("server %s %s exited before printing its address: %v%s", p.Path, strings.Join(p.Args, " "), c.err, tail)
	case <-timer.C:
		err = fmt.Errorf("server %s %s printed no address within %v", p.Path, strings.Join(p.Args, " "), orDefault(p.StartTimeout, 10*time.Second))
	case <-ctx.Done():
		err = ctx.Err()
	}
	c.kill()
	return nil, err
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// parseAddrLine returns the host:port that ends line.
func parseAddrLine(line string) (string, error) {
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return "", errors.New("server printed an empty first line, want its address")
	}
	addr := fields[len(fields)-1]
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return "", fmt.Errorf("server's first line %q does not end in host:port", line)
	}
	return addr, nil
}

// child is a running server process.
type child struct {
	cmd         *exec.Cmd
	addr        string
	stopTimeout time.Duration
	exited      chan struct{} // closed when Wait has returned
	err         error         // Wait's result; read after exited is closed
	tail        *tailBuffer   // the end of its stderr, when not passed on
}

func (c *child) Addr() string { return c.addr }
func (c *child) PID() int     { return c.cmd.Process.Pid }

// Stop sends SIGTERM and waits; a child that outlives StopTimeout is killed
// and reported.
func (c *child) Stop() error {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	timer := time.NewTimer(c.stopTimeout)
	defer timer.Stop()
	select {
	case <-c.exited:
	case <-timer.C:
		c.kill()
		return fmt.Errorf("server pid %d did not exit within %v of SIGTERM; killed", c.PID(), c.stopTimeout)
	}
	var ee *exec.ExitError
	if errors.As(c.err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM {
			return nil // a server without a SIGTERM handler just dies of it
		}
		return fmt.Errorf("server pid %d: %w%s", c.PID(), c.err, c.tail)
	}
	return c.err
}

func (c *child) kill() {
	_ = c.cmd.Process.Kill()
	<-c.exited
}

// firstLine is the child's stdout: it passes the first line on and
// discards the rest, so a chatty server never blocks on a full pipe.
type firstLine struct {
	mu   sync.Mutex
	buf  []byte
	done bool
	line chan string // receives the first line once
}

func (f *firstLine) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done {
		return len(p), nil
	}
	f.buf = append(f.buf, p...)
	if i := bytes.IndexByte(f.buf, '\n'); i >= 0 || len(f.buf) > 4096 {
		if i < 0 {
			i = len(f.buf)
		}
		f.done = true
		f.line <- string(f.buf[:i])
		f.buf = nil
	}
	return len(p), nil
}

// tailMax is how much of a child's stderr a tailBuffer keeps.
const tailMax = 1 << 10

// tailBuffer keeps the last tailMax bytes of a child's stderr.
type tailBuffer struct {
	mu sync.Mutex
	b  []byte // guarded by mu
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > tailMax {
		t.b = append(t.b[:0], t.b[len(t.b)-tailMax:]...)
	}
	return len(p), nil
}

// String is "; stderr: ..." with what was kept, or "" when nothing was.
func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := strings.TrimSpace(string(t.b)); s != "" {
		return "; stderr: " + strings.ReplaceAll(s, "\n", " | ")
	}
	return ""
}

// External is the address of a server already running; the sweep neither
// starts nor stops it, and cannot read its RSS.
type External string

// Launch returns the running server.
func (e External) Launch(context.Context) (Instance, error) { return external(e), nil }

type external string

func (e external) Addr() string { return string(e) }
func (external) PID() int       { return 0 }
func (external) Stop() error    { return nil }
