// Package results owns poolbench's results schema and the layout of the
// results/ directory: what a benchmark name's keys are, which units exist
// and which way each is better, which configuration keys a result carries,
// and how results are written (benchfmt, benchstat's input) and read back.
//
// It must not know how anything is measured (that is harness and bench),
// how two result sets are compared (gate) or how they are shown (report).
// harness writes through it; gate, report and the tests read through it.
//
// # Where a new thing goes
//
//   - A new per-point metric: a Unit variable in units.go (name, better=
//     direction, one line of doc), added to EchoUnits, and a line in the
//     writer of the result it belongs to (harness/output.go, pointResult);
//     readers find it by that Unit; poolbench merge needs a rule for it
//     (merge/rules.go) or a reason it refuses it.
//   - A new configuration key: a Key constant in keys.go; the result's
//     writer sets it with a non-empty value in every block (an empty value
//     is refused: benchstat prints it as an empty header line).
//   - A new scenario: a Bench constant in keys.go naming its benchmark
//     ("BenchmarkRestartIdle"), its name keys, and its units in units.go.
//
// # Names
//
// Every result is named BenchmarkB/k1=v1/k2=v2-G, with B a Bench, the keys
// from keys.go in a fixed order (Name), and G the client's GOMAXPROCS:
//
//	BenchmarkEcho/server=S/pool=P/maxconns=M/workers=W-G
//
// benchstat projects on those keys: -col /pool -row /workers. A sizes
// sweep (poolbench sweep -sizes) ends each Echo name with size=B, the
// message bytes, and records echo-MB/s: -table "" -col /server -row /size.
//
// # Layout
//
// results/raw/ holds the measured files (pool.txt, echo.txt, scenarios.txt,
// faults.txt, and the pool-profile.txt and soak.txt summaries); results/
// itself holds only the per-pool files Split writes (<pool>.txt, the
// Reference as 0-chanpool.txt), so that plain `benchstat results/*.txt`
// prints one column per pool design and one row per scenario or point.
package results
