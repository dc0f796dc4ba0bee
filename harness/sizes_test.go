package harness

import (
	"bytes"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/poolbench/poolbench/impls/server"
	"github.com/poolbench/poolbench/results"
)

// TestSweepSizes: a sizes sweep runs every point once per size, each echo
// exact, names each point with its size after the
// workers, and writes its payload rate as req/s x size.
func TestSweepSizes(t *testing.T) {
	echo := startTestServer(t, server.Echo, faultNone)
	web := startTestServer(t, server.HTTP, faultNone)
	s := shortSweep(
		Server{Name: "raw", Protocol: server.Echo, Launch: inProcess{echo}},
		Server{Name: "web", Protocol: server.HTTP, Launch: inProcess{web}},
	)
	// 100 KiB takes the large-message path (writeAlone) and still completes
	// requests in the window under -race on a busy machine; 1 MiB is
	// TestEchoWritesWhileReading's.
	s.Workers, s.Count, s.Duration = []int{2}, 1, 300*time.Millisecond
	s.Sizes = []int{64, 100 << 10}
	res, err := s.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, p := range res.Points {
		order = append(order, p.Server+"/"+itoa(p.Size))
		if p.Requests == 0 || p.Errors.Total() != 0 {
			t.Errorf("%s size=%d: %d requests, errors %v; want requests and no errors", p.Server, p.Size, p.Requests, p.Errors)
		}
	}
	if got, want := strings.Join(order, " "), "raw/64 raw/102400 web/64 web/102400"; got != want {
		t.Errorf("points ran in order %s, want %s", got, want)
	}
	if len(res.Knees) != 0 {
		t.Errorf("knees %+v: a sizes sweep finds none (its sizes are not one curve)", res.Knees)
	}
	var out bytes.Buffer
	if err := res.Write(&out); err != nil {
		t.Fatal(err)
	}
	set, err := results.Read(&out, "sizes.txt")
	if err != nil {
		t.Fatal(err)
	}
	pts := set.Points(results.Echo)
	if len(pts) != len(res.Points) {
		t.Fatalf("read back %d points, wrote %d", len(pts), len(res.Points))
	}
	for _, p := range pts {
		if k := p.Name.Keys; len(k) != 5 || k[4].Key != results.Size {
			t.Errorf("%s: want the size key last, after workers", p.Name)
		}
		if got := p.Config[results.Size]; got != "64,102400" {
			t.Errorf("%s: size configuration %q, want the sizes swept", p.Name, got)
		}
		rate, _ := p.Value(results.ReqPerSec)
		mb, ok := p.Value(results.EchoMBPerSec)
		if want := rate * float64(p.Int(results.Size)) / 1e6; !ok || mb <= 0 || !closeTo(mb, want) {
			t.Errorf("%s: %v echo-MB/s (present %v), want req/s x size / 1e6 = %v", p.Name, mb, ok, want)
		}
	}
}

func closeTo(a, b float64) bool { return a-b < 1e-9*b && b-a < 1e-9*b }

// TestSweepOneSizeNamesNoSize: without Sizes, names and values are as they
// always were: no size key, no echo-MB/s.
func TestSweepOneSizeNamesNoSize(t *testing.T) {
	r := sampleResults()
	var out bytes.Buffer
	if err := r.Write(&out); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "Benchmark") && (strings.Contains(line, "/size=") || strings.Contains(line, " echo-MB/s")) {
			t.Errorf("a one-size sweep wrote a size key or echo-MB/s: %s", line)
		}
	}
}

// TestSizesValidate: each bad Sizes is an error of field Sizes, so that
// the command names -sizes.
func TestSizesValidate(t *testing.T) {
	udp := Server{Name: "udp", Protocol: server.UDP, Launch: External("127.0.0.1:9")}
	tcp := Server{Name: "x", Protocol: server.Echo, Launch: External("127.0.0.1:1")}
	for _, tc := range []struct {
		name string
		srv  Server
		edit func(s *Sweep)
		want string
	}{
		{"zero", tcp, func(s *Sweep) { s.Sizes = []int{64, 0} }, "size 0 bytes out of range"},
		{"too large", tcp, func(s *Sweep) { s.Sizes = []int{MaxSize + 1} }, "out of range"},
		{"twice", tcp, func(s *Sweep) { s.Sizes = []int{64, 256, 64} }, "named twice"},
		{"udp datagram", udp, func(s *Sweep) { s.Sizes = []int{64, server.MaxDatagram + 1} }, "datagram holds at most"},
		{"restart", tcp, func(s *Sweep) { s.Sizes = []int{64}; s.Restart.At = 30 * time.Millisecond }, "does not restart"},
		{"restart while idle", tcp, func(s *Sweep) { s.Sizes = []int{64}; s.Restart = Restart{At: 30 * time.Millisecond, Idle: true} }, "one message size"},
	} {
		s := shortSweep(tc.srv)
		tc.edit(s)
		err := s.Validate()
		var fe *FieldError
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &fe) || fe.Field != "Sizes" {
			t.Errorf("%s: Validate = %v, want a Sizes error containing %q", tc.name, err, tc.want)
		}
	}
	s := shortSweep(udp)
	s.Sizes = []int{1, server.MaxDatagram}
	if err := s.Validate(); err != nil {
		t.Errorf("UDP sizes up to the datagram limit: %v", err)
	}
}

// TestEchoWritesWhileReading: with 32 KiB socket buffers on both sides, a
// 1 MiB echo completes only if the client reads the echo while it is still
// writing (the server stops reading once its echo backs up); written whole
// first, it would hang until the deadline.
func TestEchoWritesWhileReading(t *testing.T) {
	const buf = 32 << 10
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.(*net.TCPConn).SetReadBuffer(buf)
		c.(*net.TCPConn).SetWriteBuffer(buf)
		// A read-then-write loop, as the echo servers run (io.Copy would
		// splice the socket to itself).
		b := make([]byte, buf)
		for {
			n, err := c.Read(b)
			if err != nil {
				return
			}
			if _, err := c.Write(b[:n]); err != nil {
				return
			}
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.(*net.TCPConn).SetReadBuffer(buf)
	c.(*net.TCPConn).SetWriteBuffer(buf)
	c.SetDeadline(time.Now().Add(5 * time.Second))
	x, _ := newExchanger(server.Echo, MaxSize, "")
	for seq := uint64(1); seq <= 2; seq++ {
		if keep, err := x.exchange(c, seq); err != nil || !keep {
			t.Fatalf("1 MiB echo %d through 32 KiB socket buffers: keep %v, err %v", seq, keep, err)
		}
	}
	c.Close()
	<-done
}
