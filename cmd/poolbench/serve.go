package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/poolbench/poolbench/impls"
	"github.com/poolbench/poolbench/impls/server"
)

func init() {
	commands["serve"] = command{"run one echo server design until SIGINT or SIGTERM; print its address", runServe}
}

// serveUsage is serve's manual, printed by -h.
const serveUsage = `usage: poolbench serve -design NAME [-addr 127.0.0.1:0] [-loops N] [-max-conns N] [-read-buffer N] [-close-after N] [-debug-addr ADDR]

Runs one server design in this process. The first line on stdout is the
bound address (127.0.0.1:PORT), and nothing else is written to stdout; the
configuration is logged on stderr. SIGINT or SIGTERM shuts the server down
(every conn closed, at most 10s) and exits 0.

Exit status: 0 after a clean shutdown; 1 when the server cannot start (a
busy port) or does not shut down in time; 2 on bad input.

flags:
`

// checkServerFlags checks the flags that become a server.Config, for serve
// and for the servers a sweep starts, before anything is started.
func checkServerFlags(cmd, addr string, loops, maxConns, readBuffer int) error {
	if err := checkListenAddr(cmd, "addr", addr); err != nil {
		return err
	}
	if err := checkInt(cmd, "loops", loops, 1, server.MaxLoops()); err != nil {
		return err
	}
	if err := checkInt(cmd, "max-conns", maxConns, 0, math.MaxInt32); err != nil {
		return err
	}
	return checkInt(cmd, "read-buffer", readBuffer, 0, server.MaxReadBufferSize)
}

// closingServers names the server designs that can close a conn first
// (server.Config.CloseAfter).
func closingServers() []string {
	var names []string
	for _, d := range impls.Servers() {
		if d.ClosesFirst {
			names = append(names, d.Name)
		}
	}
	return names
}

// serveShutdownLimit bounds the shutdown after a signal.
const serveShutdownLimit = 10 * time.Second

func runServe(stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), serveUsage); fs.PrintDefaults() }
	names := strings.Join(impls.ServerNames(), ", ")
	design := fs.String("design", "", "server `design` to run: "+names)
	addr := fs.String("addr", "127.0.0.1:0", "`address` to listen on; port 0 picks a free port")
	loops := fs.Int("loops", 0, fmt.Sprintf("event loops, or accept loops for goroutine-per-conn designs, 1 to %d (default GOMAXPROCS)", server.MaxLoops()))
	maxConns := fs.Int("max-conns", 0, "close conns accepted while `n` are open (0: no limit)")
	debugAddr := debugAddrFlag(fs)
	readBuffer := fs.Int("read-buffer", 0, "per-read buffer in `bytes`, at most 16 MiB (0: 16 KiB; for udp, the largest datagram echoed, 0: 65507)")
	closeAfter := fs.Int("close-after", 0, "close each conn first once `n` bytes are echoed on it, so TIME_WAIT lands on the server (0: never; designs: "+strings.Join(closingServers(), ", ")+")")
	if err := parseFlags(fs, stderr, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return badInput("serve: unexpected arguments %q", fs.Args())
	}
	if *design == "" {
		return badInput("serve: -design is required (one of %s)", names)
	}
	d, err := impls.LookupServer(*design)
	if err != nil {
		return badInput("serve: -design: %v", err)
	}
	loopsSet := false
	fs.Visit(func(f *flag.Flag) { loopsSet = loopsSet || f.Name == "loops" })
	if !loopsSet {
		*loops = runtime.GOMAXPROCS(0)
	}
	if err := checkServerFlags("serve", *addr, *loops, *maxConns, *readBuffer); err != nil {
		return err
	}
	if err := checkInt("serve", "close-after", *closeAfter, 0, math.MaxInt32); err != nil {
		return err
	}
	if *closeAfter > 0 && !d.ClosesFirst {
		return flagError("serve", "close-after", strconv.Itoa(*closeAfter), "design %s cannot close a conn first (designs that can: %s)",
			d.Name, strings.Join(closingServers(), ", "))
	}
	if *readBuffer == 0 && d.Protocol == server.UDP {
		// A UDP server's read buffer is the largest datagram it echoes:
		// by default every datagram that fits.
		*readBuffer = server.MaxDatagram
	}
	cfg, err := server.Config{Addr: *addr, Loops: *loops, MaxConns: *maxConns, ReadBufferSize: *readBuffer}.Normalized()
	if err != nil {
		return badInput("serve: %v", err)
	}
	cfg.CloseAfter = *closeAfter // checked above; a design that cannot honour it is not started with it

	if err := startDebug("serve", *debugAddr, stderr); err != nil {
		return err
	}

	// Listen for the signals before the address is out: whoever reads it
	// may signal at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := d.Start(cfg)
	if err != nil {
		return fmt.Errorf("serve: %s: %w", d.Name, err)
	}
	fmt.Fprintln(stdout, srv.Addr())
	fmt.Fprintf(stderr, "poolbench serve: design=%s protocol=%s addr=%s loops=%d max-conns=%d read-buffer=%d close-after=%d\n",
		d.Name, d.Protocol, srv.Addr(), cfg.Loops, cfg.MaxConns, cfg.ReadBufferSize, cfg.CloseAfter)

	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), serveShutdownLimit)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("serve: %s: shutdown: %w", d.Name, err)
	}
	st := srv.Stats()
	fmt.Fprintf(stderr, "poolbench serve: stopped: accepted=%d rejected=%d bytes-in=%d bytes-out=%d\n",
		st.Accepted, st.Rejected, st.BytesIn, st.BytesOut)
	return nil
}
