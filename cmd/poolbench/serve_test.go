package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/poolbench/poolbench/impls"
	"github.com/poolbench/poolbench/impls/server"
)

func TestServeBadInput(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-design", "nope"},
		{"-design", "net", "-loops", "0"},
		{"-design", "net", "-loops", "-2"},
		{"-design", "net", "-loops", "many"},
		{"-design", "net", "-max-conns", "-1"},
		{"-design", "net", "-read-buffer", "-1"},
		{"-design", "net", "-nope"},
		{"-design", "net", "extra"},
	} {
		var stdout, stderr bytes.Buffer
		code := exitStatus(&stderr, run(&stdout, &stderr, append([]string{"serve"}, args...)))
		if code != 2 || stdout.Len() != 0 || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("serve %q: exit %d, stdout %q, stderr %q; want 2, nothing, one line", args, code, stdout.String(), stderr.String())
		}
	}
}

func TestServeBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var stdout, stderr bytes.Buffer
	code := exitStatus(&stderr, run(&stdout, &stderr, []string{"serve", "-design", "gnet", "-addr", ln.Addr().String(), "-loops", "1"}))
	want := "listen tcp " + ln.Addr().String() + ": bind: address already in use"
	if code != 1 || stdout.Len() != 0 || !strings.Contains(stderr.String(), want) {
		t.Errorf("serve on a busy port: exit %d, stdout %q, stderr %q; want 1, nothing, %q", code, stdout.String(), stderr.String(), want)
	}
}

// serveChildEnv marks a serve child process (see TestServeHelperProcess),
// whose poolbench arguments follow "--" on its command line.
const serveChildEnv = "POOLBENCH_SERVE_CHILD"

// TestServeHelperProcess is not a test: it is the entry point of the child
// processes TestServeProcess starts from this test binary, and it returns
// at once in a normal run.
func TestServeHelperProcess(t *testing.T) {
	if os.Getenv(serveChildEnv) != "1" {
		return
	}
	os.Exit(exitStatus(os.Stderr, run(os.Stdout, os.Stderr, flag.Args())))
}

// serveLimit bounds each wait on a serve child.
const serveLimit = 20 * time.Second

// child is a running `poolbench serve`.
type child struct {
	cmd    *exec.Cmd
	stdout *bufio.Reader
	stderr bytes.Buffer
	exited chan error // gets cmd.Wait's result
}

func startServe(t *testing.T, args ...string) *child {
	t.Helper()
	c := &child{exited: make(chan error, 1)}
	c.cmd = exec.Command(os.Args[0], append([]string{"-test.run=^TestServeHelperProcess$", "--", "serve"}, args...)...)
	c.cmd.Env = append(os.Environ(), serveChildEnv+"=1")
	c.cmd.Stderr = &c.stderr
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c.stdout = bufio.NewReader(out)
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.exited <- c.cmd.Wait() }()
	t.Cleanup(func() {
		_ = c.cmd.Process.Kill()
		<-c.exited
	})
	return c
}

// firstLine reads the child's first stdout line within serveLimit.
func (c *child) firstLine(t *testing.T) string {
	t.Helper()
	line := make(chan string, 1)
	go func() {
		s, _ := c.stdout.ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		return s
	case <-time.After(serveLimit):
		t.Fatalf("no address from serve within %v; stderr: %s", serveLimit, c.stderr.String())
		return ""
	}
}

// stop signals the child and checks it exits 0 with nothing more on stdout.
func (c *child) stop(t *testing.T, sig os.Signal) {
	t.Helper()
	rest := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(c.stdout) // ends when the child exits
		rest <- b
	}()
	if err := c.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-c.exited:
		c.exited <- err // for the cleanup
		if err != nil {
			t.Errorf("serve after %v: %v; stderr: %s", sig, err, c.stderr.String())
		}
	case <-time.After(serveLimit):
		t.Fatalf("serve did not exit within %v of %v", serveLimit, sig)
	}
	if b := <-rest; len(b) != 0 {
		t.Errorf("serve wrote more than the address to stdout: %q", b)
	}
}

func TestServeProcess(t *testing.T) {
	for _, d := range impls.Servers() {
		t.Run(d.Name, func(t *testing.T) {
			c := startServe(t, "-design", d.Name, "-loops", "2", "-max-conns", "8", "-read-buffer", "4096")
			addr := checkAddrLine(t, c.firstLine(t))
			echoOnce(t, d.Protocol, addr)
			c.stop(t, syscall.SIGTERM)
			if want := "design=" + d.Name + " protocol=" + string(d.Protocol) + " addr=" + addr + " loops=2 max-conns=8 read-buffer=4096"; !strings.Contains(c.stderr.String(), want) {
				t.Errorf("stderr %q does not record %q", c.stderr.String(), want)
			}
		})
	}
}

// TestServeDefaultLoops checks -loops defaults to GOMAXPROCS, recorded on
// stderr, and that SIGINT stops the server too.
func TestServeDefaultLoops(t *testing.T) {
	c := startServe(t, "-design", "nbio")
	addr := checkAddrLine(t, c.firstLine(t))
	echoOnce(t, server.Echo, addr)
	c.stop(t, os.Interrupt)
	if want := fmt.Sprintf(" loops=%d ", runtime.GOMAXPROCS(0)); !strings.Contains(c.stderr.String(), want) {
		t.Errorf("stderr %q does not record %q", c.stderr.String(), want)
	}
}

// checkAddrLine checks the line is exactly "127.0.0.1:PORT\n" and returns
// the address.
func checkAddrLine(t *testing.T, line string) string {
	t.Helper()
	addr, ok := strings.CutSuffix(line, "\n")
	host, port, err := net.SplitHostPort(addr)
	if !ok || err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("first stdout line %q, want 127.0.0.1:PORT", line)
	}
	return addr
}

// echoOnce checks that the server at addr answers one request.
func echoOnce(t *testing.T, proto server.Protocol, addr string) {
	t.Helper()
	network := "tcp"
	if proto == server.UDP {
		network = "udp"
	}
	conn, err := net.DialTimeout(network, addr, serveLimit)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(serveLimit))
	msg := "poolbench serve test"
	switch proto {
	case server.Echo, server.UDP: // one write, one read: one datagram each way for UDP
		if _, err := io.WriteString(conn, msg); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(conn, got); err != nil || string(got) != msg {
			t.Fatalf("echo: got %q, %v; want %q", got, err, msg)
		}
	case server.HTTP:
		if _, err := fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(msg), msg); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK || string(body) != msg {
			t.Fatalf("POST: status %d, body %q, %v; want 200, %q", resp.StatusCode, body, err, msg)
		}
	default:
		t.Fatalf("unknown protocol %q", proto)
	}
}
