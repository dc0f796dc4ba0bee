package sqldb

import (
	"context"
	"database/sql/driver"
	"errors"
	"net"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/expiry"
)

// errNoSQL is what the driver answers to anything but carrying a conn: it
// speaks no SQL, it only gives database/sql something to pool.
var errNoSQL = errors.New("sqldb driver: not a SQL driver; use the conn through pool.Pool")

// connector dials with the pool's Config.Dial.
type connector struct{ cfg pool.Config }

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	nc, err := c.cfg.Dial(ctx)
	if err != nil {
		return nil, err
	}
	d := &driverConn{nc: nc, check: !c.cfg.NoAliveCheck}
	d.peek.Init(nc, time.Time{})
	return d, nil
}

func (c connector) Driver() driver.Driver { return sqlDriver{} }

// sqlDriver is the connector's Driver; sql.OpenDB needs one to exist.
type sqlDriver struct{}

func (sqlDriver) Open(string) (driver.Conn, error) { return nil, errNoSQL }

// driverConn is one dialed conn as database/sql sees it.
type driverConn struct {
	nc    net.Conn
	peek  expiry.Life // for its dead-peer peek only
	check bool        // ResetSession peeks (Config.NoAliveCheck off)
}

func (d *driverConn) Prepare(string) (driver.Stmt, error) { return nil, errNoSQL }
func (d *driverConn) Begin() (driver.Tx, error)           { return nil, errNoSQL }
func (d *driverConn) Close() error                        { return d.nc.Close() }

// ResetSession is called by database/sql before it reuses the conn; a dead
// peer makes it drop the conn and try another.
func (d *driverConn) ResetSession(context.Context) error {
	if d.check && !d.peek.PeerAlive() {
		return errDeadPeer
	}
	return nil
}
