package impls

import (
	"fmt"
	"strings"

	"github.com/poolbench/poolbench/impls/server"
	"github.com/poolbench/poolbench/impls/servers/fasthttp"
	"github.com/poolbench/poolbench/impls/servers/gnet"
	"github.com/poolbench/poolbench/impls/servers/nbio"
	netserver "github.com/poolbench/poolbench/impls/servers/net"
	"github.com/poolbench/poolbench/impls/servers/udp"
)

// ServerDesign is a registered echo server design.
type ServerDesign struct {
	Name     string          // short, stable, used in benchmark names: server=NAME
	Protocol server.Protocol // what a client must speak to it
	// EventLoop marks designs built on an event loop (epoll), which the
	// harness may load with many more conns than goroutine-per-conn designs.
	EventLoop bool
	// ClosesFirst marks designs that honour server.Config.CloseAfter:
	// they can close a conn first, after its echo.
	ClosesFirst bool
	// Start starts the server and returns once it is accepting.
	Start func(cfg server.Config) (server.Server, error)
}

// servers is the registry of server designs, in report order.
var servers = []ServerDesign{
	{Name: "net", Protocol: server.Echo, ClosesFirst: true, Start: netserver.Start},
	{Name: "gnet", Protocol: server.Echo, EventLoop: true, Start: gnet.Start},
	{Name: "nbio", Protocol: server.Echo, EventLoop: true, Start: nbio.Start},
	{Name: "fasthttp", Protocol: server.HTTP, Start: fasthttp.Start},
	{Name: "udp", Protocol: server.UDP, Start: udp.Start},
}

// Servers returns every registered server design.
func Servers() []ServerDesign { return append([]ServerDesign(nil), servers...) }

// LookupServer returns the server design called name.
func LookupServer(name string) (ServerDesign, error) {
	for _, d := range servers {
		if d.Name == name {
			return d, nil
		}
	}
	return ServerDesign{}, fmt.Errorf("unknown server design %q (have %s)", name, strings.Join(ServerNames(), ", "))
}

// ServerNames returns the names of every registered server design.
func ServerNames() []string {
	names := make([]string, len(servers))
	for i, d := range servers {
		names[i] = d.Name
	}
	return names
}
