package report

import "github.com/poolbench/poolbench/results"

// The units the report reads (their schema is package results'), as
// benchfmt tidies them in a parsed result: one name per unit, whichever
// sections read it.
var (
	// BenchmarkPool's.
	unitTime    = results.TimePerOp.Tidied()
	unitBytes   = results.BytesPerOp.Tidied()
	unitAllocs  = results.AllocsPerOp.Tidied()
	unitWaitMax = results.WaitMax.Tidied()

	// BenchmarkEcho's, and the oversubscribed points' (workers beyond
	// maxconns) on top; unitWaitP99 is BenchmarkPool's too.
	unitRate     = results.ReqPerSec.Tidied()
	unitP50      = results.P50.Tidied()
	unitP99      = results.P99.Tidied()
	unitErrors   = results.Errors.Tidied()
	unitWaitP99  = results.WaitP99.Tidied()
	unitWaited   = results.Waited.Tidied()
	unitFairness = results.Fairness.Tidied()
	// unitMBps is the payload echoed per second (results.EchoMBPerSec) of
	// the sizes sweep, which benchfmt tidies into bytes per second.
	unitMBps = results.EchoMBPerSec.Tidied()

	// What pooling saves: the dial rate and the client's TIME_WAIT sockets;
	// unitLost is the UDP requests whose echo did not come back in time
	// (harness class lost), written only when not 0.
	unitDialRate = results.DialRate.Tidied()
	unitTWClient = results.TimeWaitClient.Tidied()
	unitTWServer = results.TimeWaitServer.Tidied()
	unitLost     = results.ErrorClass("lost").Tidied()

	// BenchmarkRestart's.
	unitFailures  = results.Failures.Tidied()
	unitDown      = results.Down.Tidied()
	unitFirstOK   = results.FirstOK.Tidied()
	unitSettle    = results.Settle.Tidied()
	unitRecovered = results.Recovered.Tidied()
)
