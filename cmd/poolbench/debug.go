package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// debugAddrFlag registers -debug-addr on fs: serve and sweep expose their
// runtime profiles with it, so that scripts/soak.sh can count a running
// process's goroutines (the kernel shows its RSS and fds, not those).
func debugAddrFlag(fs *flag.FlagSet) *string {
	return fs.String("debug-addr", "", "serve runtime profiles (net/http/pprof: goroutines, heap) at `host:port` while running; port 0 picks one, logged on stderr (default off)")
}

// startDebug serves net/http/pprof at addr, when set, for the rest of the
// process's life, and logs the bound address on stderr. It is checked as
// bad input like any other address flag, before anything starts.
func startDebug(cmd, addr string, stderr io.Writer) error {
	if addr == "" {
		return nil
	}
	if err := checkListenAddr(cmd, "debug-addr", addr); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s: -debug-addr: %w", cmd, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln) // ends with the process
	fmt.Fprintf(stderr, "poolbench %s: debug http://%s/debug/pprof/\n", cmd, ln.Addr())
	return nil
}
