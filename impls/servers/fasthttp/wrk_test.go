package fasthttp_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poolbench/poolbench/impls/server"
	"github.com/poolbench/poolbench/impls/servers/fasthttp"
)

// wrkScript POSTs 64 bodies of 61 B to 3.8 KiB in turn, and
// counts responses that are not a 200 or whose body is not one of the
// bodies sent. done() prints the totals on one line for the test to parse.
const wrkScript = `
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bodies, valid = {}, {}
  for n = 1, 64 do
    local size = n * 61
    local parts = {}
    for i = 1, size do
      parts[i] = string.char(97 + (n * 31 + i * 7) % 26)
    end
    local body = table.concat(parts)
    bodies[n] = body
    valid[body] = true
  end
  next_body, responses, non200, mismatched = 0, 0, 0, 0
end

function request()
  next_body = next_body % #bodies + 1
  return wrk.format("POST", "/echo", {["Content-Type"] = "application/octet-stream"}, bodies[next_body])
end

function response(status, headers, body)
  responses = responses + 1
  if status ~= 200 then
    non200 = non200 + 1
  elseif not valid[body] then
    mismatched = mismatched + 1
  end
end

function done(summary, latency, requests)
  local r, n, m = 0, 0, 0
  for _, t in ipairs(threads) do
    r = r + t:get("responses")
    n = n + t:get("non200")
    m = m + t:get("mismatched")
  end
  local e = summary.errors
  io.write(string.format("POOLBENCH responses=%d non200=%d mismatched=%d requests=%d errors=%d\n",
    r, n, m, summary.requests, e.connect + e.read + e.write + e.status + e.timeout))
end
`

// TestWrk loads the server with wrk, a real HTTP client, for two seconds
// and checks every response is a 200 echoing its request's body.
func TestWrk(t *testing.T) {
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		t.Fatalf("wrk is not installed: this test loads the fasthttp design with it; install it (Debian: apt-get install wrk; make test does, through scripts/test-deps.sh)")
	}
	srv, err := fasthttp.Start(server.Config{Loops: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	}()

	script := filepath.Join(t.TempDir(), "echo.lua")
	if err := os.WriteFile(script, []byte(wrkScript), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, wrk, "-t2", "-c64", "-d2s", "-s", script, "http://"+srv.Addr().String()+"/echo")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("wrk: %v\n%s", err, out)
	}
	var responses, non200, mismatched, requests, errs int
	found := false
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "Requests/sec:") {
			t.Log(line)
		}
		if strings.HasPrefix(line, "POOLBENCH ") {
			_, err := fmt.Sscanf(line, "POOLBENCH responses=%d non200=%d mismatched=%d requests=%d errors=%d",
				&responses, &non200, &mismatched, &requests, &errs)
			if err != nil {
				t.Fatalf("parse %q: %v", line, err)
			}
			found = true
		}
	}
	if !found {
		t.Fatalf("wrk printed no POOLBENCH line:\n%s", out)
	}
	if responses == 0 || non200 != 0 || mismatched != 0 || errs != 0 {
		t.Errorf("wrk: %d responses, %d not 200, %d bodies not echoed, %d socket or status errors, want >0, 0, 0, 0\n%s",
			responses, non200, mismatched, errs, out)
	}
	if responses != requests {
		t.Errorf("wrk: the script saw %d responses, wrk counted %d requests", responses, requests)
	}
}
