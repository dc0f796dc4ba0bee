package pooltest

import (
	"bytes"
	"runtime"
	"strconv"
	"strings"
)

// goroutine is one entry of a runtime stack dump. The suite reads dumps for
// two things the runtime offers no API for: whether a goroutine it started is
// blocked yet (real-time properties wait for a Get to park before they act),
// and whether a synctest bubble can still make progress (see stalled).
type goroutine struct {
	id     int64
	state  string // the wait reason, "running", "runnable", "syscall"...
	bubble int64  // the synctest bubble it belongs to, 0 for none
	text   string // the whole entry, for failure messages
}

// blocked reports whether g waits for something (a channel, a lock, a timer)
// rather than running or being about to.
func (g goroutine) blocked() bool {
	switch g.state {
	case "running", "runnable", "syscall", "":
		return false
	}
	return true
}

// durable reports whether the runtime counts g as durably blocked inside its
// bubble: it marks those states with "(durable)".
func (g goroutine) durable() bool { return strings.HasSuffix(g.state, "(durable)") }

// lockWait reports whether g waits for a sync.Mutex or sync.RWMutex, which
// synctest does not count as durable: a bubble whose goroutines all wait on
// durable things or on locks can never move again.
func (g goroutine) lockWait() bool {
	return strings.HasPrefix(g.state, "sync.Mutex.") || strings.HasPrefix(g.state, "sync.RWMutex.")
}

// goroutines returns every goroutine in the process.
func goroutines() []goroutine {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var gs []goroutine
	for _, entry := range bytes.Split(buf, []byte("\n\n")) {
		if g, ok := parseGoroutine(string(entry)); ok {
			gs = append(gs, g)
		}
	}
	return gs
}

// self returns the calling goroutine's own entry.
func self() goroutine {
	buf := make([]byte, 512)
	n := runtime.Stack(buf, false)
	g, _ := parseGoroutine(string(buf[:n]))
	return g
}

// parseGoroutine parses an entry whose first line reads
// "goroutine 7 [chan receive (durable), 2 minutes, synctest bubble 3]:".
func parseGoroutine(entry string) (goroutine, bool) {
	header, _, _ := strings.Cut(entry, "\n")
	rest, ok := strings.CutPrefix(header, "goroutine ")
	if !ok {
		return goroutine{}, false
	}
	idText, _, _ := strings.Cut(rest, " ")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return goroutine{}, false
	}
	g := goroutine{id: id, text: entry}
	open, end := strings.IndexByte(header, '['), strings.LastIndexByte(header, ']')
	if open < 0 || end < open {
		return g, true
	}
	for i, field := range strings.Split(header[open+1:end], ", ") {
		if i == 0 {
			g.state = field
		} else if b, ok := strings.CutPrefix(field, "synctest bubble "); ok {
			g.bubble, _ = strconv.ParseInt(b, 10, 64)
		}
	}
	return g, true
}

// inBubble returns the goroutines of bubble id.
func inBubble(gs []goroutine, id int64) []goroutine {
	var in []goroutine
	for _, g := range gs {
		if g.bubble == id {
			in = append(in, g)
		}
	}
	return in
}

// stalled reports whether bubble id can never move again: every goroutine in
// it is blocked, on durable things or on locks, and at least one on a lock
// (when all are durable, synctest itself advances time or reports the
// deadlock). It returns a key naming that state, so a caller can confirm the
// same state over several looks before it concludes.
func stalled(gs []goroutine, id int64) (string, bool) {
	in := inBubble(gs, id)
	var key strings.Builder
	locked := false
	for _, g := range in {
		switch {
		case g.lockWait():
			locked = true
		case !g.durable():
			return "", false
		}
		key.WriteString(strconv.FormatInt(g.id, 10) + ":" + g.state + ";")
	}
	return key.String(), locked
}

// dump joins the entries of gs, for a failure message.
func dump(gs []goroutine) string {
	var b strings.Builder
	for _, g := range gs {
		b.WriteString(g.text)
		b.WriteString("\n\n")
	}
	return b.String()
}
