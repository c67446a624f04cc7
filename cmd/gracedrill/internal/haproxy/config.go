// Package haproxy runs a real HAProxy in front of a drill's instances: it writes the
// configuration, starts `haproxy -W -db -f CFG`, changes the backend through the runtime API
// over an admin stats socket (add server; retired servers go to maintenance; no reloads), and
// stops it.
//
// The runtime API is used instead of a reload with -sf because a reload starts a new worker
// whose health-check state starts afresh and whose old worker keeps old connections: the drill
// would measure HAProxy's reload rather than the service's shutdown.
package haproxy

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Backend and frontend names in the generated configuration.
const (
	BackendName  = "be"
	FrontendName = "fe"
)

// Server is one backend server.
type Server struct {
	Name string // e.g. "i1"
	Host string
	Port int
}

// Addr returns host:port.
func (s Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Config is what the generated configuration says.
type Config struct {
	Listen    string        // frontend bind address, host:port
	Socket    string        // path of the admin stats socket
	ReadyPath string        // health-check path; 200 means ready
	Interval  time.Duration // health-check interval
	Fall      int           // failed checks before a server is marked down
	Timeout   time.Duration // server timeout
	Servers   []Server
}

// checkParams are the health-check parameters of every server. Dynamic servers (add server) do
// not inherit default-server settings, so every server line carries them.
func (c Config) checkParams() string {
	return fmt.Sprintf("check inter %dms fall %d rise 1", c.Interval.Milliseconds(), c.Fall)
}

// Render returns the configuration text.
func (c Config) Render() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# written by gracedrill\nglobal\n")
	fmt.Fprintf(&b, "  stats socket %s mode 600 level admin\n", c.Socket)
	fmt.Fprintf(&b, "  maxconn 8000\n")
	fmt.Fprintf(&b, "defaults\n  mode http\n  timeout connect 2s\n  timeout client %dms\n  timeout server %dms\n",
		c.Timeout.Milliseconds(), c.Timeout.Milliseconds())
	fmt.Fprintf(&b, "  option httpchk GET %s\n  http-check expect status 200\n", c.ReadyPath)
	fmt.Fprintf(&b, "frontend %s\n  bind %s\n  default_backend %s\n", FrontendName, c.Listen, BackendName)
	fmt.Fprintf(&b, "backend %s\n  balance roundrobin\n", BackendName)
	for _, s := range c.Servers {
		fmt.Fprintf(&b, "  server %s %s %s\n", s.Name, s.Addr(), c.checkParams())
	}
	return b.String()
}
